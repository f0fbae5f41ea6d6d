/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "node-policy.h"

#include <math.h>
#include <stdlib.h>

#include "base/time-util.h"

#define MiB (UINT64_C(1) << 20)
/* History points are kept this far apart; the pace of a fall is taken over RATE_SPAN. */
#define POINT_SPACING_USEC UINT64_C(1000000)
#define RATE_SPAN_USEC     NODE_FALL_SPAN_USEC
/* The confirmation figures (reclaim, PSI, refaults) cover about this much. */
#define CONFIRM_SPAN_USEC UINT64_C(3000000)
/* MemAvailable moves by a few MiB on its own: a new low must be this much lower. */
#define NOISE_BYTES (1 * MiB)
/*
 * Below the floor, the headroom must go on falling down to a quarter of it: a
 * fill that stops below the floor is a lean node the kernel lets live
 * (bench-node d: a batch job unpaced to 92 % of what was free went on falling
 * for more than a second below the floor in the VM, and stopped at 1.6 %).
 */
#define EXHAUSTED_FLOOR_SHARE 4
#define FLOOR_FALLING_USEC    UINT64_C(1000000)
/*
 * A trajectory is acted on before the floor only when the node shows it is
 * already paying (a tenth of the last seconds fully stalled, or its working
 * set read back at a MiB/s), or when the fall has lasted half a minute: a
 * leak; and only while the floor is at least sustain away: closer, the floor
 * decides (the same job stalled 1.2 % of its last 3 s at the floor). A fill that stops short of the
 * end looks the same as a runaway until it stops (bench-node d, a batch job unpaced to 92 % of what
 * was free, took 8 s in the VM and was killed at 4 s on its trajectory alone); without those signs
 * the floor decides, at the end, where the two differ.
 */
#define CONFIRM_PSI_FULL_PERMYRIAD 1000
#define CONFIRM_REFAULTS           (CONFIRM_SPAN_USEC / USEC_PER_SEC * 256)
/*
 * The stalls and refaults must be the node's: its own reclaim must have run
 * over the same seconds (a MiB a second scanned). The root's PSI counts every
 * container's stalls at its own limit: in make demo, a runaway throttled in its
 * guard band and a cache container at its memory.max stalled the root 13 % of
 * 3 s while five containers started (51 MiB/s of fall for 6 s) with 60 % of the
 * node free and kswapd asleep, and a growing container was killed for it.
 */
#define CONFIRM_SCANS (CONFIRM_SPAN_USEC / USEC_PER_SEC * 256)
/*
 * A leak is judged on the lowest headroom of each of the last three LEAK_THIRD:
 * each lower than the one before. MemAvailable of a real node is not a line: in
 * the VM it stood still for 6-7 s at a time under a 4 MiB/s leak, and swung by
 * 40 MiB every few seconds with podman's API service up, so a fall that must
 * make a new low every pause_usec never lasted long enough (bench-node a:4 was
 * left to the floor, at 120 s).
 */
#define LEAK_THIRD_USEC UINT64_C(10000000)
#define LEAK_THIRDS     3
/*
 * A leak is judged only on a node already short, its headroom under this share
 * of its memory: a projection alone cannot tell a leak from a service that
 * grows for a minute and stops (a cache warming, a JVM's heap), which the
 * kernel lets live: 8 MiB/s for 40 s from 700 MiB free was judged a leak at
 * 30 s with 460 MiB left (test_slow_grower_lives). Under it, bench-node a:4's
 * leak (456 MiB free of 958 at its start) is judged at about 40 s, earlyoom's
 * 10 % at 98 s.
 */
#define LEAK_SHORT_SHARE 0.30
void node_config_defaults(struct node_config *c)
{
        *c = (struct node_config){
                .mem_floor_fraction = 0.04,
                .swap_floor_fraction = 0.10,
                .swap_mem_fraction = 0.10,
                .sustain_usec = 5 * UINT64_C(1000000),
                .horizon_usec = 120 * UINT64_C(1000000),
                .pause_usec = 2 * UINT64_C(1000000),
                .pressure_full_permyriad = 6000,
                .pressure_duration_usec = 30 * UINT64_C(1000000),
                .hold_usec = 2 * UINT64_C(1000000),
                .fast_fraction = 0.20,
                .fast_interval_usec = 100 * UINT64_C(1000),
        };
}

