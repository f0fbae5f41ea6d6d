/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for cgmem explain (supervisor/view/explain-*.c): the scan of an
 * appended events file (runs, seqs, bad lines), choosing the container, the
 * facts of an event and its record, the plot, and the whole output against
 * the golden files of tests/fixtures/explain/ (listed in its "cases").
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
#include <sys/wait.h>
#include <time.h>

#include "cgroupfs/parse.h"
#include "supervisor/view/explain-model.h"
#include "supervisor/view/explain-render.h"
#include "supervisor/view/explain-scan.h"
#include "unit-util.h"

#define DIR    FIXTURES "/explain"
#define EVENTS DIR "/events.jsonl"
#define MiB    (UINT64_C(1) << 20)
#define COMMON                                                                                     \
        "LC_ALL=C.UTF-8 ./cgmem explain --config /dev/null --events-file " EVENTS                  \
        " --utc --width 100"

static void scan_fixture(struct explain_scan *s, uint64_t seq)
{
        size_t len;
        char *text = read_exact(EVENTS, &len);

        assert_int_equal(explain_scan_init(s, seq), 0);
        for (size_t at = 0; at < len;) {
                const char *nl = memchr(text + at, '\n', len - at);
                size_t n = nl ? (size_t) (nl - (text + at)) : len - at;
                assert_int_equal(explain_scan_line(s, text + at, n), 0);
                at += n + 1;
        }
        free(text);
}

static void test_scan(void **state)
{
        struct explain_scan s;
        (void) state;

        scan_fixture(&s, 0);
        assert_int_equal(s.run, 2);
        assert_int_equal(s.n_lines, 27);
        assert_int_equal(s.n_malformed, 2); /* the cut line and the echo */
        assert_int_equal(s.bad_lines[0], 15);
        assert_int_equal(s.bad_lines[1], 23);
        assert_int_equal(s.n_entries, 6);
        assert_int_equal(s.n_truncated_kills, 1);
        static const struct {
                unsigned run;
                uint64_t seq;
                const char *type;
        } want[] = {{1, 9, "kill"},     {1, 12, "kill_failed"}, {1, 13, "kill"},
                    {2, 6, "oom_kill"}, {2, 9, "kill"},         {2, 10, "kill"}};
        for (size_t i = 0; i < 6; i++) {
                assert_int_equal(s.entries[i].run, want[i].run);
                assert_int_equal(s.entries[i].seq, want[i].seq);
                assert_string_equal(s.entries[i].type, want[i].type);
        }
        assert_true(s.entries[4].truncated);
        assert_null(s.entries[4].target);
        /* The last complete kill, not the truncated one before it. */
        assert_int_equal(explain_last_kill(&s)->seq, 10);
        assert_int_equal(explain_last_kill(&s)->run, 2);
        /* web's container_seen of run 2 had no names: run 1's are kept. */
        struct explain_target *web = s.entries[3].target;
        assert_string_equal(web->names.name, "web");
        assert_string_equal(web->names.namespace, "shop");
        assert_int_equal(web->n_kills, 2);
        assert_true(s.entries[3].have_limits);
        assert_int_equal(s.entries[3].max_bytes, 256 * MiB);
        explain_scan_done(&s);

        /* A seq is the last event with it: 9 of run 2 is the truncated kill. */
        scan_fixture(&s, 9);
        assert_int_equal(s.seq_run, 2);
        assert_true(s.seq_truncated);
        explain_scan_done(&s);
        scan_fixture(&s, 7);
        assert_string_equal(s.seq_type, "memory_event");
        assert_null(explain_entry_at(&s, s.seq_line_no));
        explain_scan_done(&s);
}

