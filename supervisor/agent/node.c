/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Node-wide memory pressure: the glue between the node's files and the pure
 * rules of node-policy.h. Every round, every PSI trigger on the root (or the
 * configured slice), and every fast_interval while the node is short, it reads
 * /proc/meminfo, the refaults of /proc/vmstat and the pressure of the root, and
 * when a rule fires it kills the container the ranking puts first, if killing it
 * gives back enough to matter; otherwise it reports (node_pressure) what uses
 * the memory. Nothing here waits for a name or allocates before the kill.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/io.h"
#include "cgroupfs/meminfo.h"
#include "emit/emit.h"
#include "emit/json-util.h"
#include "enforce.h"
#include "node.h"

#define CANDIDATES_SHOWN 5
/* A rule that finds nothing to kill says so, and then not again for this long. */
#define REPORT_EVERY_USEC (30 * USEC_PER_SEC)
/* A candidate's growth is what it did over this span: the smoothed rate lags a fall. */
#define GROWTH_SPAN_USEC (2 * USEC_PER_SEC)

static const char *slice_path(const struct agent *a)
{
        const char *s = a->config->node_slice;
        return s && s[0] == '/' ? s + 1 : "";
}

bool node_is_slice(const struct agent *a, const struct watch *w)
{
        return strcmp(w->path, slice_path(a)) == 0;
}

static bool under_slice(const char *slice, const char *path)
{
        size_t n = strlen(slice);
        return n == 0 || (strncmp(path, slice, n) == 0 && path[n] == '/');
}

/*
 * Whether every swap device is zram: swap that lives in RAM. A page swapped out
 * there costs RAM too (as much as it does not compress), so its free space is
 * no headroom. /proc/swaps is read again only when SwapTotal changes (swapon).
 */
static void read_swaps(struct agent *a)
{
        struct read_buf *buf = &a->node_memory.buf;
        bool any = false, all_zram = true;

        a->node_memory.swaps_for = a->node_memory.info.swap_total;
        if (a->node_memory.swaps_fd < 0 || cg_pread_all(a->node_memory.swaps_fd, buf) < 0)
                return;
        /* "Filename Type Size Used Priority", then a line a device. */
        const char *line = memchr(buf->data, '\n', buf->len);
        for (; line && (size_t) (line + 1 - buf->data) < buf->len;
             line = memchr(line + 1, '\n', buf->len - (size_t) (line + 1 - buf->data))) {
                any = true;
                all_zram = all_zram && strncmp(line + 1, "/dev/zram", 9) == 0;
        }
        a->node_memory.swap_in_ram = any && all_zram;
}

void node_memory_update(struct agent *a)
{
        struct read_buf *buf = &a->node_memory.buf;

        if (a->node_memory.fd < 0)
                return;
        int r = cg_pread_all(a->node_memory.fd, buf);
        if (r >= 0)
                r = parse_meminfo(buf->data, buf->len, &a->node_memory.info);
        a->node_memory.valid = r >= 0;
        if (a->node_memory.valid && a->node_memory.info.swap_total != a->node_memory.swaps_for)
                read_swaps(a);
        a->hot_files = HOT_FILES;
        if (a->node_memory.valid && a->node_memory.info.swap_total > 0)
                a->hot_files |= MEMCG_FILE_BIT(MEMCG_FILE_SWAP_CURRENT);
}

/* workingset_refault_anon + _file of /proc/vmstat: the node thrashing. */
static uint64_t node_refaults(struct agent *a)
{
        static const struct keyed_field fields[] = {
                {"workingset_refault_anon", 0, sizeof("workingset_refault_anon") - 1},
                {"workingset_refault_file", sizeof(uint64_t),
                 sizeof("workingset_refault_file") - 1},
        };
        uint64_t v[2] = {0, 0}, seen;

        if (a->node.vmstat_fd < 0 || cg_pread_all(a->node.vmstat_fd, &a->node.vmstat_buf) < 0 ||
            parse_keyed(a->node.vmstat_buf.data, a->node.vmstat_buf.len, fields, ELEMENTSOF(fields),
                        v, &seen) < 0)
                return 0;
        return v[0] + v[1];
}

