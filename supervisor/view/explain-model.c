/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "explain-model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "cri/identity.h"
#include "names/display.h"

static const char *const outcome_table[_EXPLAIN_OUTCOME_MAX] = {
        [EXPLAIN_KILLED] = "killed",
        [EXPLAIN_KILL_FAILED] = "kill_failed",
        [EXPLAIN_WOULD_KILL] = "would_kill",
        [EXPLAIN_OOM_KILLED] = "oom_killed",
};

const char *explain_outcome_to_string(enum explain_outcome o)
{
        return o >= 0 && o < _EXPLAIN_OUTCOME_MAX ? outcome_table[o] : NULL;
}

static const char *const kind_table[_EXPLAIN_KIND_MAX] = {
        [EXPLAIN_KIND_ANON] = "anon",   [EXPLAIN_KIND_FILE] = "file",
        [EXPLAIN_KIND_SHMEM] = "shmem", [EXPLAIN_KIND_KERNEL] = "kernel",
        [EXPLAIN_KIND_SWAP] = "swap",
};

const char *explain_kind_to_string(enum explain_kind k)
{
        return k >= 0 && k < _EXPLAIN_KIND_MAX ? kind_table[k] : NULL;
}

enum explain_kind explain_kind_from_string(const char *s)
{
        for (int k = 0; s && k < _EXPLAIN_KIND_MAX; k++)
                if (strcmp(s, kind_table[k]) == 0)
                        return (enum explain_kind) k;
        return _EXPLAIN_KIND_INVALID;
}

static const char *const source_table[_EXPLAIN_SOURCE_MAX] = {
        [EXPLAIN_SOURCE_NONE] = "none",
        [EXPLAIN_SOURCE_RECORD] = "record",
        [EXPLAIN_SOURCE_EVENT] = "event",
        [EXPLAIN_SOURCE_EVIDENCE] = "evidence",
};

const char *explain_source_to_string(enum explain_source s)
{
        return s >= 0 && s < _EXPLAIN_SOURCE_MAX ? source_table[s] : NULL;
}

const char *explain_reason_words(const char *reason)
{
        static const struct {
                const char *reason, *words;
        } table[] = {
                {"runaway", "runaway"},
                {"stuck_at_high", "stuck at memory.high"},
                {"thrashing", "thrashing at memory.max"},
                {"node_pressure", "node memory pressure"},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(reason, table[i].reason) == 0)
                        return table[i].words;
        return reason;
}

/* ---- JSON members ------------------------------------------------------------------------ */

static bool get_u64(json_t *o, const char *key, uint64_t *ret)
{
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t) json_integer_value(v);
        return true;
}

/* An integer, or null for max (limits), as CG_VALUE_MAX. */
static bool get_limit(json_t *o, const char *key, uint64_t *ret)
{
        if (json_is_null(json_object_get(o, key))) {
                *ret = CG_VALUE_MAX;
                return true;
        }
        return get_u64(o, key, ret);
}

static bool get_i64(json_t *o, const char *key, int64_t *ret)
{
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v))
                return false;
        *ret = (int64_t) json_integer_value(v);
        return true;
}

static bool get_double(json_t *o, const char *key, double *ret)
{
        json_t *v = json_object_get(o, key);

        if (!json_is_number(v))
                return false;
        *ret = json_number_value(v);
        return true;
}

static void get_str(json_t *o, const char *key, char *buf, size_t size)
{
        const char *s = json_string_value(json_object_get(o, key));

        snprintf(buf, size, "%s", s ? s : "");
}

/* ---- the parts of an event ------------------------------------------------------------------ */

static void set_name(char *dst, size_t size, const char *from_event, const char *from_stream)
{
        snprintf(dst, size, "%s", from_event && *from_event ? from_event : from_stream ?: "");
}

