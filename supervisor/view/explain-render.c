/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "explain-render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json-util.h"
#include "base/units.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"

#define INDENT 2
#define LABEL  12 /* "footprint   " */
#define MiB    (UINT64_C(1) << 20)

/* ---- formatting ---------------------------------------------------------------------------- */

void explain_format_duration(uint64_t usec, char *buf, size_t size)
{
        double sec = (double) usec / 1e6;

        if (usec < 1000)
                snprintf(buf, size, "%lluus", (unsigned long long) usec);
        else if (usec < 10000)
                snprintf(buf, size, "%.1fms", (double) usec / 1e3);
        else if (usec < 1000000)
                snprintf(buf, size, "%.0fms", (double) usec / 1e3);
        else if (usec < 10000000)
                snprintf(buf, size, "%.1fs", sec);
        else
                top_format_eta(sec, buf, size);
}

/* RFC 3339 to milliseconds since the epoch; false when it is not one. */
static bool parse_time_msec(const char *rfc3339, int64_t *ret)
{
        struct tm tm = {0};
        unsigned ms = 0;
        int used = 0;

        if (!rfc3339 || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
                return false;
        const char *frac = rfc3339 + used;
        if (*frac == '.')
                for (int i = 1; i <= 3; i++)
                        ms = ms * 10 +
                             (frac[i] >= '0' && frac[i] <= '9' ? (unsigned) (frac[i] - '0') : 0);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *ret = (int64_t) timegm(&tm) * 1000 + ms;
        return true;
}

/* "2026-12-04 17:15:02.512 UTC", or with day false "17:15:02.512". */
static void format_msec(int64_t msec, bool utc, bool day, char *buf, size_t size)
{
        time_t t = (time_t) (msec / 1000);
        struct tm out;
        char date[64], name[16];

        if (utc)
                gmtime_r(&t, &out);
        else
                localtime_r(&t, &out);
        strftime(date, sizeof(date), day ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &out);
        strftime(name, sizeof(name), "%Z", &out);
        snprintf(buf, size, "%s.%03u%s%s", date, (unsigned) (msec % 1000), day ? " " : "",
                 day ? (utc ? "UTC" : name) : "");
}

void explain_format_time(const char *rfc3339, bool utc, char *buf, size_t size)
{
        int64_t msec;

        if (!parse_time_msec(rfc3339, &msec))
                snprintf(buf, size, "%s", rfc3339 && *rfc3339 ? rfc3339 : "(no time)");
        else
                format_msec(msec, utc, true, buf, size);
}

/* The time of day ago_usec before rfc3339, "17:13:58.512"; "" when the time is not one. */
static void format_time_before(const char *rfc3339, uint64_t ago_usec, bool utc, char *buf,
                               size_t size)
{
        int64_t msec;

        buf[0] = '\0';
        if (parse_time_msec(rfc3339, &msec))
                format_msec(msec - (int64_t) (ago_usec / 1000), utc, false, buf, size);
}

static const char *bytes(uint64_t v, char buf[static BYTES_STR_MAX])
{
        return format_bytes(v, buf);
}

static const char *signed_bytes(int64_t v, char *buf, size_t size)
{
        char b[BYTES_STR_MAX];

        snprintf(buf, size, "%c%s", v < 0 ? '-' : '+',
                 format_bytes(v < 0 ? (uint64_t) -v : (uint64_t) v, b));
        return buf;
}

static const char *duration(uint64_t usec, char *buf, size_t size)
{
        explain_format_duration(usec, buf, size);
        return buf;
}

static const char *rate(double bytes_per_sec, char *buf, size_t size)
{
        top_format_rate(bytes_per_sec, buf, size);
        return buf;
}

/* ---- lines --------------------------------------------------------------------------------- */

/* Display columns of UTF-8 text: every byte that does not continue a character. */
static int text_width(const char *s, size_t n)
{
        int w = 0;

        for (size_t i = 0; i < n; i++)
                w += ((unsigned char) s[i] & 0xc0) != 0x80;
        return w;
}

/* Joins words that must stay on one line ("# footprint"); printed as a blank. */
#define NBSP "\a"

/*
 * Text wrapped at the style's width: the first line after indent columns, the
 * others after hang. Runs of blanks inside a line are kept (aligned columns);
 * a line breaks only at blanks, and a word longer than a line (a cgroup path)
 * is not cut.
 */
static void wrap(struct top_screen *s, const struct explain_style *st, enum top_attr attr,
                 int indent, int hang, const char *text)
{
        struct top_line *l = top_screen_add(s);
        int col = indent, at_start = 1;

        top_line_printf(l, TOP_ATTR_NORMAL, "%*s", indent, "");
        for (const char *p = text; *p;) {
                int blanks = (int) strspn(p, " ");
                p += blanks;
                if (!*p)
                        break;
                size_t n = strcspn(p, " ");
                int w = text_width(p, n);
                /* A value's first word stays on its label's line, however long. */
                if (!at_start && col > hang && col + blanks + w > st->width) {
                        l = top_screen_add(s);
                        top_line_printf(l, TOP_ATTR_NORMAL, "%*s", hang, "");
                        col = hang;
                        at_start = 1;
                }
                if (at_start)
                        blanks = 0;
                top_line_printf(l, attr, "%*s", blanks, "");
                for (size_t i = 0; i < n;) {
                        size_t k = 0;
                        while (i + k < n && p[i + k] != NBSP[0])
                                k++;
                        top_line_printf(l, attr, "%.*s%s", (int) k, p + i, i + k < n ? " " : "");
                        i += k + (i + k < n);
                }
                col += blanks + w;
                at_start = 0;
                p += n;
        }
}

_printf_(4, 5) static void para(struct top_screen *s, const struct explain_style *st,
                                enum top_attr attr, const char *fmt, ...)
{
        char text[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        wrap(s, st, attr, INDENT, INDENT, text);
}

/* "  label       value", the value wrapped under itself. */
_printf_(4, 5) static void kv(struct top_screen *s, const struct explain_style *st,
                              const char *label, const char *fmt, ...)
{
        char text[4096];
        int n = snprintf(text, sizeof(text), "%-*s ", LABEL - 1, label);
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text + n, sizeof(text) - (size_t) n, fmt, ap);
        va_end(ap);
        wrap(s, st, TOP_ATTR_NORMAL, INDENT, INDENT + LABEL, text);
}

static void heading(struct top_screen *s, const char *text)
{
        top_screen_add(s);
        top_line_printf(top_screen_add(s), TOP_ATTR_BOLD, "%s", text);
}

/* Appends printf output to buf, which holds used bytes. */
_printf_(4, 5) static void cat(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
        va_list ap;

        if (*used >= size)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(buf + *used, size - *used, fmt, ap);
        va_end(ap);
        if (n > 0)
                *used += (size_t) n;
}

/* ---- who and when -------------------------------------------------------------------------- */

static const char *short_id(const char *id, char buf[static 16])
{
        snprintf(buf, 16, "%.12s", id);
        return buf;
}

static void render_who(const struct explain *e, const struct explain_style *st,
                       struct top_screen *s)
{
        const struct explain_who *w = &e->who;
        char line[1024], b[16];
        size_t n = 0;

        if (w->name[0] || w->container[0] || w->id[0] || w->runtime[0]) {
                cat(line, sizeof(line), &n, "%s", w->display);
                if (w->runtime[0])
                        cat(line, sizeof(line), &n, ", %s", w->runtime);
                if (w->id[0])
                        cat(line, sizeof(line), &n, " %s", short_id(w->id, b));
                if (w->image[0])
                        cat(line, sizeof(line), &n, ", image %s", w->image);
                kv(s, st, "container", "%s", line);
        }
        if (w->pod[0] || w->pod_uid[0]) {
                n = 0;
                if (w->namespace[0] && w->pod[0])
                        cat(line, sizeof(line), &n, "%s/%s", w->namespace, w->pod);
                else
                        cat(line, sizeof(line), &n, "uid %s", w->pod_uid);
                if (w->qos[0])
                        cat(line, sizeof(line), &n, " (%s)", w->qos);
                kv(s, st, "pod", "%s", line);
        }
        kv(s, st, "cgroup", "%s", w->cgroup);
}

static const char *signal_words(const char *signal)
{
        static const struct {
                const char *signal, *words;
        } table[] = {
                {"memory.events", "after the kernel changed its memory.events"},
                {"psi_trigger", "after its PSI trigger fired"},
                {"sample", "into the sample round that saw it"},
                {"discovery", "after cgmem found the container"},
                {"limits", "after its limits were written or settled"},
                {"node_pressure", "after the node first ran short (the rule's wait included)"},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(signal, table[i].signal) == 0)
                        return table[i].words;
        return "after its signal";
}

static void render_when(const struct explain *e, const struct explain_style *st,
                        struct top_screen *s)
{
        char t[64], d[32];

        explain_format_time(e->time, st->utc, t, sizeof(t));
        kv(s, st, "when", "%s, event %llu of run %u (line %zu)%s%s", t, (unsigned long long) e->seq,
           e->run, e->line_no, e->host[0] ? ", on " : "", e->host);
        if (e->outcome != EXPLAIN_OOM_KILLED && e->has_latency)
                kv(s, st, "acted", "%s %s", duration(e->latency_usec, d, sizeof(d)),
                   signal_words(e->signal));
        if (e->has_previous) {
                explain_format_time(e->previous.time, st->utc, t, sizeof(t));
                kv(s, st, "earlier",
                   "%u earlier kill%s in this file; the last: %s on %s (event %llu of run %u)",
                   e->kills_in_file - 1, e->kills_in_file - 1 == 1 ? "" : "s", e->previous.type, t,
                   (unsigned long long) e->previous.seq, e->previous.run);
        }
}

/* ---- what happened ------------------------------------------------------------------------- */

static uint64_t last_footprint(const struct explain *e)
{
        if (e->has_evidence)
                return e->evidence.footprint_bytes;
        if (e->n_points)
                return e->points[e->n_points - 1].footprint_bytes;
        if (e->has_numbers)
                return e->numbers.unreclaimable_bytes + e->numbers.swap_bytes;
        return 0;
}

static const char *event_noun(const struct explain *e)
{
        return e->outcome == EXPLAIN_OOM_KILLED ? "OOM kill" : "kill";
}

static void story_growth(const struct explain *e, bool utc, char *buf, size_t size, size_t *n)
{
        const struct explain_story *st = &e->story;
        char a[BYTES_STR_MAX], d[32], r[32], k[32], at[48];

        if (!st->has_began) {
                cat(buf, size, n,
                    "Its footprint (the memory the kernel cannot reclaim: anon, shmem, kernel "
                    "memory and swap) was not growing: it held at about %s over the last %s.",
                    bytes(last_footprint(e), a), duration(st->window_usec, d, sizeof(d)));
                return;
        }
        format_time_before(e->time, st->began_usec_ago, utc, at, sizeof(at));
        cat(buf, size, n,
            "Its footprint (the memory the kernel cannot reclaim: anon, shmem, kernel memory and "
            "swap) began to grow %s%s%s%s before the %s, and grew by %s (%s)",
            at[0] ? "at " : "", at, at[0] ? ", " : "", duration(st->began_usec_ago, d, sizeof(d)),
            event_noun(e), bytes(st->grew_bytes, a), rate(st->rate_bytes_per_sec, r, sizeof(r)));
        if (st->grew_most >= 0)
                cat(buf, size, n, ", most of it %s (%s)",
                    explain_kind_to_string((enum explain_kind) st->grew_most),
                    signed_bytes(st->kinds_bytes[st->grew_most], k, sizeof(k)));
        cat(buf, size, n, ".");
}

/* The process that held the most, by name: what the reader looks for first. */
static void story_largest(const struct explain *e, char *buf, size_t size, size_t *n)
{
        const struct proc_memory *m = &e->procs.top[0];
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX];

        if (e->procs.source == EXPLAIN_SOURCE_NONE || e->procs.n_top == 0)
                return;
        cat(buf, size, n, " Its largest process was %s (pid %d, %s of RSS: %s anon, %s shmem)",
            m->comm[0] ? m->comm : "?", (int) m->pid, bytes(proc_rss_bytes(m), a),
            bytes(m->rss_anon_bytes, b), bytes(m->rss_shmem_bytes, c));
        if (e->procs.count > 1)
                cat(buf, size, n, ", of %llu in the container",
                    (unsigned long long) e->procs.count);
        cat(buf, size, n, ".");
        const struct explain_story *st = &e->story;
        if (st->grew_most == EXPLAIN_KIND_SHMEM &&
            (int64_t) m->rss_shmem_bytes * 2 < st->kinds_bytes[EXPLAIN_KIND_SHMEM])
                cat(buf, size, n,
                    " The shmem that grew is not in its RSS: files on a tmpfs hold it, not a "
                    "process.");
}

