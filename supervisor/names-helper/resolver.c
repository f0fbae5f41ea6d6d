/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "resolver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/hashmap.h"
#include "base/list.h"
#include "base/log.h"
#include "base/time-util.h"
#include "resolver-internal.h"

/* Lookups in flight per runtime: enough to name a thousand containers in seconds. */
#define LOOKUPS_IN_FLIGHT  8
#define RETRY_FIRST_USEC   (250 * USEC_PER_MSEC)
#define BACKOFF_FIRST_USEC (1 * USEC_PER_SEC)
#define BACKOFF_MAX_USEC   (60 * USEC_PER_SEC)
#define NAME_CACHE_MAX     65536

struct tracked {
        struct tracked *prev, *next;
        char id[CONTAINER_ID_LEN + 1];
        struct runtime_api *rt;
        uint64_t
                retry_usec; /* 0, or when to ask again about a container the runtime did not know */
};

struct queued {
        char id[CONTAINER_ID_LEN + 1];
        struct runtime_api *rt;
};

static void resolver_answer(struct runtime_api *rt, const char *id, struct container_meta *meta,
                            int error, const char *detail);

static const char *const runtime_labels[] = {
        [RUNTIME_DOCKER] = "docker",
        [RUNTIME_PODMAN] = "podman",
        [RUNTIME_CONTAINERD] = "containerd",
        [RUNTIME_CRIO] = "cri-o",
};

static const char *resolver_runtime_label(const struct runtime_api *rt)
{
        return runtime_labels[rt->kind];
}

static struct runtime_api *runtime_for(struct resolver *n, enum container_runtime kind)
{
        for (size_t i = 0; i < n->n_runtimes; i++)
                if (n->runtimes[i].kind == kind)
                        return &n->runtimes[i];
        return NULL;
}

void resolver_kick(struct resolver *n)
{
        sd_event_source_set_enabled(n->kick, SD_EVENT_ONESHOT);
}

/* The retry timer goes off at the first of: a tracked container's retry, a runtime's back-off end.
 */
static void schedule_retry(struct resolver *n)
{
        uint64_t next = UINT64_MAX, now = now_usec();

        for (struct tracked *t = n->tracked_head; t; t = t->next)
                if (t->retry_usec && t->retry_usec < next)
                        next = t->retry_usec;
        for (size_t i = 0; i < n->n_runtimes; i++)
                if (n->runtimes[i].down_until_usec > now && n->runtimes[i].down_until_usec < next)
                        next = n->runtimes[i].down_until_usec;
        if (next == UINT64_MAX) {
                sd_event_source_set_enabled(n->retry, SD_EVENT_OFF);
                return;
        }
        sd_event_source_set_time(n->retry, next);
        sd_event_source_set_enabled(n->retry, SD_EVENT_ONESHOT);
}

static int enqueue(struct resolver *n, struct runtime_api *rt, const char *id)
{
        if (!GREEDY_REALLOC(n->queue, n->queue_cap, n->queue_len + 1))
                return -ENOMEM;
        struct queued *q = &n->queue[n->queue_len++];
        snprintf(q->id, sizeof(q->id), "%s", id);
        q->rt = rt;
        resolver_kick(n);
        return 0;
}

/* Queues a lookup of id unless one is already on its way. */
static void ask(struct resolver *n, struct runtime_api *rt, const char *id)
{
        if (name_cache_get(n->cache, id, now_usec(), NULL) == NAME_PENDING)
                return;
        if (name_cache_set_pending(n->cache, id, now_usec()) < 0 || enqueue(n, rt, id) < 0)
                name_cache_forget(n->cache, id); /* out of memory: asked again at the next track */
}

static bool runtime_can_start(struct runtime_api *rt, uint64_t now)
{
        return now >= rt->down_until_usec && rt->in_flight < LOOKUPS_IN_FLIGHT &&
               (!rt->ops->ready || rt->ops->ready(rt));
}

/* Starts what the runtimes can take; the rest waits in the queue. */
static int on_kick(sd_event_source *s, void *userdata)
{
        struct resolver *n = userdata;
        uint64_t now = now_usec();
        size_t kept = 0;

        (void) s;
        for (size_t i = 0; i < n->queue_len; i++) {
                struct queued q = n->queue[i];
                if (!runtime_can_start(q.rt, now)) {
                        n->queue[kept++] = q;
                        continue;
                }
                q.rt->in_flight++;
                int r = q.rt->ops->lookup(q.rt, q.id);
                if (r < 0) /* nothing started */
                        resolver_answer(q.rt, q.id, NULL, r, NULL);
        }
        n->queue_len = kept;
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct resolver *n = userdata;

        (void) s;
        for (struct tracked *t = n->tracked_head; t; t = t->next)
                if (t->retry_usec && t->retry_usec <= usec) {
                        t->retry_usec = 0;
                        ask(n, t->rt, t->id);
                }
        resolver_kick(n);
        schedule_retry(n);
        return 0;
}