/*
 * The node as the rules see it: MemAvailable and swap that frees memory (swap
 * in RAM, zram, gives nothing back: its pages cost RAM themselves). With a
 * configured slice that has a memory.max, its budget instead.
 */
static bool node_input_of(struct agent *a, struct watch *slice, uint64_t now,
                          struct node_input *ret)
{
        const struct meminfo *m = &a->node_memory.info;
        const struct memcg_sample *s = &slice->sample;

        if (!a->node_memory.valid)
                return false;
        *ret = (struct node_input){
                .now_usec = now,
                .mem_total_bytes = m->mem_total,
                .mem_available_bytes = m->mem_available,
                .swap_total_bytes = a->node_memory.swap_in_ram ? 0 : m->swap_total,
                .swap_free_bytes = a->node_memory.swap_in_ram ? 0 : m->swap_free,
                .psi_full_avg10 = s->psi.has_full ? s->psi.full.avg10 : 0,
                .psi_full_total_usec = s->psi.has_full ? s->psi.full.total_usec : 0,
                .refaults = node_refaults(a),
        };
        if (slice->path[0] && s->max_bytes != CG_VALUE_MAX) {
                uint64_t used = memcg_unreclaimable_bytes(s);
                ret->mem_total_bytes = s->max_bytes;
                ret->mem_available_bytes = used < s->max_bytes ? s->max_bytes - used : 0;
                ret->swap_total_bytes = ret->swap_free_bytes = 0;
                ret->refaults = s->stat.workingset_refault_anon + s->stat.workingset_refault_file;
        }
        return true;
}

static enum victim_tier_qos qos_tier(const struct watch *w)
{
        const struct memcg_sample *s = &w->sample;
        uint64_t promised = s->min_bytes > s->low_bytes ? s->min_bytes : s->low_bytes;

        switch (w->identity.qos) {
        case POD_QOS_BESTEFFORT:
                return QOS_TIER_BESTEFFORT;
        case POD_QOS_GUARANTEED:
                return QOS_TIER_GUARANTEED;
        case POD_QOS_BURSTABLE:
        case POD_QOS_NONE:
                break;
        }
        /* A request is visible only as memory.min/low (kubelet's MemoryQoS): above it, first. */
        return promised && memcg_unreclaimable_bytes(s) <= promised ? QOS_TIER_WITHIN
                                                                    : QOS_TIER_ABOVE_REQUEST;
}

/* Room for every container's candidate, grown with the watch table, never on the kill path. */
void node_reserve_candidates(struct agent *a)
{
        unsigned want = a->watches.n_containers + 16;

        if (want <= a->node.candidates_cap)
                return;
        struct victim_candidate *c = reallocarray(a->node.candidates, want, sizeof(*c));
        if (!c)
                return;
        a->node.candidates = c;
        a->node.candidates_cap = want;
}

/* The containers below the slice, sampled afresh, marks read afresh. */
static unsigned gather(struct agent *a)
{
        struct victim_candidate *c = a->node.candidates;
        unsigned n = 0;

        for (struct watch *w = a->watches.head; w && n < a->node.candidates_cap; w = w->next) {
                if (!w->is_container || w->killed || !w->sampled ||
                    !under_slice(slice_path(a), w->path))
                        continue;
                if (memcg_sample_update(&w->reader, w->dirfd, a->hot_files, &w->sample, NULL) < 0)
                        continue;
                enforce_adopt_mark(a, w);
                const struct memcg_sample *s = &w->sample;
                c[n++] = (struct victim_candidate){
                        .id = w,
                        .footprint_bytes = memcg_unreclaimable_bytes(s) + s->swap_current_bytes,
                        .protected_bytes =
                                s->min_bytes > s->low_bytes ? s->min_bytes : s->low_bytes,
                        .swap_bytes = s->swap_current_bytes,
                        .rate_bytes_per_sec = policy_growth_over(&w->policy, GROWTH_SPAN_USEC),
                        .mark = w->mark,
                        .qos = qos_tier(w),
                };
        }
        return n;
}

