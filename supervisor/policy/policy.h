/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The enforcement policy, pure: a container's sample, the state the policy kept
 * from its last call and the time go in; a decision and the next state come out.
 * No syscalls, no clock: the caller passes CLOCK_MONOTONIC microseconds.
 *
 * The verdict it gives is the kernel's own, reached earlier: cgmem kills a
 * container only when the kernel would OOM-kill it (or would leave it stuck or
 * thrashing for good), never because it grows fast or sits near its limit.
 *
 *  - What it counts is the footprint the kernel cannot reclaim: anon, shmem and
 *    the kernel memory slab cannot give back, plus what is already in swap.
 *    Page cache is never counted: the kernel drops it before it OOM-kills.
 *  - The guard band: memory.high a little below memory.max (where nobody else
 *    set one), so that the kernel throttles a workload in the last few percent
 *    before the limit (mm/memcontrol.c, calculate_high_delay: the sleep grows
 *    with the square of the overage). A runaway crawls through the band and
 *    keeps the kernel counting "high" events; a workload that stops inside it is
 *    not delayed at all once it stopped.
 *  - The kill: what reclaim cannot take (the footprint, the code its tasks run
 *    from, charges memory.stat does not show yet) within limit_margin of
 *    memory.max (plus the swap it may still use) and still growing while the
 *    kernel holds it back. That is a container the kernel would OOM-kill within
 *    the next megabyte.
 *  - A band that only holds back page cache is given back; it comes back when
 *    the footprint climbs toward it again.
 *  - A band that pins a workload (stalling, not growing) rises to two margins
 *    under memory.max, where one still pinned is stuck. A band a workload
 *    settled above (no charge batch of growth over stuck_after, stalled less
 *    than stuck_psi_full of it) rises there too, or a margin above what it
 *    holds in memory when that is higher, up to a charge batch under the kill
 *    line: a workload living at 97-99 % is not throttled for good. A workload
 *    that reached the guard line and came back a band below it by itself (not
 *    by the kernel's OOM kill) frees what it takes (a collector's sawtooth):
 *    its band goes to the top too, and stays there.
 *  - Someone else's memory.high is theirs: no band where one is set, none while
 *    limits are still being written (runtimes write memory.max, then
 *    memory.high), and the band is given up as soon as its owner writes one.
 *  - Stuck at an owner's memory.high, or thrashing at memory.max, provably (the
 *    kernel's counters rising, PSI full high, no progress, for stall_after):
 *    resolved by stuck_kill.
 */

#include <stdbool.h>
#include <stdint.h>

#include "growth.h"
#include "ring.h"

enum policy_mark { MARK_NONE, MARK_PREFER, MARK_AVOID, MARK_PROTECT, _MARK_MAX };

enum policy_action {
        ACTION_NONE,
        ACTION_GUARD,   /* set memory.high = decision.high_bytes (the guard band) */
        ACTION_RELEASE, /* set memory.high back to decision.high_bytes, its owner's value */
        ACTION_YIELD,   /* the owner wrote memory.high: the band is theirs now, write nothing */
        ACTION_KILL,    /* kill the whole container */
        _ACTION_MAX,
};

enum policy_reason {
        REASON_NONE,
        REASON_GUARD_BAND,   /* a limit without a memory.high below it */
        REASON_BAND_PINNED,  /* the band raised to its top: it pinned the workload, stalling */
        REASON_BAND_SETTLED, /* the band raised to its top: the workload settled above it */
        REASON_BAND_RECEDED, /* the band raised to its top: the workload came back down by itself */
        REASON_PAGE_CACHE,   /* release: the band held back only page cache */
        REASON_LIMIT_REMOVED, /* release: no memory.max any more, or marked protect */
        REASON_OWNER_HIGH,    /* yield: the owner wrote memory.high */
        REASON_RUNAWAY,       /* at its limit and still allocating: the kernel would OOM-kill */
        REASON_STUCK_AT_HIGH, /* pinned at an owner's memory.high, stalling, not growing */
        REASON_THRASHING,     /* at memory.max, reclaiming its own pages, stalling */
        REASON_NODE_PRESSURE, /* chosen by the node-pressure ranking */
        _REASON_MAX,
};

