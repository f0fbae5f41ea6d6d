/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: identity_from_path() over arbitrary cgroup paths. */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_lower_hex_string(const char *s)
{
        return strspn(s, "0123456789abcdef") == strlen(s);
}

/* What every answer must look like, whatever the input. */
static void check_identity(const struct container_identity *id, const char *path)
{
        size_t n = strlen(id->id);
        if ((n != 0 && n != CONTAINER_ID_LEN) || !is_lower_hex_string(id->id))
                abort();
        /* A UUID with its dashes restored, or a static pod's 32 hex digits. */
        n = strlen(id->pod_uid);
        if (n != 0 && n != 32 && n != POD_UID_MAX)
                abort();
        if (n == POD_UID_MAX && strspn(id->pod_uid, "0123456789abcdef-") != n)
                abort();
        if (n == 32 && !is_lower_hex_string(id->pod_uid))
                abort();
        if (strlen(id->unit) > UNIT_NAME_MAX)
                abort();
        /* Whatever was found is a piece of the path, never made up. */
        if (id->unit[0] && !strstr(path, id->unit))
                abort();
        if (id->id[0] && !strstr(path, id->id))
                abort();
        /* A monitor watches some container: it has that container's id. */
        if (id->monitor && !id->id[0])
                abort();
        if (id->runtime != RUNTIME_UNKNOWN && !container_runtime_to_string(id->runtime))
                abort();
        if (id->qos != POD_QOS_NONE && !pod_qos_to_string(id->qos))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The API takes a C string: exactly size bytes and the NUL, so a read past
         * it is an ASan report. An embedded NUL just ends the path early. */
        char *path = malloc(size + 1);
        if (!path)
                return 0;
        memcpy(path, data, size);
        path[size] = '\0';

        struct container_identity id;
        memset(&id, 0xa5, sizeof(id));
        int r = identity_from_path(path, &id);
        if (r == 0)
                check_identity(&id, path);
        else if (r != -EINVAL || strlen(path) < PATH_MAX)
                abort();
        free(path);
        return 0;
}
