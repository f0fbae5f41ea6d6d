/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgmem run against live cgroups: discovery, kernel OOM kills, PSI triggers, kernel memory. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define MiB (INT64_C(1) << 20)

/* The agent treats the case's children as containers, samples fast, and reports on them. */
#define AGENT_ARGS(glob) "--set", "cgroup.containers=" glob, "--interval", "250ms"
/* For the cases about what the kernel does on its own: cgmem only watches. */
#define WATCH_ONLY "--set", "enforce.enabled=no"

/*
 * Creates a child that exists before the agent starts: its container_seen comes
 * from the initial walk, after inotify is set up, so the agent is then watching.
 */
static void start_watching(struct kt_agent *a, int cg, const char *name, const char *const args[])
{
        char path[256];

        close(kt_cgroup_child(cg, "sentinel"));
        kt_agent_start(a, name, args);
        kt_agent_expect(a, "started", NULL, 10000);
        kt_agent_cgroup("sentinel", path, sizeof(path));
        kt_agent_expect(a, "container_seen", path, 10000);
}

static int64_t seq_of(json_t *e)
{
        return kt_json_int(e, "seq");
}

void case_agent_container_lifecycle(void)
{
        int cg = kt_cgroup_new("agent");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        start_watching(&a, cg, "agent_container_lifecycle",
                       (const char *const[]){AGENT_ARGS("cgmem-ktest/agent/*"), WATCH_ONLY, NULL});
        kt_agent_cgroup("victim", path, sizeof(path));

        uint64_t t0 = kt_now_usec();
        int victim = kt_cgroup_child(cg, "victim");
        json_t *seen = kt_agent_expect(&a, "container_seen", path, 5000);
        uint64_t seen_ms = (kt_now_usec() - t0) / 1000;
        kt_log("container_seen %llu ms after mkdir", (unsigned long long) seen_ms);
        KT_ASSERT(seen_ms < 100, "container_seen took %llu ms", (unsigned long long) seen_ms);

        kt_write(victim, "memory.max", "67108864");
        kt_write(victim, "memory.swap.max", "0");
        pid_t hog = kt_spawn_in(victim, (char *[]){"memhog", "--total", "200", NULL});
        json_t *oom = kt_agent_expect(&a, "oom_kill", path, 30000);
        json_t *victim_info = json_object_get(oom, "victim");
        KT_ASSERT(json_is_object(victim_info), "the oom_kill event names no victim");
        KT_ASSERT(kt_json_int(victim_info, "pid") == hog, "victim pid %lld, hog %d",
                  (long long) kt_json_int(victim_info, "pid"), (int) hog);
        KT_ASSERT(strcmp(kt_json_str(victim_info, "comm"), "memhog") == 0, "victim comm %s",
                  kt_json_str(victim_info, "comm"));
        KT_ASSERT(kt_json_int(oom, "oom_kill_after") >= 1, "oom_kill_after");
        KT_ASSERT(kt_json_int(victim_info, "anon_rss_bytes") > 32 * MiB, "victim rss");
        json_t *memory_event = kt_agent_expect(&a, "memory_event", path, 5000);
        json_t *after = json_object_get(memory_event, "after");
        KT_ASSERT(kt_json_int(after, "oom") >= 1 && kt_json_int(after, "oom_kill") >= 1,
                  "memory_event without the oom counts");

        KT_ASSERT(kt_wait(hog, 10000) != -1, "the hog survived its OOM kill");
        KT_ASSERT(unlinkat(cg, "victim", AT_REMOVEDIR) == 0, "rmdir victim: %m");
        json_t *gone = kt_agent_expect(&a, "container_gone", path, 5000);
        KT_ASSERT(seq_of(seen) < seq_of(oom) && seq_of(oom) < seq_of(gone),
                  "events out of order: seen %lld, oom_kill %lld, gone %lld",
                  (long long) seq_of(seen), (long long) seq_of(oom), (long long) seq_of(gone));
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
}

/*
 * A container pinned at memory.high: its trigger fires every second, and the
 * stream says so once (episodes), with the trigger's numbers. The backstop
 * round is slow here so that the trigger, not a sample, is what tells.
 */