/* The event's own names first, then what other events of the stream told. */
static void parse_who(json_t *o, const struct explain_target *t, struct explain_who *w)
{
        json_t *c = json_object_get(o, "container"), *k = json_object_get(o, "kubernetes");
        json_t *pod = json_object_get(k, "pod");
        const struct explain_names *n = &t->names;
        struct container_identity id;

        get_str(o, "cgroup", w->cgroup, sizeof(w->cgroup));
#define NAME(field, obj, key, stream)                                                              \
        set_name(w->field, sizeof(w->field), json_string_value(json_object_get(obj, key)), stream)
        NAME(runtime, c, "runtime", n->runtime);
        NAME(id, c, "id", n->id);
        NAME(name, c, "name", n->name);
        NAME(image, c, "image", n->image);
        NAME(unit, c, "unit", n->unit);
        NAME(namespace, k, "namespace", n->namespace);
        NAME(pod, pod, "name", n->pod);
        NAME(pod_uid, pod, "uid", n->pod_uid);
        NAME(qos, pod, "qos", n->qos);
        NAME(container, json_object_get(k, "container"), "name", n->container);
#undef NAME
        if (w->container[0] || w->name[0]) {
                snprintf(w->display, sizeof(w->display), "%s",
                         w->container[0] ? w->container : w->name);
                return;
        }
        const char *slash = strrchr(w->cgroup, '/');
        const char *last = slash && slash[1] ? slash + 1 : w->cgroup;
        if (identity_from_path(w->cgroup, &id) < 0)
                snprintf(w->display, sizeof(w->display), "%s", last);
        else
                names_display_name(&id, NULL, last, w->display, sizeof(w->display));
}

static void parse_numbers(json_t *n, struct explain_numbers *ret)
{
        json_t *ev = json_object_get(n, "events"), *psi = json_object_get(n, "psi");

        *ret = (struct explain_numbers){.psi_some_avg10 = -1, .psi_full_avg10 = -1};
        (void) get_u64(n, "working_set_bytes", &ret->working_set_bytes);
        (void) get_u64(n, "unreclaimable_bytes", &ret->unreclaimable_bytes);
        (void) get_u64(n, "swap_bytes", &ret->swap_bytes);
        if (!get_limit(n, "max_bytes", &ret->max_bytes))
                ret->max_bytes = CG_VALUE_MAX;
        if (!get_limit(n, "high_bytes", &ret->high_bytes))
                ret->high_bytes = CG_VALUE_MAX;
        (void) get_double(n, "rate_bytes_per_sec", &ret->rate_bytes_per_sec);
        ret->has_eta = get_u64(n, "eta_usec", &ret->eta_usec);
        (void) get_u64(ev, "high", &ret->high_events);
        (void) get_u64(ev, "max", &ret->max_events);
        (void) get_u64(ev, "oom", &ret->oom_events);
        (void) get_u64(ev, "oom_kill", &ret->oom_kill_events);
        (void) get_double(json_object_get(psi, "some"), "avg10", &ret->psi_some_avg10);
        (void) get_double(json_object_get(psi, "full"), "avg10", &ret->psi_full_avg10);
}

static void parse_evidence(json_t *v, struct explain_evidence *ret)
{
        *ret = (struct explain_evidence){0};
        (void) get_u64(v, "footprint_bytes", &ret->footprint_bytes);
        if (!get_u64(v, "held_bytes", &ret->held_bytes))
                ret->held_bytes = ret->footprint_bytes;
        (void) get_u64(v, "capacity_bytes", &ret->capacity_bytes);
        (void) get_u64(v, "margin_bytes", &ret->margin_bytes);
        (void) get_u64(v, "window_usec", &ret->window_usec);
        (void) get_u64(v, "grown_bytes", &ret->grown_bytes);
        (void) get_u64(v, "high_events", &ret->high_events);
        (void) get_u64(v, "max_events", &ret->max_events);
        (void) get_u64(v, "refaults", &ret->refaults);
        (void) get_double(v, "psi_full_pct", &ret->psi_full_pct);
}

