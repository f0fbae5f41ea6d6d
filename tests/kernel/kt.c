/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kt.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs/io.h"
#include "cgroupfs/kill.h"

static char case_path[PATH_MAX];

static _Noreturn void fail_va(const char *file, int line, const char *cond, const char *fmt,
                              va_list ap)
{
        fprintf(stdout, "# FAIL %s:%d: ", file, line);
        if (cond)
                fprintf(stdout, "(%s) ", cond);
        vfprintf(stdout, fmt, ap);
        fputc('\n', stdout);
        fflush(stdout);
        exit(1);
}

void kt_fail(const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fail_va(file, line, NULL, fmt, ap);
}

void kt_assert_failed(const char *file, int line, const char *cond, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fail_va(file, line, cond, fmt, ap);
}

void kt_log(const char *fmt, ...)
{
        va_list ap;

        fputs("# ", stdout);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        fflush(stdout);
}

uint64_t kt_now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

void kt_sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int rmdir_cgroup(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        if (type != FTW_DP)
                return 0;
        /* A cgroup whose last task is still exiting refuses rmdir with EBUSY for a moment. */
        for (int i = 0; i < 200 && rmdir(path) < 0 && errno == EBUSY; i++)
                kt_sleep_ms(10);
        return 0;
}

/* Kills everything in the case cgroup and removes its tree, children first. */
static void cleanup_case_cgroup(void)
{
        struct read_buf buf = {0};

        if (!case_path[0])
                return;
        int fd = cg_open_dir(AT_FDCWD, case_path);
        if (fd >= 0) {
                cg_kill(fd);
                for (int i = 0; i < 200 && cg_populated(fd, &buf) > 0; i++)
                        kt_sleep_ms(10);
                close(fd);
        }
        read_buf_free(&buf);
        nftw(case_path, rmdir_cgroup, 16, FTW_DEPTH | FTW_PHYS);
}

const char *kt_cgroup_base(void)
{
        return case_path;
}

void kt_delegate(int cg)
{
        kt_write(cg, "cgroup.subtree_control", "+memory +pids");
}

int kt_cgroup_child(int parentfd, const char *name)
{
        if (mkdirat(parentfd, name, 0755) < 0 && errno != EEXIST)
                kt_fail(__FILE__, __LINE__, "mkdir cgroup %s: %m", name);
        int fd = cg_open_dir(parentfd, name);
        KT_ASSERT(fd >= 0, "open cgroup %s: %s", name, strerror(-fd));
        return fd;
}

int kt_cgroup_new(const char *name)
{
        const char *base = getenv("KT_CGROUP_BASE");

        KT_ASSERT(base, "KT_CGROUP_BASE is not set: run the cases through run-suite");
        snprintf(case_path, sizeof(case_path), "%s/%s", base, name);
        cleanup_case_cgroup();
        atexit(cleanup_case_cgroup);
        int basefd = cg_open_dir(AT_FDCWD, base);
        KT_ASSERT(basefd >= 0, "open %s: %s", base, strerror(-basefd));
        int fd = kt_cgroup_child(basefd, name);
        close(basefd);
        return fd;
}

void kt_write(int dirfd, const char *file, const char *value)
{
        int r = cg_write_at(dirfd, file, value);
        KT_ASSERT(r >= 0, "write \"%s\" to %s: %s", value, file, strerror(-r));
}

static FILE *open_stdio(int dirfd, const char *file)
{
        int fd = cg_open(dirfd, file, O_RDONLY);
        KT_ASSERT(fd >= 0, "open %s: %s", file, strerror(-fd));
        FILE *f = fdopen(fd, "r");
        KT_ASSERT(f, "fdopen %s", file);
        return f;
}

uint64_t kt_read_value(int dirfd, const char *file)
{
        char word[64] = "";
        unsigned long long v = 0;

        FILE *f = open_stdio(dirfd, file);
        KT_ASSERT(fscanf(f, "%63s", word) == 1, "read %s", file);
        fclose(f);
        if (strcmp(word, "max") == 0)
                return UINT64_MAX;
        KT_ASSERT(sscanf(word, "%llu", &v) == 1, "%s holds \"%s\"", file, word);
        return v;
}

uint64_t kt_read_key(int dirfd, const char *file, const char *key)
{
        char k[128];
        unsigned long long v;

        FILE *f = open_stdio(dirfd, file);
        while (fscanf(f, "%127s %llu", k, &v) == 2)
                if (strcmp(k, key) == 0) {
                        fclose(f);
                        return v;
                }
        fclose(f);
        kt_fail(__FILE__, __LINE__, "%s has no key %s", file, key);
}

static void exec_in_cgroup(int dirfd, int out, pid_t parent, char *const argv[])
{
        char path[PATH_MAX], parent_pid[16];
        const char *helpers = getenv("KT_HELPERS");

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The helpers exit at once if their parent died before they could set their own. */
        snprintf(parent_pid, sizeof(parent_pid), "%d", (int) parent);
        setenv("CGMEM_PARENT_PID", parent_pid, 1);
        if (dup2(out, STDOUT_FILENO) < 0 || cg_write_at(dirfd, "cgroup.procs", "0") < 0)
                _exit(126);
        if (strchr(argv[0], '/'))
                snprintf(path, sizeof(path), "%s", argv[0]);
        else
                snprintf(path, sizeof(path), "%s/%s", helpers ? helpers : ".", argv[0]);
        execv(path, argv);
        _exit(127);
}