struct policy_config {
        double guard_fraction; /* band = this share of memory.max, within the bounds: */
        uint64_t guard_min_bytes;
        uint64_t guard_max_bytes;
        double limit_margin_fraction; /* kill this close to the limit ... */
        uint64_t limit_margin_min_bytes;
        uint64_t push_window_usec;     /* ... when it grew this recently ... */
        uint64_t push_step_bytes;      /* ... by at least this (one kernel charge batch) */
        uint64_t settle_usec;          /* a limit written this recently is left to its owner */
        bool release_page_cache;       /* give back a band that holds only page cache */
        uint64_t stall_after_usec;     /* stuck or thrashing this long, provably: resolve */
        uint32_t stall_full_permyriad; /* PSI full over stall_after, in 1/10000, that stalls */
        bool stuck_kills;              /* stuck or thrashing: kill (true), or give back the high */
        uint64_t rate_window_usec;     /* time constant of the smoothed growth rate */
};

/* What the policy sees of a container at one moment. */
struct policy_input {
        uint64_t now_usec;
        uint64_t current_bytes;
        uint64_t unreclaimable_bytes; /* anon + shmem + kernel memory slab cannot give back */
        uint64_t mapped_bytes;        /* file pages mapped by its tasks, not shmem: code, mostly */
        uint64_t reclaimable_bytes;   /* page cache (file less shmem) and reclaimable slab */
        uint64_t slab_reclaimable_bytes; /* of it, the slab: dentries, inodes, files' indexes */
        uint64_t swap_bytes;             /* memory.swap.current */
        uint64_t swap_limit_bytes;       /* what it may have in swap: swap.max within the node's */
        uint64_t max_bytes;              /* CG_VALUE_MAX: no limit, nothing to enforce */
        uint64_t high_bytes;             /* memory.high as the kernel has it now */
        uint64_t high_events;
        uint64_t max_events;
        uint64_t oom_kills; /* memory.events oom_kill */
        uint64_t psi_full_total_usec;
        uint64_t refaults;            /* workingset_refault_anon + workingset_refault_file */
        uint64_t limits_written_usec; /* when its owner last wrote a limit; 0: long ago */
        enum policy_mark mark;
};

/* One sample the policy kept: what a kill event shows as the evidence it rested on. */
struct policy_point {
        uint64_t usec;
        uint64_t footprint_bytes; /* unreclaimable + swap */
        uint64_t current_bytes;
        uint64_t high_events;
        uint64_t max_events;
        uint64_t psi_full_total_usec;
        uint64_t refaults;
};

/* Points at least POLICY_POINT_SPACING_USEC apart: the last few seconds at the kernel's pace. */
#define POLICY_HISTORY            32
#define POLICY_POINT_SPACING_USEC UINT64_C(100000)

/* What the policy remembers of a container between calls. The caller zeroes it first. */
struct policy_state {
        bool seen;
        /* memory.high: cgmem owns it while its band is on, else its owner does. */
        bool owns_high;
        uint64_t owner_high_bytes; /* what its owner last wrote: given back on release and exit */
        uint64_t band_high_bytes;  /* what cgmem wrote */
        uint64_t band_max_bytes;   /* the memory.max the band was placed for */
        bool released_for_cache;   /* given back because it held only page cache */
        uint64_t guard_failed_max_bytes; /* the kernel refused a band for this memory.max */
        uint64_t guard_retry_usec;       /* ... and it is not decided again before this */
        uint64_t guard_retry_step_usec;  /* the back-off that led there */
        bool stall_resolved; /* stuck_kills off: memory.high given back, the kernel decides */

