/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where the cgroup hierarchy is mounted, and whether cgmem can use it. */

#include <limits.h>
#include <stddef.h>

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"

enum cg_layout {
        CG_LAYOUT_UNIFIED, /* cgroup v2, memory controller not bound to v1 */
        CG_LAYOUT_HYBRID,  /* cgroup v2 mounted, but memory bound to a v1 hierarchy */
        CG_LAYOUT_LEGACY,  /* cgroup v1 only */
        CG_LAYOUT_NONE,    /* no cgroup file system mounted at all */
};

struct cg_mounts {
        enum cg_layout layout;
        char unified[PATH_MAX];   /* the cgroup2 mount point, "" if none */
        char memory_v1[PATH_MAX]; /* the v1 memory mount point, "" if none */
};

/* Classifies the mounts in a /proc/self/mountinfo text. -EINVAL for a malformed line. */
int cg_mounts_parse(const char *mountinfo, size_t len, struct cg_mounts *ret);

/* Opens a directory and checks it is a cgroup2 file system (-EMEDIUMTYPE if not). */
int cg_root_open_verified(const char *path);
