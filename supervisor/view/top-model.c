/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "top-model.h"
#include "base/array.h"

#include "names/display.h"
#include "policy/policy.h"

#include "cri/identity.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "names/names-session.h"

static const char *const col_names[_TOP_COL_COUNT] = {
        [TOP_COL_NAME] = "name",         [TOP_COL_POD] = "pod",
        [TOP_COL_CURRENT] = "current",   [TOP_COL_WSET] = "wset",
        [TOP_COL_HIGH] = "high",         [TOP_COL_MAX] = "max",
        [TOP_COL_PCT] = "pct",           [TOP_COL_ANON] = "anon",
        [TOP_COL_FILE] = "file",         [TOP_COL_KERNEL] = "kernel",
        [TOP_COL_SWAP] = "swap",         [TOP_COL_SOME] = "some",
        [TOP_COL_FULL] = "full",         [TOP_COL_EV_HIGH] = "high-events",
        [TOP_COL_EV_MAX] = "max-events", [TOP_COL_EV_OOMK] = "oom-kills",
        [TOP_COL_THROTTLE] = "throttle", [TOP_COL_GROWTH] = "growth",
        [TOP_COL_ETA] = "eta",
};

const char *top_col_name(enum top_col c)
{
        return c < _TOP_COL_COUNT ? col_names[c] : NULL;
}

int top_col_from_name(const char *name)
{
        for (int c = 0; c < _TOP_COL_COUNT; c++)
                if (strcmp(name, col_names[c]) == 0)
                        return c;
        if (strcmp(name, "path") == 0)
                return TOP_COL_NAME;
        if (strcmp(name, "oom") == 0)
                return TOP_COL_EV_OOMK;
        return -EINVAL;
}

static int top_col_ascending(enum top_col c)
{
        return c == TOP_COL_NAME || c == TOP_COL_POD || c == TOP_COL_ETA;
}

double top_eta_sec(uint64_t max_bytes, uint64_t bytes, double rate)
{
        if (max_bytes == CG_VALUE_MAX || !(rate > 0))
                return -1;
        if (bytes >= max_bytes)
                return 0;
        return (double) (max_bytes - bytes) / rate;
}

uint64_t top_footprint_bytes(const struct memcg_sample *s)
{
        return memcg_unreclaimable_bytes(s) + s->swap_current_bytes;
}

/* What the NAME and POD columns show: from the path, then from the runtime once it answers. */
static void row_names(const struct cgroup *row, const struct container_meta *meta,
                      struct top_row_state *st)
{
        const char *slash = strrchr(row->path, '/');
        const char *last = slash && slash[1] ? slash + 1 : "/";

        names_display_name(&row->identity, meta, last, st->name, sizeof(st->name));
        names_display_pod(&row->identity, meta, st->pod, sizeof(st->pod));
}

static void apply_row_names(struct names_session *names, const struct cgroup *row,
                            struct top_row_state *st)
{
        struct container_identity id;
        const struct container_meta *meta = names_session_meta(names, row->path, &id);

        if (meta)
                row_names(row, meta, st);
}

void top_model_apply_names(struct top_model *m)
{
        if (!m->names)
                return;
        for (size_t i = 0; i < m->table.n_rows; i++)
                if (top_state(m->table.rows[i]))
                        apply_row_names(m->names, m->table.rows[i], top_state(m->table.rows[i]));
}

uint64_t top_event_delta(uint64_t now, uint64_t start)
{
        return now >= start ? now - start : 0;
}

static void state_free(void *p)
{
        free(p);
}

int top_model_init(struct top_model *m)
{
        struct policy_config pc;

        policy_config_defaults(&pc);
        *m = (struct top_model){.sort_col = TOP_COL_WSET, .growth_tau_usec = pc.rate_window_usec};
        /* Containers are told from the rest when the view is built, by m->rules. */
        int r = view_table_init(&m->table, &(struct classify_rules){0});
        if (r < 0)
                return r;
        m->table.all = true; /* the tree view shows the slices above the containers */
        m->table.read_throttle = true;
        m->table.state_free = state_free;
        return 0;
}

void top_model_done(struct top_model *m)
{
        view_table_done(&m->table);
        free(m->items);
        read_buf_free(&m->buf);
        *m = (struct top_model){0};
}

