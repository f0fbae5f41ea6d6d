/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PSI triggers, cgroup.kill and the walk, on cgroups that live and die under them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "cgroupfs/kill.h"
#include "cgroupfs/psi.h"
#include "cgroupfs/walk.h"
#include "kt.h"

/* Polls a trigger fd once; returns psi_trigger_revents(), or 0 on timeout. */
static int poll_trigger(int fd, int timeout_ms)
{
        struct pollfd p = {.fd = fd, .events = POLLPRI};

        int n = poll(&p, 1, timeout_ms);
        KT_ASSERT(n >= 0, "poll: %m");
        return n == 0 ? 0 : psi_trigger_revents(p.revents);
}

static void wait_empty(int cg, unsigned timeout_ms)
{
        struct read_buf buf = {0};
        int r;

        for (unsigned waited = 0; (r = cg_populated(cg, &buf)) != 0; waited += 10) {
                KT_ASSERT(r > 0, "cgroup.events: %s", strerror(-r));
                KT_ASSERT(waited < timeout_ms, "still populated after %u ms", timeout_ms);
                kt_sleep_ms(10);
        }
        read_buf_free(&buf);
}

void case_psi_trigger_fires_and_reports_gone(void)
{
        int cg = kt_cgroup_new("psi");
        kt_delegate(cg);
        int victim = kt_cgroup_child(cg, "victim");

        kt_write(victim, "memory.high", "33554432");
        kt_write(victim, "memory.swap.max", "0");
        int fd = psi_trigger_open(victim, "memory.pressure", PSI_STALL_SOME, 50000, 500000);
        KT_ASSERT(fd >= 0, "psi_trigger_open: %s", strerror(-fd));
        KT_ASSERT(poll_trigger(fd, 0) == 0, "the trigger fired before any pressure");

        uint64_t start = kt_now_usec();
        kt_spawn_in(victim, (char *[]){"memhog", "--total", "128", "--hold", NULL});
        int fired = poll_trigger(fd, 10000);
        KT_ASSERT(fired == 1, "no POLLPRI within 10 s of a hog above memory.high (%d)", fired);
        kt_log("trigger fired %llu ms after the hog started",
               (unsigned long long) (kt_now_usec() - start) / 1000);

        KT_OK(cg_kill(victim));
        wait_empty(victim, 2000);
        KT_ASSERT(unlinkat(cg, "victim", AT_REMOVEDIR) == 0, "rmdir victim: %m");
        int gone = poll_trigger(fd, 2000);
        KT_ASSERT(gone == -ENODEV, "poll after rmdir gave %d, not POLLERR", gone);
        char c;
        KT_ASSERT(read(fd, &c, 1) < 0 && errno == ENODEV, "read after rmdir: %m");
        close(fd);
}

void case_kill_empties_forking_cgroup(void)
{
        int cg = kt_cgroup_new("kill");
        kt_delegate(cg);
        int forker = kt_cgroup_child(cg, "forker");

        /* pids.max bounds the fork loop; fork failures make the shell retry, not stop. */
        kt_write(forker, "pids.max", "64");
        kt_spawn_in(forker,
                    (char *[]){"/bin/sh", "-c",
                               "echo ready; while :; do (sleep 1000 &) 2>/dev/null; done", NULL});
        for (unsigned waited = 0; kt_read_value(forker, "pids.current") < 32; waited += 10) {
                KT_ASSERT(waited < 10000, "the forker did not reach 32 tasks");
                kt_sleep_ms(10);
        }
        uint64_t start = kt_now_usec();
        KT_OK(cg_kill(forker));
        wait_empty(forker, 2000);
        kt_log("cgroup.kill emptied %s in %llu us", "forker",
               (unsigned long long) (kt_now_usec() - start));
        struct read_buf procs = {0};
        KT_OK(cg_read_at(forker, "cgroup.procs", &procs));
        KT_ASSERT(procs.len == 0, "tasks left after cgroup.kill: %s", procs.data);
        read_buf_free(&procs);
}

struct walk_count {
        unsigned visits;
        const char *prefix;
        unsigned foreign;
};

static int count_visit(const struct cg_walk_entry *e, void *userdata)
{
        struct walk_count *c = userdata;

        c->visits++;
        if (strncmp(e->path, c->prefix, strlen(c->prefix)) != 0)
                c->foreign++;
        return 0;
}

static void make_tree(int cg, unsigned n)
{
        char name[32];

        for (unsigned i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "g%u", i);
                int child = kt_cgroup_child(cg, name);
                kt_write(child, "cgroup.subtree_control", "+memory");
                close(kt_cgroup_child(child, "leaf"));
                close(child);
        }
}

/* Removes the tree leaves first, in an order unrelated to the walk's. */
static void remove_tree(int cg, unsigned n)
{
        char name[48];

        for (unsigned k = 0; k < n; k++) {
                unsigned i = (k * 7919u) % n;
                snprintf(name, sizeof(name), "g%u/leaf", i);
                unlinkat(cg, name, AT_REMOVEDIR);
                snprintf(name, sizeof(name), "g%u", i);
                unlinkat(cg, name, AT_REMOVEDIR);
        }
}

void case_walk_survives_vanishing_cgroups(void)
{
        enum { N = 300 };
        int cg = kt_cgroup_new("walk");
        struct walk_count c = {.prefix = "g"};

        kt_write(cg, "cgroup.subtree_control", "+memory");
        make_tree(cg, N);
        KT_OK(cg_walk(cg, count_visit, &c));
        KT_ASSERT(c.visits == 2 * N, "first walk saw %u of %u", c.visits, 2 * N);

        pid_t remover = fork();
        KT_ASSERT(remover >= 0, "fork: %m");
        if (remover == 0) {
                remove_tree(cg, N);
                _exit(0);
        }
        unsigned walks = 0;
        while (kt_wait(remover, 0) == -1) {
                c.visits = 0;
                KT_OK(cg_walk(cg, count_visit, &c));
                KT_ASSERT(c.foreign == 0, "the walk invented %u paths", c.foreign);
                walks++;
        }
        c.visits = 0;
        KT_OK(cg_walk(cg, count_visit, &c));
        kt_log("%u walks raced the removal of %u cgroups", walks, 2 * N);
        KT_ASSERT(walks >= 1, "the removal finished before any walk ran");
        KT_ASSERT(c.visits == 0, "%u cgroups left after removal", c.visits);
}