static void story_peak(const struct explain *e, char *buf, size_t size, size_t *n)
{
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX];

        if (!e->story.peak_bytes)
                return;
        if (e->has_limits && e->max_bytes != CG_VALUE_MAX)
                cat(buf, size, n, " memory.current peaked at %s, with memory.max at %s.",
                    bytes(e->story.peak_bytes, a), bytes(e->max_bytes, b));
        else
                cat(buf, size, n, " memory.current peaked at %s; it had no memory.max.",
                    bytes(e->story.peak_bytes, a));
}

static void rule_runaway(const struct explain *e, char *buf, size_t size, size_t *n)
{
        const struct explain_evidence *v = &e->evidence;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX], g[BYTES_STR_MAX], d[32];

        /* Older events say no held_bytes: the footprint then. */
        bool more = v->held_bytes > v->footprint_bytes;

        cat(buf, size, n,
            " At the %s %s was %s of the %s it may use, within the %s margin, and "
            "still growing (%s in the last %s) while the kernel held it back (%llu memory.high "
            "and %llu memory.max events): the kernel's OOM killer would have been next.",
            event_noun(e),
            more ? "what reclaim could not take (its footprint, its tasks' code, charges not yet "
                   "in memory.stat)"
                 : "its footprint",
            bytes(more ? v->held_bytes : v->footprint_bytes, a), bytes(v->capacity_bytes, b),
            bytes(v->margin_bytes, c), bytes(v->grown_bytes, g),
            duration(v->window_usec, d, sizeof(d)), (unsigned long long) v->high_events,
            (unsigned long long) v->max_events);
}

