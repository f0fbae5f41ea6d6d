// SPDX-License-Identifier: MIT
/*
 * heartbeat: wake every --interval on an absolute CLOCK_MONOTONIC schedule and record how late
 * each wakeup was, so "the node froze" becomes a number (tests/bench/node).
 *
 * By default the process locks itself in memory (mlockall) before the first tick: its lateness is
 * then scheduling delay (CPU taken by reclaim, runqueue, timer delivery), not the time to fault its
 * own code back in. --no-mlock measures what an ordinary process feels, page faults included; the
 * node benchmark runs one of each.
 *
 * Optional extras for the benchmark, all recorded in memory that is allocated (and locked) before
 * the first tick, and written out only at exit:
 *  - --watch NAME=PID: the tick at which each pid exited (pidfd, polled without blocking after
 *    every tick, so to within one interval);
 *  - --cap SEC with --cap-kill NAME=PID: SIGKILL those pids SEC after the mark (SIGUSR1), so a
 *    benchmark run ends even when nothing else acts and the harness itself is frozen;
 *  - --vitals FILE: MemAvailable, swap, PSI and reclaim counters of the node every
 *    --vitals-every ticks;
 *  - --timeline FILE: every tick's lateness;
 *  - --alloc KIB: before taking the time, map and touch fresh memory, so the lateness is that of
 *    a request that needs new memory (the page allocator, direct reclaim), not only a wakeup.
 *
 * SIGUSR1 marks the start of the measured phase (its realtime is printed; --cap counts from it).
 * SIGTERM/SIGINT (or --duration) end the run: the summary goes to stdout as key=value lines.
 */
#include "helper_common.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MAX_WATCH     64
#define STORE_SECONDS 3600 /* ticks kept for percentiles and the timeline: the first hour */

struct watch {
        const char *name;
        pid_t pid;
        int pidfd;
        bool kill_at_cap;
        uint64_t death_real_ns; /* 0 while alive */
        uint64_t kill_real_ns;  /* when we SIGKILLed it at the cap; 0 if not */
};

struct vitals {
        uint64_t real_ns;
        uint64_t mem_available_kib, mem_free_kib, swap_total_kib, swap_free_kib, file_kib;
        uint64_t some_avg10_centi, full_avg10_centi; /* percent * 100 */
        uint64_t some_total_usec, full_total_usec;
        uint64_t pgscan, pgsteal, refault_file, refault_anon, pgmajfault, pswpout, oom_kill;
        uint64_t pgscan_direct, allocstall; /* direct reclaim: allocations that had to wait */
};

