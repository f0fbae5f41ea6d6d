/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A chained hash map from a string or an integer to a pointer: the watch table
 * finds a cgroup by path (discovery) and by inotify watch descriptor (events),
 * the name cache a container by id. Not about cgroupfs, but shared by both
 * libraries and the supervisor, so it lives beside macro.h.
 * The map does not own keys or values; string keys must outlive their entry.
 */

#include <stddef.h>
#include <stdint.h>

struct hashmap;

struct hashmap *hashmap_new_string(void);
struct hashmap *hashmap_new_int(void);
void hashmap_free(struct hashmap *m);

/* Returns 0, -EEXIST if the key is there, or -ENOMEM. */
int hashmap_put_string(struct hashmap *m, const char *key, void *value);
int hashmap_put_int(struct hashmap *m, int64_t key, void *value);

void *hashmap_get_string(const struct hashmap *m, const char *key);
void *hashmap_get_int(const struct hashmap *m, int64_t key);

/* Removes the entry; returns its value or NULL. */
void *hashmap_remove_string(struct hashmap *m, const char *key);
void *hashmap_remove_int(struct hashmap *m, int64_t key);

size_t hashmap_size(const struct hashmap *m);

/* FNV-1a of a string, as the string maps hash their keys. */
uint64_t hash_string(const char *s);