static void rule_stuck(const struct explain *e, char *buf, size_t size, size_t *n)
{
        const struct explain_evidence *v = &e->evidence;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], d[32];

        if (strcmp(e->reason, "stuck_at_high") == 0)
                cat(buf, size, n,
                    " It was pinned at its memory.high (%s) for %s: %llu memory.high events, its "
                    "footprint not moving (it grew %s), its tasks fully stalled %.0f%% of the "
                    "time. Above "
                    "memory.high the kernel throttles but never OOM-kills: it would have stayed "
                    "stuck.",
                    bytes(e->has_limits ? e->high_bytes : CG_VALUE_MAX, a),
                    duration(v->window_usec, d, sizeof(d)), (unsigned long long) v->high_events,
                    bytes(v->grown_bytes, b), v->psi_full_pct);
        else
                cat(buf, size, n,
                    " It was thrashing at memory.max (%s) for %s: %llu memory.max events and %llu "
                    "refaults, its footprint not moving (it grew %s), fully stalled %.0f%% of the "
                    "time: "
                    "the kernel kept reclaiming its code and cache instead of OOM-killing it.",
                    bytes(e->has_limits ? e->max_bytes : CG_VALUE_MAX, a),
                    duration(v->window_usec, d, sizeof(d)), (unsigned long long) v->max_events,
                    (unsigned long long) v->refaults, bytes(v->grown_bytes, b), v->psi_full_pct);
}

static void node_rule_words(const struct explain_node *nd, char *buf, size_t size, size_t *n)
{
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], d[32], t[32];

        if (strcmp(nd->rule, "floor") == 0)
                cat(buf, size, n, "its headroom fell below the floor, %s, and kept falling",
                    bytes(nd->floor_bytes, a));
        else if (strcmp(nd->rule, "trajectory") == 0) {
                cat(buf, size, n, "its headroom fell by %s/s for %s",
                    bytes((uint64_t) (nd->fall_bytes_per_sec > 0 ? nd->fall_bytes_per_sec : 0), b),
                    duration(nd->falling_usec, d, sizeof(d)));
                if (nd->has_eta)
                        cat(buf, size, n, " and would have reached the floor (%s) in %s",
                            bytes(nd->floor_bytes, a), duration(nd->eta_usec, t, sizeof(t)));
        } else if (strcmp(nd->rule, "swap") == 0)
                cat(buf, size, n, "its free swap ran out with memory short (%s free)",
                    bytes(nd->swap_free_bytes, a));
        else if (strcmp(nd->rule, "pressure") == 0)
                cat(buf, size, n, "it stalled on memory (PSI full avg10 %.1f%%) for too long",
                    nd->psi_full_avg10);
        else
                cat(buf, size, n, "its rule \"%s\" fired", nd->rule);
}

static void rule_node(const struct explain *e, char *buf, size_t size, size_t *n)
{
        char a[BYTES_STR_MAX];

        cat(buf, size, n, " The node was running out of memory: ");
        node_rule_words(&e->node, buf, size, n);
        cat(buf, size, n, ". Of the containers cgmem may kill, this one ranked first");
        if (e->n_candidates > 0)
                cat(buf, size, n, " (score %s: its footprint above its protection plus its growth)",
                    bytes((uint64_t) (e->candidates[0].score > 0 ? e->candidates[0].score : 0), a));
        cat(buf, size, n, ".");
}

static bool is_ancestor(const char *ancestor, const char *path)
{
        size_t n = strlen(ancestor);

        return n > 0 && strncmp(path, ancestor, n) == 0 && (path[n] == '/' || n == 1);
}

