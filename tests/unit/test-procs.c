/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for cgroupfs/procs.c: /proc/PID/status and smaps_rollup as Linux
 * prints them (tests/fixtures/proc/), malformed ones, and a snapshot of a
 * scratch "cgroup" whose processes live in a scratch "/proc".
 */

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
#include <unistd.h>

#include "cgroupfs/procs.h"
#include "unit-util.h"

#define KiB UINT64_C(1024)

static struct proc_memory parse_fixture(const char *status, int expect)
{
        size_t len;
        char path[256];
        struct proc_memory m = {.pid = 7};

        snprintf(path, sizeof(path), "tests/fixtures/proc/%s", status);
        char *text = read_exact(path, &len);
        assert_int_equal(parse_proc_status(text, len, &m), expect);
        free(text);
        return m;
}

static void test_status(void **state)
{
        (void) state;
        struct proc_memory m = parse_fixture("status-sleep", 0);

        assert_string_equal(m.comm, "sleep");
        assert_int_equal(m.pid, 7);
        assert_int_equal(m.rss_anon_bytes, 108 * KiB);
        assert_int_equal(m.rss_file_bytes, 1684 * KiB);
        assert_int_equal(m.rss_shmem_bytes, 0);
        assert_int_equal(m.swap_bytes, 0);
        assert_true(m.pss_bytes == PROC_VALUE_UNKNOWN && m.uss_bytes == PROC_VALUE_UNKNOWN);
        assert_int_equal(proc_rss_bytes(&m), 1792 * KiB);
}

/* A kernel thread has no memory lines: zeros, not an error. */
static void test_status_kthread(void **state)
{
        (void) state;
        struct proc_memory m = parse_fixture("status-kthread", 0);

        assert_string_equal(m.comm, "kthreadd");
        assert_int_equal(proc_rss_bytes(&m) + m.swap_bytes, 0);
}

static void test_status_malformed(void **state)
{
        static const char *const bad[] = {
                "",                                           /* empty */
                "Umask:\t0022\nName:\tx\n",                   /* Name not first */
                "Name:\t\nRssAnon:\t1 kB\n",                  /* no name */
                "Name:\tx\nRssAnon:\tlots kB\n",              /* not a number */
                "Name:\tx\nRssAnon:\t1 kB\nRssAnon:\t2 kB\n", /* twice */
                "Name:\tx\nno colon here\n",
                "Name:\tx\nVmSwap:\t18446744073709551615 kB\n", /* bytes overflow */
        };
        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct proc_memory m;
                assert_true(parse_proc_status(bad[i], strlen(bad[i]), &m) < 0);
        }
}

/* A name longer than the kernel keeps (an escaped one) is cut to 15 bytes. */
static void test_status_long_name(void **state)
{
        static const char text[] = "Name:\ta\\nbcdefghijklmnopq\nRssAnon:\t4 kB\n";
        struct proc_memory m;
        (void) state;

        assert_int_equal(parse_proc_status(text, strlen(text), &m), 0);
        assert_string_equal(m.comm, "a\\nbcdefghijklm");
}

static void test_smaps_rollup(void **state)
{
        size_t len;
        struct proc_memory m = {0};
        (void) state;

        char *text = read_exact("tests/fixtures/proc/smaps_rollup-sleep", &len);
        assert_int_equal(parse_smaps_rollup(text, len, &m), 0);
        assert_int_equal(m.pss_bytes, 225 * KiB);
        assert_int_equal(m.uss_bytes, (36 + 108) * KiB);
        free(text);
        static const char no_pss[] = "0-1 ---p 00000000 00:00 0 [rollup]\nRss: 4 kB\n";
        assert_int_equal(parse_smaps_rollup(no_pss, strlen(no_pss), &m), -EINVAL);
}

static void put_proc(const char *proc, int pid, const char *name, unsigned anon_kb)
{
        char dir[512], text[256];

        snprintf(dir, sizeof(dir), "%s/%d", proc, pid);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(text, sizeof(text), "Name:\t%s\nRssAnon:\t%u kB\nRssFile:\t4 kB\nVmSwap:\t0 kB\n",
                 name, anon_kb);
        write_file_at(dir, "status", text);
}

/* A scratch cgroup directory beside a /proc of four processes (pid 12 has none). */
static char *make_procs(char *proc, size_t size)
{
        char *dir = make_scratch();

        snprintf(proc, size, "%s/proc", dir);
        assert_int_equal(mkdir(proc, 0755), 0);
        put_proc(proc, 10, "small", 100);
        put_proc(proc, 11, "big", 9000);
        put_proc(proc, 13, "middle", 500);
        put_proc(proc, 14, "bigger", 20000);
        return dir;
}

/*
 * Five processes, one gone before it was read: the three heaviest kept,
 * heaviest first, and all five counted.
 */
