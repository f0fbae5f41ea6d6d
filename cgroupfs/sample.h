/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One snapshot of a memory cgroup: the values of its memory.* files, parsed, plus
 * what is derived from them. Reading keeps the hot files open between samples.
 */

#include <stdint.h>

#include "io.h"
#include "parse.h"

/* memory.stat, in bytes except the page-fault counters. */
struct memcg_stat {
        uint64_t anon;
        uint64_t file;
        uint64_t active_anon;
        uint64_t inactive_anon;
        uint64_t active_file;
        uint64_t inactive_file;
        uint64_t kernel; /* 5.18+; see memcg_kernel_bytes() */
        uint64_t kernel_stack;
        uint64_t pagetables;
        uint64_t sec_pagetables;
        uint64_t percpu;
        uint64_t sock;
        uint64_t vmalloc;
        uint64_t shmem;
        uint64_t slab;
        uint64_t slab_reclaimable;
        uint64_t slab_unreclaimable;
        uint64_t file_mapped;
        uint64_t file_dirty;
        uint64_t file_writeback;
        uint64_t pgfault;
        uint64_t pgmajfault;
        uint64_t workingset_refault_anon;
        uint64_t workingset_refault_file;
};

/* memory.events and memory.events.local. */
struct memcg_events {
        uint64_t low;
        uint64_t high;
        uint64_t max;
        uint64_t oom;
        uint64_t oom_kill;
        uint64_t oom_group_kill; /* 5.17+ */
        uint64_t sock_throttled; /* 6.19+ */
};

/* memory.swap.events. */
struct memcg_swap_events {
        uint64_t high;
        uint64_t max;
        uint64_t fail;
};

/* Which optional parts a sample has: files that older kernels or configs lack. */
enum {
        MEMCG_HAVE_PEAK = 1u << 0,         /* memory.peak, 5.19+ */
        MEMCG_HAVE_SWAP = 1u << 1,         /* memory.swap.*, needs swap accounting */
        MEMCG_HAVE_SWAP_EVENTS = 1u << 2,  /* memory.swap.events */
        MEMCG_HAVE_EVENTS_LOCAL = 1u << 3, /* memory.events.local, 5.2+ */
        MEMCG_HAVE_PSI = 1u << 4,          /* memory.pressure, CONFIG_PSI */
        MEMCG_HAVE_STAT_KERNEL = 1u << 5,  /* memory.stat "kernel", 5.18+ */
};

struct memcg_sample {
        uint64_t current_bytes;
        uint64_t peak_bytes;
        uint64_t min_bytes;
        uint64_t low_bytes;
        uint64_t high_bytes; /* CG_VALUE_MAX when "max" */
        uint64_t max_bytes;  /* CG_VALUE_MAX when "max" */
        uint64_t swap_current_bytes;
        uint64_t swap_max_bytes;
        struct memcg_stat stat;
        struct memcg_events events; /* hierarchical unless mounted memory_localevents */
        struct memcg_events events_local;
        struct memcg_swap_events swap_events;
        struct psi_stats psi;
        unsigned have; /* MEMCG_HAVE_* */
};

enum memcg_file {
        MEMCG_FILE_CURRENT,
        MEMCG_FILE_MIN,
        MEMCG_FILE_LOW,
        MEMCG_FILE_HIGH,
        MEMCG_FILE_MAX,
        MEMCG_FILE_STAT,
        MEMCG_FILE_EVENTS,
        MEMCG_FILE_PEAK,
        MEMCG_FILE_SWAP_CURRENT,
        MEMCG_FILE_SWAP_MAX,
        MEMCG_FILE_SWAP_EVENTS,
        MEMCG_FILE_EVENTS_LOCAL,
        MEMCG_FILE_PRESSURE,
        _MEMCG_FILE_COUNT,
};

/* The open files of one cgroup, kept between samples; fds are opened on first use. */
struct memcg_reader {
        int fds[_MEMCG_FILE_COUNT];
        struct read_buf *buf; /* &own, or a buffer shared by many readers */
        struct read_buf own;
};

/* The MEMCG_FILE_* a file name is, -1 if none. */
int memcg_file_from_name(const char *name);

void memcg_reader_init(struct memcg_reader *reader);

/*
 * Reads through shared (which must outlive the reader) instead of a buffer of the
 * reader's own: a single-threaded agent with thousands of containers needs one
 * 4 KiB buffer, not thousands.
 */
void memcg_reader_share_buf(struct memcg_reader *reader, struct read_buf *shared);
void memcg_reader_close(struct memcg_reader *reader);

/*
 * Samples the cgroup whose directory is dirfd. Returns 0, -ENOENT/-ENODEV when it
 * went away, -EINVAL/-ERANGE for a malformed file, or another -errno. On failure,
 * *ret_file (if not NULL) names the file that failed.
 */
int memcg_sample_read(struct memcg_reader *reader, int dirfd, struct memcg_sample *ret,
                      const char **ret_file);

#define MEMCG_FILE_BIT(f) (1u << (f))
#define MEMCG_FILES_ALL   ((1u << _MEMCG_FILE_COUNT) - 1)

/*
 * Re-reads only the files in mask (MEMCG_FILE_BIT()s) into *s, leaving its other
 * fields as they were: the agent reads the hot files every round and the limits
 * only when inotify says they were written. *s is changed only on success.
 */
int memcg_sample_update(struct memcg_reader *reader, int dirfd, unsigned mask,
                        struct memcg_sample *s, const char **ret_file);

/* memcg_sample_update() with the files opened, read and closed at once. */
int memcg_sample_update_once(int dirfd, unsigned mask, struct memcg_sample *s,
                             const char **ret_file);

/* Samples once: opens, reads and closes the files. */
int memcg_sample_read_once(int dirfd, struct memcg_sample *ret, const char **ret_file);

/* What cannot be reclaimed without swap-out: current − inactive_file, as kubelet computes it. */
uint64_t memcg_working_set_bytes(const struct memcg_sample *s);

/*
 * What the kernel cannot reclaim without swap: anon, shmem (tmpfs, shared anonymous
 * mappings) and kernel memory but reclaimable slab. Page cache is not in it, active
 * or not: the kernel drops it before it OOM-kills (Documentation/admin-guide/
 * cgroup-v2.rst, memory.max).
 */
uint64_t memcg_unreclaimable_bytes(const struct memcg_sample *s);

/* Kernel memory: memory.stat "kernel" where the kernel has it, else the sum of its parts. */
uint64_t memcg_kernel_bytes(const struct memcg_sample *s);

/* Kernel memory as a percentage of memory.current (0 when current is 0). */
double memcg_kernel_share_pct(const struct memcg_sample *s);

/* memory.current as a percentage of memory.max; negative when there is no limit. */
double memcg_usage_pct_of_max(const struct memcg_sample *s);