static uint64_t headroom(const struct node_input *in)
{
        return in->mem_available_bytes + in->swap_free_bytes;
}

static uint64_t floor_bytes(const struct node_config *c, const struct node_input *in)
{
        return (uint64_t) (c->mem_floor_fraction * (double) in->mem_total_bytes);
}

static const struct node_point *point_at(const struct node_state *s, unsigned n)
{
        int slot = ring_slot(&s->ring, NODE_HISTORY, n);

        return slot < 0 ? NULL : &s->history[slot];
}

/* A point per sample, kept as ring.h says. */
static void history_record(struct node_state *s, const struct node_input *in)
{
        const struct node_point *newest = point_at(s, 0), *before = point_at(s, 1);

        unsigned slot = ring_next(&s->ring, NODE_HISTORY,
                                  !before || newest->usec - before->usec >= POINT_SPACING_USEC);

        s->history[slot] = (struct node_point){
                .usec = in->now_usec,
                .headroom_bytes = headroom(in),
                .psi_full_total_usec = in->psi_full_total_usec,
                .refaults = in->refaults,
                .reclaim_scans = in->reclaim_scans,
        };
}

/* The newest point at least span old, or the oldest there is. */
static const struct node_point *point_since(const struct node_state *s, uint64_t now, uint64_t span)
{
        const struct node_point *p = NULL;

        for (unsigned n = 0; n < s->ring.len; n++) {
                p = point_at(s, n);
                if (now - p->usec >= span)
                        break;
        }
        return p;
}

/*
 * A fall goes on while the headroom makes a new low (by more than the noise)
 * at least every pause_usec; it starts at the last point before the first drop.
 */
static void update_fall(const struct node_config *c, struct node_state *s,
                        const struct node_input *in)
{
        uint64_t h = headroom(in), now = in->now_usec;

        if (!s->fall_start_usec) {
                const struct node_point *prev = point_at(s, 1);
                if (prev && h + NOISE_BYTES <= prev->headroom_bytes) {
                        s->fall_start_usec = prev->usec;
                        s->fall_start_bytes = prev->headroom_bytes;
                        s->low_bytes = h;
                        s->low_usec = now;
                }
                return;
        }
        if (h + NOISE_BYTES <= s->low_bytes) {
                s->low_bytes = h;
                s->low_usec = now;
        } else if (now - s->low_usec > c->pause_usec) {
                s->fall_start_usec = 0;
        }
}

/* The pace of the fall over the last RATE_SPAN (or since it began, if later). */
static double fall_rate(const struct node_state *s, const struct node_input *in)
{
        const struct node_point *base = point_since(s, in->now_usec, RATE_SPAN_USEC);
        uint64_t since = base ? base->usec : in->now_usec;
        uint64_t then = base ? base->headroom_bytes : headroom(in);

        if (!s->fall_start_usec)
                return 0;
        if (since < s->fall_start_usec) {
                since = s->fall_start_usec;
                then = s->fall_start_bytes;
        }
        if (in->now_usec <= since)
                return 0;
        return ((double) then - (double) headroom(in)) / (double) (in->now_usec - since) *
               (double) USEC_PER_SEC;
}

/* Until the headroom is at the floor at rate (bytes/s, positive); 0 once there. */
static int64_t eta_to_floor(uint64_t headroom, uint64_t floor, double rate)
{
        return headroom <= floor
                       ? 0
                       : (int64_t) ((double) (headroom - floor) / rate * (double) USEC_PER_SEC);
}

