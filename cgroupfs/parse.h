/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Strict parsers for the cgroup v2 file formats (Documentation/admin-guide/cgroup-v2.rst,
 * "Format"): a whole token must parse, keys match a whole word at line start, unknown keys
 * are ignored wherever they appear, a known key twice is malformed, "max" is UINT64_MAX.
 * Malformed input is -EINVAL, a number that does not fit is -ERANGE.
 */

#include <stdbool.h>
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

/*
 * A field table made ready for parse_keyed_indexed(): every key's length and the
 * hash it is found by. parse_keyed() builds one per call; a file read every sample
 * round (memory.stat, memory.events) keeps one and saves that work.
 */
#define KEYED_INDEX_SLOT_BITS 7
#define KEYED_INDEX_SLOTS     (1u << KEYED_INDEX_SLOT_BITS)

struct keyed_index {
        const struct keyed_field *fields;
        uint64_t head[64]; /* the key's first 8 bytes (fewer: zero-padded), little-endian */
        uint64_t tail[64]; /* its last 8 bytes; head for a key under 8 bytes */
        size_t len[64];
        uint8_t slots[KEYED_INDEX_SLOTS]; /* field index + 1; 0: empty */
};

/* Returns -E2BIG for more than 64 fields; fields must outlive the index. */
int keyed_index_init(struct keyed_index *index, const struct keyed_field *fields, size_t n_fields);

/*
 * What the last parses of one kind of file saw, line by line: the key of line j and
 * which field it is (or none). The kernel prints the same keys in the same order in
 * every cgroup (mm/memcontrol.c memory_stat_format()), so the next parse confirms
 * that line j holds that key with a few word compares instead of finding its end and
 * looking it up. A cache only: a line that differs is parsed the general way and
 * learned, and no result depends on what the layout holds. Belongs to one index and
 * one thread at a time.
 */
#define KEYED_LAYOUT_LINES   96
#define KEYED_LAYOUT_KEY_MAX 31

struct keyed_layout {
        const struct keyed_index *index; /* what it was learned with; NULL: nothing yet */
        size_t n_lines;
        struct keyed_layout_line {
                /*
                 * The key and the space after it as the parse loads them: the first 8
                 * bytes, the last 8 (up to the space) and the two words in between.
                 */
                uint64_t head, tail, mid[2];
                uint64_t mask;   /* of the bytes that count in head and tail (short keys) */
                uint64_t bit;    /* of the field in the seen mask; 0: an unknown key */
                uint32_t offset; /* of the field's value in the output */
                uint16_t need;   /* bytes the line must have; UINT16_MAX: never matches */
                uint8_t len;     /* of the key */
                uint8_t tail_at; /* where tail is loaded from */
        } lines[KEYED_LAYOUT_LINES];
};

/*
 * parse_keyed() with a prepared field table and, if layout is not NULL, the layout
 * of earlier parses, which it updates: the same rules, the same results.
 */
int parse_keyed_indexed(const char *buf, size_t len, const struct keyed_index *index,
                        struct keyed_layout *layout, void *out, uint64_t *ret_seen);

/*
 * A field of a "Key:<blanks><decimal>[ kB]" file: /proc/meminfo, /proc/PID/status,
 * /proc/PID/smaps_rollup (Documentation/filesystems/proc.rst). The value is stored
 * in bytes as a uint64_t at offset.
 */
struct colon_field {
        const char *key;
        size_t len;
        size_t offset;
        bool required;
};

#define COLON_FIELD(key, type, name, required)                                                     \
        {                                                                                          \
                key, sizeof(key) - 1, offsetof(type, name), required                               \
        }

/*
 * Parses such a file into out (at most 32 fields). Keys not in fields are
 * skipped unread (status has text and lists); a line without a colon, a known
 * key twice, a malformed value of a known key or a missing required one is
 * -EINVAL; a value that does not fit in bytes -ERANGE.
 */
int parse_colon_keyed(const char *buf, size_t len, const struct colon_field *fields,
                      size_t n_fields, void *out);

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
