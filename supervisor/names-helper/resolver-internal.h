/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the runtime clients of resolver.c share with it; nothing else includes this. */

#include "http.h"
#include "name-cache.h"
#include "resolver.h"

struct runtime_api;

struct runtime_ops {
        /* Whether lookups may start; may start what they need (Docker's version). NULL: always. */
        bool (*ready)(struct runtime_api *rt);
        /* Starts the lookup of id; its answer (even a failure) comes back through lookup_finish().
         */
        int (*lookup)(struct runtime_api *rt, const char *id);
        void (*done)(struct runtime_api *rt);
};

struct runtime_api {
        struct resolver *resolver;
        enum container_runtime kind;
        char *socket;
        const struct runtime_ops *ops;
        unsigned in_flight;

        /* Failures: the runtime is left alone until down_until, the pause doubling. */
        uint64_t down_until_usec;
        uint64_t backoff_usec;
        bool down;          /* said so in the log; said again when it answers */
        bool absent_logged; /* the socket is not there: said once, for good */

        /* Docker and podman: the negotiated API version and the event stream. */
        char api_version[16];
        struct http_request *version_request;
        struct http_request *events_request;
        sd_event_source *events_retry;
        char *events_line;
        size_t events_line_len;
};

/* A JSON answer about id into meta: Docker's inspect, CRI-O's info. */
typedef int (*meta_json_parse_fn)(const char *id, const char *json, size_t len,
                                  struct container_meta *ret);

/* One lookup on its way through a runtime's API (containerd's takes up to three calls). */
struct lookup {
        struct lookup *prev, *next;
        struct runtime_api *rt;
        char id[CONTAINER_ID_LEN + 1];
        struct http_request *request;
        struct container_meta meta; /* containerd: what the calls so far gave */
        meta_json_parse_fn parse;   /* a one-GET lookup: how to read the answer */
};

struct resolver {
        sd_event *loop;
        struct names_config config;
        struct http_client *http;
        struct name_cache *cache;
        struct runtime_api runtimes[4];
        size_t n_runtimes;
        names_learned_fn learned;
        void *userdata;

        struct hashmap *tracked; /* id → struct tracked */
        struct tracked *tracked_head;
        struct queued *queue; /* lookups waiting for their runtime */
        size_t queue_len, queue_cap;
        sd_event_source *kick;  /* starts queued lookups after the current callback */
        sd_event_source *retry; /* asks again about the ones the runtime did not know */
        struct lookup *lookups;
};

struct lookup *lookup_new(struct runtime_api *rt, const char *id);
/*
 * Ends the lookup and frees it: meta (taken) when the runtime knew id, NULL
 * when it said it does not; error < 0 when it did not answer (detail says why),
 * which backs off the whole runtime.
 */
void lookup_finish(struct lookup *l, struct container_meta *meta, int error, const char *detail);

/* A lookup that is one GET of path with a JSON answer (404: the runtime does not know id). */
int lookup_json(struct runtime_api *rt, const char *id, const char *path, meta_json_parse_fn parse);

/* The HTTP-level outcome of a response: 0, or -errno with *ret_detail saying why. */
int resolver_response_error(const struct http_response *r, char *detail, size_t size);

/* The runtime told us that id changed (Docker events): ask again if we care. */
void resolver_refresh(struct runtime_api *rt, const char *id);
/* The runtime told us that id is gone. */
void resolver_forget(struct runtime_api *rt, const char *id);

/* A non-lookup request of the runtime failed (Docker's version): back off. */
void resolver_runtime_failed(struct runtime_api *rt, int error, const char *detail);
/* Lookups may start now (Docker's version arrived). */
void resolver_kick(struct resolver *n);
