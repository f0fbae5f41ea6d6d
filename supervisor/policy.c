/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policy.h"

#include <math.h>
#include <stdlib.h>

#include "cgroupfs/parse.h"

#define MiB          (UINT64_C(1) << 20)
#define USEC_PER_SEC 1000000.0
/* High events count as "rising" while they rose less than this long ago. */
#define HIGH_QUIET_USEC UINT64_C(2000000)
/* memory.high and memory.max are kept in pages; what is written is rounded down to one. */
#define PAGE_BYTES       UINT64_C(4096)
#define RATE_WINDOW_USEC UINT64_C(250000)

void policy_config_defaults(struct policy_config *c)
{
        *c = (struct policy_config){
                .guard_fraction = 0.04,
                .guard_min_bytes = 4 * MiB,
                .guard_max_bytes = 256 * MiB,
                .runaway_bytes_per_sec = 16 * MiB,
                .leak_floor_fraction = 0.8,
                .leak_horizon_usec = 300 * UINT64_C(1000000),
                .leak_min_bytes_per_sec = 64 * 1024,
                .leak_sustain_usec = 10 * UINT64_C(1000000),
                .leak_kill_after_usec = 15 * UINT64_C(1000000),
                .release_after_usec = 10 * UINT64_C(1000000),
                .stuck_after_usec = 10 * UINT64_C(1000000),
                .stuck_full_avg10 = 1000,
                .stuck_kills = true,
                .cooldown_usec = 10 * UINT64_C(1000000),
                .rate_window_usec = 5 * UINT64_C(1000000),
        };
}

uint64_t policy_guard_high(const struct policy_config *c, uint64_t max_bytes)
{
        double band = c->guard_fraction * (double) max_bytes;
        uint64_t b = (uint64_t) band;

        if (b < c->guard_min_bytes)
                b = c->guard_min_bytes;
        if (b > c->guard_max_bytes)
                b = c->guard_max_bytes;
        /* A limit smaller than two bands gets half of it as band. */
        if (b * 2 > max_bytes)
                b = max_bytes / 2;
        return (max_bytes - b) / PAGE_BYTES * PAGE_BYTES;
}

/*
 * Calls come from notifications milliseconds apart as well as from the backstop
 * round: a rate over a few milliseconds is noise (one 1 MiB chunk in 5 ms reads as
 * 200 MiB/s). The instant rate is therefore taken from a point at least
 * RATE_WINDOW_USEC old, kept as a pair of bases that move forward in such steps.
 */
static void update_instant_rate(struct policy_state *s, const struct policy_input *in)
{
        if (in->now_usec - s->base_usec[1] >= RATE_WINDOW_USEC) {
                s->base_usec[0] = s->base_usec[1];
                s->base_working_set_bytes[0] = s->base_working_set_bytes[1];
                s->base_usec[1] = in->now_usec;
                s->base_working_set_bytes[1] = in->working_set_bytes;
        }
        double dt = (double) (in->now_usec - s->base_usec[0]);
        double delta = (double) in->working_set_bytes - (double) s->base_working_set_bytes[0];
        /* Until the first window has passed there is no rate to speak of. */
        s->instant_bytes_per_sec = dt >= (double) RATE_WINDOW_USEC ? delta / dt * USEC_PER_SEC : 0;
}

/* The growth rate, and its exponentially smoothed average. */
static void update_rates(const struct policy_config *c, struct policy_state *s,
                         const struct policy_input *in)
{
        if (!s->seen) {
                for (int i = 0; i < 2; i++) {
                        s->base_usec[i] = in->now_usec;
                        s->base_working_set_bytes[i] = in->working_set_bytes;
                }
        } else if (in->now_usec > s->last_usec) {
                double dt = (double) (in->now_usec - s->last_usec);
                update_instant_rate(s, in);
                double alpha = 1.0 - exp(-dt / (double) c->rate_window_usec);
                s->rate_bytes_per_sec += alpha * (s->instant_bytes_per_sec - s->rate_bytes_per_sec);
                /* A start-up burst that stops is not a leak: growth must go on without a pause. */
                if (s->instant_bytes_per_sec < (double) c->leak_min_bytes_per_sec)
                        s->growing_since_usec = 0;
                else if (!s->growing_since_usec)
                        s->growing_since_usec = s->last_usec;
        }
        s->seen = true;
        s->last_usec = in->now_usec;
        s->last_working_set_bytes = in->working_set_bytes;
}

/* Tracks whether the kernel keeps throttling (memory.events "high" keeps rising). */
static void update_high_events(struct policy_state *s, const struct policy_input *in, bool first)
{
        /* A counter already above zero when first seen (say, after a restart) is history. */
        bool rose = !first && in->high_events > s->last_high_events;

        if (rose) {
                if (!s->high_rising_since_usec)
                        s->high_rising_since_usec = in->now_usec;
                s->high_rose_usec = in->now_usec;
        } else if (in->now_usec - s->high_rose_usec >= HIGH_QUIET_USEC) {
                s->high_rising_since_usec = 0;
        }
        s->last_high_events = in->high_events;
}