static void parse_node(json_t *details, struct explain_node *ret)
{
        json_t *n = json_object_get(details, "node");

        *ret = (struct explain_node){0};
        get_str(details, "rule", ret->rule, sizeof(ret->rule));
        (void) get_u64(n, "headroom_bytes", &ret->headroom_bytes);
        (void) get_u64(n, "floor_bytes", &ret->floor_bytes);
        (void) get_u64(n, "mem_available_bytes", &ret->mem_available_bytes);
        (void) get_u64(n, "swap_free_bytes", &ret->swap_free_bytes);
        (void) get_double(n, "fall_bytes_per_sec", &ret->fall_bytes_per_sec);
        (void) get_u64(n, "falling_usec", &ret->falling_usec);
        ret->has_eta = get_u64(n, "eta_usec", &ret->eta_usec);
        (void) get_double(n, "psi_full_avg10", &ret->psi_full_avg10);
        (void) get_double(n, "psi_full_pct", &ret->psi_full_pct);
        (void) get_u64(n, "refaults", &ret->refaults);
        ret->has_reclaim_scans = get_u64(n, "reclaim_scans", &ret->reclaim_scans);
}

static void candidate_display(struct explain_candidate *c)
{
        struct container_identity id;
        const char *slash = strrchr(c->cgroup, '/');
        const char *last = slash && slash[1] ? slash + 1 : c->cgroup;

        if (identity_from_path(c->cgroup, &id) < 0)
                snprintf(c->display, sizeof(c->display), "%s", last);
        else
                names_display_name(&id, NULL, last, c->display, sizeof(c->display));
}

static void parse_candidates(json_t *details, struct explain *e)
{
        json_t *list = json_object_get(details, "candidates"), *v;
        size_t i;

        json_array_foreach(list, i, v)
        {
                if (e->n_candidates == EXPLAIN_CANDIDATES_MAX)
                        break;
                struct explain_candidate *c = &e->candidates[e->n_candidates++];
                *c = (struct explain_candidate){0};
                get_str(v, "cgroup", c->cgroup, sizeof(c->cgroup));
                (void) get_double(v, "score", &c->score);
                (void) get_u64(v, "footprint_bytes", &c->footprint_bytes);
                if (!get_limit(v, "protected_bytes", &c->protected_bytes))
                        c->protected_bytes = CG_VALUE_MAX;
                (void) get_u64(v, "swap_bytes", &c->swap_bytes);
                (void) get_double(v, "rate_bytes_per_sec", &c->rate_bytes_per_sec);
                get_str(v, "mark", c->mark, sizeof(c->mark));
                get_str(v, "qos", c->qos, sizeof(c->qos));
                candidate_display(c);
        }
}

static void parse_victim(json_t *v, struct explain_victim *ret)
{
        uint64_t pid = 0;

        *ret = (struct explain_victim){0};
        (void) get_u64(v, "pid", &pid);
        ret->pid = pid <= INT32_MAX ? (int) pid : 0;
        get_str(v, "comm", ret->comm, sizeof(ret->comm));
        get_str(v, "task_memcg", ret->task_memcg, sizeof(ret->task_memcg));
        get_str(v, "oom_memcg", ret->oom_memcg, sizeof(ret->oom_memcg));
        ret->memcg_oom = json_is_true(json_object_get(v, "memcg_oom"));
        (void) get_u64(v, "total_vm_bytes", &ret->total_vm_bytes);
        (void) get_u64(v, "anon_rss_bytes", &ret->anon_rss_bytes);
        (void) get_u64(v, "file_rss_bytes", &ret->file_rss_bytes);
        (void) get_u64(v, "shmem_rss_bytes", &ret->shmem_rss_bytes);
}