static struct node_evidence evidence_of(const struct node_config *c, const struct node_state *s,
                                        const struct node_input *in)
{
        const struct node_point *then = point_since(s, in->now_usec, CONFIRM_SPAN_USEC);
        uint64_t h = headroom(in), fl = floor_bytes(c, in);
        struct node_evidence e = {
                .headroom_bytes = h,
                .floor_bytes = fl,
                .mem_available_bytes = in->mem_available_bytes,
                .swap_free_bytes = in->swap_free_bytes,
                .fall_bytes_per_sec = s->fall_bytes_per_sec,
                /* Up to its last new low: a pause is not a fall. */
                .falling_usec = s->fall_start_usec ? s->low_usec - s->fall_start_usec : 0,
                .eta_usec = -1,
                .psi_full_avg10 = in->psi_full_avg10,
                .reclaim_scans = in->reclaim_untold ? -1 : 0,
        };

        if (s->fall_bytes_per_sec > 0)
                e.eta_usec = eta_to_floor(h, fl, s->fall_bytes_per_sec);
        if (then && in->now_usec > then->usec) {
                uint64_t window = in->now_usec - then->usec;
                uint64_t stalled = in->psi_full_total_usec > then->psi_full_total_usec
                                           ? in->psi_full_total_usec - then->psi_full_total_usec
                                           : 0;
                e.psi_full_permyriad =
                        (uint32_t) fmin((double) stalled / (double) window * 10000.0, 10000.0);
                e.refaults = in->refaults > then->refaults ? in->refaults - then->refaults : 0;
                if (!in->reclaim_untold && in->reclaim_scans > then->reclaim_scans)
                        e.reclaim_scans = (int64_t) (in->reclaim_scans - then->reclaim_scans);
        }
        return e;
}

static bool still_falling(const struct node_config *c, const struct node_state *s, uint64_t now)
{
        return s->fall_start_usec && now - s->low_usec <= c->pause_usec;
}

/*
 * Down to a quarter of the floor for NODE_FLOOR_HOLD_USEC (at once within
 * NODE_EATEN_USEC of an action), and a new low within the last
 * FLOOR_FALLING_USEC, or gone (at 0 there is no new low to make): a node that
 * stays lean is not judged again and again. (Half a second was tried: the
 * kernel suite's 48 MiB/s grower kept the headroom between 1 and 10 MiB with
 * fewer new lows than that until the kernel OOM-killed it.)
 */
static bool floor_reached(struct node_state *s, const struct node_evidence *e, uint64_t now)
{
        if (e->headroom_bytes > e->floor_bytes / EXHAUSTED_FLOOR_SHARE) {
                s->floor_since_usec = 0;
                return false;
        }
        if (!s->floor_since_usec)
                s->floor_since_usec = now;
        bool falling = s->fall_start_usec && now - s->low_usec <= FLOOR_FALLING_USEC;
        bool eaten = s->acted_usec && now - s->acted_usec < NODE_EATEN_USEC;
        bool held = now - s->floor_since_usec >= NODE_FLOOR_HOLD_USEC || eaten;
        return held && (falling || e->headroom_bytes < NOISE_BYTES);
}

static bool trajectory_confirmed(const struct node_evidence *e)
{
        bool reclaiming = e->reclaim_scans < 0 || e->reclaim_scans >= (int64_t) CONFIRM_SCANS;

        return reclaiming && (e->psi_full_permyriad >= CONFIRM_PSI_FULL_PERMYRIAD ||
                              e->refaults >= CONFIRM_REFAULTS);
}

/* Falling fast enough to reach the floor within horizon, and not within sustain. */
static bool floor_in_horizon(const struct node_config *c, const struct node_evidence *e)
{
        return e->eta_usec >= (int64_t) c->sustain_usec &&
               (uint64_t) e->eta_usec <= c->horizon_usec;
}

/*
 * The lowest headroom of each LEAK_THIRD, newest first, each lower than the
 * next by more than the noise: a leak. Every third must hold a point, and the
 * oldest reach half way into its third (whatever the sampling interval); points
 * from before the last action do not count (what it freed broke the pattern).
 * And the headroom now is below the oldest third's low: a node that got back
 * what the fall took (a container killed, a job ended) is off that trajectory
 * (bench-verdicts swap/anon-16: a runaway killed after 33 s of fall, the node
 * 79 % free again, and the next container was killed 1.3 s into its growth as
 * that leak). Its pace is taken from the oldest low to the newest; *e gets it.
 */
