/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent where node agents run: in a cgroup and pid namespace of its own, as
 * in a container, and from the image `make image` builds, run by the guest's real
 * Docker with exactly the mounts and privileges of deploy/daemonset.yaml.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define DOCKER  "/usr/bin/docker"
#define UNSHARE "/usr/bin/unshare"

/* The actions cgmem takes on a cgroup; reporting on one is fine, acting is not. */
static const char *const actions[] = {"guard",       "throttle", "release", "kill",
                                      "kill_failed", "decision", "yield"};

/* Fails the case if the agent acted on path, or never saw it at all. */
static void assert_never_touched(const struct kt_agent *a, const char *path)
{
        bool seen = false;
        size_t i;
        json_t *e;

        json_array_foreach(a->events, i, e)
        {
                const char *cg = kt_json_str(e, "cgroup"), *type = kt_json_str(e, "type");
                if (!cg || strcmp(cg, path) != 0)
                        continue;
                seen |= strcmp(type, "container_seen") == 0;
                for (size_t k = 0; k < ELEMENTSOF(actions); k++)
                        KT_ASSERT(strcmp(type, actions[k]) != 0, "the agent's own cgroup got %s",
                                  type);
        }
        KT_ASSERT(seen, "the agent never saw its own cgroup %s: nothing was proven", path);
}

/* The agent inside unshare: the one child of the unshare process. */
static pid_t agent_pid_in(pid_t unshare)
{
        char *pid = kt_run("pgrep -P %d -x cgmem", (int) unshare);
        pid_t p = (pid_t) atoi(pid);

        free(pid);
        return p;
}

/*
 * Moves unshare, which stands in for the runtime, out of the agent's cgroup once it
 * has made the namespaces: a runtime's shim is not in its container's cgroup, and
 * unshare there is a candidate for the kernel's OOM kills in it (a second kill
 * while the runaway exits can take it, and the case would fail on its status).
 */
static void move_wrapper_out(int cg, pid_t wrapper)
{
        int shim = kt_cgroup_child(cg, "shim");
        char pid[16];

        snprintf(pid, sizeof(pid), "%d", (int) wrapper);
        kt_write(shim, "cgroup.procs", pid);
        close(shim);
}

/*
 * The agent in its own cgroup, pid and mount namespace (unshare, as a container
 * runtime would), with the host's whole tree at /sys/fs/cgroup: its cgroup matches
 * the container globs, has a memory.max, and a runaway fills it. It must neither
 * guard-band nor kill it (the kernel OOM-kills the runaway), and still kill the
 * same runaway next door.
 */
