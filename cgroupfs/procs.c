/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "macro.h"
#include "parse.h"

struct status_fields {
        uint64_t rss_anon, rss_file, rss_shmem, swap;
};

static const struct colon_field status_fields[] = {
        COLON_FIELD("RssAnon", struct status_fields, rss_anon, false),
        COLON_FIELD("RssFile", struct status_fields, rss_file, false),
        COLON_FIELD("RssShmem", struct status_fields, rss_shmem, false),
        COLON_FIELD("VmSwap", struct status_fields, swap, false),
};

/* "Name:\t<comm>\n", the first line: comm may hold any byte but a newline. */
static int parse_name(const char *buf, size_t len, char comm[16])
{
        if (len < 6 || memcmp(buf, "Name:\t", 6) != 0)
                return -EINVAL;
        const char *nl = memchr(buf + 6, '\n', len - 6);
        size_t n = nl ? (size_t) (nl - (buf + 6)) : len - 6;
        if (n == 0 || n > 64) /* 15 bytes (TASK_COMM_LEN), each escaped to at most 4 */
                return -EINVAL;
        size_t kept = n < 15 ? n : 15;
        memcpy(comm, buf + 6, kept);
        comm[kept] = '\0';
        return (int) (nl ? n + 7 : len);
}

int parse_proc_status(const char *buf, size_t len, struct proc_memory *ret)
{
        struct status_fields f = {0};
        char comm[16];
        int at = parse_name(buf, len, comm);

        if (at < 0)
                return at;
        int r = parse_colon_keyed(buf + at, len - (size_t) at, status_fields,
                                  ELEMENTSOF(status_fields), &f);
        if (r < 0)
                return r;
        memcpy(ret->comm, comm, sizeof(comm));
        ret->rss_anon_bytes = f.rss_anon;
        ret->rss_file_bytes = f.rss_file;
        ret->rss_shmem_bytes = f.rss_shmem;
        ret->swap_bytes = f.swap;
        ret->pss_bytes = ret->uss_bytes = PROC_VALUE_UNKNOWN;
        return 0;
}

struct rollup_fields {
        uint64_t pss, private_clean, private_dirty;
};

static const struct colon_field rollup_fields[] = {
        COLON_FIELD("Pss", struct rollup_fields, pss, true),
        COLON_FIELD("Private_Clean", struct rollup_fields, private_clean, true),
        COLON_FIELD("Private_Dirty", struct rollup_fields, private_dirty, true),
};

int parse_smaps_rollup(const char *buf, size_t len, struct proc_memory *ret)
{
        struct rollup_fields f = {0};
        /* The first line names the rollup's address range, not a key. */
        const char *nl = memchr(buf, '\n', len);
        if (!nl)
                return -EINVAL;
        size_t skip = (size_t) (nl + 1 - buf);
        int r = parse_colon_keyed(buf + skip, len - skip, rollup_fields, ELEMENTSOF(rollup_fields),
                                  &f);
        if (r < 0)
                return r;
        if (f.private_clean > UINT64_MAX - f.private_dirty)
                return -ERANGE;
        ret->pss_bytes = f.pss;
        ret->uss_bytes = f.private_clean + f.private_dirty;
        return 0;
}

static uint64_t monotonic_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t weight(const struct proc_memory *p)
{
        return proc_rss_bytes(p) + p->swap_bytes;
}

/* Keeps p among the cap heaviest in top[0..*n), heaviest first. */
static void keep_heaviest(struct proc_memory *top, size_t cap, size_t *n,
                          const struct proc_memory *p)
{
        size_t i = *n < cap ? (*n)++ : cap;

        if (i == cap) {
                if (cap == 0 || weight(p) <= weight(&top[cap - 1]))
                        return;
                i = cap - 1;
        }
        while (i > 0 && weight(&top[i - 1]) < weight(p)) {
                top[i] = top[i - 1];
                i--;
        }
        top[i] = *p;
}

int proc_read_smaps(int proc_fd, pid_t pid, struct read_buf *buf, struct proc_memory *ret)
{
        char name[48];

        snprintf(name, sizeof(name), "%d/smaps_rollup", (int) pid);
        int r = read_file_to_eof(proc_fd, name, buf);
        return r < 0 ? r : parse_smaps_rollup(buf->data, buf->len, ret);
}

