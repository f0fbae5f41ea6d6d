/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Finds and opens the cgroup v2 root cgmem works on, and explains, once and
 * exactly, why it cannot when the host is hybrid, v1-only or has no memory
 * controller on v2.
 */

/* Opens override if not NULL, else the host's cgroup2 mount. Returns a dirfd or -errno. */
int cgroot_open(const char *override);
