/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the flight recorder (supervisor/recorder/): what it keeps of
 * an idle and of a busy container, its two rings, and the stories it tells of
 * a leak, a tmpfs that fills, and a container that did not grow.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "supervisor/recorder/recorder.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define SEC UINT64_C(1000000)
#define MS  UINT64_C(1000)
#define T0  (100 * SEC)
#define ALL (RECORDER_FINE + RECORDER_COARSE + 1)

static struct memcg_sample sample(uint64_t anon, uint64_t file, uint64_t shmem)
{
        struct memcg_sample s = {0};

        s.stat.anon = anon;
        s.stat.shmem = shmem;
        s.stat.file = file + shmem; /* memory.stat's file counts shmem */
        s.stat.kernel = 2 * MiB;
        s.have = MEMCG_HAVE_STAT_KERNEL;
        s.current_bytes = anon + file + shmem + s.stat.kernel;
        return s;
}

/* An hour of the same numbers: one point, no ring. */
static void test_idle_keeps_one_point(void **state)
{
        struct recorder r;
        struct recorder_point p[ALL];
        struct memcg_sample s = sample(50 * MiB, 10 * MiB, 0);
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t < 3600 * SEC; t += SEC)
                recorder_note(&r, &s, T0 + t);
        assert_int_equal(recorder_points(&r, p, ALL), 1);
        assert_int_equal(recorder_heap_bytes(&r), 0);
        recorder_done(&r);
}

/*
 * Growing 1 MiB every 100 ms for 15 minutes: the fine ring holds the last
 * points 300 ms apart, the coarse one the minutes before, 10 s apart, oldest
 * first; the memory is the two rings and no more.
 */
static void test_rings(void **state)
{
        struct recorder r;
        struct recorder_point p[ALL];
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 900 * SEC; t += 100 * MS) {
                struct memcg_sample s = sample(10 * MiB + t / (100 * MS) * MiB, 0, 0);
                recorder_note(&r, &s, T0 + t);
        }
        size_t n = recorder_points(&r, p, ALL);
        assert_int_equal(n, RECORDER_FINE + RECORDER_COARSE);
        for (size_t i = 1; i < n; i++)
                assert_true(p[i].t_ds > p[i - 1].t_ds);
        assert_int_equal(p[n - 1].t_ds, 9000);
        /* Fine: 300 ms apart; coarse: 10 s apart, reaching back 12 minutes. */
        assert_int_equal(p[n - 2].t_ds - p[n - 3].t_ds, 3);
        assert_true(p[n - 1].t_ds - p[n - 2].t_ds <= 3); /* the newest: the latest sample */
        assert_true(p[1].t_ds - p[0].t_ds >= 100);
        assert_int_equal(recorder_heap_bytes(&r),
                         (RECORDER_FINE + RECORDER_COARSE) * sizeof(struct recorder_point));
        assert_true(recorder_heap_bytes(&r) <= 6 * KiB);
        recorder_done(&r);
        assert_int_equal(recorder_heap_bytes(&r), 0);
}

/* Flat at 200 MiB for 2 minutes, then a 2 MiB/s leak of anon for 3 minutes. */
static void test_story_leak(void **state)
{
        struct recorder r;
        struct story st;
        struct memcg_sample s;
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 300 * SEC; t += SEC) {
                uint64_t leaked = t > 120 * SEC ? (t - 120 * SEC) / SEC * 2 * MiB : 0;
                s = sample(200 * MiB + leaked, 30 * MiB, 0);
                recorder_note(&r, &s, T0 + t);
        }
        recorder_story(&r, &s, T0 + 300 * SEC, &st);
        /* It began at 120 s, 180 s before the end (within a coarse point, 10 s). */
        assert_true(st.began_usec_ago >= (int64_t) (180 * SEC) &&
                    st.began_usec_ago <= (int64_t) (190 * SEC));
        assert_true(st.grew_bytes >= 356 * MiB && st.grew_bytes <= 360 * MiB);
        assert_true(st.rate_bytes_per_sec > 1.9 * MiB && st.rate_bytes_per_sec < 2.05 * MiB);
        assert_int_equal(st.grew_most, STORY_ANON);
        assert_string_equal(story_kind_to_string(st.grew_most), "anon");
        assert_true(st.kinds_bytes[STORY_FILE] == 0);
        assert_int_equal(st.frees_bytes, 560 * MiB + 2 * MiB);
        assert_int_equal(st.stays_bytes, 30 * MiB);
        assert_int_equal(st.peak_bytes, (560 + 30 + 2) * MiB);
        assert_true(st.n_points > 1 && st.n_points <= STORY_POINTS);
        assert_int_equal(st.points[st.n_points - 1].ago_usec, 0);
        assert_int_equal(st.points[st.n_points - 1].footprint_bytes, 562 * MiB);
        recorder_done(&r);
}

