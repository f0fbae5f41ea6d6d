/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the runtimes said about containers, by container id, so an event names
 * its container without asking anyone. Entries expire: a known container after
 * a long TTL (it is looked up again, and keeps its old names meanwhile), an
 * unknown one ("absent": the runtime said no, or did not answer) after a short
 * one that starts small and doubles, because a cgroup often appears before its
 * runtime lists the container. Bounded: past the limit the oldest entry goes.
 * Pure: time is passed in.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/container-meta.h"

enum name_state {
        NAME_MISSING, /* never asked, or forgotten: look it up */
        NAME_PENDING, /* a lookup is in flight */
        NAME_KNOWN,   /* *ret_meta is set */
        NAME_ABSENT,  /* the runtime does not know it (yet) */
};

struct name_cache_params {
        uint64_t ttl_usec;         /* a known entry, before it is looked up again */
        uint64_t retry_first_usec; /* an absent entry, first time */
        uint64_t retry_max_usec;   /* an absent entry, at most (the negative TTL) */
        size_t max_entries;
};

struct name_cache;

int name_cache_new(const struct name_cache_params *p, struct name_cache **ret);
void name_cache_free(struct name_cache *c);

/*
 * The state of id at now: an expired entry is NAME_MISSING again. *ret_meta is
 * the last meta the runtime gave, whatever the state (NULL if none), so names
 * never vanish while a refresh is in flight or the runtime is down. It stays
 * valid until the next change to the cache. ret_meta may be NULL.
 */
enum name_state name_cache_get(struct name_cache *c, const char *id, uint64_t now,
                               const struct container_meta **ret_meta);

/* Marks a lookup in flight. Returns 0 or -ENOMEM. */
int name_cache_set_pending(struct name_cache *c, const char *id, uint64_t now);

/* Stores what the runtime said; takes *m (left zeroed). Returns 0 or -ENOMEM. */
int name_cache_put(struct name_cache *c, const char *id, struct container_meta *m, uint64_t now);

/*
 * The runtime does not know id, or did not answer: absent until the retry time,
 * which doubles with every absent answer in a row and is returned in
 * *ret_retry_usec (may be NULL). A stale meta is kept (a runtime that is down
 * does not make names vanish). Returns 0 or -ENOMEM.
 */
int name_cache_put_absent(struct name_cache *c, const char *id, uint64_t now,
                          uint64_t *ret_retry_usec);

/* The container is gone (the runtime said so). */
void name_cache_forget(struct name_cache *c, const char *id);

size_t name_cache_size(const struct name_cache *c);
