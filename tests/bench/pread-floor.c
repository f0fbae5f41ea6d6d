/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pread-floor: the floor under cgmem run's sample round. For every cgroup
 * directly under PARENT it opens what the agent keeps open per container (the
 * directory and its hot files memory.current, memory.stat, memory.events,
 * memory.pressure: HOT_FILES in supervisor/agent.h), then re-reads all of them
 * with pread(fd, buf, 4095, 0), round after round, with nothing else: no
 * parsing, no event loop, one shared buffer. It reports the CPU time of this
 * process (CLOCK_PROCESS_CPUTIME_ID) per container per round.
 *
 * Usage: pread-floor [-t MIN_SECONDS] [-r MIN_ROUNDS] [-w WARMUP_ROUNDS] [-p PAUSE_MS] [-b] PARENT
 * Diagnostics, not the floor: -p sleeps PAUSE_MS between rounds (caches go cold as they do
 * for the agent between its rounds; the sleep is not CPU time), -b reads every file into a
 * 4 KiB buffer of its container's own, as the agent's struct memcg_reader does.
 * Output (one line, key=value):
 *   containers=N files=F rounds=R cpu_us_per_container_round=MEAN
 *   min_round_us_per_container=MIN ... bytes_per_container_round=B
 * A file a cgroup lacks (memory.pressure without PSI) is skipped and counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const hot_files[] = {"memory.current", "memory.stat", "memory.events",
                                        "memory.pressure"};
#define N_HOT (sizeof(hot_files) / sizeof(hot_files[0]))

/* The agent's read buffer starts at 4096 bytes and preads size - 1 (cgroupfs/io.c). */
#define READ_SIZE 4095

static double cpu_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static double mono_now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void raise_nofile(void)
{
        struct rlimit rl;
        unsigned long nr_open = 0;
        FILE *f = fopen("/proc/sys/fs/nr_open", "re");

        if (f) {
                if (fscanf(f, "%lu", &nr_open) != 1)
                        nr_open = 0;
                fclose(f);
        }
        if (nr_open) {
                rl.rlim_cur = rl.rlim_max = nr_open;
                if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
                        return;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* Per-container buffers (-b): file i of container c reads into bufs + c * 4096. */
static char *bufs;

/* One pass over every open file; returns the bytes read, or -1 on a failed pread. */
static long long one_round(const int *fds, const size_t *owner, size_t n_fds, char *buf)
{
        long long total = 0;

        for (size_t i = 0; i < n_fds; i++) {
                char *b = bufs ? bufs + owner[i] * (READ_SIZE + 1) : buf;
                ssize_t n = pread(fds[i], b, READ_SIZE, 0);
                if (n < 0)
                        return -1;
                total += n;
        }
        return total;
}

static void usage(void)
{
        fprintf(stderr, "usage: pread-floor [-t MIN_SECONDS] [-r MIN_ROUNDS] [-w WARMUP_ROUNDS] "
                        "[-p PAUSE_MS] "
                        "[-b] PARENT\n");
        exit(2);
}

int main(int argc, char *argv[])
{
        double min_seconds = 5.0;
        unsigned long min_rounds = 3, warmup = 1, pause_ms = 0;
        int c, own_buffers = 0;

        while ((c = getopt(argc, argv, "t:r:w:p:b")) >= 0) {
                switch (c) {
                case 't':
                        min_seconds = strtod(optarg, NULL);
                        break;
                case 'r':
                        min_rounds = strtoul(optarg, NULL, 10);
                        break;
                case 'w':
                        warmup = strtoul(optarg, NULL, 10);
                        break;
                case 'p':
                        pause_ms = strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        own_buffers = 1;
                        break;
                default:
                        usage();
                }
        }
        if (optind + 1 != argc)
                usage();
        raise_nofile();

        DIR *parent = opendir(argv[optind]);
        if (!parent) {
                fprintf(stderr, "pread-floor: %s: %s\n", argv[optind], strerror(errno));
                return 1;
        }
        size_t n_containers = 0, n_fds = 0, cap = 0, missing = 0;
        int *fds = NULL;
        size_t *owner = NULL;
        struct dirent *de;

        while ((de = readdir(parent))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                /* The agent holds each container's directory fd too. */
                int dfd = openat(dirfd(parent), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0) {
                        fprintf(stderr, "pread-floor: %s: %s\n", de->d_name, strerror(errno));
                        return 1;
                }
                n_containers++;
                for (size_t i = 0; i < N_HOT; i++) {
                        int fd = openat(dfd, hot_files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0) {
                                if (errno == ENOENT) {
                                        missing++;
                                        continue;
                                }
                                fprintf(stderr, "pread-floor: %s/%s: %s\n", de->d_name,
                                        hot_files[i], strerror(errno));
                                return 1;
                        }
                        if (n_fds == cap) {
                                cap = cap ? 2 * cap : 1024;
                                fds = realloc(fds, cap * sizeof(*fds));
                                owner = realloc(owner, cap * sizeof(*owner));
                                if (!fds || !owner)
                                        return 1;
                        }
                        owner[n_fds] = n_containers - 1;
                        fds[n_fds++] = fd;
                }
        }
        if (n_containers == 0) {
                fprintf(stderr, "pread-floor: no cgroup under %s\n", argv[optind]);
                return 1;
        }

        static char buf[READ_SIZE + 1];
        if (own_buffers && !(bufs = calloc(n_containers, READ_SIZE + 1)))
                return 1;
        for (unsigned long i = 0; i < warmup; i++)
                if (one_round(fds, owner, n_fds, buf) < 0) {
                        perror("pread-floor: pread");
                        return 1;
                }

        unsigned long rounds = 0;
        long long bytes = 0;
        double min_round = -1.0;
        double wall0 = mono_now_s(), cpu0 = cpu_now_us();
        while (rounds < min_rounds || mono_now_s() - wall0 < min_seconds) {
                if (pause_ms && rounds)
                        nanosleep(&(struct timespec){.tv_sec = (time_t) (pause_ms / 1000),
                                                     .tv_nsec = (long) (pause_ms % 1000) * 1000000},
                                  NULL);
                double t0 = cpu_now_us();
                long long b = one_round(fds, owner, n_fds, buf);
                double dt = cpu_now_us() - t0;
                if (b < 0) {
                        perror("pread-floor: pread");
                        return 1;
                }
                bytes += b;
                if (min_round < 0 || dt < min_round)
                        min_round = dt;
                rounds++;
        }
        double cpu = cpu_now_us() - cpu0, wall = mono_now_s() - wall0;
        double per = cpu / (double) rounds / (double) n_containers;

        if (pause_ms || own_buffers)
                printf("diag(pause_ms=%lu own_buffers=%d) ", pause_ms, own_buffers);
        printf("containers=%zu files=%zu missing_files=%zu rounds=%lu cpu_us=%.0f wall_s=%.2f "
               "cpu_us_per_container_round=%.3f min_round_us_per_container=%.3f "
               "bytes_per_container_round=%.0f\n",
               n_containers, n_fds, missing, rounds, cpu, wall, per,
               min_round / (double) n_containers,
               (double) bytes / (double) rounds / (double) n_containers);
        closedir(parent);
        return 0;
}