/*
 * The leak among idle siblings: the container starts empty, its siblings add
 * half a megabyte, 3 s of quiet, then 16 MiB/s. The leak began when the quiet
 * ended, not when the container started.
 */
static void test_story_leak_after_siblings(void **state)
{
        struct recorder r;
        struct story st;
        struct memcg_sample s;
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 8 * SEC; t += 250 * MS) {
                uint64_t siblings = t >= 500 * MS ? 512 * KiB : 0;
                uint64_t leaked = t > 5 * SEC ? (t - 5 * SEC) * 16 / SEC * MiB : 0;
                s = sample(siblings + leaked, MiB, 0);
                recorder_note(&r, &s, T0 + t);
        }
        recorder_story(&r, &s, T0 + 8 * SEC, &st);
        assert_true(st.began_usec_ago >= (int64_t) (3 * SEC) &&
                    st.began_usec_ago <= (int64_t) (3250 * MS));
        assert_true(st.rate_bytes_per_sec > 14.0 * MiB && st.rate_bytes_per_sec < 16.5 * MiB);
        recorder_done(&r);
}

/*
 * A minute idle, then 32 MiB/s for 3 s: the climb began when the idle minute
 * ended (the recorder keeps the last sample that still showed the low), not
 * when the low was first kept.
 */
static void test_story_after_idle(void **state)
{
        struct recorder r;
        struct story st;
        struct memcg_sample s;
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 63 * SEC; t += SEC) {
                uint64_t grown = t > 60 * SEC ? (t - 60 * SEC) / SEC * 32 * MiB : 0;
                s = sample(10 * MiB + grown, MiB, 0);
                recorder_note(&r, &s, T0 + t);
        }
        recorder_story(&r, &s, T0 + 63 * SEC, &st);
        /* Between the last sample that showed the low (60 s) and the first that did not. */
        assert_true(st.began_usec_ago >= (int64_t) (2 * SEC) &&
                    st.began_usec_ago <= (int64_t) (3 * SEC));
        assert_int_equal(st.grew_bytes, 96 * MiB);
        recorder_done(&r);
}

/* A tmpfs filling: shmem grew, and a kill does not give it back. */
static void test_story_tmpfs(void **state)
{
        struct recorder r;
        struct story st;
        struct memcg_sample s;
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 60 * SEC; t += SEC) {
                s = sample(20 * MiB, 0, t / SEC * 4 * MiB);
                recorder_note(&r, &s, T0 + t);
        }
        recorder_story(&r, &s, T0 + 60 * SEC, &st);
        assert_int_equal(st.grew_most, STORY_SHMEM);
        assert_int_equal(st.shmem_bytes, 240 * MiB);
        assert_int_equal(st.stays_bytes, 240 * MiB);
        assert_int_equal(st.frees_bytes, 22 * MiB);
        recorder_done(&r);
}

/* Page cache coming and going is no growth of the footprint. */
static void test_story_no_growth(void **state)
{
        struct recorder r;
        struct story st;
        struct memcg_sample s;
        (void) state;

        recorder_init(&r, T0);
        for (uint64_t t = 0; t <= 60 * SEC; t += SEC) {
                s = sample(100 * MiB, (t / SEC % 10) * 10 * MiB, 0);
                recorder_note(&r, &s, T0 + t);
        }
        recorder_story(&r, &s, T0 + 60 * SEC, &st);
        assert_int_equal(st.began_usec_ago, -1);
        assert_int_equal(st.grew_bytes, 0);
        assert_int_equal(st.window_usec, 60 * SEC);
        recorder_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idle_keeps_one_point),
                cmocka_unit_test(test_rings),
                cmocka_unit_test(test_story_leak),
                cmocka_unit_test(test_story_tmpfs),
                cmocka_unit_test(test_story_no_growth),
                cmocka_unit_test(test_story_leak_after_siblings),
                cmocka_unit_test(test_story_after_idle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
