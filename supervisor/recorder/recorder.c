/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recorder.h"

#include <stdlib.h>
#include <string.h>

#define KiB                UINT64_C(1024)
#define MiB                (KiB * 1024)
#define USEC_PER_DS        UINT64_C(100000)
#define FINE_SPACING_DS    3   /* 300 ms: at least 250 ms at decisecond resolution */
#define COARSE_SPACING_DS  100 /* 10 s */
#define MOVE_MIN_KIB       256
#define MOVE_PSI           100 /* 1.00 % of avg10 */
#define GROWTH_NOISE_BYTES MiB

void recorder_init(struct recorder *r, uint64_t epoch_usec)
{
        *r = (struct recorder){.epoch_usec = epoch_usec};
}

void recorder_done(struct recorder *r)
{
        free(r->fine);
        free(r->coarse);
        recorder_init(r, r->epoch_usec);
}

static uint32_t kib(uint64_t bytes)
{
        uint64_t k = bytes / KiB;
        return k > UINT32_MAX ? UINT32_MAX : (uint32_t) k;
}

static uint16_t u16(uint64_t v)
{
        return v > UINT16_MAX ? UINT16_MAX : (uint16_t) v;
}

struct recorder_point recorder_point_of(const struct recorder *r, const struct memcg_sample *s,
                                        uint64_t now_usec)
{
        const struct memcg_stat *st = &s->stat;
        uint64_t kernel = memcg_unreclaimable_bytes(s) - st->anon - st->shmem;
        uint64_t since = now_usec > r->epoch_usec ? now_usec - r->epoch_usec : 0;

        return (struct recorder_point){
                .t_ds = (uint32_t) (since / USEC_PER_DS),
                .current_kib = kib(s->current_bytes),
                .anon_kib = kib(st->anon),
                .file_kib = kib(st->file > st->shmem ? st->file - st->shmem : 0),
                .shmem_kib = kib(st->shmem),
                .kernel_kib = kib(kernel),
                .swap_kib = kib(s->swap_current_bytes),
                .some_avg10 = u16(s->psi.some.avg10),
                .full_avg10 = u16(s->psi.full.avg10),
                .high = (uint32_t) s->events.high,
                .max = (uint32_t) s->events.max,
                .oom = u16(s->events.oom),
                .oom_kill = u16(s->events.oom_kill),
        };
}

static bool value_moved(uint32_t a, uint32_t b)
{
        uint32_t hi = a > b ? a : b, diff = a > b ? a - b : b - a;
        return diff >= MOVE_MIN_KIB || (diff > 0 && (uint64_t) diff * 100 >= hi);
}

static bool moved(const struct recorder_point *a, const struct recorder_point *b)
{
        return value_moved(a->current_kib, b->current_kib) ||
               value_moved(a->anon_kib, b->anon_kib) || value_moved(a->file_kib, b->file_kib) ||
               value_moved(a->shmem_kib, b->shmem_kib) ||
               value_moved(a->kernel_kib, b->kernel_kib) || value_moved(a->swap_kib, b->swap_kib) ||
               a->high != b->high || a->max != b->max || a->oom != b->oom ||
               a->oom_kill != b->oom_kill ||
               abs((int) a->some_avg10 - (int) b->some_avg10) >= MOVE_PSI ||
               abs((int) a->full_avg10 - (int) b->full_avg10) >= MOVE_PSI;
}

static void promote(struct recorder *r, const struct recorder_point *p)
{
        if (r->coarse_len) {
                const struct recorder_point *newest = &r->coarse[r->coarse_head];
                if (p->t_ds - newest->t_ds < COARSE_SPACING_DS)
                        return;
        } else if (!r->coarse) {
                r->coarse = calloc(RECORDER_COARSE, sizeof(*r->coarse));
                if (!r->coarse)
                        return;
        }
        r->coarse_head = r->coarse_len ? (r->coarse_head + 1) % RECORDER_COARSE : 0;
        if (r->coarse_len < RECORDER_COARSE)
                r->coarse_len++;
        r->coarse[r->coarse_head] = *p;
}

/* A new slot in the fine ring for the newest point; the oldest may move on to the coarse one. */
static bool fine_push(struct recorder *r, const struct recorder_point *p)
{
        if (!r->fine) {
                r->fine = calloc(RECORDER_FINE, sizeof(*r->fine));
                if (!r->fine)
                        return false;
                r->fine[0] = r->last;
                r->fine_len = 1;
                r->fine_head = 0;
        }
        unsigned next = (r->fine_head + 1) % RECORDER_FINE;
        if (r->fine_len == RECORDER_FINE)
                promote(r, &r->fine[next]);
        else
                r->fine_len++;
        r->fine_head = next;
        r->fine[next] = *p;
        return true;
}

static const struct recorder_point *before_newest(const struct recorder *r)
{
        return &r->fine[(r->fine_head + RECORDER_FINE - 1) % RECORDER_FINE];
}

void recorder_note(struct recorder *r, const struct memcg_sample *s, uint64_t now_usec)
{
        struct recorder_point p = recorder_point_of(r, s, now_usec);

        if (!r->has_last) {
                r->last = p;
                r->held_ds = p.t_ds;
                r->has_last = true;
                return;
        }
        if (!moved(&r->last, &p)) {
                r->held_ds = p.t_ds;
                return;
        }
        if (r->held_ds >= r->last.t_ds + FINE_SPACING_DS) {
                /* The last values held until the sample before this one: say so. */
                struct recorder_point held = r->last;
                held.t_ds = r->held_ds;
                if (!fine_push(r, &held))
                        return;
                r->last = held;
        }
        if (r->fine_len >= 2 && r->last.t_ds - before_newest(r)->t_ds < FINE_SPACING_DS)
                r->fine[r->fine_head] = p; /* the newest is replaced until it is a spacing on */
        else if (!fine_push(r, &p))
                return; /* no memory for a ring: the last point stays what we know */
        r->last = p;
}

uint64_t recorder_footprint_bytes(const struct recorder_point *p)
{
        return ((uint64_t) p->anon_kib + p->shmem_kib + p->kernel_kib + p->swap_kib) * KiB;
}

size_t recorder_points(const struct recorder *r, struct recorder_point *out, size_t cap)
{
        size_t n = 0;

        for (unsigned i = 0; i < r->coarse_len && n < cap; i++)
                out[n++] = r->coarse[(r->coarse_head + 1 + RECORDER_COARSE - r->coarse_len + i) %
                                     RECORDER_COARSE];
        for (unsigned i = 0; i < r->fine_len && n < cap; i++)
                out[n++] = r->fine[(r->fine_head + 1 + RECORDER_FINE - r->fine_len + i) %
                                   RECORDER_FINE];
        if (!r->fine_len && r->has_last && n < cap)
                out[n++] = r->last;
        return n;
}

size_t recorder_heap_bytes(const struct recorder *r)
{
        return (r->fine ? RECORDER_FINE * sizeof(*r->fine) : 0) +
               (r->coarse ? RECORDER_COARSE * sizeof(*r->coarse) : 0);
}
