/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /proc/meminfo, the node's memory as the kernel accounts it
 * (Documentation/filesystems/proc.rst, "meminfo"): values in bytes.
 */

#include <stddef.h>
#include <stdint.h>

struct meminfo {
        uint64_t mem_total;
        uint64_t mem_free;
        uint64_t mem_available; /* the kernel's estimate of what can be had without swapping */
        uint64_t cached;
        uint64_t shmem;
        uint64_t swap_total;
        uint64_t swap_free;
        uint64_t swap_cached;
};

/*
 * Parses the text of /proc/meminfo: "Key:   <decimal> kB" lines (the unit may be
 * absent, as for HugePages_Total). Unknown keys are ignored; a known key twice, a
 * malformed line of a known key, or a missing MemTotal, MemFree, MemAvailable,
 * SwapTotal or SwapFree is -EINVAL; a value that does not fit in bytes -ERANGE.
 */
int parse_meminfo(const char *buf, size_t len, struct meminfo *ret);