static void runtime_answered(struct runtime_api *rt)
{
        if (rt->down)
                log_info("%s API on %s answers again", resolver_runtime_label(rt), rt->socket);
        rt->down = false;
        rt->backoff_usec = 0;
        rt->down_until_usec = 0;
}

void resolver_runtime_failed(struct runtime_api *rt, int error, const char *detail)
{
        struct resolver *n = rt->resolver;

        if (error == -ENOENT) {
                /* No socket: this runtime is not on the node (yet). Look again now and then. */
                if (!rt->absent_logged && !n->config.quiet_absent)
                        log_info("no %s socket at %s: its containers are named by their cgroup "
                                 "paths",
                                 resolver_runtime_label(rt), rt->socket);
                rt->absent_logged = true;
                rt->backoff_usec = BACKOFF_MAX_USEC;
        } else {
                rt->backoff_usec = rt->backoff_usec ? rt->backoff_usec * 2 : BACKOFF_FIRST_USEC;
                if (rt->backoff_usec > BACKOFF_MAX_USEC)
                        rt->backoff_usec = BACKOFF_MAX_USEC;
                if (!rt->down)
                        log_warning("%s API on %s: %s; containers keep their cgroup-path names "
                                    "until it answers",
                                    resolver_runtime_label(rt), rt->socket,
                                    detail ? detail : strerror(-error));
                rt->down = true;
        }
        rt->down_until_usec = now_usec() + rt->backoff_usec;
        schedule_retry(n);
}

static void resolver_answer(struct runtime_api *rt, const char *id, struct container_meta *meta,
                            int error, const char *detail)
{
        struct resolver *n = rt->resolver;
        struct tracked *t = hashmap_get_string(n->tracked, id);
        uint64_t now = now_usec();

        rt->in_flight--;
        resolver_kick(n);
        if (error < 0) {
                /* Not an answer about id: ask again once the runtime is back. */
                resolver_runtime_failed(rt, error, detail);
                name_cache_forget(n->cache, id);
                ask(n, rt, id);
                return;
        }
        runtime_answered(rt);
        if (!meta) {
                uint64_t retry;
                if (name_cache_put_absent(n->cache, id, now, &retry) >= 0 && t) {
                        t->retry_usec = retry;
                        schedule_retry(n);
                }
                return;
        }
        const struct container_meta *cached = NULL;
        if (name_cache_put(n->cache, id, meta, now) >= 0)
                name_cache_get(n->cache, id, now, &cached);
        container_meta_done(meta);
        if (t)
                t->retry_usec = 0;
        if (t && cached && n->learned)
                n->learned(id, cached, n->userdata);
}

struct lookup *lookup_new(struct runtime_api *rt, const char *id)
{
        struct resolver *n = rt->resolver;
        struct lookup *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->rt = rt;
        snprintf(l->id, sizeof(l->id), "%s", id);
        LIST_PREPEND(n->lookups, l);
        return l;
}

static void lookup_free(struct lookup *l)
{
        struct resolver *n = l->rt->resolver;

        LIST_REMOVE(n->lookups, l);
        container_meta_done(&l->meta);
        free(l);
}

void lookup_finish(struct lookup *l, struct container_meta *meta, int error, const char *detail)
{
        resolver_answer(l->rt, l->id, meta, error, detail);
        lookup_free(l);
}

static void on_json(const struct http_response *resp, void *userdata)
{
        struct lookup *l = userdata;
        struct container_meta meta = {0};
        char detail[256];

        if (resp->error >= 0 && resp->status == 404) {
                lookup_finish(l, NULL, 0, NULL);
                return;
        }
        int r = resolver_response_error(resp, detail, sizeof(detail));
        if (r >= 0) {
                r = l->parse(l->id, resp->body, resp->body_len, &meta);
                if (r < 0)
                        snprintf(detail, sizeof(detail), "unreadable container JSON: %s",
                                 strerror(-r));
        }
        lookup_finish(l, r >= 0 ? &meta : NULL, r, detail);
}

int lookup_json(struct runtime_api *rt, const char *id, const char *path, meta_json_parse_fn parse)
{
        struct lookup *l = lookup_new(rt, id);

        if (!l)
                return -ENOMEM;
        l->parse = parse;
        int r = http_get(rt->resolver->http, rt->socket, path, rt->resolver->config.timeout_usec,
                         on_json, l, &l->request);
        if (r < 0)
                lookup_finish(l, NULL, r, NULL);
        return 0;
}

