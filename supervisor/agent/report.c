/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "report.h"

#include "base/hashmap.h"
#include "emit/emit.h"
#include "oom.h"

/* Below this, a share is a few pages over a few pages: noise, not a finding. */
#define KERNEL_SHARE_MIN_CURRENT_BYTES (UINT64_C(4) << 20)

static bool oom_rose(const struct memcg_events *before, const struct memcg_events *after)
{
        return after->oom > before->oom || after->oom_kill > before->oom_kill ||
               after->oom_group_kill > before->oom_group_kill;
}

static bool any_rose(const struct memcg_events *before, const struct memcg_events *after)
{
        return oom_rose(before, after) || after->high > before->high || after->max > before->max ||
               after->low > before->low;
}

/* One oom_kill event per kill the counter shows, each naming its victim when the log has it. */
static void report_oom_kills(struct pipeline *p, struct container *c, uint64_t before)
{
        const struct cgroup *cg = c->cg;

        if (p->oom)
                oom_log_drain(p->oom, p->now());
        for (uint64_t k = before; k < cg->sample.events.oom_kill; k++) {
                const struct oom_victim *v = p->oom ? oom_log_claim(p->oom, cg->path) : NULL;
                emitter_emit(p->emitter, event_oom_kill(cg->path, k, k + 1, &cg->sample.events, v));
        }
}

static void report_events(struct pipeline *p, struct container *c, uint64_t now)
{
        const struct memcg_events *before = &c->reported_events, *after = &c->cg->sample.events;

        if (!any_rose(before, after))
                return;
        if (!oom_rose(before, after) && now - c->memory_event_usec < p->config->interval_usec)
                return;
        if (after->oom_kill > before->oom_kill)
                report_oom_kills(p, c, before->oom_kill);
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_memory_event(&who, before, &c->cg->sample));
        c->reported_events = *after;
        c->memory_event_usec = now;
}

static void report_kernel_memory(struct pipeline *p, struct container *c, uint64_t now)
{
        const struct cgmem_config *cf = p->config;
        const struct memcg_sample *s = &c->cg->sample;
        bool above = s->current_bytes >= KERNEL_SHARE_MIN_CURRENT_BYTES &&
                     memcg_kernel_share_pct(s) >= cf->kernel_memory_threshold_pct;
        enum kernel_memory_reason reason;

        if (above != c->kernel_share_above)
                reason = KERNEL_MEMORY_CROSSED;
        else if (p->once || now - c->kernel_memory_usec >= cf->kernel_memory_interval_usec)
                reason = KERNEL_MEMORY_PERIODIC;
        else
                return;
        c->kernel_share_above = above;
        c->kernel_memory_usec = now;
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter,
                     event_kernel_memory(&who, reason, s, cf->kernel_memory_threshold_pct, above));
}

static struct event_psi_trigger trigger_of(const struct cgmem_config *cf)
{
        return (struct event_psi_trigger){.full = cf->psi_stall == PSI_STALL_FULL,
                                          .threshold_usec = cf->psi_threshold_usec,
                                          .window_usec = cf->psi_window_usec};
}

/*
 * A container without a trigger still reports pressure when the round shows it
 * stalled as long as a trigger would have required (threshold per window).
 */
static void report_sampled_pressure(struct pipeline *p, struct container *c, uint64_t elapsed)
{
        const struct cgmem_config *cf = p->config;
        const struct memcg_sample *s = &c->cg->sample;
        uint64_t stalled = s->psi.some.total_usec - c->psi_some_total_usec;

        c->psi_some_total_usec = s->psi.some.total_usec;
        if (c->trigger.source || !(s->have & MEMCG_HAVE_PSI) || elapsed == 0)
                return;
        if ((double) stalled / (double) elapsed <
            (double) cf->psi_threshold_usec / (double) cf->psi_window_usec)
                return;
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_pressure(&who, NULL, s));
}

/*
 * Containers found together (at start) would all report their kernel memory in
 * the same round: each gets a start within one interval, from its path.
 */
static void report_start(struct pipeline *p, struct container *c)
{
        const struct memcg_sample *s = &c->cg->sample;

        c->reported_events = s->events;
        c->kernel_memory_usec = c->seen_usec - hash_string(c->cg->path + 1) %
                                                       p->config->kernel_memory_interval_usec;
        c->psi_some_total_usec = s->psi.some.total_usec;
        c->kernel_share_above = false; /* the first round tells if it is above */
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_container_seen(&who, s));
}

void report(struct pipeline *p, struct container *c, enum wake why, uint64_t signal_usec)
{
        struct event_psi_trigger trigger;

        switch (why) {
        case WAKE_DISCOVERY:
                report_start(p, c);
                break;
        case WAKE_MEMORY_EVENTS:
                report_events(p, c, signal_usec);
                break;
        case WAKE_ROUND:
                report_events(p, c, signal_usec);
                report_kernel_memory(p, c, signal_usec);
                report_sampled_pressure(p, c, p->round_elapsed_usec);
                break;
        case WAKE_PSI_TRIGGER:
                trigger = trigger_of(p->config);
                struct event_who who = container_who(c, p->names);
                emitter_emit(p->emitter, event_pressure(&who, &trigger, &c->cg->sample));
                break;
        case WAKE_LIMITS:
        case WAKE_NODE:
        case _WAKE_MAX:
        case _WAKE_INVALID:
                break;
        }
}

void report_unclaimed_kills(struct pipeline *p, struct container *c)
{
        const struct oom_victim *v;
        uint64_t before = c->reported_events.oom_kill;

        if (!p->oom)
                return;
        oom_log_drain(p->oom, p->now());
        while ((v = oom_log_claim(p->oom, c->cg->path))) {
                emitter_emit(p->emitter, event_oom_kill(c->cg->path, before, before + 1, NULL, v));
                before++;
        }
}
