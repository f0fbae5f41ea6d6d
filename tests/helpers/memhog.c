// SPDX-License-Identifier: MIT
/*
 * memhog: grow anonymous memory at a controlled rate, for cgmem kernel-facing tests.
 *
 * Memory is allocated in fixed-size chunks (mmap) and every byte is written with a pseudo-random,
 * per-page-unique pattern, so each chunk is fully resident and charged to our cgroup at once and
 * no page can be served by the zero page, merged by KSM or squeezed to nothing by zswap/zram.
 *
 * Pacing is global: chunk i may start at start + i * chunk / rate (an absolute CLOCK_MONOTONIC
 * deadline). Worker threads claim chunk indexes from a shared counter, so the aggregate rate is
 * exact whatever the thread count, and a late wakeup never shifts later deadlines.
 */
#include "helper_common.h"

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

struct options {
        uint64_t rate_bytes;  /* per second; 0 = unpaced */
        uint64_t total_bytes; /* 0 = unlimited */
        uint64_t chunk_bytes;
        uint64_t duration_ns; /* 0 = unlimited */
        unsigned threads;
        bool hold;
        bool report;
        bool nohugepage;
};

struct hog {
        struct options opt;
        uint64_t start_ns;
        uint64_t nchunks; /* UINT64_MAX when unlimited */
        size_t page_size;
        _Atomic uint64_t next_chunk;
        _Atomic uint64_t allocated_bytes;
        pthread_mutex_t lock;
        pthread_cond_t workers_done_cond;
        unsigned workers_running; /* protected by lock */
};

static void usage(void)
{
        printf("Usage: memhog [OPTIONS]\n"
               "Allocate and touch anonymous memory at a controlled rate.\n\n"
               "  --rate MIBPS     growth rate in MiB/s over all threads (default 0 = unpaced)\n"
               "  --threads N      worker threads sharing the rate (default 1, max 1024)\n"
               "  --total MIB      stop growing at this size (default: grow until killed)\n"
               "  --chunk KIB      mmap/touch granularity, multiple of the page size (default "
               "1024)\n"
               "  --hold           after reaching --total, keep the memory until killed or\n"
               "                   --duration (default: exit 0 once --total is reached)\n"
               "  --duration SEC   exit 0 after SEC seconds (decimals allowed)\n"
               "  --report         print 'allocated_mib=<n>' every second and on exit\n"
               "  --nohugepage     madvise(MADV_NOHUGEPAGE) so charges grow chunk by chunk\n"
               "  --help           show this help\n\n"
               "Prints 'ready pid=<pid>' once allocation starts. Dies with its parent.\n");
}

static struct options parse_options(int argc, char **argv)
{
        enum {
                OPT_RATE = 256,
                OPT_THREADS,
                OPT_TOTAL,
                OPT_CHUNK,
                OPT_HOLD,
                OPT_DURATION,
                OPT_REPORT,
                OPT_NOHUGEPAGE,
                OPT_HELP
        };
        static const struct option longopts[] = {
                {"rate", required_argument, NULL, OPT_RATE},
                {"threads", required_argument, NULL, OPT_THREADS},
                {"total", required_argument, NULL, OPT_TOTAL},
                {"chunk", required_argument, NULL, OPT_CHUNK},
                {"hold", no_argument, NULL, OPT_HOLD},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"report", no_argument, NULL, OPT_REPORT},
                {"nohugepage", no_argument, NULL, OPT_NOHUGEPAGE},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        struct options opt = {.chunk_bytes = 1024 * KIB, .threads = 1};
        const uint64_t page_kib = (uint64_t) sysconf(_SC_PAGESIZE) / KIB;
        int c;

        opterr = 0; /* we print our own messages, and exit 2 */
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_RATE:
                        opt.rate_bytes = parse_u64("rate", optarg, 0, 1024 * 1024) * MIB;
                        break;
                case OPT_THREADS:
                        opt.threads = (unsigned) parse_u64("threads", optarg, 1, 1024);
                        break;
                case OPT_TOTAL:
                        opt.total_bytes = parse_u64("total", optarg, 1, 1024 * 1024 * 1024) * MIB;
                        break;
                case OPT_CHUNK:
                        opt.chunk_bytes = parse_u64("chunk", optarg, 1, 1024 * 1024) * KIB;
                        if (opt.chunk_bytes % (page_kib * KIB) != 0)
                                usage_error("--chunk: must be a multiple of the page size "
                                            "(%" PRIu64 " KiB)",
                                            page_kib);
                        break;
                case OPT_HOLD:
                        opt.hold = true;
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
        if (opt.hold && opt.total_bytes == 0)
                usage_error("--hold needs --total (without it memhog never stops growing)");
        return opt;
}

/* xorshift64*: cheap, never yields 0 from a non-zero state, and the output is incompressible. */
static inline uint64_t next_random(uint64_t *state)
{
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        return *state * UINT64_C(2685821657736338717);
}

/* Write every word so the page is resident, dirty and unlike any other page. */
static void fill_chunk(uint64_t *words, size_t bytes, uint64_t chunk_index)
{
        uint64_t state = (chunk_index + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t) getpid();
        size_t nwords = bytes / sizeof(*words);

        if (state == 0)
                state = 1;
        for (size_t i = 0; i < nwords; i++)
                words[i] = next_random(&state) | 1; /* | 1: no all-zero word either */
}

static uint64_t chunk_deadline_ns(const struct hog *hog, uint64_t index)
{
        unsigned __int128 offset_bytes = (unsigned __int128) index * hog->opt.chunk_bytes;

        return hog->start_ns + (uint64_t) (offset_bytes * NSEC_PER_SEC / hog->opt.rate_bytes);
}

