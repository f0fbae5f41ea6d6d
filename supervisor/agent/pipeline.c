/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pipeline.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time-util.h"
#include "emit/emit.h"
#include "kill-story.h"
#include "names/names.h"
#include "report.h"

/* A kill that keeps failing the same way is reported again after this. */
#define KILL_FAILED_REPORT_USEC (10 * USEC_PER_SEC)

/* ---- observe ---- */

/* The files each wake-up needs: enforcement judges by footprint, so it needs more than counters. */
static unsigned files_for(const struct pipeline *p, enum wake why)
{
        switch (why) {
        case WAKE_DISCOVERY:
                return MEMCG_FILES_ALL;
        case WAKE_MEMORY_EVENTS:
                return p->config->enforce ? p->hot_files : MEMCG_FILE_BIT(MEMCG_FILE_EVENTS);
        case WAKE_LIMITS:
                return LIMIT_FILES;
        case WAKE_PSI_TRIGGER:
        case WAKE_ROUND:
        case WAKE_NODE:
        case _WAKE_MAX:
        case _WAKE_INVALID:
                break;
        }
        return p->hot_files;
}

/*
 * A band a previous agent left (its xattrs say so): taken over if memory.high is
 * still what that agent wrote; if the owner changed it since, it is theirs.
 * Xattrs from before cgmem kept the band's own value name none: a memory.high
 * below the owner's is then taken as cgmem's.
 */
static void adopt_band(struct pipeline *p, struct container *c)
{
        const struct actuator *act = p->actuator;
        uint64_t owner, band, high = c->cg->sample.high_bytes;
        bool has_band;

        if (!act->read_band(act->userdata, c->cg, &owner, &band, &has_band))
                return;
        if (!has_band)
                band = high < owner ? high : CG_VALUE_MAX - 1;
        if (high != band) {
                act->drop_band(act->userdata, c->cg);
                return;
        }
        policy_adopt_band(&c->policy, owner, band, c->cg->sample.max_bytes);
        c->high_written_bytes = band;
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_adopted(&who, high, owner));
}

/* Its owner's writes of a limit (not cgmem's own memory.high) start the time they settle. */
static void note_limits(struct pipeline *p, struct container *c, const struct memcg_sample *before)
{
        const struct memcg_sample *s = &c->cg->sample;
        bool theirs =
                s->max_bytes != before->max_bytes || s->min_bytes != before->min_bytes ||
                s->low_bytes != before->low_bytes || s->swap_max_bytes != before->swap_max_bytes ||
                (s->high_bytes != before->high_bytes && s->high_bytes != c->high_written_bytes);

        if (theirs)
                c->limits_written_usec = p->now();
}

/* Limits its owner may have written while nothing told of them are read along. */
static int observe(struct pipeline *p, struct container *c, enum wake why)
{
        struct memcg_sample before = c->cg->sample;
        bool limits = why == WAKE_LIMITS || c->limits_unwatched;
        unsigned files = files_for(p, why) | (limits ? LIMIT_FILES : 0);
        int r = registry_sample(p->registry, c->cg, c->cg->dirfd, files, NULL);

        if (r < 0)
                return r;
        recorder_note(&c->recorder, &c->cg->sample, p->now());
        if (why == WAKE_DISCOVERY) {
                c->cg->sampled = true;
                c->mark = marks_of(p->marks, p->actuator, p->names, c->cg);
        } else if (limits) {
                note_limits(p, c, &before);
                c->limits_unwatched = false;
        }
        return 0;
}

/* ---- decide ---- */

/* The swap a container may still fill: memory.swap.max, within what the node has free. */
static uint64_t swap_limit(const struct pipeline *p, const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_SWAP))
                return 0;
        uint64_t node = s->swap_current_bytes + p->swap_free_bytes;
        return s->swap_max_bytes < node ? s->swap_max_bytes : node;
}

/*
 * file_mapped counts mapped tmpfs and shared memory too, which the footprint
 * has already (shmem): what is left is code and mapped files. Shmem that is
 * not mapped makes it an underestimate, the safe side.
 */
static uint64_t mapped_code(const struct memcg_sample *s)
{
        return s->stat.file_mapped > s->stat.shmem ? s->stat.file_mapped - s->stat.shmem : 0;
}