static bool high_rising_for(const struct policy_state *s, uint64_t since, uint64_t now,
                            uint64_t duration)
{
        if (!s->high_rising_since_usec)
                return false;
        uint64_t start = s->high_rising_since_usec > since ? s->high_rising_since_usec : since;
        return now - start >= duration;
}

static int64_t eta_usec(const struct policy_input *in, double rate)
{
        if (rate <= 0 || in->working_set_bytes >= in->max_bytes)
                return rate <= 0 ? -1 : 0;
        return (int64_t) ((double) (in->max_bytes - in->working_set_bytes) / rate * USEC_PER_SEC);
}

static void decide(struct policy_decision *d, enum policy_action a, enum policy_reason r,
                   uint64_t high)
{
        d->action = a;
        d->reason = r;
        d->high_bytes = high;
}

/*
 * High events alone can be page cache being reclaimed at memory.high, which is
 * healthy; they mean the limit binds only when the working set itself is there.
 */
static bool at_high(const struct policy_input *in)
{
        return (double) in->working_set_bytes >= 0.9 * (double) in->high_bytes;
}

static bool is_runaway(const struct policy_config *c, const struct policy_state *s,
                       const struct policy_input *in)
{
        double rate = fmax(s->instant_bytes_per_sec, s->rate_bytes_per_sec);
        /* At an operator's own memory.high the kernel throttles as asked: stuck_at_high judges. */
        bool at_band = s->guarded && in->high_bytes == s->guard_high_bytes;
        return at_band && s->high_rose_usec == in->now_usec && at_high(in) &&
               rate >= (double) c->runaway_bytes_per_sec;
}

static bool is_stuck(const struct policy_config *c, const struct policy_state *s,
                     const struct policy_input *in)
{
        /*
         * "Flat": the kernel's throttling lets a stuck workload creep on by a few pages
         * at a time (56 MiB after minutes at a 48 MiB memory.high), so flat is slower
         * than 1 % of memory.high a second, not zero.
         */
        double flat = fmax((double) c->leak_min_bytes_per_sec, 0.01 * (double) in->high_bytes);
        return high_rising_for(s, 0, in->now_usec, c->stuck_after_usec) && at_high(in) &&
               fabs(s->rate_bytes_per_sec) < flat && in->psi_full_avg10 >= c->stuck_full_avg10;
}

static bool is_leak(const struct policy_config *c, const struct policy_state *s,
                    const struct policy_input *in, int64_t eta)
{
        return in->now_usec >= s->cooldown_until_usec && s->growing_since_usec &&
               in->now_usec - s->growing_since_usec >= c->leak_sustain_usec &&
               (double) in->working_set_bytes >= c->leak_floor_fraction * (double) in->max_bytes &&
               s->rate_bytes_per_sec >= (double) c->leak_min_bytes_per_sec && eta >= 0 &&
               (uint64_t) eta <= c->leak_horizon_usec;
}

/* Throttles a little above the working set, and never above the band already there. */
static uint64_t throttle_high(const struct policy_input *in)
{
        uint64_t margin = in->max_bytes / 100 > MiB ? in->max_bytes / 100 : MiB;
        return (in->working_set_bytes + margin) / PAGE_BYTES * PAGE_BYTES;
}

static void release(const struct policy_config *c, struct policy_state *s,
                    const struct policy_input *in, struct policy_decision *d,
                    enum policy_reason reason, uint64_t high)
{
        s->phase = PHASE_NORMAL;
        s->phase_since_usec = in->now_usec;
        s->cooldown_until_usec = in->now_usec + c->cooldown_usec;
        s->high_rising_since_usec = 0;
        decide(d, ACTION_RELEASE, reason, high);
}

/*
 * The band follows memory.max: placed where there is none (memory.high at max),
 * and moved when memory.max changed under a band cgmem placed.
 */
static bool needs_guard(const struct policy_state *s, const struct policy_input *in)
{
        if (s->phase == PHASE_THROTTLED)
                return false;
        if (in->high_bytes >= in->max_bytes)
                return !s->guarded || in->max_bytes != s->guard_max_bytes;
        return s->guarded && in->max_bytes != s->guard_max_bytes &&
               in->high_bytes == s->guard_high_bytes;
}

