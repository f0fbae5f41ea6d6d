/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the pure enforcement policy (supervisor/policy.c): scenario tables
 * run through policy_evaluate, carrying the state from call to call as the agent does,
 * with the kernel's memory.high following what the policy asked to write.
 *
 * Every number below is derived by hand from policy_config_defaults (pinned by
 * test_config_defaults): band = 4 % of memory.max within [4 MiB, 256 MiB], or half
 * of a limit smaller than two bands, and memory.high (band or throttle) rounded down
 * to a 4096-byte page as the kernel keeps it; leak floor 80 %, horizon 300 s, 64 KiB/s
 * minimum, growing without a pause for 10 s (leak_sustain); kill a persisting leak 15 s
 * after the throttle, release 10 s after it once quiet (instant rate below 64 KiB/s, no
 * high events for 10 s); stuck after 10 s at PSI full avg10 >= 10.00 %; cooldown 10 s;
 * runaway, stuck and leak_persists only with the working set at >= 90 % of memory.high.
 *
 * Two rates: the "instant" rate is taken from a base point at least 250 ms old (with
 * samples >= 250 ms apart: the growth since the previous sample); the smoothed rate
 * moves toward it by alpha = 1 - e^-(dt / 5 s) at every call (0.181 for a 1 s step).
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "supervisor/policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* CLOCK_MONOTONIC is far from 0 on a running system: scenarios start at 1000 s. */
#define T0_MS UINT64_C(1000000)

/*
 * Guard bands by hand: 4 % of max, truncated, clamped to [4 MiB, 256 MiB], and
 * max - band rounded down to a page (4096).
 */
#define PAGE       UINT64_C(4096)
#define MAX_256M   (256 * MiB)
#define GUARD_256M UINT64_C(257695744)    /* 268435456 - 10737418 = 257698038 -> 62914 pages */
#define GUARD_64M  (64 * MiB - 4 * MiB)   /* 2.56 MiB < 4 MiB minimum; whole pages already */
#define GUARD_1G   UINT64_C(1030791168)   /* 2^30 - 42949672 = 1030792152 -> 251658 pages */
#define GUARD_16G  (16 * GiB - 256 * MiB) /* 655.36 MiB > 256 MiB maximum */
#define GUARD_6M   (3 * MiB)              /* 4 MiB band > half of 6 MiB: half */
#define GUARD_8M   (4 * MiB)              /* exactly two bands: 4 MiB band */
#define GUARD_200M (200 * MiB - 8 * MiB)  /* 0.04 * 200 MiB = 8 MiB exactly */
#define GUARD_128M UINT64_C(128847872)    /* 134217728 - 5368709 = 128849019 -> 31457 pages */
/* 90 % of GUARD_256M, the "at memory.high" line: 231926169.6 bytes, ~221.18 MiB. */
/*
 * 1 % of 256 MiB (2684354.56, truncated) is above 1 MiB: the throttle margin, 655.36
 * pages; a throttle from a whole number of MiB (256 pages each) lands 655 pages above it.
 */
#define MARGIN_256M UINT64_C(2684354)

/* A segment's high: what cgmem last asked for (initially the scenario's high). */
#define HIGH_WRITTEN UINT64_C(0)
/* A segment's eta: not checked. */
#define ETA_ANY INT64_MIN

/*
 * A run of samples: at from_ms, from_ms + every_ms, ... up to to_ms (relative to the
 * run's start). The working set is ws at from_ms plus ws_per_sec of growth; the
 * memory.events "high" counter rises by events_per_step at every sample of the run
 * (before it is read). Every sample must get exactly the expected decision.
 */
struct seg {
        uint64_t from_ms, to_ms, every_ms;
        uint64_t ws;
        int64_t ws_per_sec;
        uint64_t max;
        uint64_t high;
        uint64_t events_per_step;
        uint32_t psi;
        enum policy_mark mark;
        enum policy_action act;
        enum policy_reason why;
        uint64_t want_high;
        int64_t want_eta;
};

/* What the run carries between segments and between runs of one scenario. */
struct sim {
        const char *name;
        struct policy_config cfg;
        struct policy_state state;
        uint64_t kernel_high; /* memory.high as the kernel has it */
        uint64_t events;      /* memory.events "high" */
        unsigned step;        /* counts every sample of the scenario */
        uint64_t now_ms;      /* of the last sample */
        struct policy_decision last;
};

static void sim_init(struct sim *s, const char *name, uint64_t initial_high)
{
        memset(s, 0, sizeof(*s));
        s->name = name;
        policy_config_defaults(&s->cfg);
        s->kernel_high = initial_high;
}

#define CHECK(s, cond, ...)                                                                        \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        print_error("%s: step %u (t=%.3f s): ", (s)->name, (s)->step,              \
                                    (double) ((s)->now_ms - T0_MS) / 1000.0);                      \
                        print_error(__VA_ARGS__);                                                  \
                        print_error("\n");                                                         \
                        fail();                                                                    \
                }                                                                                  \
        } while (0)

/* One call of policy_evaluate as the agent makes it, the kernel following the decision. */
static void sim_sample(struct sim *s, uint64_t t_ms, uint64_t ws, uint64_t max, uint64_t high,
                       uint64_t events_per_step, uint32_t psi, enum policy_mark mark)
{
        struct policy_state next;

        if (high != HIGH_WRITTEN)
                s->kernel_high = high;
        s->events += events_per_step;
        s->now_ms = t_ms;
        struct policy_input in = {
                .now_usec = t_ms * 1000,
                .working_set_bytes = ws,
                .max_bytes = max,
                .high_bytes = s->kernel_high,
                .high_events = s->events,
                .psi_full_avg10 = psi,
                .mark = mark,
        };
        memset(&next, 0xa5, sizeof(next)); /* the policy must fill all of it */
        policy_evaluate(&s->cfg, &s->state, &in, &next, &s->last);
        s->state = next;
        if (s->last.action == ACTION_GUARD || s->last.action == ACTION_THROTTLE ||
            s->last.action == ACTION_RELEASE)
                s->kernel_high = s->last.high_bytes;
}

static void check_decision(struct sim *s, enum policy_action act, enum policy_reason why,
                           uint64_t want_high, int64_t want_eta)
{
        const struct policy_decision *d = &s->last;

        CHECK(s, d->action == act && d->reason == why, "got %s/%s, want %s/%s",
              policy_action_to_string(d->action), policy_reason_to_string(d->reason),
              policy_action_to_string(act), policy_reason_to_string(why));
        CHECK(s, d->high_bytes == want_high, "%s: high_bytes = %" PRIu64 ", want %" PRIu64,
              policy_action_to_string(d->action), d->high_bytes, want_high);
        if (want_eta != ETA_ANY)
                CHECK(s, d->eta_usec == want_eta, "eta_usec = %" PRId64 ", want %" PRId64,
                      d->eta_usec, want_eta);
}

