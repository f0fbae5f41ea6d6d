/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sampling: the backstop round over every container, and the immediate look at
 * memory.events when inotify says it changed. Turns counter changes into
 * memory_event and oom_kill events, and kernel memory into kernel_memory events.
 */
#include <limits.h>

#include "agent.h"
#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "emit/emit.h"
#include "emit/events.h"
#include "enforce.h"
#include "node.h"

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
static void report_oom_kills(struct agent *a, struct watch *w, uint64_t before)
{
        char path[PATH_MAX + 2];

        watch_display_path(w, path, sizeof(path));
        oom_log_drain(&a->oom, now_usec());
        for (uint64_t k = before; k < w->sample.events.oom_kill; k++) {
                const struct oom_victim *v = oom_log_claim(&a->oom, path);
                emitter_emit(a->emitter, event_oom_kill(path, k, k + 1, &w->sample.events, v));
        }
}

/*
 * OOM counters are told at once. high/max/low climb by hundreds a second on a
 * throttled container, so they are told at most once per sample interval, with
 * the counts before and after that interval.
 */
static void report_events(struct agent *a, struct watch *w, uint64_t now)
{
        const struct memcg_events *before = &w->reported_events;

        if (!any_rose(before, &w->sample.events))
                return;
        bool urgent = oom_rose(before, &w->sample.events);
        if (!urgent && now - w->memory_event_usec < a->config->interval_usec)
                return;
        if (w->sample.events.oom_kill > before->oom_kill)
                report_oom_kills(a, w, before->oom_kill);
        emitter_emit(a->emitter, event_memory_event(w, before));
        w->reported_events = w->sample.events;
        w->memory_event_usec = now;
}

void sampling_events_changed(struct agent *a, struct watch *w, uint64_t signal_usec)
{
        /* Enforcement judges by working set, so it needs more than the counters. */
        unsigned files = a->config->enforce ? a->hot_files : MEMCG_FILE_BIT(MEMCG_FILE_EVENTS);

        if (memcg_sample_update(&w->reader, w->dirfd, files, &w->sample, NULL) < 0)
                return; /* gone: the rmdir's own notification drops the watch */
        report_events(a, w, signal_usec);
        enforce_evaluate(a, w, SIGNAL_MEMORY_EVENTS, signal_usec);
}

void sampling_limits_changed(struct agent *a, struct watch *w)
{
        struct memcg_sample before = w->sample;

        if (memcg_sample_update(&w->reader, w->dirfd, LIMIT_FILES, &w->sample, NULL) >= 0)
                enforce_limits_written(a, w, &before);
}

/* Below this, a share is a few pages over a few pages: noise, not a finding. */
#define KERNEL_SHARE_MIN_CURRENT_BYTES (UINT64_C(4) << 20)

static void report_kernel_memory(struct agent *a, struct watch *w, uint64_t now)
{
        bool above = w->sample.current_bytes >= KERNEL_SHARE_MIN_CURRENT_BYTES &&
                     memcg_kernel_share_pct(&w->sample) >= a->config->kernel_memory_threshold_pct;

        if (above != w->kernel_share_above) {
                w->kernel_share_above = above;
                emitter_emit(a->emitter, event_kernel_memory(a, w, KERNEL_MEMORY_CROSSED));
                w->kernel_memory_usec = now;
        } else if (a->once ||
                   now - w->kernel_memory_usec >= a->config->kernel_memory_interval_usec) {
                emitter_emit(a->emitter, event_kernel_memory(a, w, KERNEL_MEMORY_PERIODIC));
                w->kernel_memory_usec = now;
        }
}

/*
 * A container without a trigger still reports pressure when the round shows it
 * stalled as long as a trigger would have required (threshold per window).
 */
static void report_sampled_pressure(struct agent *a, struct watch *w, uint64_t elapsed_usec)
{
        const struct cgmem_config *c = a->config;
        uint64_t total = w->sample.psi.some.total_usec;
        uint64_t stalled = total - w->psi_some_total_usec;

        w->psi_some_total_usec = total;
        if (w->psi_source || !(w->sample.have & MEMCG_HAVE_PSI) || elapsed_usec == 0)
                return;
        if ((double) stalled / (double) elapsed_usec >=
            (double) c->psi_threshold_usec / (double) c->psi_window_usec)
                emitter_emit(a->emitter, event_pressure(a, w, PRESSURE_SAMPLE));
}

static void sample_container(struct agent *a, struct watch *w, uint64_t now, uint64_t elapsed)
{
        int r = memcg_sample_update(&w->reader, w->dirfd, w->agent->hot_files, &w->sample, NULL);
        if (errno_is_gone(r)) {
                discovery_gone(a, w);
                return;
        }
        if (r < 0)
                return; /* a malformed or unreadable file: keep the last sample */
        report_events(a, w, now);
        report_kernel_memory(a, w, now);
        report_sampled_pressure(a, w, elapsed);
        enforce_evaluate(a, w, SIGNAL_SAMPLE, now);
        psi_update_trigger(a, w);
}

void sampling_round(struct agent *a, uint64_t now)
{
        uint64_t elapsed = a->last_round_usec ? now - a->last_round_usec : a->config->interval_usec;

        node_memory_update(a);

        for (struct watch *w = a->watches.head, *next; w; w = next) {
                next = w->next;
                if (w->is_container)
                        sample_container(a, w, now, elapsed);
                else if (node_is_slice(a, w))
                        node_check(a, w, now);
        }
        a->last_round_usec = now;
        a->rounds++;
}
