/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kill.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"

struct cgroup_events {
        uint64_t populated;
        uint64_t frozen;
};

int cg_kill(int dirfd)
{
        return cg_write_at(dirfd, "cgroup.kill", "1");
}

/* cgroup.events: "populated" is there since 4.5 (the cgroup v2 release), "frozen" 5.2. */
static int read_cgroup_events(int dirfd, struct read_buf *buf, struct cgroup_events *ret)
{
        static const struct keyed_field fields[] = {
                KEYED_FIELD(struct cgroup_events, populated),
                KEYED_FIELD(struct cgroup_events, frozen),
        };
        struct cgroup_events events = {0};
        uint64_t seen;

        int r = cg_read_at(dirfd, "cgroup.events", buf);
        if (r < 0)
                return r;
        r = parse_keyed(buf->data, buf->len, fields, ELEMENTSOF(fields), &events, &seen);
        if (r < 0)
                return r;
        if (!(seen & 1) || events.populated > 1)
                return -EINVAL;
        *ret = events;
        return 0;
}

int cg_populated(int dirfd, struct read_buf *buf)
{
        struct cgroup_events events;

        int r = read_cgroup_events(dirfd, buf, &events);
        return r < 0 ? r : (int) events.populated;
}

static int pidfd_open_pid(int pid)
{
        long fd = syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : (int) fd;
}

/* Calls fn on every pid in cgroup.procs; stops at the first error fn returns. */
static int for_each_proc(int dirfd, int (*fn)(int pid, void *userdata), void *userdata)
{
        struct read_buf buf = {0};
        int r = cg_read_at(dirfd, "cgroup.procs", &buf);
        int count = 0;

        for (char *p = buf.data, *end; r >= 0 && p && *p; p = end) {
                long pid = strtol(p, &end, 10);
                if (end == p || pid <= 0) {
                        r = -EINVAL;
                        break;
                }
                if (*end == '\n')
                        end++;
                r = fn((int) pid, userdata);
                count += r > 0;
        }
        read_buf_free(&buf);
        return r < 0 ? r : count;
}

static int kill_pid(int pid, void *userdata)
{
        (void) userdata;
        _cleanup_close_ int fd = pidfd_open_pid(pid);
        if (fd < 0)
                return fd == -ESRCH ? 0 : fd;
        if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
                return errno == ESRCH ? 0 : -errno;
        return 1;
}

static void sleep_usec(long usec)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = usec * 1000};
        nanosleep(&ts, NULL);
}

/* Waits up to about 100 ms for cgroup.events to say frozen. */
static void wait_frozen(int dirfd)
{
        struct read_buf buf = {0};
        struct cgroup_events events;

        for (int i = 0; i < 100; i++) {
                if (read_cgroup_events(dirfd, &buf, &events) < 0 || events.frozen ||
                    !events.populated)
                        break;
                sleep_usec(1000);
        }
        read_buf_free(&buf);
}

int cg_kill_by_freezing(int dirfd)
{
        int r = cg_write_at(dirfd, "cgroup.freeze", "1");
        if (r < 0)
                return r;
        wait_frozen(dirfd);
        /* Frozen, nothing can fork; SIGKILL reaches frozen tasks and they die on thaw. */
        r = for_each_proc(dirfd, kill_pid, NULL);
        int t = cg_write_at(dirfd, "cgroup.freeze", "0");
        return r < 0 ? r : t < 0 ? t : r;
}

static int mrelease_pid(int pid, void *userdata)
{
        (void) userdata;
        _cleanup_close_ int fd = pidfd_open_pid(pid);
        if (fd < 0)
                return 0;
        return syscall(SYS_process_mrelease, fd, 0) == 0;
}

int cg_mrelease_procs(int dirfd)
{
        return for_each_proc(dirfd, mrelease_pid, NULL);
}
