/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Node-wide memory pressure, pure: the node's memory (or a slice's budget), the
 * state kept from the last call and the time go in; which rule fires, if any,
 * and when to look again come out. Like policy.h: no syscalls, no clock.
 *
 * The kernel's global OOM killer fires late: in the test VM the node was frozen
 * for tens of seconds first, while PSI full of the root rose only to about 30 %
 * and a rule of systemd-oomd's kind (60 % for 30 s) never fired. The rules here
 * see the end coming from the node's headroom, what the kernel says can still
 * be had (MemAvailable, plus free swap that does not itself live in RAM):
 *
 *  - floor: the headroom down to a quarter of mem_floor of the node for
 *    NODE_FLOOR_HOLD_USEC, and still falling (or gone): the kernel is about to
 *    reclaim the node's own code and freeze. A fill that stops just below the
 *    floor is a lean node, not a dying one: the kernel lets it live, so must we;
 *    the hold lets a fill that is about to stop stop, and the floor's victim
 *    must still be growing (node_rank_victims): when nobody grows, the node is
 *    lean, not eaten.
 *  - trajectory: the headroom falling without a pause for at least sustain,
 *    and at that pace gone within horizon, with proof that the node already
 *    pays (its own reclaim running, and PSI full or refaults); or a leak
 *    (the lowest headroom of each of the last three 10 s lower than the one
 *    before, on a node under 30 % free) that would exhaust the node within
 *    horizon: acted on before the floor so the node never freezes. A fill
 *    that stops short of the end is not touched (bench-node d: the batch job
 *    that leaves 8 % of what was free).
 *  - swap: free swap below swap_floor while memory is short too: the node
 *    thrashes instead of OOMing (systemd-oomd's ManagedOOMSwap).
 *  - pressure: PSI full of the root or the slice above pressure_full for
 *    pressure_duration (systemd-oomd's ManagedOOMMemoryPressure), kept for
 *    slices and operators who configured it.
 * PSI and refaults are reported with every verdict as its confirmation.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

enum node_rule {
        NODE_RULE_NONE,
        NODE_RULE_FLOOR,
        NODE_RULE_TRAJECTORY,
        NODE_RULE_SWAP,
        NODE_RULE_PRESSURE,
        _NODE_RULE_MAX,
};

struct node_config {
        double mem_floor_fraction;        /* floor: headroom below this share of memory */
        double swap_floor_fraction;       /* swap: free swap below this share of swap ... */
        double swap_mem_fraction;         /* ... and MemAvailable below this share of memory */
        uint64_t sustain_usec;            /* trajectory: falling without a pause this long ... */
        uint64_t horizon_usec;            /* ... and gone within this at its pace */
        uint64_t pause_usec;              /* a rise of the headroom this long ends a fall */
        uint32_t pressure_full_permyriad; /* pressure: PSI full avg10, 1/10000 ... */
        uint64_t pressure_duration_usec;  /* ... above it this long */
        uint64_t hold_usec;               /* after an action, what it freed needs this to show */
        double fast_fraction; /* headroom below this share: sampled every fast_interval */
        uint64_t fast_interval_usec;
};

/* The node (or a slice with a budget of its own) at one moment. */
struct node_input {
        uint64_t now_usec;
        uint64_t mem_total_bytes;     /* MemTotal, or the slice's memory.max */
        uint64_t mem_available_bytes; /* MemAvailable, or the slice's budget left */
        uint64_t swap_total_bytes;    /* swap that frees memory (zram and zswap do not count) */
        uint64_t swap_free_bytes;
        uint32_t psi_full_avg10; /* hundredths of a percent */
        uint64_t psi_full_total_usec;
        uint64_t refaults;
        /* Pages the node's own reclaim scanned (pgscan_kswapd + pgscan_direct), not a
         * cgroup's at its limit; reclaim_untold: a slice, whose own cannot be told apart. */
        uint64_t reclaim_scans;
        bool reclaim_untold;
};

/* The node's fall is taken over this span (and a container's share of it). */
#define NODE_FALL_SPAN_USEC UINT64_C(5000000)
/*
 * The floor acts once the headroom stayed at it this long: a few fast looks, so
 * one sample does not decide. Longer holds were measured and lost the race: the
 * kernel suite's 48 MiB/s grower, on a node with 45 MiB of page cache, was
 * OOM-killed by the kernel 1.3-2 s after the headroom reached a quarter of the
 * floor (held 2 s: 0 of 1 pre-empted; 1 s: 3 of 4). What tells a job that
 * stops from a runaway is the growth of the victim (NODE_GROWING_BYTES_PER_SEC).
 */
#define NODE_FLOOR_HOLD_USEC UINT64_C(250000)
/*
 * For this long after an action, the floor acts without even that hold. The
 * fall it acted on is known not to be a fill about to stop, and the growers left
 * go on (bench-node c: four growers at 8 MiB/s took back what the first kill
 * freed within 2 s, and the kernel's global OOM came 3.7 s after that kill).
 */
#define NODE_EATEN_USEC UINT64_C(30000000)
/*
 * At the floor a victim grows at least this fast over its last 2 s or 5 s: the floor's
 * fall is someone's growth, and a node at its floor where nobody grows is lean
 * (bench-node d's job holding). bench-node c's five growers, throttled by
 * reclaim at the floor, still crept at 0.3-0.8 MiB/s.
 */
#define NODE_GROWING_BYTES_PER_SEC (256.0 * 1024)

struct node_point {
        uint64_t usec;
        uint64_t headroom_bytes;
        uint64_t psi_full_total_usec;
        uint64_t refaults;
        uint64_t reclaim_scans;
};

#define NODE_HISTORY 40

struct node_state {
        bool seen;
        uint64_t fall_start_usec; /* 0: not falling */
        uint64_t fall_start_bytes;
        uint64_t low_bytes; /* the lowest headroom of the fall */
        uint64_t low_usec;  /* when it was reached */
        double fall_bytes_per_sec;
        uint64_t floor_since_usec; /* 0: above a quarter of the floor */
        uint64_t acted_usec;       /* the last action: the floor skips its hold for NODE_EATEN_USEC,
                                      and a leak is judged on what came after */
        uint64_t pressure_since_usec; /* 0: below pressure_full */
        uint64_t hold_until_usec;
        struct node_point history[NODE_HISTORY]; /* a ring, a point a second at most */
        struct ring ring;
};

/* What a verdict rested on, for its event. */
struct node_evidence {
        uint64_t headroom_bytes;
        uint64_t floor_bytes;
        uint64_t mem_available_bytes;
        uint64_t swap_free_bytes;
        double fall_bytes_per_sec; /* of the headroom, positive while it falls */
        uint64_t falling_usec;     /* for how long, without a pause */
        int64_t eta_usec;          /* until the headroom is at the floor; -1: not falling */
        uint32_t psi_full_avg10;
        uint32_t psi_full_permyriad; /* share of the last seconds fully stalled */
        uint64_t refaults;           /* rise over them */
        int64_t reclaim_scans;       /* the node's own reclaim over them; -1: untold */
};

struct node_decision {
        enum node_rule rule;
        uint64_t next_check_usec; /* when to look again: soon while headroom is short */
        struct node_evidence evidence;
};

void node_config_defaults(struct node_config *c);

void node_evaluate(const struct node_config *c, const struct node_state *prev,
                   const struct node_input *in, struct node_state *next, struct node_decision *ret);

/* An action was taken: the rules hold off until its effect shows. */
void node_acted(const struct node_config *c, struct node_state *s, uint64_t now_usec);

const char *node_rule_to_string(enum node_rule r);

/* One container as the node ranking sees it. */
enum victim_tier_qos {
        QOS_TIER_BESTEFFORT,    /* kubelet evicts these first */
        QOS_TIER_ABOVE_REQUEST, /* Burstable above its request, and containers outside pods */
        QOS_TIER_WITHIN,        /* Burstable within its request */
        QOS_TIER_GUARANTEED,
};

struct victim_candidate {
        const void *id; /* the caller's handle */
        uint64_t footprint_bytes;
        uint64_t protected_bytes; /* max(memory.min, memory.low): what it was promised */
        uint64_t swap_bytes;
        double rate_bytes_per_sec;      /* over the last 2 s: the ranking's */
        double fall_rate_bytes_per_sec; /* over the span the node's fall is taken on */
        uint64_t room_bytes;            /* memory.max - memory.current; UINT64_MAX: no limit */
        enum policy_mark mark;
        enum victim_tier_qos qos;
        double score;  /* filled by node_rank_victims */
        bool eligible; /* likewise: may be killed under this rule */
};

/*
 * Orders candidates best victim first, with the reasons kept: the eligible
 * first (*ret_eligible of them: protect-marked never are, and at the floor only
 * those still growing, NODE_GROWING_BYTES_PER_SEC); then prefer-marked before
 * unmarked before avoid-marked; then by QoS class as kubelet evicts; then by
 * score. The score is what killing it would give back soon:
 * its footprint above its protection plus its growth over horizon (a grower
 * before a steady container, whatever the rule), or its swap (swap).
 */
void node_rank_victims(const struct node_config *c, enum node_rule rule, struct victim_candidate *v,
                       unsigned n, unsigned *ret_eligible);

const char *victim_qos_to_string(enum victim_tier_qos q);
