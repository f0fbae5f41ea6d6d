/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Node-wide memory pressure against a real kernel: the test VM (1 GiB, no swap
 * unless a case adds zram) running short as a whole, containers without limits.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define MiB (UINT64_C(1) << 20)

/* /proc/vmstat oom_kill: every kill of the kernel's OOM killer, global or not. */
static uint64_t kernel_oom_kills(void)
{
        char key[64];
        unsigned long long v;
        uint64_t n = 0;
        FILE *f = fopen("/proc/vmstat", "re");

        KT_ASSERT(f, "/proc/vmstat: %m");
        while (fscanf(f, "%63s %llu", key, &v) == 2)
                if (strcmp(key, "oom_kill") == 0)
                        n = v;
        fclose(f);
        return n;
}

static uint64_t mem_available_bytes(void)
{
        char key[64];
        unsigned long long kib = 0;
        FILE *f = fopen("/proc/meminfo", "re");

        KT_ASSERT(f, "/proc/meminfo: %m");
        while (fscanf(f, "%63s %llu kB\n", key, &kib) == 2 && strcmp(key, "MemAvailable:") != 0)
                ;
        fclose(f);
        return (uint64_t) kib * 1024;
}

static bool alive(pid_t pid)
{
        return kt_wait(pid, 0) == -1;
}

/*
 * Waits for cgmem's kill of victim (a node_pressure kill), checks that the
 * kernel killed nobody meanwhile, and logs the rule and how long it took.
 */
static json_t *expect_node_kill(struct kt_agent *a, const char *victim, uint64_t start,
                                uint64_t ooms_before)
{
        json_t *kill = kt_agent_expect(a, "kill", NULL, 90000);
        kt_log("%s killed by rule %s after %llu ms (headroom %lld MiB, falling %lld ms)",
               kt_json_str(kill, "cgroup"), kt_json_str(kill, "details.rule"),
               (unsigned long long) (kt_now_usec() - start) / 1000,
               (long long) kt_json_int(kill, "details.node.headroom_bytes") >> 20,
               (long long) kt_json_int(kill, "details.node.falling_usec") / 1000);
        KT_ASSERT(strcmp(kt_json_str(kill, "reason"), "node_pressure") == 0, "reason %s",
                  kt_json_str(kill, "reason"));
        KT_ASSERT(strcmp(kt_json_str(kill, "cgroup"), victim) == 0, "killed %s, not %s",
                  kt_json_str(kill, "cgroup"), victim);
        KT_ASSERT(kernel_oom_kills() == ooms_before, "the kernel OOM-killed too");
        return kill;
}

/* A steady and an idle container, and one growing at 48 MiB/s until somebody stops it. */
struct grow_setup {
        pid_t steady, idle, grower;
        char grow_path[256];
};

static void grow_setup(struct grow_setup *g, int cg)
{
        kt_delegate(cg);
        int steady = kt_cgroup_child(cg, "steady"), idle = kt_cgroup_child(cg, "idle");
        int grow = kt_cgroup_child(cg, "grow");
        kt_agent_cgroup("grow", g->grow_path, sizeof(g->grow_path));
        g->steady = kt_spawn_in(steady, (char *[]){"memhog", "--total", "100", "--hold", NULL});
        g->idle = kt_spawn_in(idle, (char *[]){"memhog", "--total", "1", "--hold", NULL});
        kt_sleep_ms(2000); /* the agent sees them settled */
        g->grower = kt_spawn_in(grow, (char *[]){"memhog", "--rate", "48", NULL});
}

static void grow_case(const char *name, const char *events_name)
{
        int cg = kt_cgroup_new(name);
        struct kt_agent a;
        struct grow_setup g;
        char glob[128];

        snprintf(glob, sizeof(glob), "cgroup.containers=cgmem-ktest/%s/*", name);
        uint64_t ooms = kernel_oom_kills();
        kt_agent_start_ready(&a, events_name, (const char *const[]){"--set", glob, NULL});
        grow_setup(&g, cg);
        uint64_t start = kt_now_usec();
        expect_node_kill(&a, g.grow_path, start, ooms);
        KT_ASSERT(alive(g.steady) && alive(g.idle), "a bystander died");
        kt_agent_stop(&a);
}