static size_t chunk_size(const struct hog *hog, uint64_t index)
{
        uint64_t offset = index * hog->opt.chunk_bytes;

        if (hog->opt.total_bytes != 0 && hog->opt.total_bytes - offset < hog->opt.chunk_bytes)
                return (size_t) (hog->opt.total_bytes - offset);
        return (size_t) hog->opt.chunk_bytes;
}

static void allocate_chunk(struct hog *hog, uint64_t index)
{
        size_t size = chunk_size(hog, index);
        /* Round the mapping up to whole pages; only the requested bytes are touched. */
        size_t map_size = (size + hog->page_size - 1) / hog->page_size * hog->page_size;
        void *p = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                fatal("mmap of %zu bytes failed after %" PRIu64 " MiB: %s", map_size,
                      atomic_load(&hog->allocated_bytes) / MIB, strerror(errno));
        if (hog->opt.nohugepage && madvise(p, map_size, MADV_NOHUGEPAGE) != 0)
                fatal("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
        fill_chunk(p, map_size, index);
        atomic_fetch_add(&hog->allocated_bytes, (uint64_t) map_size);
}

static void *worker_main(void *arg)
{
        struct hog *hog = arg;

        for (;;) {
                uint64_t index = atomic_fetch_add(&hog->next_chunk, 1);

                if (index >= hog->nchunks)
                        break;
                if (hog->opt.rate_bytes != 0)
                        sleep_until_ns(chunk_deadline_ns(hog, index));
                allocate_chunk(hog, index);
        }
        pthread_mutex_lock(&hog->lock);
        if (--hog->workers_running == 0)
                pthread_cond_signal(&hog->workers_done_cond);
        pthread_mutex_unlock(&hog->lock);
        return NULL;
}

static void init_hog(struct hog *hog, const struct options *opt)
{
        pthread_condattr_t attr;

        hog->opt = *opt;
        hog->page_size = (size_t) sysconf(_SC_PAGESIZE);
        hog->nchunks = opt->total_bytes == 0
                               ? UINT64_MAX
                               : (opt->total_bytes + opt->chunk_bytes - 1) / opt->chunk_bytes;
        atomic_init(&hog->next_chunk, 0);
        atomic_init(&hog->allocated_bytes, 0);
        pthread_mutex_init(&hog->lock, NULL);
        /* Monotonic so report/duration timeouts share the clock used for pacing. */
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&hog->workers_done_cond, &attr);
        pthread_condattr_destroy(&attr);
        hog->workers_running = opt->threads;
}

static void start_workers(struct hog *hog)
{
        pthread_attr_t attr;

        /* Small stacks: worker stacks should not show up in the memory we claim to create. */
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * KIB);
        for (unsigned i = 0; i < hog->opt.threads; i++) {
                pthread_t thread;
                int err = pthread_create(&thread, &attr, worker_main, hog);

                if (err != 0)
                        fatal("pthread_create: %s", strerror(err));
                pthread_detach(thread);
        }
        pthread_attr_destroy(&attr);
}

static void report(const struct hog *hog)
{
        printf("allocated_mib=%" PRIu64 "\n", atomic_load(&hog->allocated_bytes) / MIB);
        fflush(stdout);
}

/* Earliest of the next report and the end of --duration; UINT64_MAX if neither applies. */
static uint64_t next_wakeup_ns(const struct hog *hog, uint64_t next_report_ns, uint64_t end_ns)
{
        uint64_t wake = UINT64_MAX;

        if (hog->opt.report)
                wake = next_report_ns;
        if (hog->opt.duration_ns != 0 && end_ns < wake)
                wake = end_ns;
        return wake;
}

static void wait_until(struct hog *hog, uint64_t wake_ns)
{
        if (wake_ns == UINT64_MAX) {
                pthread_cond_wait(&hog->workers_done_cond, &hog->lock);
        } else {
                struct timespec ts = ns_to_timespec(wake_ns);

                pthread_cond_timedwait(&hog->workers_done_cond, &hog->lock, &ts);
        }
}

/* Main thread: reports, enforces --duration and decides when a finished hog exits. */
static void supervise(struct hog *hog)
{
        uint64_t next_report_ns = hog->start_ns + NSEC_PER_SEC;
        uint64_t end_ns = hog->start_ns + hog->opt.duration_ns;

        pthread_mutex_lock(&hog->lock);
        for (;;) {
                uint64_t now = monotonic_ns();

                if (hog->opt.duration_ns != 0 && now >= end_ns)
                        break;
                if (hog->opt.report && now >= next_report_ns) {
                        report(hog);
                        next_report_ns += NSEC_PER_SEC;
                        continue;
                }
                if (hog->workers_running == 0 && !hog->opt.hold)
                        break;
                /* With --hold and nothing to time, this waits forever: only a signal ends us. */
                wait_until(hog, next_wakeup_ns(hog, next_report_ns, end_ns));
        }
        pthread_mutex_unlock(&hog->lock);
        if (hog->opt.report)
                report(hog);
}

int main(int argc, char **argv)
{
        static struct hog hog;
        struct options opt;

        helper_name = "memhog";
        opt = parse_options(argc, argv);
        die_with_parent();
        init_hog(&hog, &opt);
        hog.start_ns = monotonic_ns();
        print_ready();
        start_workers(&hog);
        supervise(&hog);
        /* exit() while workers may still be mid-chunk is fine: the memory dies with us. */
        return EXIT_SUCCESS;
}
