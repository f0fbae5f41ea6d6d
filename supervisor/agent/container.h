/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the agent keeps of one container, as the registry entry's ext: what the
 * report step compared last, what the policy remembers, what cgmem did, and the
 * loop's sources for it (its PSI trigger, the timers of a limit settling and of
 * a look put off).
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cgroupfs/procs.h"
#include "cgroupfs/sample.h"
#include "emit/episode.h"
#include "emit/events.h"
#include "names/names.h"
#include "policy/policy.h"
#include "recorder/recorder.h"
#include "registry/registry.h"
#include "trigger.h"

/* high_written_bytes before cgmem wrote any: a value memory.high never holds ("max" reads
 * UINT64_MAX). */
#define HIGH_WRITTEN_NONE (UINT64_MAX - 1)

struct agent;
struct pipeline;
struct container;

/* A look at memory.events put off while its changes may wait (discovery.c). */
struct put_off_look {
        sd_event_source *source;
        struct agent *agent;
        struct container *c;
        bool narrowed; /* its directory's watch tells of its children only */
};

struct container {
        struct cgroup *cg;
        struct pipeline *pipeline; /* the one its wake-ups go through */
        uint64_t seen_usec;

        /* report: what the last events said */
        struct memcg_events reported_events; /* at the last memory_event */
        struct memcg_events looked_events;   /* at the last look */
        struct episode episode;
        uint64_t kernel_memory_usec;
        double kernel_share_told_pct;
        bool kernel_share_above;
        uint64_t psi_some_total_usec; /* at the last round, for sampled pressure */

        /* decide */
        struct policy_state policy;
        enum policy_mark mark;        /* xattr, label or configuration */
        uint64_t limits_written_usec; /* when its owner last wrote a limit; 0: before we knew it */
        uint64_t high_written_bytes;  /* what cgmem last wrote to memory.high */
        uint64_t events_wait_until_usec; /* memory.events changes wait for a look until then */
        bool limits_unwatched; /* its owner may have written limits unseen: read at the next look */

        /* what a kill tells (kill-story.h) */
        struct recorder recorder;
        struct proc_memory *procs; /* the largest processes, when it may be killed soon */
        struct procs_snapshot procs_snapshot;
        uint64_t procs_usec; /* when they were read; 0: never */

        /* act */
        bool killed;
        bool emptied_after_kill;
        int kill_failed_errno;     /* the last kill's error while kills fail; 0: none */
        uint64_t kill_failed_usec; /* when a kill_failed was last reported */
        uint32_t actions[_ACTION_MAX][_REASON_MAX]; /* what cgmem did, for the metrics */

        /* the loop's */
        struct psi_trigger trigger;
        sd_event_source *recheck_source;
        struct put_off_look put_off;
};

static inline struct container *container_of(const struct cgroup *cg)
{
        return cg->is_container ? cg->ext : NULL;
}

/* A container's state for cg, attached as its ext (released by container_free). */
struct container *container_new(struct cgroup *cg, struct pipeline *p, uint64_t now_usec);
void container_free(struct cgroup *cg);

/* Who lives in c, for an event: its path, identity and what names knows (names may be NULL). */
struct event_who container_who(const struct container *c, struct names *names);
