/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "oom.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/kmsg.h"

static void remember_victim(struct oom_log *log, const struct kmsg_oom_killed *k, uint64_t now_usec)
{
        struct oom_victim *v = &log->victims[log->next];

        /* The summary line names the cgroup; it comes just before the kill line. */
        if (log->has_pending && log->pending.pid == k->pid)
                *v = log->pending;
        else
                *v = (struct oom_victim){0};
        log->has_pending = false;
        v->pid = k->pid;
        snprintf(v->comm, sizeof(v->comm), "%s", k->comm);
        v->memcg = k->memcg;
        v->total_vm_bytes = k->total_vm_kb * 1024;
        v->anon_rss_bytes = k->anon_rss_kb * 1024;
        v->file_rss_bytes = k->file_rss_kb * 1024;
        v->shmem_rss_bytes = k->shmem_rss_kb * 1024;
        v->seen_usec = now_usec;
        v->claimed = false;
        log->next = (log->next + 1) % OOM_VICTIMS_MAX;
}

static void remember_summary(struct oom_log *log, const struct kmsg_oom_summary *s)
{
        log->pending = (struct oom_victim){.pid = s->pid};
        memcpy(log->pending.task_memcg, s->task_memcg, sizeof(log->pending.task_memcg));
        memcpy(log->pending.oom_memcg, s->oom_memcg, sizeof(log->pending.oom_memcg));
        log->has_pending = true;
}

static void handle_record(struct oom_log *log, const char *buf, size_t len, uint64_t now_usec)
{
        struct kmsg_record rec;
        struct kmsg_oom oom;

        if (kmsg_record_parse(buf, len, &rec) < 0)
                return;
        int kind = kmsg_oom_parse(rec.msg, rec.msg_len, &oom);
        if (kind == KMSG_OOM_SUMMARY)
                remember_summary(log, &oom.summary);
        else if (kind == KMSG_OOM_KILLED)
                remember_victim(log, &oom.killed, now_usec);
}

void oom_log_drain(struct oom_log *log, uint64_t now_usec)
{
        char buf[KMSG_RECORD_MAX];
        size_t len;

        while (log->fd >= 0) {
                int r = kmsg_read_record(log->fd, buf, sizeof(buf), &len);
                if (r == -EPIPE) {
                        log->overruns++;
                        continue;
                }
                if (r < 0)
                        return;
                handle_record(log, buf, len, now_usec);
        }
}

static int on_kmsg(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void) s;
        (void) fd;
        (void) revents;
        oom_log_drain(userdata, now_usec());
        return 0;
}

/*
 * Without /dev/kmsg the agent still enforces and counts the kernel's OOM kills
 * (memory.events); it only cannot name their victims. That includes a
 * /dev/kmsg that opens but cannot be polled (epoll says EPERM): /dev/null
 * bind-mounted over it, or a regular file in its place.
 */
int oom_log_open(struct oom_log *log, sd_event *loop)
{
        *log = (struct oom_log){.fd = kmsg_open()};
        int r = log->fd < 0 ? log->fd
                            : sd_event_add_io(loop, &log->source, log->fd, EPOLLIN, on_kmsg, log);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_warning("cannot read /dev/kmsg (%s): OOM kills are counted but their "
                            "victims not named",
                            strerror(-r));
                oom_log_close(log);
        }
        return 0;
}

void oom_log_close(struct oom_log *log)
{
        log->source = sd_event_source_disable_unref(log->source);
        if (log->fd >= 0)
                close(log->fd);
        log->fd = -1;
}

const struct oom_victim *oom_log_claim(struct oom_log *log, const char *cgroup)
{
        struct oom_victim *best = NULL;

        for (unsigned i = 0; i < OOM_VICTIMS_MAX; i++) {
                struct oom_victim *v = &log->victims[i];
                if (!v->pid || v->claimed || strcmp(v->task_memcg, cgroup) != 0)
                        continue;
                if (!best || v->seen_usec < best->seen_usec)
                        best = v;
        }
        if (best)
                best->claimed = true;
        return best;
}
