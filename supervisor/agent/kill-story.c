/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kill-story.h"

#include <stdlib.h>

#include "emit/emit.h"
#include "emit/records.h"

#define PROCS_KEPT          32
#define PROCS_FRESH_USEC    UINT64_C(1000000)
#define PROCS_RESUME_USEC   UINT64_C(5000000)
#define AT_RISK_ETA_USEC    (60 * INT64_C(1000000))
#define WATCH_BUDGET_USEC   UINT64_C(2000)
#define GROWING_BYTES_PER_S (1024.0 * 1024.0)

static bool at_risk(const struct pipeline *p, const struct container *c,
                    const struct policy_decision *d)
{
        const struct memcg_sample *s = &c->cg->sample;
        uint64_t footprint = memcg_unreclaimable_bytes(s) + s->swap_current_bytes;

        if (s->max_bytes != CG_VALUE_MAX)
                return footprint * 4 >= s->max_bytes * 3 ||
                       (d && d->eta_usec >= 0 && d->eta_usec <= AT_RISK_ETA_USEC);
        return p->node_short && c->policy.growth.rate_bytes_per_sec >= GROWING_BYTES_PER_S;
}

/*
 * The rest of a snapshot the budget cut short within PROCS_RESUME_USEC of its
 * start, or a fresh one: taken afresh each time, a slow kernel's few
 * milliseconds would read the same first processes every round and never the
 * runaway listed after them (story_leak_among_siblings under emulation). Its
 * age counts from its start.
 */
static void snapshot(struct pipeline *p, struct container *c, bool smaps, uint64_t deadline)
{
        uint64_t now = p->now();

        if (p->proc_fd < 0)
                return;
        if (!c->procs) {
                c->procs = calloc(PROCS_KEPT, sizeof(*c->procs));
                if (!c->procs)
                        return;
        }
        if (c->procs_usec && !c->procs_snapshot.complete && now - c->procs_usec < PROCS_RESUME_USEC)
                (void) procs_snapshot_resume(c->cg->dirfd, p->proc_fd, smaps, deadline,
                                             &c->procs_snapshot);
        else if (procs_snapshot_take(c->cg->dirfd, p->proc_fd, smaps, deadline, c->procs,
                                     PROCS_KEPT, &c->procs_snapshot) >= 0)
                c->procs_usec = now;
}

void kill_story_watch(struct pipeline *p, struct container *c, const struct policy_decision *d,
                      uint64_t now)
{
        bool fresh = now - c->procs_usec < PROCS_FRESH_USEC && c->procs_snapshot.complete;

        if (fresh || now >= p->procs_round_deadline_usec || !at_risk(p, c, d))
                return;
        uint64_t deadline = now + WATCH_BUDGET_USEC;
        /*
         * status only: smaps_rollup takes the process's mmap_lock, and a read of it can wait
         * behind a runaway's page fault stalled in reclaim for as long as that lasts. A time
         * budget cannot bound a blocking read; PSS and USS are left to cgmem top.
         */
        snapshot(p, c, false,
                 deadline < p->procs_round_deadline_usec ? deadline : p->procs_round_deadline_usec);
}

void kill_story_before_kill(struct pipeline *p, struct container *c)
{
        uint64_t now = p->now();

        if (!c->procs_usec || !c->procs_snapshot.complete ||
            now - c->procs_usec >= 2 * PROCS_FRESH_USEC)
                snapshot(p, c, false, now + KILL_SNAPSHOT_BUDGET_USEC);
}

struct event_story kill_story_of(struct pipeline *p, struct container *c, uint64_t now,
                                 struct story *story, char *path, size_t size)
{
        struct event_story st = {.story = story};

        recorder_story(&c->recorder, &c->cg->sample, now, story);
        if (c->procs_usec) {
                st.procs = &c->procs_snapshot;
                st.procs_age_usec = now > c->procs_usec ? now - c->procs_usec : 0;
        }
        if (p->records && kill_records_path(p->records, emitter_next_seq(p->emitter),
                                            p->realtime_now(), path, size))
                st.record = path;
        return st;
}

void kill_story_record(struct pipeline *p, struct container *c, const struct event_story *st,
                       const char *line, uint64_t now)
{
        if (!st->record || !line)
                return;
        kill_records_write(p->records, st->record, line, &c->recorder, &c->cg->sample, now,
                           st->procs, st->procs_age_usec);
}
