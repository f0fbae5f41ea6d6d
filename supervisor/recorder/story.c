/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A recorder's points told as a story: what grew, since when, how fast, what a kill frees. */
#include "recorder.h"

#include <string.h>

#define KiB          UINT64_C(1024)
#define MiB          (KiB * 1024)
#define USEC_PER_DS  UINT64_C(100000)
#define ALL_POINTS   (RECORDER_FINE + RECORDER_COARSE + 1)
#define USEC_PER_SEC 1000000.0

const char *story_kind_to_string(enum story_kind k)
{
        static const char *const names[_STORY_KIND_MAX] = {
                [STORY_ANON] = "anon",     [STORY_FILE] = "file", [STORY_SHMEM] = "shmem",
                [STORY_KERNEL] = "kernel", [STORY_SWAP] = "swap",
        };
        return k >= 0 && k < _STORY_KIND_MAX ? names[k] : NULL;
}

static uint64_t kind_bytes(const struct recorder_point *p, enum story_kind k)
{
        static const size_t offsets[_STORY_KIND_MAX] = {
                [STORY_ANON] = offsetof(struct recorder_point, anon_kib),
                [STORY_FILE] = offsetof(struct recorder_point, file_kib),
                [STORY_SHMEM] = offsetof(struct recorder_point, shmem_kib),
                [STORY_KERNEL] = offsetof(struct recorder_point, kernel_kib),
                [STORY_SWAP] = offsetof(struct recorder_point, swap_kib),
        };
        return *(const uint32_t *) ((const char *) p + offsets[k]) * KiB;
}

static uint64_t ago_usec(const struct recorder *r, const struct recorder_point *p, uint64_t now)
{
        uint64_t at = r->epoch_usec + p->t_ds * USEC_PER_DS;
        return now > at ? now - at : 0;
}

/*
 * Where the growth that ends at the newest point began: back from it, the
 * lowest footprint before an older point stood above that low by more than
 * the noise; then forward from that low, the last point that stays within
 * half the noise of it (at least a megabyte), so that a small step taken
 * before the climb (idle siblings starting) is not the climb's start. Returns
 * its index, or -1 when the footprint did not grow enough to tell (a
 * megabyte, and 5 % of it).
 */
static int growth_start(const struct recorder_point *p, size_t n)
{
        uint64_t newest = recorder_footprint_bytes(&p[n - 1]), low = newest;
        uint64_t noise = newest / 50 > MiB ? newest / 50 : MiB;
        size_t at = n - 1;

        for (size_t i = n - 1; i-- > 0;) {
                uint64_t f = recorder_footprint_bytes(&p[i]);
                if (f > low + noise)
                        break;
                if (f < low) {
                        low = f;
                        at = i;
                }
        }
        uint64_t grew = newest - low, band = noise / 2 > MiB ? noise / 2 : MiB;
        if (grew < MiB || grew * 20 < newest)
                return -1;
        while (at + 1 < n - 1 && recorder_footprint_bytes(&p[at + 1]) <= low + band)
                at++;
        return (int) at;
}

static void pick_points(const struct recorder *r, const struct recorder_point *p, size_t n,
                        uint64_t now, struct story *s)
{
        size_t want = n < STORY_POINTS ? n : STORY_POINTS;

        for (size_t j = 0; j < want; j++) {
                size_t i = want == 1 ? n - 1 : j * (n - 1) / (want - 1);
                s->points[j].ago_usec = ago_usec(r, &p[i], now);
                s->points[j].footprint_bytes = recorder_footprint_bytes(&p[i]);
                s->points[j].current_bytes = (uint64_t) p[i].current_kib * KiB;
        }
        s->n_points = want;
}

static void tell_kinds(const struct recorder_point *base, const struct recorder_point *newest,
                       struct story *s)
{
        int64_t most = 0;

        s->grew_most = _STORY_KIND_NONE;
        for (int k = 0; k < _STORY_KIND_MAX; k++) {
                s->kinds_bytes[k] = (int64_t) kind_bytes(newest, k) - (int64_t) kind_bytes(base, k);
                if (s->kinds_bytes[k] > most) {
                        most = s->kinds_bytes[k];
                        s->grew_most = k;
                }
        }
}

void recorder_story(const struct recorder *r, const struct memcg_sample *sample, uint64_t now_usec,
                    struct story *ret)
{
        struct recorder_point p[ALL_POINTS];
        size_t n = recorder_points(r, p, ALL_POINTS - 1);
        struct story s = {.began_usec_ago = -1};

        /* The sample at hand is the newest point, kept or not (it replaces one of its time). */
        struct recorder_point at_hand = recorder_point_of(r, sample, now_usec);
        if (n > 0 && p[n - 1].t_ds == at_hand.t_ds)
                n--;
        p[n++] = at_hand;
        for (size_t i = 0; i < n; i++)
                if ((uint64_t) p[i].current_kib * KiB > s.peak_bytes)
                        s.peak_bytes = (uint64_t) p[i].current_kib * KiB;
        s.window_usec = ago_usec(r, &p[0], now_usec);
        int start = growth_start(p, n);
        const struct recorder_point *base = &p[start >= 0 ? start : 0], *newest = &p[n - 1];
        if (start >= 0) {
                uint64_t since = ago_usec(r, base, now_usec);
                s.began_usec_ago = (int64_t) since;
                s.grew_bytes = recorder_footprint_bytes(newest) - recorder_footprint_bytes(base);
                s.rate_bytes_per_sec =
                        since ? (double) s.grew_bytes / ((double) since / USEC_PER_SEC) : 0.0;
        }
        tell_kinds(base, newest, &s);
        s.frees_bytes = kind_bytes(newest, STORY_ANON) + kind_bytes(newest, STORY_SWAP) +
                        kind_bytes(newest, STORY_KERNEL);
        s.shmem_bytes = kind_bytes(newest, STORY_SHMEM);
        s.stays_bytes = s.shmem_bytes + kind_bytes(newest, STORY_FILE);
        pick_points(r, p, n, now_usec, &s);
        *ret = s;
}
