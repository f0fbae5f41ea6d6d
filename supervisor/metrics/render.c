/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "render.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"

/* ---- one line ---- */

struct line {
        char *buf;
        size_t len;
        const char *name;   /* the family's */
        const char *labels; /* the row's escaped pairs, or "" */
        size_t labels_len;
};

static void put(struct line *l, const char *s, size_t n)
{
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static void puts_(struct line *l, const char *s)
{
        put(l, s, strlen(s));
}

/* "name[suffix]{row labels[,extra]} value\n"; the braces only when there is a label. */
static bool emit(struct line *l, const char *suffix, const char *extra, const char *value)
{
        bool any = l->labels_len || extra;

        puts_(l, l->name);
        if (suffix)
                puts_(l, suffix);
        if (any)
                put(l, "{", 1);
        put(l, l->labels, l->labels_len);
        if (extra) {
                if (l->labels_len)
                        put(l, ",", 1);
                puts_(l, extra);
        }
        if (any)
                put(l, "}", 1);
        put(l, " ", 1);
        puts_(l, value);
        put(l, "\n", 1);
        return true;
}

static bool emit_u64(struct line *l, const char *extra, uint64_t v)
{
        char value[24];

        snprintf(value, sizeof(value), "%" PRIu64, v);
        return emit(l, NULL, extra, value);
}

/* Microseconds as seconds, exactly: no rounding through a double. */
static bool emit_seconds(struct line *l, const char *extra, uint64_t usec)
{
        char value[32];

        snprintf(value, sizeof(value), "%" PRIu64 ".%06" PRIu64, usec / 1000000, usec % 1000000);
        return emit(l, NULL, extra, value);
}

static bool emit_double(struct line *l, const char *extra, double v)
{
        char value[32];

        if (isnan(v))
                snprintf(value, sizeof(value), "NaN");
        else if (isinf(v))
                snprintf(value, sizeof(value), "%sInf", v > 0 ? "+" : "-");
        else
                snprintf(value, sizeof(value), "%.6g", v);
        return emit(l, NULL, extra, value);
}

/* ---- containers: cAdvisor's names ---- */

/* Every per-container item function: the item-th series of family for row r, if it has one. */
typedef bool (*item_fn)(struct line *l, const struct metrics_snapshot *s,
                        const struct metrics_container *r, unsigned item);

static bool usage(struct line *l, const struct metrics_snapshot *s,
                  const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.current_bytes);
}

static bool working_set(struct line *l, const struct metrics_snapshot *s,
                        const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, memcg_working_set_bytes(&r->sample));
}

static bool rss(struct line *l, const struct metrics_snapshot *s, const struct metrics_container *r,
                unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.stat.anon);
}

static bool cache(struct line *l, const struct metrics_snapshot *s,
                  const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.stat.file);
}

static bool mapped_file(struct line *l, const struct metrics_snapshot *s,
                        const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.stat.file_mapped);
}

static bool kernel_usage(struct line *l, const struct metrics_snapshot *s,
                         const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, memcg_kernel_bytes(&r->sample));
}

static bool swap(struct line *l, const struct metrics_snapshot *s,
                 const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return (r->sample.have & MEMCG_HAVE_SWAP) &&
               emit_u64(l, NULL, r->sample.swap_current_bytes);
}

static bool failures(struct line *l, const struct metrics_snapshot *s,
                     const struct metrics_container *r, unsigned item)
{
        (void) s;
        return item == 0 ? emit_u64(l, "failure_type=\"pgfault\",scope=\"container\"",
                                    r->sample.stat.pgfault)
                         : emit_u64(l, "failure_type=\"pgmajfault\",scope=\"container\"",
                                    r->sample.stat.pgmajfault);
}

static bool events_high(struct line *l, const struct metrics_snapshot *s,
                        const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.events.high);
}

static bool events_max(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.events.max);
}

static bool oom_events(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.events.oom_kill);
}

/* cAdvisor's convention for a limit that is not set: 0. */
static uint64_t limit_or_zero(uint64_t v)
{
        return v == CG_VALUE_MAX ? 0 : v;
}

static bool spec_limit(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, limit_or_zero(r->sample.max_bytes));
}

static bool spec_reservation(struct line *l, const struct metrics_snapshot *s,
                             const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, limit_or_zero(r->sample.low_bytes));
}

static bool pressure_waiting(struct line *l, const struct metrics_snapshot *s,
                             const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return (r->sample.have & MEMCG_HAVE_PSI) &&
               emit_seconds(l, NULL, r->sample.psi.some.total_usec);
}

