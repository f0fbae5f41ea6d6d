/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Killing a whole cgroup, and telling whether anything is still in it. */

#include "io.h"

/* Writes "1" to cgroup.kill (5.14+): SIGKILL to every process in the subtree. */
int cg_kill(int dirfd);

/*
 * For kernels without cgroup.kill: freezes the cgroup, SIGKILLs every process in
 * it through a pidfd (no pid reuse race), and thaws it whatever happened, so it is
 * never left frozen. Returns the number of processes signalled, or -errno.
 */
int cg_kill_by_freezing(int dirfd);

/*
 * Asks the kernel to free the memory of the cgroup's dying processes now rather
 * than when each exits (process_mrelease, 5.15+). Best effort: returns how many.
 */
int cg_mrelease_procs(int dirfd);

/* 1 if cgroup.events says populated, 0 if empty, or -errno. */
int cg_populated(int dirfd, struct read_buf *buf);
