/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcgroup-vs-direct: what one fresh memory value costs read straight from cgroupfs
 * (openat/pread relative to a dirfd, as cgmem does) against libcgroup's
 * cgroup_get_cgroup() API. See tests/bench/README.md.
 *
 * Usage: libcgroup-vs-direct [-n ITER] [-N LIBCG_ITER] [-w WARMUP] [-o ONLY] CGROUP MOUNT
 *   CGROUP  path relative to the memory controller's mount ("bench", "/", "a/b")
 *   MOUNT   that mount point (/sys/fs/cgroup on v2, /sys/fs/cgroup/memory on v1)
 *   -n      iterations of each direct case (default 20000)
 *   -N      iterations of the libcgroup case (default 2000)
 *   -w      untimed warm-up iterations before each case (default 100)
 *   -o      run only the cases whose label starts with ONLY (for strace -c)
 *
 * On cgroup v1 (no memory.current) the single-value cases read memory.usage_in_bytes
 * and the cgmem sample cases are skipped: they need the v2 files.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs/io.h"
#include "cgroupfs/parse.h"
#include "cgroupfs/sample.h"

/* libcgroup's iterators.h defines CG_VALUE_MAX (100) too; this file uses neither. */
#undef CG_VALUE_MAX
#include <libcgroup.h>

struct ctx {
        int dirfd;        /* the cgroup's directory */
        int value_fd;     /* the value file, kept open for the hot cases */
        const char *file; /* memory.current, or memory.usage_in_bytes on v1 */
        const char *lcg_name;
        struct read_buf buf;
        struct memcg_reader reader;
        uint64_t sink; /* keeps the compiler from dropping the work */
};

typedef int (*op_fn)(struct ctx *c);

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static void die(const char *what, int err)
{
        fprintf(stderr, "libcgroup-vs-direct: %s: %s\n", what, strerror(err));
        exit(1);
}

/* ---- the cases ---- */

static int op_empty(struct ctx *c)
{
        c->sink++;
        return 0;
}

/* (a) raw: openat + one read + close, the syscalls behind the "1.9 µs per value" claim. */
static int op_openat_read_close(struct ctx *c)
{
        char b[64];
        int fd = openat(c->dirfd, c->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, b, sizeof(b) - 1);
        int err = n < 0 ? -errno : 0;
        close(fd);
        if (err < 0)
                return err;
        uint64_t v;
        int r = parse_single_value(b, (size_t) n, 0, &v);
        c->sink += v;
        return r;
}

/* (a') cgmem's own cold path: cg_read_at() (open, read to EOF, close) + parse. */
static int op_cg_read_at(struct ctx *c)
{
        int r = cg_read_at(c->dirfd, c->file, &c->buf);
        if (r < 0)
                return r;
        uint64_t v;
        r = parse_single_value(c->buf.data, c->buf.len, 0, &v);
        c->sink += v;
        return r;
}

/* (b) raw: one pread at offset 0 on the open fd. */
static int op_pread(struct ctx *c)
{
        char b[64];
        ssize_t n = pread(c->value_fd, b, sizeof(b) - 1, 0);
        if (n < 0)
                return -errno;
        uint64_t v;
        int r = parse_single_value(b, (size_t) n, 0, &v);
        c->sink += v;
        return r;
}

/* (b') cgmem's own hot path: cg_pread_all() (pread to EOF) + parse. */
static int op_cg_pread_all(struct ctx *c)
{
        int r = cg_pread_all(c->value_fd, &c->buf);
        if (r < 0)
                return r;
        uint64_t v;
        r = parse_single_value(c->buf.data, c->buf.len, 0, &v);
        c->sink += v;
        return r;
}

/* (c) a whole cgmem sample, cold: opens, reads, parses and closes every memory.* file. */
static int op_sample_once(struct ctx *c)
{
        struct memcg_sample s;
        int r = memcg_sample_read_once(c->dirfd, &s, NULL);
        c->sink += s.current_bytes;
        return r;
}

/* (c) a whole cgmem sample, hot: the reader keeps its fds and buffer between samples. */
static int op_sample_hot(struct ctx *c)
{
        struct memcg_sample s;
        int r = memcg_sample_read(&c->reader, c->dirfd, &s, NULL);
        c->sink += s.current_bytes;
        return r;
}

/* (d) libcgroup: what a user of it does for one fresh value. */
static int op_libcgroup(struct ctx *c)
{
        struct cgroup *cg = cgroup_new_cgroup(c->lcg_name);
        if (!cg)
                return -ENOMEM;
        int r = cgroup_get_cgroup(cg);
        if (r != 0) {
                cgroup_free(&cg);
                return -EIO;
        }
        struct cgroup_controller *mem = cgroup_get_controller(cg, "memory");
        uint64_t v = 0;
        if (!mem || cgroup_get_value_uint64(mem, c->file, &v) != 0) {
                cgroup_free(&cg);
                return -ENOENT;
        }
        c->sink += v;
        cgroup_free(&cg);
        return 0;
}