/* The node runs out because one container grows: cgmem kills it, the kernel kills nobody. */
void case_node_grower_killed(void)
{
        grow_case("node-grow", "node_grower_killed");
}

/*
 * The same with 512 MiB of zram swap: its free space is no headroom (a page
 * swapped out there costs RAM too), so the grower is still caught in time.
 */
void case_node_zram_grower_killed(void)
{
        KT_ASSERT(system("modprobe zram num_devices=1 && echo 512M >/sys/block/zram0/disksize && "
                         "mkswap /dev/zram0 >/dev/null && swapon /dev/zram0") == 0,
                  "cannot set up zram swap");
        grow_case("node-zram", "node_zram_grower_killed");
        KT_ASSERT(system("swapoff /dev/zram0 && echo 1 >/sys/block/zram0/reset") == 0,
                  "cannot take the zram swap down");
}

/* One pod cgroup in kubelet's systemd layout: .../<pod slice>/cri-containerd-<id>.scope. */
static int pod_container(int kubepods, const char *qos_slice, const char *pod_slice,
                         const char *scope)
{
        int parent = kubepods;
        if (qos_slice) {
                parent = kt_cgroup_child(kubepods, qos_slice);
                kt_delegate(parent);
        }
        int pod = kt_cgroup_child(parent, pod_slice);
        kt_delegate(pod);
        return kt_cgroup_child(pod, scope);
}

#define ID(c)                                                                                      \
        c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
                c c c c c c c c c c c c c c c c c c c

/*
 * A Kubernetes-shaped tree: a Guaranteed pod holding the most, a Burstable one,
 * and a BestEffort one growing. kubelet would evict the BestEffort pod first;
 * so must cgmem, though the Guaranteed pod is the largest.
 */
void case_node_k8s_sheds_besteffort(void)
{
        int cg = kt_cgroup_new("node-k8s");
        struct kt_agent a;
        char path[512];

        kt_delegate(cg);
        int kubepods = kt_cgroup_child(cg, "kubepods.slice");
        kt_delegate(kubepods);
        int g = pod_container(kubepods, NULL,
                              "kubepods-pod11111111_1111_1111_1111_111111111111.slice",
                              "cri-containerd-" ID("a") ".scope");
        int b = pod_container(kubepods, "kubepods-burstable.slice",
                              "kubepods-burstable-pod22222222_2222_2222_2222_222222222222.slice",
                              "cri-containerd-" ID("b") ".scope");
        int be = pod_container(kubepods, "kubepods-besteffort.slice",
                               "kubepods-besteffort-pod33333333_3333_3333_3333_333333333333.slice",
                               "cri-containerd-" ID("c") ".scope");
        snprintf(path, sizeof(path),
                 "%s/kubepods.slice/kubepods-besteffort.slice/"
                 "kubepods-besteffort-pod33333333_3333_3333_3333_333333333333.slice/"
                 "cri-containerd-" ID("c") ".scope",
                 kt_cgroup_base() + strlen("/sys/fs/cgroup"));
        uint64_t ooms = kernel_oom_kills();
        kt_agent_start_ready(
                &a, "node_k8s_sheds_besteffort",
                (const char *const[]){"--set",
                                      "cgroup.containers="
                                      "cgmem-ktest/node-k8s/kubepods.slice/*/*.scope "
                                      "cgmem-ktest/node-k8s/kubepods.slice/*/*/*.scope",
                                      NULL});
        pid_t gp = kt_spawn_in(g, (char *[]){"memhog", "--total", "300", "--hold", NULL});
        pid_t bp = kt_spawn_in(b, (char *[]){"memhog", "--total", "100", "--hold", NULL});
        kt_sleep_ms(2000);
        kt_spawn_in(be, (char *[]){"memhog", "--rate", "48", NULL});
        json_t *kill = expect_node_kill(&a, path, kt_now_usec(), ooms);
        KT_ASSERT(strcmp(kt_json_str(json_array_get(kt_json_array(kill, "details.candidates"), 0),
                                     "qos"),
                         "besteffort") == 0,
                  "the victim is not ranked as BestEffort");
        KT_ASSERT(alive(gp) && alive(bp), "the Guaranteed or Burstable pod died");
        kt_agent_stop(&a);
}