static void test_scan_lines(void **state)
{
        struct explain_scan s;
        (void) state;

        assert_int_equal(explain_scan_init(&s, 0), 0);
        static const char *const lines[] = {
                "",
                "   ",
                "[1,2]",
                "{\"no\":\"type\"}",
                "{\"type\":\"decision\",\"seq\":3,\"cgroup\":\"/a\",\"action\":\"guard\"}",
                "{\"type\":\"decision\",\"seq\":4,\"cgroup\":\"/a\",\"action\":\"kill\","
                "\"dry_run\":true}\r",
                "{\"type\":\"kill\",\"seq\":5}",
                "{\"type\":\"kill\",\"seq\":5,\"seq\":6,\"cgroup\":\"/b\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                assert_int_equal(explain_scan_line(&s, lines[i], strlen(lines[i])), 0);
        /* Blank lines are not bad; an array, an object without a type, duplicate keys are. */
        assert_int_equal(s.n_malformed, 3);
        /* A guard decision is no kill; a kill decision is; a kill without a cgroup is nothing. */
        assert_int_equal(s.n_entries, 1);
        assert_string_equal(s.entries[0].type, "decision");
        assert_int_equal(s.entries[0].run, 1); /* no started: the file began mid-run */
        assert_string_equal(s.entries[0].target->last_line + strlen(lines[5]) - 16,
                            "\"dry_run\":true}");
        explain_scan_done(&s);
}

static const char *match_name(const struct explain_scan *s, const char *arg,
                              enum explain_match want)
{
        static char name[256];
        struct explain_match_result m;

        explain_match(s, arg, &m);
        if (m.match != want)
                fail_msg("\"%s\": match %d, want %d", arg, m.match, want);
        if (!m.target)
                return "";
        explain_target_display(m.target, name, sizeof(name));
        return name;
}

static void test_match(void **state)
{
        struct explain_scan s;
        (void) state;

        scan_fixture(&s, 0);
        /* 1: the path, with or without its slash */
        assert_string_equal(match_name(&s,
                                       "/system.slice/docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c"
                                       "4d3e2f1a0b9c8d7e6f5a4b3c2d1e.scope",
                                       EXPLAIN_MATCH_ONE),
                            "api");
        assert_string_equal(match_name(&s,
                                       "system.slice/docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c"
                                       "4d3e2f1a0b9c8d7e6f5a4b3c2d1e.scope",
                                       EXPLAIN_MATCH_ONE),
                            "api");
        /* 2: an id prefix of 4 hex digits or more; 3 are too few to be an id */
        assert_string_equal(match_name(&s, "7a6b", EXPLAIN_MATCH_ONE), "renderer");
        match_name(&s, "7a6", EXPLAIN_MATCH_AMBIGUOUS); /* a substring of both docker paths */
        /* 3: name, unit, namespace/pod, namespace/pod/container */
        assert_string_equal(match_name(&s, "report", EXPLAIN_MATCH_ONE), "report");
        assert_string_equal(match_name(&s, "shop/web-5d8f7c9b6-x2k4q", EXPLAIN_MATCH_ONE), "web");
        assert_string_equal(match_name(&s, "shop/web-5d8f7c9b6-x2k4q/web", EXPLAIN_MATCH_ONE),
                            "web");
        match_name(&s, "shop/web-5d8f7c9b6-x2k4q/envoy", EXPLAIN_MATCH_NONE);
        /* 4: a suffix that starts a component */
        assert_string_equal(match_name(&s,
                                       "docker-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"
                                       "2b1c0d9e8f7a6b.scope",
                                       EXPLAIN_MATCH_ONE),
                            "renderer");
        /* 5: a substring, any case; two killed containers are ambiguous */
        assert_string_equal(match_name(&s, "BESTEFFORT", EXPLAIN_MATCH_ONE), "report");
        struct explain_match_result m;
        explain_match(&s, "docker-", &m);
        assert_int_equal(m.match, EXPLAIN_MATCH_AMBIGUOUS);
        assert_int_equal(m.n_matched, 2);
        match_name(&s, "nginx", EXPLAIN_MATCH_NONE);
        explain_scan_done(&s);

        /* Named, never killed; and an exact name wins over a looser match that was killed. */
        assert_int_equal(explain_scan_init(&s, 0), 0);
        static const char *const lines[] = {
                "{\"type\":\"container_seen\",\"cgroup\":\"/s/api.service\"}",
                "{\"type\":\"kill\",\"seq\":2,\"cgroup\":\"/s/api-gw.service\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                assert_int_equal(explain_scan_line(&s, lines[i], strlen(lines[i])), 0);
        assert_string_equal(match_name(&s, "api.service", EXPLAIN_MATCH_NO_KILL), "api.service");
        assert_string_equal(match_name(&s, "api-gw", EXPLAIN_MATCH_ONE), "api-gw.service");
        explain_scan_done(&s);
}

static struct explain *explain_of(const struct explain_scan *s, const char *arg)
{
        struct explain_match_result m;
        struct explain *e = malloc(sizeof(*e));

        assert_non_null(e);
        explain_match(s, arg, &m);
        assert_int_equal(m.match, EXPLAIN_MATCH_ONE);
        assert_int_equal(explain_from_event(s, &s->entries[m.target->last], m.target->last_line, e),
                         0);
        return e;
}

static void test_model(void **state)
{
        struct explain_scan s;
        char why[256], line[512];
        (void) state;

        scan_fixture(&s, 0);
        struct explain *e = explain_of(&s, "api");
        assert_int_equal(e->outcome, EXPLAIN_KILLED);
        assert_string_equal(e->reason, "runaway");
        assert_true(e->has_story && e->story.has_began);
        assert_int_equal(e->story.began_usec_ago, 64000000);
        assert_int_equal(e->story.grew_most, EXPLAIN_KIND_ANON);
        assert_int_equal(e->plot_source, EXPLAIN_SOURCE_EVENT);
        assert_int_equal(e->n_points, 32);
        assert_int_equal(e->procs.source, EXPLAIN_SOURCE_EVENT);
        assert_int_equal(e->procs.n_top, 5);
        assert_true(e->has_evidence);
        assert_int_equal(e->max_bytes, 512 * MiB);
        explain_headline(e, line, sizeof(line));
        assert_string_equal(line, "api was killed by cgmem (runaway)");

        /* Its record: 130 points with the counters, and all six processes. */
        json_t *record = json_load_file(DIR "/kills/20261204T171502Z-9.json", 0, NULL);
        assert_non_null(record);
        assert_true(explain_record_matches(e, record));
        assert_int_equal(explain_apply_record(e, record, why, sizeof(why)), 0);
        assert_int_equal(e->plot_source, EXPLAIN_SOURCE_RECORD);
        assert_int_equal(e->n_points, 130);
        assert_int_equal(e->points[129].ago_usec, 0);
        assert_int_equal(e->points[129].rose, EXPLAIN_ROSE_HIGH | EXPLAIN_ROSE_MAX);
        assert_int_equal(e->points[0].rose, 0);
        assert_int_equal(e->procs.n_top, 6);
        assert_string_equal(e->procs.top[5].comm, "tini");
        /* The same record does not belong to report's kill. */
        struct explain *r = explain_of(&s, "report");
        assert_false(explain_record_matches(r, record));
        assert_true(r->has_node);
        assert_string_equal(r->node.rule, "trajectory");
        assert_int_equal(r->n_candidates, 4);
        assert_true(r->candidates[3].protected_bytes == CG_VALUE_MAX);
        assert_string_equal(r->candidates[1].display, "0d9e8f7a6b5c");
        json_decref(record);
        json_t *not_record = json_pack("{s:i}", "schema", 2);
        assert_int_equal(explain_apply_record(r, not_record, why, sizeof(why)), -EINVAL);
        json_decref(not_record);
        free(r);
        free(e);

        /* The kernel's kill: its victim, and the limits from run 2's container_seen. */
        e = explain_of(&s, "web");
        assert_int_equal(e->outcome, EXPLAIN_OOM_KILLED);
        assert_true(e->has_victim);
        assert_int_equal(e->victim.pid, 48211);
        assert_true(e->has_limits);
        assert_int_equal(e->high_bytes, 246 * MiB);
        assert_int_equal(e->kills_in_file, 2);
        assert_true(e->has_previous);
        assert_string_equal(e->previous.type, "kill_failed");
        free(e);

        explain_scan_done(&s);

        /* By seq: web's failed kill, without a story, its processes or a record. */
        scan_fixture(&s, 12);
        e = malloc(sizeof(*e));
        assert_non_null(e);
        assert_int_equal(explain_from_event(&s, explain_entry_at(&s, s.seq_line_no), s.seq_line, e),
                         0);
        assert_int_equal(e->outcome, EXPLAIN_KILL_FAILED);
        assert_int_equal(e->error_errno, 95);
        assert_false(e->has_story);
        assert_int_equal(e->procs.source, EXPLAIN_SOURCE_NONE);
        assert_int_equal(e->n_points, 0); /* its evidence has no samples either */
        assert_string_equal(e->record, "");
        assert_int_equal(e->kills_in_file, 2);
        assert_false(e->has_previous);
        free(e);
        explain_scan_done(&s);
}

static void test_format(void **state)
{
        char b[64];
        (void) state;

        static const struct {
                uint64_t usec;
                const char *want;
        } durations[] = {{388, "388us"},        {1930, "1.9ms"},   {412000, "412ms"},
                         {2003811, "2.0s"},     {42000000, "42s"}, {64000000, "1m04s"},
                         {11100000000, "3h05m"}};
        for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
                explain_format_duration(durations[i].usec, b, sizeof(b));
                assert_string_equal(b, durations[i].want);
        }
        explain_format_time("2026-12-04T17:15:02.512301000Z", true, b, sizeof(b));
        assert_string_equal(b, "2026-12-04 17:15:02.512 UTC");
        explain_format_time("2026-12-04T17:15:02Z", true, b, sizeof(b));
        assert_string_equal(b, "2026-12-04 17:15:02.000 UTC");
        explain_format_time("yesterday", true, b, sizeof(b));
        assert_string_equal(b, "yesterday");
        setenv("TZ", "UTC0", 1);
        tzset();
        explain_format_time("2026-12-04T17:15:02.5Z", false, b, sizeof(b));
        assert_string_equal(b, "2026-12-04 17:15:02.500 UTC");
}

/* A plot is pure: points in, lines out. Here in ASCII at 60 columns. */
static void test_plot(void **state)
{
        struct explain_point p[5] = {
                {.ago_usec = 40000000, .footprint_bytes = 10 * MiB, .current_bytes = 30 * MiB},
                {.ago_usec = 30000000, .footprint_bytes = 10 * MiB, .current_bytes = 30 * MiB},
                {.ago_usec = 20000000, .footprint_bytes = 40 * MiB, .current_bytes = 60 * MiB},
                {.ago_usec = 10000000, .footprint_bytes = 80 * MiB, .current_bytes = 90 * MiB},
                {.ago_usec = 0,
                 .footprint_bytes = 118 * MiB,
                 .current_bytes = 120 * MiB,
                 .rose = EXPLAIN_ROSE_MAX},
        };
        struct explain_style st = {.width = 60};
        struct top_screen s = {0};
        char *out = NULL;
        size_t len = 0;
        (void) state;

        explain_render_plot(p, 5, 128 * MiB, 20000000, "kill", &st, &s);
        FILE *f = open_memstream(&out, &len);
        assert_int_equal(top_screen_print_plain(&s, f), 0);
        fclose(f);
        /*
         * 39 columns for 40 s: the points land in columns 0, 9, 19, 29 and 38 and hold
         * until the next. 48 levels of 128M: 10M is 4 (half a cell: '#'), 30M of current
         * is 11, less than half of the second row: blank.
         */
        assert_string_equal(out, "    128M +                                      # memory.max\n"
                                 "         |                                      #\n"
                                 "         |                             ##########\n"
                                 "         |                   ::::::::::##########\n"
                                 "         |                   ####################\n"
                                 "         |#######################################\n"
                                 "       0 +-------------------^-------------------\n"
                                 "  events                                        M\n"
                                 "          -40s                               kill\n"
                                 "          # footprint\n"
                                 "          : page cache and other reclaimable memory\n"
                                 "          ^ growth began\n"
                                 "          events rising: H memory.high, M memory.max, O oom,\n"
                                 "          K oom_kill\n");
        free(out);
        top_screen_free(&s);
        /* Too few points, or no time between them: no plot. */
        explain_render_plot(p + 3, 2, 128 * MiB, UINT64_MAX, "kill", &st, &s);
        explain_render_plot(p + 4, 1, 128 * MiB, UINT64_MAX, "kill", &st, &s);
        assert_int_equal(s.n_lines, 0);
        top_screen_free(&s);
}

static char *run(const char *cmd, int *status, size_t *len)
{
        char *out = NULL;
        FILE *o = open_memstream(&out, len), *p = popen(cmd, "r");
        char buf[4096];
        size_t n;

        assert_non_null(p);
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                fwrite(buf, 1, n, o);
        *status = pclose(p);
        fclose(o);
        return out;
}

/* Every case of tests/fixtures/explain/cases, byte for byte. */
static void test_golden(void **state)
{
        FILE *cases = fopen(DIR "/cases", "re");
        char line[256], cmd[1024], path[300];
        int n = 0;
        (void) state;

        assert_non_null(cases);
        while (fgets(line, sizeof(line), cases)) {
                if (line[0] == '#' || line[0] == '\n')
                        continue;
                line[strcspn(line, "\n")] = '\0';
                char *args = strchr(line, '\t');
                if (args)
                        *args++ = '\0';
                snprintf(cmd, sizeof(cmd), COMMON " %s", args ? args + strspn(args, "\t") : "");
                snprintf(path, sizeof(path), DIR "/%s", line);
                int status;
                size_t got_len, want_len;
                char *got = run(cmd, &status, &got_len), *want = read_exact(path, &want_len);
                if (status != 0 || got_len != want_len || memcmp(got, want, got_len) != 0) {
                        fprintf(stderr, "%s (status %d) differs from %s; got:\n%.*s\n", cmd, status,
                                path, (int) got_len, got);
                        fail();
                }
                free(got);
                free(want);
                n++;
        }
        fclose(cases);
        assert_true(n >= 10);
}

static void assert_exit(const char *args, int want, const char *stderr_has)
{
        char cmd[1024];
        int status;
        size_t len;

        snprintf(cmd, sizeof(cmd), COMMON " %s 2>&1 >/dev/null", args);
        char *err = run(cmd, &status, &len);
        if (WEXITSTATUS(status) != want || (stderr_has && !strstr(err, stderr_has)))
                fail_msg("cgmem explain %s: exit %d, want %d; stderr:\n%s", args,
                         WEXITSTATUS(status), want, err);
        free(err);
}

static void test_errors_and_records(void **state)
{
        char *dir = make_scratch(), cmd[2048], *a, *b;
        int status;
        size_t la, lb;
        (void) state;

        assert_exit("9", 1, "was truncated to its envelope");
        assert_exit("7", 1, "is a memory_event, not a kill");
        assert_exit("99", 1, "no event in " EVENTS " has seq 99");
        assert_exit("docker-", 1, "names 2 killed containers");
        assert_exit("docker-", 1, "renderer");
        assert_exit("nothing", 1, "no container in " EVENTS " is called \"nothing\"");
        assert_exit("0", 2, "seqs start at 1");
        assert_exit("--width 20", 2, "--width wants columns");
        assert_exit("a b", 2, "unexpected argument");
        assert_exit("--events-file /nonexistent", 1, "cannot read the events file /nonexistent");

        /* --kills-dir finds the same record as the events file's kills/ folder. */
        a = run(COMMON " api", &status, &la);
        assert_int_equal(status, 0);
        b = run(COMMON " --kills-dir " DIR "/kills api", &status, &lb);
        assert_int_equal(status, 0);
        assert_true(la == lb && memcmp(a, b, la) == 0);
        free(b);
        /* From standard input (journalctl -o cat): the same, but no folder to look in. */
        b = run("LC_ALL=C.UTF-8 ./cgmem explain --config /dev/null --events-file - --utc "
                "--width 100 api <" EVENTS,
                &status, &lb);
        assert_int_equal(status, 0);
        assert_non_null(strstr(b, "Its record file /var/lib/cgmem/kills/20261204T171502Z-9.json "
                                  "was not found"));
        assert_non_null(strstr(b, "2 lines of - are not an event"));
        free(b);
        free(a);

        /* A record of another kill where report's should be is said so and not used. */
        snprintf(cmd, sizeof(cmd),
                 "cp " DIR "/kills/20261204T171502Z-9.json %s/20261204T173140Z-13.json", dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), COMMON " --kills-dir %s --json 13", dir);
        a = run(cmd, &status, &la);
        assert_int_equal(status, 0);
        assert_non_null(strstr(a, "belongs to another event: not used."));
        assert_non_null(strstr(a, "\"used\":null"));
        free(a);
        /* A record that is not JSON. */
        write_file_at(dir, "20261204T173140Z-13.json", "{\"schema\":2,");
        a = run(cmd, &status, &la);
        assert_int_equal(status, 0);
        assert_non_null(strstr(a, "cannot be read"));
        free(a);
        rm_rf(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan),   cmocka_unit_test(test_scan_lines),
                cmocka_unit_test(test_match),  cmocka_unit_test(test_model),
                cmocka_unit_test(test_format), cmocka_unit_test(test_plot),
                cmocka_unit_test(test_golden), cmocka_unit_test(test_errors_and_records),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