/*
 * Killing the first candidate must matter: for a trajectory, it is the one
 * whose growth makes at least half of the fall; at the floor, it gives back at
 * least what brings the node above it (and half a floor); for swap, a swap
 * floor's worth of swap. A node short because of a protected service or a
 * process outside any container gets a report, not a dead bystander.
 */
static bool frees_enough(const struct agent *a, enum node_rule rule,
                         const struct victim_candidate *v, const struct node_evidence *e)
{
        uint64_t deficit =
                e->floor_bytes > e->headroom_bytes ? e->floor_bytes - e->headroom_bytes : 0;
        switch (rule) {
        case NODE_RULE_TRAJECTORY:
                return v->rate_bytes_per_sec >= 0.5 * e->fall_bytes_per_sec;
        case NODE_RULE_FLOOR:
                return v->footprint_bytes >= deficit && v->footprint_bytes >= e->floor_bytes / 2;
        case NODE_RULE_SWAP:
                return (double) v->swap_bytes >=
                       a->node.config.swap_floor_fraction * (double) a->node_memory.info.swap_total;
        case NODE_RULE_PRESSURE:
                return v->footprint_bytes > 0;
        case NODE_RULE_NONE:
        case _NODE_RULE_MAX:
                break;
        }
        return false;
}

static json_t *candidate_json(const struct victim_candidate *c)
{
        const struct watch *w = c->id;
        char path[PATH_MAX + 2];

        return JSON_OBJECT({"cgroup", json_string(watch_display_path(w, path, sizeof(path)))},
                           {"score", json_real(c->score)},
                           {"footprint_bytes", json_u64(c->footprint_bytes)},
                           {"protected_bytes", json_u64(c->protected_bytes)},
                           {"swap_bytes", json_u64(c->swap_bytes)},
                           {"rate_bytes_per_sec", json_real(c->rate_bytes_per_sec)},
                           {"mark", json_string(policy_mark_to_string(c->mark))},
                           {"qos", json_string(victim_qos_to_string(c->qos))});
}

static json_t *node_json(const struct node_evidence *e)
{
        return JSON_OBJECT({"headroom_bytes", json_u64(e->headroom_bytes)},
                           {"floor_bytes", json_u64(e->floor_bytes)},
                           {"mem_available_bytes", json_u64(e->mem_available_bytes)},
                           {"swap_free_bytes", json_u64(e->swap_free_bytes)},
                           {"fall_bytes_per_sec", json_real(e->fall_bytes_per_sec)},
                           {"falling_usec", json_u64(e->falling_usec)},
                           {"eta_usec", e->eta_usec < 0 ? json_null() : json_integer(e->eta_usec)},
                           {"psi_full_avg10", json_real(e->psi_full_avg10 / 100.0)},
                           {"psi_full_pct", json_real(e->psi_full_permyriad / 100.0)},
                           {"refaults", json_u64(e->refaults)});
}

struct ranking {
        const struct agent *agent;
        enum node_rule rule;
        const struct node_evidence *evidence;
        const struct victim_candidate *candidates;
        unsigned n;
};

static json_t *candidates_json(const struct ranking *r)
{
        json_t *list = json_array();

        for (unsigned i = 0; i < r->n && i < CANDIDATES_SHOWN; i++)
                json_array_append_new(list, candidate_json(&r->candidates[i]));
        return list;
}

/* The kill event's details: the rule, the node's figures, and the candidates weighed. */
static json_t *ranking_json(const void *ctx)
{
        const struct ranking *r = ctx;

        return JSON_OBJECT({"rule", json_string(node_rule_to_string(r->rule))},
                           {"node", node_json(r->evidence)}, {"candidates", candidates_json(r)});
}

/* What the containers hold, and what is used outside them. */
static uint64_t outside_containers(const struct agent *a, const struct ranking *r)
{
        const struct meminfo *m = &a->node_memory.info;
        uint64_t used = m->mem_total - m->mem_available, in = 0;

        for (unsigned i = 0; i < r->n; i++)
                in += r->candidates[i].footprint_bytes - r->candidates[i].swap_bytes;
        return used > in ? used - in : 0;
}