/* (d') the same, fetching the value as a string (no strtoull inside libcgroup). */
static int op_libcgroup_string(struct ctx *c)
{
        struct cgroup *cg = cgroup_new_cgroup(c->lcg_name);
        if (!cg)
                return -ENOMEM;
        int r = cgroup_get_cgroup(cg);
        if (r != 0) {
                cgroup_free(&cg);
                return -EIO;
        }
        struct cgroup_controller *mem = cgroup_get_controller(cg, "memory");
        char *str = NULL;
        if (!mem || cgroup_get_value_string(mem, c->file, &str) != 0 || !str) {
                cgroup_free(&cg);
                return -ENOENT;
        }
        c->sink += (uint64_t) str[0];
        free(str);
        cgroup_free(&cg);
        return 0;
}

/* ---- timing ---- */

struct result {
        const char *label;
        size_t n;
        double median_ns, p99_ns, mean_ns;
        double values; /* values per operation, for the per-value column */
        const char *unit;
};

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static struct result measure(const char *label, op_fn op, struct ctx *c, size_t iters,
                             size_t warmup, double values, const char *unit)
{
        uint64_t *t = calloc(iters, sizeof(*t));
        if (!t)
                die("calloc", ENOMEM);
        for (size_t i = 0; i < warmup; i++) {
                int r = op(c);
                if (r < 0)
                        die(label, -r);
        }
        double sum = 0;
        for (size_t i = 0; i < iters; i++) {
                uint64_t t0 = now_ns();
                int r = op(c);
                uint64_t t1 = now_ns();
                if (r < 0)
                        die(label, -r);
                t[i] = t1 - t0;
                sum += (double) t[i];
        }
        qsort(t, iters, sizeof(*t), cmp_u64);
        size_t p99 = (size_t) ((double) (iters - 1) * 0.99 + 0.5);
        struct result res = {
                .label = label,
                .n = iters,
                .median_ns = (iters % 2) ? (double) t[iters / 2]
                                         : ((double) t[iters / 2 - 1] + (double) t[iters / 2]) / 2,
                .p99_ns = (double) t[p99],
                .mean_ns = sum / (double) iters,
                .values = values,
                .unit = unit,
        };
        free(t);
        return res;
}

static void print_result(const struct result *r)
{
        printf("%-44s %7zu %11.2f %11.2f %11.2f %6.0f %-5s %11.3f\n", r->label, r->n,
               r->median_ns / 1000, r->p99_ns / 1000, r->mean_ns / 1000, r->values, r->unit,
               r->median_ns / 1000 / r->values);
        fflush(stdout);
}

/* ---- what a sample and a cgroup_get_cgroup() call read ---- */

/* Lines of dirfd/name (a flat-keyed file: one value per line); -1 if it cannot be read. */
static int count_lines(int dirfd, const char *name)
{
        struct read_buf b = {0};
        if (cg_read_at(dirfd, name, &b) < 0) {
                read_buf_free(&b);
                return -1;
        }
        int n = 0;
        for (size_t i = 0; i < b.len; i++)
                n += b.data[i] == '\n';
        read_buf_free(&b);
        return n;
}

/*
 * The files memcg_sample_read() reads (its reader's open fds after one sample) and the
 * numbers in them: 1 per single-value file, 1 per "key value" line of the flat-keyed
 * files (parse_keyed() walks every line), 4 per memory.pressure line.
 */
static void count_sample(struct ctx *c, int *files, int *numbers)
{
        static const char *const names[_MEMCG_FILE_COUNT] = {
                [MEMCG_FILE_CURRENT] = "memory.current",
                [MEMCG_FILE_MIN] = "memory.min",
                [MEMCG_FILE_LOW] = "memory.low",
                [MEMCG_FILE_HIGH] = "memory.high",
                [MEMCG_FILE_MAX] = "memory.max",
                [MEMCG_FILE_STAT] = "memory.stat",
                [MEMCG_FILE_EVENTS] = "memory.events",
                [MEMCG_FILE_PEAK] = "memory.peak",
                [MEMCG_FILE_SWAP_CURRENT] = "memory.swap.current",
                [MEMCG_FILE_SWAP_MAX] = "memory.swap.max",
                [MEMCG_FILE_SWAP_EVENTS] = "memory.swap.events",
                [MEMCG_FILE_EVENTS_LOCAL] = "memory.events.local",
                [MEMCG_FILE_PRESSURE] = "memory.pressure",
        };
        *files = 0;
        *numbers = 0;
        for (int f = 0; f < _MEMCG_FILE_COUNT; f++) {
                if (c->reader.fds[f] < 0)
                        continue;
                (*files)++;
                switch (f) {
                case MEMCG_FILE_STAT:
                case MEMCG_FILE_EVENTS:
                case MEMCG_FILE_SWAP_EVENTS:
                case MEMCG_FILE_EVENTS_LOCAL:
                        *numbers += count_lines(c->dirfd, names[f]);
                        break;
                case MEMCG_FILE_PRESSURE:
                        *numbers += 4 * count_lines(c->dirfd, names[f]);
                        break;
                default:
                        (*numbers)++;
                }
        }
}