int top_model_refresh(struct top_model *m, int rootfd, uint64_t now_usec)
{
        int r = view_table_refresh(&m->table, rootfd);
        if (r < 0)
                return r;
        /* The root's memory.pressure is the node's (since 5.2; /proc/pressure/memory before). */
        m->have_root_psi = cg_read_at(rootfd, "memory.pressure", &m->buf) >= 0 &&
                           parse_psi(m->buf.data, m->buf.len, &m->root_psi) >= 0;
        for (size_t i = 0; i < m->table.n_rows; i++) {
                struct cgroup *row = m->table.rows[i];
                struct top_row_state *st = top_state(row);
                if (!st) {
                        st = calloc(1, sizeof(*st));
                        if (!st)
                                return -ENOMEM;
                        row_names(row, NULL, st);
                        st->start_events = row->sample.events;
                        view_row_of(row)->state = st;
                }
                growth_update(&st->growth, now_usec, top_footprint_bytes(&row->sample),
                              m->growth_tau_usec);
        }
        top_model_apply_names(m);
        m->n_refreshes++;
        return 0;
}

static int contains_nocase(const char *haystack, const char *needle)
{
        return strcasestr(haystack, needle) != NULL;
}

static int top_filter_matches(const struct cgroup *row, const char *filter)
{
        const struct top_row_state *st = top_state(row);

        if (!filter || !*filter)
                return 1;
        return contains_nocase(row->path, filter) ||
               (st && (contains_nocase(st->name, filter) || contains_nocase(st->pod, filter)));
}

int top_sort_value(const struct cgroup *row, enum top_col c, double *ret)
{
        const struct memcg_sample *s = &row->sample;
        const struct top_row_state *st = top_state(row);
        double v = 0, rate;

        switch (c) {
        case TOP_COL_NAME:
        case TOP_COL_POD:
                return 0; /* compared as strings */
        case TOP_COL_CURRENT:
                v = (double) s->current_bytes;
                break;
        case TOP_COL_WSET:
                v = (double) memcg_working_set_bytes(s);
                break;
        case TOP_COL_HIGH:
                v = (double) s->high_bytes;
                break;
        case TOP_COL_MAX:
                v = (double) s->max_bytes;
                break;
        case TOP_COL_PCT:
                v = memcg_usage_pct_of_max(s);
                if (v < 0)
                        return 0;
                break;
        case TOP_COL_ANON:
                v = (double) s->stat.anon;
                break;
        case TOP_COL_FILE:
                v = (double) s->stat.file;
                break;
        case TOP_COL_KERNEL:
                v = memcg_kernel_share_pct(s);
                break;
        case TOP_COL_SWAP:
                if (!(s->have & MEMCG_HAVE_SWAP))
                        return 0;
                v = (double) s->swap_current_bytes;
                break;
        case TOP_COL_SOME:
                if (!(s->have & MEMCG_HAVE_PSI))
                        return 0;
                v = s->psi.some.avg10;
                break;
        case TOP_COL_FULL:
                if (!(s->have & MEMCG_HAVE_PSI) || !s->psi.has_full)
                        return 0;
                v = s->psi.full.avg10;
                break;
        case TOP_COL_EV_HIGH:
                v = (double) s->events.high;
                break;
        case TOP_COL_EV_MAX:
                v = (double) s->events.max;
                break;
        case TOP_COL_EV_OOMK:
                v = (double) s->events.oom_kill;
                break;
        case TOP_COL_THROTTLE:
                if (!view_row_of(row)->throttle[0])
                        return 0;
                v = 1;
                break;
        case TOP_COL_GROWTH:
                if (!st || !growth_rate(&st->growth, &rate))
                        return 0;
                v = rate;
                break;
        case TOP_COL_ETA:
                if (!st || !growth_rate(&st->growth, &rate))
                        return 0;
                v = top_eta_sec(s->max_bytes, top_footprint_bytes(s), rate);
                if (v < 0)
                        return 0;
                break;
        default:
                return 0;
        }
        *ret = v;
        return 1;
}

