/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "report.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "base/hashmap.h"
#include "emit/emit.h"
#include "kill-story.h"
#include "oom.h"

/* Below this, a share is a few pages over a few pages: noise, not a finding. */
#define KERNEL_SHARE_MIN_CURRENT_BYTES (UINT64_C(4) << 20)
/* Below this, a container is too small for its share's moves to matter. */
#define KERNEL_CHANGE_MIN_CURRENT_BYTES (UINT64_C(16) << 20)

static bool oom_rose(const struct memcg_events *before, const struct memcg_events *after)
{
        return after->oom > before->oom || after->oom_kill > before->oom_kill ||
               after->oom_group_kill > before->oom_group_kill;
}

static bool limit_rose(const struct memcg_events *before, const struct memcg_events *after)
{
        return after->high > before->high || after->max > before->max || after->low > before->low;
}

static struct episode_config episode_config_of(const struct cgmem_config *cf)
{
        return (struct episode_config){.quiet_usec = cf->episode_quiet_usec,
                                       .summary_usec = cf->episode_summary_usec};
}

/* An oom_kill event, with the container's story and processes, and its per-kill file. */
static void tell_oom_kill(struct pipeline *p, struct container *c, uint64_t before,
                          const struct memcg_events *events, const struct oom_victim *v)
{
        uint64_t now = p->now();
        struct story story;
        char record[PATH_MAX], *line = NULL;
        struct event_story st = kill_story_of(p, c, now, &story, record, sizeof(record));

        emitter_emit_copy(p->emitter,
                          event_oom_kill(c->cg->path, before, before + 1, events, v, &st), &line);
        kill_story_record(p, c, &st, line, now);
        free(line);
}

/* One oom_kill event per kill the counter shows, each naming its victim when the log has it. */
static void report_oom_kills(struct pipeline *p, struct container *c, uint64_t before)
{
        const struct cgroup *cg = c->cg;

        if (p->oom)
                oom_log_drain(p->oom, p->now());
        for (uint64_t k = before; k < cg->sample.events.oom_kill; k++)
                tell_oom_kill(p, c, k, &cg->sample.events,
                              p->oom ? oom_log_claim(p->oom, cg->path) : NULL);
}

static void tell_memory_event(struct pipeline *p, struct container *c)
{
        struct event_who who = container_who(c, p->names);

        emitter_emit(p->emitter,
                     event_memory_event(&who, &c->reported_events, &c->cg->sample, c->episode.id));
        c->reported_events = c->cg->sample.events;
}

/*
 * The kernel's counters moved. OOM is told at once, every time; the limits
 * (low, high, max) open an episode, told by its first memory_event, and count
 * in it after that. The counters stay the ones of the last memory_event, so
 * its before/after always span what the stream did not say.
 */
static void report_events(struct pipeline *p, struct container *c, uint64_t now)
{
        const struct memcg_events *before = &c->reported_events, *after = &c->cg->sample.events;
        enum episode_step step = EPISODE_NONE;

        if (limit_rose(&c->looked_events, after))
                step = episode_signal(&c->episode, EPISODE_AT_LIMIT, &c->cg->sample, now,
                                      &p->episodes);
        c->looked_events = *after;
        if (oom_rose(before, after)) {
                if (after->oom_kill > before->oom_kill)
                        report_oom_kills(p, c, before->oom_kill);
                tell_memory_event(p, c);
        } else if (step == EPISODE_BEGIN) {
                tell_memory_event(p, c);
        }
}

static void tell_pressure(struct pipeline *p, struct container *c,
                          const struct event_psi_trigger *trigger, uint64_t now)
{
        enum episode_step step =
                episode_signal(&c->episode, EPISODE_PRESSURE, &c->cg->sample, now, &p->episodes);

        if (step != EPISODE_BEGIN && step != EPISODE_PRESSURE_BEGIN)
                return;
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_pressure(&who, trigger, &c->cg->sample, c->episode.id));
}