        /* Growth: the footprint's rise in charge-batch steps, and its smoothed rate. */
        uint64_t step_base_bytes;
        uint64_t rose_usec;        /* when the footprint last rose a whole step */
        bool met_guard_line;       /* the footprint reached the guard line ... */
        bool receded;              /* ... and came back a band below it by itself */
        uint64_t recede_max_bytes; /* the memory.max the two were measured against */
        uint64_t last_oom_kills;   /* memory.events oom_kill as last seen */
        bool oom_fall_pending;     /* the kernel OOM-killed in it: the fall that follows is its */
        struct growth growth;

        /* The kernel holding it back: when high and max events last rose, and since when. */
        uint64_t last_high_events, last_max_events;
        uint64_t high_rose_usec, max_rose_usec;
        uint64_t high_rising_since_usec, max_rising_since_usec; /* 0: not rising */

        struct policy_point history[POLICY_HISTORY]; /* ring.h */
        struct ring ring;
};

/* The numbers a decision rested on, for its event. */
struct policy_evidence {
        uint64_t footprint_bytes;
        uint64_t held_bytes;     /* what reclaim cannot take: what the limit is judged on */
        uint64_t capacity_bytes; /* memory.max + the swap it may use */
        uint64_t margin_bytes;
        uint64_t window_usec;        /* the span the figures below cover */
        uint64_t grown_bytes;        /* footprint growth over it */
        uint64_t high_events;        /* rise over it */
        uint64_t max_events;         /* rise over it */
        uint64_t refaults;           /* rise over it */
        uint32_t psi_full_permyriad; /* share of it stalled, 1/10000 */
};

struct policy_decision {
        enum policy_action action;
        enum policy_reason reason;
        uint64_t high_bytes;        /* GUARD, RELEASE: the value to write */
        uint64_t expect_high_bytes; /* GUARD, RELEASE: write only if memory.high still is this */
        uint64_t recheck_usec;      /* nonzero: call again at this time (a limit settling) */
        uint64_t events_wait_usec;  /* a change of memory.events alone may wait this long */
        double rate_bytes_per_sec;
        int64_t eta_usec; /* projected time to the limit, -1 if not growing */
        struct policy_evidence evidence;
};

void policy_config_defaults(struct policy_config *c);

/* Decides for one container; *next gets the state to pass next time. */
void policy_evaluate(const struct policy_config *c, const struct policy_state *prev,
                     const struct policy_input *in, struct policy_state *next,
                     struct policy_decision *ret);

/* The guard-band memory.high for a memory.max. */
uint64_t policy_guard_high(const struct policy_config *c, uint64_t max_bytes);

/* How close to its limit a footprint must come to count as at the limit. */
uint64_t policy_limit_margin(const struct policy_config *c, uint64_t max_bytes);

/* The state a restarted agent takes over: cgmem's band (band_high) is on, owner_high below. */
void policy_adopt_band(struct policy_state *s, uint64_t owner_high, uint64_t band_high,
                       uint64_t max_bytes);

/*
 * The band could not be written at now_usec (a read-only cgroupfs, a
 * permission refused): decided again for the same memory.max only after a
 * back-off, 1 s doubling up to 5 min, since the refusal may pass.
 */
void policy_guard_failed(struct policy_state *s, uint64_t now_usec);

/* The band was decided and deliberately not written (a dry run): not decided again for the
 * same memory.max. */
void policy_guard_not_written(struct policy_state *s);

/*
 * The footprint's growth per second over about the last span (from the newest
 * history point at least span old, or the oldest there is): what it does now,
 * where rate_bytes_per_sec is smoothed over rate_window.
 */
double policy_growth_over(const struct policy_state *s, uint64_t span_usec);

/* The history point n steps back (0: newest), or NULL. */
const struct policy_point *policy_history_at(const struct policy_state *s, unsigned n);

const char *policy_action_to_string(enum policy_action a);
const char *policy_reason_to_string(enum policy_reason r);
const char *policy_mark_to_string(enum policy_mark m);
enum policy_mark policy_mark_from_string(const char *s);
