/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for cgmem top (supervisor/top-*.c): the name hook, growth and
 * time-to-max math, sort keys, the filter, the tree, vanishing cgroups, the
 * event-file tail, the terminal diff, and batch frames against golden files.
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
#include <string.h>

#include "cgroupfs/parse.h"
#include "supervisor/names/display.h"
#include "supervisor/view/top-events.h"
#include "supervisor/view/top-model.h"
#include "supervisor/view/top-render.h"
#include "unit-util.h"

#define MiB (UINT64_C(1) << 20)

static void test_display_name(void **state)
{
        (void) state;
        static const struct {
                const char *path, *want;
        } cases[] = {
                {"/system.slice/"
                 "docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e."
                 "scope",
                 "4f1c2e8b9a7d"},
                {"/kubepods.slice/kubepods-burstable.slice/p.slice/"
                 "cri-containerd-2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80911."
                 "scope",
                 "2b3c4d5e6f70"},
                {"/kubepods.slice/"
                 "crio-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
                 "0123456789ab"},
                /* Not a 64-hex id: not a container id, the name stays. */
                {"/kubepods.slice/crio-0123456789abcdef0123.scope",
                 "crio-0123456789abcdef0123.scope"},
                {"/machine.slice/"
                 "libpod-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899.scope",
                 "aabbccddeeff"},
                /* conmon has the container's id too: its name tells them apart. */
                {"/machine.slice/libpod-conmon-aabbccddeeff.scope",
                 "libpod-conmon-aabbccddeeff.scope"},
                {"/docker/4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
                 "4f1c2e8b9a7d"},
                {"/system.slice/docker-short.scope", "docker-short.scope"},
                {"/system.slice/ssh.service", "ssh.service"},
                {"/user.slice", "user.slice"},
        };
        char buf[TOP_NAME_MAX];

        /* Until the runtime names them: the id's first 12 characters, else the last component. */
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct container_identity id;
                assert_int_equal(identity_from_path(cases[i].path, &id), 0);
                names_display_name(&id, NULL, strrchr(cases[i].path, '/') + 1, buf, sizeof(buf));
                assert_string_equal(buf, cases[i].want);
        }
        struct container_identity none;
        assert_int_equal(identity_from_path("/kubepods.slice/x", &none), 0);
        names_display_pod(&none, NULL, buf, sizeof(buf));
        assert_string_equal(buf, "");
}

static void test_growth_and_eta(void **state)
{
        (void) state;
        assert_true(top_eta_sec(CG_VALUE_MAX, 10 * MiB, 1.0 * MiB) < 0); /* no max */
        assert_true(top_eta_sec(256 * MiB, 10 * MiB, 0) < 0);            /* flat */
        assert_true(top_eta_sec(256 * MiB, 10 * MiB, -1.0 * MiB) < 0);   /* shrinking */
        assert_true(top_eta_sec(256 * MiB, 300 * MiB, 1.0 * MiB) == 0);  /* at/over */
        double eta = top_eta_sec(256 * MiB, 56 * MiB, 20.0 * MiB);
        assert_true(eta > 9.99 && eta < 10.01);

        char b[32];
        top_format_eta(-1, b, sizeof(b));
        assert_string_equal(b, "-");
        top_format_eta(9.6, b, sizeof(b));
        assert_string_equal(b, "10s");
        top_format_eta(303, b, sizeof(b));
        assert_string_equal(b, "5m03s");
        top_format_eta(3 * 3600 + 5 * 60, b, sizeof(b));
        assert_string_equal(b, "3h05m");
        top_format_eta(3 * 86400.0, b, sizeof(b));
        assert_string_equal(b, "3d");
        top_format_rate(20.0 * MiB, b, sizeof(b));
        assert_string_equal(b, "+20M/s");
        top_format_rate(-1.5 * 1024 * MiB, b, sizeof(b));
        assert_string_equal(b, "-1.5G/s");
        top_format_rate(100, b, sizeof(b));
        assert_string_equal(b, "0/s");
        top_format_events(1432, 0, b, sizeof(b));
        assert_string_equal(b, "1432");
        top_format_events(1440, 8, b, sizeof(b));
        assert_string_equal(b, "1440+8");
        assert_int_equal(top_event_delta(10, 4), 6);
        assert_int_equal(top_event_delta(3, 4), 0);
}

/* A model over a fixture tree (read only). */
static void model_on(struct top_model *m, const char *tree, uint64_t now)
{
        char path[256];
        snprintf(path, sizeof(path), FIXTURES "/%s", tree);
        int fd = open_dir(path);
        assert_true(fd >= 0);
        assert_int_equal(top_model_init(m), 0);
        assert_int_equal(top_model_refresh(m, fd, now), 0);
        close(fd);
}

