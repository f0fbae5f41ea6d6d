/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/xattr.h>

#include "base/hashmap.h"
#include "base/log.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/walk.h"
#include "emit/json-util.h"

static void row_free(struct cg_table *t, struct cg_row *row)
{
        if (!row)
                return;
        memcg_reader_close(&row->reader);
        if (row->holds_files)
                t->n_holding--;
        if (row->ext && t->ext_free)
                t->ext_free(row->ext);
        free(row->path);
        free(row);
}

int cg_table_init(struct cg_table *t)
{
        *t = (struct cg_table){0};
        t->by_path = hashmap_new_string();
        return t->by_path ? 0 : -ENOMEM;
}

void cg_table_done(struct cg_table *t)
{
        for (size_t i = 0; i < t->n_rows; i++)
                row_free(t, t->rows[i]);
        free(t->rows);
        hashmap_free(t->by_path);
        read_buf_free(&t->buf);
        *t = (struct cg_table){0};
}

struct cg_row *cg_table_get(const struct cg_table *t, const char *path)
{
        return hashmap_get_string(t->by_path, path);
}

/* The refresh in progress: the rows seen so far, in walk order. */
struct refresh {
        struct cg_table *t;
        struct cg_row **seen;
        size_t n_seen;
        size_t allocated;
};

static int seen_append(struct refresh *rf, struct cg_row *row)
{
        if (rf->n_seen == rf->allocated) {
                size_t n = rf->allocated ? rf->allocated * 2 : 64;
                struct cg_row **rows = reallocarray(rf->seen, n, sizeof(*rows));
                if (!rows)
                        return -ENOMEM;
                rf->seen = rows;
                rf->allocated = n;
        }
        rf->seen[rf->n_seen++] = row;
        return 0;
}

static int row_sample(struct cg_table *t, struct cg_row *row, int dirfd, const char **file)
{
        if (!row->holds_files && (!t->keep_readers || t->n_holding >= t->max_holding))
                return memcg_sample_read_once(dirfd, &row->sample, file);
        if (!row->holds_files) {
                row->holds_files = 1;
                t->n_holding++;
        }
        int r = memcg_sample_read(&row->reader, dirfd, &row->sample, file);
        if (r == -EMFILE || r == -ENFILE) {
                /*
                 * Out of file descriptors all the same: from now on rows open and close
                 * their files each time (slower, never wrong); this one gives back its own.
                 */
                t->keep_readers = 0;
                memcg_reader_close(&row->reader);
                row->holds_files = 0;
                t->n_holding--;
                r = memcg_sample_read_once(dirfd, &row->sample, file);
        }
        return r;
}

/*
 * Rows keep their files open while that leaves fds for the walk (a dirfd per
 * level) and the rest: every row may hold one per memory.* file.
 */
static size_t holding_budget(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return SIZE_MAX;
        if (rl.rlim_cur < 256)
                return 0;
        return (size_t) (rl.rlim_cur - 128) / _MEMCG_FILE_COUNT;
}

static void row_read_throttle(struct cg_row *row, int dirfd)
{
        ssize_t n = fgetxattr(dirfd, XATTR_ORIGINAL_HIGH, row->throttle, sizeof(row->throttle) - 1);
        if (n < 0)
                n = 0;
        row->throttle[n] = '\0';
        row->throttle[strcspn(row->throttle, "\n")] = '\0';
}

static int collect_row(const struct cg_walk_entry *e, void *userdata)
{
        struct refresh *rf = userdata;
        struct cg_table *t = rf->t;
        const char *file = NULL;
        char path[PATH_MAX + 1];
        int fresh = 0;

        if (e->delegates_memory && !t->all)
                return 0;
        snprintf(path, sizeof(path), "/%s", e->path);
        struct cg_row *row = hashmap_get_string(t->by_path, path);
        if (!row) {
                row = calloc(1, sizeof(*row));
                if (!row || !(row->path = strdup(path))) {
                        free(row);
                        return -ENOMEM;
                }
                memcg_reader_init(&row->reader);
                memcg_reader_share_buf(&row->reader, &t->buf);
                fresh = 1;
        }
        row->depth = e->depth;
        row->is_leaf = !e->delegates_memory;
        int r = row_sample(t, row, e->dirfd, &file);
        if (r < 0) {
                int gone = errno_is_gone(r) && !cg_alive(e->dirfd);
                if (!gone) {
                        /* removed between listing and reading is not an error */
                        if (!t->quiet)
                                log_warning("/%s/%s: %s", e->path, file ? file : "?", strerror(-r));
                        t->n_failed++;
                }
                if (fresh)
                        row_free(t, row);
                return 0; /* an old row not seen this time is dropped after the walk */
        }
        if (t->read_throttle)
                row_read_throttle(row, e->dirfd);
        if (fresh && hashmap_put_string(t->by_path, row->path, row) < 0) {
                row_free(t, row);
                return -ENOMEM;
        }
        row->generation = t->generation;
        return seen_append(rf, row);
}