/* The pod's own slice: kubepods-<qos>-pod<uid>.slice, its uid with underscores. */
static bool is_pod_of(const char *cgroup, const struct explain_who *w)
{
        const char *last = strrchr(cgroup, '/');
        char uid[sizeof(w->pod_uid)];

        if (!w->pod_uid[0] || !last)
                return false;
        snprintf(uid, sizeof(uid), "%s", w->pod_uid);
        for (char *p = uid; *p; p++)
                if (*p == '-')
                        *p = '_';
        return strstr(last, uid) || strstr(last, w->pod_uid);
}

static void rule_oom(const struct explain *e, char *buf, size_t size, size_t *n)
{
        const struct explain_victim *v = &e->victim;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX];

        if (!e->has_victim) {
                cat(buf, size, n,
                    " The kernel did not name its victim (no /dev/kmsg access, or the record was "
                    "lost).");
                return;
        }
        if (!v->memcg_oom)
                cat(buf, size, n,
                    " The whole node ran out of memory (a global OOM, not a cgroup limit) and the "
                    "kernel chose %s (pid %d) as the largest process",
                    v->comm, v->pid);
        else if (strcmp(v->oom_memcg, e->who.cgroup) == 0)
                cat(buf, size, n,
                    " Its memory.max%s%s was reached with nothing left to reclaim, and the kernel "
                    "killed %s (pid %d), its largest process",
                    e->has_limits && e->max_bytes != CG_VALUE_MAX ? " of " : "",
                    e->has_limits && e->max_bytes != CG_VALUE_MAX ? bytes(e->max_bytes, a) : "",
                    v->comm, v->pid);
        else
                cat(buf, size, n,
                    " The limit reached was not its own memory.max but that of %s, %s, and the "
                    "kernel killed %s (pid %d) there",
                    !is_ancestor(v->oom_memcg, e->who.cgroup) ? "another cgroup"
                    : is_pod_of(v->oom_memcg, &e->who)        ? "its pod"
                                                              : "an ancestor",
                    v->oom_memcg, v->comm, v->pid);
        cat(buf, size, n, ": %s anon, %s file and %s shmem resident.", bytes(v->anon_rss_bytes, a),
            bytes(v->file_rss_bytes, b), bytes(v->shmem_rss_bytes, c));
        if (v->memcg_oom && v->oom_memcg[0] && strcmp(v->oom_memcg, e->who.cgroup) != 0)
                cat(buf, size, n,
                    " cgmem guards each container's own memory.max, not its pod's or slice's.");
        if (e->run_dry)
                cat(buf, size, n, " cgmem ran with --dry-run, so it acted on nothing.");
}

static bool shmem_matters(const struct explain_story *st)
{
        return st->shmem_bytes >= MiB && st->shmem_bytes * 10 >= st->stays_bytes;
}

static void story_stays(const struct explain *e, char *buf, size_t size, size_t *n)
{
        const struct explain_story *st = &e->story;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX];
        const char *verb = e->outcome == EXPLAIN_KILLED ? "gives" : "would have given";
        const char *stays = e->outcome == EXPLAIN_KILLED ? "stays" : "would have stayed";

        if (e->outcome == EXPLAIN_OOM_KILLED) {
                if (shmem_matters(st))
                        cat(buf, size, n, " Its %s of shmem does not leave with a process.",
                            bytes(st->shmem_bytes, a));
        } else {
                cat(buf, size, n,
                    " The kill %s back about %s (anon, swap and unreclaimable kernel memory).",
                    verb, bytes(st->frees_bytes, a));
                if (st->stays_bytes > 0)
                        cat(buf, size, n,
                            " %s %s charged to the cgroup: %s of shmem and %s of page cache.",
                            bytes(st->stays_bytes, a), stays, bytes(st->shmem_bytes, b),
                            bytes(st->stays_bytes > st->shmem_bytes
                                          ? st->stays_bytes - st->shmem_bytes
                                          : 0,
                                  c));
        }
        if (shmem_matters(st))
                cat(buf, size, n,
                    " Shmem is tmpfs (/dev/shm, a tmpfs mount, memfd) and shared memory: it "
                    "outlives "
                    "the processes and stays until its files are deleted or the tmpfs is "
                    "unmounted.");
}

static void render_story(const struct explain *e, const struct explain_style *st,
                         struct top_screen *s)
{
        char text[4096], d[32];
        size_t n = 0;

        heading(s, "What happened");
        if (e->has_story) {
                story_growth(e, st->utc, text, sizeof(text), &n);
                story_largest(e, text, sizeof(text), &n);
                story_peak(e, text, sizeof(text), &n);
        } else
                cat(text, sizeof(text), &n,
                    "The event tells no story of its memory: cgmem's recorder had not watched the "
                    "container long enough, or an older agent wrote it.");
        if (e->outcome == EXPLAIN_OOM_KILLED)
                rule_oom(e, text, sizeof(text), &n);
        else if (e->has_node)
                rule_node(e, text, sizeof(text), &n);
        else if (e->has_evidence && strcmp(e->reason, "runaway") == 0)
                rule_runaway(e, text, sizeof(text), &n);
        else if (e->has_evidence)
                rule_stuck(e, text, sizeof(text), &n);
        para(s, st, TOP_ATTR_NORMAL, "%s", text);
        n = 0;
        if (e->outcome == EXPLAIN_KILL_FAILED)
                cat(text, sizeof(text), &n,
                    "The kill failed (%s, errno %d): the container kept running after this event.",
                    e->error[0] ? e->error : "unknown error", e->error_errno);
        else if (e->outcome == EXPLAIN_WOULD_KILL)
                cat(text, sizeof(text), &n, "Nothing was done: %s.",
                    e->dry_run ? "cgmem ran with --dry-run" : "[enforce] kill = no");
        if (e->has_story)
                story_stays(e, text, sizeof(text), &n);
        if (n > 0) {
                top_screen_add(s);
                para(s, st, shmem_matters(&e->story) ? TOP_ATTR_YELLOW : TOP_ATTR_NORMAL, "%s",
                     text + (text[0] == ' '));
        }
        (void) d;
}