static const char *item_name(const struct top_model *m, size_t i)
{
        return top_state(m->items[i].row)->name;
}

static void test_sort_keys(void **state)
{
        (void) state;
        struct top_model m;

        model_on(&m, "tree-6.1", 1000000);
        assert_int_equal(m.table.n_rows, 10);
        m.sort_col = TOP_COL_WSET;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 4);
        assert_int_equal(m.n_containers, 4);
        assert_string_equal(item_name(&m, 0), "9e8d7c6b5a4f");
        assert_string_equal(item_name(&m, 3), "2b3c4d5e6f70");

        m.sort_col = TOP_COL_KERNEL; /* the pause container has the largest share */
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "2b3c4d5e6f70");

        m.sort_col = TOP_COL_NAME; /* ascending */
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "2b3c4d5e6f70");
        assert_string_equal(item_name(&m, 3), "ssh.service");
        m.reverse = 1;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "ssh.service");
        m.reverse = 0;

        m.sort_col = TOP_COL_PCT; /* rows without a limit go last */
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "9e8d7c6b5a4f");
        assert_string_equal(item_name(&m, 1), "4f1c2e8b9a7d");
        m.reverse = 1; /* ...either way */
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "4f1c2e8b9a7d");
        assert_string_equal(item_name(&m, 1), "9e8d7c6b5a4f");
        m.reverse = 0;

        m.sort_col = TOP_COL_SOME;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_string_equal(item_name(&m, 0), "9e8d7c6b5a4f");

        /* No growth on the first sample: growth and eta have no values, the order is by path. */
        double v;
        assert_false(top_sort_value(m.items[0].row, TOP_COL_GROWTH, &v));
        assert_false(top_sort_value(m.items[0].row, TOP_COL_ETA, &v));
        m.sort_col = TOP_COL_GROWTH;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_true(strcmp(m.items[0].row->path, m.items[1].row->path) < 0);

        for (int c = 0; c < _TOP_COL_COUNT; c++)
                assert_int_equal(top_col_from_name(top_col_name((enum top_col) c)), c);
        assert_int_equal(top_col_from_name("nope"), -EINVAL);
        top_model_done(&m);
}

static void test_filter_and_all(void **state)
{
        (void) state;
        struct top_model m;

        model_on(&m, "tree-6.1", 1000000);
        snprintf(m.filter, sizeof(m.filter), "SSH");
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 1);
        assert_string_equal(item_name(&m, 0), "ssh.service");
        snprintf(m.filter, sizeof(m.filter), "kubepods"); /* the path matches too */
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 2);
        snprintf(m.filter, sizeof(m.filter), "nothing-like-this");
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 0);
        m.filter[0] = '\0';
        m.rules.all = 1;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 10);
        top_model_done(&m);
}

static void test_tree(void **state)
{
        (void) state;
        struct top_model m;

        model_on(&m, "tree-6.1", 1000000);
        m.tree = 1;
        assert_int_equal(top_model_build_view(&m), 0);
        /* kubepods.slice > burstable > pod > 2 containers, system.slice > 2 services */
        assert_int_equal(m.n_items, 8);
        static const struct {
                const char *name;
                unsigned indent;
        } want[] = {
                {"kubepods.slice", 0},
                {"kubepods-burstable.slice", 1},
                {"kubepods-burstable-pod8a3f1c2e_5b7d_4e9a_b1c3_2d4e6f8a0b1c.slice", 2},
                {"9e8d7c6b5a4f", 3},
                {"2b3c4d5e6f70", 3},
                {"system.slice", 0},
                {"4f1c2e8b9a7d", 1},
                {"ssh.service", 1},
        };
        for (size_t i = 0; i < 8; i++) {
                assert_string_equal(item_name(&m, i), want[i].name);
                assert_int_equal(m.items[i].indent, want[i].indent);
        }
        /* Filtered: the matching container and the slices above it only. */
        snprintf(m.filter, sizeof(m.filter), "2b3c4d");
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 4);
        assert_string_equal(item_name(&m, 3), "2b3c4d5e6f70");
        top_model_done(&m);
}

