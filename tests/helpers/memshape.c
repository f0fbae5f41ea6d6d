// SPDX-License-Identifier: MIT
/*
 * memshape: anonymous or shmem memory in a given shape over time (hold, sawtooth, shrink, creep,
 * grow, hot subset), with a count of the work done, for cgmem's verdict benchmark.
 *
 * The memory is one mapping, reserved up front (MAP_NORESERVE) and filled from its start: every
 * 8-byte word of a page is written with a per-page xorshift pattern, never zero, so pages are
 * resident, charged, and incompressible (zram and zswap cannot squeeze them to nothing). Freeing
 * gives pages back from the top (MADV_DONTNEED; MADV_REMOVE for shmem). Between changes of size
 * the program re-touches what it holds, one word per page per pass: "work" is how much of that it
 * got done, so a workload that is throttled, stalled in reclaim or thrashing in swap shows fewer
 * passes than one that runs freely.
 */
#include "helper_common.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

enum shape {
        SHAPE_NONE,
        SHAPE_HOLD,
        SHAPE_SAWTOOTH,
        SHAPE_SHRINK,
        SHAPE_CREEP,
        SHAPE_GROW,
        SHAPE_HOT
};

static const char *const shape_names[] = {
        [SHAPE_NONE] = "none",     [SHAPE_HOLD] = "hold",   [SHAPE_SAWTOOTH] = "sawtooth",
        [SHAPE_SHRINK] = "shrink", [SHAPE_CREEP] = "creep", [SHAPE_GROW] = "grow",
        [SHAPE_HOT] = "hot",
};

/* A size as given: MiB, or a percentage of the limit (resolved once the limit is known). */
struct size_arg {
        double value;
        bool percent;
        bool set;
};

struct options {
        enum shape shape;
        struct size_arg size, low, hot, step, cap;
        double limit_mib; /* what a percentage refers to; 0 = our cgroup's memory.max */
        uint64_t rate_bytes;
        uint64_t every_ns;
        uint64_t duration_ns;
        uint64_t cycles;
        unsigned procs;
        const char *shmem_dir;
        bool report;
        bool nohugepage;
};

/* The sizes of one process, in bytes, whole pages. */
struct plan {
        uint64_t size, low, hot, step, cap, capacity;
        uint64_t rate_bytes;
};

/* Work counters; in a shared page when --procs forks children. */
struct work {
        _Atomic uint64_t iterations;
        _Atomic uint64_t bytes;
        _Atomic uint64_t held_bytes;
};

struct region {
        unsigned char *base;
        uint64_t capacity;
        uint64_t filled;
        uint64_t generation; /* refills of the same page get another pattern */
        int shm_fd;
        char shm_path[4096];
};

static volatile sig_atomic_t stop_requested;
static size_t page_size;

static void usage(void)
{
        printf("Usage: memshape --shape SHAPE [OPTIONS]\n"
               "Hold anonymous (or shmem) memory in a shape over time and count the work done.\n\n"
               "Shapes:\n"
               "  hold      fill to --size, then re-touch it until the end\n"
               "  sawtooth  fill to --size, free down to --low, again and again (--cycles)\n"
               "  shrink    fill to --size, then free --step every --every SEC down to --low\n"
               "  creep     fill to --size, then add --step every --every SEC up to --cap\n"
               "  grow      grow at --rate up to --size (default: until killed), re-touching\n"
               "  hot       fill to --size, then re-touch only the last --hot of it\n\n"
               "Options (SIZE is MiB, decimals allowed, or N%% of the limit):\n"
               "  --size SIZE      target (sawtooth: the top; grow: the cap)\n"
               "  --low SIZE       sawtooth bottom; shrink floor (default 0)\n"
               "  --hot SIZE       hot subset (hot)\n"
               "  --step SIZE      shrink/creep step\n"
               "  --every SEC      shrink/creep period\n"
               "  --cap SIZE       creep ceiling\n"
               "  --rate MIBPS     fill/growth rate over all processes (default 0 = unpaced)\n"
               "  --limit MIB      what N%% refers to (default: this cgroup's memory.max)\n"
               "  --procs N        fork N processes (a forking server; the parent waits), each\n"
               "                   with 1/N of every size and of the rate (default 1)\n"
               "  --shmem DIR      memory from a MAP_SHARED file DIR/memshape-<pid>.shm (put DIR\n"
               "                   on tmpfs); removed on exit, but SIGKILL leaves it behind\n"
               "  --cycles N       sawtooth: stop after N cycles\n"
               "  --duration SEC   exit 0 after SEC seconds from the ready line\n"
               "  --report         print the work line every second too\n"
               "  --nohugepage     madvise(MADV_NOHUGEPAGE) the mapping\n"
               "  --help           show this help\n\n"
               "Prints 'ready pid=<pid>', then on exit (end, --cycles, SIGTERM, SIGINT):\n"
               "  work shape=S procs=N iterations=N bytes=N held_mib=N elapsed_usec=N\n"
               "Dies with its parent.\n");
}

