/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libmicrohttpd, loaded with dlopen only when metrics are served. Debian's
 * build links GnuTLS and eight libraries below it (p11-kit, nettle, gmp, ...):
 * linked into cgmem they would be mapped, initialised and locked into memory
 * (mlockall) on every node, serving or not. The header gives the prototypes;
 * the library is asked for the few functions the server calls.
 */

#include <microhttpd.h>

#define MHD_SONAME "libmicrohttpd.so.12"

struct mhd_api {
        void *handle;
        __typeof__(MHD_start_daemon) *start_daemon;
        __typeof__(MHD_stop_daemon) *stop_daemon;
        __typeof__(MHD_create_response_from_callback) *create_response_from_callback;
        __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
        __typeof__(MHD_add_response_header) *add_response_header;
        __typeof__(MHD_queue_response) *queue_response;
        __typeof__(MHD_destroy_response) *destroy_response;
};

/* Loads the library and its functions. Returns 0, or -ENOENT with *ret_why (dlerror's text). */
int mhd_api_load(struct mhd_api *ret, const char **ret_why);
void mhd_api_unload(struct mhd_api *api);