void case_agent_pressure_from_trigger(void)
{
        int cg = kt_cgroup_new("agent-psi");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        start_watching(&a, cg, "agent_pressure_from_trigger",
                       (const char *const[]){"--set", "cgroup.containers=cgmem-ktest/agent-psi/*",
                                             "--interval", "30s", NULL});
        int throttled = kt_cgroup_child(cg, "throttled");
        kt_write(throttled, "memory.high", "33554432");
        kt_write(throttled, "memory.swap.max", "0");
        kt_agent_cgroup("throttled", path, sizeof(path));
        kt_agent_expect(&a, "container_seen", path, 5000);
        kt_spawn_in(throttled, (char *[]){"memhog", "--total", "128", "--hold", NULL});

        json_t *e = kt_agent_expect(&a, "pressure", path, 15000);
        KT_ASSERT(strcmp(kt_json_str(e, "source"), "psi_trigger") == 0, "source %s",
                  kt_json_str(e, "source"));
        json_t *trigger = json_object_get(e, "trigger");
        KT_ASSERT(kt_json_int(trigger, "window_usec") == 1000000, "trigger window");
        json_t *some = json_object_get(json_object_get(e, "psi"), "some");
        KT_ASSERT(kt_json_int(some, "total_usec") > 0, "no stall in a pressure event");
        uint64_t high_before = kt_read_key(throttled, "memory.events", "high");
        unsigned repeats = 0;
        for (uint64_t end = kt_now_usec() + 5000000; kt_now_usec() < end;) {
                json_t *next = kt_agent_next(&a, 500);
                /* This container's: the root's trigger may speak of the node meanwhile. */
                repeats += next && strcmp(kt_json_str(next, "type"), "pressure") == 0 &&
                           strcmp(kt_json_str(next, "cgroup"), path) == 0;
        }
        KT_ASSERT(kt_read_key(throttled, "memory.events", "high") > high_before,
                  "it was not held at memory.high any more: the case tested nothing");
        KT_ASSERT(repeats == 0, "%u more pressure events in 5 s of the same episode", repeats);
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
}

/* One "cgmem run --once": the kernel_memory event it prints for path. */
static json_t *kernel_memory_once(const char *name, const char *glob, const char *path)
{
        struct kt_agent a;
        char set[128];

        snprintf(set, sizeof(set), "cgroup.containers=%s", glob);
        kt_agent_start(&a, name, (const char *const[]){"--once", "--set", set, NULL});
        json_t *e = json_incref(kt_agent_expect(&a, "kernel_memory", path, 10000));
        int status = kt_wait(a.pid, 10000);
        KT_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "cgmem run --once status 0x%x", status);
        return e;
}

static void assert_between(int64_t v, uint64_t a, uint64_t b, const char *what)
{
        uint64_t lo = a < b ? a : b, hi = a > b ? a : b;
        /* A few pages of slack for what the idle workload's kernel objects did meanwhile. */
        KT_ASSERT((uint64_t) v + 256 * 1024 >= lo && (uint64_t) v <= hi + 256 * 1024,
                  "%s %lld outside [%llu, %llu]", what, (long long) v, (unsigned long long) lo,
                  (unsigned long long) hi);
}

void case_agent_kernel_memory(void)
{
        int cg = kt_cgroup_new("agent-kmem");
        char path[256];

        kt_delegate(cg);
        int kmem = kt_cgroup_child(cg, "kmem");
        kt_agent_cgroup("kmem", path, sizeof(path));
        kt_spawn_in(kmem, (char *[]){"memhog", "--total", "8", "--hold", NULL});

        uint64_t before = kt_read_key(kmem, "memory.stat", "kernel");
        json_t *idle =
                kernel_memory_once("agent_kernel_memory_idle", "cgmem-ktest/agent-kmem/*", path);
        uint64_t after = kt_read_key(kmem, "memory.stat", "kernel");
        assert_between(kt_json_int(idle, "kernel_bytes"), before, after, "kernel_bytes");
        json_t *breakdown = json_object_get(idle, "breakdown");
        KT_ASSERT(kt_json_int(breakdown, "kernel") == kt_json_int(idle, "kernel_bytes"),
                  "breakdown.kernel");

        KT_ASSERT(mkdir("/tmp/kmem", 0755) == 0 || errno == EEXIST, "mkdir /tmp/kmem: %m");
        kt_spawn_in(kmem, (char *[]){"kmemgen", "--files", "20000", "--dir", "/tmp/kmem",
                                     "--sockets", "200", "--sock-bytes", "64", NULL});
        json_t *busy =
                kernel_memory_once("agent_kernel_memory_busy", "cgmem-ktest/agent-kmem/*", path);
        double idle_pct = json_real_value(json_object_get(idle, "share_pct"));
        double busy_pct = json_real_value(json_object_get(busy, "share_pct"));
        int64_t sock = kt_json_int(json_object_get(busy, "breakdown"), "sock");
        kt_log("kernel share %.2f%% -> %.2f%%, kernel %lld -> %lld bytes, sock %lld bytes",
               idle_pct, busy_pct, (long long) kt_json_int(idle, "kernel_bytes"),
               (long long) kt_json_int(busy, "kernel_bytes"), (long long) sock);
        KT_ASSERT(busy_pct > idle_pct + 5.0, "the share did not rise with 20000 files");
        KT_ASSERT(kt_json_int(busy, "kernel_bytes") > kt_json_int(idle, "kernel_bytes") + 8 * MiB,
                  "kernel memory grew by less than 8 MiB");
        json_decref(idle);
        json_decref(busy);
}

