/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The reading side of top's processes view: a container's processes from its
 * cgroup.procs and /proc, in bounded time. Status files for every process
 * (the largest TOP_PROCS_MAX kept), then smaps_rollup, which walks each
 * process's page tables, for the largest ones while a small budget lasts:
 * PSS and USS where they are cheap, "-" elsewhere.
 */

#include <stdint.h>

#include "top-procs.h"

/* Reading every status file stops here: a refresh stays a refresh. */
#define TOP_PROCS_STATUS_BUDGET_USEC 100000
/* smaps_rollup for the largest processes, while this lasts. */
#define TOP_PROCS_SMAPS_BUDGET_USEC 20000

/* The cgroup at path below rootfd ("/" the root itself), as a directory fd; -errno. */
int top_procs_open(int rootfd, const char *path);

/* One refresh of p from the cgroup dirfd and /proc (proc_fd). A failure is kept in p->error. */
void top_procs_read(struct top_procs *p, int dirfd, int proc_fd, uint64_t now_usec);
