/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Extended attributes cgmem reads and writes on cgroup directories (cgroupfs
 * has user.* xattrs since 5.7). They outlive the agent, which is the point.
 */

/* The operator's word on a container: prefer, avoid or protect (systemd-oomd has the same). */
#define XATTR_POLICY "user.cgmem.policy"

/* memory.high as its owner wrote it: present while cgmem's band is on, given back after. */
#define XATTR_ORIGINAL_HIGH "user.cgmem.original_high"

/* The memory.high cgmem wrote: if memory.high is something else, its owner has written since. */
#define XATTR_BAND_HIGH "user.cgmem.band_high"

/* The same word as a container or pod label, set through the runtime (docker run --label ...). */
#define LABEL_POLICY "io.cgmem.policy"
