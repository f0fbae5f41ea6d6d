/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "name-cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/list.h"

struct name_entry {
        struct name_entry *prev, *next; /* oldest first, by last answer */
        char *id;
        enum name_state state;
        bool has_meta;
        struct container_meta meta;
        uint64_t expires_usec;
        unsigned absent_streak;
};

struct name_cache {
        struct name_cache_params params;
        struct hashmap *by_id;
        struct name_entry *head, *tail;
};

int name_cache_new(const struct name_cache_params *p, struct name_cache **ret)
{
        struct name_cache *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->params = *p;
        c->by_id = hashmap_new_string();
        if (!c->by_id) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static void unlink_entry(struct name_cache *c, struct name_entry *e)
{
        LIST_REMOVE_TAIL(c->head, c->tail, e);
}

static void append_entry(struct name_cache *c, struct name_entry *e)
{
        LIST_APPEND(c->head, c->tail, e);
}

static void entry_free(struct name_cache *c, struct name_entry *e)
{
        hashmap_remove_string(c->by_id, e->id);
        unlink_entry(c, e);
        container_meta_done(&e->meta);
        free(e->id);
        free(e);
}

void name_cache_free(struct name_cache *c)
{
        if (!c)
                return;
        while (c->head)
                entry_free(c, c->head);
        hashmap_free(c->by_id);
        free(c);
}

size_t name_cache_size(const struct name_cache *c)
{
        return hashmap_size(c->by_id);
}

/* The entry for id, made (and the oldest evicted past the limit) if there is none. */
static struct name_entry *entry_get_or_add(struct name_cache *c, const char *id)
{
        struct name_entry *e = hashmap_get_string(c->by_id, id);

        if (e)
                return e;
        if (c->params.max_entries && name_cache_size(c) >= c->params.max_entries && c->head)
                entry_free(c, c->head);
        e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->id = strdup(id);
        if (!e->id || hashmap_put_string(c->by_id, e->id, e) < 0) {
                free(e->id);
                free(e);
                return NULL;
        }
        e->state = NAME_MISSING;
        append_entry(c, e);
        return e;
}

enum name_state name_cache_get(struct name_cache *c, const char *id, uint64_t now,
                               const struct container_meta **ret_meta)
{
        struct name_entry *e = hashmap_get_string(c->by_id, id);
        enum name_state state = NAME_MISSING;

        if (e) {
                state = e->state;
                if ((state == NAME_KNOWN || state == NAME_ABSENT) && now >= e->expires_usec)
                        state = NAME_MISSING;
        }
        if (ret_meta)
                *ret_meta = e && e->has_meta ? &e->meta : NULL;
        return state;
}

int name_cache_set_pending(struct name_cache *c, const char *id, uint64_t now)
{
        struct name_entry *e = entry_get_or_add(c, id);

        (void) now;
        if (!e)
                return -ENOMEM;
        e->state = NAME_PENDING;
        return 0;
}

/* An answer makes the entry the youngest: eviction takes the longest unanswered. */
static void touch(struct name_cache *c, struct name_entry *e)
{
        unlink_entry(c, e);
        append_entry(c, e);
}

int name_cache_put(struct name_cache *c, const char *id, struct container_meta *m, uint64_t now)
{
        struct name_entry *e = entry_get_or_add(c, id);

        if (!e)
                return -ENOMEM;
        container_meta_done(&e->meta);
        e->meta = *m;
        memset(m, 0, sizeof(*m));
        e->has_meta = true;
        e->state = NAME_KNOWN;
        e->expires_usec = now + c->params.ttl_usec;
        e->absent_streak = 0;
        touch(c, e);
        return 0;
}

int name_cache_put_absent(struct name_cache *c, const char *id, uint64_t now,
                          uint64_t *ret_retry_usec)
{
        struct name_entry *e = entry_get_or_add(c, id);

        if (!e)
                return -ENOMEM;
        uint64_t delay = c->params.retry_first_usec;
        for (unsigned i = 0; i < e->absent_streak && delay < c->params.retry_max_usec; i++)
                delay *= 2;
        if (delay > c->params.retry_max_usec)
                delay = c->params.retry_max_usec;
        e->absent_streak++;
        e->state = NAME_ABSENT;
        e->expires_usec = now + delay;
        touch(c, e);
        if (ret_retry_usec)
                *ret_retry_usec = e->expires_usec;
        return 0;
}

void name_cache_forget(struct name_cache *c, const char *id)
{
        struct name_entry *e = hashmap_get_string(c->by_id, id);

        if (e)
                entry_free(c, e);
}