static bool pressure_stalled(struct line *l, const struct metrics_snapshot *s,
                             const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return (r->sample.have & MEMCG_HAVE_PSI) && r->sample.psi.has_full &&
               emit_seconds(l, NULL, r->sample.psi.full.total_usec);
}

/* ---- containers: cgmem's ---- */

static bool events_oom(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->sample.events.oom);
}

/* The limits that are set: protections above 0, ceilings below "max". */
static bool limits(struct line *l, const struct metrics_snapshot *s,
                   const struct metrics_container *r, unsigned item)
{
        const struct memcg_sample *m = &r->sample;

        (void) s;
        switch (item) {
        case 0:
                return m->min_bytes && emit_u64(l, "limit=\"min\"", m->min_bytes);
        case 1:
                return m->low_bytes && emit_u64(l, "limit=\"low\"", m->low_bytes);
        case 2:
                return m->high_bytes != CG_VALUE_MAX &&
                       emit_u64(l, "limit=\"high\"", m->high_bytes);
        case 3:
                return m->max_bytes != CG_VALUE_MAX && emit_u64(l, "limit=\"max\"", m->max_bytes);
        default:
                return (m->have & MEMCG_HAVE_SWAP) && m->swap_max_bytes != CG_VALUE_MAX &&
                       emit_u64(l, "limit=\"swap_max\"", m->swap_max_bytes);
        }
}

static bool footprint(struct line *l, const struct metrics_snapshot *s,
                      const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL,
                        memcg_unreclaimable_bytes(&r->sample) + r->sample.swap_current_bytes);
}

static bool kernel_share(struct line *l, const struct metrics_snapshot *s,
                         const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_double(l, NULL, memcg_kernel_share_pct(&r->sample) / 100.0);
}

static bool growth(struct line *l, const struct metrics_snapshot *s,
                   const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_double(l, NULL, r->growth_bytes_per_sec);
}

static bool throttled(struct line *l, const struct metrics_snapshot *s,
                      const struct metrics_container *r, unsigned item)
{
        (void) s, (void) item;
        return emit_u64(l, NULL, r->throttled);
}

static void action_labels(unsigned item, char *buf, size_t size)
{
        snprintf(buf, size, "action=\"%s\",reason=\"%s\"",
                 policy_action_to_string((enum policy_action)(item / _REASON_MAX)),
                 policy_reason_to_string((enum policy_reason)(item % _REASON_MAX)));
}

/* Only what happened: a container's series appear at its first action. */
static bool container_actions(struct line *l, const struct metrics_snapshot *s,
                              const struct metrics_container *r, unsigned item)
{
        uint32_t n = r->actions[item / _REASON_MAX][item % _REASON_MAX];
        char extra[80];

        (void) s;
        if (!n)
                return false;
        action_labels(item, extra, sizeof(extra));
        return emit_u64(l, extra, n);
}

/* ---- the node ---- */

static bool node_total(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.meminfo_valid && emit_u64(l, NULL, s->node.mem_total_bytes);
}

static bool node_available(struct line *l, const struct metrics_snapshot *s,
                           const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.meminfo_valid && emit_u64(l, NULL, s->node.mem_available_bytes);
}

static bool node_headroom(struct line *l, const struct metrics_snapshot *s,
                          const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.meminfo_valid && emit_u64(l, NULL, s->node.headroom_bytes);
}

static bool node_floor(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.meminfo_valid && emit_u64(l, NULL, s->node.floor_bytes);
}

static bool node_waiting(struct line *l, const struct metrics_snapshot *s,
                         const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.has_psi && emit_seconds(l, NULL, s->node.psi.some.total_usec);
}

static bool node_stalled(struct line *l, const struct metrics_snapshot *s,
                         const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return s->node.has_psi && s->node.psi.has_full &&
               emit_seconds(l, NULL, s->node.psi.full.total_usec);
}

/* ---- the agent ---- */

static bool build_info(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) s, (void) r, (void) item;
        return emit_u64(l, "version=\"" CGMEM_VERSION "\"", 1);
}

static bool start_time(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_seconds(l, NULL, s->agent.start_time_usec);
}

static bool rounds(struct line *l, const struct metrics_snapshot *s,
                   const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.rounds);
}