static void parse_story(json_t *v, struct explain_story *ret)
{
        json_t *kinds = json_object_get(v, "kinds");

        *ret = (struct explain_story){.grew_most = -1};
        (void) get_u64(v, "window_usec", &ret->window_usec);
        ret->has_began = get_u64(v, "began_usec_ago", &ret->began_usec_ago);
        (void) get_u64(v, "grew_bytes", &ret->grew_bytes);
        (void) get_double(v, "rate_bytes_per_sec", &ret->rate_bytes_per_sec);
        (void) get_u64(v, "peak_bytes", &ret->peak_bytes);
        for (int k = 0; k < _EXPLAIN_KIND_MAX; k++) {
                char key[32];
                snprintf(key, sizeof(key), "%s_bytes", kind_table[k]);
                (void) get_i64(kinds, key, &ret->kinds_bytes[k]);
        }
        ret->grew_most =
                explain_kind_from_string(json_string_value(json_object_get(v, "grew_most")));
        if (ret->grew_most < 0)
                ret->grew_most = -1;
        (void) get_u64(v, "frees_bytes", &ret->frees_bytes);
        (void) get_u64(v, "stays_bytes", &ret->stays_bytes);
        (void) get_u64(v, "shmem_bytes", &ret->shmem_bytes);
}

/* [[ago_usec, footprint_bytes, current_bytes], ...], oldest first. */
static void parse_story_points(json_t *points, struct explain *e)
{
        json_t *p;
        size_t i;

        json_array_foreach(points, i, p)
        {
                json_t *a = json_array_get(p, 0), *f = json_array_get(p, 1),
                       *c = json_array_get(p, 2);
                if (e->n_points == EXPLAIN_POINTS_MAX || !json_is_integer(a) ||
                    !json_is_integer(f) || !json_is_integer(c) || json_integer_value(a) < 0 ||
                    json_integer_value(f) < 0 || json_integer_value(c) < 0)
                        continue;
                e->points[e->n_points++] =
                        (struct explain_point){.ago_usec = (uint64_t) json_integer_value(a),
                                               .footprint_bytes = (uint64_t) json_integer_value(f),
                                               .current_bytes = (uint64_t) json_integer_value(c)};
        }
        if (e->n_points)
                e->plot_source = EXPLAIN_SOURCE_EVENT;
}

/* The policy's own last samples: a few seconds, when there is nothing longer. */
static void parse_evidence_points(json_t *samples, struct explain *e)
{
        json_t *s;
        size_t i;

        json_array_foreach(samples, i, s)
        {
                struct explain_point p = {0};
                if (e->n_points == EXPLAIN_POINTS_MAX || !get_u64(s, "ago_usec", &p.ago_usec) ||
                    !get_u64(s, "footprint_bytes", &p.footprint_bytes) ||
                    !get_u64(s, "current_bytes", &p.current_bytes))
                        continue;
                e->points[e->n_points++] = p;
        }
        if (e->n_points)
                e->plot_source = EXPLAIN_SOURCE_EVIDENCE;
}

static void parse_proc(json_t *v, struct proc_memory *p)
{
        uint64_t pid = 0;

        *p = (struct proc_memory){.pss_bytes = PROC_VALUE_UNKNOWN, .uss_bytes = PROC_VALUE_UNKNOWN};
        (void) get_u64(v, "pid", &pid);
        p->pid = pid <= INT32_MAX ? (pid_t) pid : 0;
        get_str(v, "comm", p->comm, sizeof(p->comm));
        (void) get_u64(v, "rss_anon_bytes", &p->rss_anon_bytes);
        (void) get_u64(v, "rss_file_bytes", &p->rss_file_bytes);
        (void) get_u64(v, "rss_shmem_bytes", &p->rss_shmem_bytes);
        (void) get_u64(v, "swap_bytes", &p->swap_bytes);
        if (!get_u64(v, "pss_bytes", &p->pss_bytes))
                p->pss_bytes = PROC_VALUE_UNKNOWN;
        if (!get_u64(v, "uss_bytes", &p->uss_bytes))
                p->uss_bytes = PROC_VALUE_UNKNOWN;
}

