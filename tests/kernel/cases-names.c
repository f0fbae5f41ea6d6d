/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container names from real runtimes in the guest: Docker (docker.io) and
 * containerd's CRI, started by tests/kernel/runtimes/, and a runtime socket
 * that accepts and never answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define MiB     (1024ull * 1024)
#define DOCKER  "/usr/bin/docker"
#define POD_UID "0f0e0d0c-1111-2222-3333-444455556666"

static json_t *object_at(json_t *o, const char *a, const char *b)
{
        json_t *v = json_object_get(o, a);
        return b ? json_object_get(v, b) : v;
}

static const char *string_at(json_t *o, const char *a, const char *b)
{
        json_t *v = object_at(o, a, b);
        return json_is_string(v) ? json_string_value(v) : "(none)";
}

static void expect_string(json_t *e, const char *a, const char *b, const char *want)
{
        const char *got = string_at(e, a, b);

        KT_ASSERT(strcmp(got, want) == 0, "%s.%s is \"%s\", not \"%s\"", a, b ? b : "", got, want);
}

static const char *const watch_args[] = {"--interval", "250ms", "--set", "enforce.enabled=no",
                                         NULL};

/* Named within this many ms of container_seen: the lookup runs while the agent goes on. */
#define NAMED_WITHIN_MS 5000

static json_t *expect_named(struct kt_agent *a, const char *path)
{
        kt_agent_expect(a, "container_seen", path, 30000);
        uint64_t t0 = kt_now_usec();
        json_t *e = kt_agent_expect(a, "container_identity", path, NAMED_WITHIN_MS);
        kt_log("%s named %llu ms after container_seen", path,
               (unsigned long long) ((kt_now_usec() - t0) / 1000));
        return e;
}

/* The lookups run in the cgmem-names helper, a child of the agent: libcurl and its TLS
 * libraries are mapped there, never in the agent, which locks what it maps. Both are
 * sandboxed. */
static void expect_lookups_apart(const struct kt_agent *a)
{
        char *helper = kt_run("pgrep -P %d -x cgmem-names", (int) a->pid);
        char *agent_curl = kt_run("grep -c libcurl /proc/%d/maps || true", (int) a->pid);
        char *helper_curl = kt_run("grep -c libcurl /proc/%s/maps || true", helper);

        KT_ASSERT(strcmp(agent_curl, "0") == 0, "the agent maps libcurl (%s mappings)", agent_curl);
        KT_ASSERT(strcmp(helper_curl, "0") != 0, "the helper (pid %s) does not map libcurl",
                  helper);
        /* Both run under their seccomp filter (supervisor/sandbox.h): mode 2. */
        char *modes =
                kt_run("awk '/^Seccomp:/ {printf \"%%s \", $2}' /proc/%d/status /proc/%s/status",
                       (int) a->pid, helper);
        KT_ASSERT(strcmp(modes, "2 2 ") == 0, "seccomp modes of agent and helper: %s", modes);
        free(modes);
        free(helper);
        free(agent_curl);
        free(helper_curl);
}