void case_deploy_agent_in_cgroup_namespace(void)
{
        int cg = kt_cgroup_new("self-ns");
        struct kt_agent a;
        char self_path[256], victim_path[256];

        kt_delegate(cg);
        int self = kt_cgroup_child(cg, "agent");
        kt_write(self, "memory.swap.max", "0");
        kt_write(self, "memory.max", "201326592");
        int victim = kt_cgroup_child(cg, "victim");
        kt_write(victim, "memory.swap.max", "0");
        kt_agent_cgroup("agent", self_path, sizeof(self_path));
        kt_agent_cgroup("victim", victim_path, sizeof(victim_path));

        kt_agent_start_wrapped(
                &a, "deploy_agent_in_cgroup_namespace", self,
                (const char *const[]){UNSHARE, "--cgroup", "--pid", "--fork", "--mount-proc", NULL},
                (const char *const[]){"--set", "cgroup.containers=cgmem-ktest/self-ns/*",
                                      "--interval", "250ms", NULL});
        kt_agent_expect(&a, "started", NULL, 10000);
        pid_t agent = agent_pid_in(a.pid);
        move_wrapper_out(cg, a.pid);
        /* What it sees (/proc/PID/cgroup is relative to the reader's namespace): "/" for its
         * cgroup, 1 for its pid. */
        char *view = kt_run("nsenter -t %d -C cat /proc/%d/cgroup", (int) agent, (int) agent);
        KT_ASSERT(strcmp(view, "0::/") == 0, "the agent sees its cgroup as %s", view);
        char *nspid = kt_run("awk '/^NSpid:/ {print $NF}' /proc/%d/status", (int) agent);
        KT_ASSERT(strcmp(nspid, "1") == 0, "the agent is pid %s in its namespace", nspid);

        /* Its neighbour gets the guard band: the agent judges the tree it sees. */
        kt_write(victim, "memory.max", "268435456");
        kt_agent_expect(&a, "guard", victim_path, 10000);

        /* Its own cgroup runs away: the kernel's business, never the agent's. */
        pid_t hog = kt_spawn_in(self, (char *[]){"memhog", "--total", "400", NULL});
        int status = kt_wait(hog, 30000);
        KT_ASSERT(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the runaway beside the agent was not OOM-killed (status 0x%x)", status);
        KT_ASSERT(kt_read_key(self, "memory.events", "oom_kill") >= 1,
                  "no kernel OOM kill in the agent's cgroup");
        KT_ASSERT(kill(agent, 0) == 0, "the agent died with the runaway");
        KT_ASSERT(kt_read_value(self, "memory.high") == UINT64_MAX,
                  "memory.high was written on the agent's own cgroup");

        /* Still enforcing: the same runaway next door is killed. */
        kt_spawn_in(victim, (char *[]){"memhog", "--total", "1024", NULL});
        kt_agent_expect(&a, "kill", victim_path, 30000);
        KT_ASSERT(kt_read_value(self, "memory.high") == UINT64_MAX,
                  "memory.high was written on the agent's own cgroup");

        KT_ASSERT(kill(agent, SIGTERM) == 0, "SIGTERM: %m");
        kt_agent_expect(&a, "stopping", NULL, 5000);
        status = kt_wait(a.pid, 5000);
        KT_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the agent did not stop cleanly (unshare status 0x%x; the kernel OOM-killed "
                  "%" PRIu64 " in its cgroup)",
                  status, kt_read_key(self, "memory.events", "oom_kill"));
        while (kt_agent_next(&a, 0))
                ;
        assert_never_touched(&a, self_path);
        free(view);
        free(nspid);
}

static const char *env_path(const char *name)
{
        const char *v = getenv(name);

        KT_ASSERT(v && access(v, R_OK) == 0,
                  "%s (%s) is not there: run through run-suite after "
                  "make image",
                  name, v ? v : "unset");
        return v;
}

static int docker_cgroup(const char *id)
{
        char dir[256];

        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/docker/%s", id);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        KT_ASSERT(fd >= 0, "open %s: %m", dir);
        return fd;
}

/*
 * The DaemonSet serves metrics on the pod's address, port 9847 (the guest's Docker
 * gives containers no network: read from inside the pod's network namespace): the
 * image carries the library they load with dlopen, and they count the kill.
 */
static void assert_metrics_served(const char *id)
{
        char *pid = kt_run(DOCKER " inspect -f '{{.State.Pid}}' %s", id);
        char *kills =
                kt_run("nsenter -t %s -n curl -sf --max-time 10 http://127.0.0.1:9847/metrics | "
                       "grep -c '^cgmem_actions_total{action=\"kill\",reason=\"[a-z_]*\"} [1-9]' "
                       "|| true",
                       pid);

        KT_ASSERT(strcmp(kills, "1") == 0, "the DaemonSet's metrics count %s kill reasons, not one",
                  kills);
        free(pid);
        free(kills);
}

/*
 * The image of `make image`, loaded into the guest's Docker and run as
 * deploy/daemonset.yaml says (tests/kernel/runtimes/daemonset-docker-run reads it):
 * it names a container started beside it through the host's /run it mounts, kills
 * its runaway, and leaves its own container (a Docker container with a memory.max,
 * private cgroup namespace) alone.
 */
void case_deploy_daemonset_in_docker(void)
{
        const char *rt = kt_runtimes_dir();
        struct kt_agent a;
        char self_path[128], victim_path[128];

        free(kt_run("%s/start-docker", rt));
        /* systemd makes every mount shared on a node; the plain guest has no systemd, and
         * the DaemonSet's HostToContainer propagation needs /run shared. */
        free(kt_run("mount --make-rshared /run"));
        free(kt_run(DOCKER " load -i %s >/dev/null", env_path("KT_IMAGE")));
        free(kt_run(DOCKER " rm -f cgmem-ds ds-victim >/dev/null 2>&1 || true"));
        char *id = kt_run("%s/daemonset-docker-run %s cgmem-ds", rt, env_path("KT_DAEMONSET"));
        snprintf(self_path, sizeof(self_path), "/docker/%s", id);
        kt_agent_spawn(&a, "deploy_daemonset_in_docker", -1,
                       (const char *const[]){DOCKER, "logs", "-f", id, NULL});
        kt_agent_expect(&a, "started", NULL, 30000);
        int self = docker_cgroup(id);
        KT_ASSERT(kt_read_value(self, "memory.max") == 64ull << 20,
                  "the agent's container has not the DaemonSet's 64Mi limit");

        char *victim = kt_run(DOCKER " run -d --name ds-victim --memory 128m "
                                     "cgmem-test/busybox:1 sleep 600");
        snprintf(victim_path, sizeof(victim_path), "/docker/%s", victim);
        json_t *e = kt_agent_expect(&a, "container_identity", victim_path, 30000);
        KT_ASSERT(strcmp(kt_json_str(e, "container.name"), "ds-victim") == 0,
                  "named %s, not ds-victim", kt_json_str(e, "container.name"));
        kt_agent_expect_any_time(&a, "guard", victim_path, 10000);

        int vfd = docker_cgroup(victim);
        kt_spawn_in(vfd, (char *[]){"memhog", "--total", "1024", NULL});
        e = kt_agent_expect(&a, "kill", victim_path, 30000);
        KT_ASSERT(strcmp(kt_json_str(e, "container.name"), "ds-victim") == 0, "the kill names %s",
                  kt_json_str(e, "container.name"));
        KT_ASSERT(kt_read_key(vfd, "memory.events", "oom_kill") == 0,
                  "the kernel OOM-killed before the agent did");
        KT_ASSERT(kt_read_value(self, "memory.high") == UINT64_MAX,
                  "memory.high was written on the agent's own container");
        /* The kill's record file lands on the node, in the DaemonSet's /var/lib/cgmem. */
        const char *record = kt_json_str(e, "record");
        KT_ASSERT(record && strncmp(record, "/var/lib/cgmem/kills/", 21) == 0,
                  "the kill's record is %s", record ? record : "null");
        for (int i = 0; i < 50 && access(record, R_OK) != 0; i++)
                kt_sleep_ms(100);
        KT_ASSERT(access(record, R_OK) == 0, "%s is not on the host: %m", record);
        assert_metrics_served(id);

        free(kt_run(DOCKER " stop -t 10 cgmem-ds >/dev/null"));
        kt_agent_expect(&a, "stopping", NULL, 10000);
        KT_ASSERT(kt_wait(a.pid, 10000) != -1, "docker logs -f did not end with the container");
        while (kt_agent_next(&a, 0))
                ;
        assert_never_touched(&a, self_path);
        free(kt_run(DOCKER " rm -f cgmem-ds ds-victim >/dev/null"));
        close(self);
        close(vfd);
        free(id);
        free(victim);
}
