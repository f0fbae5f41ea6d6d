/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http.h"
#include "base/array.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "base/list.h"
#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "cri/grpc.h"

/* A runtime answering with more than this is not answering a lookup. */
#define HTTP_BODY_MAX           (16u << 20)
#define HTTP_CONNECT_TIMEOUT_MS 1000L

struct http_client {
        sd_event *loop;
        CURLM *multi;
        sd_event_source *timer;
        struct http_request *head;
};

struct http_request {
        struct http_request *prev, *next;
        struct http_client *client;
        CURL *easy;
        struct curl_slist *headers;
        void *post_body;
        char *body;
        size_t body_len, body_cap;
        http_done_fn done;
        http_chunk_fn chunk;
        void *userdata;
        int abort_error;
        int grpc_status;
        char *grpc_message;
        char api_version[16]; /* Docker's API-Version header; "" when none came */
        char errbuf[CURL_ERROR_SIZE];
};

static void request_free(struct http_request *r)
{
        struct http_client *c = r->client;

        LIST_REMOVE(c->head, r);
        curl_multi_remove_handle(c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
        free(r->post_body);
        free(r->body);
        free(r->grpc_message);
        free(r);
}

static int error_from_curl(const struct http_request *r, CURLcode code)
{
        long os_errno = 0;

        if (r->abort_error < 0)
                return r->abort_error;
        switch (code) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
                return os_errno == ENOENT ? -ENOENT : -ECONNREFUSED;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EPROTO;
        default:
                return -EIO;
        }
}

static void request_finish(struct http_request *r, CURLcode code)
{
        struct http_response resp = {
                .error = error_from_curl(r, code),
                .body = r->body ? r->body : "",
                .body_len = r->body_len,
                .grpc_status = r->grpc_status,
                .grpc_message = r->grpc_message,
                .api_version = r->api_version[0] ? r->api_version : NULL,
        };

        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
        if (resp.error < 0 && r->errbuf[0])
                resp.detail = r->errbuf;
        else if (resp.error < 0)
                resp.detail = curl_easy_strerror(code);
        if (r->done)
                r->done(&resp, r->userdata);
        request_free(r);
}

static void check_finished(struct http_client *c)
{
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(c->multi, &left))) {
                struct http_request *r = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);
                if (r)
                        request_finish(r, msg->data.result);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct http_client *c = userdata;
        int action = 0, running;

        (void) s;
        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        curl_multi_socket_action(c->multi, fd, action, &running);
        check_finished(c);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct http_client *c = userdata;
        int running;

        (void) s;
        (void) usec;
        curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_finished(c);
        return 0;
}

/* libcurl says which events it wants on fd; the event source follows. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        struct http_client *c = userp;
        sd_event_source *s = socketp;
        uint32_t events = 0;

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                sd_event_source_disable_unref(s);
                curl_multi_assign(c->multi, fd, NULL);
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        if (s)
                return sd_event_source_set_io_events(s, events) < 0 ? -1 : 0;
        if (sd_event_add_io(c->loop, &s, fd, events, on_io, c) < 0)
                return -1;
        curl_multi_assign(c->multi, fd, s);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
        struct http_client *c = userp;

        (void) multi;
        if (timeout_ms < 0)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        if (sd_event_source_set_time(c->timer, now_usec() + (uint64_t) timeout_ms * 1000) < 0)
                return -1;
        return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

int http_client_new(sd_event *loop, struct http_client **ret)
{
        static bool curl_ready;
        struct http_client *c;

        if (!curl_ready) {
                if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
                        return -EIO;
                curl_ready = true;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->loop = sd_event_ref(loop);
        c->multi = curl_multi_init();
        int r = c->multi ? 0 : -ENOMEM;
        if (r >= 0)
                r = sd_event_add_time(loop, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timer,
                                      c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (r < 0) {
                http_client_free(c);
                return r;
        }
        curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
        curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
        curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
        curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
        *ret = c;
        return 0;
}

void http_client_free(struct http_client *c)
{
        if (!c)
                return;
        while (c->head)
                request_free(c->head);
        if (c->multi)
                curl_multi_cleanup(c->multi);
        sd_event_source_disable_unref(c->timer);
        sd_event_unref(c->loop);
        free(c);
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        struct http_request *r = userdata;
        size_t len = size * n;

        if (r->chunk) {
                int k = r->chunk(data, len, r->userdata);
                if (k < 0) {
                        r->abort_error = k;
                        return 0;
                }
                return len;
        }
        if (len > HTTP_BODY_MAX - r->body_len) {
                r->abort_error = -EMSGSIZE;
                return 0;
        }
        if (!GREEDY_REALLOC(r->body, r->body_cap, r->body_len + len + 1)) {
                r->abort_error = -ENOMEM;
                return 0;
        }
        memcpy(r->body + r->body_len, data, len);
        r->body_len += len;
        r->body[r->body_len] = '\0';
        return len;
}

/* "name: value\r\n" with name matched case-insensitively; returns the value or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *ret_len)
{
        size_t n = strlen(name);

        if (len < n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return NULL;
        const char *v = line + n + 1;
        const char *end = line + len;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        *ret_len = (size_t) (end - v);
        return v;
}

/* gRPC's status arrives as a header (trailers-only answer) or as a trailer; libcurl gives both
 * here. Docker and podman say their API version in a header. */