/* "N", "N.F", "N%", "N.F%": plain digits, at most one dot, no sign, no exponent. */
static struct size_arg parse_size(const char *opt, const char *arg)
{
        struct size_arg s = {.set = true};
        const char *p = arg;
        bool digits = false, dot = false;
        char *end;

        for (; *p != '\0' && *p != '%'; p++) {
                if (*p >= '0' && *p <= '9') {
                        digits = true;
                } else if (*p == '.' && !dot) {
                        dot = true;
                } else {
                        usage_error("--%s: '%s' is not a size (MiB, or N%%)", opt, arg);
                }
        }
        if (!digits || arg[0] == '.' || (*p == '%' && p[1] != '\0'))
                usage_error("--%s: '%s' is not a size (MiB, or N%%)", opt, arg);
        s.percent = *p == '%';
        s.value = strtod(arg, &end);
        if (s.value > 1024.0 * 1024 || (s.percent && s.value > 1000))
                usage_error("--%s: '%s' is too large", opt, arg);
        return s;
}

static struct options parse_options(int argc, char **argv)
{
        enum {
                OPT_SHAPE = 256,
                OPT_SIZE,
                OPT_LOW,
                OPT_HOT,
                OPT_STEP,
                OPT_EVERY,
                OPT_CAP,
                OPT_RATE,
                OPT_LIMIT,
                OPT_PROCS,
                OPT_SHMEM,
                OPT_CYCLES,
                OPT_DURATION,
                OPT_REPORT,
                OPT_NOHUGEPAGE,
                OPT_HELP
        };
        static const struct option longopts[] = {
                {"shape", required_argument, NULL, OPT_SHAPE},
                {"size", required_argument, NULL, OPT_SIZE},
                {"low", required_argument, NULL, OPT_LOW},
                {"hot", required_argument, NULL, OPT_HOT},
                {"step", required_argument, NULL, OPT_STEP},
                {"every", required_argument, NULL, OPT_EVERY},
                {"cap", required_argument, NULL, OPT_CAP},
                {"rate", required_argument, NULL, OPT_RATE},
                {"limit", required_argument, NULL, OPT_LIMIT},
                {"procs", required_argument, NULL, OPT_PROCS},
                {"shmem", required_argument, NULL, OPT_SHMEM},
                {"cycles", required_argument, NULL, OPT_CYCLES},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"report", no_argument, NULL, OPT_REPORT},
                {"nohugepage", no_argument, NULL, OPT_NOHUGEPAGE},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        struct options opt = {.procs = 1};
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SHAPE:
                        for (size_t i = 1; i < sizeof(shape_names) / sizeof(shape_names[0]); i++)
                                if (strcmp(optarg, shape_names[i]) == 0)
                                        opt.shape = (enum shape) i;
                        if (opt.shape == SHAPE_NONE)
                                usage_error("--shape: unknown shape '%s'", optarg);
                        break;
                case OPT_SIZE:
                        opt.size = parse_size("size", optarg);
                        break;
                case OPT_LOW:
                        opt.low = parse_size("low", optarg);
                        break;
                case OPT_HOT:
                        opt.hot = parse_size("hot", optarg);
                        break;
                case OPT_STEP:
                        opt.step = parse_size("step", optarg);
                        break;
                case OPT_EVERY:
                        opt.every_ns = parse_duration_ns("every", optarg);
                        break;
                case OPT_CAP:
                        opt.cap = parse_size("cap", optarg);
                        break;
                case OPT_RATE:
                        opt.rate_bytes = parse_u64("rate", optarg, 0, 1024 * 1024) * MIB;
                        break;
                case OPT_LIMIT:
                        opt.limit_mib = (double) parse_u64("limit", optarg, 1, 1024 * 1024);
                        break;
                case OPT_PROCS:
                        opt.procs = (unsigned) parse_u64("procs", optarg, 1, 256);
                        break;
                case OPT_SHMEM:
                        if (optarg[0] == '\0')
                                usage_error("--shmem: empty path");
                        opt.shmem_dir = optarg;
                        break;
                case OPT_CYCLES:
                        opt.cycles = parse_u64("cycles", optarg, 1, UINT64_MAX);
                        break;
                case OPT_DURATION:
                        opt.duration_ns = parse_duration_ns("duration", optarg);
                        break;
                case OPT_REPORT:
                        opt.report = true;
                        break;
                case OPT_NOHUGEPAGE:
                        opt.nohugepage = true;
                        break;
                case OPT_HELP:
                        usage();
                        exit(EXIT_SUCCESS);
                default:
                        bad_option(c, argv, optind);
                }
        }
        reject_operands(argc, argv, optind);
        if (opt.shape == SHAPE_NONE)
                usage_error("--shape is required");
        if (opt.shape != SHAPE_GROW && !opt.size.set)
                usage_error("--shape %s needs --size", shape_names[opt.shape]);
        if (opt.shape == SHAPE_SAWTOOTH && !opt.low.set)
                usage_error("--shape sawtooth needs --low");
        if (opt.shape == SHAPE_HOT && !opt.hot.set)
                usage_error("--shape hot needs --hot");
        if ((opt.shape == SHAPE_SHRINK || opt.shape == SHAPE_CREEP) &&
            (!opt.step.set || opt.every_ns == 0))
                usage_error("--shape %s needs --step and --every", shape_names[opt.shape]);
        if (opt.shape == SHAPE_CREEP && !opt.cap.set)
                usage_error("--shape creep needs --cap");
        if (opt.cycles != 0 && opt.shape != SHAPE_SAWTOOTH)
                usage_error("--cycles is for --shape sawtooth");
        return opt;
}

