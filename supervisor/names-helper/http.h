/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * HTTP over unix sockets on the agent's sd-event loop: libcurl's multi interface
 * with its sockets and timer driven by sd-event, so a runtime API that is slow or
 * hung only ever costs a pending transfer, never a blocked loop. Requests are
 * plain GETs (Docker, podman, CRI-O), gRPC unary calls over HTTP/2 with prior
 * knowledge (containerd's CRI), and streams (Docker's /events).
 */

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct http_client;
struct http_request;

struct http_response {
        int error; /* 0, or -errno: -ETIMEDOUT, -ECONNREFUSED, -ENOENT (no socket), -EMSGSIZE, -EIO
                    */
        long status; /* the HTTP status, 0 when none arrived */
        const char *body;
        size_t body_len;
        int grpc_status;          /* -1 when the response carried none */
        const char *grpc_message; /* percent-decoded, or NULL */
        const char *api_version;  /* Docker's and podman's API-Version header, or NULL */
        const char *detail;       /* libcurl's words for error, or NULL */
};

/* The request is over when this runs; r and its buffers are freed right after. */
typedef void (*http_done_fn)(const struct http_response *r, void *userdata);

/*
 * For streams: each chunk of the body as it arrives. Runs inside libcurl, so it
 * must not start or cancel requests; return < 0 to abort the stream.
 */
typedef int (*http_chunk_fn)(const char *data, size_t len, void *userdata);

int http_client_new(sd_event *loop, struct http_client **ret);
/* Cancels what is in flight without calling its done callbacks. */
void http_client_free(struct http_client *c);

/* GET path on the socket, HTTP/1.1, with a limit on the whole transfer. */
int http_get(struct http_client *c, const char *socket_path, const char *path,
             uint64_t timeout_usec, http_done_fn done, void *userdata, struct http_request **ret);

/* A gRPC unary call: POST of a framed message to /package.Service/Method over HTTP/2. */
int http_grpc(struct http_client *c, const char *socket_path, const char *method, const void *body,
              size_t len, uint64_t timeout_usec, http_done_fn done, void *userdata,
              struct http_request **ret);

/* GET of an endless body, fed to chunk; done runs when it ends or breaks. */
int http_stream(struct http_client *c, const char *socket_path, const char *path,
                uint64_t connect_timeout_usec, http_chunk_fn chunk, http_done_fn done,
                void *userdata, struct http_request **ret);

/* Cancels a request in flight; its done callback does not run. NULL is a no-op. */
void http_request_cancel(struct http_request *r);