/* Reads the child's first line; the pipe stays open so later output never SIGPIPEs it. */
static void wait_ready(int fd, const char *name)
{
        char line[256];
        size_t len = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};

        while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
                KT_ASSERT(poll(&p, 1, 10000) == 1, "%s printed no ready line within 10 s", name);
                ssize_t n = read(fd, line + len, 1);
                KT_ASSERT(n == 1, "%s exited before it was ready", name);
                len++;
        }
        line[len] = '\0';
        KT_ASSERT(strncmp(line, "ready", 5) == 0, "%s said \"%s\", not ready", name, line);
}

pid_t kt_spawn_reading(int dirfd, char *const argv[], int *ret_out)
{
        int p[2];

        KT_ASSERT(pipe2(p, O_CLOEXEC) == 0, "pipe: %m");
        pid_t parent = getpid();
        pid_t pid = fork();
        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid == 0)
                exec_in_cgroup(dirfd, p[1], parent, argv);
        close(p[1]);
        wait_ready(p[0], argv[0]);
        if (ret_out)
                *ret_out = p[0];
        return pid;
}

pid_t kt_spawn_in(int dirfd, char *const argv[])
{
        return kt_spawn_reading(dirfd, argv, NULL);
}

uint64_t kt_read_last_value(int fd, const char *key, int timeout_ms)
{
        static char text[65536];
        size_t len = 0, klen = strlen(key);
        uint64_t value = 0;
        bool found = false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        uint64_t deadline = kt_now_usec() + (uint64_t) timeout_ms * 1000;

        for (;;) {
                KT_ASSERT(kt_now_usec() < deadline, "no end of output within %d ms", timeout_ms);
                if (poll(&p, 1, 100) != 1)
                        continue;
                ssize_t n = read(fd, text + len, sizeof(text) - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t) n;
                if (len == sizeof(text) - 1)
                        len = 0; /* only the last lines matter */
        }
        text[len] = '\0';
        for (const char *s = text; (s = strstr(s, key)); s += klen)
                if ((s == text || s[-1] == ' ' || s[-1] == '\n') && s[klen] == '=') {
                        value = strtoull(s + klen + 1, NULL, 10);
                        found = true;
                }
        KT_ASSERT(found, "the output has no %s=", key);
        return value;
}

void kt_assert_emptied(int cg, unsigned timeout_ms)
{
        struct read_buf buf = {0};
        int r;

        for (unsigned waited = 0; (r = cg_populated(cg, &buf)) != 0; waited += 10) {
                KT_ASSERT(r > 0, "cgroup.events: %s", strerror(-r));
                KT_ASSERT(waited < timeout_ms, "still populated %u ms after the kill", timeout_ms);
                kt_sleep_ms(10);
        }
        read_buf_free(&buf);
}

int kt_wait(pid_t pid, int timeout_ms)
{
        int status;

        for (int waited = 0; waited <= timeout_ms; waited += 10) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                KT_ASSERT(r >= 0, "waitpid %d: %m", (int) pid);
                if (r == pid)
                        return status;
                kt_sleep_ms(10);
        }
        return -1;
}

void kt_churn(int cg, unsigned seconds)
{
        char name[32];
        uint64_t end = kt_now_usec() + (uint64_t) seconds * 1000000;

        for (unsigned i = 0; kt_now_usec() < end; i++) {
                snprintf(name, sizeof(name), "c%u", i);
                close(kt_cgroup_child(cg, name));
                kt_sleep_ms(25);
                KT_ASSERT(unlinkat(cg, name, AT_REMOVEDIR) == 0, "rmdir %s: %m", name);
                kt_sleep_ms(25);
        }
}

pid_t kt_mute_socket(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        KT_ASSERT(fd >= 0, "socket: %m");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        unlink(path);
        KT_ASSERT(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0, "bind %s: %m", path);
        KT_ASSERT(listen(fd, 128) == 0, "listen: %m");
        pid_t pid = fork();
        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        (void) accept(fd, NULL, NULL); /* held open, never read */
        }
        close(fd);
        return pid;
}

char *kt_run(const char *fmt, ...)
{
        char cmd[2048], *out = NULL;
        size_t size = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        FILE *p = popen(cmd, "r");
        KT_ASSERT(p, "popen %s: %m", cmd);
        FILE *mem = open_memstream(&out, &size);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                fwrite(buf, 1, n, mem);
        fclose(mem);
        int status = pclose(p);
        KT_ASSERT(status == 0, "`%s` failed (status 0x%x): %s", cmd, status, out);
        while (size > 0 && out[size - 1] == '\n')
                out[--size] = '\0';
        return out;
}

const char *kt_runtimes_dir(void)
{
        const char *d = getenv("KT_RUNTIMES");

        KT_ASSERT(d, "KT_RUNTIMES is not set: run the cases through run-suite");
        return d;
}
