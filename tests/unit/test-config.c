/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the configuration file, --set and validation (supervisor/config.c). */

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
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "supervisor/config/config.h"
#include "unit-util.h"

#define CONFIG_FIXTURES FIXTURES "/config"
#define MS              UINT64_C(1000)
#define SEC             UINT64_C(1000000)

/* Writes len bytes of text (NULs allowed) to a fresh file; returns its malloc'd path. */
static char *write_tmp(const char *text, size_t len)
{
        char *path = strdup("/tmp/cgmem-config-XXXXXX");
        int fd;

        if (!path)
                abort();
        fd = mkstemp(path);
        if (fd < 0 || write(fd, text, len) != (ssize_t) len)
                abort();
        close(fd);
        return path;
}

/* Loads text as a file over c; *where_line gets the ":N" the error should carry. */
static int load_text(struct cgmem_config *c, const char *text, struct config_error *err,
                     char *ret_path, size_t path_size)
{
        char *path = write_tmp(text, strlen(text));
        int r = config_load_file(c, path, 1, err);

        if (ret_path)
                snprintf(ret_path, path_size, "%s", path);
        unlink(path);
        free(path);
        return r;
}

static void assert_where_line(const struct config_error *err, const char *path, unsigned line)
{
        char want[600];

        snprintf(want, sizeof(want), "%s:%u", path, line);
        assert_string_equal(err->where, want);
}

static void assert_globs(char **globs, const char *const *want, size_t n)
{
        assert_non_null(globs);
        for (size_t i = 0; i < n; i++) {
                assert_non_null(globs[i]);
                assert_string_equal(globs[i], want[i]);
        }
        assert_null(globs[n]);
}

static void assert_config_equal(const struct cgmem_config *a, const struct cgmem_config *b)
{
        size_t n = 0;

        assert_string_equal(a->root, b->root);
        while (a->container_globs[n])
                n++;
        assert_globs(b->container_globs, (const char *const *) a->container_globs, n);
        assert_int_equal(a->all, b->all);
        assert_true(a->interval_usec == b->interval_usec);
        assert_true(a->rescan_interval_usec == b->rescan_interval_usec);
        assert_int_equal(a->psi_stall, b->psi_stall);
        assert_true(a->psi_threshold_usec == b->psi_threshold_usec);
        assert_true(a->psi_window_usec == b->psi_window_usec);
        assert_memory_equal(&a->psi_usage_fraction, &b->psi_usage_fraction, sizeof(double));
        assert_int_equal(a->psi_max_triggers, b->psi_max_triggers);
        assert_int_equal(a->events_stdout, b->events_stdout);
        assert_string_equal(a->events_file, b->events_file);
        assert_int_equal(a->events_journal, b->events_journal);
        assert_int_equal(a->events_queue, b->events_queue);
        assert_true(a->kernel_memory_interval_usec == b->kernel_memory_interval_usec);
        assert_memory_equal(&a->kernel_memory_threshold_pct, &b->kernel_memory_threshold_pct,
                            sizeof(double));
        assert_memory_equal(&a->kernel_memory_change_pct, &b->kernel_memory_change_pct,
                            sizeof(double));
        assert_true(a->episode_quiet_usec == b->episode_quiet_usec);
        assert_true(a->episode_summary_usec == b->episode_summary_usec);
        assert_int_equal(a->dry_run, b->dry_run);
        assert_int_equal(a->mlock, b->mlock);
}