static void evaluate_normal(const struct policy_config *c, struct policy_state *s,
                            const struct policy_input *in, struct policy_decision *d)
{
        if (is_stuck(c, s, in)) {
                if (c->stuck_kills)
                        decide(d, ACTION_KILL, REASON_STUCK_AT_HIGH, 0);
                else {
                        /* The kernel decides from here: no band goes back on for this limit. */
                        release(c, s, in, d, REASON_STUCK_AT_HIGH, CG_VALUE_MAX);
                        s->guarded = true;
                        s->guard_max_bytes = in->max_bytes;
                        s->guard_high_bytes = CG_VALUE_MAX;
                }
                return;
        }
        if (!is_leak(c, s, in, d->eta_usec))
                return;
        uint64_t high = throttle_high(in);
        if (high >= in->high_bytes)
                return; /* the band already sits lower: the kernel throttles it there */
        s->phase = PHASE_THROTTLED;
        s->phase_since_usec = in->now_usec;
        s->pre_throttle_high_bytes = in->high_bytes;
        decide(d, ACTION_THROTTLE, REASON_LEAK, high);
}

static void evaluate_throttled(const struct policy_config *c, struct policy_state *s,
                               const struct policy_input *in, struct policy_decision *d)
{
        if (high_rising_for(s, s->phase_since_usec, in->now_usec, c->leak_kill_after_usec) &&
            at_high(in)) {
                decide(d, ACTION_KILL, REASON_LEAK_PERSISTS, 0);
                return;
        }
        bool quiet = in->now_usec - s->high_rose_usec >= c->release_after_usec &&
                     in->now_usec - s->phase_since_usec >= c->release_after_usec;
        if (!quiet || s->instant_bytes_per_sec >= (double) c->leak_min_bytes_per_sec)
                return;
        release(c, s, in, d, REASON_LEAK_STOPPED, s->pre_throttle_high_bytes);
}

void policy_evaluate(const struct policy_config *c, const struct policy_state *prev,
                     const struct policy_input *in, struct policy_state *next,
                     struct policy_decision *ret)
{
        struct policy_decision d = {.eta_usec = -1};
        struct policy_state s = *prev;

        bool first = !s.seen;
        update_rates(c, &s, in);
        update_high_events(&s, in, first);
        d.rate_bytes_per_sec = s.rate_bytes_per_sec;
        if (in->max_bytes != CG_VALUE_MAX)
                d.eta_usec = eta_usec(in, s.rate_bytes_per_sec);

        if (in->max_bytes == CG_VALUE_MAX || in->mark == MARK_PROTECT) {
                /* Nothing to enforce; a throttle from before the change is lifted. */
                if (s.phase == PHASE_THROTTLED)
                        release(c, &s, in, &d, REASON_LEAK_STOPPED, s.pre_throttle_high_bytes);
        } else if (needs_guard(&s, in)) {
                if (!s.guarded)
                        s.original_high_bytes = in->high_bytes;
                s.guarded = true;
                s.guard_max_bytes = in->max_bytes;
                s.guard_high_bytes = policy_guard_high(c, in->max_bytes);
                decide(&d, ACTION_GUARD, REASON_GUARD_BAND, s.guard_high_bytes);
        } else if (is_runaway(c, &s, in)) {
                decide(&d, ACTION_KILL, REASON_RUNAWAY, 0);
        } else if (s.phase == PHASE_NORMAL) {
                evaluate_normal(c, &s, in, &d);
        } else {
                evaluate_throttled(c, &s, in, &d);
        }
        *next = s;
        *ret = d;
}

const char *policy_action_to_string(enum policy_action a)
{
        static const char *const names[] = {
                [ACTION_NONE] = "none",         [ACTION_GUARD] = "guard",
                [ACTION_THROTTLE] = "throttle", [ACTION_RELEASE] = "release",
                [ACTION_KILL] = "kill",
        };
        return names[a];
}

const char *policy_reason_to_string(enum policy_reason r)
{
        static const char *const names[] = {
                [REASON_NONE] = "none",
                [REASON_GUARD_BAND] = "guard_band",
                [REASON_RUNAWAY] = "runaway",
                [REASON_LEAK] = "leak",
                [REASON_LEAK_PERSISTS] = "leak_persists",
                [REASON_LEAK_STOPPED] = "leak_stopped",
                [REASON_STUCK_AT_HIGH] = "stuck_at_high",
                [REASON_NODE_PRESSURE] = "node_pressure",
        };
        return names[r];
}

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
                break;
        }
        return 3;
}

static int compare_candidates(const void *a, const void *b)
{
        const struct victim_candidate *x = a, *y = b;
        unsigned tx = mark_tier(x->mark), ty = mark_tier(y->mark);

        if (tx != ty)
                return tx < ty ? -1 : 1;
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        return 0;
}

void policy_rank_victims(struct victim_candidate *c, unsigned n, unsigned *ret_eligible)
{
        unsigned eligible = 0;

        for (unsigned i = 0; i < n; i++) {
                double above = (double) c[i].working_set_bytes - (double) c[i].protected_bytes;
                double growth = fmax(c[i].rate_bytes_per_sec, 0) * 10.0;
                c[i].score = fmax(above, 0) + growth;
                if (c[i].mark != MARK_PROTECT)
                        eligible++;
        }
        qsort(c, n, sizeof(*c), compare_candidates);
        *ret_eligible = eligible;
}
