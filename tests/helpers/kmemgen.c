// SPDX-License-Identifier: MIT
/*
 * kmemgen: create kernel memory that is charged to our cgroup, then hold it.
 *
 *  - sockets: connected pairs over loopback TCP (default) or AF_UNIX. Every socket costs
 *    accounted slab objects (struct sock, socket inode, file, dentry). With --sock-bytes each
 *    end sends that much to its peer, which never reads, so the data stays queued in kernel
 *    buffers. For TCP those buffers are charged to the cgroup ("sock" in memory.stat); AF_UNIX
 *    queued data is not memcg-accounted on the kernels we know, only the socket objects are.
 *  - files: empty files in a directory, which grow the (accounted) dentry and inode caches.
 *
 * Files we created are removed on every exit path except SIGKILL (atexit + SIGTERM/INT/HUP).
 */
#include "helper_common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* stdio, the TCP listener and the directory fd, with room to spare. */
#define FD_HEADROOM 16
/* Give up on queueing data if a socket makes no progress for this long. */
#define QUEUE_STALL_MS 2000

enum sock_type { SOCK_TYPE_TCP, SOCK_TYPE_UNIX };

struct options {
        uint64_t sockets;
        uint64_t sock_bytes;
        enum sock_type sock_type;
        uint64_t files;
        const char *dir;
        uint64_t duration_ns;
};

/* State for the atexit() cleanup of the files we created. */
static int files_dirfd = -1;
static uint64_t files_created;

static void usage(void)
{
        printf("Usage: kmemgen [OPTIONS]\n"
               "Create kernel memory (sockets, socket buffers, dentries/inodes) and hold it.\n\n"
               "  --sockets N        open N sockets as N/2 connected pairs (N must be even)\n"
               "  --sock-type TYPE   'tcp' (loopback, default) or 'unix' (socketpair)\n"
               "  --sock-bytes KIB   each socket has KIB of unread data queued towards it\n"
               "                     (each end sends KIB to its peer, which never reads)\n"
               "  --files N          create N empty files in --dir\n"
               "  --dir DIR          existing directory for --files\n"
               "  --duration SEC     exit 0 after SEC seconds (default: hold until signalled)\n"
               "  --help             show this help\n\n"
               "Raises RLIMIT_NOFILE to its hard limit. Prints 'ready pid=<pid>' when everything\n"
               "exists. SIGTERM/SIGINT/SIGHUP: remove our files, exit 0. Dies with its parent.\n");
}

static enum sock_type parse_sock_type(const char *arg)
{
        if (strcmp(arg, "tcp") == 0)
                return SOCK_TYPE_TCP;
        if (strcmp(arg, "unix") == 0)
                return SOCK_TYPE_UNIX;
        usage_error("--sock-type: '%s' is not 'tcp' or 'unix'", arg);
}

static void check_option_combinations(const struct options *opt, bool sock_type_given)
{
        if (opt->sockets % 2 != 0)
                usage_error("--sockets: %" PRIu64 " is odd; sockets are created as pairs",
                            opt->sockets);
        if (opt->sockets == 0 && (opt->sock_bytes != 0 || sock_type_given))
                usage_error("--sock-bytes and --sock-type need --sockets");
        if (opt->sockets == 0 && opt->files == 0)
                usage_error("nothing to do: give --sockets and/or --files");
        if (opt->files != 0 && opt->dir == NULL)
                usage_error("--files needs --dir");
        if (opt->files == 0 && opt->dir != NULL)
                usage_error("--dir needs --files");
}