/* The defaults exactly as config.h's comments state them. */
static void assert_defaults(const struct cgmem_config *c)
{
        assert_string_equal(c->root, "/sys/fs/cgroup");
        assert_globs(c->container_globs, NULL, 0);
        assert_int_equal(c->all, 0);
        assert_true(c->interval_usec == 1 * SEC);
        assert_true(c->rescan_interval_usec == 30 * SEC);
        assert_int_equal(c->psi_stall, PSI_STALL_SOME);
        assert_true(c->psi_threshold_usec == 150 * MS);
        assert_true(c->psi_window_usec == 1 * SEC);
        assert_true(c->psi_usage_fraction == 0.5);
        assert_int_equal(c->psi_max_triggers, 256);
        assert_int_equal(c->events_stdout, 1);
        assert_string_equal(c->events_file, "");
        assert_int_equal(c->events_journal, 0);
        assert_int_equal(c->events_queue, 4096);
        assert_true(c->kernel_memory_interval_usec == 60 * SEC);
        assert_true(c->kernel_memory_threshold_pct == 20.0);
        assert_true(c->kernel_memory_change_pct == 5.0);
        assert_true(c->episode_quiet_usec == 60 * SEC);
        assert_true(c->episode_summary_usec == 15 * 60 * SEC);
        assert_int_equal(c->dry_run, 0);
        assert_int_equal(c->mlock, 1);
}

static void test_defaults(void **state)
{
        (void) state;
        struct cgmem_config c;
        struct config_error err;

        memset(&c, 0xa5, sizeof(c)); /* init must not depend on what was there */
        config_init_defaults(&c);
        assert_defaults(&c);
        assert_int_equal(config_validate(&c, &err), 0);
        config_free(&c);
        assert_null(c.root);
        config_free(&c); /* twice is harmless */
}

static void assert_full(const struct cgmem_config *c)
{
        static const char *const globs[] = {"/machine.slice/*.scope", "/custom/app-[0-9]*",
                                            "/x/\\*literal"};

        assert_string_equal(c->root, "/mnt/cgroup2");
        assert_globs(c->container_globs, globs, 3);
        assert_int_equal(c->all, 1);
        assert_true(c->interval_usec == 250 * MS);
        assert_true(c->rescan_interval_usec == 120 * SEC);
        assert_int_equal(c->psi_stall, PSI_STALL_FULL);
        assert_true(c->psi_threshold_usec == 1500 * MS);
        assert_true(c->psi_window_usec == 2 * SEC);
        assert_true(c->psi_usage_fraction == 0.75);
        assert_int_equal(c->psi_max_triggers, 1000);
        assert_int_equal(c->events_stdout, 0);
        assert_string_equal(c->events_file, "/var/log/cgmem/events.jsonl");
        assert_int_equal(c->events_journal, 1);
        assert_int_equal(c->events_queue, 16);
        assert_true(c->kernel_memory_interval_usec == 90 * SEC);
        assert_true(c->kernel_memory_threshold_pct == 12.5);
        assert_int_equal(c->dry_run, 1);
        assert_int_equal(c->mlock, 0);
}

static void test_full_file(void **state)
{
        (void) state;
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/full.conf", 1, &err), 0);
        assert_full(&c);
        assert_int_equal(config_validate(&c, &err), 0);
        config_free(&c);
}

/* The example config must load as it ships, and its commented-out values are the defaults. */
static void test_example_config(void **state)
{
        (void) state;
        struct cgmem_config c, d;
        struct config_error err;
        size_t len, keys = 0;
        char *text = read_exact("deploy/cgmem.conf", &len), *out = malloc(len + 1), *o = out;

        config_init_defaults(&c);
        config_init_defaults(&d);
        assert_int_equal(config_load_file(&c, "deploy/cgmem.conf", 1, &err), 0);
        assert_config_equal(&c, &d);

        /* Uncomment "#[section]" and "#key = value" lines (not the prose ones, "# ..."). */
        assert_non_null(out);
        for (size_t i = 0; i < len; i++) {
                int at_line_start = i == 0 || text[i - 1] == '\n';
                if (at_line_start && text[i] == '#' && i + 1 < len && text[i + 1] != ' ' &&
                    text[i + 1] != '\n') {
                        keys += text[i + 1] != '[';
                        continue;
                }
                *o++ = text[i];
        }
        *o = '\0';
        assert_int_equal(keys, 50);
        assert_int_equal(load_text(&c, out, &err, NULL, 0), 0);
        assert_config_equal(&c, &d);
        assert_defaults(&c);
        free(text);
        free(out);
        config_free(&c);
        config_free(&d);
}

struct fixture_error {
        const char *file;
        unsigned line;
        const char *message[2]; /* substrings the message must contain */
};