/* Runs segments starting at base_ms (relative to T0). */
static void sim_run(struct sim *s, uint64_t base_ms, const struct seg *segs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct seg *g = &segs[i];
                uint64_t every = g->every_ms ? g->every_ms : 1000;

                assert_true(g->from_ms <= g->to_ms);
                for (uint64_t t = g->from_ms; t <= g->to_ms; t += every) {
                        int64_t grown = g->ws_per_sec * (int64_t) (t - g->from_ms) / 1000;
                        uint64_t ws = (uint64_t) ((int64_t) g->ws + grown);

                        s->step++;
                        sim_sample(s, T0_MS + base_ms + t, ws, g->max, g->high, g->events_per_step,
                                   g->psi, g->mark);
                        check_decision(s, g->act, g->why, g->want_high, g->want_eta);
                }
        }
}

/* Shorthands for the rows: times in seconds, working sets in MiB. */
#define S(sec)   ((uint64_t) (sec) *1000)
#define NONE     ACTION_NONE, REASON_NONE, 0
#define GUARD(h) ACTION_GUARD, REASON_GUARD_BAND, (h)
#define KILL(r)  ACTION_KILL, (r), 0

/*
 * Rows: {from, to, every, ws, ws/s, max, high, events/step, psi, mark, action, reason,
 * high_bytes, eta}
 */
#define ROW(from, to, ws, rate, max, high, ev, psi, mark, ...)                                     \
        {                                                                                          \
                S(from), S(to), 0, (ws), (rate), (max), (high), (ev), (psi), (mark), __VA_ARGS__,  \
                        ETA_ANY                                                                    \
        }

/* ---------------------------------------------------------------------------------- */

static void test_config_defaults(void **unused)
{
        struct policy_config c;
        (void) unused;

        /* The tables below are derived from these: a change here must revisit them. */
        policy_config_defaults(&c);
        assert_true(c.guard_fraction == 0.04);
        assert_int_equal(c.guard_min_bytes, 4 * MiB);
        assert_int_equal(c.guard_max_bytes, 256 * MiB);
        assert_int_equal(c.runaway_bytes_per_sec, 16 * MiB);
        assert_true(c.leak_floor_fraction == 0.8);
        assert_int_equal(c.leak_horizon_usec, UINT64_C(300000000));
        assert_int_equal(c.leak_min_bytes_per_sec, 64 * KiB);
        assert_int_equal(c.leak_sustain_usec, UINT64_C(10000000));
        assert_int_equal(c.leak_kill_after_usec, UINT64_C(15000000));
        assert_int_equal(c.release_after_usec, UINT64_C(10000000));
        assert_int_equal(c.stuck_after_usec, UINT64_C(10000000));
        assert_int_equal(c.stuck_full_avg10, 1000);
        assert_true(c.stuck_kills);
        assert_int_equal(c.cooldown_usec, UINT64_C(10000000));
        assert_int_equal(c.rate_window_usec, UINT64_C(5000000));
}

static void test_guard_high(void **unused)
{
        static const struct {
                uint64_t max, high;
        } rows[] = {
                {64 * MiB, GUARD_64M},    /* band at its 4 MiB minimum */
                {MAX_256M, GUARD_256M},   /* 4 % */
                {GiB, GUARD_1G},          /* 4 % */
                {16 * GiB, GUARD_16G},    /* band at its 256 MiB maximum */
                {6400 * MiB, 6144 * MiB}, /* 4 % is exactly the maximum */
                {8 * MiB, GUARD_8M},      /* exactly two minimum bands: still 4 MiB */
                {6 * MiB, GUARD_6M},      /* smaller than two bands: half of it */
                {128 * MiB, GUARD_128M},  /* 4 %, rounded down to a page */
                {MiB, MiB / 2},
                {12 * KiB, 4 * KiB}, /* three pages: half is 6 KiB, 6 KiB rounds down to 4 */
                {1, 0},              /* band 0 (half of 1 byte), then 1 byte rounds to 0 */
        };
        struct policy_config c;
        (void) unused;

        policy_config_defaults(&c);
        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                uint64_t got = policy_guard_high(&c, rows[i].max);
                if (got != rows[i].high) {
                        print_error("row %zu: policy_guard_high(%" PRIu64 ") = %" PRIu64
                                    ", want %" PRIu64 "\n",
                                    i, rows[i].max, got, rows[i].high);
                        fail();
                }
                /* Whole pages, strictly below max, and at least half of it (in whole pages). */
                if (got % PAGE != 0 || (rows[i].max > 1 && (got >= rows[i].max ||
                                                            got < rows[i].max / 2 / PAGE * PAGE))) {
                        print_error("row %zu: %" PRIu64 " not a page in [max/2, max)\n", i, got);
                        fail();
                }
        }
}

/* No limit: nothing to enforce, even at 1 GiB/s with the kernel throttling and stalling. */
static const struct seg no_limit[] = {
        {0, S(60), 0, 0, (int64_t) GiB, CG_VALUE_MAX, CG_VALUE_MAX, 1, 10000, MARK_NONE, NONE, -1},
        {S(61), S(70), 250, 61 * GiB, 0, CG_VALUE_MAX, CG_VALUE_MAX, 5, 10000, MARK_NONE, NONE, -1},
};

/* Protect-marked: never any action (no guard either), whatever it does. */
static const struct seg protect_mark[] = {
        ROW(0, 0, 0, 0, MAX_256M, MAX_256M, 0, 0, MARK_PROTECT, NONE),
        /* a runaway */
        {S(1), S(3), 250, 0, 200 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 3, 5000, MARK_PROTECT,
         NONE, ETA_ANY},
        /* a slow leak across 80 % */
        ROW(4, 40, 180 * MiB, 2 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_PROTECT, NONE),
        /* stuck at a high it was given by someone else */
        ROW(41, 80, 240 * MiB, 0, MAX_256M, 240 * MiB, 1, 9000, MARK_PROTECT, NONE),
};