static struct options parse_options(int argc, char **argv)
{
        enum {
                OPT_SOCKETS = 256,
                OPT_SOCK_TYPE,
                OPT_SOCK_BYTES,
                OPT_FILES,
                OPT_DIR,
                OPT_DURATION,
                OPT_HELP
        };
        static const struct option longopts[] = {
                {"sockets", required_argument, NULL, OPT_SOCKETS},
                {"sock-type", required_argument, NULL, OPT_SOCK_TYPE},
                {"sock-bytes", required_argument, NULL, OPT_SOCK_BYTES},
                {"files", required_argument, NULL, OPT_FILES},
                {"dir", required_argument, NULL, OPT_DIR},
                {"duration", required_argument, NULL, OPT_DURATION},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        struct options opt = {.sock_type = SOCK_TYPE_TCP};
        bool sock_type_given = false;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SOCKETS:
                        opt.sockets = parse_u64("sockets", optarg, 0, 10 * 1000 * 1000);
                        break;
                case OPT_SOCK_TYPE:
                        opt.sock_type = parse_sock_type(optarg);
                        sock_type_given = true;
                        break;
                case OPT_SOCK_BYTES:
                        opt.sock_bytes = parse_u64("sock-bytes", optarg, 0, 1024 * 1024) * KIB;
                        break;
                case OPT_FILES:
                        opt.files = parse_u64("files", optarg, 0, 100 * 1000 * 1000);
                        break;
                case OPT_DIR:
                        if (optarg[0] == '\0')
                                usage_error("--dir: empty path");
                        opt.dir = optarg;
                        break;
                case OPT_DURATION:
                        opt.duration_ns = parse_duration_ns("duration", optarg);
                        break;
                case OPT_HELP:
                        usage();
                        exit(EXIT_SUCCESS);
                default:
                        bad_option(c, argv, optind);
                }
        }
        reject_operands(argc, argv, optind);
        check_option_combinations(&opt, sock_type_given);
        return opt;
}

static void raise_nofile_limit(uint64_t needed)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
                fatal("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        if (rl.rlim_max != RLIM_INFINITY && needed > rl.rlim_max)
                fatal("need %" PRIu64 " file descriptors but the RLIMIT_NOFILE hard limit is %llu; "
                      "lower --sockets or raise the hard limit",
                      needed, (unsigned long long) rl.rlim_max);
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                fatal("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long) rl.rlim_max,
                      strerror(errno));
}

static int tcp_listener(struct sockaddr_in *addr)
{
        socklen_t len = sizeof(*addr);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                fatal("socket(AF_INET): %s", strerror(errno));
        memset(addr, 0, sizeof(*addr));
        addr->sin_family = AF_INET;
        addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        /* Port 0: the kernel picks a free one, so parallel tests never collide. */
        if (bind(fd, (struct sockaddr *) addr, sizeof(*addr)) != 0)
                fatal("bind 127.0.0.1:0: %s", strerror(errno));
        if (listen(fd, 16) != 0)
                fatal("listen: %s", strerror(errno));
        if (getsockname(fd, (struct sockaddr *) addr, &len) != 0)
                fatal("getsockname: %s", strerror(errno));
        return fd;
}