static void test_error_fixtures(void **state)
{
        (void) state;
        static const struct fixture_error cases[] = {
                {"typo-key.conf", 5, {"unknown key \"intervall\" in [sampling]", "interval"}},
                {"no-unit.conf", 4, {"[psi] window: \"2\" has no unit", "us, ms, s or min"}},
                {"outside-section.conf", 1, {"\"interval\"", "outside of any section"}},
                {"no-equals.conf", 2, {"line has no \"=\"", "window 2s"}},
                {"unknown-section.conf", 3, {"unknown section \"[bogus]\"", "psi"}},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cgmem_config c;
                struct config_error err;
                char path[256];

                snprintf(path, sizeof(path), CONFIG_FIXTURES "/%s", cases[i].file);
                config_init_defaults(&c);
                assert_int_equal(config_load_file(&c, path, 1, &err), -EINVAL);
                assert_where_line(&err, path, cases[i].line);
                for (size_t j = 0; j < 2; j++)
                        if (!strstr(err.message, cases[i].message[j]))
                                fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].file, err.message,
                                         cases[i].message[j]);
                /* A failed load leaves what was there. */
                assert_defaults(&c);
                config_free(&c);
        }
}

struct text_error {
        const char *text;
        unsigned line;
        const char *message[2];
};

static const struct text_error text_errors[] = {
        {"[sampling]\nrescan = 10\n", 2, {"[sampling] rescan:", "has no unit"}},
        {"[sampling]\nrescan = 10h\n", 2, {"[sampling] rescan:", "\"10h\" is not a duration"}},
        {"[sampling]\nrescan = -1s\n", 2, {"[sampling] rescan:", "is not a duration"}},
        {"[sampling]\nrescan = 1.5us\n", 2, {"[sampling] rescan:", "whole number of micro"}},
        {"[sampling]\nrescan = 18446744073709552s\n", 2, {"[sampling] rescan:", "too long"}},
        {"[sampling]\nrescan =\n", 2, {"[sampling] rescan:", "\"\" is not a duration"}},
        {"[cgroup]\nall = maybe\n", 2, {"[cgroup] all:", "is not a boolean"}},
        {"[cgroup]\nall =\n", 2, {"[cgroup] all:", "is not a boolean"}},
        {"[cgroup]\nroot = sys/fs/cgroup\n", 2, {"[cgroup] root:", "not an absolute path"}},
        {"[cgroup]\ncontainers = /ok/* /bad/[0-9\n", 2, {"[cgroup] containers:", "unterminated"}},
        {"[cgroup]\ncontainers = /bad\\\n", 2, {"[cgroup] containers:", "lone"}},
        {"[psi]\nstall = partial\n", 2, {"[psi] stall:", "use some or full"}},
        {"[psi]\nmax_triggers = -1\n", 2, {"[psi] max_triggers:", "not an unsigned integer"}},
        {"[psi]\nmax_triggers = 12a\n", 2, {"[psi] max_triggers:", "not an unsigned integer"}},
        {"[psi]\nmax_triggers = +5\n", 2, {"[psi] max_triggers:", "not an unsigned integer"}},
        {"[psi]\nmax_triggers = 4294967296\n", 2, {"[psi] max_triggers:", "out of range"}},
        {"[events]\nqueue = 99999999999999999999\n", 2, {"[events] queue:", "out of range"}},
        {"[psi]\nusage_fraction = 0\n", 2, {"[psi] usage_fraction:", "not a fraction"}},
        {"[psi]\nusage_fraction = 1.01\n", 2, {"[psi] usage_fraction:", "not a fraction"}},
        {"[psi]\nusage_fraction = nan\n", 2, {"[psi] usage_fraction:", "not a fraction"}},
        {"[psi]\nusage_fraction = 0.5x\n", 2, {"[psi] usage_fraction:", "not a fraction"}},
        {"[psi]\nusage_fraction = 0x0.8p0\n", 2, {"[psi] usage_fraction:", "not a fraction"}},
        {"[events]\nkernel_memory_threshold = inf\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = 100.5\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = -1\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = -0\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = +5\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = .5\n", 2, {"threshold:", "not a percentage"}},
        {"[events]\nkernel_memory_threshold = 1e999\n", 2, {"threshold:", "not a percentage"}},
        {"# c\n\n[psi\n", 3, {"malformed section header", "[psi"}},
        {"[]\n", 1, {"malformed section header", "[]"}},
        {"[psi] # note\n", 1, {"malformed section header", "[psi] # note"}},
        {"[PSI]\n", 1, {"unknown section \"[PSI]\"", "sampling"}},
        {"[psi]\n= 2s\n", 2, {"no key before \"=\"", "[psi]"}},
        {"[psi]\nwindow = 2s # two seconds\n", 2, {"[psi] window:", "is not a duration"}},
        {"[events]\nqueue = 64\nstdouts = yes\n",
         3,
         {"unknown key \"stdouts\" in [events]", "stdout, file, journal, queue"}},
};