/* The buckets (cumulative, then +Inf), the sum, the count. */
static bool round_duration(struct line *l, const struct metrics_snapshot *s,
                           const struct metrics_container *r, unsigned item)
{
        const struct metrics_histogram *h = &s->agent.round_duration;
        char extra[32], value[32];
        uint64_t cumulative = 0;

        (void) r;
        if (item <= METRICS_ROUND_BUCKETS) {
                for (unsigned i = 0; i <= item; i++)
                        cumulative += h->counts[i];
                if (item < METRICS_ROUND_BUCKETS)
                        snprintf(extra, sizeof(extra), "le=\"%g\"",
                                 (double) metrics_round_bucket_usec[item] / 1e6);
                else
                        snprintf(extra, sizeof(extra), "le=\"+Inf\"");
                snprintf(value, sizeof(value), "%" PRIu64, cumulative);
                return emit(l, "_bucket", extra, value);
        }
        if (item == METRICS_ROUND_BUCKETS + 1) {
                snprintf(value, sizeof(value), "%" PRIu64 ".%06" PRIu64, h->sum_usec / 1000000,
                         h->sum_usec % 1000000);
                return emit(l, "_sum", NULL, value);
        }
        snprintf(value, sizeof(value), "%" PRIu64, h->count);
        return emit(l, "_count", NULL, value);
}

static bool events_emitted(struct line *l, const struct metrics_snapshot *s,
                           const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.events_emitted);
}

static bool events_dropped(struct line *l, const struct metrics_snapshot *s,
                           const struct metrics_container *r, unsigned item)
{
        char extra[32];

        (void) r;
        snprintf(extra, sizeof(extra), "sink=\"%s\"", metrics_sink_to_string(item));
        return emit_u64(l, extra, s->agent.events_dropped[item]);
}

static bool events_queued(struct line *l, const struct metrics_snapshot *s,
                          const struct metrics_container *r, unsigned item)
{
        char extra[32];

        (void) r;
        snprintf(extra, sizeof(extra), "sink=\"%s\"", metrics_sink_to_string(item));
        return emit_u64(l, extra, s->agent.events_queued[item]);
}

static bool cgroups(struct line *l, const struct metrics_snapshot *s,
                    const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.cgroups);
}

static bool containers(struct line *l, const struct metrics_snapshot *s,
                       const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.containers);
}

static bool watches(struct line *l, const struct metrics_snapshot *s,
                    const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.watches);
}

static bool watches_exhausted(struct line *l, const struct metrics_snapshot *s,
                              const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.watches_exhausted);
}

static bool psi_triggers(struct line *l, const struct metrics_snapshot *s,
                         const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.psi_triggers);
}

static bool names_restarts(struct line *l, const struct metrics_snapshot *s,
                           const struct metrics_container *r, unsigned item)
{
        (void) r, (void) item;
        return emit_u64(l, NULL, s->agent.names_helper_restarts);
}

/* The actions the policy takes, for each reason it takes them for (policy.h). */
static bool action_expected(enum policy_action a, enum policy_reason r)
{
        switch (a) {
        case ACTION_GUARD:
                return r == REASON_GUARD_BAND || r == REASON_BAND_PINNED ||
                       r == REASON_BAND_SETTLED || r == REASON_BAND_RECEDED;
        case ACTION_RELEASE:
                return r == REASON_PAGE_CACHE || r == REASON_LIMIT_REMOVED ||
                       r == REASON_STUCK_AT_HIGH;
        case ACTION_YIELD:
                return r == REASON_OWNER_HIGH;
        case ACTION_KILL:
                return r == REASON_RUNAWAY || r == REASON_STUCK_AT_HIGH || r == REASON_THRASHING ||
                       r == REASON_NODE_PRESSURE;
        case ACTION_NONE:
        case _ACTION_MAX:
                break;
        }
        return false;
}

/* Every action and reason there can be, at 0 until it happens, so that increase() sees the
 * first one; any other that happened too. */
static bool agent_actions(struct line *l, const struct metrics_snapshot *s,
                          const struct metrics_container *r, unsigned item)
{
        enum policy_action a = (enum policy_action)(item / _REASON_MAX);
        enum policy_reason why = (enum policy_reason)(item % _REASON_MAX);
        uint64_t n = s->agent.actions[a][why];
        char extra[80];

        (void) r;
        if (!n && !action_expected(a, why))
                return false;
        action_labels(item, extra, sizeof(extra));
        return emit_u64(l, extra, n);
}

