/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every event of the stream, built here and nowhere else, from typed inputs,
 * as JSON objects the emitter puts its envelope on. deploy/events.schema.json
 * is the contract and deploy/EVENTS.md its documentation: keep them in step.
 */

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroupfs/kmsg.h"
#include "cgroupfs/procs.h"
#include "cgroupfs/sample.h"
#include "cri/container-meta.h"
#include "cri/identity.h"
#include "episode.h"
#include "policy/node-policy.h"
#include "policy/policy.h"
#include "recorder/recorder.h"

enum event_type {
        EVENT_STARTED,
        EVENT_STOPPING,
        EVENT_DROPPED,
        EVENT_CONTAINER_SEEN,
        EVENT_CONTAINER_IDENTITY,
        EVENT_CONTAINER_GONE,
        EVENT_PRESSURE,
        EVENT_MEMORY_EVENT,
        EVENT_OOM_KILL,
        EVENT_KERNEL_MEMORY,
        EVENT_EPISODE,
        EVENT_GUARD,
        EVENT_RELEASE,
        EVENT_YIELD,
        EVENT_ACTION_FAILED,
        EVENT_KILL,
        EVENT_KILL_FAILED,
        EVENT_DECISION,
        EVENT_ADOPTED,
        EVENT_NODE_PRESSURE,
        _EVENT_TYPE_MAX,
        _EVENT_TYPE_INVALID = -EINVAL,
};

enum event_type event_type_from_string(const char *s);
/* syslog priority in the journal: warning for kills and losses, notice for releases, info. */
int event_type_priority(enum event_type t);

/* What woke the agent: the signal an action event names. */
enum wake {
        WAKE_MEMORY_EVENTS, /* the kernel changed memory.events (inotify) */
        WAKE_PSI_TRIGGER,   /* the container's PSI trigger fired */
        WAKE_ROUND,         /* the backstop sample round */
        WAKE_DISCOVERY,     /* found just now */
        WAKE_NODE,          /* the node-pressure check */
        WAKE_LIMITS,        /* a limit file written, or a new limit settled */
        _WAKE_MAX,
        _WAKE_INVALID = -EINVAL,
};

/* Who an event is about: the cgroup, and who lives there as far as it is known. */
struct event_who {
        const char *cgroup; /* "/a/b" */
        const struct container_identity *identity;
        const struct container_meta *meta; /* from the runtime, or NULL */
};

struct event_features {
        bool psi, cgroup_kill, memory_peak, kmsg;
};

struct event_psi_trigger {
        bool full; /* the stall counted: full, else some */
        uint64_t threshold_usec, window_usec;
};

json_t *event_started(bool dry_run, const struct event_features *f, uint64_t interval_usec,
                      uint64_t rescan_usec, const struct event_psi_trigger *trigger);
json_t *event_stopping(const char *reason, uint64_t uptime_usec);
/* A sink lost the seqs first..last; the emitter sends it on that sink alone. */
json_t *event_dropped(const char *sink, uint64_t first_seq, uint64_t last_seq);
/* An event whose line would not fit: its type, and how long it would have been. */
json_t *event_truncated(json_t *type, size_t original_bytes);

json_t *event_container_seen(const struct event_who *who, const struct memcg_sample *s);
json_t *event_container_identity(const struct event_who *who);
json_t *event_container_gone(const struct event_who *who, uint64_t lifetime_usec,
                             const struct memcg_sample *s);

/*
 * trigger: the container's PSI trigger fired; NULL: the round saw it stall as long.
 * episode: the one it begins or belongs to (episode.h), 0: none.
 */
json_t *event_pressure(const struct event_who *who, const struct event_psi_trigger *trigger,
                       const struct memcg_sample *s, uint64_t episode);
json_t *event_memory_event(const struct event_who *who, const struct memcg_events *before,
                           const struct memcg_sample *s, uint64_t episode);
/* An open episode's summary (EPISODE_ONGOING) or its end (EPISODE_END), at now. */
json_t *event_episode(const struct event_who *who, const struct episode *e, enum episode_step step,
                      const struct memcg_sample *s, uint64_t now);
/* What a kill or an OOM tells beyond its numbers: its story, who held the memory, its file. */
struct event_story {
        const struct story *story;          /* the recorder's; NULL: none */
        const struct procs_snapshot *procs; /* the largest processes; NULL: none taken */
        uint64_t procs_age_usec;            /* how old the snapshot was at the kill */
        const char *record;                 /* the per-kill file (emit/records.h), or NULL */
};

/* The largest processes, at most max of them, for an event or a per-kill file. */
json_t *event_processes_json(const struct procs_snapshot *procs, uint64_t age_usec, size_t max);

/* The kernel OOM-killed in cgroup; victim NULL when the kernel log did not name one. */
json_t *event_oom_kill(const char *cgroup, uint64_t before, uint64_t after,
                       const struct memcg_events *events, const struct oom_victim *victim,
                       const struct event_story *st);

enum kernel_memory_reason {
        KERNEL_MEMORY_SNAPSHOT, /* cgmem run --once */
        KERNEL_MEMORY_CROSSED,  /* the share crossed the threshold, either way */
        KERNEL_MEMORY_CHANGED,  /* the share moved by kernel_memory_change since the last one */
};
json_t *event_kernel_memory(const struct event_who *who, enum kernel_memory_reason reason,
                            const struct memcg_sample *s, double threshold_pct, bool above);

/* The fields every action event starts with, and the numbers the decision rested on. */
struct event_action {
        enum policy_reason reason;
        enum wake signal;
        uint64_t latency_usec;
        const struct memcg_sample *sample;
        double rate_bytes_per_sec;
        int64_t eta_usec;
};

/* guard, release, or action_failed (err < 0, action the one tried). */
json_t *event_high_change(const struct event_who *who, const struct event_action *a,
                          enum policy_action action, uint64_t before, uint64_t after,
                          uint64_t original, int err);
json_t *event_yield(const struct event_who *who, uint64_t high, uint64_t max);
json_t *event_adopted(const struct event_who *who, uint64_t high, uint64_t original);
/* st: for a kill, what it would tell; NULL for other actions. */
json_t *event_decision(const struct event_who *who, const struct event_action *a,
                       enum policy_action action, bool dry_run, const struct event_story *st);
/* kill, or kill_failed (err < 0); details from event_kill_evidence or event_kill_ranking. */
json_t *event_kill(const struct event_who *who, const struct event_action *a, int err,
                   json_t *details, const struct event_story *st);

/* A per-container verdict's details: its figures and the policy's last samples. */
json_t *event_kill_evidence(const struct policy_state *s, const struct policy_evidence *e);

/* One candidate of the node ranking, with the cgroup it names. */
struct event_candidate {
        const char *cgroup;
        const struct victim_candidate *v;
};

/* A node_pressure kill's details: the rule, the node's figures, the candidates weighed. */
json_t *event_kill_ranking(enum node_rule rule, const struct node_evidence *e,
                           const struct event_candidate *c, unsigned n);
/* A node rule fired and nothing was killed: why, and who uses the memory. */
json_t *event_node_pressure(enum node_rule rule, const char *why, const struct node_evidence *e,
                            uint64_t outside_containers_bytes, const struct event_candidate *c,
                            unsigned n);
