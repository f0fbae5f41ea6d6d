/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel log as /dev/kmsg gives it (Documentation/ABI/testing/dev-kmsg), and the two
 * lines of a kernel OOM report that name the victim (mm/oom_kill.c dump_oom_summary(),
 * called dump_oom_victim() in newer trees, and __oom_kill_process()):
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=t,mems_allowed=0,
 *           oom_memcg=/t,task_memcg=/t,task=memhog,pid=137,uid=0
 *   Memory cgroup out of memory: Killed process 137 (memhog) total-vm:68080kB,
 *           anon-rss:65288kB, file-rss:796kB, shmem-rss:0kB, UID:0 pgtables:168kB
 *           oom_score_adj:0
 *
 * (each one line; the same text in 5.15, 6.1, 6.12 and mainline). A global OOM says
 * ",global_oom" instead of ",oom_memcg=<path>" and "Out of memory: Killed process".
 *
 * The parsers work on (buffer, length) without needing a NUL and never read past length.
 * Names are kept as the kernel log shows them: /dev/kmsg escapes bytes below 0x20, 0x7f
 * and above, and the backslash as "\xNN", and these escapes are copied through as-is.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * devkmsg_read() formats a record into an 8 KiB buffer (CONSOLE_EXT_LOG_MAX) and fails with
 * EINVAL when the reader's buffer is smaller than the record: this size always fits.
 */
#define KMSG_RECORD_MAX 8192

/* TASK_COMM_LEN is 16; escaped, 15 bytes can take 60, plus the NUL. */
#define KMSG_COMM_MAX 64

/* One /dev/kmsg record: "prio,seq,usec,flags[,more];message\n[ KEY=value\n]...". */
struct kmsg_record {
        uint32_t level;    /* prio & 7: 0 emerg .. 7 debug */
        uint32_t facility; /* prio >> 3: 0 kernel, 1 user, ... */
        uint64_t seq;
        uint64_t usec;   /* CLOCK_MONOTONIC at log time, microseconds */
        char flag;       /* '-'; older kernels also marked continuations 'c', '+' */
        const char *msg; /* points into the parsed buffer; no trailing newline */
        size_t msg_len;
        const char *dict; /* the dictionary lines (" KEY=value\n"...), or NULL */
        size_t dict_len;
};

/*
 * Parses one record as one read() of /dev/kmsg returns it; msg and dict point into buf.
 * Returns 0, or -EINVAL for a malformed prefix, a missing newline after the message, or a
 * dictionary line that does not start with a space and end with a newline; -ERANGE for a
 * number that does not fit.
 */
int kmsg_record_parse(const char *buf, size_t len, struct kmsg_record *ret);

enum kmsg_oom_kind {
        KMSG_OOM_NONE = 0, /* not one of the lines below; *ret is left alone */
        KMSG_OOM_SUMMARY,  /* "oom-kill:constraint=..." */
        KMSG_OOM_KILLED,   /* "...: Killed process <pid> (<comm>) total-vm:..." */
};

enum kmsg_oom_constraint {
        KMSG_OOM_CONSTRAINT_OTHER = 0, /* a CONSTRAINT_* name this code does not know */
        KMSG_OOM_CONSTRAINT_NONE,      /* global OOM */
        KMSG_OOM_CONSTRAINT_CPUSET,
        KMSG_OOM_CONSTRAINT_MEMORY_POLICY,
        KMSG_OOM_CONSTRAINT_MEMCG,
};

/* The one-line summary, printed just before the victim is killed. */
struct kmsg_oom_summary {
        enum kmsg_oom_constraint constraint;
        bool global;               /* ",global_oom": no memcg limit was hit */
        char oom_memcg[PATH_MAX];  /* the cgroup whose limit was hit; "" when global */
        char task_memcg[PATH_MAX]; /* the victim's memory cgroup, e.g. "/pod/ctr 1" */
        char comm[KMSG_COMM_MAX];  /* victim's comm, escapes kept */
        int32_t pid;               /* victim's pid (tgid of the killed process) */
        uint32_t uid;              /* victim's uid in the initial user namespace */
};

/* The kill itself. */
struct kmsg_oom_killed {
        bool memcg; /* "Memory cgroup out of memory:" rather than "Out of memory[ (...)]:" */
        int32_t pid;
        char comm[KMSG_COMM_MAX];
        uint64_t total_vm_kb;
        uint64_t anon_rss_kb;
        uint64_t file_rss_kb;
        uint64_t shmem_rss_kb;
        uint32_t uid;
        uint64_t pgtables_kb;
        int32_t oom_score_adj;
};

struct kmsg_oom {
        enum kmsg_oom_kind kind;
        union {
                struct kmsg_oom_summary summary; /* kind == KMSG_OOM_SUMMARY */
                struct kmsg_oom_killed killed;   /* kind == KMSG_OOM_KILLED */
        };
};

/*
 * Recognises a record's message (kmsg_record.msg/msg_len). Lines that do not start like one
 * of the two OOM lines are rejected after a prefix compare and return KMSG_OOM_NONE without
 * touching *ret. Returns the kind, or -EINVAL for a line that starts like an OOM line but is
 * malformed, -ERANGE for a number that does not fit, -ENAMETOOLONG for a cgroup path of
 * PATH_MAX bytes or more or a comm of KMSG_COMM_MAX bytes or more.
 */
int kmsg_oom_parse(const char *msg, size_t len, struct kmsg_oom *ret);

/*
 * A victim of the kernel's OOM killer as the two lines of its report name it,
 * joined: the summary's cgroups and the kill line's process and sizes.
 */
struct oom_victim {
        int pid;
        char comm[64];
        char task_memcg[PATH_MAX]; /* as the kernel prints it: "/system.slice/x.scope" */
        char oom_memcg[PATH_MAX];  /* where the limit was hit: may be the pod, not the container */
        bool memcg;                /* a memory cgroup OOM, not a global one */
        uint64_t total_vm_bytes;
        uint64_t anon_rss_bytes;
        uint64_t file_rss_bytes;
        uint64_t shmem_rss_bytes;
        uint64_t seen_usec;
        bool claimed;
};

/*
 * Opens /dev/kmsg for non-blocking reads positioned after the newest record, so only what
 * the kernel logs from now on is seen. Returns the fd or -errno.
 */
int kmsg_open(void);

/*
 * Reads one record into buf (size should be KMSG_RECORD_MAX). Returns 0 with *ret_len set,
 * -EAGAIN when there is no new record, -EPIPE when records were overwritten before we read
 * them (the next call continues with the oldest record still there: count the loss and
 * read again), or another -errno.
 */
int kmsg_read_record(int fd, char *buf, size_t size, size_t *ret_len);