/* Connect then accept one at a time, so the listen backlog never overflows. */
static void tcp_pair(int listener, const struct sockaddr_in *addr, int pair[2])
{
        pair[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (pair[0] < 0)
                fatal("socket(AF_INET): %s", strerror(errno));
        if (connect(pair[0], (const struct sockaddr *) addr, sizeof(*addr)) != 0)
                fatal("connect to 127.0.0.1:%u: %s (out of ephemeral ports?)",
                      ntohs(addr->sin_port), strerror(errno));
        pair[1] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (pair[1] < 0)
                fatal("accept: %s", strerror(errno));
}

/* Let the kernel hold all of BYTES even if the peer's receive window is closed. */
static void size_send_buffer(int fd, uint64_t bytes)
{
        int sndbuf = (int) (bytes + 64 * KIB); /* bytes <= 1 GiB, fits */

        /* Best effort: capped at net.core.wmem_max; a shortfall shows up as a stall below. */
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

static void wait_writable(int fd, uint64_t index, uint64_t queued, uint64_t wanted)
{
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n;

        do {
                n = poll(&pfd, 1, QUEUE_STALL_MS);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
                fatal("poll: %s", strerror(errno));
        if (n == 0)
                fatal("socket %" PRIu64 ": only %" PRIu64 " of %" PRIu64 " bytes could be queued; "
                      "lower --sock-bytes or raise net.core.wmem_max",
                      index, queued, wanted);
}

/* Send BYTES the peer will never read; non-blocking so a full buffer is reported, not hung. */
static void queue_bytes(int fd, uint64_t index, uint64_t bytes)
{
        static unsigned char payload[64 * KIB];
        uint64_t queued = 0;

        memset(payload, 0xa5, sizeof(payload));
        size_send_buffer(fd, bytes);
        while (queued < bytes) {
                uint64_t left = bytes - queued;
                size_t len = left < sizeof(payload) ? (size_t) left : sizeof(payload);
                ssize_t n = send(fd, payload, len, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n > 0)
                        queued += (uint64_t) n;
                else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        wait_writable(fd, index, queued, bytes);
                else if (n < 0 && errno != EINTR)
                        fatal("send on socket %" PRIu64 ": %s", index, strerror(errno));
        }
}

static void create_sockets(const struct options *opt)
{
        struct sockaddr_in addr;
        int listener = -1;

        if (opt->sock_type == SOCK_TYPE_TCP)
                listener = tcp_listener(&addr);
        for (uint64_t i = 0; i < opt->sockets / 2; i++) {
                int pair[2];

                if (opt->sock_type == SOCK_TYPE_TCP)
                        tcp_pair(listener, &addr, pair);
                else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
                        fatal("socketpair(AF_UNIX) #%" PRIu64 ": %s", i, strerror(errno));
                if (opt->sock_bytes != 0) {
                        queue_bytes(pair[0], 2 * i, opt->sock_bytes);
                        queue_bytes(pair[1], 2 * i + 1, opt->sock_bytes);
                }
                /* The descriptors are deliberately never closed: holding them is the point. */
        }
        /* Closed so the fd count is exactly the sockets we hold (plus stdio). */
        if (listener >= 0)
                close(listener);
}

static void remove_created_files(void)
{
        char name[64];

        for (uint64_t i = 0; i < files_created; i++) {
                snprintf(name, sizeof(name), "kmemgen-%ld-%" PRIu64, (long) getpid(), i);
                if (unlinkat(files_dirfd, name, 0) != 0 && errno != ENOENT)
                        fprintf(stderr, "kmemgen: unlink %s: %s\n", name, strerror(errno));
        }
        files_created = 0;
}

/* O_EXCL + our pid in the name: we only ever delete files this process created. */
static void create_files(const struct options *opt)
{
        char name[64];

        files_dirfd = open(opt->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (files_dirfd < 0)
                fatal("open directory %s: %s", opt->dir, strerror(errno));
        atexit(remove_created_files);
        for (uint64_t i = 0; i < opt->files; i++) {
                int fd;

                snprintf(name, sizeof(name), "kmemgen-%ld-%" PRIu64, (long) getpid(), i);
                fd = openat(files_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        fatal("create %s/%s: %s", opt->dir, name, strerror(errno));
                files_created++;
                close(fd);
        }
}

/*
 * Termination signals are blocked from the start and collected with sigtimedwait(), so one
 * arriving during setup is not lost and the atexit() cleanup runs in a normal context.
 */
static sigset_t block_termination_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
                fatal("sigprocmask: %s", strerror(errno));
        return set;
}

static void hold(const sigset_t *signals, uint64_t duration_ns, uint64_t start_ns)
{
        for (;;) {
                struct timespec timeout;
                uint64_t now = monotonic_ns();

                if (duration_ns == 0) {
                        if (sigwaitinfo(signals, NULL) >= 0)
                                return;
                        continue;
                }
                if (now >= start_ns + duration_ns)
                        return;
                timeout = ns_to_timespec(start_ns + duration_ns - now);
                if (sigtimedwait(signals, NULL, &timeout) >= 0)
                        return;
        }
}

int main(int argc, char **argv)
{
        struct options opt;
        sigset_t signals;
        uint64_t start_ns;

        helper_name = "kmemgen";
        opt = parse_options(argc, argv);
        die_with_parent();
        signals = block_termination_signals();
        raise_nofile_limit(opt.sockets + FD_HEADROOM);
        if (opt.sockets != 0)
                create_sockets(&opt);
        if (opt.files != 0)
                create_files(&opt);
        /* --duration counts from the ready line: setup time varies with the machine. */
        start_ns = monotonic_ns();
        print_ready();
        hold(&signals, opt.duration_ns, start_ns);
        return EXIT_SUCCESS; /* atexit() removes the files */
}