static void test_snapshot(void **state)
{
        char proc[512], *dir = make_procs(proc, sizeof(proc));
        struct proc_memory top[3];
        struct procs_snapshot s;
        (void) state;

        write_file_at(dir, "cgroup.procs", "10\n11\n12\n13\n14\n");
        int cg = open_dir(dir), pfd = open_dir(proc);
        assert_int_equal(procs_snapshot_take(cg, pfd, true, 0, top, 3, &s), 0);
        assert_int_equal(s.n_procs, 5);
        assert_int_equal(s.n_top, 3);
        assert_true(s.complete);
        assert_string_equal(top[0].comm, "bigger");
        assert_int_equal(top[0].pid, 14);
        assert_string_equal(top[1].comm, "big");
        assert_string_equal(top[2].comm, "middle");
        assert_true(top[0].pss_bytes == PROC_VALUE_UNKNOWN); /* no smaps_rollup there */
        /* With a rollup for "small" only: it is read after every status, for the kept ones. */
        char pdir[600];
        size_t len;
        char *rollup = read_exact("tests/fixtures/proc/smaps_rollup-sleep", &len);
        char *text = strndup(rollup, len); /* read_exact's buffer has no NUL */
        snprintf(pdir, sizeof(pdir), "%s/13", proc);
        write_file_at(pdir, "smaps_rollup", text);
        free(text);
        free(rollup);
        assert_int_equal(procs_snapshot_take(cg, pfd, true, 0, top, 3, &s), 0);
        assert_string_equal(top[2].comm, "middle");
        assert_int_equal(top[2].pss_bytes, 225 * 1024);
        assert_true(top[1].pss_bytes == PROC_VALUE_UNKNOWN);
        /* A deadline in the past: counted, none read. */
        assert_int_equal(procs_snapshot_take(cg, pfd, false, 1, top, 3, &s), 0);
        assert_int_equal(s.n_procs, 5);
        assert_int_equal(s.n_top, 0);
        assert_false(s.complete);
        close(cg);
        close(pfd);
        rm_rf(dir);
        free(dir);
}

/*
 * A snapshot cut short goes on after the last process it read, without reading
 * again the ones before; if that one exited, from the first, skipping those
 * kept.
 */
static void test_snapshot_resume(void **state)
{
        char proc[512], *dir = make_procs(proc, sizeof(proc));
        struct proc_memory top[3];
        struct procs_snapshot s;
        (void) state;

        int cg = open_dir(dir), pfd = open_dir(proc);
        /* Nothing read before the deadline, then the rest: everything. */
        write_file_at(dir, "cgroup.procs", "10\n11\n12\n13\n14\n");
        assert_int_equal(procs_snapshot_take(cg, pfd, false, 1, top, 3, &s), 0);
        assert_false(s.complete);
        assert_int_equal(procs_snapshot_resume(cg, pfd, false, 0, &s), 0);
        assert_true(s.complete);
        assert_int_equal(s.n_procs, 5);
        assert_int_equal(s.n_top, 3);
        assert_string_equal(top[0].comm, "bigger");
        assert_string_equal(top[2].comm, "middle");
        /* Cut after 13 (as if), 10 read and left out of top by the cap: 12 and 14 are read,
           10, 11 and 13 not again, though 10 and 11 grew since. */
        write_file_at(dir, "cgroup.procs", "10\n11\n13\n");
        assert_int_equal(procs_snapshot_take(cg, pfd, false, 0, top, 2, &s), 0);
        assert_int_equal(s.mark, 13);
        s.cap = 3;
        s.complete = false;
        write_file_at(dir, "cgroup.procs", "10\n11\n13\n12\n14\n");
        write_file_at(proc, "10/status", "Name:\tsmall\nRssAnon:\t50000 kB\n");
        write_file_at(proc, "11/status", "Name:\tbig\nRssAnon:\t90000 kB\n");
        assert_int_equal(procs_snapshot_resume(cg, pfd, false, 0, &s), 0);
        assert_true(s.complete);
        assert_int_equal(s.n_procs, 5);
        assert_int_equal(s.mark, 14);
        assert_int_equal(s.n_top, 3);
        assert_string_equal(top[0].comm, "bigger");
        assert_string_equal(top[1].comm, "big");
        assert_int_equal(top[1].rss_anon_bytes, 9000 * 1024);
        assert_string_equal(top[2].comm, "middle");
        /* The mark exited, and "bigger" with it: from the first, 11 and 13 kept and not read
           again; 10 and 15 read afresh, 10 (grown) taking the place of the gone. */
        put_proc(proc, 15, "late", 1);
        s.mark = 12;
        s.complete = false;
        write_file_at(dir, "cgroup.procs", "10\n11\n13\n15\n");
        assert_int_equal(procs_snapshot_resume(cg, pfd, false, 0, &s), 0);
        assert_true(s.complete);
        assert_int_equal(s.n_procs, 4);
        assert_int_equal(s.n_top, 3);
        assert_string_equal(top[0].comm, "small");
        assert_int_equal(top[0].rss_anon_bytes, 50000 * 1024);
        assert_string_equal(top[1].comm, "big");
        assert_int_equal(top[1].rss_anon_bytes, 9000 * 1024);
        assert_string_equal(top[2].comm, "middle");
        /* A malformed list is an error, and the snapshot and its top stay as they were. */
        struct proc_memory before[3];
        struct procs_snapshot was = s;
        memcpy(before, top, sizeof(top));
        write_file_at(dir, "cgroup.procs", "14\n10\nx\n");
        s.complete = false;
        was.complete = false;
        assert_int_equal(procs_snapshot_resume(cg, pfd, false, 0, &s), -EINVAL);
        assert_memory_equal(&s, &was, sizeof(s));
        assert_memory_equal(top, before, sizeof(top));
        close(cg);
        close(pfd);
        rm_rf(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status),           cmocka_unit_test(test_status_kthread),
                cmocka_unit_test(test_status_malformed), cmocka_unit_test(test_status_long_name),
                cmocka_unit_test(test_smaps_rollup),     cmocka_unit_test(test_snapshot),
                cmocka_unit_test(test_snapshot_resume),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
