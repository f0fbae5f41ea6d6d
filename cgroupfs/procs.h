/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The processes of a cgroup and their memory, as /proc shows them
 * (Documentation/filesystems/proc.rst: /proc/PID/status, smaps_rollup): who in a
 * container holds what, for a kill event and for cgmem top.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_VALUE_UNKNOWN UINT64_MAX

struct proc_memory {
        pid_t pid;
        char comm[16];           /* the status "Name", as the kernel truncates it */
        uint64_t rss_anon_bytes; /* status RssAnon (4.5+) */
        uint64_t rss_file_bytes;
        uint64_t rss_shmem_bytes;
        uint64_t swap_bytes; /* status VmSwap */
        uint64_t pss_bytes;  /* smaps_rollup Pss; PROC_VALUE_UNKNOWN when not read */
        uint64_t uss_bytes;  /* smaps_rollup Private_Clean + Private_Dirty; likewise */
};

static inline uint64_t proc_rss_bytes(const struct proc_memory *p)
{
        return p->rss_anon_bytes + p->rss_file_bytes + p->rss_shmem_bytes;
}

/*
 * Parses the text of /proc/PID/status into ret (pid untouched, pss and uss
 * unknown). A kernel thread has no Rss lines: its values are 0. -EINVAL for a
 * status without a Name or with a malformed value.
 */
int parse_proc_status(const char *buf, size_t len, struct proc_memory *ret);

/* Parses /proc/PID/smaps_rollup into ret's pss_bytes and uss_bytes. */
int parse_smaps_rollup(const char *buf, size_t len, struct proc_memory *ret);

struct read_buf;

/*
 * Reads /proc/PID/smaps_rollup of pid (proc_fd: the /proc directory) into ret's
 * pss_bytes and uss_bytes; buf is scratch. -errno (-ENOENT: the process is gone).
 */
int proc_read_smaps(int proc_fd, pid_t pid, struct read_buf *buf, struct proc_memory *ret);

struct procs_snapshot {
        struct proc_memory *top; /* the largest by RSS + swap, largest first */
        size_t n_top;            /* at most cap, the capacity given to procs_snapshot_take */
        size_t cap;              /* of top */
        size_t n_procs;          /* processes in the cgroup, read or not */
        pid_t mark;              /* the last process read: a resumed snapshot goes on after it */
        bool complete;           /* every process listed read, in this round or those resumed */
};

/*
 * Reads cgroup.procs of the cgroup dirfd, then each process's status from the
 * /proc directory proc_fd, keeping the cap largest in top[0..cap); then, with
 * smaps, the smaps_rollup of those, largest first (it walks the page tables,
 * milliseconds for a large process): every status before any page-table walk,
 * so that a slow walk never hides the largest process. Stops reading at
 * deadline_usec (CLOCK_MONOTONIC; 0: none); complete says every status was
 * read. A process gone meanwhile is skipped. Returns 0 or -errno (the cgroup's).
 */
int procs_snapshot_take(int dirfd, int proc_fd, bool smaps, uint64_t deadline_usec,
                        struct proc_memory *top, size_t cap, struct procs_snapshot *ret);

/*
 * Goes on with a snapshot the deadline cut short: the processes of cgroup.procs
 * after its mark, merged into top (from the first, skipping those in top, if
 * the mark exited meanwhile); those in top that have left the cgroup are
 * dropped. Under a slow kernel a budget of a few milliseconds may read only the
 * first processes each time; resumed, a large cgroup is read whole over several
 * rounds, its figures of different ages (a process that joined the list before
 * the mark waits for the next snapshot). Returns as procs_snapshot_take; on
 * error s and its top are left as they were.
 */
int procs_snapshot_resume(int dirfd, int proc_fd, bool smaps, uint64_t deadline_usec,
                          struct procs_snapshot *s);
