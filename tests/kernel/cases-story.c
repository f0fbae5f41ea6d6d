/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a kill tells: its story, its processes and its per-kill file, against a real kernel. */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/macro.h"

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define MiB (INT64_C(1) << 20)

static double json_num(json_t *o, const char *key)
{
        return json_number_value(json_object_get(o, key));
}

/* Runs "cgmem explain ARGS" and returns its standard output (the case frees it). */
static char *run_explain(const char *args)
{
        char cmd[1024];
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        snprintf(cmd, sizeof(cmd), "LC_ALL=C.UTF-8 %s explain --config /dev/null --utc %s",
                 getenv("KT_CGMEM"), args);
        FILE *p = popen(cmd, "r");
        KT_ASSERT(p, "popen %s: %m", cmd);
        FILE *m = open_memstream(&out, &len);
        KT_ASSERT(m, "open_memstream: %m");
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                fwrite(buf, 1, n, m);
        fclose(m);
        int status = pclose(p);
        KT_ASSERT(status == 0, "%s exited with %d", cmd, status);
        return TAKE_PTR(out);
}

/*
 * cgmem explain, on a copy of the events and of the record in another folder
 * (as taken to another machine: the record is found in kills/ next to the
 * events file): it names the leaking process, when the leak began and its rate.
 */
static void explain_leak(const char *record, pid_t leaker, double leaked_s)
{
        char cmd[1024], args[512];

        snprintf(cmd, sizeof(cmd),
                 "rm -rf /tmp/kt-explain && mkdir -p /tmp/kt-explain/kills && "
                 "cp %s/story_leak_among_siblings.jsonl /tmp/kt-explain/events.jsonl && cp %s "
                 "/tmp/kt-explain/kills/",
                 getenv("KT_EVENTS_DIR"), record);
        KT_ASSERT(system(cmd) == 0, "%s failed", cmd);
        snprintf(args, sizeof(args), "--events-file /tmp/kt-explain/events.jsonl --width 100 app");
        _cleanup_free_ char *text = run_explain(args);
        kt_log("cgmem explain %s:\n%s", args, text);
        snprintf(args, sizeof(args), "--events-file /tmp/kt-explain/events.jsonl --json app");
        _cleanup_free_ char *out = run_explain(args);
        json_error_t err;
        json_t *j = json_loads(out, 0, &err);
        KT_ASSERT(j, "cgmem explain --json printed no JSON: %s", err.text);
        json_t *top = json_array_get(kt_json_array(j, "processes.top"), 0);
        double began_s = (double) kt_json_int(j, "story.began_usec_ago") / 1e6;
        double rate_mib = json_num(json_object_get(j, "story"), "rate_bytes_per_sec") / MiB;
        KT_ASSERT(strcmp(kt_json_str(j, "plot.source"), "record") == 0,
                  "explain did not find the copied record: plot from %s",
                  kt_json_str(j, "plot.source"));
        KT_ASSERT(kt_json_int(top, "pid") == leaker &&
                          strcmp(kt_json_str(top, "comm"), "memhog") == 0,
                  "explain names %s (%lld) first, not the leaker (%d)", kt_json_str(top, "comm"),
                  (long long) kt_json_int(top, "pid"), (int) leaker);
        KT_ASSERT(fabs(began_s - leaked_s) < 2.5, "explain: the leak began %.1f s ago, not %.1f",
                  began_s, leaked_s);
        KT_ASSERT(rate_mib > 10 && rate_mib < 20, "explain: a 16 MiB/s leak at %.1f MiB/s",
                  rate_mib);
        /* The words say it too (read with the wrapping undone). */
        char pid[64];
        size_t w = 0;
        for (size_t r = 0; text[r]; r++)
                if (!isspace((unsigned char) text[r]) || (w > 0 && text[w - 1] != ' '))
                        text[w++] = isspace((unsigned char) text[r]) ? ' ' : text[r];
        text[w] = '\0';
        snprintf(pid, sizeof(pid), "largest process was memhog (pid %d,", (int) leaker);
        KT_ASSERT(strstr(text, pid), "the text does not say \"%s\"", pid);
        KT_ASSERT(strstr(text, "began to grow at ") && strstr(text, "M/s)"),
                  "the text does not give the growth's start and rate");
        json_decref(j);
}

static pid_t spawn_sleeper(int cg)
{
        return kt_spawn_in(cg, (char *[]){"/bin/sh", "-c", "echo ready; exec sleep 1000", NULL});
}

/*
 * A 16 MiB/s leak among three idle siblings, killed at its limit: the kill
 * event names the leaking process, says when the leak began and how fast it
 * went, and its per-kill file holds the whole trajectory.
 */
