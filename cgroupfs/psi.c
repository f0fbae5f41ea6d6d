/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "io.h"
#include "macro.h"

int psi_trigger_format(enum psi_stall stall, uint64_t threshold_usec, uint64_t window_usec,
                       char buf[static PSI_TRIGGER_SPEC_MAX])
{
        if (window_usec < PSI_WINDOW_MIN_USEC || window_usec > PSI_WINDOW_MAX_USEC ||
            threshold_usec == 0 || threshold_usec > window_usec)
                return -EINVAL;
        int n = snprintf(buf, PSI_TRIGGER_SPEC_MAX, "%s %" PRIu64 " %" PRIu64,
                         stall == PSI_STALL_FULL ? "full" : "some", threshold_usec, window_usec);
        /* psi_write() accepts the NUL and the kernel document writes it. */
        return n + 1;
}

/* Triggers live in cgroupfs (per cgroup) and procfs (/proc/pressure, the whole node). */
static int is_pressure_fs(int fd)
{
        struct statfs fs;

        if (fstatfs(fd, &fs) < 0)
                return -errno;
        return fs.f_type == CGROUP2_SUPER_MAGIC || fs.f_type == PROC_SUPER_MAGIC;
}

int psi_trigger_open(int dirfd, const char *name, enum psi_stall stall, uint64_t threshold_usec,
                     uint64_t window_usec)
{
        char spec[PSI_TRIGGER_SPEC_MAX];

        int n = psi_trigger_format(stall, threshold_usec, window_usec, spec);
        if (n < 0)
                return n;
        /* O_NONBLOCK: a trigger fd must never block the loop that polls it. */
        _cleanup_close_ int fd = cg_open(dirfd, name, O_RDWR | O_NONBLOCK);
        if (fd < 0)
                return fd;
        int r = is_pressure_fs(fd);
        if (r <= 0)
                return r < 0 ? r : -EMEDIUMTYPE;
        if (write(fd, spec, (size_t) n) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int psi_trigger_revents(short revents)
{
        if (revents & (POLLERR | POLLNVAL))
                return -ENODEV;
        return (revents & POLLPRI) ? 1 : 0;
}