/*
 * Node pressure, like systemd's own oomd test: three containers in a slice whose
 * memory.high the bloat one pushes against; the slice stalls, and one container
 * must die: bloat, or with bloat marked avoid, the next in the ranking.
 */
struct node_setup {
        int slice;
        int bloat, steady, idle;
        char bloat_path[256], steady_path[256];
};

static void node_setup(struct node_setup *n, int cg, bool bloat_avoid)
{
        kt_delegate(cg);
        n->slice = kt_cgroup_child(cg, "slice");
        kt_delegate(n->slice);
        kt_write(n->slice, "memory.high", "167772160");
        n->bloat = kt_cgroup_child(n->slice, "bloat");
        n->steady = kt_cgroup_child(n->slice, "steady");
        n->idle = kt_cgroup_child(n->slice, "idle");
        kt_agent_cgroup("slice/bloat", n->bloat_path, sizeof(n->bloat_path));
        kt_agent_cgroup("slice/steady", n->steady_path, sizeof(n->steady_path));
        if (bloat_avoid)
                KT_ASSERT(fsetxattr(n->bloat, "user.cgmem.policy", "avoid", 5, 0) == 0,
                          "setxattr: %m");
        kt_spawn_in(n->steady, (char *[]){"memhog", "--total", "40", "--hold", NULL});
        kt_spawn_in(n->idle, (char *[]){"memhog", "--total", "1", "--hold", NULL});
}

static json_t *node_kill(struct kt_agent *a, struct node_setup *n, const char *victim)
{
        kt_spawn_in(n->bloat, (char *[]){"memhog", "--total", "400", NULL});
        json_t *kill = kt_agent_expect(a, "kill", NULL, 40000);
        KT_ASSERT(strcmp(kt_json_str(kill, "reason"), "node_pressure") == 0, "reason %s",
                  kt_json_str(kill, "reason"));
        KT_ASSERT(strcmp(kt_json_str(kill, "cgroup"), victim) == 0, "killed %s, not %s",
                  kt_json_str(kill, "cgroup"), victim);
        json_t *candidates = json_object_get(json_object_get(kill, "details"), "candidates");
        KT_ASSERT(json_array_size(candidates) == 3, "%zu candidates weighed, not 3",
                  json_array_size(candidates));
        return kill;
}

#define NODE_ARGS(name)                                                                            \
        "--set", "cgroup.containers=cgmem-ktest/" name "/slice/*", "--interval", "250ms", "--set", \
                "node.slice=/cgmem-ktest/" name "/slice", "--set", "node.pressure_full=20",        \
                "--set", "node.pressure_duration=2s"

void case_node_pressure_kills_bloat(void)
{
        int cg = kt_cgroup_new("enf-node");
        struct node_setup n;
        struct kt_agent a;

        node_setup(&n, cg, false);
        kt_agent_start_ready(&a, "node_pressure_kills_bloat",
                             (const char *const[]){NODE_ARGS("enf-node"), NULL});
        node_kill(&a, &n, n.bloat_path);
        kt_assert_emptied(n.bloat, 2000);
        KT_ASSERT(kt_read_value(n.steady, "memory.current") > 30 * MiB, "steady died too");
        KT_ASSERT(kt_read_value(n.idle, "memory.current") > 0, "idle died too");
        kt_agent_stop(&a);
}

