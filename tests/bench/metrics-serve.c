/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/bench/metrics-serve: what serving the metrics costs at 1 000 and
 * 10 000 containers, in-process and without a VM: the loop's share (filling
 * and publishing a snapshot, as the agent does after every round) and a
 * scrape (the real server, libmicrohttpd on its own thread, rendering as the
 * client reads) over a unix socket, SCRAPES times back to back. Every
 * container is a docker container with its names, limits, PSI, swap and two
 * actions, so every family has its series. Prints per N: bytes and series
 * per scrape, wall time per scrape (p50, p99), the server's CPU per scrape,
 * the loop's time per publish. See tests/bench/README.md, "Metrics benchmark";
 * tests/bench/metrics-bench measures the agent itself in the VM.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/metrics/server.h"

#define MiB     (UINT64_C(1) << 20)
#define SCRAPES 200

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void die(const char *what)
{
        perror(what);
        exit(1);
}

static void fill(struct metrics_snapshot *s, unsigned n, uint64_t round)
{
        char id[128], cid[65], name[32];

        for (unsigned i = 0; i < n; i++) {
                snprintf(cid, sizeof(cid), "%064x", i * 2654435761u);
                snprintf(id, sizeof(id), "/system.slice/docker-%s.scope", cid);
                snprintf(name, sizeof(name), "web-%u", i);
                const char *v[_METRICS_LABEL_MAX] = {
                        [METRICS_LABEL_ID] = id,
                        [METRICS_LABEL_CONTAINER_ID] = cid,
                        [METRICS_LABEL_NAME] = name,
                        [METRICS_LABEL_IMAGE] = "registry.example/team/web:1.25.3",
                };
                struct metrics_container *r = metrics_snapshot_add(s, v);
                if (!r)
                        die("metrics_snapshot_add");
                r->sample = (struct memcg_sample){
                        .current_bytes = 100 * MiB + i * 4096,
                        .low_bytes = 16 * MiB,
                        .high_bytes = 240 * MiB,
                        .max_bytes = 256 * MiB,
                        .swap_current_bytes = 2 * MiB,
                        .swap_max_bytes = 64 * MiB,
                        .stat = {.anon = 60 * MiB + round,
                                 .file = 30 * MiB,
                                 .inactive_file = 20 * MiB,
                                 .kernel = 10 * MiB,
                                 .file_mapped = MiB,
                                 .pgfault = 123456789,
                                 .pgmajfault = 321},
                        .events = {.high = 12, .max = 4, .oom = 2, .oom_kill = 1},
                        .psi = {.some = {.total_usec = 1500000 + round},
                                .full = {.total_usec = 250000},
                                .has_full = 1},
                        .have = MEMCG_HAVE_SWAP | MEMCG_HAVE_PSI | MEMCG_HAVE_STAT_KERNEL,
                };
                r->growth_bytes_per_sec = 1048576.0;
                r->throttled = true;
                r->actions[ACTION_GUARD][REASON_GUARD_BAND] = 1;
                r->actions[ACTION_KILL][REASON_RUNAWAY] = 1;
        }
        s->node = (struct metrics_node){.meminfo_valid = true,
                                        .mem_total_bytes = 64 * 1024 * MiB,
                                        .mem_available_bytes = 20 * 1024 * MiB,
                                        .headroom_bytes = 20 * 1024 * MiB,
                                        .floor_bytes = 640 * MiB,
                                        .has_psi = true};
        s->agent.rounds = round;
        s->agent.cgroups = s->agent.containers = s->agent.watches = n;
}

/* One HTTP/1.0 scrape to EOF; returns the bytes of the answer, headers included. */
static size_t scrape(const char *path, char **buf, size_t *cap)
{
        static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t len = 0;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("connect");
        if (write(fd, req, sizeof(req) - 1) != (ssize_t) sizeof(req) - 1)
                die("write");
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 10000) != 1)
                        die("poll");
                if (*cap - len < 65536) {
                        *cap = *cap * 2 + 65536;
                        *buf = realloc(*buf, *cap);
                        if (!*buf)
                                die("realloc");
                }
                ssize_t n = read(fd, *buf + len, *cap - len - 1);
                if (n < 0)
                        die("read");
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        (*buf)[len] = '\0';
        close(fd);
        return len;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

static void run(const char *sock, struct metrics_server *server, unsigned n)
{
        static uint64_t wall[SCRAPES];
        uint64_t fill_ns = 0, t;
        size_t cap = 0, bytes = 0, series = 0;
        char *buf = NULL;

        for (uint64_t round = 1; round <= 20; round++) {
                t = clock_ns(CLOCK_MONOTONIC);
                struct metrics_snapshot *s = metrics_server_acquire(server);
                if (!s)
                        die("metrics_server_acquire");
                fill(s, n, round);
                metrics_server_publish(server, s);
                fill_ns += clock_ns(CLOCK_MONOTONIC) - t;
        }
        uint64_t proc0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID),
                 self0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        for (unsigned i = 0; i < SCRAPES; i++) {
                t = clock_ns(CLOCK_MONOTONIC);
                bytes = scrape(sock, &buf, &cap);
                wall[i] = clock_ns(CLOCK_MONOTONIC) - t;
        }
        uint64_t proc1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID),
                 self1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (!strstr(buf, " 200 OK\r\n"))
                die("scrape: not 200");
        for (const char *l = strstr(buf, "\r\n\r\n"); l && (l = strchr(l, '\n')); l++)
                series += l[1] && l[1] != '#';
        qsort(wall, SCRAPES, sizeof(wall[0]), cmp_u64);
        printf("N=%u: %zu bytes, %zu series per scrape; wall p50 %.2f ms, p99 %.2f ms; "
               "server CPU %.2f ms per scrape; fill+publish %.2f ms per round\n",
               n, bytes, series, (double) wall[SCRAPES / 2] / 1e6,
               (double) wall[SCRAPES * 99 / 100 - 1] / 1e6,
               (double) ((proc1 - proc0) - (self1 - self0)) / SCRAPES / 1e6,
               (double) fill_ns / 20 / 1e6);
        free(buf);
}

int main(void)
{
        char dir[] = "/tmp/metrics-serve.XXXXXX", sock[128], listen[160], err[256] = "";
        struct metrics_server *server;

        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(sock, sizeof(sock), "%s/metrics.sock", dir);
        snprintf(listen, sizeof(listen), "unix:%s", sock);
        struct metrics_server_options o = {.listen = listen};
        if (metrics_server_new(&o, &server, err, sizeof(err)) < 0 ||
            metrics_server_start(server, err, sizeof(err)) < 0) {
                fprintf(stderr, "metrics server: %s\n", err);
                return 1;
        }
        printf("metrics-serve: %d scrapes back to back over a unix socket, %ld CPUs\n", SCRAPES,
               sysconf(_SC_NPROCESSORS_ONLN));
        run(sock, server, 1000);
        run(sock, server, 10000);
        metrics_server_free(server);
        rmdir(dir);
        return 0;
}