static int top_compare(const struct top_model *m, const struct cgroup *a, const struct cgroup *b)
{
        const struct top_row_state *sa = top_state(a), *sb = top_state(b);
        enum top_col c = m->sort_col;
        int asc = top_col_ascending(c), d = 0;

        if (c == TOP_COL_NAME || c == TOP_COL_POD) {
                const char *x = sa ? (c == TOP_COL_NAME ? sa->name : sa->pod) : "";
                const char *y = sb ? (c == TOP_COL_NAME ? sb->name : sb->pod) : "";
                d = strcmp(x, y);
        } else {
                double va = 0, vb = 0;
                int ha = top_sort_value(a, c, &va), hb = top_sort_value(b, c, &vb);
                if (ha != hb)
                        return ha ? -1 : 1; /* rows without a value go last, either way */
                if (ha && va != vb)
                        d = va < vb ? -1 : 1;
        }
        if (d != 0)
                return (asc ? d : -d) * (m->reverse ? -1 : 1);
        return strcmp(a->path, b->path);
}

static int compare_items(const void *a, const void *b, void *userdata)
{
        return top_compare(userdata, *(struct cgroup *const *) a, *(struct cgroup *const *) b);
}

/* The row of path's parent, or NULL at the top. path is modified and restored. */
static struct cgroup *parent_row(const struct top_model *m, char *path)
{
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return NULL;
        *slash = '\0';
        struct cgroup *p = view_table_get(&m->table, path);
        *slash = '/';
        return p;
}

static int items_reserve(struct top_model *m, size_t n)
{
        return GREEDY_REALLOC(m->items, m->allocated, n) ? 0 : -ENOMEM;
}

static void emit_subtree(struct top_model *m, struct cgroup *row, unsigned indent)
{
        for (; row; row = top_state(row)->next_sibling) {
                m->items[m->n_items++] = (struct top_item){.row = row, .indent = indent};
                emit_subtree(m, top_state(row)->first_child, indent + 1);
        }
}

int top_model_build_view(struct top_model *m)
{
        struct view_table *t = &m->table;
        struct cgroup **sorted = NULL;
        size_t n = 0;

        m->n_items = 0;
        m->n_containers = 0;
        int r = items_reserve(m, t->n_rows ? t->n_rows : 1);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_rows; i++) {
                struct top_row_state *st = top_state(t->rows[i]);
                st->included = 0;
                st->first_child = st->last_child = st->next_sibling = NULL;
        }
        for (size_t i = 0; i < t->n_rows; i++) {
                struct cgroup *row = t->rows[i];
                if (!classify_is_container(row->path + 1, !row->delegates_memory, &m->rules))
                        continue;
                m->n_containers++;
                if (!top_filter_matches(row, m->filter))
                        continue;
                top_state(row)->included = 1;
                if (!m->tree)
                        continue;
                /* The slices above it, up to the root's child. */
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s", row->path);
                for (char *slash; (slash = strrchr(path, '/')) && slash != path;) {
                        *slash = '\0';
                        struct cgroup *p = view_table_get(t, path);
                        if (!p || top_state(p)->included)
                                break;
                        top_state(p)->included = 1;
                }
        }
        sorted = malloc(sizeof(*sorted) * (t->n_rows ? t->n_rows : 1));
        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_rows; i++)
                if (top_state(t->rows[i])->included)
                        sorted[n++] = t->rows[i];
        qsort_r(sorted, n, sizeof(*sorted), compare_items, m);

        if (!m->tree) {
                for (size_t i = 0; i < n; i++)
                        m->items[m->n_items++] = (struct top_item){.row = sorted[i]};
                free(sorted);
                return 0;
        }
        /* Children lists in sorted order; rows whose parent is not shown are the tops. */
        struct cgroup *tops = NULL, *tops_tail = NULL;
        for (size_t i = 0; i < n; i++) {
                struct cgroup *row = sorted[i];
                struct cgroup *p = parent_row(m, row->path);
                if (p && top_state(p)->included) {
                        struct top_row_state *ps = top_state(p);
                        if (ps->last_child)
                                top_state(ps->last_child)->next_sibling = row;
                        else
                                ps->first_child = row;
                        ps->last_child = row;
                } else {
                        if (tops_tail)
                                top_state(tops_tail)->next_sibling = row;
                        else
                                tops = row;
                        tops_tail = row;
                }
        }
        emit_subtree(m, tops, 0);
        free(sorted);
        return 0;
}
