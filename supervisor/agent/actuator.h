/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the pipeline does to a cgroup, behind one table of functions: the real
 * one writes cgroupfs (actuator_cgroupfs), a test's records what it was asked.
 * Every function returns >= 0 or -errno; -ENOENT/-ENODEV: the cgroup went away.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "registry/registry.h"

struct actuator {
        /* memory.high := value, only if it still is expect: -EAGAIN if its owner wrote since. */
        int (*write_high)(void *userdata, struct cgroup *cg, uint64_t value, uint64_t expect);
        /* Every process of the cgroup, at once. */
        int (*kill)(void *userdata, struct cgroup *cg);
        /* After a kill: give the dying processes' memory back now (process_mrelease). */
        void (*reclaim)(void *userdata, struct cgroup *cg);
        /* The band's xattrs: the owner's memory.high and cgmem's, kept on the cgroup. */
        int (*save_band)(void *userdata, struct cgroup *cg, uint64_t owner, uint64_t band);
        void (*drop_band)(void *userdata, struct cgroup *cg);
        /* A band a previous agent left: true with the owner's value (and cgmem's, if kept). */
        bool (*read_band)(void *userdata, struct cgroup *cg, uint64_t *ret_owner,
                          uint64_t *ret_band, bool *ret_has_band);
        /* The user.cgmem.policy xattr. */
        enum policy_mark (*read_mark)(void *userdata, struct cgroup *cg);
        void *userdata;
};

/* The real one, on cgroupfs (cg->dirfd); userdata is unused. */
extern const struct actuator actuator_cgroupfs;
