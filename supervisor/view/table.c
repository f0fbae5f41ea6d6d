/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/xattr.h>

#include "base/array.h"
#include "base/json-util.h"
#include "base/log.h"
#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"

static void row_free(struct cgroup *cg)
{
        struct view_table *t = cg->ext ? view_row_of(cg)->table : NULL;

        if (t && t->state_free && view_row_of(cg)->state)
                t->state_free(view_row_of(cg)->state);
        free(cg->ext);
        cg->ext = NULL;
}

int view_table_init(struct view_table *t, const struct classify_rules *rules)
{
        *t = (struct view_table){0};
        int r = registry_init(&t->reg, rules, false);
        t->reg.ext_free = row_free;
        return r;
}

void view_table_done(struct view_table *t)
{
        registry_done(&t->reg);
        free(t->rows);
        *t = (struct view_table){0};
}

struct cgroup *view_table_get(const struct view_table *t, const char *path)
{
        return registry_by_path(&t->reg, path);
}

static void row_read_throttle(struct view_row *row, int dirfd)
{
        ssize_t n = fgetxattr(dirfd, XATTR_ORIGINAL_HIGH, row->throttle, sizeof(row->throttle) - 1);
        if (n < 0)
                n = 0;
        row->throttle[n] = '\0';
        row->throttle[strcspn(row->throttle, "\n")] = '\0';
}

static int rows_append(struct view_table *t, struct cgroup *cg)
{
        if (!GREEDY_REALLOC(t->rows, t->allocated, t->n_rows + 1))
                return -ENOMEM;
        t->rows[t->n_rows++] = cg;
        return 0;
}

static int visit(struct registry *reg, struct cgroup *cg, int dirfd, bool added, void *userdata)
{
        struct view_table *t = userdata;
        const char *file = NULL;

        (void) added;
        if (cg->delegates_memory && !t->all)
                return 0;
        if (!cg->ext && !(cg->ext = calloc(1, sizeof(struct view_row))))
                return -ENOMEM;
        view_row_of(cg)->table = t;
        int r = registry_sample(reg, cg, dirfd, MEMCG_FILES_ALL, &file);
        if (r < 0) {
                /* removed between listing and reading is not an error */
                if (!(errno_is_gone(r) && !cg_alive(dirfd))) {
                        if (!t->quiet)
                                log_warning("%s/%s: %s", cg->path, file ? file : "?", strerror(-r));
                        t->n_failed++;
                }
                cg->sampled = false;
                return 0;
        }
        cg->sampled = true;
        if (t->read_throttle)
                row_read_throttle(view_row_of(cg), dirfd);
        return rows_append(t, cg);
}

int view_table_refresh(struct view_table *t, int rootfd)
{
        static const struct registry_scan_ops ops = {.visit = visit};

        t->n_failed = 0;
        t->n_rows = 0;
        return registry_scan(&t->reg, rootfd, &ops, t);
}

static double key_current(const struct memcg_sample *s)
{
        return (double) s->current_bytes;
}
double view_key_wset(const struct memcg_sample *s)
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

static const struct view_sort_key sort_keys[] = {
        {"path", NULL},     {"current", key_current}, {"wset", view_key_wset},
        {"high", key_high}, {"max", key_max},         {"pct", key_pct},
        {"anon", key_anon}, {"file", key_file},       {"kernel", key_kernel},
        {"some", key_some}, {"full", key_full},       {"oom", key_oom},
};

const struct view_sort_key *view_sort_key_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(sort_keys); i++)
                if (strcmp(name, sort_keys[i].name) == 0)
                        return &sort_keys[i];
        return NULL;
}

static int compare_rows(const void *a, const void *b, void *userdata)
{
        const struct cgroup *x = *(struct cgroup *const *) a, *y = *(struct cgroup *const *) b;
        view_key_fn key = *(const view_key_fn *) userdata;

        if (key) {
                double vx = key(&x->sample), vy = key(&y->sample);
                if (vx != vy)
                        return vx < vy ? 1 : -1;
        }
        return strcmp(x->path, y->path);
}

void view_rows_sort(struct cgroup **rows, size_t n, view_key_fn key)
{
        qsort_r(rows, n, sizeof(*rows), compare_rows, &key);
}

static json_t *row_psi_json(const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_PSI))
                return json_null();
        return JSON_OBJECT({"some_avg10", json_real(view_psi_pct(s->psi.some.avg10))},
                           {"full_avg10", s->psi.has_full
                                                  ? json_real(view_psi_pct(s->psi.full.avg10))
                                                  : json_null()});
}

json_t *view_row_json(const struct cgroup *row)
{
        const struct memcg_sample *s = &row->sample;

        return JSON_OBJECT(
                {"path", json_string(row->path)}, {"current_bytes", json_u64(s->current_bytes)},
                {"peak_bytes", s->have & MEMCG_HAVE_PEAK ? json_u64(s->peak_bytes) : json_null()},
                {"working_set_bytes", json_u64(memcg_working_set_bytes(s))},
                {"min_bytes", json_u64(s->min_bytes)}, {"low_bytes", json_u64(s->low_bytes)},
                {"high_bytes", json_u64(s->high_bytes)}, {"max_bytes", json_u64(s->max_bytes)},
                {"max_pct", json_pct(memcg_usage_pct_of_max(s))},
                {"anon_bytes", json_u64(s->stat.anon)}, {"file_bytes", json_u64(s->stat.file)},
                {"kernel_bytes", json_u64(memcg_kernel_bytes(s))},
                {"kernel_share_pct", json_real(memcg_kernel_share_pct(s))},
                {"sock_bytes", json_u64(s->stat.sock)},
                {"swap_current_bytes",
                 s->have & MEMCG_HAVE_SWAP ? json_u64(s->swap_current_bytes) : json_null()},
                {"psi", row_psi_json(s)}, {"events", json_memcg_events(&s->events)});
}
