/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A depth-first walk over the cgroups that have the memory controller. */

#include <limits.h>

struct cg_walk_entry {
        int dirfd;            /* the cgroup's directory, valid during the callback */
        const char *path;     /* relative to the root, without a leading slash */
        unsigned depth;       /* 1 for the root's children */
        int delegates_memory; /* memory is in its cgroup.subtree_control: not a leaf */
};

/* Return 0 to go on, < 0 to stop the walk with that value. */
typedef int (*cg_walk_fn)(const struct cg_walk_entry *entry, void *userdata);

/*
 * Calls fn, parent before children, for every descendant of rootfd that has the
 * memory controller (its parent's cgroup.subtree_control lists "memory"). Subtrees
 * without it are not entered: controllers are enabled top-down. A cgroup removed
 * during the walk is skipped silently.
 */
int cg_walk(int rootfd, cg_walk_fn fn, void *userdata);
