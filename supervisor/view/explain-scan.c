/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "explain-scan.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/hashmap.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "cri/identity.h"
#include "names/display.h"

int explain_scan_init(struct explain_scan *s, uint64_t want_seq)
{
        *s = (struct explain_scan){.want_seq = want_seq};
        s->by_cgroup = hashmap_new_string();
        return s->by_cgroup ? 0 : -ENOMEM;
}

static void names_free(struct explain_names *n)
{
        char **all[] = {&n->runtime,   &n->id,  &n->name,    &n->image, &n->unit,
                        &n->namespace, &n->pod, &n->pod_uid, &n->qos,   &n->container};
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                free(*all[i]);
                *all[i] = NULL;
        }
}

void explain_scan_done(struct explain_scan *s)
{
        for (size_t i = 0; i < s->n_targets; i++) {
                names_free(&s->targets[i]->names);
                free(s->targets[i]->cgroup);
                free(s->targets[i]->last_line);
                free(s->targets[i]);
        }
        free(s->targets);
        free(s->entries);
        free(s->seq_line);
        hashmap_free(s->by_cgroup);
        *s = (struct explain_scan){0};
}

bool explain_is_kill_type(const char *type)
{
        return strcmp(type, "kill") == 0 || strcmp(type, "kill_failed") == 0 ||
               strcmp(type, "oom_kill") == 0 || strcmp(type, "decision") == 0;
}

static struct explain_target *target_get(struct explain_scan *s, const char *cgroup)
{
        struct explain_target *t = hashmap_get_string(s->by_cgroup, cgroup);

        if (t)
                return t;
        if (!GREEDY_REALLOC(s->targets, s->targets_allocated, s->n_targets + 1))
                return NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->cgroup = strdup(cgroup);
        if (!t->cgroup || hashmap_put_string(s->by_cgroup, t->cgroup, t) < 0) {
                free(t->cgroup);
                free(t);
                return NULL;
        }
        s->targets[s->n_targets++] = t;
        return t;
}

/* Keeps the newest non-null string; -ENOMEM only. */
static int take_string(char **dst, json_t *v)
{
        const char *str = json_string_value(v);

        if (!str || !*str || (*dst && strcmp(*dst, str) == 0))
                return 0;
        char *copy = strdup(str);
        if (!copy)
                return -ENOMEM;
        free(*dst);
        *dst = copy;
        return 0;
}

static int take_names(struct explain_names *n, json_t *event)
{
        json_t *c = json_object_get(event, "container");
        json_t *k = json_object_get(event, "kubernetes");
        json_t *pod = json_object_get(k, "pod");
        int r = 0;

        r |= take_string(&n->runtime, json_object_get(c, "runtime"));
        r |= take_string(&n->id, json_object_get(c, "id"));
        r |= take_string(&n->name, json_object_get(c, "name"));
        r |= take_string(&n->image, json_object_get(c, "image"));
        r |= take_string(&n->unit, json_object_get(c, "unit"));
        r |= take_string(&n->namespace, json_object_get(k, "namespace"));
        r |= take_string(&n->pod, json_object_get(pod, "name"));
        r |= take_string(&n->pod_uid, json_object_get(pod, "uid"));
        r |= take_string(&n->qos, json_object_get(pod, "qos"));
        r |= take_string(&n->container, json_object_get(json_object_get(k, "container"), "name"));
        return r < 0 ? -ENOMEM : 0;
}

