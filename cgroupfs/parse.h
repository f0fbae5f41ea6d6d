/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Strict parsers for the cgroup v2 file formats (Documentation/admin-guide/cgroup-v2.rst,
 * "Format"): a whole token must parse, keys match a whole word at line start, unknown keys
 * are ignored wherever they appear, a known key twice is malformed, "max" is UINT64_MAX.
 * Malformed input is -EINVAL, a number that does not fit is -ERANGE.
 */

#include <stddef.h>
#include <stdint.h>

#define CG_VALUE_MAX UINT64_MAX

/* Parses a whole decimal token of len bytes. */
int parse_u64(const char *s, size_t len, uint64_t *ret);

/* A single-value file ("123\n" or "max\n"); "max" is accepted only when allow_max. */
int parse_single_value(const char *buf, size_t len, int allow_max, uint64_t *ret);

/* One known key of a flat-keyed file ("key value\n" lines) and where its value goes. */
struct keyed_field {
        const char *key;
        size_t offset;  /* of a uint64_t in the output struct */
        size_t key_len; /* strlen(key), or 0 to have it measured at every parse */
};

/* A field of a struct with the same name as its key, its length known when compiled. */
#define KEYED_FIELD(type, name)                                                                    \
        {                                                                                          \
#name, offsetof(type, name), sizeof(#name) - 1                                     \
        }

/*
 * Parses a flat-keyed file into out. *ret_seen gets bit i set for fields[i] found
 * (at most 64 fields). Returns -EINVAL for an empty file, a malformed line or value
 * of a known key, or a known key twice.
 */
int parse_keyed(const char *buf, size_t len, const struct keyed_field *fields, size_t n_fields,
                void *out, uint64_t *ret_seen);

/* One PSI line; averages are hundredths of a percent (10.25% = 1025), total is usec. */
struct psi_line {
        uint32_t avg10;
        uint32_t avg60;
        uint32_t avg300;
        uint64_t total_usec;
};

struct psi_stats {
        struct psi_line some;
        struct psi_line full;
        int has_full; /* kernels before 5.13 print no "full" line for some resources */
};

/* Parses a *.pressure file: a "some" line, optionally a "full" line, each field once. */
int parse_psi(const char *buf, size_t len, struct psi_stats *ret);

/* Returns 1 if the space-separated list (cgroup.controllers, subtree_control) has word. */
int word_list_contains(const char *buf, size_t len, const char *word);
