/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the per-kill files (supervisor/emit/records.c): their names,
 * what is in one, and that the oldest beyond kills_keep go.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "supervisor/emit/records.h"
#include "unit-util.h"

#define MiB UINT64_C(1048576)
#define SEC UINT64_C(1000000)
/* 2026-12-04T17:15:02Z */
#define REALTIME (UINT64_C(1796404502) * SEC)

static size_t count_json(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += strstr(de->d_name, ".json") != NULL;
        closedir(d);
        return n;
}

static void test_name(void **state)
{
        struct kill_records kr;
        char *dir = make_scratch(), path[512], want[512];
        (void) state;

        assert_int_equal(kill_records_open(&kr, dir, 10), 0);
        assert_true(kill_records_path(&kr, 1234, REALTIME, path, sizeof(path)));
        snprintf(want, sizeof(want), "%s/20261204T171502Z-1234.json", dir);
        assert_string_equal(path, want);
        kill_records_close(&kr);
        assert_int_equal(kill_records_open(&kr, "", 10), 0);
        assert_false(kill_records_path(&kr, 1, REALTIME, path, sizeof(path)));
        kill_records_close(&kr);
        rm_rf(dir);
        free(dir);
}

/* A fresh install has no /var/lib/cgmem: the directory is made with its parents. */
static void test_open_makes_parents(void **state)
{
        struct kill_records kr;
        char *dir = make_scratch(), nested[512];
        struct stat st;
        (void) state;

        snprintf(nested, sizeof(nested), "%s/lib/cgmem/kills", dir);
        assert_int_equal(kill_records_open(&kr, nested, 10), 0);
        assert_int_equal(stat(nested, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        kill_records_close(&kr);
        rm_rf(dir);
        free(dir);
}

/* Three kills with room for two: the first goes; the newest holds what it should. */
static void test_write_and_keep(void **state)
{
        struct kill_records kr;
        struct recorder rec;
        struct memcg_sample s = {0};
        struct proc_memory top[1] = {{.pid = 42,
                                      .comm = "hog",
                                      .rss_anon_bytes = 200 * MiB,
                                      .pss_bytes = PROC_VALUE_UNKNOWN,
                                      .uss_bytes = PROC_VALUE_UNKNOWN}};
        struct procs_snapshot procs = {.top = top, .n_top = 1, .n_procs = 3, .complete = true};
        char *dir = make_scratch(), path[512];
        (void) state;

        assert_int_equal(kill_records_open(&kr, dir, 2), 0);
        recorder_init(&rec, 0);
        for (uint64_t t = 0; t < 30; t++) {
                s.stat.anon = t * 8 * MiB;
                s.current_bytes = s.stat.anon;
                recorder_note(&rec, &s, t * SEC);
        }
        for (uint64_t seq = 10; seq < 13; seq++) {
                char line[64];
                snprintf(line, sizeof(line), "{\"schema\":2,\"seq\":%llu,\"type\":\"kill\"}",
                         (unsigned long long) seq);
                assert_true(kill_records_path(&kr, seq, REALTIME + seq * SEC, path, sizeof(path)));
                assert_int_equal(
                        kill_records_write(&kr, path, line, &rec, &s, 30 * SEC, &procs, 500000), 0);
        }
        assert_int_equal(count_json(dir), 2);
        json_error_t err;
        json_t *r = json_load_file(path, 0, &err);
        assert_non_null(r);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "event"), "seq")),
                         12);
        json_t *rows = json_object_get(json_object_get(r, "trajectory"), "rows");
        assert_true(json_array_size(rows) >= 20);
        json_t *newest = json_array_get(rows, json_array_size(rows) - 1);
        assert_int_equal(json_integer_value(json_array_get(newest, 0)), 0); /* ago_usec */
        assert_int_equal(json_integer_value(json_array_get(newest, 2)), 29 * 8 * MiB);
        json_t *p = json_array_get(json_object_get(json_object_get(r, "processes"), "top"), 0);
        assert_string_equal(json_string_value(json_object_get(p, "comm")), "hog");
        assert_true(json_is_null(json_object_get(p, "pss_bytes")));
        json_decref(r);
        recorder_done(&rec);
        kill_records_close(&kr);
        rm_rf(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name),
                cmocka_unit_test(test_open_makes_parents),
                cmocka_unit_test(test_write_and_keep),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