/* A byte limit: an integer, or null for max. false when absent or of another type. */
static bool limit_value(json_t *v, uint64_t *ret)
{
        if (json_is_null(v)) {
                *ret = CG_VALUE_MAX;
                return true;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *ret = (uint64_t) json_integer_value(v);
        return true;
}

/* limits (container_seen, memory_event) or numbers (enforcement events). */
static void take_limits(struct explain_target *t, json_t *event)
{
        json_t *l = json_object_get(event, "limits");
        uint64_t max, high;

        if (!l)
                l = json_object_get(event, "numbers");
        if (limit_value(json_object_get(l, "max_bytes"), &max) &&
            limit_value(json_object_get(l, "high_bytes"), &high)) {
                t->max_bytes = max;
                t->high_bytes = high;
                t->have_limits = true;
        }
}

static void bad_line(struct explain_scan *s)
{
        if (s->n_malformed < EXPLAIN_BAD_LINES)
                s->bad_lines[s->n_malformed] = s->n_lines;
        s->n_malformed++;
}

static int add_entry(struct explain_scan *s, json_t *o, const char *type, uint64_t seq,
                     struct explain_target *t, const char *line, size_t len)
{
        if (!GREEDY_REALLOC(s->entries, s->allocated, s->n_entries + 1))
                return -ENOMEM;
        struct explain_entry *e = &s->entries[s->n_entries];
        *e = (struct explain_entry){.seq = seq,
                                    .run = s->run ? s->run : 1,
                                    .line_no = s->n_lines,
                                    .run_dry = s->run_dry,
                                    .target = t};
        if (t && t->have_limits) {
                e->have_limits = true;
                e->max_bytes = t->max_bytes;
                e->high_bytes = t->high_bytes;
        }
        snprintf(e->time, sizeof(e->time), "%s",
                 json_string_value(json_object_get(o, "time")) ?: "");
        snprintf(e->type, sizeof(e->type), "%s", type);
        snprintf(e->reason, sizeof(e->reason), "%s",
                 json_string_value(json_object_get(o, "reason")) ?: "");
        e->truncated = json_is_true(json_object_get(o, "truncated"));
        if (e->truncated) {
                e->target = NULL;
                s->n_entries++;
                s->n_truncated_kills++;
                return 0;
        }
        if (!t)
                return 0; /* a kill without a cgroup is not an event we know */
        char *copy = strndup(line, len);
        if (!copy)
                return -ENOMEM;
        free(t->last_line);
        t->last_line = copy;
        t->last = s->n_entries++;
        t->n_kills++;
        return 0;
}

static int take_seq(struct explain_scan *s, json_t *o, const char *type, const char *line,
                    size_t len)
{
        char *copy = strndup(line, len);

        if (!copy)
                return -ENOMEM;
        free(s->seq_line);
        s->seq_line = copy;
        snprintf(s->seq_type, sizeof(s->seq_type), "%s", type);
        s->seq_run = s->run ? s->run : 1;
        s->seq_line_no = s->n_lines;
        s->seq_truncated = json_is_true(json_object_get(o, "truncated"));
        return 0;
}

static bool is_kill(json_t *o, const char *type)
{
        if (!explain_is_kill_type(type))
                return false;
        if (strcmp(type, "decision") != 0)
                return true;
        const char *action = json_string_value(json_object_get(o, "action"));
        /* A truncated decision lost its action: it may have been a kill. */
        return action ? strcmp(action, "kill") == 0 : json_is_true(json_object_get(o, "truncated"));
}

static int scan_event(struct explain_scan *s, json_t *o, const char *type, const char *line,
                      size_t len)
{
        const char *cgroup = json_string_value(json_object_get(o, "cgroup"));
        json_t *seqv = json_object_get(o, "seq");
        uint64_t seq = json_is_integer(seqv) && json_integer_value(seqv) > 0
                               ? (uint64_t) json_integer_value(seqv)
                               : 0;
        struct explain_target *t = NULL;
        int r;

        if (strcmp(type, "started") == 0) {
                s->run++;
                s->run_dry = json_is_true(json_object_get(o, "dry_run"));
        }
        if (cgroup && *cgroup) {
                t = target_get(s, cgroup);
                if (!t || take_names(&t->names, o) < 0)
                        return -ENOMEM;
                take_limits(t, o);
        }
        if (s->want_seq && seq == s->want_seq && (r = take_seq(s, o, type, line, len)) < 0)
                return r;
        if (is_kill(o, type))
                return add_entry(s, o, type, seq, t, line, len);
        return 0;
}

int explain_scan_line(struct explain_scan *s, const char *line, size_t len)
{
        s->n_lines++;
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
                len--;
        if (len == 0)
                return 0;
        json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
        const char *type = json_string_value(json_object_get(o, "type"));
        if (!json_is_object(o) || !type) {
                bad_line(s);
                json_decref(o);
                return 0;
        }
        int r = scan_event(s, o, type, line, len);
        json_decref(o);
        return r;
}

const struct explain_entry *explain_last_kill(const struct explain_scan *s)
{
        for (size_t i = s->n_entries; i > 0; i--)
                if (!s->entries[i - 1].truncated && s->entries[i - 1].target)
                        return &s->entries[i - 1];
        return NULL;
}

const struct explain_entry *explain_entry_at(const struct explain_scan *s, size_t line_no)
{
        for (size_t i = s->n_entries; i > 0; i--)
                if (s->entries[i - 1].line_no == line_no)
                        return &s->entries[i - 1];
        return NULL;
}

void explain_target_display(const struct explain_target *t, char *buf, size_t size)
{
        const struct explain_names *n = &t->names;
        struct container_identity id;

        if (n->container) {
                snprintf(buf, size, "%s", n->container);
                return;
        }
        if (n->name) {
                snprintf(buf, size, "%s", n->name);
                return;
        }
        const char *slash = strrchr(t->cgroup, '/');
        const char *last = slash && slash[1] ? slash + 1 : t->cgroup;
        if (identity_from_path(t->cgroup, &id) < 0) {
                snprintf(buf, size, "%s", last);
                return;
        }
        names_display_name(&id, NULL, last, buf, size);
}

/* ---- matching ------------------------------------------------------------------------------ */

static bool is_hex_prefix(const char *arg)
{
        size_t n = strlen(arg);

        if (n < 4 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char) arg[i]) || isupper((unsigned char) arg[i]))
                        return false;
        return true;
}

