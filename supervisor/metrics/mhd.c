/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mhd.h"

#include <dlfcn.h>
#include <errno.h>

/* dlsym's void * as the function pointer it is (POSIX guarantees the conversion works). */
#define LOAD(api, field, symbol) ((*(void **) &(api)->field = dlsym((api)->handle, symbol)) != NULL)

int mhd_api_load(struct mhd_api *ret, const char **ret_why)
{
        struct mhd_api api = {0};

        api.handle = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!api.handle) {
                *ret_why = dlerror();
                return -ENOENT;
        }
        if (!LOAD(&api, start_daemon, "MHD_start_daemon") ||
            !LOAD(&api, stop_daemon, "MHD_stop_daemon") ||
            !LOAD(&api, create_response_from_callback, "MHD_create_response_from_callback") ||
            !LOAD(&api, create_response_from_buffer, "MHD_create_response_from_buffer") ||
            !LOAD(&api, add_response_header, "MHD_add_response_header") ||
            !LOAD(&api, queue_response, "MHD_queue_response") ||
            !LOAD(&api, destroy_response, "MHD_destroy_response")) {
                *ret_why = dlerror();
                dlclose(api.handle);
                return -ENOENT;
        }
        *ret = api;
        return 0;
}

void mhd_api_unload(struct mhd_api *api)
{
        if (api->handle)
                dlclose(api->handle);
        *api = (struct mhd_api){0};
}