static void test_error_texts(void **state)
{
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(text_errors); i++) {
                const struct text_error *t = &text_errors[i];
                struct cgmem_config c;
                struct config_error err;
                char path[256];

                config_init_defaults(&c);
                if (load_text(&c, t->text, &err, path, sizeof(path)) != -EINVAL)
                        fail_msg("case %zu (%s) did not fail with -EINVAL", i, t->text);
                assert_where_line(&err, path, t->line);
                for (size_t j = 0; j < 2; j++)
                        if (!strstr(err.message, t->message[j]))
                                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message,
                                         t->message[j]);
                assert_defaults(&c);
                config_free(&c);
        }
}

static void test_failed_load_keeps_config(void **state)
{
        (void) state;
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/full.conf", 1, &err), 0);
        /* Valid keys before the bad line must not leak into c. */
        assert_int_equal(load_text(&c,
                                   "[cgroup]\nroot = /elsewhere\ncontainers = /z\n"
                                   "[psi]\nwindow = 3s\nstall = none\n",
                                   &err, NULL, 0),
                         -EINVAL);
        assert_full(&c);
        config_free(&c);
}

static void test_nul_and_long_lines(void **state)
{
        (void) state;
        static const char with_nul[] = "[psi]\nwindow = 2s\0junk\n";
        struct cgmem_config c;
        struct config_error err;
        char *path, *text = malloc(4200);

        config_init_defaults(&c);
        path = write_tmp(with_nul, sizeof(with_nul) - 1);
        assert_int_equal(config_load_file(&c, path, 1, &err), -EINVAL);
        assert_where_line(&err, path, 2);
        assert_non_null(strstr(err.message, "NUL"));
        unlink(path);
        free(path);

        /* 4096 bytes before the newline are fine, 4097 are not. */
        assert_non_null(text);
        strcpy(text, "[events]\nfile = /");
        size_t prefix = strlen("file = /");
        memset(text + strlen(text), 'a', 4096 - prefix);
        strcpy(text + 9 + 4096, "\n");
        assert_int_equal(load_text(&c, text, &err, NULL, 0), 0);
        assert_int_equal(strlen(c.events_file), 4096 - strlen("file = "));
        strcpy(text + 9 + 4096, "a\n");
        char where[256];
        assert_int_equal(load_text(&c, text, &err, where, sizeof(where)), -EINVAL);
        assert_where_line(&err, where, 2);
        assert_non_null(strstr(err.message, "longer than 4096"));
        free(text);
        config_free(&c);
}

/* Sets [sampling] interval from text; returns config_set()'s answer and the usec. */
static int duration_of(const char *text, uint64_t *ret)
{
        struct cgmem_config c;
        struct config_error err;
        char assignment[128];
        int r;

        config_init_defaults(&c);
        c.interval_usec = UINT64_C(0xdeadbeef);
        snprintf(assignment, sizeof(assignment), "sampling.interval=%s", text);
        r = config_set(&c, assignment, &err);
        *ret = c.interval_usec;
        config_free(&c);
        return r;
}