void case_node_pressure_respects_avoid(void)
{
        int cg = kt_cgroup_new("enf-node-avoid");
        struct node_setup n;
        struct kt_agent a;

        node_setup(&n, cg, true);
        kt_agent_start_ready(&a, "node_pressure_respects_avoid",
                             (const char *const[]){NODE_ARGS("enf-node-avoid"), NULL});
        node_kill(&a, &n, n.steady_path);
        kt_assert_emptied(n.steady, 2000);
        KT_ASSERT(kt_read_value(n.bloat, "memory.current") > 0, "the avoided bloat died");
        kt_agent_stop(&a);
}

void case_node_pressure_dry_run(void)
{
        int cg = kt_cgroup_new("enf-node-dry");
        struct node_setup n;
        struct kt_agent a;

        node_setup(&n, cg, false);
        kt_agent_start_ready(&a, "node_pressure_dry_run",
                             (const char *const[]){NODE_ARGS("enf-node-dry"), "--dry-run", NULL});
        kt_spawn_in(n.bloat, (char *[]){"memhog", "--total", "400", NULL});
        json_t *d = kt_agent_expect(&a, "decision", n.bloat_path, 40000);
        KT_ASSERT(strcmp(kt_json_str(d, "action"), "kill") == 0, "decision %s",
                  kt_json_str(d, "action"));
        KT_ASSERT(json_is_true(json_object_get(d, "dry_run")), "not marked dry_run");
        kt_sleep_ms(1000);
        KT_ASSERT(kt_read_value(n.bloat, "memory.current") > 100 * MiB,
                  "dry run, and bloat lost its memory anyway");
        for (size_t i = 0; i < json_array_size(a.events); i++)
                KT_ASSERT(strcmp(kt_json_str(json_array_get(a.events, i), "type"), "kill") != 0,
                          "a kill in a dry run");
        kt_agent_stop(&a);
}

/*
 * bench-node d in small: a batch job fills, unpaced, all but 8 % of what the
 * node had free, then holds it (the node ends below cgmem's 4 % floor). The
 * kernel lets it live; so must cgmem, though its fall looks like a runaway's
 * until it stops.
 */
void case_node_batch_fill_lives(void)
{
        int cg = kt_cgroup_new("node-batch");
        struct kt_agent a;

        kt_delegate(cg);
        kt_agent_start_ready(
                &a, "node_batch_fill_lives",
                (const char *const[]){"--set", "cgroup.containers=cgmem-ktest/node-batch/*", NULL});
        int batch = kt_cgroup_child(cg, "batch");
        uint64_t ooms = kernel_oom_kills(), avail = mem_available_bytes();
        uint64_t target = avail * 92 / 100, filled_usec = 0, start = kt_now_usec();
        char total[32];
        snprintf(total, sizeof(total), "%llu", (unsigned long long) (target / MiB));
        pid_t job = kt_spawn_in(batch, (char *[]){"memhog", "--total", total, "--hold", NULL});
        /* Until it has filled and held for 5 s (a minute at most), no kill. */
        while (!filled_usec || kt_now_usec() - filled_usec < 5 * UINT64_C(1000000)) {
                KT_ASSERT(kt_now_usec() - start < 60 * UINT64_C(1000000), "never filled");
                json_t *e = kt_agent_next(&a, 250);
                KT_ASSERT(!e || strcmp(kt_json_str(e, "type"), "kill") != 0,
                          "killed %s (rule %s, headroom %lld MiB)", kt_json_str(e, "cgroup"),
                          kt_json_str(e, "details.rule"),
                          (long long) kt_json_int(e, "details.node.headroom_bytes") >> 20);
                if (!filled_usec && kt_read_value(batch, "memory.current") >= target / 100 * 97)
                        filled_usec = kt_now_usec();
        }
        kt_log("filled %s MiB of %llu MiB available in %llu ms; %llu MiB left", total,
               (unsigned long long) (avail / MiB),
               (unsigned long long) (filled_usec - start) / 1000,
               (unsigned long long) (mem_available_bytes() / MiB));
        KT_ASSERT(alive(job), "the batch job died");
        KT_ASSERT(kernel_oom_kills() == ooms, "the kernel OOM-killed");
        kt_agent_stop(&a);
}