/* ---- the plot ------------------------------------------------------------------------------ */

#define PLOT_ROWS  6
#define PLOT_LABEL 6
#define PLOT_MAX   96

struct column {
        uint64_t footprint, current;
        unsigned rose;
};

/* Each point in the column its time falls in (the oldest left); empty columns hold the last. */
static void bucket(const struct explain_point *p, size_t n, struct column *cols, int w)
{
        uint64_t span = p[0].ago_usec;
        bool filled[PLOT_MAX] = {0};

        memset(cols, 0, sizeof(*cols) * (size_t) w);
        for (size_t i = 0; i < n; i++) {
                uint64_t ago = p[i].ago_usec > span ? span : p[i].ago_usec;
                int c = w - 1 - (int) ((double) ago * w / (double) span);
                c = c < 0 ? 0 : c;
                if (!filled[c] || p[i].footprint_bytes > cols[c].footprint)
                        cols[c].footprint = p[i].footprint_bytes;
                if (!filled[c] || p[i].current_bytes > cols[c].current)
                        cols[c].current = p[i].current_bytes;
                cols[c].rose |= p[i].rose;
                filled[c] = true;
        }
        for (int c = 1; c < w; c++)
                if (!filled[c]) {
                        cols[c].footprint = cols[c - 1].footprint;
                        cols[c].current = cols[c - 1].current;
                }
}

static unsigned level(uint64_t v, uint64_t top)
{
        double l = (double) v * PLOT_ROWS * 8 / (double) top + 0.5;

        return l > PLOT_ROWS * 8 ? PLOT_ROWS * 8 : (unsigned) l;
}