static void report(struct agent *a, const struct ranking *r, const char *why)
{
        json_t *e = JSON_OBJECT({"type", json_string("node_pressure")},
                                {"rule", json_string(node_rule_to_string(r->rule))},
                                {"action", json_string("none")}, {"why", json_string(why)},
                                {"node", node_json(r->evidence)},
                                {"outside_containers_bytes", json_u64(outside_containers(a, r))},
                                {"candidates", candidates_json(r)});
        emitter_emit(a->emitter, e);
}

static void act(struct agent *a, const struct node_decision *d, uint64_t signal_usec)
{
        unsigned eligible;

        unsigned n = gather(a);
        node_rank_victims(&a->node.config, d->rule, a->node.candidates, n, &eligible);
        struct ranking r = {a, d->rule, &d->evidence, a->node.candidates, n};
        if (!eligible || !frees_enough(a, d->rule, &a->node.candidates[0], &d->evidence)) {
                /* Said once in a while; the rules go on judging, the floor may still come. */
                if (!a->node.reported_usec ||
                    signal_usec - a->node.reported_usec >= REPORT_EVERY_USEC) {
                        report(a, &r, eligible ? "not_enough" : "no_candidate");
                        a->node.reported_usec = signal_usec;
                }
                return;
        }
        enforce_kill(a, (struct watch *) a->node.candidates[0].id,
                     &(struct kill_request){.reason = REASON_NODE_PRESSURE,
                                            .signal = SIGNAL_NODE_PRESSURE,
                                            .signal_usec = signal_usec,
                                            .details = ranking_json,
                                            .details_ctx = &r});
        node_acted(&a->node.config, &a->node.state, signal_usec);
}

static int on_fast_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct agent *a = userdata;
        struct watch *slice = watch_table_by_path(&a->watches, slice_path(a));

        (void) s;
        (void) usec;
        node_memory_update(a);
        if (slice)
                node_check(a, slice, now_usec());
        return 0;
}

static void arm_fast_timer(struct agent *a, uint64_t at)
{
        if (!a->node.fast_timer) {
                if (sd_event_add_time(a->loop, &a->node.fast_timer, CLOCK_MONOTONIC, at, 1000,
                                      on_fast_timer, a) < 0)
                        a->node.fast_timer = NULL;
                return;
        }
        sd_event_source_set_time(a->node.fast_timer, at);
        sd_event_source_set_enabled(a->node.fast_timer, SD_EVENT_ONESHOT);
}

void node_check(struct agent *a, struct watch *slice, uint64_t now)
{
        struct node_input in;
        struct node_decision d;

        if (!a->config->enforce || a->once)
                return;
        unsigned files = MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE);
        if (slice->path[0])
                files |= a->hot_files | LIMIT_FILES;
        if (memcg_sample_update(&slice->reader, slice->dirfd, files, &slice->sample, NULL) < 0 ||
            !node_input_of(a, slice, now, &in))
                return;
        node_evaluate(&a->node.config, &a->node.state, &in, &a->node.state, &d);
        if (d.next_check_usec && a->loop)
                arm_fast_timer(a, d.next_check_usec);
        if (d.rule != NODE_RULE_NONE)
                act(a, &d, now);
}

void node_config_from(const struct cgmem_config *c, struct node_config *ret)
{
        node_config_defaults(ret);
        ret->mem_floor_fraction = c->node_mem_floor_pct / 100.0;
        ret->swap_floor_fraction = c->node_swap_floor_pct / 100.0;
        ret->sustain_usec = c->node_sustain_usec;
        ret->horizon_usec = c->node_horizon_usec;
        ret->pressure_full_permyriad = (uint32_t) (c->node_pressure_full_pct * 100.0);
        ret->pressure_duration_usec = c->node_pressure_duration_usec;
        ret->hold_usec = c->node_post_kill_delay_usec;
        ret->fast_interval_usec = c->node_fast_interval_usec;
}

void node_stop(struct agent *a)
{
        a->node.fast_timer = sd_event_source_disable_unref(a->node.fast_timer);
        free(a->node.candidates);
        a->node.candidates = NULL;
        a->node.candidates_cap = 0;
        read_buf_free(&a->node.vmstat_buf);
}
