/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroupfs sample against a live cgroup, and the memory.events counters it reports. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cases.h"
#include "cgroupfs/sample.h"
#include "kt.h"

#define MiB (UINT64_C(1) << 20)

/* Waits until memory.current reaches bytes; fails the case after timeout_ms. */
static void wait_current_at_least(int cg, uint64_t bytes, unsigned timeout_ms)
{
        for (unsigned waited = 0; kt_read_value(cg, "memory.current") < bytes; waited += 50) {
                KT_ASSERT(waited < timeout_ms, "memory.current stayed below %llu",
                          (unsigned long long) bytes);
                kt_sleep_ms(50);
        }
}

static void assert_events_match_file(int cg, const struct memcg_events *e)
{
        KT_ASSERT(e->low == kt_read_key(cg, "memory.events", "low"), "low");
        KT_ASSERT(e->high == kt_read_key(cg, "memory.events", "high"), "high");
        KT_ASSERT(e->max == kt_read_key(cg, "memory.events", "max"), "max");
        KT_ASSERT(e->oom == kt_read_key(cg, "memory.events", "oom"), "oom");
        KT_ASSERT(e->oom_kill == kt_read_key(cg, "memory.events", "oom_kill"), "oom_kill");
}

void case_sample_matches_files(void)
{
        int cg = kt_cgroup_new("sample");
        struct memcg_sample s;
        const char *file = NULL;

        kt_write(cg, "memory.max", "67108864");
        kt_write(cg, "memory.high", "50331648");
        kt_write(cg, "memory.low", "2097152");
        kt_write(cg, "memory.min", "1048576");
        kt_spawn_in(cg, (char *[]){"memhog", "--total", "16", "--hold", NULL});
        wait_current_at_least(cg, 16 * MiB, 10000);

        uint64_t before = kt_read_value(cg, "memory.current");
        int r = memcg_sample_read_once(cg, &s, &file);
        uint64_t after = kt_read_value(cg, "memory.current");
        KT_ASSERT(r == 0, "sample: %s at %s", strerror(-r), file);

        KT_ASSERT(s.max_bytes == 64 * MiB, "max %llu", (unsigned long long) s.max_bytes);
        KT_ASSERT(s.high_bytes == 48 * MiB, "high %llu", (unsigned long long) s.high_bytes);
        KT_ASSERT(s.low_bytes == 2 * MiB && s.min_bytes == 1 * MiB, "low/min");
        KT_ASSERT(s.swap_max_bytes == kt_read_value(cg, "memory.swap.max"), "swap.max");
        /* A holding hog's usage moves by a few kernel pages at most between the reads. */
        uint64_t lo = (before < after ? before : after) - MiB;
        uint64_t hi = (before > after ? before : after) + MiB;
        KT_ASSERT(s.current_bytes >= lo && s.current_bytes <= hi,
                  "current %llu not in [%llu, %llu]", (unsigned long long) s.current_bytes,
                  (unsigned long long) lo, (unsigned long long) hi);
        KT_ASSERT(s.stat.anon >= 16 * MiB, "anon %llu", (unsigned long long) s.stat.anon);
        uint64_t anon = kt_read_key(cg, "memory.stat", "anon");
        KT_ASSERT(s.stat.anon + MiB >= anon && anon + MiB >= s.stat.anon, "anon vs file %llu",
                  (unsigned long long) anon);
        uint64_t kernel = kt_read_key(cg, "memory.stat", "kernel");
        KT_ASSERT(s.stat.kernel + MiB >= kernel && kernel + MiB >= s.stat.kernel,
                  "kernel %llu vs file %llu", (unsigned long long) s.stat.kernel,
                  (unsigned long long) kernel);
        KT_ASSERT(memcg_working_set_bytes(&s) == s.current_bytes - s.stat.inactive_file,
                  "working set");
        assert_events_match_file(cg, &s.events);
        KT_ASSERT((s.have & (MEMCG_HAVE_PSI | MEMCG_HAVE_PEAK | MEMCG_HAVE_STAT_KERNEL)) ==
                          (MEMCG_HAVE_PSI | MEMCG_HAVE_PEAK | MEMCG_HAVE_STAT_KERNEL),
                  "have 0x%x: the 6.1 guest has memory.pressure, memory.peak and kernel", s.have);
        KT_ASSERT(s.peak_bytes >= s.current_bytes - MiB, "peak %llu",
                  (unsigned long long) s.peak_bytes);
}

void case_oom_kill_counted(void)
{
        int cg = kt_cgroup_new("oom");
        struct memcg_sample s;

        kt_write(cg, "memory.max", "67108864");
        kt_write(cg, "memory.swap.max", "0");
        pid_t hog = kt_spawn_in(cg, (char *[]){"memhog", "--total", "200", NULL});
        int status = kt_wait(hog, 60000);
        KT_ASSERT(status != -1, "the hog outlived 60 s at memory.max");
        KT_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "hog status 0x%x", status);
        KT_OK(memcg_sample_read_once(cg, &s, NULL));
        kt_log("events: max %llu oom %llu oom_kill %llu", (unsigned long long) s.events.max,
               (unsigned long long) s.events.oom, (unsigned long long) s.events.oom_kill);
        /* oom 0 with oom_kill 1 would mean a global OOM: the guest itself ran out. */
        KT_ASSERT(s.events.oom >= 1, "oom %llu", (unsigned long long) s.events.oom);
        KT_ASSERT(s.events.oom_kill >= 1, "oom_kill %llu", (unsigned long long) s.events.oom_kill);
        KT_ASSERT(s.events.max >= 1, "max %llu", (unsigned long long) s.events.max);
        assert_events_match_file(cg, &s.events);
}

void case_high_throttles(void)
{
        int cg = kt_cgroup_new("high");
        struct memcg_sample s1, s2;

        kt_write(cg, "memory.high", "33554432");
        kt_write(cg, "memory.swap.max", "0");
        kt_spawn_in(cg, (char *[]){"memhog", "--total", "128", "--hold", NULL});
        wait_current_at_least(cg, 24 * MiB, 10000);
        kt_sleep_ms(2000);
        KT_OK(memcg_sample_read_once(cg, &s1, NULL));
        kt_sleep_ms(1500);
        KT_OK(memcg_sample_read_once(cg, &s2, NULL));
        kt_log("high events %llu -> %llu, some total %llu -> %llu usec, current %llu",
               (unsigned long long) s1.events.high, (unsigned long long) s2.events.high,
               (unsigned long long) s1.psi.some.total_usec,
               (unsigned long long) s2.psi.some.total_usec, (unsigned long long) s2.current_bytes);
        KT_ASSERT(s2.events.high > s1.events.high, "high events did not rise");
        KT_ASSERT(s2.psi.some.total_usec > s1.psi.some.total_usec + 100000,
                  "less than 100 ms of stall in 1.5 s above memory.high");
        KT_ASSERT(s2.current_bytes < 64 * MiB, "the hog grew to %llu past high",
                  (unsigned long long) s2.current_bytes);
        KT_ASSERT(s2.events.oom_kill == 0, "memory.high must not OOM-kill");
}