/* One cell of row (0 at the bottom): the footprint in blocks, page cache above it shaded. */
static const char *cell(const struct column *c, uint64_t top, int row, bool unicode)
{
        static const char *const eighths[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
        unsigned f = level(c->footprint, top), cur = level(c->current, top);
        unsigned low = (unsigned) row * 8;

        if (f >= low + 8)
                return unicode ? "█" : "#";
        if (f > low)
                return unicode ? eighths[f - low] : f - low >= 4 ? "#" : ".";
        if (cur >= low + 4)
                return unicode ? "░" : ":";
        return " ";
}

static const char *rose_mark(unsigned rose)
{
        return rose & EXPLAIN_ROSE_OOM_KILL ? "K"
               : rose & EXPLAIN_ROSE_OOM    ? "O"
               : rose & EXPLAIN_ROSE_MAX    ? "M"
               : rose & EXPLAIN_ROSE_HIGH   ? "H"
                                            : " ";
}

static void plot_rows(const struct column *cols, int w, uint64_t top, bool top_is_limit,
                      const struct explain_style *st, struct top_screen *s)
{
        char a[BYTES_STR_MAX];

        for (int row = PLOT_ROWS - 1; row >= 0; row--) {
                struct top_line *l = top_screen_add(s);
                top_line_printf(l, TOP_ATTR_NORMAL, "%*s", INDENT, "");
                if (row == PLOT_ROWS - 1)
                        top_line_printf(l, TOP_ATTR_NORMAL, "%*s %s", PLOT_LABEL, bytes(top, a),
                                        st->unicode ? "┤" : "+");
                else
                        top_line_printf(l, TOP_ATTR_NORMAL, "%*s %s", PLOT_LABEL, "",
                                        st->unicode ? "│" : "|");
                for (int c = 0; c < w; c++) {
                        const char *ch = cell(&cols[c], top, row, st->unicode);
                        top_line_printf(l,
                                        strcmp(ch, "░") == 0 || strcmp(ch, ":") == 0
                                                ? TOP_ATTR_DIM
                                                : TOP_ATTR_NORMAL,
                                        "%s", ch);
                }
                if (row == PLOT_ROWS - 1 && top_is_limit)
                        top_line_printf(l, TOP_ATTR_DIM, " memory.max");
        }
}

static void plot_axis(const struct column *cols, int w, int began_col, uint64_t span,
                      const char *end_label, const struct explain_style *st, struct top_screen *s)
{
        struct top_line *l = top_screen_add(s);
        bool any_rose = false;
        char d[32];

        top_line_printf(l, TOP_ATTR_NORMAL, "%*s%*s %s", INDENT, "", PLOT_LABEL, "0",
                        st->unicode ? "└" : "+");
        for (int c = 0; c < w; c++) {
                any_rose = any_rose || cols[c].rose;
                top_line_printf(l, TOP_ATTR_NORMAL, "%s",
                                c == began_col ? (st->unicode ? "┴" : "^")
                                               : (st->unicode ? "─" : "-"));
        }
        if (any_rose) {
                l = top_screen_add(s);
                top_line_printf(l, TOP_ATTR_DIM, "%*s%*s  ", INDENT, "", PLOT_LABEL, "events");
                for (int c = 0; c < w; c++)
                        top_line_printf(l, TOP_ATTR_RED, "%s", rose_mark(cols[c].rose));
        }
        l = top_screen_add(s);
        snprintf(d, sizeof(d), "-");
        explain_format_duration(span, d + 1, sizeof(d) - 1);
        int pad = w - (int) strlen(d) - (int) strlen(end_label);
        top_line_printf(l, TOP_ATTR_NORMAL, "%*s%s%*s%s", INDENT + PLOT_LABEL + 2, "", d,
                        pad > 1 ? pad : 1, "", end_label);
}

static void plot_legend(bool began, bool any_rose, uint64_t limit, uint64_t top,
                        const struct explain_style *st, struct top_screen *s)
{
        char text[512], a[BYTES_STR_MAX];
        size_t n = 0;

        cat(text, sizeof(text), &n,
            "%s" NBSP "footprint  %s" NBSP "page" NBSP "cache" NBSP "and" NBSP "other" NBSP
            "reclaimable" NBSP "memory",
            st->unicode ? "█" : "#", st->unicode ? "░" : ":");
        if (began)
                cat(text, sizeof(text), &n, "  %s" NBSP "growth" NBSP "began",
                    st->unicode ? "┴" : "^");
        if (limit != CG_VALUE_MAX && limit > top)
                cat(text, sizeof(text), &n, "  (memory.max, %s, is above the chart)",
                    bytes(limit, a));
        wrap(s, st, TOP_ATTR_DIM, INDENT + PLOT_LABEL + 2, INDENT + PLOT_LABEL + 2, text);
        if (any_rose)
                wrap(s, st, TOP_ATTR_DIM, INDENT + PLOT_LABEL + 2, INDENT + PLOT_LABEL + 2,
                     "events rising: H memory.high, M memory.max, O oom, K oom_kill");
}

void explain_render_plot(const struct explain_point *p, size_t n, uint64_t limit,
                         uint64_t began_usec_ago, const char *end_label,
                         const struct explain_style *st, struct top_screen *s)
{
        struct column cols[PLOT_MAX];
        uint64_t peak = 0;
        bool any_rose = false;

        if (n < 3 || p[0].ago_usec == 0)
                return;
        int w = st->width - INDENT - PLOT_LABEL - 2 - (int) strlen(" memory.max");
        w = w > PLOT_MAX ? PLOT_MAX : w < 16 ? 16 : w;
        bucket(p, n, cols, w);
        for (int c = 0; c < w; c++) {
                peak = cols[c].footprint > peak ? cols[c].footprint : peak;
                peak = cols[c].current > peak ? cols[c].current : peak;
                any_rose = any_rose || cols[c].rose;
        }
        /* The limit is the top when it is near: how close the footprint came shows. */
        bool top_is_limit = limit != CG_VALUE_MAX && limit >= peak && limit / 3 <= peak / 2;
        uint64_t top = top_is_limit ? limit : peak ? peak : 1;
        int began_col = -1;
        if (began_usec_ago != UINT64_MAX && began_usec_ago <= p[0].ago_usec)
                began_col = w - 1 - (int) ((double) began_usec_ago * w / (double) p[0].ago_usec);
        plot_rows(cols, w, top, top_is_limit, st, s);
        plot_axis(cols, w, began_col < 0 ? -1 : began_col, p[0].ago_usec, end_label, st, s);
        plot_legend(began_col >= 0, any_rose, top_is_limit ? CG_VALUE_MAX : limit, top, st, s);
}

static void render_plot_section(const struct explain *e, const struct explain_style *st,
                                struct top_screen *s)
{
        static const char *const from[_EXPLAIN_SOURCE_MAX] = {
                [EXPLAIN_SOURCE_RECORD] = "the record file",
                [EXPLAIN_SOURCE_EVENT] = "the event's story",
                [EXPLAIN_SOURCE_EVIDENCE] = "the policy's last samples",
        };
        char title[256], d[32];

        if (e->n_points < 3 || e->points[0].ago_usec == 0)
                return;
        snprintf(title, sizeof(title), "Memory in the %s before the %s (%zu points from %s)",
                 duration(e->points[0].ago_usec, d, sizeof(d)), event_noun(e), e->n_points,
                 from[e->plot_source] ?: "the event");
        heading(s, title);
        explain_render_plot(e->points, e->n_points, e->has_limits ? e->max_bytes : CG_VALUE_MAX,
                            e->has_story && e->story.has_began ? e->story.began_usec_ago
                                                               : UINT64_MAX,
                            e->outcome == EXPLAIN_OOM_KILLED ? "oom kill" : "kill", st, s);
}

/* ---- processes ----------------------------------------------------------------------------- */

static void proc_cell(struct top_line *l, uint64_t v, int width)
{
        char b[BYTES_STR_MAX];

        top_line_printf(l, TOP_ATTR_NORMAL, " %*s", width,
                        v == PROC_VALUE_UNKNOWN ? "-" : bytes(v, b));
}

static void render_procs(const struct explain *e, const struct explain_style *st,
                         struct top_screen *s)
{
        const struct explain_procs *p = &e->procs;
        char title[512], d[32];
        bool pss = false, victim = false;
        size_t n = 0;

        if (p->source == EXPLAIN_SOURCE_NONE)
                return;
        cat(title, sizeof(title), &n, "Processes %s before the %s: %llu in the container",
            duration(p->age_usec, d, sizeof(d)), event_noun(e), (unsigned long long) p->count);
        if (p->n_top == 0) {
                heading(s, title);
                wrap(s, st, TOP_ATTR_DIM, INDENT, INDENT,
                     p->count ? "None was read within the time the agent allows itself before "
                                "a kill."
                              : "None: the cgroup held no process of its own.");
                return;
        }
        if (!p->complete)
                cat(title, sizeof(title), &n, ", not all read in time");
        if ((uint64_t) p->n_top < p->count)
                cat(title, sizeof(title), &n, ", the largest %zu shown", p->n_top);
        if (p->source == EXPLAIN_SOURCE_RECORD)
                cat(title, sizeof(title), &n, " (from the record file)");
        heading(s, title);
        for (size_t i = 0; i < p->n_top; i++)
                pss = pss || p->top[i].pss_bytes != PROC_VALUE_UNKNOWN;
        struct top_line *l = top_screen_add(s);
        top_line_printf(l, TOP_ATTR_BOLD, "%*s%8s %-15s %7s %7s %7s %7s %7s", INDENT, "", "PID",
                        "COMMAND", "RSS", "ANON", "FILE", "SHMEM", "SWAP");
        if (pss)
                top_line_printf(l, TOP_ATTR_BOLD, " %7s %7s", "PSS", "USS");
        for (size_t i = 0; i < p->n_top; i++) {
                const struct proc_memory *m = &p->top[i];
                bool is_victim = e->has_victim && m->pid == e->victim.pid;
                victim = victim || is_victim;
                l = top_screen_add(s);
                top_line_printf(l, is_victim ? TOP_ATTR_RED : TOP_ATTR_NORMAL, "%*s%7d%s %-15s",
                                INDENT, "", (int) m->pid, is_victim ? "*" : " ", m->comm);
                proc_cell(l, proc_rss_bytes(m), 7);
                proc_cell(l, m->rss_anon_bytes, 7);
                proc_cell(l, m->rss_file_bytes, 7);
                proc_cell(l, m->rss_shmem_bytes, 7);
                proc_cell(l, m->swap_bytes, 7);
                if (pss) {
                        proc_cell(l, m->pss_bytes, 7);
                        proc_cell(l, m->uss_bytes, 7);
                }
        }
        if (victim)
                wrap(s, st, TOP_ATTR_DIM, INDENT, INDENT, "* the OOM killer's victim");
        if (pss)
                wrap(s, st, TOP_ATTR_DIM, INDENT, INDENT,
                     "RSS counts a page shared by several processes in each of them; PSS "
                     "divides it among them; USS is what only that process holds.");
}

/* ---- the rule ------------------------------------------------------------------------------ */

static void render_evidence(const struct explain *e, const struct explain_style *st,
                            struct top_screen *s)
{
        const struct explain_evidence *v = &e->evidence;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX], d[32], title[128];
        bool runaway = strcmp(e->reason, "runaway") == 0;

        snprintf(title, sizeof(title), "The rule that fired: %s", explain_reason_words(e->reason));
        heading(s, title);
        kv(s, st, "footprint", "%-7s anon + shmem + unreclaimable kernel memory + swap",
           bytes(v->footprint_bytes, a));
        if (runaway) {
                uint64_t line = v->capacity_bytes > v->margin_bytes
                                        ? v->capacity_bytes - v->margin_bytes
                                        : 0;
                kv(s, st, "capacity", "%-7s memory.max %s plus the swap it may still use",
                   bytes(v->capacity_bytes, a),
                   bytes(e->has_limits ? e->max_bytes : v->capacity_bytes, b));
                kv(s, st, "kill line",
                   "%-7s capacity less the margin (%s, enforce.limit_margin): %s", bytes(line, a),
                   bytes(v->margin_bytes, b),
                   v->footprint_bytes >= line ? "reached" : "not reached");
        } else if (strcmp(e->reason, "stuck_at_high") == 0)
                kv(s, st, "memory.high", "%-7s where it was pinned (its owner's or cgmem's band)",
                   bytes(e->has_limits ? e->high_bytes : CG_VALUE_MAX, a));
        else
                kv(s, st, "memory.max", "%-7s",
                   bytes(e->has_limits ? e->max_bytes : CG_VALUE_MAX, a));
        kv(s, st, "growth", "%-7s in the last %s%s", bytes(v->grown_bytes, a),
           duration(v->window_usec, d, sizeof(d)),
           runaway ? " (a runaway still grows)" : " (a stuck one does not)");
        kv(s, st, "events", "%llu memory.high, %llu memory.max in that time; %llu refaults",
           (unsigned long long) v->high_events, (unsigned long long) v->max_events,
           (unsigned long long) v->refaults);
        kv(s, st, "stalled", "%.1f%% of that time, all tasks (PSI full)", v->psi_full_pct);
        if (e->has_limits && e->high_bytes != CG_VALUE_MAX && runaway)
                kv(s, st, "memory.high", "%-7s where the kernel throttles it (memory.max %s)",
                   bytes(e->high_bytes, a), bytes(e->max_bytes, c));
}