struct options {
        uint64_t interval_ns;
        uint64_t duration_ns; /* 0 = until signalled */
        uint64_t cap_ns;      /* 0 = no cap */
        unsigned vitals_every;
        const char *vitals_path;
        const char *timeline_path;
        size_t alloc_bytes; /* 0 = no allocation probe */
        bool mlock;
        struct watch watch[MAX_WATCH];
        unsigned nwatch;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t mark_requested;

static void usage(void)
{
        printf("Usage: heartbeat [OPTIONS]\n"
               "Wake on an absolute schedule and record each wakeup's lateness.\n\n"
               "  --interval MS        tick period in milliseconds (default 100)\n"
               "  --no-mlock           do not lock memory (lateness then includes page faults)\n"
               "  --duration SEC       exit 0 after SEC seconds (default: until SIGTERM/SIGINT)\n"
               "  --watch NAME=PID     record when PID exits (repeatable)\n"
               "  --cap-kill NAME=PID  like --watch, and SIGKILL PID when --cap expires\n"
               "  --cap SEC            seconds after the mark (SIGUSR1) at which to kill the\n"
               "                       --cap-kill pids\n"
               "  --vitals FILE        write node vitals (meminfo, PSI, vmstat) as TSV at exit\n"
               "  --vitals-every N     sample vitals every N ticks (default 10)\n"
               "  --timeline FILE      write every tick's lateness as TSV at exit\n"
               "  --alloc KIB          at each tick, map and touch KIB of fresh anonymous memory\n"
               "                       (then unmap it) before taking the time: lateness is then\n"
               "                       that of a request that needs new memory\n"
               "  --help               show this help\n\n"
               "SIGUSR1 marks the start of the measured phase. Prints 'ready pid=<pid>' at the\n"
               "first tick and a key=value summary at exit. Dies with its parent.\n");
}

static void parse_watch(struct options *opt, const char *optname, char *arg, bool kill_at_cap)
{
        char *eq = strchr(arg, '=');
        struct watch *w;

        if (eq == NULL || eq == arg)
                usage_error("--%s: '%s' is not NAME=PID", optname, arg);
        if (opt->nwatch == MAX_WATCH)
                usage_error("--%s: at most %d pids", optname, MAX_WATCH);
        *eq = '\0';
        w = &opt->watch[opt->nwatch++];
        w->name = arg;
        w->pid = (pid_t) parse_u64(optname, eq + 1, 1, INT32_MAX);
        w->kill_at_cap = kill_at_cap;
        w->pidfd = -1;
}

static void parse_options(int argc, char **argv, struct options *ret_opt)
{
        enum {
                OPT_INTERVAL = 256,
                OPT_NO_MLOCK,
                OPT_DURATION,
                OPT_WATCH,
                OPT_CAP_KILL,
                OPT_CAP,
                OPT_VITALS,
                OPT_VITALS_EVERY,
                OPT_TIMELINE,
                OPT_ALLOC,
                OPT_HELP
        };
        static const struct option longopts[] = {
                {"interval", required_argument, NULL, OPT_INTERVAL},
                {"no-mlock", no_argument, NULL, OPT_NO_MLOCK},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"watch", required_argument, NULL, OPT_WATCH},
                {"cap-kill", required_argument, NULL, OPT_CAP_KILL},
                {"cap", required_argument, NULL, OPT_CAP},
                {"vitals", required_argument, NULL, OPT_VITALS},
                {"vitals-every", required_argument, NULL, OPT_VITALS_EVERY},
                {"timeline", required_argument, NULL, OPT_TIMELINE},
                {"alloc", required_argument, NULL, OPT_ALLOC},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        struct options opt = {0};
        bool have_cap_kill = false;
        int c;

        opt.interval_ns = 100 * NSEC_PER_SEC / 1000;
        opt.vitals_every = 10;
        opt.mlock = true;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_INTERVAL:
                        opt.interval_ns = parse_u64("interval", optarg, 1, 60000) * 1000000;
                        break;
                case OPT_NO_MLOCK:
                        opt.mlock = false;
                        break;
                case OPT_DURATION:
                        opt.duration_ns = parse_duration_ns("duration", optarg);
                        break;
                case OPT_WATCH:
                        parse_watch(&opt, "watch", optarg, false);
                        break;
                case OPT_CAP_KILL:
                        parse_watch(&opt, "cap-kill", optarg, true);
                        have_cap_kill = true;
                        break;
                case OPT_CAP:
                        opt.cap_ns = parse_duration_ns("cap", optarg);
                        break;
                case OPT_VITALS:
                        opt.vitals_path = optarg;
                        break;
                case OPT_VITALS_EVERY:
                        opt.vitals_every = (unsigned) parse_u64("vitals-every", optarg, 1, 100000);
                        break;
                case OPT_TIMELINE:
                        opt.timeline_path = optarg;
                        break;
                case OPT_ALLOC:
                        opt.alloc_bytes =
                                (size_t) (parse_u64("alloc", optarg, 1, 1024 * 1024) * KIB);
                        break;
                case OPT_HELP:
                        usage();
                        exit(EXIT_SUCCESS);
                default:
                        bad_option(c, argv, optind);
                }
        }
        reject_operands(argc, argv, optind);
        if (have_cap_kill && opt.cap_ns == 0)
                usage_error("--cap-kill needs --cap");
        *ret_opt = opt;
}

static uint64_t realtime_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static void on_stop(int sig)
{
        (void) sig;
        stop_requested = 1;
}

static void on_mark(int sig)
{
        (void) sig;
        mark_requested = 1;
}

static void install_handlers(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop; /* no SA_RESTART: clock_nanosleep returns EINTR at once */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_mark;
        sigaction(SIGUSR1, &sa, NULL);
}

static void open_watches(struct options *opt)
{
        for (unsigned i = 0; i < opt->nwatch; i++) {
                struct watch *w = &opt->watch[i];
                long fd = syscall(SYS_pidfd_open, w->pid, 0);

                if (fd < 0)
                        fatal("pidfd_open(%ld) for %s: %s", (long) w->pid, w->name,
                              strerror(errno));
                w->pidfd = (int) fd;
        }
}

/* A pidfd polls readable once its process has exited. */
static void check_watches(struct options *opt, uint64_t now_real_ns)
{
        struct pollfd pfd[MAX_WATCH];
        unsigned map[MAX_WATCH], n = 0;

        for (unsigned i = 0; i < opt->nwatch; i++) {
                if (opt->watch[i].death_real_ns != 0)
                        continue;
                pfd[n] = (struct pollfd){.fd = opt->watch[i].pidfd, .events = POLLIN};
                map[n++] = i;
        }
        if (n == 0 || poll(pfd, n, 0) <= 0)
                return;
        for (unsigned j = 0; j < n; j++)
                if (pfd[j].revents & (POLLIN | POLLHUP))
                        opt->watch[map[j]].death_real_ns = now_real_ns;
}

