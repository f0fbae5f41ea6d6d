/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Docker's Engine API (and podman's Docker-compatible one): the API version is
 * negotiated first (GET /_ping's API-Version header; GET /version from a daemon
 * that sends none), then a container is GET /vX/containers/ID/json,
 * and /vX/events streams starts, renames and removals so names follow without
 * polling. https://docs.docker.com/engine/api/
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "cri/docker.h"
#include "resolver-internal.h"

/* A line of Docker's event stream is a few KiB; far more is not Docker. */
#define EVENT_LINE_MAX    (1u << 20)
#define EVENTS_RETRY_USEC (5 * USEC_PER_SEC)
/* {"type":["container"]}, URL-encoded: the stream carries container events only. */
#define EVENTS_FILTER "%7B%22type%22%3A%5B%22container%22%5D%7D"

static void start_version(struct runtime_api *rt);

static int parse_inspect(const char *id, const char *json, size_t len, struct container_meta *ret)
{
        (void) id;
        return docker_parse_inspect(json, len, ret);
}

static int docker_lookup(struct runtime_api *rt, const char *id)
{
        char path[128];

        snprintf(path, sizeof(path), "/v%s/containers/%s/json", rt->api_version, id);
        return lookup_json(rt, id, path, parse_inspect);
}

/* One line of the event stream. Runs inside libcurl: only the cache and the queue move. */
static void on_event_line(struct runtime_api *rt, const char *line, size_t len)
{
        struct docker_event e;

        if (docker_parse_event(line, len, &e) < 0)
                return;
        switch (e.action) {
        case DOCKER_EVENT_START:
        case DOCKER_EVENT_RENAME:
        case DOCKER_EVENT_UPDATE:
                resolver_refresh(rt, e.id);
                break;
        case DOCKER_EVENT_DESTROY:
                resolver_forget(rt, e.id);
                break;
        default:
                break;
        }
}

static int on_events_chunk(const char *data, size_t len, void *userdata)
{
        struct runtime_api *rt = userdata;

        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t) (nl - data) : len;
                if (rt->events_line_len + take > EVENT_LINE_MAX)
                        return -EMSGSIZE;
                char *p = realloc(rt->events_line, rt->events_line_len + take + 1);
                if (!p)
                        return -ENOMEM;
                rt->events_line = p;
                memcpy(p + rt->events_line_len, data, take);
                rt->events_line_len += take;
                if (!nl)
                        break;
                on_event_line(rt, rt->events_line, rt->events_line_len);
                rt->events_line_len = 0;
                data += take + 1;
                len -= take + 1;
        }
        return 0;
}

static int on_events_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct runtime_api *rt = userdata;

        (void) usec;
        rt->events_retry = sd_event_source_disable_unref(s);
        if (!rt->version_request)
                start_version(rt);
        return 0;
}

/* The stream ended (dockerd restarted, perhaps upgraded): negotiate afresh a little later. */
static void on_events_end(const struct http_response *resp, void *userdata)
{
        struct runtime_api *rt = userdata;

        (void) resp;
        rt->events_request = NULL;
        rt->events_line_len = 0;
        rt->api_version[0] = '\0';
        if (!rt->events_retry)
                sd_event_add_time_relative(rt->resolver->loop, &rt->events_retry, CLOCK_MONOTONIC,
                                           EVENTS_RETRY_USEC, USEC_PER_SEC, on_events_retry, rt);
}

static void start_events(struct runtime_api *rt)
{
        char path[128];

        if (rt->events_request)
                return;
        snprintf(path, sizeof(path), "/v%s/events?filters=%s", rt->api_version, EVENTS_FILTER);
        if (http_stream(rt->resolver->http, rt->socket, path, rt->resolver->config.timeout_usec,
                        on_events_chunk, on_events_end, rt, &rt->events_request) < 0)
                rt->events_request = NULL;
}

/* r from the request (with its detail), or from the negotiation (detail NULL). */
static void negotiated(struct runtime_api *rt, int r, const char *detail)
{
        char why[256];

        if (r < 0 && !detail) {
                snprintf(why, sizeof(why), "no API version we speak (%s .. %s): %s",
                         DOCKER_API_VERSION_MIN, DOCKER_API_VERSION_MAX, strerror(-r));
                detail = why;
        }
        if (r < 0) {
                rt->api_version[0] = '\0';
                resolver_runtime_failed(rt, r, detail);
                return;
        }
        start_events(rt);
        resolver_kick(rt->resolver);
}

static void on_version(const struct http_response *resp, void *userdata);

static void request_version(struct runtime_api *rt, const char *path, http_done_fn done)
{
        int r = http_get(rt->resolver->http, rt->socket, path, rt->resolver->config.timeout_usec,
                         done, rt, &rt->version_request);
        if (r < 0) {
                rt->version_request = NULL;
                resolver_runtime_failed(rt, r, NULL);
        }
}

/*
 * /_ping first, not /version: podman answers /version by asking the package
 * manager about each of its components, seconds of dpkg-query and tens of MiB
 * on a node that may be short of memory (bench-node d: 100 MiB of them alive at
 * the kernel's OOM). /version only from a daemon whose /_ping says no version,
 * or one newer than ours, whose minimum may be above what we speak (Docker's,
 * which answers it from memory).
 */
static void answered(const struct http_response *resp, struct runtime_api *rt, bool pinged)
{
        char detail[256];

        rt->version_request = NULL;
        int r = resolver_response_error(resp, detail, sizeof(detail));
        if (r < 0) {
                negotiated(rt, r, detail);
                return;
        }
        if (!pinged)
                r = docker_negotiate_version(resp->body, resp->body_len, rt->api_version);
        else if (resp->api_version)
                r = docker_negotiate_ping(resp->api_version, rt->api_version);
        else
                r = -ERANGE;
        if (r == -ERANGE)
                request_version(rt, "/version", on_version);
        else
                negotiated(rt, r, NULL);
}

static void on_ping(const struct http_response *resp, void *userdata)
{
        answered(resp, userdata, true);
}

static void on_version(const struct http_response *resp, void *userdata)
{
        answered(resp, userdata, false);
}

static void start_version(struct runtime_api *rt)
{
        request_version(rt, "/_ping", on_ping);
}

static bool docker_ready(struct runtime_api *rt)
{
        if (rt->api_version[0])
                return true;
        if (!rt->version_request)
                start_version(rt);
        return false;
}

static void docker_done(struct runtime_api *rt)
{
        http_request_cancel(rt->version_request);
        http_request_cancel(rt->events_request);
        sd_event_source_disable_unref(rt->events_retry);
        free(rt->events_line);
}

const struct runtime_ops docker_ops = {
        .ready = docker_ready,
        .lookup = docker_lookup,
        .done = docker_done,
};