/* What reclaim takes at memory.max short of swapping: page cache and reclaimable slab. */
static uint64_t reclaimable(const struct memcg_sample *s)
{
        uint64_t cache = s->stat.file > s->stat.shmem ? s->stat.file - s->stat.shmem : 0;

        return cache + s->stat.slab_reclaimable;
}

static struct policy_input policy_input_of(const struct pipeline *p, const struct container *c,
                                           uint64_t now)
{
        const struct memcg_sample *s = &c->cg->sample;

        return (struct policy_input){
                .now_usec = now,
                .current_bytes = s->current_bytes,
                .unreclaimable_bytes = memcg_unreclaimable_bytes(s),
                .mapped_bytes = mapped_code(s),
                .reclaimable_bytes = reclaimable(s),
                .slab_reclaimable_bytes = s->stat.slab_reclaimable,
                .swap_bytes = s->swap_current_bytes,
                .swap_limit_bytes = swap_limit(p, s),
                .max_bytes = s->max_bytes,
                .high_bytes = s->high_bytes,
                .high_events = s->events.high,
                .max_events = s->events.max,
                .oom_kills = s->events.oom_kill,
                .psi_full_total_usec = s->psi.has_full ? s->psi.full.total_usec : 0,
                .refaults = s->stat.workingset_refault_anon + s->stat.workingset_refault_file,
                .limits_written_usec = c->limits_written_usec,
                .mark = c->mark,
        };
}

/*
 * A killed cgroup is judged again only once it emptied and then filled anew, as
 * a service restarted in its own cgroup does; until then its samples are the
 * dying container's.
 */
static bool judged_again(struct container *c)
{
        const struct memcg_sample *s = &c->cg->sample;

        if (!c->killed)
                return true;
        if (memcg_unreclaimable_bytes(s) * 10 < s->max_bytes)
                c->emptied_after_kill = true;
        else if (c->emptied_after_kill)
                c->killed = c->emptied_after_kill = false;
        return !c->killed;
}

/* --once only looks: it would leave guard bands behind with nobody to lift them. */
static bool decide(struct pipeline *p, struct container *c, enum wake why,
                   struct policy_decision *d)
{
        struct policy_state next;
        uint64_t until = c->events_wait_until_usec;

        c->events_wait_until_usec = 0;
        if (!p->config->enforce || p->once || !c->cg->sampled || !judged_again(c))
                return false;
        struct policy_input in = policy_input_of(p, c, p->now());
        policy_evaluate(p->policy, &c->policy, &in, &next, d);
        c->policy = next;
        if (d->events_wait_usec)
                c->events_wait_until_usec = in.now_usec + d->events_wait_usec;
        /* A look at the limits alone saw an older footprint: it never lengthens a wait. */
        if (why == WAKE_LIMITS && c->events_wait_until_usec > until)
                c->events_wait_until_usec = until;
        if (d->recheck_usec && p->recheck)
                p->recheck(p->recheck_userdata, c, d->recheck_usec);
        return d->action != ACTION_NONE;
}

/* ---- act, then emit ---- */

/* An action done (r >= 0) or refused, counted for the metrics. */
static void count_action(struct pipeline *p, struct container *c, enum policy_action action,
                         enum policy_reason reason, int r)
{
        if (r < 0) {
                p->action_failures[action]++;
                return;
        }
        p->actions[action][reason]++;
        c->actions[action][reason]++;
}

static struct event_action action_of(const struct container *c, enum policy_reason reason,
                                     enum wake why, uint64_t latency,
                                     const struct policy_decision *d)
{
        return (struct event_action){
                .reason = reason,
                .signal = why,
                .latency_usec = latency,
                .sample = &c->cg->sample,
                .rate_bytes_per_sec =
                        d ? d->rate_bytes_per_sec : c->policy.growth.rate_bytes_per_sec,
                .eta_usec = d ? d->eta_usec : -1,
        };
}

static void emit_decision(struct pipeline *p, struct container *c, enum policy_action action,
                          const struct event_action *a)
{
        struct event_who who = container_who(c, p->names);
        struct story story;
        struct event_story st = {0};

        if (action == ACTION_KILL)
                st = kill_story_of(p, c, p->now(), &story, NULL, 0);
        emitter_emit(p->emitter, event_decision(&who, a, action, p->config->dry_run, &st));
}

