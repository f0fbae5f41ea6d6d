/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for parse_meminfo() (cgroupfs/meminfo.c) on /proc/meminfo text. */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroupfs/meminfo.h"

#define KiB UINT64_C(1024)

static int parse(const char *text, struct meminfo *m)
{
        return parse_meminfo(text, strlen(text), m);
}

/* A 6.1 guest's file as the kernel prints it, unknown keys and unit-less lines included. */
static void test_kernel_file(void **state)
{
        static const char text[] = "MemTotal:        1004028 kB\n"
                                   "MemFree:          731468 kB\n"
                                   "MemAvailable:     802512 kB\n"
                                   "Buffers:               0 kB\n"
                                   "Cached:           148616 kB\n"
                                   "SwapCached:          12 kB\n"
                                   "Active(file):          0 kB\n"
                                   "SwapTotal:        524284 kB\n"
                                   "SwapFree:         524200 kB\n"
                                   "Shmem:             95632 kB\n"
                                   "HugePages_Total:       0\n"
                                   "Hugepagesize:       2048 kB\n";
        struct meminfo m;
        (void) state;

        assert_int_equal(parse(text, &m), 0);
        assert_int_equal(m.mem_total, 1004028 * KiB);
        assert_int_equal(m.mem_free, 731468 * KiB);
        assert_int_equal(m.mem_available, 802512 * KiB);
        assert_int_equal(m.cached, 148616 * KiB);
        assert_int_equal(m.swap_cached, 12 * KiB);
        assert_int_equal(m.swap_total, 524284 * KiB);
        assert_int_equal(m.swap_free, 524200 * KiB);
        assert_int_equal(m.shmem, 95632 * KiB);
}

static void test_required_keys(void **state)
{
        static const char *const missing[] = {
                /* no MemAvailable */
                "MemTotal: 1 kB\nMemFree: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
                /* no SwapFree */
                "MemTotal: 1 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\nSwapTotal: 0 kB\n",
                "",
        };
        struct meminfo m;
        (void) state;

        for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
                assert_int_equal(parse(missing[i], &m), -EINVAL);
}

static void test_malformed(void **state)
{
        static const char base[] =
                "MemTotal: 8 kB\nMemFree: 4 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n";
        static const char *const bad[] = {
                "MemAvailable: x kB\n",                     /* not a number */
                "MemAvailable: 12 MB\n",                    /* another unit */
                "MemAvailable:12 kB\n",                     /* no blank after the colon */
                "MemAvailable: \n",                         /* no value */
                "MemAvailable: -1 kB\n",                    /* a sign */
                "MemAvailable: 1 kB\nMemAvailable: 1 kB\n", /* twice */
                "MemAvailable 1 kB\n",                      /* no colon */
        };
        char text[512];
        struct meminfo m;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(text, sizeof(text), "%s%s", base, bad[i]);
                assert_int_equal(parse(text, &m), -EINVAL);
        }
        snprintf(text, sizeof(text), "%sMemAvailable: 18014398509481984 kB\n", base);
        assert_int_equal(parse(text, &m), -ERANGE);
        /* A line this parser does not know may say anything. */
        snprintf(text, sizeof(text), "%sMemAvailable: 4 kB\nWhatever(new): x y z\n", base);
        assert_int_equal(parse(text, &m), 0);
        assert_int_equal(m.mem_available, 4 * KiB);
}

/* *ret is written only on success. */
static void test_untouched_on_error(void **state)
{
        struct meminfo m;
        (void) state;

        memset(&m, 0x5a, sizeof(m));
        assert_int_equal(parse("MemTotal: 1 kB\n", &m), -EINVAL);
        for (size_t i = 0; i < sizeof(m); i++)
                assert_int_equal(((unsigned char *) &m)[i], 0x5a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_file),
                cmocka_unit_test(test_required_keys),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_untouched_on_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