void case_story_leak_among_siblings(void)
{
        int cg = kt_cgroup_new("story-leak");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        kt_agent_start_ready(&a, "story_leak_among_siblings",
                             (const char *const[]){"--set",
                                                   "cgroup.containers=cgmem-ktest/story-leak/*",
                                                   "--interval", "250ms", "--set",
                                                   "events.kills_dir=/tmp/kt-kills-leak",
                                                   /* A 16 MiB/s fall empties a 1 GiB guest's
                                                      headroom within node.horizon: this case
                                                      is about the container's own kill. */
                                                   "--set", "node.horizon=5s", NULL});
        int c = kt_cgroup_child(cg, "app");
        kt_agent_cgroup("app", path, sizeof(path));
        kt_agent_expect(&a, "container_seen", path, 5000);
        kt_write(c, "memory.swap.max", "0");
        kt_write(c, "memory.max", "134217728");
        kt_agent_expect(&a, "guard", path, 5000);
        for (int i = 0; i < 3; i++)
                spawn_sleeper(c);
        kt_sleep_ms(2000); /* a quiet stretch before the leak */
        uint64_t t0 = kt_now_usec();
        pid_t leaker = kt_spawn_in(c, (char *[]){"memhog", "--rate", "16", "--total", "400", NULL});
        json_t *k = kt_agent_expect(&a, "kill", path, 30000);
        double leaked_s = (double) (kt_now_usec() - t0) / 1e6;
        json_t *story = json_object_get(k, "story"), *procs = json_object_get(k, "processes");
        double began_s = json_num(story, "began_usec_ago") / 1e6;
        double rate_mib = json_num(story, "rate_bytes_per_sec") / MiB;
        json_t *top = json_array_get(json_object_get(procs, "top"), 0);
        kt_log("leak for %.1f s; story: began %.1f s ago at %.1f MiB/s, %s grew most; top "
               "process %s (pid %lld) of %lld, snapshot %.0f ms old",
               leaked_s, began_s, rate_mib, kt_json_str(story, "grew_most"),
               kt_json_str(top, "comm"), (long long) kt_json_int(top, "pid"),
               (long long) kt_json_int(procs, "count"), json_num(procs, "age_usec") / 1e3);
        KT_ASSERT(strcmp(kt_json_str(k, "reason"), "runaway") == 0, "killed for %s",
                  kt_json_str(k, "reason"));
        KT_ASSERT(fabs(began_s - leaked_s) < 2.5, "the leak began %.1f s before the kill, not %.1f",
                  leaked_s, began_s);
        KT_ASSERT(rate_mib > 10 && rate_mib < 20, "a 16 MiB/s leak told as %.1f MiB/s", rate_mib);
        KT_ASSERT(strcmp(kt_json_str(story, "grew_most"), "anon") == 0, "what grew: %s",
                  kt_json_str(story, "grew_most"));
        KT_ASSERT(kt_json_int(top, "pid") == leaker &&
                          strcmp(kt_json_str(top, "comm"), "memhog") == 0,
                  "the largest process is %s (%lld), not the leaker (%d)", kt_json_str(top, "comm"),
                  (long long) kt_json_int(top, "pid"), (int) leaker);
        KT_ASSERT(kt_json_int(procs, "count") == 4, "%lld processes, not 4",
                  (long long) kt_json_int(procs, "count"));
        const char *record = kt_json_str(k, "record");
        json_error_t err;
        /* The agent writes the record after the event (deploy/EVENTS.md): give it 5 s. */
        for (int i = 0; i < 50 && record && access(record, F_OK) < 0; i++)
                kt_sleep_ms(100);
        json_t *file = json_load_file(record, 0, &err);
        KT_ASSERT(file, "the record %s: %s", record, err.text);
        json_t *rows = json_object_get(json_object_get(file, "trajectory"), "rows");
        KT_ASSERT(json_array_size(rows) >= 10, "%zu trajectory rows", json_array_size(rows));
        KT_ASSERT(kt_json_int(json_object_get(file, "event"), "seq") == kt_json_int(k, "seq"),
                  "the record holds another event");
        json_decref(file);
        explain_leak(record, leaker, leaked_s);
        kt_agent_stop(&a);
}

/*
 * A container filling a tmpfs: killed at its limit, and its event says the
 * kill does not give the tmpfs memory back, which the kernel confirms.
 */
void case_story_tmpfs_stays(void)
{
        int cg = kt_cgroup_new("story-tmpfs");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        kt_agent_start_ready(&a, "story_tmpfs_stays",
                             (const char *const[]){"--set",
                                                   "cgroup.containers=cgmem-ktest/story-tmpfs/*",
                                                   "--interval", "250ms", NULL});
        int c = kt_cgroup_child(cg, "app");
        kt_agent_cgroup("app", path, sizeof(path));
        kt_agent_expect(&a, "container_seen", path, 5000);
        kt_write(c, "memory.swap.max", "0");
        kt_write(c, "memory.max", "134217728");
        kt_agent_expect(&a, "guard", path, 5000);
        kt_spawn_in(c, (char *[]){"/bin/sh", "-c",
                                  "echo ready; exec dd if=/dev/zero of=/dev/shm/kt-story bs=64k "
                                  "count=4096 status=none",
                                  NULL});
        json_t *k = kt_agent_expect(&a, "kill", path, 30000);
        json_t *story = json_object_get(k, "story");
        kt_sleep_ms(1000);
        uint64_t left = kt_read_value(c, "memory.current");
        kt_log("killed: %s grew most, frees %lld MiB, stays %lld MiB (shmem %lld MiB); a second "
               "later memory.current is %llu MiB",
               kt_json_str(story, "grew_most"), (long long) kt_json_int(story, "frees_bytes") / MiB,
               (long long) kt_json_int(story, "stays_bytes") / MiB,
               (long long) kt_json_int(story, "shmem_bytes") / MiB,
               (unsigned long long) left / MiB);
        KT_ASSERT(strcmp(kt_json_str(story, "grew_most"), "shmem") == 0, "what grew: %s",
                  kt_json_str(story, "grew_most"));
        KT_ASSERT(kt_json_int(story, "shmem_bytes") > 100 * MiB, "shmem %lld",
                  (long long) kt_json_int(story, "shmem_bytes"));
        KT_ASSERT(kt_json_int(story, "frees_bytes") < 16 * MiB, "it says the kill frees %lld",
                  (long long) kt_json_int(story, "frees_bytes"));
        KT_ASSERT((int64_t) left > kt_json_int(story, "shmem_bytes") - 8 * MiB,
                  "the kill freed the tmpfs after all: %llu bytes left", (unsigned long long) left);
        unlink("/dev/shm/kt-story");
        kt_agent_stop(&a);
}