static void tell_episode(struct pipeline *p, struct container *c, enum episode_step step,
                         uint64_t now)
{
        if (step != EPISODE_ONGOING && step != EPISODE_END)
                return;
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_episode(&who, &c->episode, step, &c->cg->sample, now));
        if (step == EPISODE_END)
                episode_close(&c->episode);
}

/*
 * The share is told when it crosses the threshold (at once), when it moved by
 * kernel_memory_change since it was last told (at most once an interval, and
 * not for containers too small for a share to mean much), and with --once.
 */
static void report_kernel_memory(struct pipeline *p, struct container *c, uint64_t now)
{
        const struct cgmem_config *cf = p->config;
        const struct memcg_sample *s = &c->cg->sample;
        double share = memcg_kernel_share_pct(s);
        bool above = s->current_bytes >= KERNEL_SHARE_MIN_CURRENT_BYTES &&
                     share >= cf->kernel_memory_threshold_pct;
        bool moved = s->current_bytes >= KERNEL_CHANGE_MIN_CURRENT_BYTES &&
                     fabs(share - c->kernel_share_told_pct) >= cf->kernel_memory_change_pct &&
                     now - c->kernel_memory_usec >= cf->kernel_memory_interval_usec;
        enum kernel_memory_reason reason;

        if (p->once)
                reason = KERNEL_MEMORY_SNAPSHOT;
        else if (above != c->kernel_share_above)
                reason = KERNEL_MEMORY_CROSSED;
        else if (moved)
                reason = KERNEL_MEMORY_CHANGED;
        else
                return;
        c->kernel_share_above = above;
        c->kernel_share_told_pct = share;
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
static void report_sampled_pressure(struct pipeline *p, struct container *c, uint64_t now,
                                    uint64_t elapsed)
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
        tell_pressure(p, c, NULL, now);
}

/*
 * Containers found together (at start) would all report their kernel memory in
 * the same round: each may first be told within one interval, from its path.
 */
static void report_start(struct pipeline *p, struct container *c)
{
        const struct memcg_sample *s = &c->cg->sample;

        c->reported_events = s->events;
        c->looked_events = s->events;
        c->kernel_memory_usec = c->seen_usec - hash_string(c->cg->path + 1) %
                                                       p->config->kernel_memory_interval_usec;
        c->kernel_share_told_pct = memcg_kernel_share_pct(s);
        c->psi_some_total_usec = s->psi.some.total_usec;
        c->kernel_share_above = false; /* the first round tells if it is above */
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_container_seen(&who, s));
}

static void report_round(struct pipeline *p, struct container *c, uint64_t now)
{
        struct episode_config ec = episode_config_of(p->config);

        report_events(p, c, now);
        report_kernel_memory(p, c, now);
        report_sampled_pressure(p, c, now, p->round_elapsed_usec);
        tell_episode(p, c, episode_round(&c->episode, &ec, &c->cg->sample, now), now);
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
                report_round(p, c, signal_usec);
                break;
        case WAKE_PSI_TRIGGER:
                trigger = trigger_of(p->config);
                tell_pressure(p, c, &trigger, signal_usec);
                break;
        case WAKE_LIMITS:
        case WAKE_NODE:
        case _WAKE_MAX:
        case _WAKE_INVALID:
                break;
        }
}

void report_gone(struct pipeline *p, struct container *c, uint64_t now)
{
        tell_episode(p, c, episode_gone(&c->episode, now), now);
}

void report_unclaimed_kills(struct pipeline *p, struct container *c)
{
        const struct oom_victim *v;
        uint64_t before = c->reported_events.oom_kill;

        if (!p->oom)
                return;
        oom_log_drain(p->oom, p->now());
        while ((v = oom_log_claim(p->oom, c->cg->path)))
                tell_oom_kill(p, c, before++, NULL, v);
}