/* memory.max of the cgroup we run in (cgroup v2), in MiB; fatal if there is none. */
static double cgroup_limit_mib(void)
{
        char line[4096], path[4200], value[64];
        FILE *f = fopen("/proc/self/cgroup", "re");
        bool found = false;

        if (f == NULL)
                fatal("/proc/self/cgroup: %s", strerror(errno));
        while (fgets(line, sizeof(line), f) != NULL) {
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
                        found = true;
                        break;
                }
        }
        fclose(f);
        if (!found)
                fatal("no cgroup v2 entry in /proc/self/cgroup: pass --limit");
        f = fopen(path, "re");
        if (f == NULL)
                fatal("%s: %s (pass --limit)", path, strerror(errno));
        if (fgets(value, sizeof(value), f) == NULL)
                fatal("%s: empty", path);
        fclose(f);
        if (strncmp(value, "max", 3) == 0)
                fatal("%s is 'max': a percentage needs a limit (pass --limit)", path);
        return (double) strtoull(value, NULL, 10) / (double) MIB;
}

static uint64_t resolve(const struct size_arg *s, double limit_mib, unsigned procs)
{
        double mib = s->percent ? limit_mib * s->value / 100.0 : s->value;
        uint64_t bytes = (uint64_t) (mib * (double) MIB / procs);

        return bytes / page_size * page_size;
}

static struct plan make_plan(const struct options *opt)
{
        bool any_percent = opt->size.percent || opt->low.percent || opt->hot.percent ||
                           opt->step.percent || opt->cap.percent;
        double limit = opt->limit_mib;
        struct plan p = {.rate_bytes = opt->rate_bytes / opt->procs};

        if (any_percent && limit == 0)
                limit = cgroup_limit_mib();
        p.size = opt->size.set ? resolve(&opt->size, limit, opt->procs) : 0;
        p.low = opt->low.set ? resolve(&opt->low, limit, opt->procs) : 0;
        p.hot = opt->hot.set ? resolve(&opt->hot, limit, opt->procs) : 0;
        p.step = opt->step.set ? resolve(&opt->step, limit, opt->procs) : 0;
        p.cap = opt->cap.set ? resolve(&opt->cap, limit, opt->procs) : 0;
        if (opt->shape == SHAPE_GROW && p.size == 0)
                p.size = 16 * 1024 * MIB; /* "until killed": more than any test VM has */
        if ((opt->shape == SHAPE_SHRINK || opt->shape == SHAPE_CREEP) && p.step == 0)
                usage_error("--step rounds to 0 pages per process");
        if (opt->shape == SHAPE_SAWTOOTH && p.low >= p.size)
                usage_error("--low must be below --size");
        if (opt->shape == SHAPE_HOT && p.hot > p.size)
                usage_error("--hot must not exceed --size");
        if (opt->shape == SHAPE_CREEP && p.cap < p.size)
                usage_error("--cap must not be below --size");
        p.capacity = p.cap > p.size ? p.cap : p.size;
        if (p.capacity == 0)
                usage_error("--size rounds to 0 pages per process");
        return p;
}