static bool parse_procs(json_t *v, enum explain_source source, struct explain_procs *ret)
{
        json_t *top = json_object_get(v, "top"), *p;
        size_t i;

        if (!json_is_object(v) || !json_is_array(top))
                return false;
        *ret = (struct explain_procs){.source = source};
        (void) get_u64(v, "age_usec", &ret->age_usec);
        (void) get_u64(v, "count", &ret->count);
        ret->complete = json_is_true(json_object_get(v, "complete"));
        json_array_foreach(top, i, p)
        {
                if (ret->n_top == EXPLAIN_PROCS_MAX)
                        break;
                parse_proc(p, &ret->top[ret->n_top++]);
        }
        return true;
}

static int parse_outcome(json_t *o, const char *type, struct explain *e)
{
        if (strcmp(type, "kill") == 0)
                e->outcome = EXPLAIN_KILLED;
        else if (strcmp(type, "kill_failed") == 0)
                e->outcome = EXPLAIN_KILL_FAILED;
        else if (strcmp(type, "decision") == 0)
                e->outcome = EXPLAIN_WOULD_KILL;
        else if (strcmp(type, "oom_kill") == 0)
                e->outcome = EXPLAIN_OOM_KILLED;
        else
                return -EINVAL;
        get_str(o, "reason", e->reason, sizeof(e->reason));
        get_str(o, "signal", e->signal, sizeof(e->signal));
        e->has_latency = get_u64(o, "latency_usec", &e->latency_usec);
        e->dry_run = json_is_true(json_object_get(o, "dry_run"));
        uint64_t err = 0;
        if (get_u64(o, "errno", &err) && err < 4096)
                e->error_errno = (int) err;
        get_str(o, "error", e->error, sizeof(e->error));
        return 0;
}

static void parse_details(json_t *o, struct explain *e)
{
        json_t *d = json_object_get(o, "details"), *ev = json_object_get(d, "evidence");

        if (json_is_object(ev)) {
                e->has_evidence = true;
                parse_evidence(ev, &e->evidence);
        }
        if (json_is_string(json_object_get(d, "rule"))) {
                e->has_node = true;
                parse_node(d, &e->node);
                parse_candidates(d, e);
        }
        if (json_is_object(json_object_get(o, "victim"))) {
                e->has_victim = true;
                parse_victim(json_object_get(o, "victim"), &e->victim);
        }
}

static void take_limits(json_t *o, const struct explain_entry *entry, struct explain *e)
{
        json_t *n = json_object_get(o, "numbers");

        if (json_is_object(n)) {
                e->has_numbers = true;
                parse_numbers(n, &e->numbers);
                e->has_limits = true;
                e->max_bytes = e->numbers.max_bytes;
                e->high_bytes = e->numbers.high_bytes;
        } else if (entry->have_limits) {
                e->has_limits = true;
                e->max_bytes = entry->max_bytes;
                e->high_bytes = entry->high_bytes;
        }
}

/* How many kills of the same cgroup the file holds, and the one before this. */
static void take_history(const struct explain_scan *scan, const struct explain_entry *entry,
                         struct explain *e)
{
        for (size_t i = 0; i < scan->n_entries; i++) {
                const struct explain_entry *x = &scan->entries[i];
                if (x->target != entry->target)
                        continue;
                e->kills_in_file++;
                if (x < entry) {
                        e->has_previous = true;
                        e->previous = *x;
                }
        }
}