static const struct seg guard_first_call[] = {
        ROW(0, 0, 10 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        /* guarded once: the next calls leave it alone */
        ROW(1, 5, 10 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};

/* memory.high above memory.max (e.g. "max") is no band either. */
static const struct seg guard_high_above_max[] = {
        ROW(0, 0, 10 * MiB, 0, GiB, CG_VALUE_MAX, 0, 0, MARK_NONE, GUARD(GUARD_1G)),
        ROW(1, 3, 10 * MiB, 0, GiB, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};

static const struct seg guard_tiny[] = {
        ROW(0, 0, MiB, 0, 6 * MiB, 6 * MiB, 0, 0, MARK_NONE, GUARD(GUARD_6M)),
};

/*
 * A user-set memory.high below memory.max is the user's band: no GUARD. Once memory.max
 * is lowered to or below it (128 MiB under a 200 MiB high), the limit has no band
 * again: GUARD at the 128 MiB band, then left alone.
 */
static const struct seg guard_user_high[] = {
        ROW(0, 10, 10 * MiB, 0, MAX_256M, 200 * MiB, 0, 0, MARK_NONE, NONE),
        ROW(11, 11, 10 * MiB, 0, MAX_256M, MAX_256M - 1, 0, 0, MARK_NONE, NONE),
        ROW(12, 12, 10 * MiB, 0, 128 * MiB, 200 * MiB, 0, 0, MARK_NONE, GUARD(GUARD_128M)),
        ROW(13, 16, 10 * MiB, 0, 128 * MiB, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};

/*
 * Runaway: 0 -> 246 MiB in 250 ms (984 MiB/s over the 250 ms since the first call, far
 * above 16 MiB/s) past the band (245.75 MiB), at cgmem's own band, and the kernel
 * throttling it (high events rise at that call): kill.
 */
static const struct seg runaway[] = {
        ROW(0, 0, 0, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {250, 250, 0, 246 * MiB, 0, MAX_256M, HIGH_WRITTEN, 7, 0, MARK_NONE, KILL(REASON_RUNAWAY),
         ETA_ANY},
};

/*
 * The same growth without high events rising at that call: no kill (and no throttle:
 * 250 ms of growth is not 10 s of it). When the kernel then throttles it at the next
 * call the instant rate is 0 (flat over 250-500 ms), but the smoothed one still says
 * runaway: 984 MiB/s * (1 - e^-0.05) = 47.99 MiB/s, times e^-0.05 = 45.65 MiB/s: kill.
 */
static const struct seg runaway_no_events[] = {
        ROW(0, 0, 0, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {250, 250, 0, 246 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE, ETA_ANY},
        {500, 500, 0, 246 * MiB, 0, MAX_256M, HIGH_WRITTEN, 3, 0, MARK_NONE, KILL(REASON_RUNAWAY),
         ETA_ANY},
};

/*
 * At the band with high events rising every second, but growing slowly: 128 KiB/s from
 * 2.5 MiB under it, so never at it within the 19 s. Not a runaway (128 KiB/s). From 10 s
 * it is a sustained leak (growing since 0 s, above 80 %, smoothed rate 128 KiB/s *
 * (1 - e^-2) = 110.7 KiB/s, eta ~106 s), but within the 2.56 MiB margin of the band:
 * ws + margin is above the band already there, which throttles it: no THROTTLE.
 */
static const struct seg slow_at_band[] = {
        ROW(0, 0, GUARD_256M - 2 * MiB - 512 * KiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE,
            GUARD(GUARD_256M)),
        ROW(1, 19, GUARD_256M - 2 * MiB - 384 * KiB, 128 * (int64_t) KiB, MAX_256M, HIGH_WRITTEN, 1,
            0, MARK_NONE, NONE),
};

/*
 * A burst at the band with high events rising, but the working set only at 200 MiB, below
 * 90 % of the band (221.18 MiB): memory.current is over high with page cache, which the
 * kernel reclaims. 800 MiB/s is no runaway there: no kill (and no leak: not sustained).
 */
static const struct seg runaway_not_at_high[] = {
        ROW(0, 0, 0, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {250, 250, 0, 200 * MiB, 0, MAX_256M, HIGH_WRITTEN, 7, 0, MARK_NONE, NONE, ETA_ANY},
        {500, 2000, 250, 200 * MiB, 0, MAX_256M, HIGH_WRITTEN, 3, 0, MARK_NONE, NONE, ETA_ANY},
};

/*
 * A runaway at the operator's own memory.high (200 MiB < max, not guarded): the kernel
 * throttles it as asked, so it is no runaway (740 MiB/s, high events rising, at 97 % of
 * high); stuck_at_high judges it instead. 10 -> 195 MiB in 250 ms, then held at 199 MiB
 * with high events rising every second and PSI full at 20 %. Never a leak (199 MiB < 80 %
 * of max, and flat). Stuck needs the smoothed rate below 64 KiB/s:
 *   0.25 s: 740 MiB/s * (1 - e^-0.05)                          = 36.09 MiB/s
 *   1 s:    instant (199 - 195) MiB / 0.75 s = 5.33 MiB/s;
 *           36.09 + (1 - e^-0.15) * (5.33 - 36.09)             = 31.81 MiB/s
 *   t >= 2: flat, 31.81 MiB/s * e^-0.2(t-1): at 32 s 66.1 KiB/s, at 33 s 54.1 KiB/s.
 * High events rising since 0.25 s, at high (199 >= 180 MiB): KILL stuck_at_high at 33 s.
 */
static const struct seg runaway_operator_high[] = {
        ROW(0, 0, 10 * MiB, 0, MAX_256M, 200 * MiB, 0, 0, MARK_NONE, NONE),
        {250, 250, 0, 195 * MiB, 0, MAX_256M, HIGH_WRITTEN, 5, 2000, MARK_NONE, NONE, ETA_ANY},
        /* Stuck once the smoothed rate of the burst has decayed below "flat", 1 % of
         * memory.high a second (2 MiB/s): at 15 s. */
        ROW(1, 14, 199 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 2000, MARK_NONE, NONE),
        ROW(15, 15, 199 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 2000, MARK_NONE,
            KILL(REASON_STUCK_AT_HIGH)),
};

/*
 * A start-up burst: 0 -> 85 % of max (217.6 MiB) in 1 s, sampled every 250 ms, then flat
 * for two minutes. Right after it everything but leak_sustain says "leak": above 80 %, a
 * smoothed rate of 217.6 MiB/s * (1 - e^-0.2) = 39.4 MiB/s and an eta of about 1 s, still
 * within the 300 s horizon until ~29 s. But it grew for 1 s, not 10: never throttled.
 * (Below 90 % of the band and no high events: no runaway either.)
 */
#define BURST_STEP (MAX_256M * 85 / 100 / 4) /* 57042534: a quarter of 85 % */
static const struct seg startup_burst[] = {
        ROW(0, 0, 0, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {250, 1000, 250, BURST_STEP, 4 * (int64_t) BURST_STEP, MAX_256M, HIGH_WRITTEN, 0, 0,
         MARK_NONE, NONE, ETA_ANY},
        ROW(2, 120, 4 * BURST_STEP, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};

/*
 * Slow leak, 256 MiB, 2 MiB/s from 150 MiB, a sample a second: growing since 0 s, so
 * sustained (10 s) long before it matters. 80 % is 204.8 MiB: 204 MiB at 27 s is below,
 * 206 MiB at 28 s above; the smoothed rate is then 2 MiB/s * (1 - e^-5.6) = 1.9926 MiB/s,
 * eta = 50 MiB / 1.9926 MiB/s = 25.09 s <= 300 s: THROTTLE at 206 MiB + 1 % of max,
 * rounded down to a page: 216006656 + 2684354 = 218691010 -> 53391 pages.
 */
#define LEAK_THROTTLE_S    28
#define LEAK_THROTTLE_WS   (206 * MiB)
#define LEAK_THROTTLE_HIGH UINT64_C(218689536) /* 208.56 MiB; 90 % of it is 187.70 MiB */
static const struct seg leak_until_throttle[] = {
        ROW(0, 0, 150 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 27, 152 * MiB, 2 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(28, 28, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, ACTION_THROTTLE,
            REASON_LEAK, LEAK_THROTTLE_HIGH),
};

/*
 * ... then the kernel holds it just under the throttle (208 of 208.56 MiB, at high) while
 * high events rise every second from 29 s: kill after 15 s of pushing, at 44 s.
 */
static const struct seg leak_persists[] = {
        ROW(29, 43, 208 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, NONE),
        ROW(44, 44, 208 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE,
            KILL(REASON_LEAK_PERSISTS)),
};

/*
 * High events already rising at the throttle call (28 s): kill exactly at 28 + 15 s. (At
 * 28 s the events rise at cgmem's band, but 206 MiB is below 90 % of it: no runaway.)
 */
static const struct seg leak_persists_from_throttle[] = {
        ROW(0, 0, 150 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 27, 152 * MiB, 2 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(28, 28, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, ACTION_THROTTLE,
            REASON_LEAK, LEAK_THROTTLE_HIGH),
        ROW(29, 42, 208 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, NONE),
        ROW(43, 43, 208 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE,
            KILL(REASON_LEAK_PERSISTS)),
};

static void run_table(const char *name, const struct seg *segs, size_t n, bool stuck_kills)
{
        struct sim s;

        sim_init(&s, name, segs[0].high);
        s.cfg.stuck_kills = stuck_kills;
        sim_run(&s, 0, segs, n);
}

#define TABLE_TEST(fn, table, kills)                                                               \
        static void fn(void **unused)                                                              \
        {                                                                                          \
                (void) unused;                                                                     \
                run_table(#table, table, ARRAY_LEN(table), kills);                                 \
        }

TABLE_TEST(test_no_limit, no_limit, true)
TABLE_TEST(test_protect_mark, protect_mark, true)
TABLE_TEST(test_guard_first_call, guard_first_call, true)
TABLE_TEST(test_guard_high_above_max, guard_high_above_max, true)
TABLE_TEST(test_guard_tiny, guard_tiny, true)
TABLE_TEST(test_guard_user_high, guard_user_high, true)
TABLE_TEST(test_runaway, runaway, true)
TABLE_TEST(test_runaway_no_events, runaway_no_events, true)
TABLE_TEST(test_slow_at_band, slow_at_band, true)
TABLE_TEST(test_leak_persists_from_throttle, leak_persists_from_throttle, true)
TABLE_TEST(test_runaway_not_at_high, runaway_not_at_high, true)
TABLE_TEST(test_runaway_operator_high, runaway_operator_high, true)
TABLE_TEST(test_startup_burst, startup_burst, true)

/*
 * A leak of 4 MiB/s in 1 MiB chunks, sampled every 250 ms; each chunk lands just after
 * a tick and its memory.events notification brings two extra calls 5 and 10 ms after
 * the tick, the high counter one up at each (page cache over the band). From 200 MiB:
 *   tick k (k * 250 ms):   200 + k MiB; instant 1 MiB / 250 ms = 4 MiB/s
 *   k * 250 + 5, + 10 ms:  201 + k MiB; instant from the base of tick k - 1:
 *                          2 MiB / 255 ms = 7.84 MiB/s, 2 MiB / 260 ms = 7.69 MiB/s
 * (over 5 ms, 1 MiB would read as 200 MiB/s). From k = 21 (222 MiB) the noise calls are at
 * 90 % of the band (221.18 MiB) with high events rising at cgmem's band, but neither rate
 * reaches 16 MiB/s (the smoothed one stays near 4 MiB/s): no runaway. Growing without a
 * pause since the first call (0 s), never below 64 KiB/s; above 80 % from 205 MiB (k = 5,
 * 1.25 s) but sustained only at 10 s: THROTTLE at tick 40, 240 MiB, with a smoothed rate
 * of 4 MiB/s * (1 - e^-2) = 3.46 MiB/s, a little more from the noise calls' pull toward
 * 7.8 MiB/s (3.58 MiB/s), eta 16 MiB / 3.58 MiB/s = 4.46 s; 240 MiB + 2684354 -> 61440 + 655
 * pages = 254341120 (below the band). First noise call at 255 ms: the first 250 ms after
 * the first call are test_noise_after_first_call.
 */
#define NOISE_W0       (200 * MiB)
#define NOISE_THROTTLE UINT64_C(254341120)
static void test_leak_noise(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "leak_noise", MAX_256M);
        s.step++;
        sim_sample(&s, T0_MS, NOISE_W0, MAX_256M, MAX_256M, 0, 0, MARK_NONE);
        check_decision(&s, GUARD(GUARD_256M), ETA_ANY);
        for (uint64_t k = 1; k <= 40; k++) {
                s.step++;
                sim_sample(&s, T0_MS + k * 250, NOISE_W0 + k * MiB, MAX_256M, HIGH_WRITTEN, 0, 0,
                           MARK_NONE);
                if (k < 40)
                        check_decision(&s, NONE, ETA_ANY);
                else
                        check_decision(&s, ACTION_THROTTLE, REASON_LEAK, NOISE_THROTTLE, ETA_ANY);
                CHECK(&s,
                      s.state.instant_bytes_per_sec > 3.99 * (double) MiB &&
                              s.state.instant_bytes_per_sec < 4.01 * (double) MiB,
                      "tick: instant rate %.0f B/s, want 4 MiB/s", s.state.instant_bytes_per_sec);
                if (k == 40)
                        break;
                for (uint64_t ms = 5; ms <= 10; ms += 5) {
                        s.step++;
                        sim_sample(&s, T0_MS + k * 250 + ms, NOISE_W0 + (k + 1) * MiB, MAX_256M,
                                   HIGH_WRITTEN, 1, 0, MARK_NONE);
                        check_decision(&s, NONE, ETA_ANY);
                        CHECK(&s, s.state.instant_bytes_per_sec < 8.0 * (double) MiB,
                              "noise: instant rate %.0f B/s, want < 8 MiB/s",
                              s.state.instant_bytes_per_sec);
                }
        }
        CHECK(&s, s.state.phase == PHASE_THROTTLED, "phase %d, want throttled", s.state.phase);
        CHECK(&s, s.last.eta_usec > 4000000 && s.last.eta_usec < 5200000,
              "eta_usec = %" PRId64 ", want ~4.46 s", s.last.eta_usec);
}

/*
 * The same noise right after the first call, before any base point is 250 ms old: at
 * 240 MiB, GUARD at the first call (the band, 245.75 MiB, is written with the working set
 * 97.7 % of it, so the kernel raises high events at once); a 1 MiB chunk and a
 * notification 5 ms later, another call at 10 ms; then the next tick at 250 ms and its
 * noise at 255 ms. Growth is 4 MiB/s throughout: no runaway at any call. (Over 5 ms from
 * the first point, 1 MiB reads as 200 MiB/s.)
 */
static const struct seg noise_after_first_call[] = {
        ROW(0, 0, 240 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {5, 10, 5, 241 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, NONE, ETA_ANY},
        {250, 250, 0, 241 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE, ETA_ANY},
        {255, 260, 5, 242 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, NONE, ETA_ANY},
};
TABLE_TEST(test_noise_after_first_call, noise_after_first_call, true)

static void test_leak_persists(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "leak_persists", MAX_256M);
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));
        CHECK(&s, s.state.phase == PHASE_THROTTLED, "phase %d, want throttled", s.state.phase);
        /* The eta that justified it: 50 MiB at ~1.99 MiB/s, about 25 s. */
        CHECK(&s, s.last.eta_usec > 24000000 && s.last.eta_usec < 26000000,
              "eta_usec = %" PRId64 ", want ~25 s", s.last.eta_usec);
        sim_run(&s, 0, leak_persists, ARRAY_LEN(leak_persists));
}

/* The leak stops at the throttle: flat at 206 MiB, no high events. */
static const struct seg leak_flat[] = {
        ROW(29, 37, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        /* release_after (10 s) after the throttle, back to the band it had */
        ROW(38, 38, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, ACTION_RELEASE,
            REASON_LEAK_STOPPED, GUARD_256M),
};

/*
 * The spec (policy.h: "throttled and quiet this long: release"): release 10 s after
 * the throttle when it went flat and quiet right after it (instant rate 0 from 29 s), to
 * the memory.high before the throttle, cgmem's band (not memory.high before cgmem touched
 * it, 256 MiB).
 */
static void test_leak_stopped_release_after(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "leak_stopped_release_after", MAX_256M);
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));
        sim_run(&s, 0, leak_flat, ARRAY_LEN(leak_flat));
        CHECK(&s, s.state.phase == PHASE_NORMAL, "phase %d, want normal", s.state.phase);
}

/*
 * After the release: phase normal, back at the band, and no new throttle during the
 * cooldown even though it grows again at 2 MiB/s from the release (38 s); the first
 * sample at the cooldown's end (48 s) throttles again: 226 MiB, growing since 38 s (10 s:
 * sustained too), smoothed rate 1.9926 MiB/s * e^-2 (flat 28-38 s) = 0.2697 MiB/s, then
 * 2 + (0.2697 - 2) * e^-2 = 1.7658 MiB/s, eta 30 MiB / 1.7658 = 17.0 s; 226 MiB + 2684354
 * -> 57856 + 655 pages = 239661056.
 */
static const struct seg leak_regrows[] = {
        ROW(1, 9, 208 * MiB, 2 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(10, 10, 226 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, ACTION_THROTTLE,
            REASON_LEAK, UINT64_C(239661056)),
};

/*
 * With the defaults, leak_sustain (10 s) and the cooldown (10 s) end together at 48 s;
 * with leak_sustain at 5 s the regrowth is sustained from 43 s and only the cooldown
 * holds the throttle back until 48 s (the release and the numbers are the same).
 */
static void leak_stopped_cooldown(const char *name, uint64_t sustain_usec)
{
        struct sim s;

        sim_init(&s, name, MAX_256M);
        s.cfg.leak_sustain_usec = sustain_usec;
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));

        /* Flat and quiet until released; not before release_after, and within 30 s. */
        uint64_t t;
        for (t = LEAK_THROTTLE_S + 1; t <= LEAK_THROTTLE_S + 30; t++) {
                s.step++;
                sim_sample(&s, T0_MS + S(t), LEAK_THROTTLE_WS, MAX_256M, HIGH_WRITTEN, 0, 0,
                           MARK_NONE);
                if (s.last.action != ACTION_NONE)
                        break;
        }
        check_decision(&s, ACTION_RELEASE, REASON_LEAK_STOPPED, GUARD_256M, ETA_ANY);
        CHECK(&s, t == LEAK_THROTTLE_S + 10, "released %" PRIu64 " s after the throttle, want 10",
              t - LEAK_THROTTLE_S);
        CHECK(&s, s.state.phase == PHASE_NORMAL, "phase %d, want normal", s.state.phase);
        CHECK(&s, s.kernel_high == GUARD_256M, "high %" PRIu64, s.kernel_high);
        CHECK(&s, s.state.cooldown_until_usec == (T0_MS + S(t)) * 1000 + 10000000,
              "cooldown until %" PRIu64, s.state.cooldown_until_usec);

        sim_run(&s, S(t), leak_regrows, ARRAY_LEN(leak_regrows));
}

static void test_leak_stopped_cooldown(void **unused)
{
        (void) unused;
        leak_stopped_cooldown("leak_stopped_cooldown", UINT64_C(10000000));
        leak_stopped_cooldown("leak_stopped_cooldown_sustain_5s", UINT64_C(5000000));
}

/*
 * Throttled, still creeping under the throttle at 100 KiB/s (no high events: 206 ->
 * 207.17 MiB stays below 208.56 MiB) until 40 s, then flat. Release is judged on the
 * instant rate: 100 KiB/s >= 64 KiB/s until 40 s holds it (past release_after at 38 s);
 * at 41 s the instant rate is 0: RELEASE to the band. (The smoothed rate would still be
 * 0.0977 + 1.8949 * e^-2.4 = 0.2696 MiB/s at 40 s, 226 KiB/s at 41 s.)
 */
static const struct seg leak_slowing[] = {
        ROW(29, 40, LEAK_THROTTLE_WS + 100 * KiB, 100 * (int64_t) KiB, MAX_256M, HIGH_WRITTEN, 0, 0,
            MARK_NONE, NONE),
        ROW(41, 41, LEAK_THROTTLE_WS + 1200 * KiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE,
            ACTION_RELEASE, REASON_LEAK_STOPPED, GUARD_256M),
        ROW(42, 45, LEAK_THROTTLE_WS + 1200 * KiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE,
            NONE),
};

static void test_leak_slowing_release(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "leak_slowing_release", MAX_256M);
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));
        sim_run(&s, 0, leak_slowing, ARRAY_LEN(leak_slowing));
}

/*
 * Throttled, then the working set falls to 150 MiB (below 90 % of the throttle, 187.70
 * MiB) while high events keep rising every second (page cache reclaimed at the
 * throttle): not a persisting leak, no kill; and not quiet, so no release either.
 */
static const struct seg leak_not_at_high[] = {
        ROW(29, 60, 150 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 0, MARK_NONE, NONE),
};

static void test_leak_persists_not_at_high(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "leak_persists_not_at_high", MAX_256M);
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));
        sim_run(&s, 0, leak_not_at_high, ARRAY_LEN(leak_not_at_high));
        CHECK(&s, s.state.phase == PHASE_THROTTLED, "phase %d, want throttled", s.state.phase);
}

