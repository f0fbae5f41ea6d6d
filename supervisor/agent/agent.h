/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The node agent (cgmem run): one sd-event loop. What wakes it (inotify on the
 * cgroup directories, PSI triggers, /dev/kmsg, the backstop timers) enters the
 * pipeline (pipeline.h) for the container concerned; this struct is only the
 * loop's own state and what the pipeline is given.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cgroupfs/meminfo.h"
#include "config/config.h"
#include "emit/records.h"
#include "node.h"
#include "oom.h"
#include "pipeline.h"
#include "registry/registry.h"

struct emitter;
struct names;

struct agent_features {
        bool psi;         /* memory.pressure readable at the root: PSI is on */
        bool cgroup_kill; /* cgroup.kill is there (5.14+) */
        bool memory_peak; /* memory.peak is there (5.19+) */
        bool kmsg;        /* /dev/kmsg readable: OOM victims get named */
};

struct agent {
        const struct cgmem_config *config;
        sd_event *loop;
        struct emitter *emitter;
        struct names *names; /* container names from the runtimes; NULL with --once */
        int rootfd;
        struct registry registry;
        struct agent_features features;
        struct oom_log oom;
        struct node node;
        struct pipeline pipeline;
        struct policy_config policy;
        struct marks marks;
        struct kill_records records;
        int proc_fd; /* /proc, for the processes of a kill */
        uint64_t start_usec;
        char self_cgroup[4096]; /* the agent's own, "a/b": never touched */

        int inotify_fd;
        sd_event_source *inotify_source;
        bool inotify_exhausted; /* out of watches: the rescan timer is all there is */
        sd_event_source *sample_timer;
        sd_event_source *rescan_timer;
        unsigned n_triggers; /* PSI triggers armed */

        unsigned rounds;
        uint64_t last_round_usec;
        bool once;
};

/* Every descriptor closed (-1): what agent_stop may be given after any failure. */
void agent_init(struct agent *a);

/*
 * Opens what the agent works with, calls signals(userdata) before the first
 * event is emitted, walks the tree and applies the seccomp filter.
 */
int agent_start(struct agent *a, const struct cgmem_config *c, bool once, int (*signals)(void *),
                void *userdata);

/*
 * SIGHUP with a valid new configuration: *next replaces *current (which a uses),
 * the event sinks are set up anew if [events] changed, the runtimes' sockets if
 * [runtimes] did, and every PSI trigger is armed again if [psi] did.
 */
void agent_reload(struct agent *a, struct cgmem_config *current, struct cgmem_config *next);

int agent_loop(struct agent *a);

/* Gives every memory.high cgmem holds back to its owner (a clean stop). */
void agent_restore(struct agent *a);
void agent_stop(struct agent *a);

/* Starts inotify, adds the root and walks the tree. */
int discovery_start(struct agent *a);

/* Walks the tree: adds what is new (container_seen), drops what is gone (container_gone). */
int discovery_scan(struct agent *a);

/* cg went away: what it had left is told (container_gone), and it leaves the registry. */
void discovery_lost(struct agent *a, struct cgroup *cg);

/* names.h's callback: the runtime named a container; emits container_identity. */
void discovery_named(const char *id, const struct container_meta *meta, void *userdata);

/* One backstop round over every container, and the node. */
void agent_round(struct agent *a, uint64_t now_usec);

/* Arms or disarms the PSI trigger of a cgroup by policy (pressure.c). */
void psi_update_trigger(struct agent *a, struct cgroup *cg);
/* Its trigger goes with a cgroup that went away. */
void psi_disarm(struct agent *a, struct cgroup *cg);
