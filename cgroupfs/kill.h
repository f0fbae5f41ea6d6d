/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Killing a whole cgroup, and telling whether anything is still in it. */

#include "io.h"

/* Writes "1" to cgroup.kill (5.14+): SIGKILL to every process in the subtree. */
int cg_kill(int dirfd);

/* 1 if cgroup.events says populated, 0 if empty, or -errno. */
int cg_populated(int dirfd, struct read_buf *buf);