int cg_table_refresh(struct cg_table *t, int rootfd)
{
        struct refresh rf = {.t = t};

        t->generation++;
        t->n_failed = 0;
        t->max_holding = holding_budget();
        int r = cg_walk(rootfd, collect_row, &rf);
        /* Drop the rows whose cgroups went away (or could not be read this time). */
        for (size_t i = 0; i < t->n_rows; i++) {
                struct cg_row *row = t->rows[i];
                if (row->generation == t->generation)
                        continue;
                hashmap_remove_string(t->by_path, row->path);
                row_free(t, row);
        }
        free(t->rows);
        t->rows = rf.seen;
        t->n_rows = rf.n_seen;
        t->allocated = rf.allocated;
        return r < 0 ? r : 0;
}

static double key_current(const struct memcg_sample *s)
{
        return (double) s->current_bytes;
}
double cg_key_wset(const struct memcg_sample *s)
{
        return (double) memcg_working_set_bytes(s);
}
static double key_high(const struct memcg_sample *s)
{
        return (double) s->high_bytes;
}
static double key_max(const struct memcg_sample *s)
{
        return (double) s->max_bytes;
}
static double key_pct(const struct memcg_sample *s)
{
        return memcg_usage_pct_of_max(s);
}
static double key_anon(const struct memcg_sample *s)
{
        return (double) s->stat.anon;
}
static double key_file(const struct memcg_sample *s)
{
        return (double) s->stat.file;
}
static double key_kernel(const struct memcg_sample *s)
{
        return memcg_kernel_share_pct(s);
}
static double key_some(const struct memcg_sample *s)
{
        return s->psi.some.avg10;
}
static double key_full(const struct memcg_sample *s)
{
        return s->psi.full.avg10;
}
static double key_oom(const struct memcg_sample *s)
{
        return (double) s->events.oom_kill;
}

static const struct cg_sort_key sort_keys[] = {
        {"path", NULL},         {"current", key_current}, {"wset", cg_key_wset}, {"high", key_high},
        {"max", key_max},       {"pct", key_pct},         {"anon", key_anon},    {"file", key_file},
        {"kernel", key_kernel}, {"some", key_some},       {"full", key_full},    {"oom", key_oom},
};

const struct cg_sort_key *cg_sort_key_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(sort_keys); i++)
                if (strcmp(name, sort_keys[i].name) == 0)
                        return &sort_keys[i];
        return NULL;
}

static int compare_rows(const void *a, const void *b, void *userdata)
{
        const struct cg_row *x = *(struct cg_row *const *) a, *y = *(struct cg_row *const *) b;
        cg_key_fn key = *(const cg_key_fn *) userdata;

        if (key) {
                double vx = key(&x->sample), vy = key(&y->sample);
                if (vx != vy)
                        return vx < vy ? 1 : -1;
        }
        return strcmp(x->path, y->path);
}

void cg_rows_sort(struct cg_row **rows, size_t n, cg_key_fn key)
{
        qsort_r(rows, n, sizeof(*rows), compare_rows, &key);
}

static json_t *row_psi_json(const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_PSI))
                return json_null();
        return json_pack("{s:f, s:o}", "some_avg10", cg_psi_pct(s->psi.some.avg10), "full_avg10",
                         s->psi.has_full ? json_real(cg_psi_pct(s->psi.full.avg10)) : json_null());
}

json_t *cg_row_json(const struct cg_row *row)
{
        const struct memcg_sample *s = &row->sample;

        return json_pack(
                "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:o, s:o, "
                "s:o, s:o}",
                "path", row->path, "current_bytes", json_u64(s->current_bytes), "peak_bytes",
                s->have & MEMCG_HAVE_PEAK ? json_u64(s->peak_bytes) : json_null(),
                "working_set_bytes", json_u64(memcg_working_set_bytes(s)), "min_bytes",
                json_u64(s->min_bytes), "low_bytes", json_u64(s->low_bytes), "high_bytes",
                json_u64(s->high_bytes), "max_bytes", json_u64(s->max_bytes), "max_pct",
                json_pct(memcg_usage_pct_of_max(s)), "anon_bytes", json_u64(s->stat.anon),
                "file_bytes", json_u64(s->stat.file), "kernel_bytes",
                json_u64(memcg_kernel_bytes(s)), "kernel_share_pct", memcg_kernel_share_pct(s),
                "sock_bytes", json_u64(s->stat.sock), "swap_current_bytes",
                s->have & MEMCG_HAVE_SWAP ? json_u64(s->swap_current_bytes) : json_null(), "psi",
                row_psi_json(s), "events", json_memcg_events(&s->events));
}