/* Controllers and values (one per file read) one cgroup_get_cgroup() call returns. */
static int count_libcgroup(const char *name, int verbose)
{
        struct cgroup *cg = cgroup_new_cgroup(name);
        if (!cg || cgroup_get_cgroup(cg) != 0)
                die("cgroup_get_cgroup", EIO);
        void *h = NULL;
        struct cgroup_mount_point mp;
        int total = 0, n_ctrl = 0;
        char seen[1024] = "";
        if (verbose)
                printf("libcgroup: cgroup_get_cgroup(\"%s\") returns, per controller:\n", name);
        for (int r = cgroup_get_controller_begin(&h, &mp); r == 0;
             r = cgroup_get_controller_next(&h, &mp)) {
                char key[FILENAME_MAX + 2];
                snprintf(key, sizeof(key), " %s ", mp.name);
                if (strstr(seen, key))
                        continue;
                if (strlen(seen) + strlen(key) < sizeof(seen))
                        strcat(seen, key);
                struct cgroup_controller *ctl = cgroup_get_controller(cg, mp.name);
                if (!ctl)
                        continue;
                int n = cgroup_get_value_name_count(ctl);
                if (verbose)
                        printf("  %-12s %3d values  (mounted at %s)\n", mp.name, n, mp.path);
                total += n;
                n_ctrl++;
        }
        cgroup_get_controller_end(&h);
        if (verbose)
                printf("  total        %3d values in %d controllers\n", total, n_ctrl);
        cgroup_free(&cg);
        return total;
}

static void usage(void)
{
        fprintf(stderr, "usage: libcgroup-vs-direct [-n ITER] [-N LIBCG_ITER] [-w WARMUP] "
                        "[-o ONLY] CGROUP MOUNT\n");
        exit(2);
}

static size_t parse_count(const char *s)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v == 0)
                usage();
        return (size_t) v;
}

static int wanted(const char *only, const char *label)
{
        return !only || strncmp(label, only, strlen(only)) == 0;
}