/* The band's xattrs, before cgmem changes memory.high; said once if the cgroup cannot hold them. */
static void save_band(struct pipeline *p, struct container *c, uint64_t band)
{
        const struct actuator *act = p->actuator;
        int r = act->save_band(act->userdata, c->cg, c->policy.owner_high_bytes, band);

        if (r < 0 && !errno_is_gone(r) && !p->xattr_warned) {
                log_warning("cannot keep the original memory.high of %s in its xattrs: %s; an "
                            "agent restarted after a crash cannot give it back",
                            c->cg->path, strerror(-r));
                p->xattr_warned = true;
        }
}

static void change_high(struct pipeline *p, struct container *c, const struct policy_decision *d,
                        enum wake why, uint64_t signal_usec)
{
        const struct actuator *act = p->actuator;
        uint64_t before = c->cg->sample.high_bytes;

        if (p->config->dry_run) {
                struct event_action a = action_of(c, d->reason, why, p->now() - signal_usec, d);
                emit_decision(p, c, d->action, &a);
                /* Not written: not decided again for this memory.max, nor yielded. */
                if (d->action == ACTION_GUARD)
                        policy_guard_not_written(&c->policy);
                return;
        }
        if (c->policy.owns_high)
                save_band(p, c, d->high_bytes);
        int r = act->write_high(act->userdata, c->cg, d->high_bytes, d->expect_high_bytes);
        uint64_t latency = p->now() - signal_usec;
        if (r == -EAGAIN || errno_is_gone(r)) {
                /* The owner wrote in between (its notification decides again), or it is gone. */
                c->policy.owns_high = false;
                act->drop_band(act->userdata, c->cg);
                return;
        }
        count_action(p, c, d->action, d->reason, r);
        if (r >= 0)
                c->high_written_bytes = d->high_bytes;
        else if (d->action == ACTION_GUARD)
                policy_guard_failed(&c->policy, p->now());
        else
                c->policy.owns_high = true; /* a failed release: memory.high is still cgmem's */
        if (r >= 0 && !c->policy.owns_high)
                act->drop_band(act->userdata, c->cg);
        struct event_action a = action_of(c, d->reason, why, latency, d);
        struct event_who who = container_who(c, p->names);
        emitter_emit(p->emitter, event_high_change(&who, &a, d->action, before, d->high_bytes,
                                                   c->policy.owner_high_bytes, r));
}

/*
 * After a kill, and on a clean exit: the owner's memory.high, unless the owner
 * wrote one since. A service restarted in the same cgroup starts afresh.
 */
static void give_back_high(struct pipeline *p, struct container *c)
{
        const struct actuator *act = p->actuator;
        const struct policy_state *s = &c->policy;

        if (s->owns_high &&
            act->write_high(act->userdata, c->cg, s->owner_high_bytes, s->band_high_bytes) >= 0)
                act->drop_band(act->userdata, c->cg);
        c->policy = (struct policy_state){0};
}

/*
 * The situation may have changed since the decision: look again right before
 * killing, the mark too (an operator's protect xattr set after the container
 * was seen must hold; the node ranking reads marks afresh itself).
 */
static bool still_worth_killing(struct pipeline *p, struct container *c, enum policy_reason r)
{
        const struct memcg_sample *s = &c->cg->sample;

        if (registry_sample(p->registry, c->cg, c->cg->dirfd, p->hot_files, NULL) < 0)
                return false;
        c->mark = marks_of(p->marks, p->actuator, p->names, c->cg);
        if (c->mark == MARK_PROTECT)
                return false;
        if (r == REASON_NODE_PRESSURE || s->max_bytes == CG_VALUE_MAX)
                return true;
        return memcg_unreclaimable_bytes(s) * 2 >= s->max_bytes;
}

/*
 * A kill the kernel refuses (a read-only cgroupfs, a permission) fails again at
 * every wake-up that decides it, and a runaway crawling through its guard band
 * wakes the agent a hundred times a second. The kill is tried each time, since
 * the fault may have passed, but the same error is reported once per
 * KILL_FAILED_REPORT_USEC for the container, not at every attempt.
 */
