/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The watch table: one entry per memory cgroup the agent knows, found by path
 * (discovery) or by inotify watch descriptor (kernel notifications). Every
 * memory cgroup is watched for children coming and going; containers are also
 * sampled, may carry a PSI trigger, and get events.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cgroupfs/sample.h"
#include "cri/identity.h"
#include "policy/policy.h"

struct agent;

/* high_written_bytes before cgmem wrote any: no value memory.high can hold ("max" is UINT64_MAX).
 */
#define HIGH_WRITTEN_NONE (UINT64_MAX - 1)

struct watch {
        struct watch *prev, *next; /* the table's list, in discovery order */
        struct agent *agent;
        char *path; /* relative to the root, "" for the root itself */
        int dirfd;
        int wd;                /* inotify watch descriptor, -1 if none */
        bool delegates_memory; /* memory in cgroup.subtree_control */
        bool is_container;
        struct container_identity identity; /* from the path alone */
        struct memcg_reader reader;
        struct memcg_sample sample; /* the latest successful sample */
        bool sampled;
        uint64_t seen_usec;
        unsigned generation; /* the discovery scan that last saw it */

        /* PSI trigger on memory.pressure, armed by policy (see psi_should_arm()). */
        int psi_fd;
        sd_event_source *psi_source;

        uint64_t psi_some_total_usec; /* at the last round, for sampled pressure */

        /* Enforcement: what the policy remembers, and the operator's mark. */
        struct policy_state policy;
        uint64_t limits_written_usec; /* when its owner last wrote a limit; 0: before we knew it */
        uint64_t high_written_bytes;  /* what cgmem last wrote to memory.high */
        sd_event_source *recheck_source; /* the policy asked to look again (a limit settling) */
        enum policy_mark mark;           /* xattr user.cgmem.policy, or protect by configuration */
        bool killed;
        bool emptied_after_kill;

        /* memory_event coalescing and kernel_memory cadence. */
        struct memcg_events reported_events;
        uint64_t memory_event_usec;
        uint64_t kernel_memory_usec;
        bool kernel_share_above;
};

struct watch_table {
        struct watch *head, *tail;
        struct hashmap *by_path;
        struct hashmap *by_wd;
        struct hashmap *by_id; /* container id → its watch, to name it when the runtime answers */
        unsigned n_containers;
        unsigned n_triggers;
        struct read_buf buf; /* one read buffer for every watch's reader */
};

int watch_table_init(struct watch_table *t);
void watch_table_done(struct watch_table *t);

/* Takes dirfd. Returns the new watch or NULL with errno set (EEXIST if known). */
struct watch *watch_table_add(struct watch_table *t, const char *path, int dirfd);
void watch_table_remove(struct watch_table *t, struct watch *w);

struct watch *watch_table_by_path(const struct watch_table *t, const char *path);
struct watch *watch_table_by_wd(const struct watch_table *t, int wd);
struct watch *watch_table_by_id(const struct watch_table *t, const char *id);
/* Finds w by its identity's container id from now on (the first watch of an id wins). */
int watch_table_index_id(struct watch_table *t, struct watch *w);
int watch_table_set_wd(struct watch_table *t, struct watch *w, int wd);

/* "/" + path, as events and tables show a cgroup. */
const char *watch_display_path(const struct watch *w, char *buf, size_t size);