static void test_durations(void **state)
{
        (void) state;
        static const struct {
                const char *text;
                uint64_t usec;
        } cases[] = {
                {"0us", 0},
                {"0ms", 0},
                {"0s", 0},
                {"1us", 1},
                {"150ms", 150 * MS},
                {"1s", SEC},
                {"1.5s", 1500 * MS},
                {"1.50000s", 1500 * MS},
                {"1.0000000000000s", SEC},
                {"0.000001s", 1},
                {"0.001ms", 1},
                {"2min", 120 * SEC},
                {"1.25min", 75 * SEC},
                {"0.0000001min", 6},
                {"007s", 7 * SEC},
                {"18446744073709551615us", UINT64_MAX},
                {"18446744073709551ms", UINT64_C(18446744073709551000)},
                {"18446744073709.551615s", UINT64_MAX},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t usec;
                if (duration_of(cases[i].text, &usec) != 0)
                        fail_msg("\"%s\" was refused", cases[i].text);
                if (usec != cases[i].usec)
                        fail_msg("\"%s\" gave %llu", cases[i].text, (unsigned long long) usec);
        }
}

static void test_duration_errors(void **state)
{
        (void) state;
        static const char *const bad[] = {
                "",
                "0",
                "2",
                "1.5",
                "s",
                "ms",
                ".5s",
                "1.s",
                "1..5s",
                "1.5.5s",
                "1 s",
                "1S",
                "1sec",
                "1m",
                "1h",
                "-1s",
                "+1s",
                "1e3ms",
                "0x10s",
                "1.5us",
                "0.0001ms",
                "1.00000000001s",
                "18446744073709551616us",
                "18446744073709552ms",
                "18446744073709.551616s",
                "307445734562min",
                "nan",
                "inf",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t usec;
                if (duration_of(bad[i], &usec) != -EINVAL)
                        fail_msg("\"%s\" was accepted", bad[i]);
                if (usec != UINT64_C(0xdeadbeef))
                        fail_msg("\"%s\" changed the value on failure", bad[i]);
        }
}

static void test_scalars(void **state)
{
        (void) state;
        static const char *const yes[] = {"yes", "true", "on", "1", "Yes", "TRUE", "On"};
        static const char *const no[] = {"no", "false", "off", "0", "NO", "False", "OFF"};
        struct cgmem_config c;
        struct config_error err;
        char a[64];

        config_init_defaults(&c);
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                snprintf(a, sizeof(a), "agent.dry_run=%s", yes[i]);
                assert_int_equal(config_set(&c, a, &err), 0);
                assert_int_equal(c.dry_run, 1);
                snprintf(a, sizeof(a), "agent.dry_run=%s", no[i]);
                assert_int_equal(config_set(&c, a, &err), 0);
                assert_int_equal(c.dry_run, 0);
        }
        assert_int_equal(config_set(&c, "psi.max_triggers=4294967295", &err), 0);
        assert_int_equal(c.psi_max_triggers, 4294967295u);
        assert_int_equal(config_set(&c, "psi.max_triggers=0", &err), 0);
        assert_int_equal(c.psi_max_triggers, 0);
        assert_int_equal(config_set(&c, "psi.usage_fraction=1", &err), 0);
        assert_true(c.psi_usage_fraction == 1.0);
        assert_int_equal(config_set(&c, "psi.usage_fraction=1e-3", &err), 0);
        assert_true(c.psi_usage_fraction == 0.001);
        assert_int_equal(config_set(&c, "events.kernel_memory_threshold=0", &err), 0);
        assert_true(c.kernel_memory_threshold_pct == 0.0);
        assert_int_equal(config_set(&c, "events.kernel_memory_threshold=100", &err), 0);
        assert_true(c.kernel_memory_threshold_pct == 100.0);
        assert_int_equal(config_set(&c, "psi.stall=full", &err), 0);
        assert_int_equal(c.psi_stall, PSI_STALL_FULL);
        assert_int_equal(config_set(&c, "psi.stall=FULL", &err), -EINVAL);
        assert_int_equal(config_set(&c, "psi.stall=some", &err), 0);
        assert_int_equal(c.psi_stall, PSI_STALL_SOME);
        config_free(&c);
}

