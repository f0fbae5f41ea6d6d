/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The node agent (cgmem run): one sd-event loop that learns about cgroups from
 * inotify, about memory events from inotify on memory.events, about pressure from
 * PSI triggers, and samples every container on a slow backstop timer.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cgroupfs/meminfo.h"
#include "config/config.h"
#include "cri/container-meta.h"
#include "oom.h"
#include "policy/node-policy.h"
#include "policy/policy.h"
#include "registry/classify.h"
#include "registry/watch.h"

struct emitter;
struct names;

/* The files read every round, and the ones re-read only when inotify says they were written. */
#define HOT_FILES                                                                                  \
        (MEMCG_FILE_BIT(MEMCG_FILE_CURRENT) | MEMCG_FILE_BIT(MEMCG_FILE_STAT) |                    \
         MEMCG_FILE_BIT(MEMCG_FILE_EVENTS) | MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE))
#define LIMIT_FILES                                                                                \
        (MEMCG_FILE_BIT(MEMCG_FILE_MIN) | MEMCG_FILE_BIT(MEMCG_FILE_LOW) |                         \
         MEMCG_FILE_BIT(MEMCG_FILE_HIGH) | MEMCG_FILE_BIT(MEMCG_FILE_MAX) |                        \
         MEMCG_FILE_BIT(MEMCG_FILE_SWAP_MAX))

struct agent_features {
        bool psi;         /* memory.pressure readable at the root: PSI is on */
        bool cgroup_kill; /* 5.14+ */
        bool memory_peak; /* 5.19+ */
        bool kmsg;        /* /dev/kmsg readable: OOM victims get named */
};

struct agent {
        const struct cgmem_config *config;
        struct classify_rules rules;
        sd_event *loop;
        struct emitter *emitter;
        struct names *names; /* container names from the runtimes; NULL with --once */
        int rootfd;
        struct watch_table watches;
        struct agent_features features;
        struct oom_log oom;
        uint64_t start_usec;

        int inotify_fd;
        sd_event_source *inotify_source;
        bool inotify_exhausted; /* out of watches: the rescan timer is all there is */
        sd_event_source *sample_timer;
        sd_event_source *rescan_timer;

        struct policy_config policy;
        unsigned hot_files;     /* HOT_FILES, and memory.swap.current where the node has swap */
        bool xattr_warned;      /* said once that the band's xattrs cannot be kept */
        char self_cgroup[4096]; /* the agent's own cgroup, never killed */
        struct {
                int fd; /* /proc/meminfo, -1 if it could not be opened */
                struct read_buf buf;
                struct meminfo info;
                bool valid;
                int swaps_fd;       /* /proc/swaps */
                bool swap_in_ram;   /* every swap device is zram: its free space frees no RAM */
                uint64_t swaps_for; /* the SwapTotal swap_in_ram was read for */
        } node_memory;
        struct {
                struct node_config config;
                struct node_state state;
                sd_event_source *fast_timer; /* while the node is short of memory */
                int vmstat_fd;               /* /proc/vmstat: the node's refaults */
                struct read_buf vmstat_buf;
                struct victim_candidate *candidates; /* room for every container */
                unsigned candidates_cap;
                uint64_t reported_usec; /* the last node_pressure report */
        } node;

        unsigned generation; /* of the current discovery scan */
        unsigned rounds;
        uint64_t last_round_usec;
        bool once;
};

/* Walks the tree and adds a watch for every memory cgroup not yet known. */
int discovery_scan(struct agent *a);

/* Sets up inotify and its event source. */
int discovery_start(struct agent *a);

/* Adds the watch for path (relative to the root); emits container_seen. */
struct watch *discovery_add(struct agent *a, int dirfd, const char *path, bool delegates_memory);

/* names.h's callback: the runtime named a container; emits container_identity. */
void discovery_named(const char *id, const struct container_meta *meta, void *userdata);

/* Drops a watch whose cgroup went away; emits container_gone. */
void discovery_gone(struct agent *a, struct watch *w);

/* One backstop sample of every container. */
void sampling_round(struct agent *a, uint64_t now_usec);

/* A container's memory.events changed (inotify): compare and report at once. */
void sampling_events_changed(struct agent *a, struct watch *w, uint64_t now_usec);

/* A container's memory limits were written: re-read them. */
void sampling_limits_changed(struct agent *a, struct watch *w);

/* Arms or disarms the PSI trigger of w by policy. */
void psi_update_trigger(struct agent *a, struct watch *w);