void case_names_docker(void)
{
        struct kt_agent a;
        char path[128];

        free(kt_run("%s/start-docker", kt_runtimes_dir()));
        kt_agent_start(&a, "names_docker", watch_args);
        kt_agent_expect(&a, "started", NULL, 10000);
        char *id = kt_run(DOCKER " run -d --name web --label io.cgmem.policy=avoid "
                                 "--label com.example.team=shop --memory 64m cgmem-test/busybox:1 "
                                 "sleep 600");
        snprintf(path, sizeof(path), "/docker/%s", id);

        json_t *e = expect_named(&a, path);
        expect_string(e, "container", "runtime", "docker");
        expect_string(e, "container", "id", id);
        expect_string(e, "container", "name", "web");
        expect_string(e, "container", "image", "cgmem-test/busybox:1");
        json_t *labels = object_at(e, "container", "labels");
        expect_string(labels, "io.cgmem.policy", NULL, "avoid");
        expect_string(labels, "com.example.team", NULL, "shop");

        /* Docker's event stream tells a rename: no polling, a fresh container_identity. */
        free(kt_run(DOCKER " rename web web-renamed"));
        /* The start event may bring one more "web" first: wait for the new name. */
        for (int i = 0; i < 4 && strcmp(string_at(e, "container", "name"), "web-renamed") != 0; i++)
                e = kt_agent_expect(&a, "container_identity", path, NAMED_WITHIN_MS);
        expect_string(e, "container", "name", "web-renamed");

        /* ps asks Docker too. */
        char *ps = kt_run("%s ps --json | grep '\"/docker/%s\"'", getenv("KT_CGMEM"), id);
        json_error_t err;
        json_t *row = json_loads(ps, 0, &err);
        KT_ASSERT(row, "ps printed no JSON row for the container: %s", ps);
        expect_string(row, "container", "name", "web-renamed");
        json_decref(row);
        free(ps);

        expect_lookups_apart(&a);
        /* The helper dies: the agent starts another, which names the next container. */
        free(kt_run("pkill -KILL -P %d -x cgmem-names", (int) a.pid));
        char *id2 = kt_run(DOCKER " run -d --name web2 cgmem-test/busybox:1 sleep 600");
        snprintf(path, sizeof(path), "/docker/%s", id2);
        expect_string(expect_named(&a, path), "container", "name", "web2");

        kt_agent_stop(&a);
        free(kt_run(DOCKER " rm -f web-renamed web2"));
        free(id);
        free(id2);
}

/* Two Docker containers under a slice with node pressure: the label, not the size, decides. */
void case_names_docker_label_avoids_kill(void)
{
        int cg = kt_cgroup_new("names-avoid");
        struct kt_agent a;
        char bloat_path[256], steady_path[256], dir[512];

        free(kt_run("%s/start-docker", kt_runtimes_dir()));
        kt_delegate(cg);
        int slice = kt_cgroup_child(cg, "slice");
        kt_delegate(slice);
        kt_write(slice, "memory.high", "167772160");
        close(kt_cgroup_child(slice, "docker"));
        const char *parent = "/cgmem-ktest/names-avoid/slice/docker";
        kt_agent_start(&a, "names_docker_label_avoids_kill",
                       (const char *const[]){
                               "--set", "cgroup.containers=cgmem-ktest/names-avoid/slice/docker/*",
                               "--interval", "250ms", "--set",
                               "node.slice=/cgmem-ktest/names-avoid/slice", "--set",
                               "node.pressure_full=20", "--set", "node.pressure_duration=2s",
                               NULL});
        kt_agent_expect(&a, "started", NULL, 10000);
        char *bloat = kt_run(DOCKER " run -d --name bloat --label io.cgmem.policy=avoid "
                                    "--cgroup-parent %s cgmem-test/busybox:1 sleep 600",
                             parent);
        char *steady =
                kt_run(DOCKER " run -d --name steady --cgroup-parent %s cgmem-test/busybox:1 "
                              "sleep 600",
                       parent);
        snprintf(bloat_path, sizeof(bloat_path), "%s/%s", parent, bloat);
        snprintf(steady_path, sizeof(steady_path), "%s/%s", parent, steady);
        expect_string(expect_named(&a, bloat_path), "container", "name", "bloat");
        expect_string(expect_named(&a, steady_path), "container", "name", "steady");

        snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", steady_path);
        int steady_cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        KT_ASSERT(steady_cg >= 0, "open %s: %m", dir);
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", bloat_path);
        int bloat_cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        KT_ASSERT(bloat_cg >= 0, "open %s: %m", dir);
        kt_spawn_in(steady_cg, (char *[]){"memhog", "--total", "40", "--hold", NULL});
        kt_sleep_ms(500);
        kt_spawn_in(bloat_cg, (char *[]){"memhog", "--total", "400", NULL});

        json_t *kill = kt_agent_expect(&a, "kill", NULL, 40000);
        expect_string(kill, "reason", NULL, "node_pressure");
        KT_ASSERT(strcmp(kt_json_str(kill, "cgroup"), steady_path) == 0,
                  "killed %s, not steady (bloat is labelled avoid)", kt_json_str(kill, "cgroup"));
        expect_string(kill, "container", "name", "steady");
        KT_ASSERT(kt_read_value(bloat_cg, "memory.current") > 0, "the avoided bloat died");
        kt_agent_stop(&a);
        free(kt_run(DOCKER " rm -f bloat steady"));
        free(bloat);
        free(steady);
}

