/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one way through the agent. Every wake-up of a container (its memory.events
 * changed, a limit was written, its PSI trigger fired, the backstop round, its
 * discovery, the node-pressure ranking chose it) goes through pipeline_run:
 *
 *   observe  sample the files this wake-up needs
 *   report   what the kernel's counters say since last time (events)
 *   decide   the pure policy (policy/policy.h)
 *   act      look again, then write memory.high or kill, through the actuator
 *   emit     the action's event, built after the action
 *
 * Each step takes the container and what this struct gives it, not the agent:
 * a test drives the same code on a fixture directory with its own clock and an
 * actuator that records instead of writing (tests/unit/test-pipeline.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include "actuator.h"
#include "config/config.h"
#include "container.h"
#include "emit/events.h"
#include "marks.h"
#include "policy/policy.h"
#include "registry/registry.h"

struct emitter;
struct kill_records;
struct names;
struct oom_log;

/* The files read every round, and the ones re-read only when inotify says they were written. */
#define HOT_FILES                                                                                  \
        (MEMCG_FILE_BIT(MEMCG_FILE_CURRENT) | MEMCG_FILE_BIT(MEMCG_FILE_STAT) |                    \
         MEMCG_FILE_BIT(MEMCG_FILE_EVENTS) | MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE))
#define LIMIT_FILES                                                                                \
        (MEMCG_FILE_BIT(MEMCG_FILE_MIN) | MEMCG_FILE_BIT(MEMCG_FILE_LOW) |                         \
         MEMCG_FILE_BIT(MEMCG_FILE_HIGH) | MEMCG_FILE_BIT(MEMCG_FILE_MAX) |                        \
         MEMCG_FILE_BIT(MEMCG_FILE_SWAP_MAX))

struct pipeline {
        const struct cgmem_config *config;
        const struct policy_config *policy;
        const struct marks *marks;
        const struct actuator *actuator;
        struct registry *registry; /* samples through its buffer and out-of-fds fallback */
        struct emitter *emitter;
        struct names *names;          /* names for events and labels for marks; NULL: none */
        struct oom_log *oom;          /* the kernel's victims; NULL: not named */
        struct kill_records *records; /* the per-kill files; NULL: none */
        int proc_fd;                  /* /proc, for the processes of a kill; -1: none */
        uint64_t (*now)(void);
        uint64_t (*realtime_now)(void); /* CLOCK_REALTIME, for names of per-kill files */
        /* The policy wants c judged again at at_usec (a limit settling): the loop's timer. */
        void (*recheck)(void *userdata, struct container *c, uint64_t at_usec);
        void *recheck_userdata;
        unsigned hot_files;       /* HOT_FILES, and memory.swap.current where the node has swap */
        uint64_t swap_free_bytes; /* the node's, for the swap a container may still use */
        uint64_t round_elapsed_usec;        /* since the round before this one */
        uint64_t episodes;                  /* numbers the episodes (emit/episode.h) */
        uint64_t epoch_usec;                /* the recorders' (recorder/recorder.h) */
        uint64_t procs_round_deadline_usec; /* reading processes this round stops here */
        bool node_short;                    /* the node is short of memory: growers may be killed */
        bool once;                          /* cgmem run --once: look, never act */
        bool xattr_warned;                  /* said once that the band's xattrs cannot be kept */
};

/* A kill the node-pressure ranking asks for, with its own details. */
struct kill_order {
        enum policy_reason reason;
        enum wake signal;
        uint64_t signal_usec;
        const struct policy_decision *decision; /* the verdict and its evidence, or NULL */
        double rate_bytes_per_sec;           /* without a decision: the growth it was ranked by */
        json_t *(*details)(const void *ctx); /* built after the kill, or NULL */
        const void *details_ctx;
};

/*
 * One wake-up of c, signal_usec being when it came. WAKE_DISCOVERY is the first
 * look at a container just found (every file, container_seen, a band left by an
 * earlier agent taken over); WAKE_LIMITS re-reads the limit files, and the
 * owner's writes start the time they are left to settle. Returns what sampling
 * returned: -ENOENT/-ENODEV when the cgroup went away.
 */
int pipeline_run(struct pipeline *p, struct container *c, enum wake why, uint64_t signal_usec);

/* act and emit for a kill decided elsewhere (node pressure). */
void pipeline_kill(struct pipeline *p, struct container *c, const struct kill_order *k);

/* On a clean exit: every memory.high cgmem holds goes back to its owner. */
void pipeline_restore(struct pipeline *p, struct container *c);