static void test_strings_and_globs(void **state)
{
        (void) state;
        static const char *const two[] = {"/a/*", "/b/[]x]"};
        static const char *const bang[] = {"/c/[!0-9]*", "/d/[^]]"};
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_set(&c, "cgroup.containers=  /a/*\t /b/[]x]  ", &err), 0);
        assert_globs(c.container_globs, two, 2);
        assert_int_equal(config_set(&c, "cgroup.containers=/c/[!0-9]* /d/[^]]", &err), 0);
        assert_globs(c.container_globs, bang, 2);
        assert_int_equal(config_set(&c, "cgroup.containers=", &err), 0);
        assert_globs(c.container_globs, NULL, 0);
        assert_int_equal(config_set(&c, "cgroup.containers=/x/[]", &err), -EINVAL);
        assert_non_null(strstr(err.message, "unterminated"));

        assert_int_equal(config_set(&c, "cgroup.root=", &err), 0);
        assert_string_equal(c.root, "");
        assert_int_equal(config_set(&c, "events.file=/run/a b#c", &err), 0);
        assert_string_equal(c.events_file, "/run/a b#c");
        assert_int_equal(config_set(&c, "events.file=/run/a\nb", &err), -EINVAL);
        assert_non_null(strstr(err.message, "control character"));
        assert_string_equal(c.events_file, "/run/a b#c");
        config_free(&c);
}

static void test_later_wins(void **state)
{
        (void) state;
        static const char *const globs[] = {"/b/*", "/c"};
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/later-wins.conf", 1, &err), 0);
        assert_true(c.interval_usec == 2 * SEC);
        assert_string_equal(c.events_file, "/tmp/b");
        assert_globs(c.container_globs, globs, 2);
        /* A second file applies over the first, keeping what it does not name. */
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/crlf.conf", 1, &err), 0);
        assert_true(c.psi_window_usec == 2 * SEC);
        assert_int_equal(c.psi_stall, PSI_STALL_FULL);
        assert_true(c.interval_usec == 2 * SEC);
        config_free(&c);
}

static void test_set(void **state)
{
        (void) state;
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_set(&c, "psi.window=2s", &err), 0);
        assert_true(c.psi_window_usec == 2 * SEC);
        assert_int_equal(config_set(&c, "  psi.threshold = 200ms  ", &err), 0);
        assert_true(c.psi_threshold_usec == 200 * MS);
        assert_int_equal(config_set(&c, "events.file=/var/log/x=y", &err), 0);
        assert_string_equal(c.events_file, "/var/log/x=y");
        assert_int_equal(config_set(&c, "psi.window=3s", NULL), 0);
        assert_true(c.psi_window_usec == 3 * SEC);
        config_free(&c);
}

static void test_set_errors(void **state)
{
        (void) state;
        static const struct {
                const char *assignment;
                const char *message[2];
        } cases[] = {
                {"psi.window", {"\"psi.window\" has no \"=\"", "section.key=value"}},
                {"window=2s", {"\"window\" has no section", "section.key=value"}},
                {"pis.window=2s", {"unknown section \"[pis]\"", "psi"}},
                {"psi.windows=2s", {"unknown key \"windows\" in [psi]", "window"}},
                {"psi.=2s", {"no key before", "[psi]"}},
                {"psi.window=2", {"[psi] window: \"2\" has no unit", "us, ms, s or min"}},
                {"sampling.interval.x=1s", {"unknown key \"interval.x\"", "[sampling]"}},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cgmem_config c;
                struct config_error err;

                config_init_defaults(&c);
                assert_int_equal(config_set(&c, cases[i].assignment, &err), -EINVAL);
                assert_string_equal(err.where, "--set");
                for (size_t j = 0; j < 2; j++)
                        if (!strstr(err.message, cases[i].message[j]))
                                fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].assignment,
                                         err.message, cases[i].message[j]);
                assert_defaults(&c);
                config_free(&c);
        }
}