/* A scratch copy of tree-6.1 where a container goes away and another grows. */
static void test_vanish_and_grow(void **state)
{
        (void) state;
        char *dir = make_scratch(), path[512];
        struct top_model m;
        const char *docker =
                "system.slice/"
                "docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e."
                "scope";

        copy_tree(FIXTURES "/tree-6.1", dir);
        int fd = open_dir(dir);
        assert_true(fd >= 0);
        assert_int_equal(top_model_init(&m), 0);
        assert_int_equal(top_model_refresh(&m, fd, 1000000), 0);
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 4);

        /*
         * ssh.service's anon grows by 10 MiB in 1 s, max 100 MiB. GROWTH is the policy's
         * estimator on the footprint: 10 MiB/s over the second, smoothed with the policy's
         * 5 s time constant from 0: 10 MiB/s * (1 - e^-0.2) = 1.813 MiB/s.
         */
        snprintf(path, sizeof(path), "%s/system.slice/ssh.service", dir);
        size_t stat_len;
        char stat_path[600], *stat = NULL;
        snprintf(stat_path, sizeof(stat_path), "%s/memory.stat", path);
        char *old = read_exact(stat_path, &stat_len);
        assert_true(asprintf(&stat, "anon 15728640%.*s", (int) (stat_len - strlen("anon 5242880")),
                             old + strlen("anon 5242880")) > 0);
        write_file_at(path, "memory.stat", stat);
        free(stat);
        free(old);
        write_file_at(path, "memory.current", "19742720\n"); /* 9256960 + 10 MiB */
        write_file_at(path, "memory.max", "104857600\n");
        write_file_at(path, "memory.events",
                      "low 0\nhigh 3\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
        snprintf(path, sizeof(path), "%s/%s", dir, docker);
        rm_rf(path);
        assert_int_equal(top_model_refresh(&m, fd, 2000000), 0);
        assert_int_equal(m.table.n_failed, 0); /* gone is not a failure */
        m.sort_col = TOP_COL_GROWTH;
        assert_int_equal(top_model_build_view(&m), 0);
        assert_int_equal(m.n_items, 3);
        const struct cgroup *row = m.items[0].row;
        assert_string_equal(top_state(row)->name, "ssh.service");
        double rate = 0, eta = 0;
        assert_true(top_sort_value(row, TOP_COL_GROWTH, &rate));
        assert_true(rate > 1.812 * MiB && rate < 1.814 * MiB);
        assert_true(top_sort_value(row, TOP_COL_ETA, &eta));
        assert_true(eta > 40 && eta < 50); /* (100 - 15) MiB at 1.813 MiB/s */
        assert_int_equal(
                top_event_delta(row->sample.events.high, top_state(row)->start_events.high), 3);
        assert_null(view_table_get(&m.table, "/system.slice"
                                             "/docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0"
                                             "b9c8d7e6f5a4b3c2d1e.scope"));

        /* The frame shows the deltas and the growth. */
        struct top_screen s = {0};
        struct top_frame f = {0};
        top_render_batch_frame(&m, &f, &s);
        assert_false(s.oom);
        assert_non_null(strstr(s.lines[4].text, "ssh.service"));
        assert_non_null(strstr(s.lines[4].text, " 3+3 "));
        assert_non_null(strstr(s.lines[4].text, " +1.8M/s "));
        top_screen_free(&s);

        close(fd);
        top_model_done(&m);
        rm_rf(dir);
        free(dir);
}

static void test_events_tail(void **state)
{
        (void) state;
        char *dir = make_scratch(), path[512], text[8192] = "";
        struct top_event ev[4];
        size_t used = 0;

        for (int i = 1; i <= 6; i++)
                used += (size_t) snprintf(
                        text + used, sizeof(text) - used,
                        "{\"schema\":2,\"seq\":%d,\"time\":\"2026-11-21T23:59:4%d.923239639Z\","
                        "\"host\":\"h\",\"type\":\"%s\",\"cgroup\":\"/system.slice/c%d\"}\n",
                        i, i, i == 6 ? "agent_kill" : "memory_event", i);
        used += (size_t) snprintf(text + used, sizeof(text) - used, "not json\n{\"type\":\"half");
        write_file_at(dir, "events.jsonl", text);
        snprintf(path, sizeof(path), "%s/events.jsonl", dir);
        int n = top_events_tail(path, ev, 4);
        assert_int_equal(n, 4);
        assert_string_equal(ev[0].cgroup, "/system.slice/c3");
        assert_string_equal(ev[3].cgroup, "/system.slice/c6");
        assert_string_equal(ev[3].type, "agent_kill");
        assert_string_equal(ev[3].time, "23:59:46");
        assert_int_equal(top_event_parse("{\"type\":\"started\"}", 18, &ev[0]), 0);
        assert_string_equal(ev[0].cgroup, "-");
        assert_int_equal(top_event_parse("[1]", 3, &ev[0]), -EINVAL);
        snprintf(path, sizeof(path), "%s/none.jsonl", dir);
        assert_int_equal(top_events_tail(path, ev, 4), -ENOENT);
        rm_rf(dir);
        free(dir);
}