int explain_from_event(const struct explain_scan *scan, const struct explain_entry *entry,
                       const char *line, struct explain *ret)
{
        json_t *o = json_loads(line, 0, NULL);
        const struct explain_target *t = entry->target;
        const char *type = json_string_value(json_object_get(o, "type"));
        int r = -EINVAL;

        memset(ret, 0, sizeof(*ret));
        if (!json_is_object(o) || !type || !t || parse_outcome(o, type, ret) < 0)
                goto out;
        ret->seq = entry->seq;
        ret->run = entry->run;
        ret->line_no = entry->line_no;
        snprintf(ret->time, sizeof(ret->time), "%s", entry->time);
        snprintf(ret->type, sizeof(ret->type), "%s", type);
        get_str(o, "host", ret->host, sizeof(ret->host));
        parse_who(o, t, &ret->who);
        ret->run_dry = entry->run_dry;
        take_limits(o, entry, ret);
        parse_details(o, ret);
        json_t *story = json_object_get(o, "story");
        if (json_is_object(story)) {
                ret->has_story = true;
                parse_story(story, &ret->story);
                parse_story_points(json_object_get(story, "points"), ret);
        }
        if (ret->n_points < 3 && ret->has_evidence) {
                ret->n_points = 0;
                parse_evidence_points(
                        json_object_get(json_object_get(json_object_get(o, "details"), "evidence"),
                                        "samples"),
                        ret);
        }
        (void) parse_procs(json_object_get(o, "processes"), EXPLAIN_SOURCE_EVENT, &ret->procs);
        get_str(o, "record", ret->record, sizeof(ret->record));
        take_history(scan, entry, ret);
        r = 0;
out:
        json_decref(o);
        return r;
}

/* ---- the record file ------------------------------------------------------------------------ */

bool explain_record_matches(const struct explain *e, json_t *record)
{
        json_t *ev = json_object_get(record, "event");
        uint64_t seq;

        return get_u64(ev, "seq", &seq) && seq == e->seq &&
               json_string_value(json_object_get(ev, "time")) &&
               strcmp(json_string_value(json_object_get(ev, "time")), e->time) == 0 &&
               json_string_value(json_object_get(ev, "cgroup")) &&
               strcmp(json_string_value(json_object_get(ev, "cgroup")), e->who.cgroup) == 0;
}

static int column_of(json_t *columns, const char *name)
{
        json_t *c;
        size_t i;

        json_array_foreach(columns, i, c)
        {
                if (json_is_string(c) && strcmp(json_string_value(c), name) == 0)
                        return (int) i;
        }
        return -1;
}

static bool cell_u64(json_t *row, int col, uint64_t *ret)
{
        json_t *v = col >= 0 ? json_array_get(row, (size_t) col) : NULL;

        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t) json_integer_value(v);
        return true;
}

enum { COL_AGO, COL_CURRENT, COL_FOOTPRINT, COL_ANON, COL_SHMEM, COL_KERNEL, COL_SWAP, _COL_MAX };
static const char *const counter_cols[] = {"high", "max", "oom", "oom_kill"};

/* The footprint of a row: its own column if the record has one, else what makes it up. */
static bool row_footprint(json_t *row, const int *col, uint64_t *ret)
{
        uint64_t anon, shmem, kernel, swap = 0;

        if (col[COL_FOOTPRINT] >= 0)
                return cell_u64(row, col[COL_FOOTPRINT], ret);
        if (!cell_u64(row, col[COL_ANON], &anon) || !cell_u64(row, col[COL_SHMEM], &shmem) ||
            !cell_u64(row, col[COL_KERNEL], &kernel))
                return false;
        (void) cell_u64(row, col[COL_SWAP], &swap);
        *ret = anon + shmem + kernel + swap;
        return true;
}

static unsigned row_rose(json_t *row, const int *counters, uint64_t *prev, bool first)
{
        unsigned rose = 0;

        for (size_t i = 0; i < ELEMENTSOF(counter_cols); i++) {
                uint64_t v;
                if (!cell_u64(row, counters[i], &v))
                        continue;
                if (!first && v > prev[i])
                        rose |= 1u << i;
                prev[i] = v;
        }
        return rose;
}