static void on_stop_signal(int sig)
{
        (void) sig;
        stop_requested = 1;
}

/* No SA_RESTART: a paced sleep or a blocking wait returns at once when we are told to stop. */
static void install_stop_handlers(void)
{
        struct sigaction sa = {.sa_handler = on_stop_signal};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGALRM, &sa, NULL);
}

static void arm_duration(uint64_t duration_ns)
{
        struct itimerval it = {
                .it_value = {.tv_sec = (time_t) (duration_ns / NSEC_PER_SEC),
                             .tv_usec = (suseconds_t) (duration_ns % NSEC_PER_SEC / 1000)},
        };

        if (duration_ns == 0)
                return;
        if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
                it.it_value.tv_usec = 1;
        if (setitimer(ITIMER_REAL, &it, NULL) != 0)
                fatal("setitimer: %s", strerror(errno));
}

static void region_map(struct region *r, const struct options *opt, uint64_t capacity)
{
        int flags = MAP_NORESERVE;
        int fd = -1;

        r->capacity = capacity;
        r->shm_fd = -1;
        if (opt->shmem_dir != NULL) {
                snprintf(r->shm_path, sizeof(r->shm_path), "%s/memshape-%ld.shm", opt->shmem_dir,
                         (long) getpid());
                fd = open(r->shm_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0)
                        fatal("create %s: %s", r->shm_path, strerror(errno));
                r->shm_fd = fd;
                /* Sparse: tmpfs allocates (and charges) a page only when it is first written. */
                if (ftruncate(fd, (off_t) capacity) != 0)
                        fatal("ftruncate %s: %s", r->shm_path, strerror(errno));
                flags |= MAP_SHARED;
        } else {
                flags |= MAP_PRIVATE | MAP_ANONYMOUS;
        }
        r->base = mmap(NULL, capacity, PROT_READ | PROT_WRITE, flags, fd, 0);
        if (r->base == MAP_FAILED)
                fatal("mmap of %" PRIu64 " MiB: %s", capacity / MIB, strerror(errno));
        if (opt->nohugepage && madvise(r->base, capacity, MADV_NOHUGEPAGE) != 0)
                fatal("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
}

static void region_cleanup(struct region *r)
{
        if (r->shm_fd >= 0) {
                unlink(r->shm_path);
                close(r->shm_fd);
                r->shm_fd = -1;
        }
}

/* xorshift64*, as in memhog: never 0 from a non-zero state, incompressible output. */
static inline uint64_t next_random(uint64_t *state)
{
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        return *state * UINT64_C(2685821657736338717);
}

static void fill_page(struct region *r, uint64_t page_index)
{
        uint64_t *words = (uint64_t *) (r->base + page_index * page_size);
        uint64_t state = ((page_index + 1) * UINT64_C(0x9E3779B97F4A7C15)) ^ (uint64_t) getpid() ^
                         (r->generation << 40);

        if (state == 0)
                state = 1;
        for (size_t i = 0; i < page_size / sizeof(*words); i++)
                words[i] = next_random(&state) | 1;
}

struct runner {
        const struct options *opt;
        const struct plan *plan;
        struct region region;
        struct work *work;
        uint64_t start_ns;
        uint64_t next_report_ns;
};

static void print_work(const struct options *opt, const struct work *w, uint64_t start_ns)
{
        printf("work shape=%s procs=%u iterations=%" PRIu64 " bytes=%" PRIu64 " held_mib=%" PRIu64
               " elapsed_usec=%" PRIu64 "\n",
               shape_names[opt->shape], opt->procs, atomic_load(&w->iterations),
               atomic_load(&w->bytes), atomic_load(&w->held_bytes) / MIB,
               (monotonic_ns() - start_ns) / 1000);
        fflush(stdout);
}

/* --report in a single process: at most once a second, at chunk and pass boundaries. */
static void maybe_report(struct runner *run)
{
        uint64_t now;

        if (!run->opt->report || run->opt->procs > 1)
                return;
        now = monotonic_ns();
        if (now < run->next_report_ns)
                return;
        print_work(run->opt, run->work, run->start_ns);
        while (run->next_report_ns <= now)
                run->next_report_ns += NSEC_PER_SEC;
}

#define CHUNK_BYTES MIB

/*
 * Grow the filled part to `target`, a chunk at a time; paced at the plan's rate from the moment
 * this call starts (absolute deadlines, as memhog: a stall is caught up, not carried forward).
 */
static void fill_to(struct runner *run, uint64_t target)
{
        struct region *r = &run->region;
        uint64_t t0 = monotonic_ns(), done = 0;

        if (target > r->capacity)
                target = r->capacity;
        while (r->filled < target && !stop_requested) {
                uint64_t n = target - r->filled < CHUNK_BYTES ? target - r->filled : CHUNK_BYTES;

                if (run->plan->rate_bytes != 0) {
                        unsigned __int128 off = (unsigned __int128) done * NSEC_PER_SEC;
                        struct timespec ts =
                                ns_to_timespec(t0 + (uint64_t) (off / run->plan->rate_bytes));

                        /* EINTR from a stop signal ends the wait; the loop condition sees it. */
                        if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                                continue;
                }
                for (uint64_t p = r->filled / page_size; p < (r->filled + n) / page_size; p++)
                        fill_page(r, p);
                r->filled += n;
                done += n;
                atomic_fetch_add(&run->work->bytes, n);
                atomic_fetch_add(&run->work->held_bytes, n);
                maybe_report(run);
        }
}

/* Give back everything above `target`. */
static void free_to(struct runner *run, uint64_t target)
{
        struct region *r = &run->region;
        int advice = r->shm_fd >= 0 ? MADV_REMOVE : MADV_DONTNEED;

        if (target >= r->filled)
                return;
        if (madvise(r->base + target, r->filled - target, advice) != 0)
                fatal("madvise(%s): %s", advice == MADV_REMOVE ? "MADV_REMOVE" : "MADV_DONTNEED",
                      strerror(errno));
        atomic_fetch_sub(&run->work->held_bytes, r->filled - target);
        r->filled = target;
        r->generation++;
}

/* One pass writing one word per page of [from, to); false if stopped midway. */
static bool touch_pass(struct runner *run, uint64_t from, uint64_t to, uint64_t pass)
{
        struct region *r = &run->region;
        uint64_t unsaid = 0; /* pages touched and not yet added to the work counter */
        const size_t words_per_page = page_size / sizeof(uint64_t);

        for (uint64_t p = from / page_size; p < to / page_size; p++) {
                uint64_t *w = (uint64_t *) (r->base + p * page_size);

                /* A different word each pass, so the page stays unlike any other. */
                w[(pass * 7 + p) % words_per_page] =
                        ((pass << 32) ^ p) * UINT64_C(0x9E3779B97F4A7C15) | 1;
                if (++unsaid == 256) {
                        atomic_fetch_add(&run->work->bytes, unsaid * page_size);
                        unsaid = 0;
                        if (stop_requested)
                                return false;
                }
        }
        atomic_fetch_add(&run->work->bytes, unsaid * page_size);
        atomic_fetch_add(&run->work->iterations, 1);
        maybe_report(run);
        return true;
}

static void run_shape(struct runner *run)
{
        const struct options *opt = run->opt;
        const struct plan *plan = run->plan;
        uint64_t target = plan->size;
        uint64_t next_step_ns = 0;

        fill_to(run, target);
        if (opt->every_ns != 0)
                next_step_ns = monotonic_ns() + opt->every_ns;
        for (uint64_t pass = 0; !stop_requested; pass++) {
                switch (opt->shape) {
                case SHAPE_SAWTOOTH:
                        free_to(run, plan->low);
                        fill_to(run, plan->size);
                        if (stop_requested)
                                break;
                        atomic_fetch_add(&run->work->iterations, 1);
                        maybe_report(run);
                        if (opt->cycles != 0 && atomic_load(&run->work->iterations) >= opt->cycles)
                                return;
                        break;
                case SHAPE_HOT:
                        /* The most recently filled part: resident when the fill ends. */
                        touch_pass(run, run->region.filled - plan->hot, run->region.filled, pass);
                        break;
                case SHAPE_GROW:
                        /* Reached the cap (or the 16 GiB default): hold and keep touching. */
                case SHAPE_HOLD:
                        touch_pass(run, 0, run->region.filled, pass);
                        break;
                case SHAPE_SHRINK:
                case SHAPE_CREEP:
                        touch_pass(run, 0, run->region.filled, pass);
                        if (monotonic_ns() < next_step_ns)
                                break;
                        next_step_ns += opt->every_ns;
                        if (opt->shape == SHAPE_SHRINK) {
                                target = target > plan->low + plan->step ? target - plan->step
                                                                         : plan->low;
                                free_to(run, target);
                        } else {
                                target = target + plan->step < plan->cap ? target + plan->step
                                                                         : plan->cap;
                                fill_to(run, target);
                        }
                        break;
                case SHAPE_NONE:
                        return;
                }
        }
}

static void run_one(const struct options *opt, const struct plan *plan, struct work *work,
                    uint64_t start_ns)
{
        struct runner run = {
                .opt = opt,
                .plan = plan,
                .work = work,
                .start_ns = start_ns,
                .next_report_ns = start_ns + NSEC_PER_SEC,
        };

        region_map(&run.region, opt, plan->capacity);
        run_shape(&run);
        region_cleanup(&run.region);
}

/* The forking server: N children each run the shape with 1/N of it; the parent only waits. */
static int run_children(const struct options *opt, const struct plan *plan, struct work *total,
                        uint64_t start_ns)
{
        struct work *works = mmap(NULL, sizeof(*works) * opt->procs, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pid_t *pids = calloc(opt->procs, sizeof(*pids));
        unsigned alive = 0;
        int status = EXIT_SUCCESS;
        pid_t parent = getpid();

        if (works == MAP_FAILED || pids == NULL)
                fatal("out of memory for %u children", opt->procs);
        for (unsigned i = 0; i < opt->procs; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        fatal("fork: %s", strerror(errno));
                if (pid == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != parent)
                                _exit(EXIT_FAILURE);
                        run_one(opt, plan, &works[i], start_ns);
                        _exit(EXIT_SUCCESS);
                }
                pids[i] = pid;
                alive++;
        }
        while (alive > 0) {
                int st;
                pid_t pid = waitpid(-1, &st, 0);

                if (pid < 0 && errno == EINTR) {
                        /* SIGTERM/SIGINT reached the parent only: pass it on. */
                        for (unsigned i = 0; i < opt->procs; i++)
                                if (pids[i] > 0)
                                        kill(pids[i], SIGTERM);
                        continue;
                }
                if (pid < 0)
                        fatal("waitpid: %s", strerror(errno));
                for (unsigned i = 0; i < opt->procs; i++)
                        if (pids[i] == pid)
                                pids[i] = 0;
                alive--;
                if (WIFSIGNALED(st)) {
                        fprintf(stderr, "memshape: child %ld killed by signal %d\n", (long) pid,
                                WTERMSIG(st));
                        status = EXIT_FAILURE;
                } else if (WEXITSTATUS(st) != 0) {
                        status = EXIT_FAILURE;
                }
        }
        for (unsigned i = 0; i < opt->procs; i++) {
                atomic_fetch_add(&total->iterations, atomic_load(&works[i].iterations));
                atomic_fetch_add(&total->bytes, atomic_load(&works[i].bytes));
                atomic_fetch_add(&total->held_bytes, atomic_load(&works[i].held_bytes));
        }
        free(pids);
        return status;
}

int main(int argc, char **argv)
{
        static struct work work;
        struct options opt;
        struct plan plan;
        uint64_t start_ns;
        int status = EXIT_SUCCESS;

        helper_name = "memshape";
        page_size = (size_t) sysconf(_SC_PAGESIZE);
        opt = parse_options(argc, argv);
        die_with_parent();
        plan = make_plan(&opt);
        install_stop_handlers();
        start_ns = monotonic_ns();
        print_ready();
        arm_duration(opt.duration_ns);
        if (opt.procs == 1)
                run_one(&opt, &plan, &work, start_ns);
        else
                status = run_children(&opt, &plan, &work, start_ns);
        print_work(&opt, &work, start_ns);
        return status;
}