static void kill_at_cap(struct options *opt)
{
        for (unsigned i = 0; i < opt->nwatch; i++) {
                struct watch *w = &opt->watch[i];

                if (!w->kill_at_cap || w->death_real_ns != 0)
                        continue;
                if (syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0) == 0)
                        w->kill_real_ns = realtime_ns();
        }
}

/*
 * Map, touch (one write per page) and unmap fresh anonymous memory: what any request that
 * needs new memory does, so its time is that of the page allocator (and of direct reclaim when
 * memory is short). A failed mmap is not fatal: the tick is then only late.
 */
static void alloc_probe(size_t bytes)
{
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        volatile char *p =
                mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                return;
        for (size_t off = 0; off < bytes; off += page)
                p[off] = 1;
        munmap((void *) p, bytes);
}

/* --- vitals: /proc files opened once and re-read with pread(fd, buf, n, 0) ---------------- */

struct procfile {
        const char *path;
        int fd;
};

static struct procfile pf_meminfo = {"/proc/meminfo", -1};
static struct procfile pf_psi = {"/proc/pressure/memory", -1};
static struct procfile pf_vmstat = {"/proc/vmstat", -1};
static char procbuf[32768];

static void procfile_open(struct procfile *pf)
{
        pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
        if (pf->fd < 0)
                fatal("open %s: %s", pf->path, strerror(errno));
}

static const char *procfile_read(struct procfile *pf)
{
        ssize_t n = pread(pf->fd, procbuf, sizeof(procbuf) - 1, 0);

        if (n < 0)
                n = 0;
        procbuf[n] = '\0';
        return procbuf;
}

/* The number after "KEY" at the start of a line ("MemAvailable:", "pgscan_direct "), or 0. */
static uint64_t field(const char *text, const char *key)
{
        size_t len = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, len) != 0)
                        continue;
                p += len;
                while (*p == ' ')
                        p++;
                return strtoull(p, NULL, 10);
        }
        return 0;
}

/* "avg10=12.34" in the line starting with PREFIX ("some", "full") as 1234. */
static uint64_t psi_avg10_centi(const char *text, const char *prefix)
{
        const char *line = strstr(text, prefix);
        const char *p;
        char *end;
        uint64_t whole, frac = 0;

        if (line == NULL || (p = strstr(line, "avg10=")) == NULL)
                return 0;
        whole = strtoull(p + 6, &end, 10);
        if (*end == '.')
                frac = strtoull(end + 1, NULL, 10);
        return whole * 100 + frac;
}

static uint64_t psi_total(const char *text, const char *prefix)
{
        const char *line = strstr(text, prefix);
        const char *p;

        if (line == NULL || (p = strstr(line, "total=")) == NULL)
                return 0;
        return strtoull(p + 6, NULL, 10);
}

static void sample_vitals(struct vitals *v, uint64_t now_real_ns)
{
        const char *t;

        v->real_ns = now_real_ns;
        t = procfile_read(&pf_meminfo);
        v->mem_available_kib = field(t, "MemAvailable:");
        v->mem_free_kib = field(t, "MemFree:");
        v->swap_total_kib = field(t, "SwapTotal:");
        v->swap_free_kib = field(t, "SwapFree:");
        v->file_kib = field(t, "Active(file):") + field(t, "Inactive(file):");
        t = procfile_read(&pf_psi);
        v->some_avg10_centi = psi_avg10_centi(t, "some");
        v->full_avg10_centi = psi_avg10_centi(t, "full");
        v->some_total_usec = psi_total(t, "some");
        v->full_total_usec = psi_total(t, "full");
        t = procfile_read(&pf_vmstat);
        v->pgscan = field(t, "pgscan_kswapd") + field(t, "pgscan_direct") +
                    field(t, "pgscan_khugepaged");
        v->pgsteal = field(t, "pgsteal_kswapd") + field(t, "pgsteal_direct") +
                     field(t, "pgsteal_khugepaged");
        v->refault_file = field(t, "workingset_refault_file");
        v->refault_anon = field(t, "workingset_refault_anon");
        v->pgmajfault = field(t, "pgmajfault");
        v->pswpout = field(t, "pswpout");
        v->oom_kill = field(t, "oom_kill");
        v->pgscan_direct = field(t, "pgscan_direct");
        v->allocstall = field(t, "allocstall_dma") + field(t, "allocstall_dma32") +
                        field(t, "allocstall_normal") + field(t, "allocstall_movable");
}