static int apply_trajectory(struct explain *e, json_t *t, char *why, size_t why_size)
{
        static const char *const names[_COL_MAX] = {
                "ago_usec",    "current_bytes", "footprint_bytes", "anon_bytes",
                "shmem_bytes", "kernel_bytes",  "swap_bytes"};
        json_t *columns = json_object_get(t, "columns"), *rows = json_object_get(t, "rows"), *row;
        int col[_COL_MAX], counters[ELEMENTSOF(counter_cols)];
        uint64_t prev[ELEMENTSOF(counter_cols)] = {0};
        size_t i, n = 0;

        for (size_t c = 0; c < _COL_MAX; c++)
                col[c] = column_of(columns, names[c]);
        for (size_t c = 0; c < ELEMENTSOF(counter_cols); c++)
                counters[c] = column_of(columns, counter_cols[c]);
        if (!json_is_array(rows) || col[COL_AGO] < 0 || col[COL_CURRENT] < 0) {
                snprintf(why, why_size, "its trajectory has no ago_usec and current_bytes columns");
                return -EINVAL;
        }
        json_array_foreach(rows, i, row)
        {
                struct explain_point p = {0};
                if (n == EXPLAIN_POINTS_MAX || !cell_u64(row, col[COL_AGO], &p.ago_usec) ||
                    !cell_u64(row, col[COL_CURRENT], &p.current_bytes) ||
                    !row_footprint(row, col, &p.footprint_bytes))
                        continue;
                p.rose = row_rose(row, counters, prev, n == 0);
                e->points[n++] = p;
        }
        if (n < 2) {
                snprintf(why, why_size, "its trajectory has fewer than two usable rows");
                return -EINVAL;
        }
        e->n_points = n;
        e->plot_source = EXPLAIN_SOURCE_RECORD;
        return 0;
}

int explain_apply_record(struct explain *e, json_t *record, char *why, size_t why_size)
{
        json_t *t = json_object_get(record, "trajectory");
        struct explain_procs procs;

        if (!json_is_object(record) || !json_is_object(json_object_get(record, "event"))) {
                snprintf(why, why_size, "it is not a kill record (no \"event\" object)");
                return -EINVAL;
        }
        if (json_is_object(t) && apply_trajectory(e, t, why, why_size) < 0)
                return -EINVAL;
        if (parse_procs(json_object_get(record, "processes"), EXPLAIN_SOURCE_RECORD, &procs))
                e->procs = procs;
        return 0;
}

void explain_add_note(struct explain *e, const char *fmt, ...)
{
        va_list ap;

        if (e->n_notes == EXPLAIN_NOTES_MAX)
                return;
        va_start(ap, fmt);
        vsnprintf(e->notes[e->n_notes++], EXPLAIN_NOTE_MAX, fmt, ap);
        va_end(ap);
}

void explain_headline(const struct explain *e, char *buf, size_t size)
{
        const char *who = e->who.display, *why = explain_reason_words(e->reason);

        switch (e->outcome) {
        case EXPLAIN_KILLED:
                snprintf(buf, size, "%s was killed by cgmem (%s)", who, why);
                break;
        case EXPLAIN_KILL_FAILED:
                snprintf(buf, size, "cgmem failed to kill %s (%s): %s", who, why,
                         e->error[0] ? e->error : "unknown error");
                break;
        case EXPLAIN_WOULD_KILL:
                snprintf(buf, size, "cgmem would have killed %s (%s), but %s", who, why,
                         e->dry_run ? "ran with --dry-run" : "enforce.kill = no");
                break;
        case EXPLAIN_OOM_KILLED:
                if (e->has_victim)
                        snprintf(buf, size, "The kernel's OOM killer killed %s (pid %d) in %s",
                                 e->victim.comm[0] ? e->victim.comm : "a process", e->victim.pid,
                                 who);
                else
                        snprintf(buf, size, "The kernel's OOM killer killed a process in %s", who);
                break;
        default:
                snprintf(buf, size, "%s", who);
        }
}
