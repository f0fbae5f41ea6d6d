/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * PSI triggers (Documentation/accounting/psi.rst, "Monitoring for pressure
 * thresholds"): the kernel wakes a poller with POLLPRI when a cgroup stalls for
 * threshold out of every window, and with POLLERR once the cgroup is removed.
 */

#include <stdint.h>

enum psi_stall { PSI_STALL_SOME, PSI_STALL_FULL };

/* The kernel accepts windows from 500 ms to 10 s. */
#define PSI_WINDOW_MIN_USEC 500000
#define PSI_WINDOW_MAX_USEC 10000000

#define PSI_TRIGGER_SPEC_MAX 64

/*
 * The trigger text, "some 150000 1000000", with its terminating NUL as the kernel
 * document writes it. Returns the bytes to write (including the NUL) or -EINVAL.
 */
int psi_trigger_format(enum psi_stall stall, uint64_t threshold_usec, uint64_t window_usec,
                       char buf[static PSI_TRIGGER_SPEC_MAX]);

/*
 * Opens dirfd/name (e.g. "memory.pressure") and registers one trigger on it.
 * Returns the fd to poll for POLLPRI, or -errno: -EINVAL for bad numbers, -ENOENT
 * when the cgroup or PSI is absent, -EMEDIUMTYPE when the file is not on cgroupfs
 * or procfs (a fixture tree: nothing is written to it).
 */
int psi_trigger_open(int dirfd, const char *name, enum psi_stall stall, uint64_t threshold_usec,
                     uint64_t window_usec);

/* Interprets poll revents of a trigger fd: 1 fired, 0 nothing, -ENODEV the cgroup is gone. */
int psi_trigger_revents(short revents);