static void write_vitals(const char *path, const struct vitals *v, size_t n)
{
        FILE *f = fopen(path, "w");

        if (f == NULL) {
                fprintf(stderr, "heartbeat: %s: %s\n", path, strerror(errno));
                return;
        }
        fprintf(f, "real_usec\tmem_available_kib\tmem_free_kib\tfile_kib\tswap_total_kib\t"
                   "swap_free_kib\tsome_avg10\tfull_avg10\tsome_total_usec\tfull_total_usec\t"
                   "pgscan\tpgsteal\trefault_file\trefault_anon\tpgmajfault\tpswpout\t"
                   "oom_kill\tpgscan_direct\tallocstall\n");
        for (size_t i = 0; i < n; i++)
                fprintf(f,
                        "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                        "\t%" PRIu64 ".%02" PRIu64 "\t%" PRIu64 ".%02" PRIu64 "\t%" PRIu64
                        "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                        "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n",
                        v[i].real_ns / 1000, v[i].mem_available_kib, v[i].mem_free_kib,
                        v[i].file_kib, v[i].swap_total_kib, v[i].swap_free_kib,
                        v[i].some_avg10_centi / 100, v[i].some_avg10_centi % 100,
                        v[i].full_avg10_centi / 100, v[i].full_avg10_centi % 100,
                        v[i].some_total_usec, v[i].full_total_usec, v[i].pgscan, v[i].pgsteal,
                        v[i].refault_file, v[i].refault_anon, v[i].pgmajfault, v[i].pswpout,
                        v[i].oom_kill, v[i].pgscan_direct, v[i].allocstall);
        fclose(f);
}

/* --- summary ------------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p % of the samples at or below it. */
static uint32_t nearest_rank(const uint32_t *sorted, size_t n, unsigned p)
{
        size_t rank = (n * p + 99) / 100;

        if (n == 0)
                return 0;
        return sorted[rank == 0 ? 0 : rank - 1];
}

static void write_timeline(const char *path, const uint32_t *late_usec, const uint64_t *real_ns,
                           size_t n)
{
        FILE *f = fopen(path, "w");

        if (f == NULL) {
                fprintf(stderr, "heartbeat: %s: %s\n", path, strerror(errno));
                return;
        }
        fprintf(f, "real_usec\tlate_usec\n");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%" PRIu64 "\t%" PRIu32 "\n", real_ns[i] / 1000, late_usec[i]);
        fclose(f);
}

/* The ticks of one phase: before the mark, or from the mark on. */
struct phase {
        uint64_t ticks, missed, max_late_ns, max_late_real_ns, sum_late_ns;
        size_t first; /* index of its first stored tick */
};

static void print_ms(const char *key, uint64_t usec)
{
        printf(" %s=%" PRIu64 ".%03" PRIu64, key, usec / 1000, usec % 1000);
}

