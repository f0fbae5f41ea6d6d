/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "top-procs-read.h"

#include <errno.h>
#include <fcntl.h>

#include "base/time-util.h"
#include "cgroupfs/io.h"

int top_procs_open(int rootfd, const char *path)
{
        const char *rel = path[0] == '/' ? path + 1 : path;
        int fd = openat(rootfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

/* PSS and USS of the largest processes first, until the budget is spent. */
static void read_smaps(struct proc_memory *top, size_t n, int proc_fd, uint64_t deadline_usec)
{
        struct read_buf buf = {0};

        for (size_t i = 0; i < n && now_usec() < deadline_usec; i++)
                (void) proc_read_smaps(proc_fd, top[i].pid, &buf, &top[i]);
        read_buf_free(&buf);
}

void top_procs_read(struct top_procs *p, int dirfd, int proc_fd, uint64_t now)
{
        static struct proc_memory top[TOP_PROCS_MAX];
        struct procs_snapshot snap;

        int r = procs_snapshot_take(dirfd, proc_fd, false, now + TOP_PROCS_STATUS_BUDGET_USEC, top,
                                    TOP_PROCS_MAX, &snap);
        if (r < 0) {
                top_procs_failed(p, r);
                return;
        }
        read_smaps(top, snap.n_top, proc_fd, now_usec() + TOP_PROCS_SMAPS_BUDGET_USEC);
        r = top_procs_update(p, top, snap.n_top, snap.n_procs, snap.complete, now);
        if (r < 0)
                top_procs_failed(p, r);
}
