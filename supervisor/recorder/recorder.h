/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The flight recorder: a container's memory over the last minutes, so that a
 * kill or an OOM can tell its story (what grew, since when, how fast, what the
 * kill frees) without a metrics stack. Pure: samples and times go in.
 *
 * A point is kept only when something moved (a value by 1 % or 256 KiB, a
 * counter, PSI by a point): an idle container costs its last point and no
 * ring. The fine ring holds the last RECORDER_FINE points at least 250 ms
 * apart; a point that leaves it goes on to the coarse ring if it is 10 s past
 * the last one there: seconds at full resolution, minutes coarser, about 5 KiB
 * a container at most (bench: tests/bench/recorder-cost.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/sample.h"

#define RECORDER_FINE   48
#define RECORDER_COARSE 72

/* Values in KiB (4 TiB at most), times in deciseconds since the agent started. */
struct recorder_point {
        uint32_t t_ds;
        uint32_t current_kib;
        uint32_t anon_kib;
        uint32_t file_kib;   /* page cache, shmem not included */
        uint32_t shmem_kib;  /* tmpfs, shm, shared anonymous mappings */
        uint32_t kernel_kib; /* kernel memory but reclaimable slab */
        uint32_t swap_kib;
        uint16_t some_avg10; /* PSI, hundredths of a percent */
        uint16_t full_avg10;
        uint32_t high, max; /* memory.events, low 32 bits */
        uint16_t oom, oom_kill;
};

struct recorder {
        uint64_t epoch_usec;        /* t_ds counts from here */
        struct recorder_point last; /* the newest point, kept here: no ring for an idle cgroup */
        uint32_t held_ds;           /* the last sample that still showed it */
        bool has_last;
        struct recorder_point *fine; /* RECORDER_FINE, allocated at the second point */
        unsigned fine_len, fine_head;
        struct recorder_point *coarse; /* RECORDER_COARSE, allocated at the first promotion */
        unsigned coarse_len, coarse_head;
};

void recorder_init(struct recorder *r, uint64_t epoch_usec);
void recorder_done(struct recorder *r);

/* The sample at now: kept if something moved (and memory allows). */
void recorder_note(struct recorder *r, const struct memcg_sample *s, uint64_t now_usec);

/* The point a sample at now would be. */
struct recorder_point recorder_point_of(const struct recorder *r, const struct memcg_sample *s,
                                        uint64_t now_usec);

/* The footprint of a point: what the kernel cannot reclaim, in bytes. */
uint64_t recorder_footprint_bytes(const struct recorder_point *p);

/* Every point kept, oldest first, into out[0..cap): returns how many. */
size_t recorder_points(const struct recorder *r, struct recorder_point *out, size_t cap);

/* Bytes the recorder holds beyond its struct (the rings). */
size_t recorder_heap_bytes(const struct recorder *r);

/* What the points say, for a kill or an OOM. */
enum story_kind {
        STORY_ANON,
        STORY_FILE,
        STORY_SHMEM,
        STORY_KERNEL,
        STORY_SWAP,
        _STORY_KIND_MAX,
        _STORY_KIND_NONE = -1,
};

#define STORY_POINTS 32

struct story {
        uint64_t window_usec;                 /* from the oldest point to now */
        int64_t began_usec_ago;               /* the growth that led here; -1: not growing */
        uint64_t grew_bytes;                  /* the footprint's growth since then */
        double rate_bytes_per_sec;            /* over that time */
        uint64_t peak_bytes;                  /* the highest memory.current seen */
        int64_t kinds_bytes[_STORY_KIND_MAX]; /* each one's change since it began (or the window) */
        enum story_kind grew_most;            /* _STORY_KIND_NONE: nothing grew */
        uint64_t frees_bytes; /* anon + swap + kernel but reclaimable slab: a kill gives it back */
        uint64_t stays_bytes; /* shmem + page cache: a kill does not free it */
        uint64_t shmem_bytes;
        size_t n_points;
        struct {
                uint64_t ago_usec, footprint_bytes, current_bytes;
        } points[STORY_POINTS]; /* oldest first */
};

const char *story_kind_to_string(enum story_kind k);

/* The story up to now, the sample s being the newest (it need not have been kept). */
void recorder_story(const struct recorder *r, const struct memcg_sample *s, uint64_t now_usec,
                    struct story *ret);