static void test_ansi_diff(void **state)
{
        (void) state;
        struct top_screen s = {0};
        struct top_rendered shown = {0};
        char *out;
        size_t len;

        top_line_printf(top_screen_add(&s), TOP_ATTR_BOLD, "header");
        top_line_printf(top_screen_add(&s), TOP_ATTR_NORMAL, "row one that is long");
        assert_int_equal(top_screen_ansi(&s, 10, 5, 1, &shown, 0, &out, &len), 0);
        assert_non_null(strstr(out, "\033[2J"));         /* the first frame clears */
        assert_non_null(strstr(out, "\033[0;1mheader")); /* bold */
        assert_null(strstr(out, "row one that"));        /* cut at 10 columns */
        assert_non_null(strstr(out, "row one th"));
        free(out);
        /* The same screen again: nothing is rewritten. */
        assert_int_equal(top_screen_ansi(&s, 10, 5, 1, &shown, 0, &out, &len), 0);
        assert_int_equal(len, 0);
        free(out);
        /* One line changes: only it is rewritten, at its row. */
        top_screen_clear(&s);
        top_line_printf(top_screen_add(&s), TOP_ATTR_BOLD, "header");
        top_line_printf(top_screen_add(&s), TOP_ATTR_NORMAL, "row two");
        assert_int_equal(top_screen_ansi(&s, 10, 5, 1, &shown, 0, &out, &len), 0);
        assert_string_equal(out, "\033[2;1H\033[2K\033[0mrow two");
        free(out);
        top_rendered_free(&shown);
        top_screen_free(&s);
}

/* cgmem top -b -n 1 on the fixture trees, byte for byte against tests/fixtures/top/. */
static void check_golden(const char *args, const char *golden)
{
        char cmd[1024], got[65536], want_path[256];
        size_t want_len;

        snprintf(cmd, sizeof(cmd), "./cgmem top %s", args);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(got, 1, sizeof(got), p);
        assert_int_equal(pclose(p), 0);
        snprintf(want_path, sizeof(want_path), FIXTURES "/top/%s", golden);
        char *want = read_exact(want_path, &want_len);
        if (n != want_len || memcmp(got, want, n) != 0) {
                fprintf(stderr, "cgmem top %s differs from %s; got:\n%.*s\n", args, want_path,
                        (int) n, got);
                fail();
        }
        free(want);
}

static void test_batch_golden(void **state)
{
        (void) state;
        check_golden("--root tests/fixtures/tree-6.1 -b -n 1", "tree-6.1.txt");
        check_golden("--root tests/fixtures/tree-5.15 -b -n 1", "tree-5.15.txt");
        check_golden("--root tests/fixtures/tree-6.1 -b -n 1 --all --tree",
                     "tree-6.1-all-tree.txt");
        check_golden("--root tests/fixtures/tree-5.15 -b -n 1 --all --tree",
                     "tree-5.15-all-tree.txt");
        /* A second frame of an unchanging tree: growth 0, no time to max. */
        check_golden("--root tests/fixtures/tree-6.1 -b -n 2 -d 0.05 --sort pct",
                     "tree-6.1-2frames-pct.txt");
        /* Without a terminal it is batch too. */
        check_golden("--root tests/fixtures/tree-6.1 -n 1 </dev/null", "tree-6.1.txt");
}

static void test_json_and_usage(void **state)
{
        (void) state;
        char line[8192];
        int rows = 0;

        FILE *p = popen("./cgmem top --root tests/fixtures/tree-6.1 --json -n 2 -d 0.05", "r");
        assert_non_null(p);
        while (fgets(line, sizeof(line), p)) {
                rows++;
                assert_non_null(strstr(line, "\"name\":"));
                if (rows <= 4) {
                        assert_non_null(strstr(line, "\"frame\":1"));
                        assert_non_null(strstr(line, "\"growth_bytes_per_sec\":null"));
                } else {
                        assert_non_null(strstr(line, "\"frame\":2"));
                        assert_non_null(strstr(line, "\"growth_bytes_per_sec\":0"));
                }
        }
        assert_int_equal(pclose(p), 0);
        assert_int_equal(rows, 8);
        assert_int_equal(WEXITSTATUS(system("./cgmem top --sort nope -b -n 1 2>/dev/null")), 2);
        assert_int_equal(WEXITSTATUS(system("./cgmem top -d 0 -b 2>/dev/null")), 2);
        assert_int_equal(WEXITSTATUS(system("./cgmem top --help >/dev/null")), 0);
        assert_int_equal(WEXITSTATUS(system("./cgmem top --root /nonexistent -b -n 1 2>/dev/null")),
                         1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_display_name), cmocka_unit_test(test_growth_and_eta),
                cmocka_unit_test(test_sort_keys),    cmocka_unit_test(test_filter_and_all),
                cmocka_unit_test(test_tree),         cmocka_unit_test(test_vanish_and_grow),
                cmocka_unit_test(test_events_tail),  cmocka_unit_test(test_ansi_diff),
                cmocka_unit_test(test_batch_golden), cmocka_unit_test(test_json_and_usage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