static int read_status(int proc_fd, pid_t pid, struct read_buf *buf, struct proc_memory *ret)
{
        char name[48];

        snprintf(name, sizeof(name), "%d/status", (int) pid);
        int r = read_file_to_eof(proc_fd, name, buf);
        if (r >= 0)
                r = parse_proc_status(buf->data, buf->len, ret);
        if (r < 0)
                return r;
        ret->pid = pid;
        return 0;
}

/* Read already: resumed after a process before the mark exited, the list moved up. */
static bool kept(const struct procs_snapshot *s, pid_t pid)
{
        for (size_t i = 0; i < s->n_top; i++)
                if (s->top[i].pid == pid)
                        return true;
        return false;
}

/*
 * The pid on the line at *p of cgroup.procs, *p moved past it: 1, 0 at the
 * end, -EINVAL for a line that is not a pid.
 */
static int next_pid(const char **p, pid_t *ret)
{
        char *end;

        if (!*p || !**p)
                return 0;
        long pid = strtol(*p, &end, 10);
        if (end == *p || *end != '\n' || pid <= 0 || pid > INT_MAX)
                return -EINVAL;
        *p = end + 1;
        *ret = (pid_t) pid;
        return 1;
}

/* The pids listed, or -EINVAL for a line that is not one. */
static int count_pids(const char *text, size_t *ret)
{
        size_t n = 0;
        pid_t p;
        int r;

        while ((r = next_pid(&text, &p)) > 0)
                n++;
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}

static bool listed(const char *text, pid_t pid)
{
        pid_t p;

        while (pid && next_pid(&text, &p) > 0)
                if (p == pid)
                        return true;
        return false;
}

/* Those kept by earlier rounds that have left the cgroup since are no longer in it. */
static void drop_gone(struct procs_snapshot *s, const char *text)
{
        size_t kept = 0;

        for (size_t i = 0; i < s->n_top; i++)
                if (listed(text, s->top[i].pid))
                        s->top[kept++] = s->top[i];
        s->n_top = kept;
}

int procs_snapshot_resume(int dirfd, int proc_fd, bool smaps, uint64_t deadline_usec,
                          struct procs_snapshot *ret)
{
        struct read_buf pids = {0}, buf = {0};
        struct procs_snapshot s = *ret;
        int r = cg_read_at(dirfd, "cgroup.procs", &pids);
        const char *at = pids.data ? pids.data : "";
        pid_t pid;

        if (r >= 0)
                r = count_pids(at, &s.n_procs);
        if (r < 0) {
                read_buf_free(&pids);
                return r;
        }
        /* The list is whole: from here on nothing fails, and top may change. */
        drop_gone(&s, at);
        bool before_mark = listed(at, s.mark);
        s.complete = true;
        while (next_pid(&at, &pid) > 0) {
                if (before_mark) {
                        before_mark = pid != s.mark;
                        continue;
                }
                if (!s.complete || (deadline_usec && monotonic_usec() >= deadline_usec)) {
                        s.complete = false;
                        break;
                }
                struct proc_memory m;
                s.mark = pid;
                if (!kept(&s, pid) && read_status(proc_fd, pid, &buf, &m) >= 0)
                        keep_heaviest(s.top, s.cap, &s.n_top, &m);
        }
        for (size_t i = 0; smaps && s.complete && i < s.n_top; i++) {
                if (deadline_usec && monotonic_usec() >= deadline_usec)
                        break;
                (void) proc_read_smaps(proc_fd, s.top[i].pid, &buf, &s.top[i]); /* unknown stays */
        }
        read_buf_free(&pids);
        read_buf_free(&buf);
        *ret = s;
        return 0;
}

int procs_snapshot_take(int dirfd, int proc_fd, bool smaps, uint64_t deadline_usec,
                        struct proc_memory *top, size_t cap, struct procs_snapshot *ret)
{
        struct procs_snapshot s = {.top = top, .cap = cap};
        int r = procs_snapshot_resume(dirfd, proc_fd, smaps, deadline_usec, &s);

        if (r >= 0)
                *ret = s;
        return r;
}
