/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "io.h"
#include "macro.h"

int psi_trigger_open(int dirfd, const char *name, enum psi_stall stall, uint64_t threshold_usec,
                     uint64_t window_usec)
{
        char spec[64];

        if (window_usec < PSI_WINDOW_MIN_USEC || window_usec > PSI_WINDOW_MAX_USEC ||
            threshold_usec == 0 || threshold_usec > window_usec)
                return -EINVAL;
        int n = snprintf(spec, sizeof(spec), "%s %" PRIu64 " %" PRIu64,
                         stall == PSI_STALL_FULL ? "full" : "some", threshold_usec, window_usec);

        /* O_NONBLOCK: a trigger fd must never block the loop that polls it. */
        _cleanup_close_ int fd = cg_open(dirfd, name, O_RDWR | O_NONBLOCK);
        if (fd < 0)
                return fd;
        /* The kernel document writes the terminating NUL too; psi_write() accepts both. */
        if (write(fd, spec, (size_t) n + 1) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int psi_trigger_revents(short revents)
{
        if (revents & (POLLERR | POLLNVAL))
                return -ENODEV;
        return (revents & POLLPRI) ? 1 : 0;
}
