/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgmem top's processes view (Enter on a container): its processes with their
 * RSS split into anon, file and shmem, swap, PSS and USS where they were read,
 * and each one's growth, sorted like the containers. Pure: each refresh's
 * snapshot (cgroupfs/procs.h) and the time come in; top.c reads them.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/procs.h"

enum top_proc_col {
        TOP_PROC_PID,
        TOP_PROC_COMM,
        TOP_PROC_RSS,
        TOP_PROC_ANON,
        TOP_PROC_FILE,
        TOP_PROC_SHMEM,
        TOP_PROC_SWAP,
        TOP_PROC_PSS,
        TOP_PROC_USS,
        TOP_PROC_GROWTH,
        _TOP_PROC_COL_MAX,
        _TOP_PROC_COL_INVALID = -EINVAL,
};

const char *top_proc_col_to_string(enum top_proc_col c);
enum top_proc_col top_proc_col_from_string(const char *s);

/* The processes a refresh reads at most (the largest by RSS + swap). */
#define TOP_PROCS_MAX 512

struct top_proc_row {
        struct proc_memory m;
        bool has_growth;             /* seen at an earlier refresh */
        double growth_bytes_per_sec; /* RSS + swap, smoothed over a few seconds */
};

struct top_procs {
        char *cgroup; /* the path below the root, as the events show it */
        struct top_proc_row *rows;
        size_t n_rows;
        struct top_proc_row *prev; /* the previous refresh, by pid */
        size_t n_prev;
        uint64_t prev_usec;
        size_t n_procs; /* in the cgroup, read or not */
        size_t n_smaps; /* rows whose PSS and USS were read */
        bool complete;  /* every process was read */
        int error;      /* -errno of the last read (-ENOENT: the cgroup is gone); 0 */
        unsigned n_refreshes;
        enum top_proc_col sort_col;
        bool reverse;
};

int top_procs_init(struct top_procs *p, const char *cgroup);
void top_procs_done(struct top_procs *p);

/*
 * Takes a refresh's snapshot (n processes of n_procs, complete when all were
 * read) at now_usec: growth against the previous one, then sorts. -ENOMEM.
 */
int top_procs_update(struct top_procs *p, const struct proc_memory *m, size_t n, size_t n_procs,
                     bool complete, uint64_t now_usec);

/* The read failed (the cgroup went away, ...): the rows stay, the error is shown. */
void top_procs_failed(struct top_procs *p, int error);

/* Sorts the rows by sort_col (largest first, the command and pid A-Z), reverse flips it. */
void top_procs_sort(struct top_procs *p);

/* Picks the sort column: the same one again reverses the order. */
void top_procs_set_sort(struct top_procs *p, enum top_proc_col c);