static bool leaking(const struct node_state *s, uint64_t now, struct node_evidence *e)
{
        uint64_t low[LEAK_THIRDS], oldest = 0;

        for (unsigned k = 0; k < LEAK_THIRDS; k++)
                low[k] = UINT64_MAX;
        for (unsigned n = 0; n < s->ring.len; n++) {
                const struct node_point *p = point_at(s, n);
                uint64_t k = (now - p->usec) / LEAK_THIRD_USEC;
                if (k >= LEAK_THIRDS || p->usec < s->acted_usec)
                        break;
                if (p->headroom_bytes < low[k])
                        low[k] = p->headroom_bytes;
                oldest = now - p->usec;
        }
        if (oldest < (LEAK_THIRDS - 1) * LEAK_THIRD_USEC + LEAK_THIRD_USEC / 2 ||
            e->headroom_bytes >= low[LEAK_THIRDS - 1])
                return false;
        for (unsigned k = 0; k + 1 < LEAK_THIRDS; k++)
                if (low[k + 1] == UINT64_MAX || low[k] + NOISE_BYTES > low[k + 1])
                        return false;
        double rate = (double) (low[LEAK_THIRDS - 1] - low[0]) /
                      (double) ((LEAK_THIRDS - 1) * LEAK_THIRD_USEC) * (double) USEC_PER_SEC;
        e->fall_bytes_per_sec = rate;
        e->falling_usec = LEAK_THIRDS * LEAK_THIRD_USEC;
        e->eta_usec = eta_to_floor(e->headroom_bytes, e->floor_bytes, rate);
        return true;
}

static bool short_for_a_leak(const struct node_input *in, const struct node_evidence *e)
{
        double total = (double) (in->mem_total_bytes + in->swap_total_bytes);

        return (double) e->headroom_bytes < LEAK_SHORT_SHARE * total;
}

/*
 * On its trajectory: a fall without a pause for sustain, confirmed by the node
 * paying for it, or a leak over the last half minute on a node already short;
 * either way the floor within horizon and not closer than sustain (closer, the
 * floor decides).
 */
static bool trajectory(const struct node_config *c, const struct node_state *s,
                       const struct node_input *in, struct node_evidence *e)
{
        if (e->falling_usec >= c->sustain_usec && floor_in_horizon(c, e) &&
            still_falling(c, s, in->now_usec) && trajectory_confirmed(e))
                return true;
        struct node_evidence leak = *e;
        if (!short_for_a_leak(in, e) || !leaking(s, in->now_usec, &leak) ||
            !floor_in_horizon(c, &leak))
                return false;
        *e = leak;
        return true;
}

static enum node_rule rule_of(const struct node_config *c, struct node_state *s,
                              const struct node_input *in, struct node_evidence *e)
{
        uint64_t now = in->now_usec;

        if (floor_reached(s, e, now))
                return NODE_RULE_FLOOR;
        if (in->swap_total_bytes > 0 &&
            (double) in->swap_free_bytes <=
                    c->swap_floor_fraction * (double) in->swap_total_bytes &&
            (double) in->mem_available_bytes <= c->swap_mem_fraction * (double) in->mem_total_bytes)
                return NODE_RULE_SWAP;
        if (trajectory(c, s, in, e))
                return NODE_RULE_TRAJECTORY;
        if (in->psi_full_avg10 < c->pressure_full_permyriad) {
                s->pressure_since_usec = 0;
        } else {
                if (!s->pressure_since_usec)
                        s->pressure_since_usec = now;
                if (now - s->pressure_since_usec >= c->pressure_duration_usec)
                        return NODE_RULE_PRESSURE;
        }
        return NODE_RULE_NONE;
}

/* Short of memory, or falling toward it soon: look again in fast_interval, not a round. */
static uint64_t next_check(const struct node_config *c, const struct node_input *in,
                           const struct node_evidence *e)
{
        double total = (double) (in->mem_total_bytes + in->swap_total_bytes);
        bool short_now = (double) e->headroom_bytes < c->fast_fraction * total;
        bool soon = e->eta_usec >= 0 && (uint64_t) e->eta_usec < 10 * UINT64_C(1000000);

        return short_now || soon ? in->now_usec + c->fast_interval_usec : 0;
}

