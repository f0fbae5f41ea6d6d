/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The memory cgroups of a tree, walked and sampled: the table cgmem ps prints
 * once and cgmem top refreshes. A row lives as long as its cgroup: refreshing
 * keeps it (and, with keep_readers, its open memory.* files) and drops the rows
 * of cgroups that went away, silently.
 */

#include <jansson.h>
#include <stddef.h>

#include "base/xattrs.h"
#include "cgroupfs/sample.h"

/* Room for XATTR_ORIGINAL_HIGH's value ("max" or a byte count). */
#define CG_THROTTLE_MAX 32

struct cg_row {
        char *path;     /* "/system.slice/foo.service": below the root, leading slash */
        unsigned depth; /* 1 for the root's children */
        int is_leaf;    /* does not pass memory on to children */
        struct memcg_sample sample;
        struct memcg_reader reader;     /* with keep_readers: the files stay open */
        char throttle[CG_THROTTLE_MAX]; /* XATTR_ORIGINAL_HIGH's value, "" when not set */
        unsigned generation;            /* the refresh that last saw it */
        int holds_files;                /* reader has files open */
        void *ext;                      /* the user's state, freed with cg_table.ext_free */
};

struct cg_table {
        struct cg_row **rows; /* after a refresh: walk order, parents before children */
        size_t n_rows;
        size_t allocated;
        struct hashmap *by_path;
        unsigned generation;
        int all;            /* every memory cgroup, not only leaves */
        int keep_readers;   /* keep each row's files open between refreshes */
        int read_throttle;  /* read XATTR_ORIGINAL_HIGH */
        int quiet;          /* do not log unreadable cgroups (a full-screen view owns stderr) */
        unsigned n_failed;  /* cgroups that could not be read in the last refresh */
        size_t n_holding;   /* rows whose files are open */
        size_t max_holding; /* how many may be, from RLIMIT_NOFILE */
        void (*ext_free)(void *ext);
        struct read_buf buf; /* one read buffer for every row's reader */
};

int cg_table_init(struct cg_table *t);
void cg_table_done(struct cg_table *t);

/* Walks rootfd and samples every cgroup; returns 0 or the walk's -errno. */
int cg_table_refresh(struct cg_table *t, int rootfd);

/* The row of path ("/a/b"), or NULL. */
struct cg_row *cg_table_get(const struct cg_table *t, const char *path);

/* A numeric sort key; larger values sort first. NULL: by path, ascending. */
typedef double (*cg_key_fn)(const struct memcg_sample *s);

struct cg_sort_key {
        const char *name;
        cg_key_fn value;
};

/* ps's keys: path, current, wset, high, max, pct, anon, file, kernel, some, full, oom. */
const struct cg_sort_key *cg_sort_key_find(const char *name);
double cg_key_wset(const struct memcg_sample *s);

/* Sorts by key (largest first), then by path. */
void cg_rows_sort(struct cg_row **rows, size_t n, cg_key_fn key);

/* PSI averages are kept in hundredths of a percent. */
static inline double cg_psi_pct(uint32_t hundredths)
{
        return hundredths / 100.0;
}

/* The row as cgmem ps --json prints it (top adds its own fields). */
json_t *cg_row_json(const struct cg_row *row);