void case_names_containerd_cri_pod(void)
{
        struct kt_agent a;
        char path[256], pod_path[256];
        const char *rt = kt_runtimes_dir();

        free(kt_run("%s/start-containerd-cri", rt));
        kt_agent_start(&a, "names_containerd_cri_pod", watch_args);
        kt_agent_expect(&a, "started", NULL, 10000);
        char *pod = kt_run(
                "%s/cri-client run-pod web-0 shop " POD_UID " --label io.cgmem.policy=prefer", rt);
        snprintf(pod_path, sizeof(pod_path), "/kubepods/burstable/pod" POD_UID "/%s", pod);

        /* The pause container is the pod's, and says so. */
        json_t *e = expect_named(&a, pod_path);
        KT_ASSERT(json_is_true(object_at(e, "container", "sandbox")), "the sandbox is not marked");
        expect_string(object_at(e, "kubernetes", "pod"), "name", NULL, "web-0");

        char *ctr = kt_run("%s/cri-client create-container %s app docker.io/cgmem-test/busybox:1 "
                           "--memory 67108864 -- sleep 600",
                           rt, pod);
        snprintf(path, sizeof(path), "/kubepods/burstable/pod" POD_UID "/%s", ctr);
        e = expect_named(&a, path);
        expect_string(e, "container", "runtime", "containerd");
        expect_string(e, "container", "name", "app");
        expect_string(e, "container", "image", "docker.io/cgmem-test/busybox:1");
        expect_string(e, "kubernetes", "namespace", "shop");
        expect_string(object_at(e, "kubernetes", "pod"), "name", NULL, "web-0");
        expect_string(object_at(e, "kubernetes", "pod"), "uid", NULL, POD_UID);
        expect_string(object_at(e, "kubernetes", "container"), "name", NULL, "app");
        /* The pod's label counts for its containers. */
        expect_string(object_at(e, "container", "labels"), "io.cgmem.policy", NULL, "prefer");

        kt_agent_stop(&a);
        free(kt_run("%s/cri-client stop-pod %s", rt, pod));
        free(pod);
        free(ctr);
}

#define MUTE_SOCK "/tmp/kt-mute-runtime.sock"
#define ID_FMT    "%064x"