void node_evaluate(const struct node_config *c, const struct node_state *prev,
                   const struct node_input *in, struct node_state *next, struct node_decision *ret)
{
        struct node_state s = *prev;
        struct node_decision d = {.rule = NODE_RULE_NONE};

        history_record(&s, in);
        if (s.seen)
                update_fall(c, &s, in);
        s.seen = true;
        s.fall_bytes_per_sec = fall_rate(&s, in);
        d.evidence = evidence_of(c, &s, in);
        if (in->now_usec >= s.hold_until_usec)
                d.rule = rule_of(c, &s, in, &d.evidence);
        d.next_check_usec = next_check(c, in, &d.evidence);
        *next = s;
        *ret = d;
}

void node_acted(const struct node_config *c, struct node_state *s, uint64_t now_usec)
{
        s->hold_until_usec = now_usec + c->hold_usec;
        s->acted_usec = now_usec;
        s->fall_start_usec = 0;
        s->floor_since_usec = 0;
        s->pressure_since_usec = 0;
}

const char *node_rule_to_string(enum node_rule r)
{
        static const char *const names[_NODE_RULE_MAX] = {
                [NODE_RULE_NONE] = "none",
                [NODE_RULE_FLOOR] = "floor",
                [NODE_RULE_TRAJECTORY] = "trajectory",
                [NODE_RULE_SWAP] = "swap",
                [NODE_RULE_PRESSURE] = "pressure",
        };
        return r < _NODE_RULE_MAX ? names[r] : NULL;
}

const char *victim_qos_to_string(enum victim_tier_qos q)
{
        static const char *const names[] = {
                [QOS_TIER_BESTEFFORT] = "besteffort",
                [QOS_TIER_ABOVE_REQUEST] = "above_request",
                [QOS_TIER_WITHIN] = "within_request",
                [QOS_TIER_GUARANTEED] = "guaranteed",
        };
        return q <= QOS_TIER_GUARANTEED ? names[q] : NULL;
}

/* ---- the ranking ---- */

static unsigned mark_tier(enum policy_mark m)
{
        switch (m) {
        case MARK_PREFER:
                return 0;
        case MARK_NONE:
                return 1;
        case MARK_AVOID:
                return 2;
        case MARK_PROTECT:
        case _MARK_MAX:
                break;
        }
        return 3;
}

/*
 * Grew over its last 2 s, or over the fall's 5 s: a grower stalled in reclaim
 * at the floor, the kernel's next OOM victim, may not have grown for a second
 * or two (node_grower_killed lost its race so in the full kernel suite).
 */
static bool still_growing(const struct victim_candidate *v)
{
        return fmax(v->rate_bytes_per_sec, v->fall_rate_bytes_per_sec) >=
               NODE_GROWING_BYTES_PER_SEC;
}

static int compare_candidates(const void *a, const void *b)
{
        const struct victim_candidate *x = a, *y = b;
        unsigned tx = mark_tier(x->mark), ty = mark_tier(y->mark);

        if (x->eligible != y->eligible)
                return x->eligible ? -1 : 1;
        if (tx != ty)
                return tx < ty ? -1 : 1;
        if (x->qos != y->qos)
                return x->qos < y->qos ? -1 : 1;
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        return 0;
}

static double score_of(const struct node_config *c, enum node_rule rule,
                       const struct victim_candidate *v)
{
        double above = fmax((double) v->footprint_bytes - (double) v->protected_bytes, 0);
        /* Growth weighs as much at the floor: a steady container is no runaway. */
        double horizon = (double) c->horizon_usec / (double) USEC_PER_SEC;

        if (rule == NODE_RULE_SWAP)
                return (double) v->swap_bytes;
        return above + fmax(v->rate_bytes_per_sec, 0) * horizon;
}

void node_rank_victims(const struct node_config *c, enum node_rule rule, struct victim_candidate *v,
                       unsigned n, unsigned *ret_eligible)
{
        unsigned eligible = 0;

        for (unsigned i = 0; i < n; i++) {
                v[i].score = score_of(c, rule, &v[i]);
                v[i].eligible = v[i].mark != MARK_PROTECT &&
                                (rule != NODE_RULE_FLOOR || still_growing(&v[i]));
                if (v[i].eligible)
                        eligible++;
        }
        qsort(v, n, sizeof(*v), compare_candidates);
        *ret_eligible = eligible;
}
