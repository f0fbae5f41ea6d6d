/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "node.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "emit/emit.h"
#include "pipeline.h"

/* A rule that finds nothing to kill says so, and then not again for this long. */
#define REPORT_EVERY_USEC (30 * USEC_PER_SEC)
/* A candidate's growth is what it did over this span: the smoothed rate lags a fall. */
#define CANDIDATE_GROWTH_SPAN_USEC (2 * USEC_PER_SEC)
/* The share of the node's fall that limited containers must make to bound it. */
#define BOUNDED_SHARE 0.8

/* The slice as "a/b" below the root; "" for the root. */
static const char *slice_path(const struct node *n)
{
        const char *s = n->cgmem_config->node_slice;
        return s && s[0] == '/' ? s + 1 : "";
}

bool node_is_slice(const struct node *n, const struct cgroup *cg)
{
        return strcmp(cgroup_rel_path(cg), slice_path(n)) == 0;
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
static void read_swaps(struct node *n)
{
        bool any = false, all_zram = true;

        n->swaps_for = n->meminfo.swap_total;
        if (n->swaps_fd < 0 || cg_pread_all(n->swaps_fd, &n->buf) < 0)
                return;
        /* "Filename Type Size Used Priority", then a line a device. */
        const char *end = n->buf.data + n->buf.len;
        for (const char *line = memchr(n->buf.data, '\n', n->buf.len); line && line + 1 < end;
             line = memchr(line + 1, '\n', (size_t) (end - line - 1))) {
                any = true;
                all_zram = all_zram && strncmp(line + 1, "/dev/zram", 9) == 0;
        }
        n->swap_in_ram = any && all_zram;
}

unsigned node_memory_update(struct node *n)
{
        if (n->meminfo_fd < 0)
                return HOT_FILES;
        int r = cg_pread_all(n->meminfo_fd, &n->buf);
        if (r >= 0)
                r = parse_meminfo(n->buf.data, n->buf.len, &n->meminfo);
        n->meminfo_valid = r >= 0;
        if (n->meminfo_valid && n->meminfo.swap_total != n->swaps_for)
                read_swaps(n);
        if (n->meminfo_valid && n->meminfo.swap_total > 0)
                return HOT_FILES | MEMCG_FILE_BIT(MEMCG_FILE_SWAP_CURRENT);
        return HOT_FILES;
}

/*
 * The node thrashing: workingset refaults (/proc/vmstat) counted only over the
 * reads between which the node itself reclaimed (pgscan_kswapd, pgscan_direct:
 * global reclaim, which cgroup limit reclaim does not count, mm/vmscan.c). A
 * container re-reading its page cache at its own memory.max refaults thousands
 * of pages a second with most of the node free (make demo's cache container:
 * 67 118 in 3 s, which confirmed a start-up fall as the node's end and got a
 * growing container killed with 60 % of the node free). The scans themselves
 * go to the rules too: a trajectory is the node's only while it reclaims.
 */
static void read_vmstat(struct node *n)
{
        static const struct keyed_field fields[] = {
                {"workingset_refault_anon", 0, sizeof("workingset_refault_anon") - 1},
                {"workingset_refault_file", sizeof(uint64_t),
                 sizeof("workingset_refault_file") - 1},
                {"pgscan_kswapd", 2 * sizeof(uint64_t), sizeof("pgscan_kswapd") - 1},
                {"pgscan_direct", 3 * sizeof(uint64_t), sizeof("pgscan_direct") - 1},
        };
        uint64_t v[4] = {0, 0, 0, 0}, seen;

        if (n->vmstat_fd < 0 || cg_pread_all(n->vmstat_fd, &n->buf) < 0 ||
            parse_keyed(n->buf.data, n->buf.len, fields, ELEMENTSOF(fields), v, &seen) < 0)
                return;
        uint64_t refaults = v[0] + v[1], scans = v[2] + v[3];
        if (n->vmstat_read && scans > n->vm_scans && refaults > n->vm_refaults)
                n->node_refaults += refaults - n->vm_refaults;
        n->vmstat_read = true;
        n->vm_refaults = refaults;
        n->vm_scans = scans;
}

/*
 * The node as the rules see it: MemAvailable and swap that frees memory. With a
 * configured slice that has a memory.max, its budget instead.
 */
static bool node_input_of(struct node *n, const struct cgroup *slice, uint64_t now,
                          struct node_input *ret)
{
        const struct meminfo *m = &n->meminfo;
        const struct memcg_sample *s = &slice->sample;

        if (!n->meminfo_valid)
                return false;
        *ret = (struct node_input){
                .now_usec = now,
                .mem_total_bytes = m->mem_total,
                .mem_available_bytes = m->mem_available,
                .swap_total_bytes = n->swap_in_ram ? 0 : m->swap_total,
                .swap_free_bytes = n->swap_in_ram ? 0 : m->swap_free,
                .psi_full_avg10 = s->psi.has_full ? s->psi.full.avg10 : 0,
                .psi_full_total_usec = s->psi.has_full ? s->psi.full.total_usec : 0,
        };
        if (!slice->path[1] || s->max_bytes == CG_VALUE_MAX) {
                read_vmstat(n);
                ret->refaults = n->node_refaults;
                ret->reclaim_scans = n->vm_scans;
        } else {
                uint64_t used = memcg_unreclaimable_bytes(s);
                ret->mem_total_bytes = s->max_bytes;
                ret->mem_available_bytes = used < s->max_bytes ? s->max_bytes - used : 0;
                ret->swap_total_bytes = ret->swap_free_bytes = 0;
                ret->refaults = s->stat.workingset_refault_anon + s->stat.workingset_refault_file;
                ret->reclaim_untold = true;
        }
        return true;
}

static enum victim_tier_qos qos_tier(const struct cgroup *cg)
{
        const struct memcg_sample *s = &cg->sample;
        uint64_t promised = s->min_bytes > s->low_bytes ? s->min_bytes : s->low_bytes;

        switch (cg->identity.qos) {
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

void node_reserve_candidates(struct node *n, size_t n_containers)
{
        GREEDY_REALLOC(n->candidates, n->candidates_cap, n_containers);
}

/* The containers below the slice, sampled afresh, marks read afresh. */
static unsigned gather(struct node *n)
{
        struct pipeline *p = n->pipeline;
        struct victim_candidate *v = n->candidates;
        unsigned count = 0;

        for (struct cgroup *cg = n->registry->head; cg && count < n->candidates_cap;
             cg = cg->next) {
                struct container *c = container_of(cg);
                if (!c || c->killed || !cg->sampled ||
                    !under_slice(slice_path(n), cgroup_rel_path(cg)))
                        continue;
                if (registry_sample(n->registry, cg, cg->dirfd, p->hot_files, NULL) < 0)
                        continue;
                c->mark = marks_of(p->marks, p->actuator, p->names, cg);
                const struct memcg_sample *s = &cg->sample;
                v[count++] = (struct victim_candidate){
                        .id = c,
                        .footprint_bytes = memcg_unreclaimable_bytes(s) + s->swap_current_bytes,
                        .protected_bytes =
                                s->min_bytes > s->low_bytes ? s->min_bytes : s->low_bytes,
                        .swap_bytes = s->swap_current_bytes,
                        .rate_bytes_per_sec =
                                policy_growth_over(&c->policy, CANDIDATE_GROWTH_SPAN_USEC),
                        .fall_rate_bytes_per_sec =
                                policy_growth_over(&c->policy, NODE_FALL_SPAN_USEC),
                        .room_bytes = s->max_bytes == CG_VALUE_MAX ? UINT64_MAX
                                      : s->max_bytes > s->current_bytes
                                              ? s->max_bytes - s->current_bytes
                                              : 0,
                        .mark = c->mark,
                        .qos = qos_tier(cg),
                };
        }
        return count;
}

/* What the growing containers make of the node's fall, and how far their limits let them go. */
struct growers {
        double rate_bytes_per_sec; /* together */
        uint64_t room_bytes;       /* memory.max - memory.current, together */
        bool unbounded;            /* one of them has no memory.max */
};

static struct growers growers_of(const struct node *n, unsigned count)
{
        struct growers g = {0};

        for (unsigned i = 0; i < count; i++) {
                const struct victim_candidate *v = &n->candidates[i];
                /* Over the fall's own span: a leak held at its memory.high grows slower now. */
                if (v->fall_rate_bytes_per_sec <= 0)
                        continue;
                g.rate_bytes_per_sec += v->fall_rate_bytes_per_sec;
                if (v->room_bytes == UINT64_MAX)
                        g.unbounded = true;
                else
                        g.room_bytes += v->room_bytes;
        }
        return g;
}

/*
 * A fall that the growing containers' own limits stop above the floor is not
 * the node's to act on: each can take up to its memory.max, and the kernel
 * holds it there. True when containers with a limit make the fall and all of
 * their room left is less than the headroom above the floor.
 */
static bool fall_bounded_by_limits(const struct growers *g, const struct node_evidence *e)
{
        uint64_t margin =
                e->headroom_bytes > e->floor_bytes ? e->headroom_bytes - e->floor_bytes : 0;

        return !g->unbounded && g->rate_bytes_per_sec >= BOUNDED_SHARE * e->fall_bytes_per_sec &&
               g->room_bytes < margin;
}

/*
 * Killing the first candidate must matter: for a trajectory, it makes at
 * least half of the fall, or containers growing together make half of it and
 * it is one of them (a tenth of the fall at least: five growers, none alone
 * to blame); at the floor, it gives back at least what brings the node above
 * it (and half a floor); for swap, a swap floor's worth of swap. A node short
 * because of a protected service or a process outside any container gets a
 * report, not a dead bystander.
 */
static bool frees_enough(const struct node *n, enum node_rule rule,
                         const struct victim_candidate *v, const struct growers *g,
                         const struct node_evidence *e)
{
        uint64_t deficit =
                e->floor_bytes > e->headroom_bytes ? e->floor_bytes - e->headroom_bytes : 0;
        double fall = e->fall_bytes_per_sec;

        switch (rule) {
        case NODE_RULE_TRAJECTORY:
                return v->rate_bytes_per_sec >= 0.5 * fall ||
                       (g->rate_bytes_per_sec >= 0.5 * fall && v->rate_bytes_per_sec >= 0.1 * fall);
        case NODE_RULE_FLOOR:
                return v->footprint_bytes >= deficit && v->footprint_bytes >= e->floor_bytes / 2;
        case NODE_RULE_SWAP:
                return (double) v->swap_bytes >=
                       n->config.swap_floor_fraction * (double) n->meminfo.swap_total;
        case NODE_RULE_PRESSURE:
                return v->footprint_bytes > 0;
        case NODE_RULE_NONE:
        case _NODE_RULE_MAX:
                break;
        }
        return false;
}

struct ranking {
        enum node_rule rule;
        const struct node_evidence *evidence;
        struct event_candidate shown[5];
        unsigned n_shown;
};

static void ranking_init(struct ranking *r, const struct node *n, enum node_rule rule,
                         const struct node_evidence *e, unsigned count)
{
        *r = (struct ranking){.rule = rule, .evidence = e};
        for (unsigned i = 0; i < count && i < ELEMENTSOF(r->shown); i++) {
                const struct container *c = n->candidates[i].id;
                r->shown[r->n_shown++] = (struct event_candidate){c->cg->path, &n->candidates[i]};
        }
}

/* The kill event's details, built after the kill. */
static json_t *ranking_json(const void *ctx)
{
        const struct ranking *r = ctx;
        return event_kill_ranking(r->rule, r->evidence, r->shown, r->n_shown);
}

/* What the containers hold, and what is used outside them. */
static uint64_t outside_containers(const struct node *n, unsigned count)
{
        const struct meminfo *m = &n->meminfo;
        uint64_t used = m->mem_total - m->mem_available, in = 0;

        for (unsigned i = 0; i < count; i++)
                in += n->candidates[i].footprint_bytes - n->candidates[i].swap_bytes;
        return used > in ? used - in : 0;
}

static void report(struct node *n, const struct ranking *r, const char *why, unsigned count,
                   uint64_t now)
{
        /* Said once in a while; the rules go on judging, the floor may still come. */
        if (n->reported_usec && now - n->reported_usec < REPORT_EVERY_USEC)
                return;
        n->reported_usec = now;
        emitter_emit(n->pipeline->emitter,
                     event_node_pressure(r->rule, why, r->evidence, outside_containers(n, count),
                                         r->shown, r->n_shown));
}

/* Why the first candidate is not killed, for the report. */
static const char *why_not(enum node_rule rule, unsigned eligible, unsigned count,
                           const struct victim_candidate *v)
{
        if (eligible)
                return "not_enough";
        for (unsigned i = 0; rule == NODE_RULE_FLOOR && i < count; i++)
                if (v[i].mark != MARK_PROTECT)
                        return "not_growing";
        return "no_candidate";
}

static void act(struct node *n, const struct node_decision *d, uint64_t signal_usec)
{
        unsigned eligible, count = gather(n);
        struct ranking r;

        node_rank_victims(&n->config, d->rule, n->candidates, count, &eligible);
        ranking_init(&r, n, d->rule, &d->evidence, count);
        struct growers g = growers_of(n, count);
        if (d->rule == NODE_RULE_TRAJECTORY && fall_bounded_by_limits(&g, &d->evidence)) {
                report(n, &r, "bounded_by_limits", count, signal_usec);
                return;
        }
        if (!eligible || !frees_enough(n, d->rule, &n->candidates[0], &g, &d->evidence)) {
                report(n, &r, why_not(d->rule, eligible, count, n->candidates), count, signal_usec);
                return;
        }
        pipeline_kill(
                n->pipeline, (struct container *) n->candidates[0].id,
                &(struct kill_order){.reason = REASON_NODE_PRESSURE,
                                     .signal = WAKE_NODE,
                                     .signal_usec = signal_usec,
                                     .rate_bytes_per_sec = n->candidates[0].rate_bytes_per_sec,
                                     .details = ranking_json,
                                     .details_ctx = &r});
        node_acted(&n->config, &n->state, signal_usec);
}

static int on_fast_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct node *n = userdata;
        struct cgroup *slice = n->trigger.cg;

        (void) s;
        (void) usec;
        n->pipeline->hot_files = node_memory_update(n);
        if (slice)
                node_check(n, slice, now_usec());
        return 0;
}

static void arm_fast_timer(struct node *n, uint64_t at)
{
        if (!n->fast_timer) {
                if (sd_event_add_time(n->loop, &n->fast_timer, CLOCK_MONOTONIC, at, 1000,
                                      on_fast_timer, n) < 0)
                        n->fast_timer = NULL;
                return;
        }
        sd_event_source_set_time(n->fast_timer, at);
        sd_event_source_set_enabled(n->fast_timer, SD_EVENT_ONESHOT);
}

void node_check(struct node *n, struct cgroup *slice, uint64_t now)
{
        struct node_input in;
        struct node_decision d;

        if (!n->cgmem_config->enforce || n->pipeline->once)
                return;
        n->trigger.cg = slice;
        unsigned files = MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE);
        if (slice->path[1])
                files |= n->pipeline->hot_files | LIMIT_FILES;
        if (registry_sample(n->registry, slice, slice->dirfd, files, NULL) < 0 ||
            !node_input_of(n, slice, now, &in))
                return;
        n->pipeline->swap_free_bytes = n->swap_in_ram ? 0 : n->meminfo.swap_free;
        node_evaluate(&n->config, &n->state, &in, &n->state, &d);
        n->pipeline->node_short = d.next_check_usec != 0;
        if (d.next_check_usec && n->loop)
                arm_fast_timer(n, d.next_check_usec);
        if (d.rule != NODE_RULE_NONE)
                act(n, &d, now);
}

void node_triggered(struct node *n, struct cgroup *slice, uint64_t now)
{
        /* The root has no memory.current: a slice is judged by its pressure alone. */
        if (registry_sample(n->registry, slice, slice->dirfd, MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE),
                            NULL) < 0)
                return;
        struct event_psi_trigger trigger = {
                .full = n->cgmem_config->psi_stall == PSI_STALL_FULL,
                .threshold_usec = n->cgmem_config->psi_threshold_usec,
                .window_usec = n->cgmem_config->psi_window_usec,
        };
        struct event_who who = {.cgroup = slice->path, .identity = &slice->identity};
        if (episode_signal(&n->episode, EPISODE_PRESSURE, &slice->sample, now,
                           &n->pipeline->episodes) == EPISODE_BEGIN)
                emitter_emit(n->pipeline->emitter,
                             event_pressure(&who, &trigger, &slice->sample, n->episode.id));
        node_check(n, slice, now);
}

void node_round(struct node *n, struct cgroup *slice, uint64_t now)
{
        struct episode_config ec = {.quiet_usec = n->cgmem_config->episode_quiet_usec,
                                    .summary_usec = n->cgmem_config->episode_summary_usec};
        enum episode_step step = episode_round(&n->episode, &ec, &slice->sample, now);

        if (step == EPISODE_ONGOING || step == EPISODE_END) {
                struct event_who who = {.cgroup = slice->path, .identity = &slice->identity};
                emitter_emit(n->pipeline->emitter,
                             event_episode(&who, &n->episode, step, &slice->sample, now));
                if (step == EPISODE_END)
                        episode_close(&n->episode);
        }
        node_check(n, slice, now);
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

void node_stop(struct node *n)
{
        n->fast_timer = sd_event_source_disable_unref(n->fast_timer);
        free(n->candidates);
        n->candidates = NULL;
        n->candidates_cap = 0;
        read_buf_free(&n->buf);
}
