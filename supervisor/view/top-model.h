/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The data of cgmem top, without a terminal: the cgroup table kept across
 * refreshes, each row's history (events at start, working-set growth), the
 * columns and their sort order, the filter, and the flat or tree view.
 * Time is passed in (CLOCK_MONOTONIC microseconds), never read here.
 */

#include <stddef.h>
#include <stdint.h>

#include "policy/growth.h"
#include "registry/classify.h"
#include "view/table.h"

struct names_session;

enum top_col {
        TOP_COL_NAME,
        TOP_COL_POD,
        TOP_COL_CURRENT,
        TOP_COL_WSET,
        TOP_COL_HIGH,
        TOP_COL_MAX,
        TOP_COL_PCT,
        TOP_COL_ANON,
        TOP_COL_FILE,
        TOP_COL_KERNEL,
        TOP_COL_SWAP,
        TOP_COL_SOME,
        TOP_COL_FULL,
        TOP_COL_EV_HIGH,
        TOP_COL_EV_MAX,
        TOP_COL_EV_OOMK,
        TOP_COL_THROTTLE,
        TOP_COL_GROWTH,
        TOP_COL_ETA,
        _TOP_COL_COUNT,
};

/* The --sort name of a column ("name", "wset", "growth", ...); NULL if out of range. */
const char *top_col_name(enum top_col c);
/* Returns the column for a --sort name, or -EINVAL. */
int top_col_from_name(const char *name);

#define TOP_NAME_MAX 80

/* Seconds until bytes reach max at rate; -1 when they never do (no max, rate <= 0). */
double top_eta_sec(uint64_t max_bytes, uint64_t bytes, double rate);

/* What GROWTH shows: the footprint the policy judges (unreclaimable memory and swap). */
uint64_t top_footprint_bytes(const struct memcg_sample *s);

/* Per-row state, the cg_row's ext. */
struct top_row_state {
        char name[TOP_NAME_MAX];
        char pod[TOP_NAME_MAX];
        struct memcg_events start_events; /* at the first sample: deltas are since start */
        struct growth growth;             /* the policy's estimator, on the footprint */
        /* rebuilt with the view */
        int included;
        size_t view_index;
        struct cgroup *first_child, *next_sibling, *last_child;
};

struct top_item {
        struct cgroup *row;
        unsigned indent; /* tree levels below the view's top */
};

struct top_model {
        struct view_table table;
        struct classify_rules rules;
        enum top_col sort_col;
        int reverse;
        int tree;
        char filter[128];
        unsigned n_refreshes;
        struct top_item *items; /* the view */
        size_t n_items;
        size_t allocated;
        size_t n_containers;       /* matching the classification, before the filter */
        struct psi_stats root_psi; /* the root's memory.pressure: the whole node */
        int have_root_psi;
        struct read_buf buf;
        struct names_session *names; /* NULL: cgroup-path names only */
        uint64_t growth_tau_usec;    /* the policy's: what a kill event reports */
};

int top_model_init(struct top_model *m);
void top_model_done(struct top_model *m);

/* The runtimes' names for every row the cache knows (asks about the others). */
void top_model_apply_names(struct top_model *m);

/* Samples the tree and updates each row's history. */
int top_model_refresh(struct top_model *m, int rootfd, uint64_t now_usec);

/* Rebuilds the view: classification, filter, sort, tree. */
int top_model_build_view(struct top_model *m);

/* Accessors used by the renderer and the JSON output. */
static inline struct top_row_state *top_state(const struct cgroup *row)
{
        return view_row_of(row)->state;
}

/* Events since the start of top (0 for a cgroup whose counters were reset). */
uint64_t top_event_delta(uint64_t now, uint64_t start);

/*
 * The sort value of row for column c; 0 when the row has none (shown "-"), which
 * sorts after every row that has one.
 */
int top_sort_value(const struct cgroup *row, enum top_col c, double *ret);
