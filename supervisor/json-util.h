/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* JSON renderings of cgroupfs values shared by cgmem ps, the events and top. */

#include <jansson.h>

#include "cgroupfs/sample.h"

/* A string, or null when s is NULL or empty. */
json_t *json_string_or_null(const char *s);

/* Byte counts as integers; "max" (and anything beyond int64) is null. */
json_t *json_u64(uint64_t v);

/* A percentage, or null when negative (no limit). */
json_t *json_pct(double pct);

/* memory.events counters. */
json_t *json_memcg_events(const struct memcg_events *e);

/* {"some": {"avg10": %, "avg60": %, "avg300": %, "total_usec": n}, "full": {...} | null} */
json_t *json_psi(const struct psi_stats *psi);

/* The kernel-memory breakdown of memory.stat. */
json_t *json_kernel_breakdown(const struct memcg_sample *s);
