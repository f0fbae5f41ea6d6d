/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* JSON renderings of cgroupfs values shared by cgmem ps, the events and top. */

#include <jansson.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/sample.h"

/* A member of an object being built: a key (ASCII, not checked) and a new reference. */
struct json_member {
        const char *key;
        json_t *value;
};

/*
 * Adds the members to o in order, as json_pack("{s:o, ...}") would without
 * parsing a format at every call (that was most of an event builder's cost).
 * Steals o and every value: returns o, or NULL with everything released when o
 * or a value is NULL (a failed constructor) or memory ran out.
 */
json_t *json_object_add_members(json_t *o, const struct json_member *members, size_t n);

/* The members and their count: JSON_OBJECT({"a", json_integer(1)}, {"b", json_null()}). */
#define JSON_MEMBERS(...)                                                                          \
        (const struct json_member[]){__VA_ARGS__},                                                 \
                ELEMENTSOF(((const struct json_member[]){__VA_ARGS__}))
#define JSON_OBJECT(...) json_object_add_members(json_object(), JSON_MEMBERS(__VA_ARGS__))

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