static bool kill_failure_is_news(struct pipeline *p, struct container *c, int r)
{
        uint64_t now = p->now();

        if (r == -c->kill_failed_errno && now - c->kill_failed_usec < KILL_FAILED_REPORT_USEC)
                return false;
        c->kill_failed_errno = -r;
        c->kill_failed_usec = now;
        return true;
}

void pipeline_kill(struct pipeline *p, struct container *c, const struct kill_order *k)
{
        const struct actuator *act = p->actuator;

        if (c->killed || !still_worth_killing(p, c, k->reason))
                return;
        if (p->config->dry_run || !p->config->enforce_kill) {
                struct event_action a =
                        action_of(c, k->reason, k->signal, p->now() - k->signal_usec, k->decision);
                emit_decision(p, c, ACTION_KILL, &a);
                return;
        }
        /* The kill first; the event, with its names, evidence and story, after. */
        kill_story_before_kill(p, c);
        int r = act->kill(act->userdata, c->cg);
        uint64_t now = p->now(), latency = now - k->signal_usec;
        if (errno_is_gone(r) || (r < 0 && !kill_failure_is_news(p, c, r)))
                return;
        count_action(p, c, ACTION_KILL, k->reason, r);
        struct policy_state verdict = c->policy;
        if (r >= 0) {
                give_back_high(p, c);
                c->killed = true;
                c->kill_failed_errno = 0;
        }
        json_t *details = k->details    ? k->details(k->details_ctx)
                          : k->decision ? event_kill_evidence(&verdict, &k->decision->evidence)
                                        : NULL;
        struct event_action a = action_of(c, k->reason, k->signal, latency, k->decision);
        a.rate_bytes_per_sec =
                k->decision ? verdict.growth.rate_bytes_per_sec : k->rate_bytes_per_sec;
        struct event_who who = container_who(c, p->names);
        struct story story;
        char record[PATH_MAX];
        struct event_story st = kill_story_of(p, c, now, &story, record, sizeof(record));
        char *line = NULL;
        emitter_emit_copy(p->emitter, event_kill(&who, &a, r, details, &st), &line);
        /* Only now: freeing a dying process's memory takes as long as the memory is large. */
        if (r >= 0)
                act->reclaim(act->userdata, c->cg);
        kill_story_record(p, c, &st, line, now);
        free(line);
}

static void act(struct pipeline *p, struct container *c, const struct policy_decision *d,
                enum wake why, uint64_t signal_usec)
{
        switch (d->action) {
        case ACTION_KILL:
                pipeline_kill(p, c,
                              &(struct kill_order){.reason = d->reason,
                                                   .signal = why,
                                                   .signal_usec = signal_usec,
                                                   .decision = d});
                break;
        case ACTION_GUARD:
        case ACTION_RELEASE:
                change_high(p, c, d, why, signal_usec);
                break;
        case ACTION_YIELD: {
                struct event_who who = container_who(c, p->names);
                p->actuator->drop_band(p->actuator->userdata, c->cg);
                count_action(p, c, ACTION_YIELD, d->reason, 0);
                emitter_emit(p->emitter, event_yield(&who, d->high_bytes, c->cg->sample.max_bytes));
                break;
        }
        case ACTION_NONE:
        case _ACTION_MAX:
                break;
        }
}

int pipeline_run(struct pipeline *p, struct container *c, enum wake why, uint64_t signal_usec)
{
        struct policy_decision d = {.eta_usec = -1};

        int r = observe(p, c, why);
        if (r < 0)
                return r; /* gone: its rmdir's notification drops it; malformed: the last sample
                             stays */
        report(p, c, why, signal_usec);
        if (why == WAKE_DISCOVERY)
                adopt_band(p, c);
        bool acting = decide(p, c, why, &d);
        if (why == WAKE_ROUND)
                kill_story_watch(p, c, &d, signal_usec);
        if (acting)
                act(p, c, &d, why, signal_usec);
        return 0;
}

void pipeline_restore(struct pipeline *p, struct container *c)
{
        if (!p->config->dry_run)
                give_back_high(p, c);
}