/*
 * The same leak under the operator's own memory.high (250 MiB < max: no band placed):
 * throttled at 28 s as before, flat, released at 38 s back to the operator's 250 MiB, the
 * memory.high before the throttle.
 */
static const struct seg leak_operator_high[] = {
        ROW(0, 0, 150 * MiB, 0, MAX_256M, 250 * MiB, 0, 0, MARK_NONE, NONE),
        ROW(1, 27, 152 * MiB, 2 * (int64_t) MiB, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(28, 28, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, ACTION_THROTTLE,
            REASON_LEAK, LEAK_THROTTLE_HIGH),
        ROW(29, 37, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(38, 38, LEAK_THROTTLE_WS, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, ACTION_RELEASE,
            REASON_LEAK_STOPPED, 250 * MiB),
};
TABLE_TEST(test_leak_operator_high, leak_operator_high, true)

/*
 * Stuck at high: sitting at the band, flat, high events rising every second from 1 s,
 * PSI full avg10 at 10.00 %: resolved at 11 s (10 s of rising), not before. (At the band
 * with events rising, but flat: no runaway.)
 */
#define STUCK_TABLE(name, psi, ...)                                                                \
        static const struct seg name[] = {                                                         \
                ROW(0, 0, GUARD_256M, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),  \
                ROW(1, 10, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, (psi), MARK_NONE, NONE),      \
                ROW(11, 11, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, (psi), MARK_NONE,            \
                    __VA_ARGS__),                                                                  \
        }
STUCK_TABLE(stuck_kill, 1000, KILL(REASON_STUCK_AT_HIGH));
STUCK_TABLE(stuck_release, 1000, ACTION_RELEASE, REASON_STUCK_AT_HIGH, CG_VALUE_MAX);
STUCK_TABLE(stuck_psi_just_low, 999, NONE);

static const struct seg stuck_psi_low[] = {
        ROW(0, 0, GUARD_256M, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 60, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, 200, MARK_NONE, NONE),
};

/*
 * The high counter already at 100 when the container is first seen (say cgmem restarted):
 * history, not a rise at 0 s. Rising from 1 s, stuck at 11 s as above, not at 10 s.
 */
static const struct seg stuck_history[] = {
        ROW(0, 0, GUARD_256M, 0, MAX_256M, MAX_256M, 100, 1000, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 10, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, 1000, MARK_NONE, NONE),
        ROW(11, 11, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, 1000, MARK_NONE,
            KILL(REASON_STUCK_AT_HIGH)),
};

/*
 * Throttled by memory.high and stalling, but with the working set at 220 MiB, below 90 %
 * of the band (221.18 MiB): the events are page cache reclaimed at high, not a stuck
 * workload. Nothing for a minute.
 */
static const struct seg stuck_not_at_high[] = {
        ROW(0, 0, 220 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 60, 220 * MiB, 0, MAX_256M, HIGH_WRITTEN, 1, 5000, MARK_NONE, NONE),
};

TABLE_TEST(test_stuck_kill, stuck_kill, true)
TABLE_TEST(test_stuck_history, stuck_history, true)
TABLE_TEST(test_stuck_not_at_high, stuck_not_at_high, true)

/*
 * stuck_kills off: the release goes through the common path: phase normal, the cooldown
 * from 11 s, high events no longer counted as rising. memory.high is then "max" (at or
 * above memory.max under the same limit the band was placed for: no new band), so the
 * events still rising (and the stall) are not at high: nothing more.
 */
static void test_stuck_release(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "stuck_release", MAX_256M);
        s.cfg.stuck_kills = false;
        sim_run(&s, 0, stuck_release, ARRAY_LEN(stuck_release));
        CHECK(&s, s.kernel_high == CG_VALUE_MAX, "high %" PRIu64, s.kernel_high);
        CHECK(&s, s.state.phase == PHASE_NORMAL, "phase %d, want normal", s.state.phase);
        CHECK(&s, s.state.phase_since_usec == (T0_MS + S(11)) * 1000, "phase since %" PRIu64,
              s.state.phase_since_usec);
        CHECK(&s, s.state.cooldown_until_usec == (T0_MS + S(21)) * 1000,
              "cooldown until %" PRIu64 ", want 21 s", s.state.cooldown_until_usec);
        CHECK(&s, s.state.high_rising_since_usec == 0, "high events rising since %" PRIu64,
              s.state.high_rising_since_usec);

        static const struct seg after[] = {
                ROW(12, 40, GUARD_256M, 0, MAX_256M, HIGH_WRITTEN, 1, 1000, MARK_NONE, NONE),
        };
        sim_run(&s, 0, after, ARRAY_LEN(after));
}
TABLE_TEST(test_stuck_psi_just_low, stuck_psi_just_low, true)
TABLE_TEST(test_stuck_psi_low, stuck_psi_low, true)

/* Steady at 85 % of max, flat: guard, then nothing for a minute. */
#define WS_85 (MAX_256M * 85 / 100)
static const struct seg steady_85[] = {
        ROW(0, 0, WS_85, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {S(1), S(60), 0, WS_85, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE, -1},
};
TABLE_TEST(test_steady_85, steady_85, true)

/*
 * Page cache: the policy only sees the working set (struct policy_input has no
 * memory.current), so a container whose memory.current is mostly reclaimable cache
 * (say 250 of 256 MiB) but whose working set is 20 MiB and flat gets only its band.
 */
static const struct seg page_cache[] = {
        ROW(0, 0, 20 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        {S(1), S(60), 0, 20 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE, -1},
};
TABLE_TEST(test_page_cache, page_cache, true)

/* Growing 1 MiB/s from 60 MiB of 200 MiB: at 100 MiB, rate ~1 MiB/s, eta ~100 s. */
static const struct seg eta_growth[] = {
        ROW(0, 0, 60 * MiB, 0, 200 * MiB, 200 * MiB, 0, 0, MARK_NONE, GUARD(GUARD_200M)),
        ROW(1, 40, 61 * MiB, (int64_t) MiB, 200 * MiB, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};

static void test_eta_rate(void **unused)
{
        struct sim s;
        (void) unused;

        sim_init(&s, "eta_rate", 200 * MiB);
        sim_run(&s, 0, eta_growth, ARRAY_LEN(eta_growth));
        double rate = s.last.rate_bytes_per_sec, eta = (double) s.last.eta_usec / 1e6;
        CHECK(&s, fabs(rate - (double) MiB) < 0.01 * (double) MiB, "rate %.0f B/s, want ~1 MiB/s",
              rate);
        CHECK(&s, fabs(rate - s.state.rate_bytes_per_sec) < 1e-6,
              "decision rate %.0f != state %.0f", rate, s.state.rate_bytes_per_sec);
        CHECK(&s, fabs(eta - 100.0) < 1.0, "eta %.3f s, want ~100 s", eta);

        /*
         * Flat for a minute after the growth: the smoothed rate decays toward 0 but
         * stays positive, so eta is a long projection, never a near one.
         */
        for (uint64_t t = 41; t <= 100; t++) {
                s.step++;
                sim_sample(&s, T0_MS + S(t), 100 * MiB, 200 * MiB, HIGH_WRITTEN, 0, 0, MARK_NONE);
        }
        CHECK(&s, s.last.eta_usec == -1 || s.last.eta_usec > 300 * INT64_C(1000000),
              "flat: eta %" PRId64 ", want -1 or beyond the horizon", s.last.eta_usec);

        /* Shrinking: not growing, eta -1. */
        s.step++;
        sim_sample(&s, T0_MS + S(101), 99 * MiB, 200 * MiB, HIGH_WRITTEN, 0, 0, MARK_NONE);
        CHECK(&s, s.last.rate_bytes_per_sec < 0, "rate %.0f", s.last.rate_bytes_per_sec);
        CHECK(&s, s.last.eta_usec == -1, "shrinking: eta %" PRId64 ", want -1", s.last.eta_usec);

        /* Growing at or past max: eta 0. */
        s.step++;
        sim_sample(&s, T0_MS + S(102), 201 * MiB, 200 * MiB, HIGH_WRITTEN, 0, 0, MARK_NONE);
        CHECK(&s, s.last.rate_bytes_per_sec > 0, "rate %.0f", s.last.rate_bytes_per_sec);
        CHECK(&s, s.last.eta_usec == 0, "past max: eta %" PRId64 ", want 0", s.last.eta_usec);
}

/*
 * memory.max lowered (docker update -m, a VPA resize) after the band was placed: the
 * old band (1 GiB - 40.96 MiB) now sits above the new 256 MiB limit, which is "a
 * limit without a guard band" again. Expected: GUARD at the new band, then nothing.
 */
static const struct seg guard_max_lowered[] = {
        ROW(0, 0, 100 * MiB, 0, GiB, GiB, 0, 0, MARK_NONE, GUARD(GUARD_1G)),
        ROW(1, 5, 100 * MiB, 0, GiB, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(6, 6, 100 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(7, 10, 100 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
};
TABLE_TEST(test_guard_max_lowered, guard_max_lowered, true)

/*
 * memory.max raised from 256 MiB to 1 GiB: the kernel still has cgmem's 256 MiB band
 * as memory.high (the policy knows it is its own: state.guard_high_bytes), so the
 * container is throttled at 24 % of its new limit (and a burst through 246 MiB, the kernel
 * raising high events, is killed as a runaway at 24 % of its limit). Expected: GUARD at
 * the 1 GiB band, after which a burst to 246 MiB is nothing.
 */
static const struct seg guard_max_raised[] = {
        ROW(0, 0, 100 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 5, 100 * MiB, 0, MAX_256M, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE),
        ROW(6, 6, 100 * MiB, 0, GiB, HIGH_WRITTEN, 0, 0, MARK_NONE, GUARD(GUARD_1G)),
        {S(6) + 250, S(6) + 250, 0, 246 * MiB, 0, GiB, HIGH_WRITTEN, 0, 0, MARK_NONE, NONE,
         ETA_ANY},
};
TABLE_TEST(test_guard_max_raised, guard_max_raised, true)

/*
 * memory.max raised under a memory.high the operator set after cgmem's band (200 MiB, not
 * guard_high_bytes): the operator's, left alone.
 */
static const struct seg guard_max_raised_operator_high[] = {
        ROW(0, 0, 100 * MiB, 0, MAX_256M, MAX_256M, 0, 0, MARK_NONE, GUARD(GUARD_256M)),
        ROW(1, 5, 100 * MiB, 0, MAX_256M, 200 * MiB, 0, 0, MARK_NONE, NONE),
        ROW(6, 10, 100 * MiB, 0, GiB, 200 * MiB, 0, 0, MARK_NONE, NONE),
};
TABLE_TEST(test_guard_max_raised_operator_high, guard_max_raised_operator_high, true)

/*
 * Throttled, then marked protect (or its limit removed) at 29 s, still growing at 2 MiB/s:
 * "nothing to enforce" must not leave cgmem's throttle in place for ever. Expected: a
 * RELEASE (leak_stopped) at once, back to the memory.high before the throttle (the band),
 * whatever the rate; then phase normal and nothing more.
 */
static void throttled_then(const char *name, uint64_t max, enum policy_mark mark)
{
        const struct seg after[] = {
                {S(29), S(29), 0, 208 * MiB, 0, max, HIGH_WRITTEN, 0, 0, mark, ACTION_RELEASE,
                 REASON_LEAK_STOPPED, GUARD_256M, ETA_ANY},
                {S(30), S(40), 0, 210 * MiB, 2 * (int64_t) MiB, max, HIGH_WRITTEN, 0, 0, mark, NONE,
                 ETA_ANY},
        };
        struct sim s;

        sim_init(&s, name, MAX_256M);
        sim_run(&s, 0, leak_until_throttle, ARRAY_LEN(leak_until_throttle));
        sim_run(&s, 0, after, ARRAY_LEN(after));
        CHECK(&s, s.state.phase == PHASE_NORMAL, "phase %d, want normal", s.state.phase);
        CHECK(&s, s.kernel_high == GUARD_256M, "high %" PRIu64, s.kernel_high);
}

static void test_throttled_then_protect(void **unused)
{
        (void) unused;
        throttled_then("throttled_then_protect", MAX_256M, MARK_PROTECT);
}

static void test_throttled_then_no_limit(void **unused)
{
        (void) unused;
        throttled_then("throttled_then_no_limit", CG_VALUE_MAX, MARK_NONE);
}

/* ---------------------------------------------------------------------------------- */

struct rank_case {
        const char *name;
        struct victim_candidate in[8];
        unsigned n;
        unsigned eligible;
        const char *order[8]; /* ids expected in order; NULL: either of a tie (see below) */
        double scores[8];     /* by expected position; < 0: not checked */
};

#define C(id, ws, prot, rate, mark)                                                                \
        {                                                                                          \
                (id), (ws), (prot), (rate), (mark), -1                                             \
        }

static const struct rank_case rank_cases[] = {
        {
                "tiers",
                {
                        C("x1", 2 * GiB, 0, 0, MARK_PROTECT), /* biggest, first: still last */
                        C("n1", 500 * MiB, 0, 0, MARK_NONE),
                        C("a1", GiB, 0, 0, MARK_AVOID),
                        C("p2", 50 * MiB, 0, 0, MARK_PREFER),
                        C("n2", 400 * MiB, 0, 20.0 * (double) MiB, MARK_NONE),
                        C("p1", 100 * MiB, 0, 0, MARK_PREFER),
                },
                6,
                5,
                {"p1", "p2", "n2", "n1", "a1", "x1"},
                {100.0 * MiB, 50.0 * MiB, 600.0 * MiB, 500.0 * MiB, 1024.0 * MiB, -1},
        },
        {
                "protection and growth",
                {
                        C("n1", 300 * MiB, 250 * MiB, 0, MARK_NONE),
                        C("n3", 200 * MiB, GiB, 0, MARK_NONE), /* below its memory.low: 0 */
                        C("n2", 100 * MiB, 0, 0, MARK_NONE), C("n4", 10 * MiB, 0, 0, MARK_NONE),
                        C("n5", 200 * MiB, GiB, 2.0 * (double) MiB, MARK_NONE),
                        C("n6", 60 * MiB, 0, -5.0 * (double) MiB, MARK_NONE), /* shrinking */
                },
                6,
                6,
                {"n2", "n6", "n1", "n5", "n4", "n3"},
                {100.0 * MiB, 60.0 * MiB, 50.0 * MiB, 20.0 * MiB, 10.0 * MiB, 0},
        },
        {
                "only protected",
                {
                        C("x1", GiB, 0, 0, MARK_PROTECT),
                        C("x2", 2 * GiB, 0, 0, MARK_PROTECT),
                },
                2,
                0,
                {NULL, NULL},
                {-1, -1},
        },
        {
                "ties below a clear top",
                {
                        C("t1", 100 * MiB, 0, 0, MARK_NONE),
                        C("top", 300 * MiB, 0, 0, MARK_NONE),
                        C("t2", 100 * MiB, 0, 0, MARK_NONE),
                        C("t3", 150 * MiB, 50 * MiB, 0, MARK_NONE), /* ties at 100 MiB too */
                        C("av", 900 * MiB, 0, 0, MARK_AVOID),
                },
                5,
                5,
                {"top", NULL, NULL, NULL, "av"},
                {300.0 * MiB, 100.0 * MiB, 100.0 * MiB, 100.0 * MiB, 900.0 * MiB},
        },
        {"empty", {C("unused", 0, 0, 0, MARK_NONE)}, 0, 0, {NULL}, {-1}},
};

static void test_rank_victims(void **unused)
{
        (void) unused;

        for (size_t k = 0; k < ARRAY_LEN(rank_cases); k++) {
                const struct rank_case *rc = &rank_cases[k];
                struct victim_candidate c[8];
                unsigned eligible = 12345;

                memcpy(c, rc->in, sizeof(c));
                policy_rank_victims(c, rc->n, &eligible);
                if (eligible != rc->eligible) {
                        print_error("%s: eligible %u, want %u\n", rc->name, eligible, rc->eligible);
                        fail();
                }
                for (unsigned i = 0; i < rc->n; i++) {
                        const char *got = c[i].id;
                        if (rc->order[i] && strcmp(got, rc->order[i]) != 0) {
                                print_error("%s: position %u is %s, want %s\n", rc->name, i, got,
                                            rc->order[i]);
                                fail();
                        }
                        if (rc->scores[i] >= 0 && fabs(c[i].score - rc->scores[i]) > 1.0) {
                                print_error("%s: position %u (%s) score %.0f, want %.0f\n",
                                            rc->name, i, got, c[i].score, rc->scores[i]);
                                fail();
                        }
                        /* protect-marked exactly in the tail past the eligible ones */
                        if ((i >= rc->eligible) != (c[i].mark == MARK_PROTECT)) {
                                print_error("%s: position %u (%s) mark %d, eligible %u\n", rc->name,
                                            i, got, c[i].mark, rc->eligible);
                                fail();
                        }
                }
                /* A permutation: every input id still present once. */
                for (unsigned i = 0; i < rc->n; i++) {
                        unsigned seen = 0;
                        for (unsigned j = 0; j < rc->n; j++)
                                seen += c[j].id == rc->in[i].id;
                        if (seen != 1) {
                                print_error("%s: %s present %u times\n", rc->name,
                                            (const char *) rc->in[i].id, seen);
                                fail();
                        }
                }
        }
}

static void test_to_string(void **unused)
{
        static const struct {
                enum policy_action a;
                const char *s;
        } actions[] = {
                {ACTION_NONE, "none"},       {ACTION_GUARD, "guard"}, {ACTION_THROTTLE, "throttle"},
                {ACTION_RELEASE, "release"}, {ACTION_KILL, "kill"},
        };
        static const struct {
                enum policy_reason r;
                const char *s;
        } reasons[] = {
                {REASON_NONE, "none"},
                {REASON_GUARD_BAND, "guard_band"},
                {REASON_RUNAWAY, "runaway"},
                {REASON_LEAK, "leak"},
                {REASON_LEAK_PERSISTS, "leak_persists"},
                {REASON_LEAK_STOPPED, "leak_stopped"},
                {REASON_STUCK_AT_HIGH, "stuck_at_high"},
                {REASON_NODE_PRESSURE, "node_pressure"},
        };
        (void) unused;

        /* Every value: the enums are dense from 0, and the tables cover them all. */
        assert_int_equal(ARRAY_LEN(actions), ACTION_KILL + 1);
        assert_int_equal(ARRAY_LEN(reasons), REASON_NODE_PRESSURE + 1);
        for (size_t i = 0; i < ARRAY_LEN(actions); i++) {
                assert_int_equal(actions[i].a, i);
                assert_non_null(policy_action_to_string(actions[i].a));
                assert_string_equal(policy_action_to_string(actions[i].a), actions[i].s);
        }
        for (size_t i = 0; i < ARRAY_LEN(reasons); i++) {
                assert_int_equal(reasons[i].r, i);
                assert_non_null(policy_reason_to_string(reasons[i].r));
                assert_string_equal(policy_reason_to_string(reasons[i].r), reasons[i].s);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_defaults),
                cmocka_unit_test(test_guard_high),
                cmocka_unit_test(test_no_limit),
                cmocka_unit_test(test_protect_mark),
                cmocka_unit_test(test_guard_first_call),
                cmocka_unit_test(test_guard_high_above_max),
                cmocka_unit_test(test_guard_tiny),
                cmocka_unit_test(test_guard_user_high),
                cmocka_unit_test(test_runaway),
                cmocka_unit_test(test_runaway_no_events),
                cmocka_unit_test(test_slow_at_band),
                cmocka_unit_test(test_runaway_not_at_high),
                cmocka_unit_test(test_runaway_operator_high),
                cmocka_unit_test(test_startup_burst),
                cmocka_unit_test(test_leak_noise),
                cmocka_unit_test(test_noise_after_first_call),
                cmocka_unit_test(test_leak_persists),
                cmocka_unit_test(test_leak_persists_from_throttle),
                cmocka_unit_test(test_leak_persists_not_at_high),
                cmocka_unit_test(test_leak_stopped_release_after),
                cmocka_unit_test(test_leak_stopped_cooldown),
                cmocka_unit_test(test_leak_slowing_release),
                cmocka_unit_test(test_leak_operator_high),
                cmocka_unit_test(test_stuck_kill),
                cmocka_unit_test(test_stuck_history),
                cmocka_unit_test(test_stuck_not_at_high),
                cmocka_unit_test(test_stuck_release),
                cmocka_unit_test(test_stuck_psi_just_low),
                cmocka_unit_test(test_stuck_psi_low),
                cmocka_unit_test(test_steady_85),
                cmocka_unit_test(test_page_cache),
                cmocka_unit_test(test_eta_rate),
                cmocka_unit_test(test_guard_max_lowered),
                cmocka_unit_test(test_guard_max_raised),
                cmocka_unit_test(test_guard_max_raised_operator_high),
                cmocka_unit_test(test_throttled_then_protect),
                cmocka_unit_test(test_throttled_then_no_limit),
                cmocka_unit_test(test_rank_victims),
                cmocka_unit_test(test_to_string),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