/* Every name lookup hangs; discovery and a kill must not notice. */
void case_names_hung_runtime_does_not_slow_agent(void)
{
        int cg = kt_cgroup_new("names-hung");
        struct kt_agent a;
        char name[128], path[256];

        kt_delegate(cg);
        pid_t mute = kt_mute_socket(MUTE_SOCK);
        kt_agent_start(&a, "names_hung_runtime_does_not_slow_agent",
                       (const char *const[]){"--set", "cgroup.containers=cgmem-ktest/names-hung/*",
                                             "--interval", "250ms", "--set",
                                             "runtimes.docker_socket=" MUTE_SOCK, "--set",
                                             "runtimes.containerd_socket=" MUTE_SOCK, "--set",
                                             "runtimes.timeout=10s", NULL});
        kt_agent_expect(&a, "started", NULL, 10000);

        uint64_t worst_ms = 0;
        int last = -1;
        for (unsigned i = 1; i <= 20; i++) {
                snprintf(name, sizeof(name), "docker-" ID_FMT ".scope", i);
                kt_agent_cgroup(name, path, sizeof(path));
                uint64_t t0 = kt_now_usec();
                if (last >= 0)
                        close(last);
                last = kt_cgroup_child(cg, name);
                kt_agent_expect(&a, "container_seen", path, 5000);
                uint64_t ms = (kt_now_usec() - t0) / 1000;
                worst_ms = ms > worst_ms ? ms : worst_ms;
        }
        kt_log("20 containers seen while every lookup hangs, slowest %llu ms after mkdir",
               (unsigned long long) worst_ms);
        KT_ASSERT(worst_ms < 100, "container_seen took %llu ms", (unsigned long long) worst_ms);

        /* The last one runs away: killed as fast as without a runtime. */
        kt_write(last, "memory.swap.max", "0");
        kt_write(last, "memory.max", "268435456");
        kt_agent_expect(&a, "guard", path, 5000);
        kt_spawn_in(last, (char *[]){"memhog", "--total", "1024", NULL});
        json_t *killed = kt_agent_expect(&a, "kill", path, 20000);
        int64_t latency = kt_json_int(killed, "latency_usec");
        kt_log("killed %lld us after the %s signal, lookups still hanging", (long long) latency,
               kt_json_str(killed, "signal"));
        KT_ASSERT(latency < 100000, "the kill took %lld us", (long long) latency);
        KT_ASSERT(kt_read_key(last, "memory.events", "oom_kill") == 0,
                  "the kernel OOM-killed before cgmem did");
        size_t i;
        json_t *e;
        json_array_foreach(a.events, i, e)
                KT_ASSERT(strcmp(kt_json_str(e, "type"), "container_identity") != 0,
                          "a mute runtime named a container");
        kt_agent_stop(&a);
        kill(mute, SIGKILL);
        waitpid(mute, NULL, 0);
}

/*
 * Debian's podman (crun, conmon, its cgroupfs manager), asked through the
 * Docker-compatible API of `podman system service` on /run/podman/podman.sock, the
 * agent's default podman_socket; its runaway is killed and the kill names it.
 */
void case_names_podman(void)
{
        const char *rt = kt_runtimes_dir();
        struct kt_agent a;
        char path[256], dir[320];

        free(kt_run("%s/start-podman", rt));
        /* podman's service answers its first inspect in seconds under the VM's emulation, and
         * only once `podman run` lets go of the container's lock: over 10 s with another VM
         * on the host (make check, 2026-12-04). The lookups get 30 s, not the default 2 s, so
         * that the first one waits for the lock instead of timing out into the back-off. */
        kt_agent_start(&a, "names_podman",
                       (const char *const[]){"--interval", "250ms", "--set",
                                             "runtimes.docker_socket=", "--set",
                                             "runtimes.timeout=30s", NULL});
        kt_agent_expect(&a, "started", NULL, 10000);
        char *id = kt_run("%s/podman run -d --name pweb --label io.cgmem.policy=avoid "
                          "--memory 128m cgmem-test/busybox:1 sleep 600",
                          rt);
        snprintf(path, sizeof(path), "/libpod_parent/libpod-%s", id);

        kt_agent_expect(&a, "container_seen", path, 30000);
        json_t *e = kt_agent_expect(&a, "container_identity", path, 90000);
        expect_string(e, "container", "runtime", "podman");
        expect_string(e, "container", "id", id);
        expect_string(e, "container", "name", "pweb");
        expect_string(e, "container", "image", "localhost/cgmem-test/busybox:1");
        expect_string(object_at(e, "container", "labels"), "io.cgmem.policy", NULL, "avoid");

        snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", path);
        int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        KT_ASSERT(cg >= 0, "open %s: %m", dir);
        kt_agent_expect_any_time(&a, "guard", path, 10000);
        kt_spawn_in(cg, (char *[]){"memhog", "--total", "1024", NULL});
        json_t *kill = kt_agent_expect(&a, "kill", path, 30000);
        expect_string(kill, "container", "name", "pweb");
        KT_ASSERT(kt_read_key(cg, "memory.events", "oom_kill") == 0,
                  "the kernel OOM-killed before cgmem did");
        kt_agent_stop(&a);
        free(kt_run("%s/podman rm -f -t 0 pweb >/dev/null", rt));
        close(cg);
        free(id);
}