static bool action_failures(struct line *l, const struct metrics_snapshot *s,
                            const struct metrics_container *r, unsigned item)
{
        enum policy_action a = (enum policy_action) item;
        char extra[32];

        (void) r;
        if (a != ACTION_GUARD && a != ACTION_RELEASE && a != ACTION_KILL)
                return false;
        snprintf(extra, sizeof(extra), "action=\"%s\"", policy_action_to_string(a));
        return emit_u64(l, extra, s->agent.action_failures[a]);
}

/* ---- the families, in the order they are written ---- */

struct family {
        const char *name;
        const char *type;
        const char *help;
        bool per_container;
        unsigned n_items; /* series per row (per container, or once) */
        item_fn item;
};

#define C(name, type, help, n, fn)                                                                 \
        {                                                                                          \
                name, type, help, true, n, fn                                                      \
        }
#define O(name, type, help, n, fn)                                                                 \
        {                                                                                          \
                name, type, help, false, n, fn                                                     \
        }

static const struct family families[] = {
        C("container_memory_usage_bytes", "gauge",
          "Memory charged to the container (memory.current), page cache included.", 1, usage),
        C("container_memory_working_set_bytes", "gauge",
          "memory.current minus inactive_file, as kubelet computes the working set.", 1,
          working_set),
        C("container_memory_rss", "gauge", "Anonymous memory (memory.stat anon), in bytes.", 1,
          rss),
        C("container_memory_cache", "gauge", "Page cache (memory.stat file), in bytes.", 1, cache),
        C("container_memory_mapped_file", "gauge",
          "Mapped file pages (memory.stat file_mapped), in bytes.", 1, mapped_file),
        C("container_memory_kernel_usage", "gauge",
          "Kernel memory (memory.stat kernel, or its parts before 5.18), in bytes.", 1,
          kernel_usage),
        C("container_memory_swap", "gauge", "Swap used (memory.swap.current), in bytes.", 1, swap),
        C("container_memory_failures_total", "counter",
          "Page faults (memory.stat pgfault, pgmajfault).", 2, failures),
        C("container_memory_events_high_total", "counter",
          "Times the container was throttled above memory.high (memory.events high).", 1,
          events_high),
        C("container_memory_events_max_total", "counter",
          "Times usage reached memory.max and reclaim ran (memory.events max).", 1, events_max),
        C("container_oom_events_total", "counter",
          "Processes the kernel's OOM killer killed in the container (memory.events oom_kill).", 1,
          oom_events),
        C("container_spec_memory_limit_bytes", "gauge", "memory.max in bytes; 0: none.", 1,
          spec_limit),
        C("container_spec_memory_reservation_limit_bytes", "gauge", "memory.low in bytes; 0: none.",
          1, spec_reservation),
        C("container_pressure_memory_waiting_seconds_total", "counter",
          "Time some tasks of the container waited for memory (memory.pressure some total).", 1,
          pressure_waiting),
        C("container_pressure_memory_stalled_seconds_total", "counter",
          "Time no task of the container could run for want of memory (memory.pressure full "
          "total).",
          1, pressure_stalled),
        C("cgmem_container_memory_events_oom_total", "counter",
          "Times reclaim at memory.max failed and the OOM killer was invoked (memory.events oom).",
          1, events_oom),
        C("cgmem_container_memory_limit_bytes", "gauge",
          "The limits that are set: memory.min, .low, .high, .max, .swap.max.", 5, limits),
        C("cgmem_container_memory_footprint_bytes", "gauge",
          "What the kernel cannot reclaim without swap, plus swap used: what cgmem judges by.", 1,
          footprint),
        C("cgmem_container_memory_kernel_share_ratio", "gauge",
          "Kernel memory as a share of memory.current.", 1, kernel_share),
        C("cgmem_container_memory_growth_bytes_per_second", "gauge",
          "The footprint's smoothed growth as cgmem's policy sees it.", 1, growth),
        C("cgmem_container_throttled", "gauge",
          "1 while cgmem's guard band holds the container's memory.high.", 1, throttled),
        C("cgmem_container_actions_total", "counter",
          "What cgmem did to the container, by action and reason (from the first one on).",
          _ACTION_MAX *_REASON_MAX, container_actions),
        O("cgmem_node_memory_total_bytes", "gauge", "MemTotal of /proc/meminfo.", 1, node_total),
        O("cgmem_node_memory_available_bytes", "gauge", "MemAvailable of /proc/meminfo.", 1,
          node_available),
        O("cgmem_node_memory_headroom_bytes", "gauge",
          "MemAvailable plus free swap that does not live in RAM: what node pressure judges by.", 1,
          node_headroom),
        O("cgmem_node_memory_floor_bytes", "gauge",
          "The headroom below which, still falling, cgmem acts ([node] mem_floor).", 1, node_floor),
        O("cgmem_node_pressure_memory_waiting_seconds_total", "counter",
          "Time some tasks of the node waited for memory (root memory.pressure some total).", 1,
          node_waiting),
        O("cgmem_node_pressure_memory_stalled_seconds_total", "counter",
          "Time no task of the node could run for want of memory (root memory.pressure full "
          "total).",
          1, node_stalled),
        O("cgmem_build_info", "gauge", "The version of cgmem.", 1, build_info),
        O("cgmem_start_time_seconds", "gauge",
          "When the agent started, in seconds since the epoch.", 1, start_time),
        O("cgmem_rounds_total", "counter", "Backstop sample rounds over every container.", 1,
          rounds),
        O("cgmem_round_duration_seconds", "histogram", "How long a sample round took.",
          METRICS_ROUND_BUCKETS + 3, round_duration),
        O("cgmem_events_emitted_total", "counter", "Events emitted.", 1, events_emitted),
        O("cgmem_events_dropped_total", "counter", "Events a sink could not take and lost.",
          _METRICS_SINK_MAX, events_dropped),
        O("cgmem_events_queued", "gauge", "Events waiting in a sink's queue.", _METRICS_SINK_MAX,
          events_queued),
        O("cgmem_cgroups", "gauge", "Memory cgroups watched.", 1, cgroups),
        O("cgmem_containers", "gauge", "Memory cgroups that are containers.", 1, containers),
        O("cgmem_watches", "gauge", "inotify watches on cgroup directories.", 1, watches),
        O("cgmem_watches_exhausted", "gauge",
          "1 when inotify ran out of watches: new cgroups are found by the rescan.", 1,
          watches_exhausted),
        O("cgmem_psi_triggers", "gauge", "PSI triggers armed.", 1, psi_triggers),
        O("cgmem_names_helper_restarts_total", "counter",
          "Times the cgmem-names helper was started again.", 1, names_restarts),
        O("cgmem_actions_total", "counter", "What cgmem did, by action and reason.",
          _ACTION_MAX *_REASON_MAX, agent_actions),
        O("cgmem_action_failures_total", "counter",
          "Actions the kernel refused (memory.high writes, kills).", _ACTION_MAX, action_failures),
};