void case_agent_blocked_stdout_drops(void)
{
        int cg = kt_cgroup_new("agent-block");
        struct kt_agent a;

        kt_delegate(cg);
        start_watching(&a, cg, "agent_blocked_stdout_drops",
                       (const char *const[]){AGENT_ARGS("cgmem-ktest/agent-block/*"),
                                             "--events-file", "/tmp/agent-block.jsonl", "--set",
                                             "events.queue=64", NULL});
        kt_churn(cg, 10); /* nobody reads stdout meanwhile */
        while (kt_agent_next(&a, 1000))
                ;
        KT_ASSERT(kill(a.pid, 0) == 0, "the agent died while stdout was blocked");
        kt_agent_stop(&a);

        int64_t dropped = kt_assert_gaps_explained(a.events, 0);
        json_t *file = kt_read_jsonl("/tmp/agent-block.jsonl");
        size_t file_events = json_array_size(file);
        json_t *last = json_array_get(file, file_events - 1);
        kt_log("stdout lost %lld of %zu events, the file sink none", (long long) dropped,
               file_events);
        KT_ASSERT(dropped > 0, "stdout never blocked: the case tested nothing");
        KT_ASSERT(kt_json_int(last, "seq") == (int64_t) file_events,
                  "the file sink has gaps: the agent stopped sampling while stdout was blocked");
        json_decref(file);
}

/* logrotate moves the file away and sends SIGHUP: new events go to a new file. */
void case_agent_sighup_reopens_events_file(void)
{
        int cg = kt_cgroup_new("agent-hup");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        start_watching(&a, cg, "agent_sighup_reopens_events_file",
                       (const char *const[]){AGENT_ARGS("cgmem-ktest/agent-hup/*"), WATCH_ONLY,
                                             "--events-file", "/tmp/agent-hup.jsonl", NULL});
        KT_ASSERT(rename("/tmp/agent-hup.jsonl", "/tmp/agent-hup.jsonl.1") == 0, "rename: %m");
        KT_ASSERT(kill(a.pid, SIGHUP) == 0, "SIGHUP: %m");
        kt_sleep_ms(500);
        close(kt_cgroup_child(cg, "after"));
        kt_agent_cgroup("after", path, sizeof(path));
        kt_agent_expect(&a, "container_seen", path, 5000);
        kt_agent_stop(&a);

        json_t *old = kt_read_jsonl("/tmp/agent-hup.jsonl.1");
        json_t *fresh = kt_read_jsonl("/tmp/agent-hup.jsonl");
        KT_ASSERT(json_array_size(old) >= 2, "the rotated file lost its events");
        json_t *first = json_array_get(fresh, 0);
        KT_ASSERT(first && strcmp(kt_json_str(first, "type"), "container_seen") == 0 &&
                          strcmp(kt_json_str(first, "cgroup"), path) == 0,
                  "the new file does not start with the event after SIGHUP");
        int64_t last_old = kt_json_int(json_array_get(old, json_array_size(old) - 1), "seq");
        KT_ASSERT(kt_json_int(first, "seq") == last_old + 1, "seq %lld after %lld across files",
                  (long long) kt_json_int(first, "seq"), (long long) last_old);
        json_decref(old);
        json_decref(fresh);
}
