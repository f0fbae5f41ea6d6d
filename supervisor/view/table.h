/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What ps and top show: the registry's memory cgroups (leaves only unless all),
 * walked and sampled, in walk order or sorted. A row lives as long as its cgroup:
 * a refresh keeps it (and its open memory.* files) and drops the rows of cgroups
 * that went away, silently.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/xattrs.h"
#include "cgroupfs/sample.h"
#include "registry/registry.h"

/* Room for XATTR_ORIGINAL_HIGH's value ("max" or a byte count). */
#define CG_THROTTLE_MAX 32

struct view_table;

/* What a view keeps of a cgroup: the registry entry's ext. */
struct view_row {
        struct view_table *table;
        char throttle[CG_THROTTLE_MAX]; /* XATTR_ORIGINAL_HIGH's value, "" when not set */
        void *state;                    /* top's, freed with view_table.state_free */
};

static inline struct view_row *view_row_of(const struct cgroup *cg)
{
        return cg->ext;
}

struct view_table {
        struct registry reg;
        struct cgroup **rows; /* after a refresh: walk order, parents before children */
        size_t n_rows;
        size_t allocated;
        bool all;           /* every memory cgroup, not only leaves */
        bool read_throttle; /* read XATTR_ORIGINAL_HIGH */
        bool quiet;         /* do not log unreadable cgroups (a full-screen view owns stderr) */
        unsigned n_failed;  /* cgroups that could not be read in the last refresh */
        void (*state_free)(void *state);
};

/* rules: which cgroups are containers (cgroup.is_container). */
int view_table_init(struct view_table *t, const struct classify_rules *rules);
void view_table_done(struct view_table *t);

/* Walks rootfd and samples every cgroup; returns 0 or the walk's -errno. */
int view_table_refresh(struct view_table *t, int rootfd);

/* The row of path ("/a/b"), or NULL. */
struct cgroup *view_table_get(const struct view_table *t, const char *path);

/* A numeric sort key; larger values sort first. NULL: by path, ascending. */
typedef double (*view_key_fn)(const struct memcg_sample *s);

struct view_sort_key {
        const char *name;
        view_key_fn value;
};

/* ps's keys: path, current, wset, high, max, pct, anon, file, kernel, some, full, oom. */
const struct view_sort_key *view_sort_key_find(const char *name);
double view_key_wset(const struct memcg_sample *s);

/* Sorts by key (largest first), then by path. */
void view_rows_sort(struct cgroup **rows, size_t n, view_key_fn key);

/* PSI averages are kept in hundredths of a percent. */
static inline double view_psi_pct(uint32_t hundredths)
{
        return hundredths / 100.0;
}

/* The row as cgmem ps --json prints it (top adds its own fields). */
json_t *view_row_json(const struct cgroup *row);
