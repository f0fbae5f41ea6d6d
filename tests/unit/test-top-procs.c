/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for top's processes view (supervisor/view/top-procs.c and its
 * rendering): growth between refreshes, processes that come and go, the sort
 * keys and their order, and what a frame shows.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/view/top-procs.h"
#include "supervisor/view/top-render.h"

#define MiB  (UINT64_C(1) << 20)
#define SEC  UINT64_C(1000000)
#define NONE PROC_VALUE_UNKNOWN

static struct proc_memory proc(pid_t pid, const char *comm, uint64_t anon, uint64_t shmem,
                               uint64_t pss)
{
        struct proc_memory m = {.pid = pid,
                                .rss_anon_bytes = anon,
                                .rss_file_bytes = MiB,
                                .rss_shmem_bytes = shmem,
                                .pss_bytes = pss,
                                .uss_bytes = pss == NONE ? NONE : pss / 2};
        snprintf(m.comm, sizeof(m.comm), "%s", comm);
        return m;
}

static pid_t pid_at(const struct top_procs *p, size_t i)
{
        return p->rows[i].m.pid;
}

static void test_growth_and_sort(void **state)
{
        struct top_procs p;
        (void) state;

        assert_int_equal(top_procs_init(&p, "/app"), 0);
        struct proc_memory first[] = {proc(10, "sh", 1 * MiB, 0, 2 * MiB),
                                      proc(20, "memhog", 40 * MiB, 0, NONE),
                                      proc(30, "sleep", 0, 8 * MiB, 9 * MiB)};
        assert_int_equal(top_procs_update(&p, first, 3, 3, true, 10 * SEC), 0);
        /* By RSS, largest first; nothing has a growth yet. */
        assert_int_equal(pid_at(&p, 0), 20);
        assert_int_equal(pid_at(&p, 1), 30);
        assert_int_equal(pid_at(&p, 2), 10);
        for (size_t i = 0; i < p.n_rows; i++)
                assert_false(p.rows[i].has_growth);
        assert_int_equal(p.n_smaps, 2);

        /* A second later memhog grew by 16 MiB, sleep is gone, a newcomer arrived. */
        struct proc_memory second[] = {proc(10, "sh", 1 * MiB, 0, 2 * MiB),
                                       proc(20, "memhog", 56 * MiB, 0, NONE),
                                       proc(40, "worker", 4 * MiB, 0, 5 * MiB)};
        assert_int_equal(top_procs_update(&p, second, 3, 5, false, 11 * SEC), 0);
        assert_int_equal(p.n_procs, 5);
        assert_false(p.complete);
        assert_int_equal(pid_at(&p, 0), 20);
        assert_true(p.rows[0].has_growth);
        assert_float_equal(p.rows[0].growth_bytes_per_sec, 16.0 * MiB, 1.0);
        top_procs_set_sort(&p, TOP_PROC_GROWTH);
        assert_int_equal(pid_at(&p, 0), 20); /* grew */
        assert_int_equal(pid_at(&p, 1), 10); /* 0/s */
        assert_int_equal(pid_at(&p, 2), 40); /* no growth yet: last */
        assert_false(p.rows[2].has_growth);

        /* A third refresh smooths: half as fast now, the estimate falls but stays above. */
        struct proc_memory third[] = {proc(20, "memhog", 64 * MiB, 0, NONE)};
        assert_int_equal(top_procs_update(&p, third, 1, 1, true, 12 * SEC), 0);
        assert_true(p.rows[0].growth_bytes_per_sec < 16.0 * MiB);
        assert_true(p.rows[0].growth_bytes_per_sec > 8.0 * MiB);

        /* PSS unknown sorts last; the same key again reverses; < and > names. */
        assert_int_equal(top_procs_update(&p, second, 3, 3, true, 13 * SEC), 0);
        top_procs_set_sort(&p, TOP_PROC_PSS);
        assert_int_equal(pid_at(&p, 0), 40);
        assert_int_equal(pid_at(&p, 2), 20);
        top_procs_set_sort(&p, TOP_PROC_PSS);
        assert_true(p.reverse);
        assert_int_equal(pid_at(&p, 0), 20);
        top_procs_set_sort(&p, TOP_PROC_COMM);
        assert_false(p.reverse);
        assert_string_equal(p.rows[0].m.comm, "memhog");
        assert_int_equal(top_proc_col_from_string("shmem"), TOP_PROC_SHMEM);
        assert_int_equal(top_proc_col_from_string("nope"), _TOP_PROC_COL_INVALID);
        assert_string_equal(top_proc_col_to_string(TOP_PROC_GROWTH), "growth");
        top_procs_done(&p);
}

