/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "top-procs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"

/* Growth is smoothed over about this long: a refresh's jitter is not a leak. */
#define GROWTH_TAU_USEC UINT64_C(3000000)

static const char *const col_names[_TOP_PROC_COL_MAX] = {
        [TOP_PROC_PID] = "pid",       [TOP_PROC_COMM] = "command", [TOP_PROC_RSS] = "rss",
        [TOP_PROC_ANON] = "anon",     [TOP_PROC_FILE] = "file",    [TOP_PROC_SHMEM] = "shmem",
        [TOP_PROC_SWAP] = "swap",     [TOP_PROC_PSS] = "pss",      [TOP_PROC_USS] = "uss",
        [TOP_PROC_GROWTH] = "growth",
};

const char *top_proc_col_to_string(enum top_proc_col c)
{
        return c >= 0 && c < _TOP_PROC_COL_MAX ? col_names[c] : NULL;
}

enum top_proc_col top_proc_col_from_string(const char *s)
{
        for (int c = 0; s && c < _TOP_PROC_COL_MAX; c++)
                if (strcmp(s, col_names[c]) == 0)
                        return (enum top_proc_col) c;
        return _TOP_PROC_COL_INVALID;
}

int top_procs_init(struct top_procs *p, const char *cgroup)
{
        *p = (struct top_procs){.sort_col = TOP_PROC_RSS};
        p->cgroup = strdup(cgroup);
        return p->cgroup ? 0 : -ENOMEM;
}

void top_procs_done(struct top_procs *p)
{
        free(p->cgroup);
        free(p->rows);
        free(p->prev);
        *p = (struct top_procs){0};
}

static int by_pid(const void *a, const void *b)
{
        pid_t x = ((const struct top_proc_row *) a)->m.pid,
              y = ((const struct top_proc_row *) b)->m.pid;
        return (x > y) - (x < y);
}

static uint64_t weight(const struct proc_memory *m)
{
        return proc_rss_bytes(m) + m->swap_bytes;
}

/* Growth against the previous refresh's row of the same pid, smoothed. */
static void take_growth(const struct top_procs *p, struct top_proc_row *row, uint64_t now_usec)
{
        struct top_proc_row key = {.m.pid = row->m.pid};
        const struct top_proc_row *was =
                p->n_prev ? bsearch(&key, p->prev, p->n_prev, sizeof(key), by_pid) : NULL;

        if (!was || now_usec <= p->prev_usec)
                return;
        double dt = (double) (now_usec - p->prev_usec);
        double rate = ((double) weight(&row->m) - (double) weight(&was->m)) / (dt / 1e6);
        double alpha = 1.0 - exp(-dt / (double) GROWTH_TAU_USEC);
        row->growth_bytes_per_sec =
                was->has_growth
                        ? was->growth_bytes_per_sec + alpha * (rate - was->growth_bytes_per_sec)
                        : rate;
        row->has_growth = true;
}

int top_procs_update(struct top_procs *p, const struct proc_memory *m, size_t n, size_t n_procs,
                     bool complete, uint64_t now_usec)
{
        struct top_proc_row *rows = calloc(n ? n : 1, sizeof(*rows));

        if (!rows)
                return -ENOMEM;
        p->n_smaps = 0;
        for (size_t i = 0; i < n; i++) {
                rows[i].m = m[i];
                take_growth(p, &rows[i], now_usec);
                p->n_smaps += m[i].pss_bytes != PROC_VALUE_UNKNOWN;
        }
        /* This refresh becomes the previous one, kept by pid for the next. */
        struct top_proc_row *prev = malloc((n ? n : 1) * sizeof(*prev));
        if (!prev) {
                free(rows);
                return -ENOMEM;
        }
        memcpy(prev, rows, n * sizeof(*rows));
        qsort(prev, n, sizeof(*prev), by_pid);
        free(p->prev);
        p->prev = prev;
        p->n_prev = n;
        p->prev_usec = now_usec;
        free(p->rows);
        p->rows = rows;
        p->n_rows = n;
        p->n_procs = n_procs;
        p->complete = complete;
        p->error = 0;
        p->n_refreshes++;
        top_procs_sort(p);
        return 0;
}

void top_procs_failed(struct top_procs *p, int error)
{
        p->error = error;
}

/* The sort value of a column; a value not read sorts last. */
static bool sort_value(const struct top_proc_row *r, enum top_proc_col c, double *ret)
{
        const struct proc_memory *m = &r->m;
        uint64_t v;

        switch (c) {
        case TOP_PROC_RSS:
                v = proc_rss_bytes(m);
                break;
        case TOP_PROC_ANON:
                v = m->rss_anon_bytes;
                break;
        case TOP_PROC_FILE:
                v = m->rss_file_bytes;
                break;
        case TOP_PROC_SHMEM:
                v = m->rss_shmem_bytes;
                break;
        case TOP_PROC_SWAP:
                v = m->swap_bytes;
                break;
        case TOP_PROC_PSS:
                v = m->pss_bytes;
                break;
        case TOP_PROC_USS:
                v = m->uss_bytes;
                break;
        case TOP_PROC_GROWTH:
                *ret = r->growth_bytes_per_sec;
                return r->has_growth;
        default:
                return false;
        }
        *ret = (double) v;
        return v != PROC_VALUE_UNKNOWN;
}

static int compare(const struct top_proc_row *a, const struct top_proc_row *b, enum top_proc_col c)
{
        double x = 0, y = 0;

        if (c == TOP_PROC_COMM) {
                int r = strcmp(a->m.comm, b->m.comm);
                if (r)
                        return r;
        } else if (c != TOP_PROC_PID) {
                bool hx = sort_value(a, c, &x), hy = sort_value(b, c, &y);
                if (hx != hy)
                        return hx ? -1 : 1;
                if (x != y)
                        return x > y ? -1 : 1;
        }
        return (a->m.pid > b->m.pid) - (a->m.pid < b->m.pid);
}

static int compare_rows(const void *a, const void *b, void *userdata)
{
        const struct top_procs *p = userdata;
        int r = compare(a, b, p->sort_col);
        return p->reverse ? -r : r;
}

void top_procs_sort(struct top_procs *p)
{
        qsort_r(p->rows, p->n_rows, sizeof(*p->rows), compare_rows, p);
}

void top_procs_set_sort(struct top_procs *p, enum top_proc_col c)
{
        if (c < 0 || c >= _TOP_PROC_COL_MAX)
                return;
        p->reverse = p->sort_col == c ? !p->reverse : false;
        p->sort_col = c;
        top_procs_sort(p);
}