static void render_candidates(const struct explain *e, const struct explain_style *st,
                              struct top_screen *s)
{
        char a[BYTES_STR_MAX], r[32];
        int name_width = st->width - INDENT - 2 - 6 * 8 - 9 - 15;

        if (e->n_candidates == 0)
                return;
        top_screen_add(s);
        wrap(s, st, TOP_ATTR_NORMAL, INDENT, INDENT,
             "The candidates, in cgmem's order (marks, then QoS, then score; the first was "
             "killed):");
        struct top_line *l = top_screen_add(s);
        top_line_printf(l, TOP_ATTR_BOLD, "%*s  %8s %9s %9s %8s %-8s %-14s %s", INDENT, "", "SCORE",
                        "FOOTPRINT", "PROTECTED", "GROWTH", "MARK", "QOS", "CONTAINER");
        for (size_t i = 0; i < e->n_candidates; i++) {
                const struct explain_candidate *c = &e->candidates[i];
                l = top_screen_add(s);
                top_line_printf(l, i == 0 ? TOP_ATTR_RED : TOP_ATTR_NORMAL, "%*s%s ", INDENT, "",
                                i == 0 ? "*" : " ");
                top_line_printf(l, TOP_ATTR_NORMAL, "%8s",
                                bytes((uint64_t) (c->score > 0 ? c->score : 0), a));
                top_line_printf(l, TOP_ATTR_NORMAL, " %9s", bytes(c->footprint_bytes, a));
                top_line_printf(l, TOP_ATTR_NORMAL, " %9s",
                                c->protected_bytes == CG_VALUE_MAX ? "-"
                                                                   : bytes(c->protected_bytes, a));
                top_line_printf(l, TOP_ATTR_NORMAL, " %8s %-8s %-14s %.*s",
                                rate(c->rate_bytes_per_sec, r, sizeof(r)), c->mark, c->qos,
                                name_width > 12 ? name_width : 12, c->display);
        }
}

static void render_node(const struct explain *e, const struct explain_style *st,
                        struct top_screen *s)
{
        const struct explain_node *nd = &e->node;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX], r[32], d[32], t[32];
        char title[128];

        snprintf(title, sizeof(title), "The rule that fired: node pressure, \"%s\"", nd->rule);
        heading(s, title);
        kv(s, st, "headroom", "%-7s MemAvailable %s plus free swap that does not live in RAM (%s)",
           bytes(nd->headroom_bytes, a), bytes(nd->mem_available_bytes, b),
           bytes(nd->swap_free_bytes, c));
        kv(s, st, "floor", "%-7s node.mem_floor of the node's memory", bytes(nd->floor_bytes, a));
        snprintf(r, sizeof(r), "%s/s",
                 bytes((uint64_t) (nd->fall_bytes_per_sec > 0 ? nd->fall_bytes_per_sec : 0), a));
        kv(s, st, "falling", "%-7s for %s%s%s", r, duration(nd->falling_usec, d, sizeof(d)),
           nd->has_eta ? "; the floor at that pace in " : "",
           nd->has_eta ? duration(nd->eta_usec, t, sizeof(t)) : "");
        kv(s, st, "stalled",
           "%.1f%% of the last 3s, all tasks (PSI full; avg10 %.1f%%), %llu "
           "refaults",
           nd->psi_full_pct, nd->psi_full_avg10, (unsigned long long) nd->refaults);
        if (nd->has_reclaim_scans)
                kv(s, st, "reclaim", "%llu pages scanned by the node's own reclaim in the last 3s",
                   (unsigned long long) nd->reclaim_scans);
        render_candidates(e, st, s);
}