static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
        struct http_request *r = userdata;
        size_t len = size * n, vlen;
        const char *v;
        int status;

        if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
                /* A new response (after a 100 Continue): what an earlier one said is not its. */
                r->api_version[0] = '\0';
        else if ((v = header_value(line, len, "grpc-status", &vlen)) &&
                 grpc_status_parse(v, vlen, &status) >= 0)
                r->grpc_status = status;
        else if ((v = header_value(line, len, "grpc-message", &vlen))) {
                free(r->grpc_message);
                r->grpc_message = NULL;
                (void) grpc_message_decode(v, vlen, &r->grpc_message);
        } else if ((v = header_value(line, len, "api-version", &vlen)))
                /* Longer than any version: kept cut, so that it does not parse. */
                snprintf(r->api_version, sizeof(r->api_version), "%.*s", (int) vlen, v);
        return len;
}

static int request_new(struct http_client *c, const char *socket_path, const char *path,
                       uint64_t timeout_usec, http_done_fn done, void *userdata,
                       struct http_request **ret)
{
        _cleanup_free_ char *url = NULL;
        struct http_request *r = calloc(1, sizeof(*r));

        if (!r || asprintf(&url, "http://localhost%s", path) < 0) {
                free(r);
                return -ENOMEM;
        }
        r->easy = curl_easy_init();
        if (!r->easy) {
                free(r);
                return -ENOMEM;
        }
        r->client = c;
        r->done = done;
        r->userdata = userdata;
        r->grpc_status = -1;
        long timeout_ms = (long) (timeout_usec / 1000);
        long connect_ms = timeout_ms && timeout_ms < HTTP_CONNECT_TIMEOUT_MS
                                  ? timeout_ms
                                  : HTTP_CONNECT_TIMEOUT_MS;
        curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, socket_path);
        curl_easy_setopt(r->easy, CURLOPT_URL, url);
        curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "cgmem/" CGMEM_VERSION);
        curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
        curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
        curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
        *ret = r;
        return 0;
}

/* A request that never reached the multi handle. */
static void request_discard(struct http_request *r)
{
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
        free(r->post_body);
        free(r);
}

static int request_start(struct http_client *c, struct http_request *r, struct http_request **ret)
{
        if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
                request_discard(r);
                return -ENOMEM;
        }
        LIST_PREPEND(c->head, r);
        if (ret)
                *ret = r;
        return 0;
}

int http_get(struct http_client *c, const char *socket_path, const char *path,
             uint64_t timeout_usec, http_done_fn done, void *userdata, struct http_request **ret)
{
        struct http_request *r;
        int k = request_new(c, socket_path, path, timeout_usec, done, userdata, &r);

        return k < 0 ? k : request_start(c, r, ret);
}

int http_grpc(struct http_client *c, const char *socket_path, const char *method, const void *body,
              size_t len, uint64_t timeout_usec, http_done_fn done, void *userdata,
              struct http_request **ret)
{
        struct http_request *r;
        int k = request_new(c, socket_path, method, timeout_usec, done, userdata, &r);

        if (k < 0)
                return k;
        r->post_body = malloc(len ? len : 1);
        r->headers = curl_slist_append(NULL, "content-type: application/grpc");
        struct curl_slist *h = r->headers ? curl_slist_append(r->headers, "te: trailers") : NULL;
        if (!r->post_body || !h) {
                request_discard(r);
                return -ENOMEM;
        }
        memcpy(r->post_body, body, len);
        curl_easy_setopt(r->easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        /*
         * libcurl 7.88 reusing a prior-knowledge HTTP/2 connection over a unix
         * socket fails the next call ("Error in the HTTP2 framing layer", seen
         * against containerd 1.6): one connection per call; a local connect is cheap.
         */
        curl_easy_setopt(r->easy, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->post_body);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long) len);
        return request_start(c, r, ret);
}

int http_stream(struct http_client *c, const char *socket_path, const char *path,
                uint64_t connect_timeout_usec, http_chunk_fn chunk, http_done_fn done,
                void *userdata, struct http_request **ret)
{
        struct http_request *r;
        int k = request_new(c, socket_path, path, 0, done, userdata, &r);

        if (k < 0)
                return k;
        r->chunk = chunk;
        curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) (connect_timeout_usec / 1000));
        return request_start(c, r, ret);
}

void http_request_cancel(struct http_request *r)
{
        if (r)
                request_free(r);
}