static bool eq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

/* "namespace/pod" (pod level: *whole_pod) or "namespace/pod/container". */
static bool pod_match(const struct explain_names *n, const char *arg, bool *whole_pod)
{
        char want[512];

        if (!n->namespace || !n->pod)
                return false;
        snprintf(want, sizeof(want), "%s/%s", n->namespace, n->pod);
        if (strcmp(arg, want) == 0) {
                *whole_pod = true;
                return true;
        }
        size_t k = strlen(want);
        return n->container && strncmp(arg, want, k) == 0 && arg[k] == '/' &&
               strcmp(arg + k + 1, n->container) == 0;
}

static bool level_matches(const struct explain_target *t, const char *arg, int level,
                          bool *whole_pod)
{
        const char *path = t->cgroup;
        size_t pn = strlen(path), an = strlen(arg);

        switch (level) {
        case 1:
                return strcmp(path, arg) == 0 ||
                       (arg[0] != '/' && path[0] == '/' && strcmp(path + 1, arg) == 0);
        case 2:
                return is_hex_prefix(arg) && t->names.id && strncmp(t->names.id, arg, an) == 0;
        case 3:
                return eq(t->names.name, arg) || eq(t->names.unit, arg) ||
                       eq(t->names.container, arg) || pod_match(&t->names, arg, whole_pod);
        case 4:
                return an < pn && strcmp(path + pn - an, arg) == 0 &&
                       (arg[0] == '/' || path[pn - an - 1] == '/');
        case 5:
                return strcasestr(path, arg) || (t->names.name && strcasestr(t->names.name, arg)) ||
                       (t->names.container && strcasestr(t->names.container, arg));
        }
        return false;
}

static void match_level(const struct explain_scan *s, const char *arg, int level,
                        struct explain_match_result *ret)
{
        struct explain_target *named = NULL, *best = NULL;
        bool pod_level = true, any = false;

        *ret = (struct explain_match_result){.match = EXPLAIN_MATCH_NONE};
        for (size_t i = 0; i < s->n_targets; i++) {
                struct explain_target *t = s->targets[i];
                bool whole_pod = false;
                if (!level_matches(t, arg, level, &whole_pod))
                        continue;
                any = true;
                named = named ?: t;
                if (t->n_kills == 0)
                        continue;
                pod_level = pod_level && whole_pod;
                if (ret->n_candidates < EXPLAIN_CANDIDATES_SHOWN)
                        ret->candidates[ret->n_candidates++] = t;
                ret->n_matched++;
                if (!best || t->last > best->last)
                        best = t;
        }
        if (!any)
                return;
        if (ret->n_matched == 0) {
                ret->match = EXPLAIN_MATCH_NO_KILL;
                ret->target = named;
        } else if (ret->n_matched == 1 || pod_level) {
                ret->match = EXPLAIN_MATCH_ONE;
                ret->target = best;
        } else
                ret->match = EXPLAIN_MATCH_AMBIGUOUS;
}

/* The first level that names anything decides: a looser one never overrides it. */
void explain_match(const struct explain_scan *s, const char *arg, struct explain_match_result *ret)
{
        for (int level = 1; level <= 5; level++) {
                match_level(s, arg, level, ret);
                if (ret->match != EXPLAIN_MATCH_NONE)
                        return;
        }
}
