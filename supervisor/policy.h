/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The enforcement policy, pure: a container's sample, the state the policy kept
 * from its last call and the time go in; a decision and the next state come out.
 * No syscalls, no clock: the caller passes CLOCK_MONOTONIC microseconds.
 *
 * Without memory.high the kernel gives no signal between "fine" and the OOM kill
 * at memory.max (Documentation/admin-guide/cgroup-v2.rst, memory.high), so the
 * policy first places a guard band: memory.high a little below memory.max. A
 * runaway then shows as a stream of "high" events while the kernel throttles
 * it, which is when it is killed; a slow leak is throttled early and killed if it
 * keeps pushing; a workload stuck at memory.high is resolved.
 */

#include <stdbool.h>
#include <stdint.h>

enum policy_mark { MARK_NONE, MARK_PREFER, MARK_AVOID, MARK_PROTECT };

enum policy_action {
        ACTION_NONE,
        ACTION_GUARD,    /* set memory.high = decision.high_bytes (the guard band) */
        ACTION_THROTTLE, /* set memory.high = decision.high_bytes, below the guard band */
        ACTION_RELEASE,  /* set memory.high back to decision.high_bytes */
        ACTION_KILL,     /* kill the whole container */
};

enum policy_reason {
        REASON_NONE,
        REASON_GUARD_BAND,    /* a limit without a guard band */
        REASON_RUNAWAY,       /* at the guard band and growing fast */
        REASON_LEAK,          /* growing steadily toward memory.max */
        REASON_LEAK_PERSISTS, /* throttled, and still pushing */
        REASON_LEAK_STOPPED,  /* throttled, and no longer growing */
        REASON_STUCK_AT_HIGH, /* throttled by memory.high for long, not growing, stalling */
        REASON_NODE_PRESSURE, /* chosen by the node-pressure ranking */
};

struct policy_config {
        double guard_fraction; /* band = this share of memory.max, within the bounds: */
        uint64_t guard_min_bytes;
        uint64_t guard_max_bytes;
        uint64_t runaway_bytes_per_sec; /* at the guard band and faster than this: kill */
        double leak_floor_fraction;     /* throttle a leak only above this share of max */
        uint64_t leak_horizon_usec;     /* ... and when it would reach max within this */
        uint64_t leak_min_bytes_per_sec;
        uint64_t leak_sustain_usec;    /* ... growing without a pause at least this long */
        uint64_t leak_kill_after_usec; /* throttled and still pushing this long: kill */
        uint64_t release_after_usec;   /* throttled and quiet this long: release */
        uint64_t stuck_after_usec;     /* stuck at memory.high this long: resolve */
        uint32_t stuck_full_avg10;     /* PSI full avg10 (hundredths of %) that counts as stuck */
        bool stuck_kills;              /* stuck: kill (true) or release to let the kernel decide */
        uint64_t cooldown_usec;        /* no throttle or release this soon after another */
        uint64_t rate_window_usec;     /* time constant of the smoothed growth rate */
};

/* What the policy sees of a container at one moment. */
struct policy_input {
        uint64_t now_usec;
        uint64_t working_set_bytes;
        uint64_t max_bytes;  /* CG_VALUE_MAX: no limit, nothing to enforce */
        uint64_t high_bytes; /* memory.high as the kernel has it now */
        uint64_t high_events;
        uint32_t psi_full_avg10;
        enum policy_mark mark;
};

enum policy_phase { PHASE_NORMAL, PHASE_THROTTLED };

/* What the policy remembers of a container between calls. The caller zeroes it first. */
struct policy_state {
        bool seen;
        uint64_t last_usec;
        uint64_t last_working_set_bytes;
        double rate_bytes_per_sec;    /* smoothed */
        double instant_bytes_per_sec; /* over the last quarter second or more */
        uint64_t base_usec[2];        /* two older points the instant rate is taken from */
        uint64_t base_working_set_bytes[2];
        uint64_t growing_since_usec; /* 0: not growing at the last call */
        uint64_t last_high_events;
        uint64_t high_rising_since_usec; /* 0: high events not rising */
        uint64_t high_rose_usec;         /* when they last rose */
        enum policy_phase phase;
        uint64_t phase_since_usec;
        uint64_t original_high_bytes;     /* memory.high before cgmem touched it */
        uint64_t pre_throttle_high_bytes; /* memory.high a release goes back to */
        bool guarded;                     /* cgmem placed the guard band */
        uint64_t guard_high_bytes;
        uint64_t guard_max_bytes; /* the memory.max the band was computed for */
        uint64_t cooldown_until_usec;
};

struct policy_decision {
        enum policy_action action;
        enum policy_reason reason;
        uint64_t high_bytes; /* for GUARD, THROTTLE, RELEASE */
        double rate_bytes_per_sec;
        int64_t eta_usec; /* projected time to memory.max, -1 if not growing */
};

void policy_config_defaults(struct policy_config *c);

/* Decides for one container; *next gets the state to pass next time. */
void policy_evaluate(const struct policy_config *c, const struct policy_state *prev,
                     const struct policy_input *in, struct policy_state *next,
                     struct policy_decision *ret);

/* The guard-band memory.high for a memory.max. */
uint64_t policy_guard_high(const struct policy_config *c, uint64_t max_bytes);

const char *policy_action_to_string(enum policy_action a);
const char *policy_reason_to_string(enum policy_reason r);

/* One container as the node-pressure ranking sees it. */
struct victim_candidate {
        const void *id; /* the caller's handle */
        uint64_t working_set_bytes;
        uint64_t protected_bytes; /* max(memory.min, memory.low): what it was promised */
        double rate_bytes_per_sec;
        enum policy_mark mark;
        double score; /* filled by policy_rank_victims */
};

/*
 * Orders candidates best victim first, like systemd-oomd but with the reasons
 * kept: prefer-marked before unmarked before avoid-marked (protect-marked are
 * never candidates: they are moved to the end and *ret_eligible excludes them);
 * within a tier by score = working set above protection + 10 s of growth.
 */
void policy_rank_victims(struct victim_candidate *c, unsigned n, unsigned *ret_eligible);