/* Applies assignment to defaults and returns what config_validate() says. */
static int validate_with(const char *a1, const char *a2, struct config_error *err)
{
        struct cgmem_config c;
        int r;

        config_init_defaults(&c);
        assert_int_equal(config_set(&c, a1, err), 0);
        if (a2)
                assert_int_equal(config_set(&c, a2, err), 0);
        r = config_validate(&c, err);
        config_free(&c);
        return r;
}

static void test_validate(void **state)
{
        (void) state;
        static const struct {
                const char *a1, *a2;
                const char *message; /* NULL: valid */
        } cases[] = {
                {"psi.window=500ms", "psi.threshold=1us", NULL},
                {"psi.window=499999us", "psi.threshold=1us", "[psi] window"},
                {"psi.window=10s", NULL, NULL},
                {"psi.window=10000001us", NULL, "[psi] window"},
                {"psi.window=0s", NULL, "[psi] window"},
                {"psi.threshold=1s", NULL, NULL},
                {"psi.threshold=1000001us", NULL, "[psi] threshold"},
                {"psi.threshold=0ms", NULL, "[psi] threshold"},
                {"psi.max_triggers=10000", NULL, NULL},
                {"psi.max_triggers=10001", NULL, "[psi] max_triggers"},
                {"sampling.interval=10ms", NULL, NULL},
                {"sampling.interval=9999us", NULL, "[sampling] interval"},
                {"sampling.interval=0s", NULL, "[sampling] interval"},
                {"sampling.rescan=1s", NULL, NULL},
                {"sampling.rescan=999ms", NULL, "[sampling] rescan"},
                {"sampling.interval=1min", NULL, "[sampling] rescan"},
                {"events.queue=16", NULL, NULL},
                {"events.queue=15", NULL, "[events] queue"},
                {"events.kernel_memory_interval=0s", NULL, "kernel_memory_interval"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct config_error err;
                int r = validate_with(cases[i].a1, cases[i].a2, &err);
                if (!cases[i].message) {
                        if (r != 0)
                                fail_msg("%s: refused: %s", cases[i].a1, err.message);
                        continue;
                }
                if (r != -EINVAL || !strstr(err.message, cases[i].message))
                        fail_msg("%s: r=%d \"%s\" lacks \"%s\"", cases[i].a1, r, err.message,
                                 cases[i].message);
                assert_string_equal(err.where, "configuration");
        }
}

static char *write_to_string(const struct cgmem_config *c)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(config_write(c, f), 0);
        fclose(f);
        return buf;
}

static void test_write_defaults(void **state)
{
        (void) state;
        struct cgmem_config c;
        char *text;

        config_init_defaults(&c);
        text = write_to_string(&c);
        assert_string_equal(text, "[cgroup]\n"
                                  "root = /sys/fs/cgroup\n"
                                  "containers =\n"
                                  "all = no\n"
                                  "\n"
                                  "[sampling]\n"
                                  "interval = 1s\n"
                                  "rescan = 30s\n"
                                  "\n"
                                  "[psi]\n"
                                  "stall = some\n"
                                  "threshold = 150ms\n"
                                  "window = 1s\n"
                                  "usage_fraction = 0.5\n"
                                  "max_triggers = 256\n"
                                  "\n"
                                  "[events]\n"
                                  "stdout = yes\n"
                                  "file =\n"
                                  "journal = no\n"
                                  "queue = 4096\n"
                                  "kernel_memory_interval = 1min\n"
                                  "kernel_memory_threshold = 20\n"
                                  "kernel_memory_change = 5\n"
                                  "episode_quiet = 1min\n"
                                  "episode_summary = 15min\n"
                                  "kills_dir = /var/lib/cgmem/kills\n"
                                  "kills_keep = 100\n"
                                  "\n"
                                  "[enforce]\n"
                                  "enabled = yes\n"
                                  "kill = yes\n"
                                  "protect = init.scope system.slice/*.service\n"
                                  "guard_fraction = 0.04\n"
                                  "limit_margin = 0.004\n"
                                  "settle = 100ms\n"
                                  "release_page_cache = yes\n"
                                  "stuck_after = 2s\n"
                                  "stuck_psi_full = 40\n"
                                  "stuck_kill = yes\n"
                                  "namespaces =\n"
                                  "\n"
                                  "[node]\n"
                                  "slice =\n"
                                  "mem_floor = 4\n"
                                  "swap_floor = 10\n"
                                  "sustain = 5s\n"
                                  "horizon = 2min\n"
                                  "pressure_full = 60\n"
                                  "pressure_duration = 30s\n"
                                  "post_kill_delay = 2s\n"
                                  "fast_interval = 100ms\n"
                                  "\n"
                                  "[runtimes]\n"
                                  "docker_socket = /var/run/docker.sock\n"
                                  "podman_socket = /run/podman/podman.sock\n"
                                  "containerd_socket = /run/containerd/containerd.sock\n"
                                  "crio_socket = /var/run/crio/crio.sock\n"
                                  "timeout = 2s\n"
                                  "names_ttl = 60min\n"
                                  "retry_max = 1min\n"
                                  "\n"
                                  "[agent]\n"
                                  "dry_run = no\n"
                                  "mlock = yes\n");
        free(text);
        config_free(&c);
}