static const char *line(const struct top_screen *s, size_t i)
{
        assert_true(i < s->n_lines);
        return s->lines[i].text;
}

static void test_render(void **state)
{
        struct top_procs p;
        struct top_screen s = {0};
        (void) state;

        assert_int_equal(top_procs_init(&p, "/system.slice/demo-leaking.scope"), 0);
        top_render_procs(&p, "demo-leaking", &(struct top_frame){0}, &s);
        assert_non_null(strstr(line(&s, 3), "(reading)"));

        struct proc_memory a[] = {proc(4713, "memhog", 40 * MiB, 0, NONE),
                                  proc(4711, "sh", 1 * MiB, 512 * 1024, 2 * MiB)};
        struct proc_memory b[] = {proc(4713, "memhog", 48 * MiB, 0, NONE),
                                  proc(4711, "sh", 1 * MiB, 512 * 1024, 2 * MiB)};
        assert_int_equal(top_procs_update(&p, a, 2, 2, true, 1 * SEC), 0);
        assert_int_equal(top_procs_update(&p, b, 2, 2, true, 3 * SEC), 0);
        top_screen_clear(&s);
        top_render_procs(&p, "demo-leaking", &(struct top_frame){.max_rows = 1}, &s);
        assert_int_equal(s.n_lines, 4); /* title, counts, header, one row */
        assert_non_null(strstr(line(&s, 0), "processes of demo-leaking"));
        assert_non_null(strstr(line(&s, 0), "sort: rss"));
        assert_non_null(strstr(line(&s, 1), "/system.slice/demo-leaking.scope: 2 processes"));
        assert_non_null(strstr(line(&s, 1), "PSS and USS read for 1"));
        assert_non_null(strstr(line(&s, 2), "PID COMMAND"));
        assert_non_null(strstr(line(&s, 2), "GROWTH"));
        /* memhog: 49M RSS, PSS not read ("-"), +4.0M/s. */
        assert_non_null(strstr(line(&s, 3), "4713 memhog"));
        assert_non_null(strstr(line(&s, 3), "49M"));
        assert_non_null(strstr(line(&s, 3), " - "));
        assert_non_null(strstr(line(&s, 3), "+4.0M/s"));

        /* --json: a line per process, null for what was not read or not yet known. */
        char *json = NULL;
        size_t json_len = 0;
        FILE *f = open_memstream(&json, &json_len);
        assert_non_null(f);
        assert_int_equal(top_print_procs_json(&p, 2, f), 0);
        fclose(f);
        assert_non_null(strstr(json, "{\"frame\":2,\"cgroup\":\"/system.slice/demo-leaking.scope\","
                                     "\"pid\":4713,\"comm\":\"memhog\",\"rss_bytes\":51380224,"));
        assert_non_null(strstr(json, "\"pss_bytes\":null,\"uss_bytes\":null,"
                                     "\"growth_bytes_per_sec\":4.1943e6}\n"));
        assert_non_null(strstr(json, "\"pid\":4711,"));
        free(json);

        top_procs_failed(&p, -ENOENT);
        top_screen_clear(&s);
        top_render_procs(&p, "demo-leaking", &(struct top_frame){0}, &s);
        assert_non_null(strstr(line(&s, 1), "the cgroup is gone"));
        top_screen_free(&s);
        top_procs_done(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_growth_and_sort),
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
