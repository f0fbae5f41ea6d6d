// SPDX-License-Identifier: MIT
/*
 * pagecache: fill the page cache (file LRU) with a file's pages and keep them hot by reading the
 * file sequentially, over and over, with plain read() into a small buffer.
 *
 * Page cache is charged to the cgroup that first brings a page into memory. Pages a previous run
 * (or the test harness) left cached would be charged elsewhere and never to us, so after making
 * sure the file exists we write it back and drop its cached pages; every page we then read is
 * faulted in by us and charged to our cgroup. The only anonymous memory is the 64 KiB buffer.
 */
#include "helper_common.h"

#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define IO_BUFFER_BYTES (64 * KIB)

struct options {
        const char *path;
        uint64_t size_bytes; /* 0 = use the existing file as it is */
        uint64_t passes;     /* 0 = forever */
        uint64_t duration_ns;
        bool report;
};

static unsigned char io_buffer[IO_BUFFER_BYTES];

static void usage(void)
{
        printf("Usage: pagecache --file PATH [OPTIONS]\n"
               "Read a file sequentially over and over so its pages sit in the page cache.\n\n"
               "  --file PATH      file to read; created or rewritten to --size if needed\n"
               "  --size MIB       file size (required if PATH does not exist; an existing\n"
               "                   file of another size is rewritten)\n"
               "  --passes N       full sequential passes, then exit 0 (default 0 = forever)\n"
               "  --duration SEC   exit 0 after SEC seconds (decimals allowed)\n"
               "  --report         print 'passes=<n> read_mib=<n>' every second and on exit\n"
               "  --help           show this help\n\n"
               "Prints 'ready pid=<pid>' once the file exists and its old cached pages were\n"
               "dropped. The file is left in place on exit. Dies with its parent.\n");
}

static struct options parse_options(int argc, char **argv)
{
        enum { OPT_FILE = 256, OPT_SIZE, OPT_PASSES, OPT_DURATION, OPT_REPORT, OPT_HELP };
        static const struct option longopts[] = {
                {"file", required_argument, NULL, OPT_FILE},
                {"size", required_argument, NULL, OPT_SIZE},
                {"passes", required_argument, NULL, OPT_PASSES},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"report", no_argument, NULL, OPT_REPORT},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        struct options opt = {0};
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_FILE:
                        if (optarg[0] == '\0')
                                usage_error("--file: empty path");
                        opt.path = optarg;
                        break;
                case OPT_SIZE:
                        opt.size_bytes = parse_u64("size", optarg, 1, 1024 * 1024 * 1024) * MIB;
                        break;
                case OPT_PASSES:
                        opt.passes = parse_u64("passes", optarg, 0, UINT64_MAX);
                        break;
                case OPT_DURATION:
                        opt.duration_ns = parse_duration_ns("duration", optarg);
                        break;
                case OPT_REPORT:
                        opt.report = true;
                        break;
                case OPT_HELP:
                        usage();
                        exit(EXIT_SUCCESS);
                default:
                        bad_option(c, argv, optind);
                }
        }
        reject_operands(argc, argv, optind);
        if (opt.path == NULL)
                usage_error("--file is required");
        return opt;
}

/* Non-zero, position-dependent bytes: no sparse holes, nothing a filesystem could dedupe. */
static void fill_block(uint64_t block_index)
{
        uint64_t *words = (uint64_t *) io_buffer;

        for (size_t i = 0; i < IO_BUFFER_BYTES / sizeof(*words); i++)
                words[i] = (block_index << 16 | i) * UINT64_C(0x9E3779B97F4A7C15) | 1;
}

static void write_all(int fd, const unsigned char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        fatal("write: %s", n < 0 ? strerror(errno) : "wrote nothing");
                buf += n;
                len -= (size_t) n;
        }
}

/* Real data, not ftruncate(): reading a hole may map the shared zero page instead of caching. */
static void create_file(const char *path, uint64_t size_bytes)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0)
                fatal("create %s: %s", path, strerror(errno));
        for (uint64_t off = 0; off < size_bytes; off += IO_BUFFER_BYTES) {
                uint64_t left = size_bytes - off;

                fill_block(off / IO_BUFFER_BYTES);
                write_all(fd, io_buffer, left < IO_BUFFER_BYTES ? (size_t) left : IO_BUFFER_BYTES);
        }
        if (close(fd) != 0)
                fatal("close %s: %s", path, strerror(errno));
}