int resolver_response_error(const struct http_response *r, char *detail, size_t size)
{
        if (r->error < 0) {
                snprintf(detail, size, "%s", r->detail ? r->detail : strerror(-r->error));
                return r->error;
        }
        if (r->status != 200) {
                snprintf(detail, size, "HTTP status %ld", r->status);
                return -EPROTO;
        }
        return 0;
}

void resolver_refresh(struct runtime_api *rt, const char *id)
{
        ask(rt->resolver, rt, id);
}

void resolver_forget(struct runtime_api *rt, const char *id)
{
        name_cache_forget(rt->resolver->cache, id);
}

void resolver_track(struct resolver *n, const struct container_identity *id)
{
        struct runtime_api *rt = n ? runtime_for(n, id->runtime) : NULL;

        if (!rt || !id->id[0] || id->monitor)
                return;
        if (!hashmap_get_string(n->tracked, id->id)) {
                struct tracked *t = calloc(1, sizeof(*t));
                if (!t)
                        return;
                snprintf(t->id, sizeof(t->id), "%s", id->id);
                t->rt = rt;
                if (hashmap_put_string(n->tracked, t->id, t) < 0) {
                        free(t);
                        return;
                }
                LIST_PREPEND(n->tracked_head, t);
        }
        if (name_cache_get(n->cache, id->id, now_usec(), NULL) == NAME_MISSING)
                ask(n, rt, id->id);
}

static void tracked_free(struct resolver *n, struct tracked *t)
{
        hashmap_remove_string(n->tracked, t->id);
        LIST_REMOVE(n->tracked_head, t);
        free(t);
}

void resolver_untrack(struct resolver *n, const char *id)
{
        struct tracked *t = n && id[0] ? hashmap_get_string(n->tracked, id) : NULL;

        if (t)
                tracked_free(n, t);
}

unsigned resolver_busy(const struct resolver *n)
{
        uint64_t now = now_usec();
        unsigned busy = 0;

        /* What waits for a runtime that is down is not going to be answered soon. */
        for (size_t i = 0; i < n->queue_len; i++)
                busy += now >= n->queue[i].rt->down_until_usec;
        for (size_t i = 0; i < n->n_runtimes; i++)
                busy += n->runtimes[i].in_flight;
        return busy;
}

void resolver_add_runtime(struct resolver *n, enum container_runtime kind, const char *socket,
                          const struct runtime_ops *ops)
{
        if (!socket || !socket[0] || n->n_runtimes >= ELEMENTSOF(n->runtimes))
                return;
        struct runtime_api *rt = &n->runtimes[n->n_runtimes];
        rt->socket = strdup(socket);
        if (!rt->socket)
                return;
        rt->resolver = n;
        rt->kind = kind;
        rt->ops = ops;
        n->n_runtimes++;
}

int resolver_new(sd_event *loop, const struct names_config *cfg, names_learned_fn learned,
                 void *userdata, struct resolver **ret)
{
        struct resolver *n = calloc(1, sizeof(*n));
        struct name_cache_params p = {
                .ttl_usec = cfg->ttl_usec,
                .retry_first_usec = RETRY_FIRST_USEC,
                .retry_max_usec = cfg->retry_max_usec,
                .max_entries = NAME_CACHE_MAX,
        };
        int r;

        if (!n)
                return -ENOMEM;
        n->loop = sd_event_ref(loop);
        n->config = *cfg;
        n->learned = learned;
        n->userdata = userdata;
        n->tracked = hashmap_new_string();
        r = n->tracked ? name_cache_new(&p, &n->cache) : -ENOMEM;
        if (r >= 0)
                r = http_client_new(loop, &n->http);
        if (r >= 0)
                r = sd_event_add_defer(loop, &n->kick, on_kick, n);
        if (r >= 0)
                r = sd_event_source_set_enabled(n->kick, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time(loop, &n->retry, CLOCK_MONOTONIC, UINT64_MAX,
                                      RETRY_FIRST_USEC / 10, on_retry, n);
        if (r < 0) {
                resolver_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

void resolver_free(struct resolver *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n_runtimes; i++) {
                if (n->runtimes[i].ops->done)
                        n->runtimes[i].ops->done(&n->runtimes[i]);
                free(n->runtimes[i].socket);
        }
        /* Cancels what is in flight, without callbacks: the lookups are freed here. */
        http_client_free(n->http);
        while (n->lookups)
                lookup_free(n->lookups);
        while (n->tracked_head)
                tracked_free(n, n->tracked_head);
        hashmap_free(n->tracked);
        name_cache_free(n->cache);
        free(n->queue);
        sd_event_source_disable_unref(n->kick);
        sd_event_source_disable_unref(n->retry);
        sd_event_unref(n->loop);
        free(n);
}