/* ---- the cursor ---- */

void metrics_cursor_init(struct metrics_cursor *c)
{
        memset(c, 0, offsetof(struct metrics_cursor, line));
}

static void header(struct metrics_cursor *c, const struct family *f)
{
        c->line_len = (size_t) snprintf(c->line, sizeof(c->line), "# HELP %s %s\n# TYPE %s %s\n",
                                        f->name, f->help, f->name, f->type);
}

/* The next line into c->line; false once every family is written. */
static bool next_line(const struct metrics_snapshot *s, struct metrics_cursor *c)
{
        for (; c->family < ELEMENTSOF(families); c->family++, c->row = 0, c->header_done = false) {
                const struct family *f = &families[c->family];
                size_t rows = f->per_container ? s->n_rows : 1;
                if (!c->header_done) {
                        c->header_done = true;
                        header(c, f);
                        return true;
                }
                for (; c->row < rows; c->row++, c->item = 0) {
                        const struct metrics_container *r =
                                f->per_container ? &s->rows[c->row] : NULL;
                        struct line l = {
                                .buf = c->line,
                                .name = f->name,
                                .labels = r ? s->strings + r->labels : "",
                                .labels_len = r ? r->labels_len : 0,
                        };
                        while (c->item < f->n_items)
                                if (f->item(&l, s, r, c->item++)) {
                                        c->line_len = l.len;
                                        return true;
                                }
                }
        }
        return false;
}

size_t metrics_render(const struct metrics_snapshot *s, struct metrics_cursor *c, char *buf,
                      size_t size)
{
        size_t out = 0;

        while (out < size) {
                if (c->line_off == c->line_len) {
                        c->line_off = c->line_len = 0;
                        if (!next_line(s, c))
                                break;
                }
                size_t n = c->line_len - c->line_off;
                if (n > size - out)
                        n = size - out;
                memcpy(buf + out, c->line + c->line_off, n);
                c->line_off += n;
                out += n;
        }
        return out;
}