/* Writes c, loads the text over fresh defaults, and checks nothing changed. */
static void assert_round_trip(const struct cgmem_config *c)
{
        struct cgmem_config back;
        struct config_error err;
        char *text = write_to_string(c);

        config_init_defaults(&back);
        if (load_text(&back, text, &err, NULL, 0) != 0)
                fail_msg("%s: %s\n%s", err.where, err.message, text);
        assert_config_equal(c, &back);
        free(text);
        config_free(&back);
}

static void test_round_trip(void **state)
{
        (void) state;
        static const char *const tricky[] = {
                "sampling.interval=1500ms",
                "sampling.rescan=90s",
                "psi.threshold=1us",
                "psi.window=0s",
                "events.kernel_memory_interval=18446744073709551615us",
                "psi.usage_fraction=0.1",
                "psi.usage_fraction=0.3333333333333333333",
                "events.kernel_memory_threshold=99.99999999999999",
                "events.kernel_memory_threshold=1e-300",
                "cgroup.root=",
                "events.file=/a b #c",
                "cgroup.containers=/only",
        };
        struct cgmem_config c;
        struct config_error err;
        char *text;

        config_init_defaults(&c);
        assert_round_trip(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/full.conf", 1, &err), 0);
        assert_round_trip(&c);
        text = write_to_string(&c);
        assert_non_null(strstr(text, "rescan = 2min\n"));
        assert_non_null(strstr(text, "threshold = 1500ms\n"));
        assert_non_null(strstr(text, "kernel_memory_interval = 90s\n"));
        assert_non_null(
                strstr(text, "containers = /machine.slice/*.scope /custom/app-[0-9]* /x/\\*"));
        free(text);
        for (size_t i = 0; i < ELEMENTSOF(tricky); i++) {
                assert_int_equal(config_set(&c, tricky[i], &err), 0);
                assert_round_trip(&c);
        }
        config_free(&c);
}

static void test_missing_file(void **state)
{
        (void) state;
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/absent.conf", 0, &err), 0);
        assert_defaults(&c);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/absent.conf", 1, &err), -ENOENT);
        assert_string_equal(err.where, CONFIG_FIXTURES "/absent.conf");
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES, 0, &err), -EISDIR);
        assert_string_equal(err.where, CONFIG_FIXTURES);
        assert_int_equal(config_load_file(&c, CONFIG_FIXTURES "/typo-key.conf", 0, NULL), -EINVAL);
        assert_defaults(&c);
        config_free(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_full_file),
                cmocka_unit_test(test_example_config),
                cmocka_unit_test(test_error_fixtures),
                cmocka_unit_test(test_error_texts),
                cmocka_unit_test(test_failed_load_keeps_config),
                cmocka_unit_test(test_nul_and_long_lines),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_duration_errors),
                cmocka_unit_test(test_scalars),
                cmocka_unit_test(test_strings_and_globs),
                cmocka_unit_test(test_later_wins),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_set_errors),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_write_defaults),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_missing_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
