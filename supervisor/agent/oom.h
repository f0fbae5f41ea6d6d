/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Kernel OOM kills, named: /dev/kmsg says which process the kernel killed and
 * in which cgroup ("oom-kill:…task_memcg=…" and "… Killed process PID (COMM)
 * …"), memory.events only says that it did. Victims seen in the log wait in a
 * small ring until the matching oom_kill increment claims them.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cgroupfs/kmsg.h"

#define OOM_VICTIMS_MAX 64

struct oom_log {
        int fd; /* /dev/kmsg, -1 when unreadable */
        sd_event_source *source;
        struct oom_victim victims[OOM_VICTIMS_MAX];
        unsigned next;             /* ring position of the next victim */
        struct oom_victim pending; /* an oom-kill: summary waiting for its Killed line */
        bool has_pending;
        uint64_t overruns; /* records the kernel overwrote before we read them */
};

/* Opens /dev/kmsg at its end; without it (no permission) cgmem still counts kills. */
int oom_log_open(struct oom_log *log, sd_event *loop);
void oom_log_close(struct oom_log *log);

/* Reads every record available now (also called before claiming). */
void oom_log_drain(struct oom_log *log, uint64_t now_usec);

/* The oldest unclaimed victim whose task_memcg is cgroup ("/a/b"), marked claimed; or NULL. */
const struct oom_victim *oom_log_claim(struct oom_log *log, const char *cgroup);
