/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
        struct entry *next;
        const char *skey;
        int64_t ikey;
        uint64_t hash;
        void *value;
};

struct hashmap {
        struct entry **buckets;
        size_t n_buckets; /* a power of two */
        size_t n_entries;
        int string_keys;
};

/* FNV-1a: cgroup paths share long prefixes, and FNV mixes every byte. */
uint64_t hash_string(const char *s)
{
        uint64_t h = UINT64_C(14695981039346656037);
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return h;
}

/* splitmix64's finaliser: watch descriptors are small consecutive integers. */
static uint64_t hash_int(int64_t k)
{
        uint64_t x = (uint64_t) k + UINT64_C(0x9e3779b97f4a7c15);
        x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
        return x ^ (x >> 31);
}

static struct hashmap *hashmap_new(int string_keys)
{
        struct hashmap *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->n_buckets = 64;
        m->buckets = calloc(m->n_buckets, sizeof(*m->buckets));
        if (!m->buckets) {
                free(m);
                return NULL;
        }
        m->string_keys = string_keys;
        return m;
}

struct hashmap *hashmap_new_string(void)
{
        return hashmap_new(1);
}

struct hashmap *hashmap_new_int(void)
{
        return hashmap_new(0);
}

void hashmap_free(struct hashmap *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_buckets; i++)
                for (struct entry *e = m->buckets[i], *next; e; e = next) {
                        next = e->next;
                        free(e);
                }
        free(m->buckets);
        free(m);
}

static int key_equal(const struct hashmap *m, const struct entry *e, uint64_t hash,
                     const char *skey, int64_t ikey)
{
        if (e->hash != hash)
                return 0;
        return m->string_keys ? strcmp(e->skey, skey) == 0 : e->ikey == ikey;
}

static struct entry **find_slot(const struct hashmap *m, uint64_t hash, const char *skey,
                                int64_t ikey)
{
        struct entry **slot = &m->buckets[hash & (m->n_buckets - 1)];
        while (*slot && !key_equal(m, *slot, hash, skey, ikey))
                slot = &(*slot)->next;
        return slot;
}

/* Doubles the buckets when the load passes 1; a failed grow just keeps chains longer. */
static void maybe_grow(struct hashmap *m)
{
        if (m->n_entries < m->n_buckets)
                return;
        size_t n = m->n_buckets * 2;
        struct entry **buckets = calloc(n, sizeof(*buckets));
        if (!buckets)
                return;
        for (size_t i = 0; i < m->n_buckets; i++)
                for (struct entry *e = m->buckets[i], *next; e; e = next) {
                        next = e->next;
                        e->next = buckets[e->hash & (n - 1)];
                        buckets[e->hash & (n - 1)] = e;
                }
        free(m->buckets);
        m->buckets = buckets;
        m->n_buckets = n;
}

static int put(struct hashmap *m, uint64_t hash, const char *skey, int64_t ikey, void *value)
{
        struct entry **slot = find_slot(m, hash, skey, ikey);
        if (*slot)
                return -EEXIST;
        struct entry *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        *e = (struct entry){.skey = skey, .ikey = ikey, .hash = hash, .value = value};
        *slot = e;
        m->n_entries++;
        maybe_grow(m);
        return 0;
}

static void *take(struct hashmap *m, uint64_t hash, const char *skey, int64_t ikey)
{
        struct entry **slot = find_slot(m, hash, skey, ikey);
        struct entry *e = *slot;
        if (!e)
                return NULL;
        void *value = e->value;
        *slot = e->next;
        free(e);
        m->n_entries--;
        return value;
}

int hashmap_put_string(struct hashmap *m, const char *key, void *value)
{
        return put(m, hash_string(key), key, 0, value);
}

int hashmap_put_int(struct hashmap *m, int64_t key, void *value)
{
        return put(m, hash_int(key), NULL, key, value);
}

void *hashmap_get_string(const struct hashmap *m, const char *key)
{
        struct entry *e = *find_slot(m, hash_string(key), key, 0);
        return e ? e->value : NULL;
}

void *hashmap_get_int(const struct hashmap *m, int64_t key)
{
        struct entry *e = *find_slot(m, hash_int(key), NULL, key);
        return e ? e->value : NULL;
}

void *hashmap_remove_string(struct hashmap *m, const char *key)
{
        return take(m, hash_string(key), key, 0);
}

void *hashmap_remove_int(struct hashmap *m, int64_t key)
{
        return take(m, hash_int(key), NULL, key);
}

size_t hashmap_size(const struct hashmap *m)
{
        return m->n_entries;
}