/* Make PATH a regular file of the requested size, creating or rewriting it when needed. */
static void ensure_file(const struct options *opt)
{
        struct stat st;

        if (stat(opt->path, &st) != 0) {
                if (errno != ENOENT)
                        fatal("stat %s: %s", opt->path, strerror(errno));
                if (opt->size_bytes == 0)
                        usage_error("--size is required because %s does not exist", opt->path);
                create_file(opt->path, opt->size_bytes);
                return;
        }
        if (!S_ISREG(st.st_mode))
                fatal("%s is not a regular file", opt->path);
        if (opt->size_bytes != 0 && (uint64_t) st.st_size != opt->size_bytes) {
                create_file(opt->path, opt->size_bytes);
                return;
        }
        if (st.st_size == 0)
                fatal("%s is empty; pass --size to rewrite it", opt->path);
}

/* tmpfs "page cache" is shmem: swap-backed, on the anon LRU, counted as shmem. Not what we want. */
static void warn_if_tmpfs(int fd, const char *path)
{
        struct statfs sfs;

        if (fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
                fprintf(stderr,
                        "pagecache: warning: %s is on tmpfs; its pages are shmem (anon LRU), "
                        "not file page cache\n",
                        path);
}

/*
 * Clean, then drop, the file's cached pages so our reads fault every page in afresh and the page
 * cache is charged to our cgroup, whoever wrote or read the file before.
 */
static void drop_cached_pages(int fd, const char *path)
{
        int err;

        if (fdatasync(fd) != 0)
                fatal("fdatasync %s: %s", path, strerror(errno));
        err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (err != 0)
                fatal("posix_fadvise(DONTNEED) %s: %s", path, strerror(err));
}

struct progress {
        uint64_t passes;
        uint64_t bytes_read;
};

static void report(const struct progress *p)
{
        printf("passes=%" PRIu64 " read_mib=%" PRIu64 "\n", p->passes, p->bytes_read / MIB);
        fflush(stdout);
}

/* One pass from offset 0 to EOF; returns false if --duration expired during it. */
static bool read_pass(int fd, const struct options *opt, struct progress *p, uint64_t end_ns,
                      uint64_t *next_report_ns)
{
        if (lseek(fd, 0, SEEK_SET) != 0)
                fatal("lseek: %s", strerror(errno));
        for (;;) {
                ssize_t n = read(fd, io_buffer, IO_BUFFER_BYTES);
                uint64_t now;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fatal("read %s: %s", opt->path, strerror(errno));
                if (n == 0)
                        return true;
                p->bytes_read += (uint64_t) n;
                /* vDSO clock read: ~tens of ns against microseconds per 64 KiB read. */
                now = monotonic_ns();
                if (opt->duration_ns != 0 && now >= end_ns)
                        return false;
                if (opt->report && now >= *next_report_ns) {
                        report(p);
                        *next_report_ns += NSEC_PER_SEC;
                }
        }
}

static void read_loop(int fd, const struct options *opt)
{
        uint64_t start_ns = monotonic_ns();
        uint64_t end_ns = start_ns + opt->duration_ns;
        uint64_t next_report_ns = start_ns + NSEC_PER_SEC;
        struct progress p = {0};

        while (opt->passes == 0 || p.passes < opt->passes) {
                if (!read_pass(fd, opt, &p, end_ns, &next_report_ns))
                        break;
                p.passes++;
        }
        if (opt->report)
                report(&p);
}

int main(int argc, char **argv)
{
        struct options opt;
        int fd;

        helper_name = "pagecache";
        opt = parse_options(argc, argv);
        die_with_parent();
        ensure_file(&opt);
        fd = open(opt.path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fatal("open %s: %s", opt.path, strerror(errno));
        warn_if_tmpfs(fd, opt.path);
        drop_cached_pages(fd, opt.path);
        print_ready();
        read_loop(fd, &opt);
        close(fd);
        return EXIT_SUCCESS;
}