int main(int argc, char **argv)
{
        static struct options options;
        struct options *opt = &options;
        uint32_t *late_usec, *sorted;
        uint64_t *tick_real_ns;
        struct vitals *vit = NULL;
        size_t cap_ticks, nticks = 0, nvit = 0, cap_vit = 0, n;
        uint64_t start_ns, next_ns, end_ns, mark_real_ns = 0, mark_mono_ns = 0, total_ticks = 0;
        struct phase phases[2] = {{0}}, *ph = &phases[0];
        bool cap_reached = false;

        helper_name = "heartbeat";
        parse_options(argc, argv, opt);
        die_with_parent();
        install_handlers();
        open_watches(opt);

        /* Everything the loop touches exists (and is locked) before the first tick. */
        cap_ticks = (size_t) (STORE_SECONDS * NSEC_PER_SEC / opt->interval_ns);
        late_usec = calloc(cap_ticks, sizeof(*late_usec));
        tick_real_ns = calloc(cap_ticks, sizeof(*tick_real_ns));
        if (late_usec == NULL || tick_real_ns == NULL)
                fatal("out of memory");
        if (opt->vitals_path != NULL) {
                cap_vit = cap_ticks / opt->vitals_every + 1;
                vit = calloc(cap_vit, sizeof(*vit));
                if (vit == NULL)
                        fatal("out of memory");
                procfile_open(&pf_meminfo);
                procfile_open(&pf_psi);
                procfile_open(&pf_vmstat);
        }
        if (opt->mlock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
                fatal("mlockall: %s (run as root or raise RLIMIT_MEMLOCK, or --no-mlock)",
                      strerror(errno));
        /* Touch the arrays: calloc'd pages are not resident until written (without mlock). */
        memset(late_usec, 0, cap_ticks * sizeof(*late_usec));
        memset(tick_real_ns, 0, cap_ticks * sizeof(*tick_real_ns));

        start_ns = monotonic_ns();
        next_ns = start_ns + opt->interval_ns;
        end_ns = opt->duration_ns ? start_ns + opt->duration_ns : UINT64_MAX;
        print_ready();

        while (!stop_requested) {
                struct timespec ts = ns_to_timespec(next_ns);
                uint64_t now, late, real;

                if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
                        if (mark_requested && mark_real_ns == 0) {
                                mark_real_ns = realtime_ns();
                                mark_mono_ns = monotonic_ns();
                                ph = &phases[1];
                                ph->first = nticks;
                        }
                        continue;
                }
                if (opt->alloc_bytes)
                        alloc_probe(opt->alloc_bytes);
                now = monotonic_ns();
                real = realtime_ns();
                late = now - next_ns;
                total_ticks++;
                if (nticks < cap_ticks) {
                        late_usec[nticks] =
                                (uint32_t) (late / 1000 > UINT32_MAX ? UINT32_MAX : late / 1000);
                        tick_real_ns[nticks] = real;
                        nticks++;
                }
                ph->ticks++;
                ph->sum_late_ns += late;
                if (late > ph->max_late_ns) {
                        ph->max_late_ns = late;
                        ph->max_late_real_ns = real;
                }
                /* Skip grid points already passed: one stall is one late tick, not many. */
                next_ns += opt->interval_ns;
                if (next_ns <= now) {
                        uint64_t skip = (now - next_ns) / opt->interval_ns + 1;

                        ph->missed += skip;
                        next_ns += skip * opt->interval_ns;
                }
                if (opt->nwatch)
                        check_watches(opt, real);
                if (mark_requested && mark_real_ns == 0) {
                        mark_real_ns = real;
                        mark_mono_ns = now;
                        ph = &phases[1];
                        ph->first = nticks;
                }
                if (opt->cap_ns && mark_mono_ns && !cap_reached &&
                    now >= mark_mono_ns + opt->cap_ns) {
                        cap_reached = true;
                        kill_at_cap(opt);
                }
                if (vit != NULL && total_ticks % opt->vitals_every == 0 && nvit < cap_vit)
                        sample_vitals(&vit[nvit++], real);
                if (now >= end_ns)
                        break;
        }
        if (opt->nwatch)
                check_watches(opt, realtime_ns());

        /* The summary is of the measured phase: from the mark on if there was one. */
        n = nticks - ph->first;
        sorted = malloc(n * sizeof(*sorted) + 1);
        if (sorted == NULL)
                fatal("out of memory");
        memcpy(sorted, late_usec + ph->first, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), cmp_u32);
        printf("heartbeat interval_ms=%" PRIu64 " mlock=%d alloc_kib=%zu ticks=%" PRIu64
               " missed=%" PRIu64,
               opt->interval_ns / 1000000, opt->mlock ? 1 : 0, opt->alloc_bytes / KIB, ph->ticks,
               ph->missed);
        print_ms("late_max_ms", ph->max_late_ns / 1000);
        print_ms("late_p99_ms", nearest_rank(sorted, n, 99));
        print_ms("late_p50_ms", nearest_rank(sorted, n, 50));
        print_ms("late_sum_ms", ph->sum_late_ns / 1000);
        printf(" late_max_at_usec=%" PRIu64 " mark_usec=%" PRIu64 " cap_reached=%d",
               ph->max_late_real_ns / 1000, mark_real_ns / 1000, cap_reached ? 1 : 0);
        if (mark_real_ns != 0)
                print_ms("pre_mark_max_ms", phases[0].max_late_ns / 1000);
        printf(" all_ticks=%" PRIu64 "\n", total_ticks);
        for (unsigned i = 0; i < opt->nwatch; i++) {
                const struct watch *w = &opt->watch[i];

                printf("watch name=%s pid=%ld death_usec=%" PRIu64 " cap_kill_usec=%" PRIu64 "\n",
                       w->name, (long) w->pid, w->death_real_ns / 1000, w->kill_real_ns / 1000);
        }
        fflush(stdout);
        if (opt->timeline_path != NULL)
                write_timeline(opt->timeline_path, late_usec, tick_real_ns, nticks);
        if (vit != NULL)
                write_vitals(opt->vitals_path, vit, nvit);
        return EXIT_SUCCESS;
}