int main(int argc, char **argv)
{
        size_t iters = 20000, lcg_iters = 2000, warmup = 100;
        const char *only = NULL;
        int opt;
        while ((opt = getopt(argc, argv, "n:N:w:o:h")) != -1) {
                switch (opt) {
                case 'n':
                        iters = parse_count(optarg);
                        break;
                case 'N':
                        lcg_iters = parse_count(optarg);
                        break;
                case 'w':
                        warmup = parse_count(optarg);
                        break;
                case 'o':
                        only = optarg;
                        break;
                default:
                        usage();
                }
        }
        if (argc - optind != 2)
                usage();
        const char *cgroup = argv[optind], *mount = argv[optind + 1];

        struct ctx c = {.dirfd = -1, .value_fd = -1};
        int mfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mfd < 0)
                die(mount, errno);
        const char *rel = cgroup;
        while (*rel == '/')
                rel++;
        c.dirfd = *rel ? openat(mfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                       : fcntl(mfd, F_DUPFD_CLOEXEC, 3);
        if (c.dirfd < 0)
                die(cgroup, errno);
        close(mfd);

        int v2 = faccessat(c.dirfd, "memory.current", R_OK, 0) == 0;
        c.file = v2 ? "memory.current" : "memory.usage_in_bytes";
        c.value_fd = openat(c.dirfd, c.file, O_RDONLY | O_CLOEXEC);
        if (c.value_fd < 0)
                die(c.file, errno);
        c.lcg_name = *rel ? rel : "/";
        memcg_reader_init(&c.reader);

        struct utsname u;
        uname(&u);
        printf("kernel %s %s, cgroup %s (%s) at %s, value file %s\n", u.sysname, u.release,
               c.lcg_name, v2 ? "v2" : "v1", mount, c.file);

        int r = cgroup_init();
        if (r != 0) {
                fprintf(stderr, "cgroup_init: %s\n", cgroup_strerror(r));
                return 1;
        }
        char *lmp = NULL;
        if (cgroup_get_subsys_mount_point("memory", &lmp) == 0) {
                printf("libcgroup: memory controller mounted at %s\n", lmp);
                free(lmp);
        }
        int lcg_values = count_libcgroup(c.lcg_name, 1);

        int s_files = 0, s_numbers = 0;
        if (v2) {
                struct memcg_sample s;
                const char *bad = NULL;
                r = memcg_sample_read(&c.reader, c.dirfd, &s, &bad);
                if (r < 0) {
                        fprintf(stderr, "memcg_sample_read: %s: %s\n", bad ? bad : "?",
                                strerror(-r));
                        return 1;
                }
                count_sample(&c, &s_files, &s_numbers);
                printf("cgmem: one sample reads %d files holding %d numbers "
                       "(1 per single-value file, 1 per line of the keyed files, "
                       "4 per memory.pressure line)\n",
                       s_files, s_numbers);
        }

        printf("\ntimes in µs; 'per value' = median / values per op "
               "(libcgroup: values = files cgroup_get_cgroup() read)\n");
        printf("%-44s %7s %11s %11s %11s %12s %11s\n", "operation", "count", "median", "p99",
               "mean", "values/op", "per value");

        struct result res[16];
        int nres = 0;
#define RUN(label, fn, n, vals, unit)                                                              \
        do {                                                                                       \
                if (wanted(only, label)) {                                                         \
                        res[nres] = measure(label, fn, &c, n, warmup, vals, unit);                 \
                        print_result(&res[nres]);                                                  \
                        nres++;                                                                    \
                }                                                                                  \
        } while (0)

        RUN("0  clock_gettime pair (timer overhead)", op_empty, iters, 1, "-");
        RUN("a  openat+read+close (1 read)", op_openat_read_close, iters, 1, "value");
        RUN("a' cg_read_at + parse (cgmem cold value)", op_cg_read_at, iters, 1, "value");
        RUN("b  pread at 0 on open fd", op_pread, iters, 1, "value");
        RUN("b' cg_pread_all + parse (cgmem hot value)", op_cg_pread_all, iters, 1, "value");
        size_t sample_iters = iters >= 40 ? iters / 4 : 10;
        if (v2) {
                RUN("c  memcg_sample_read_once (per file)", op_sample_once, sample_iters, s_files,
                    "file");
                RUN("c  memcg_sample_read, reused reader (per file)", op_sample_hot, sample_iters,
                    s_files, "file");
        }
        RUN("d  libcgroup get_cgroup + uint64", op_libcgroup, lcg_iters, lcg_values, "file");
        RUN("d' libcgroup get_cgroup + string", op_libcgroup_string,
            lcg_iters >= 40 ? lcg_iters / 4 : 10, lcg_values, "file");

        /* Per-number view of the cgmem samples, and the ratios. */
        const struct result *a = NULL, *b = NULL, *once = NULL, *hot = NULL, *lcg = NULL;
        for (int i = 0; i < nres; i++) {
                if (!strncmp(res[i].label, "a  ", 3))
                        a = &res[i];
                else if (!strncmp(res[i].label, "b  ", 3))
                        b = &res[i];
                else if (!strncmp(res[i].label, "c  memcg_sample_read_once", 25))
                        once = &res[i];
                else if (!strncmp(res[i].label, "c  memcg_sample_read,", 21))
                        hot = &res[i];
                else if (!strncmp(res[i].label, "d  ", 3))
                        lcg = &res[i];
        }
        if (s_numbers > 0 && (once || hot)) {
                printf("\ncgmem sample per number (%d numbers): ", s_numbers);
                if (once)
                        printf("cold %.3f µs  ", once->median_ns / 1000 / s_numbers);
                if (hot)
                        printf("hot %.3f µs", hot->median_ns / 1000 / s_numbers);
                printf("\n");
        }
        if (lcg) {
                printf("\nratios of medians, one fresh memory value:\n");
                if (a)
                        printf("  libcgroup / openat+read+close  %8.0fx\n",
                               lcg->median_ns / a->median_ns);
                if (b)
                        printf("  libcgroup / pread              %8.0fx\n",
                               lcg->median_ns / b->median_ns);
                if (once)
                        printf("  libcgroup / full cgmem sample cold (%d files) %6.1fx\n", s_files,
                               lcg->median_ns / once->median_ns);
                if (hot)
                        printf("  libcgroup / full cgmem sample hot  (%d files) %6.1fx\n", s_files,
                               lcg->median_ns / hot->median_ns);
        }
        if (c.sink == 42) /* never; uses the sink */
                printf(" \n");

        memcg_reader_close(&c.reader);
        read_buf_free(&c.buf);
        close(c.value_fd);
        close(c.dirfd);
        return 0;
}