static void render_victim(const struct explain *e, const struct explain_style *st,
                          struct top_screen *s)
{
        const struct explain_victim *v = &e->victim;
        char a[BYTES_STR_MAX], b[BYTES_STR_MAX], c[BYTES_STR_MAX], d[BYTES_STR_MAX];

        heading(s, "The kernel's OOM kill (from /dev/kmsg)");
        if (!e->has_victim) {
                para(s, st, TOP_ATTR_NORMAL, "The kernel log did not name the victim.");
                return;
        }
        kv(s, st, "victim", "%s, pid %d: %s anon, %s file, %s shmem resident, %s virtual", v->comm,
           v->pid, bytes(v->anon_rss_bytes, a), bytes(v->file_rss_bytes, b),
           bytes(v->shmem_rss_bytes, c), bytes(v->total_vm_bytes, d));
        kv(s, st, "limit hit", "%s%s", v->memcg_oom ? v->oom_memcg : "none: the node ran out",
           !v->memcg_oom || strcmp(v->oom_memcg, e->who.cgroup) == 0 ? " (its own)"
           : is_pod_of(v->oom_memcg, &e->who)                        ? " (its pod)"
           : is_ancestor(v->oom_memcg, e->who.cgroup)                ? " (an ancestor)"
                                                                     : "");
        if (v->task_memcg[0] && strcmp(v->task_memcg, e->who.cgroup) != 0)
                kv(s, st, "victim in", "%s", v->task_memcg);
}

static void render_rule(const struct explain *e, const struct explain_style *st,
                        struct top_screen *s)
{
        if (e->outcome == EXPLAIN_OOM_KILLED)
                render_victim(e, st, s);
        else if (e->has_node)
                render_node(e, st, s);
        else if (e->has_evidence)
                render_evidence(e, st, s);
}

static void render_notes(const struct explain *e, const struct explain_style *st,
                         struct top_screen *s)
{
        if (e->n_notes == 0)
                return;
        heading(s, "Notes");
        for (size_t i = 0; i < e->n_notes; i++)
                wrap(s, st, TOP_ATTR_DIM, INDENT, INDENT + 2, e->notes[i]);
}

void explain_render_text(const struct explain *e, const struct explain_style *st,
                         struct top_screen *s)
{
        char headline[1024];

        explain_headline(e, headline, sizeof(headline));
        wrap(s, st, e->outcome == EXPLAIN_WOULD_KILL ? TOP_ATTR_BOLD : TOP_ATTR_RED, 0, 2,
             headline);
        top_screen_add(s);
        render_who(e, st, s);
        render_when(e, st, s);
        render_story(e, st, s);
        render_plot_section(e, st, s);
        render_procs(e, st, s);
        render_rule(e, st, s);
        render_notes(e, st, s);
}

/* ---- the list ------------------------------------------------------------------------------ */

static void entry_name(const struct explain_entry *x, char *buf, size_t size)
{
        if (x->target)
                explain_target_display(x->target, buf, size);
        else
                snprintf(buf, size, "(truncated)");
}

void explain_render_list(const struct explain_scan *scan, const struct explain_target *target,
                         const struct explain_style *st, struct top_screen *s)
{
        char t[64], name[EXPLAIN_STR_MAX];

        top_line_printf(top_screen_add(s), TOP_ATTR_BOLD, "%3s %6s  %-27s  %-11s %-14s %-16s %s",
                        "RUN", "SEQ", "TIME", "EVENT", "REASON", "NAME", "CGROUP");
        for (size_t i = 0; i < scan->n_entries; i++) {
                const struct explain_entry *x = &scan->entries[i];
                if (target && x->target != target)
                        continue;
                explain_format_time(x->time, st->utc, t, sizeof(t));
                entry_name(x, name, sizeof(name));
                top_line_printf(top_screen_add(s), x->truncated ? TOP_ATTR_DIM : TOP_ATTR_NORMAL,
                                "%3u %6llu  %-27s  %-11s %-14s %-16s %s", x->run,
                                (unsigned long long) x->seq, t, x->type,
                                x->reason[0] ? x->reason : "-", name,
                                x->target ? x->target->cgroup : "-");
        }
}

int explain_print_list_json(const struct explain_scan *scan, const struct explain_target *target,
                            FILE *out)
{
        char name[EXPLAIN_STR_MAX];

        for (size_t i = 0; i < scan->n_entries; i++) {
                const struct explain_entry *x = &scan->entries[i];
                if (target && x->target != target)
                        continue;
                entry_name(x, name, sizeof(name));
                json_t *o = JSON_OBJECT(
                        {"run", json_integer(x->run)}, {"seq", json_u64(x->seq)},
                        {"line", json_u64(x->line_no)}, {"time", json_string_or_null(x->time)},
                        {"type", json_string(x->type)}, {"reason", json_string_or_null(x->reason)},
                        {"name", x->target ? json_string(name) : json_null()},
                        {"cgroup", x->target ? json_string(x->target->cgroup) : json_null()},
                        {"truncated", json_boolean(x->truncated)});
                if (!o)
                        return -ENOMEM;
                int r = json_dumpf(o, out, JSON_COMPACT);
                json_decref(o);
                if (r < 0)
                        return -EIO;
                fputc('\n', out);
        }
        return ferror(out) ? -EIO : 0;
}
