/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "cgroupfs/parse.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
/* Kernel counters count as "rising" while they rose less than this long ago. */
#define RISING_QUIET_USEC UINT64_C(1000000)
/* A band the kernel refused is decided again after this, doubling with each refusal. */
#define GUARD_RETRY_FIRST_USEC UINT64_C(1000000)
#define GUARD_RETRY_MAX_USEC   (UINT64_C(300) * 1000000)
/* memory.high and memory.max are kept in pages; what is written is rounded down to one. */
#define PAGE_BYTES UINT64_C(4096)
/* A stuck workload creeps on by a few pages at a time: below this share of high a second. */
#define STUCK_CREEP_PER_SEC 0.01
/*
 * Faster than anything is assumed to grow at memory.max, where each charge
 * reclaims page cache first: fourteen times bench-verdicts' anon-max (256 MiB
 * in 0.9 s in the VM). A runaway faster than that, from a look at a footprint
 * two bands and more below memory.max, may meet memory.max before the next
 * look, and the kernel's OOM kill before cgmem's.
 */
#define FASTEST_GROWTH_BYTES_PER_SEC (UINT64_C(4) << 30)
/* The longest a change of memory.events waits for its look (events_wait). */
#define EVENTS_WAIT_MAX_USEC (100 * UINT64_C(1000))

/* A value for memory.high, rounded to a whole page (PAGE_BYTES). */
static uint64_t page_down(uint64_t bytes)
{
        return bytes / PAGE_BYTES * PAGE_BYTES;
}

static uint64_t page_up(uint64_t bytes)
{
        return page_down(bytes + PAGE_BYTES - 1);
}

void policy_config_defaults(struct policy_config *c)
{
        *c = (struct policy_config){
                .guard_fraction = 0.04,
                .guard_min_bytes = 4 * MiB,
                .guard_max_bytes = 256 * MiB,
                .limit_margin_fraction = 0.004,
                .limit_margin_min_bytes = 1 * MiB,
                .push_window_usec = 500 * UINT64_C(1000),
                .push_step_bytes = 256 * KiB,
                .settle_usec = 100 * UINT64_C(1000),
                .release_page_cache = true,
                .stall_after_usec = 2 * UINT64_C(1000000),
                .stall_full_permyriad = 4000,
                .stuck_kills = true,
                .rate_window_usec = 5 * UINT64_C(1000000),
        };
}

static uint64_t guard_band_bytes(const struct policy_config *c, uint64_t max_bytes)
{
        uint64_t b = (uint64_t) (c->guard_fraction * (double) max_bytes);

        if (b < c->guard_min_bytes)
                b = c->guard_min_bytes;
        if (b > c->guard_max_bytes)
                b = c->guard_max_bytes;
        /* A limit smaller than two bands gets half of it as band. */
        if (b * 2 > max_bytes)
                b = max_bytes / 2;
        return b;
}

uint64_t policy_guard_high(const struct policy_config *c, uint64_t max_bytes)
{
        return page_down(max_bytes - guard_band_bytes(c, max_bytes));
}

uint64_t policy_limit_margin(const struct policy_config *c, uint64_t max_bytes)
{
        uint64_t m = (uint64_t) (c->limit_margin_fraction * (double) max_bytes);
        return m > c->limit_margin_min_bytes ? m : c->limit_margin_min_bytes;
}

static bool rose_within(uint64_t rose_usec, uint64_t now, uint64_t window)
{
        return rose_usec && now - rose_usec <= window;
}

static uint64_t footprint(const struct policy_input *in)
{
        return in->unreclaimable_bytes + in->swap_bytes;
}

/*
 * What the kernel cannot free at memory.max: the footprint, and the file pages
 * its tasks have mapped (shmem is in the footprint already), up to two margins:
 * their code, which reclaim unmaps only to see it faulted straight back (a
 * large mapping of data is page cache like any other, hence the bound). The
 * reclaimable slab counts there too: a live file's index nodes are reclaimable
 * slab that reclaim cannot free, 1.2 MiB for a shmem runaway's 512 MiB in
 * memory and swap, and the kernel OOM-killed bench-verdicts swap/shmem-64 and
 * shmem-max (10 of 10) with the footprint 160 KiB short of the line and
 * memory.current at memory.max.
 * Counting the footprint alone, runaways lost the race to the kernel with
 * memory.current at the limit and the footprint 0.6-1.3 MiB short of the line
 * (bench-verdicts shmem-64 and fork-4, one run in five each).
 *
 * Or memory.current less the page cache and reclaimable slab beyond that code,
 * when that is more: charges memory.stat does not show yet. A huge page is
 * charged before it is zeroed and counted as anon only once mapped; with
 * several tasks faulting, the kernel OOM-killed fork-4 with 2 MiB charged that
 * memory.stat did not show, the footprint 2.1 MiB short of memory.max (19 of
 * the kernel-alone OOM reports show the same 2 MiB). That difference also
 * holds what the kernel has not flushed of its per-CPU counters (more with more
 * CPUs), its per-CPU charge stock, swap cache and socket buffers: it counts up
 * to two margins, so a workload pays for them only at memory.max with its page
 * cache squeezed under a margin and its footprint within three margins of the
 * limit. Never more than memory.current, plus swap.
 *
 * Unless the kernel is reclaiming at memory.max (max events within
 * push_window): it drains its per-CPU charge stocks there before it OOM-kills
 * (try_charge_memcg, drain_all_stock), so what memory.current holds beyond the
 * page cache is charged for real, and the kernel OOM-kills on it. fork-4 lost
 * a run with 4.4 MiB of huge pages in flight (four tasks faulting), memory.current
 * at memory.max, its footprint 3.3 MiB short of the line.
 */
static uint64_t held_at_limit(const struct policy_config *c, const struct policy_state *s,
                              const struct policy_input *in)
{
        uint64_t bound = 2 * policy_limit_margin(c, in->max_bytes);
        uint64_t pinned = in->mapped_bytes + in->slab_reclaimable_bytes;
        uint64_t kept = pinned < bound ? pinned : bound; /* code and slab reclaim cannot keep out */
        uint64_t cache = in->reclaimable_bytes > kept ? in->reclaimable_bytes - kept : 0;
        uint64_t counted = in->unreclaimable_bytes + kept;
        uint64_t left = in->current_bytes > cache ? in->current_bytes - cache : 0;
        uint64_t held = counted > left ? counted : left;

        if (held > counted + bound &&
            !rose_within(s->max_rose_usec, in->now_usec, c->push_window_usec))
                held = counted + bound;

        return (held < in->current_bytes ? held : in->current_bytes) + in->swap_bytes;
}

/* memory.max and the swap the container may still fill: where the kernel OOM-kills. */
static uint64_t capacity(const struct policy_input *in)
{
        if (in->max_bytes == CG_VALUE_MAX)
                return CG_VALUE_MAX;
        return in->max_bytes + in->swap_limit_bytes;
}

/* ---- history: the last seconds, a point every POLICY_POINT_SPACING_USEC ---- */

const struct policy_point *policy_history_at(const struct policy_state *s, unsigned n)
{
        int slot = ring_slot(&s->ring, POLICY_HISTORY, n);

        return slot < 0 ? NULL : &s->history[slot];
}

/* A point per sample, kept as ring.h says. */
static void history_record(struct policy_state *s, const struct policy_input *in)
{
        const struct policy_point *newest = policy_history_at(s, 0);
        const struct policy_point *before = policy_history_at(s, 1);

        unsigned slot =
                ring_next(&s->ring, POLICY_HISTORY,
                          !before || newest->usec - before->usec >= POLICY_POINT_SPACING_USEC);

        s->history[slot] = (struct policy_point){
                .usec = in->now_usec,
                .footprint_bytes = footprint(in),
                .current_bytes = in->current_bytes,
                .high_events = in->high_events,
                .max_events = in->max_events,
                .psi_full_total_usec = in->psi_full_total_usec,
                .refaults = in->refaults,
        };
}

/* The newest point at least window old, or the oldest there is. */
static const struct policy_point *history_since(const struct policy_state *s, uint64_t now,
                                                uint64_t window)
{
        const struct policy_point *p = NULL;

        for (unsigned n = 0; n < s->ring.len; n++) {
                p = policy_history_at(s, n);
                if (now - p->usec >= window)
                        break;
        }
        return p;
}

double policy_growth_over(const struct policy_state *s, uint64_t span_usec)
{
        const struct policy_point *now = policy_history_at(s, 0);
        const struct policy_point *then = now ? history_since(s, now->usec, span_usec) : NULL;

        if (!then || now->usec == then->usec)
                return 0;
        return ((double) now->footprint_bytes - (double) then->footprint_bytes) /
               (double) (now->usec - then->usec) * (double) USEC_PER_SEC;
}

static uint64_t rise(uint64_t now, uint64_t then)
{
        return now > then ? now - then : 0;
}

/* What happened over (about) the last window: the figures a verdict rests on. */
static struct policy_evidence evidence_over(const struct policy_config *c,
                                            const struct policy_state *s,
                                            const struct policy_input *in, uint64_t window)
{
        const struct policy_point *now = policy_history_at(s, 0);
        const struct policy_point *then = history_since(s, in->now_usec, window);
        struct policy_evidence e = {
                .footprint_bytes = footprint(in),
                .held_bytes = held_at_limit(c, s, in),
                .capacity_bytes = capacity(in),
                .margin_bytes =
                        in->max_bytes == CG_VALUE_MAX ? 0 : policy_limit_margin(c, in->max_bytes),
        };

        if (!now || !then)
                return e;
        e.window_usec = now->usec - then->usec;
        e.grown_bytes = rise(now->footprint_bytes, then->footprint_bytes);
        e.high_events = rise(now->high_events, then->high_events);
        e.max_events = rise(now->max_events, then->max_events);
        e.refaults = rise(now->refaults, then->refaults);
        if (e.window_usec > 0) {
                uint64_t stalled = rise(now->psi_full_total_usec, then->psi_full_total_usec);
                double share = (double) stalled / (double) e.window_usec;
                e.psi_full_permyriad = (uint32_t) fmin(share * 10000.0, 10000.0);
        }
        return e;
}

/* ---- growth and the kernel's counters ---- */

/* f rose a whole step above *base (which moves up to it); a fall moves *base down. */
static bool rose_a_step(uint64_t *base, uint64_t f, uint64_t step)
{
        if (f >= *base + step) {
                *base = f;
                return true;
        }
        if (f < *base)
                *base = f; /* a fall: the next rise counts from here */
        return false;
}

static void update_growth(const struct policy_config *c, struct policy_state *s,
                          const struct policy_input *in)
{
        uint64_t f = footprint(in);

        if (!s->seen)
                s->step_base_bytes = f;
        else if (rose_a_step(&s->step_base_bytes, f, c->push_step_bytes))
                s->rose_usec = in->now_usec;
        growth_update(&s->growth, in->now_usec, f, c->rate_window_usec);
}

/*
 * At the guard line, then a band below it: the workload gives back what it takes
 * (bench-verdicts sawtooth: to 97 % and back to half, eight times, throttled at
 * the band on every climb, 0.91 of its work). A runaway never comes back, but
 * the kernel's OOM kill of one of its processes brings it down a band too
 * (bench-verdicts fork-4, the run the kernel won): after an oom_kill, the fall
 * is the kernel's, however long the victim takes to exit, and the guard line is
 * to be met again once the footprint is a band below it.
 */
static void update_receded(const struct policy_config *c, struct policy_state *s,
                           const struct policy_input *in, bool first)
{
        if (!first && in->oom_kills > s->last_oom_kills)
                s->oom_fall_pending = true;
        s->last_oom_kills = in->oom_kills;
        if (in->max_bytes == CG_VALUE_MAX)
                return;
        if (in->max_bytes != s->recede_max_bytes) {
                /* Measured against another limit: it starts over (a raised limit is no shrink). */
                s->met_guard_line = s->receded = false;
                s->recede_max_bytes = in->max_bytes;
        }
        uint64_t guard = policy_guard_high(c, in->max_bytes), f = footprint(in);
        bool band_below = f + guard_band_bytes(c, in->max_bytes) <= guard;
        if (s->oom_fall_pending) {
                s->met_guard_line = false;
                s->oom_fall_pending = !band_below;
        } else if (f + c->push_step_bytes >= guard) {
                s->met_guard_line = true;
        } else if (s->met_guard_line && band_below) {
                s->receded = true;
        }
}

/* A counter already above zero when first seen (say, after a restart) is history. */
static void update_counter(uint64_t value, uint64_t *last, uint64_t *rose, uint64_t *since,
                           uint64_t now, bool first)
{
        if (!first && value > *last) {
                if (!*since)
                        *since = now;
                *rose = now;
        } else if (*since && now - *rose >= RISING_QUIET_USEC) {
                *since = 0;
        }
        *last = value;
}

static void update_counters(struct policy_state *s, const struct policy_input *in, bool first)
{
        update_counter(in->high_events, &s->last_high_events, &s->high_rose_usec,
                       &s->high_rising_since_usec, in->now_usec, first);
        update_counter(in->max_events, &s->last_max_events, &s->max_rose_usec,
                       &s->max_rising_since_usec, in->now_usec, first);
}

/*
 * Still allocating while the kernel holds it back: the footprint rose a whole
 * charge batch, and the kernel counted high or max events, within push_window.
 */
static bool pushing(const struct policy_config *c, const struct policy_state *s, uint64_t now)
{
        uint64_t w = c->push_window_usec;
        return rose_within(s->rose_usec, now, w) &&
               (rose_within(s->high_rose_usec, now, w) || rose_within(s->max_rose_usec, now, w));
}

static bool rising_for(uint64_t since, uint64_t now, uint64_t duration)
{
        return since && now - since >= duration;
}

/* When what reclaim cannot take (e->held_bytes, what the kill is judged on) reaches the line. */
static int64_t eta_usec(const struct policy_evidence *e, double rate)
{
        uint64_t held = e->held_bytes, line = e->capacity_bytes - e->margin_bytes;

        if (rate <= 0)
                return -1;
        if (held >= line)
                return 0;
        return (int64_t) ((double) (line - held) / rate * (double) USEC_PER_SEC);
}

static void decide(struct policy_decision *d, enum policy_action a, enum policy_reason r,
                   uint64_t high)
{
        d->action = a;
        d->reason = r;
        d->high_bytes = high;
}

/* ---- the verdicts ---- */

/*
 * At the limit and still allocating. Tells a runaway (it crawls through the band
 * to memory.max: 0.4 % from it the kernel would OOM-kill at its next megabyte)
 * from a workload that fills to 90..99 % and stops, or saws up to 97 % and back:
 * those never come within the margin (bench-verdicts: the anon and fill rows).
 */
static bool at_limit_pushing(const struct policy_config *c, const struct policy_state *s,
                             const struct policy_input *in, const struct policy_evidence *e)
{
        return e->held_bytes + e->margin_bytes >= e->capacity_bytes && pushing(c, s, in->now_usec);
}

/* Growth over the stall window small enough to be the kernel letting a few pages through. */
static bool flat(const struct policy_config *c, const struct policy_evidence *e, uint64_t of)
{
        double allowed =
                STUCK_CREEP_PER_SEC * (double) of * (double) e->window_usec / (double) USEC_PER_SEC;
        return (double) e->grown_bytes <= fmax(allowed, (double) c->push_step_bytes);
}

/*
 * The highest the band goes: two margins under memory.max. A workload pinned
 * there is a megabyte or two from the kernel's OOM kill. 0 for a limit too
 * small to hold two margins: the band never rises there.
 */
static uint64_t band_top(const struct policy_config *c, uint64_t max_bytes)
{
        uint64_t margins = 2 * policy_limit_margin(c, max_bytes);

        return max_bytes > margins ? page_down(max_bytes - margins) : 0;
}

/* cgmem's band stands at its top; false while it is below, or has none. */
static bool band_at_top(const struct policy_config *c, const struct policy_state *s, uint64_t max)
{
        uint64_t top = band_top(c, max);
        return top > 0 && s->band_high_bytes >= top;
}

static bool band_below_top(const struct policy_config *c, const struct policy_state *s,
                           uint64_t max)
{
        return s->band_high_bytes < band_top(c, max);
}

/*
 * Pinned at a memory.high: high events rising all along, the footprint at it and
 * not growing, stalled. Told from a cache-heavy container at its memory.high
 * (which the kernel serves by reclaiming cache: its footprint is far below) and
 * from one passing through (it grows).
 */
static bool pinned_at(const struct policy_config *c, const struct policy_state *s,
                      const struct policy_input *in, const struct policy_evidence *e)
{
        return rising_for(s->high_rising_since_usec, in->now_usec, c->stall_after_usec) &&
               e->window_usec + POLICY_POINT_SPACING_USEC >= c->stall_after_usec &&
               (double) footprint(in) >= 0.9 * (double) in->high_bytes &&
               e->psi_full_permyriad >= c->stall_full_permyriad && flat(c, e, in->high_bytes);
}

/*
 * Holding more in memory than the band's top: the band has nowhere to give way
 * to that would still hold it. Raised to its top, the kernel's penalty above it
 * all but ends, and the workload runs the last margins to memory.max.
 */
static bool past_top(const struct policy_config *c, const struct policy_input *in)
{
        uint64_t top = band_top(c, in->max_bytes);
        return top > 0 && in->unreclaimable_bytes >= top;
}

/*
 * Pinned, and not a charge batch of growth over stuck_after (e, the kill
 * verdict's): a crawl is a runaway for the line to judge, not a pin.
 */
static bool pinned_still(const struct policy_config *c, const struct policy_state *s,
                         const struct policy_input *in, const struct policy_evidence *e)
{
        return e->grown_bytes <= c->push_step_bytes && pinned_at(c, s, in, e);
}

/*
 * Pinned at someone's memory.high: the kernel throttles it without end and never
 * OOM-kills (VM-NOTES: alive after 590 s, PSI full 94 %). Or pinned at cgmem's
 * own band once it stands at its top (band_pinned raised it there): a runaway
 * reclaiming its own code pages at the band, which the kernel alone would have
 * OOM-killed at memory.max (the DaemonSet case: memhog in a Docker container at
 * 98 %, PSI full 66 %, 44 KiB/s). Or pinned above the band's top with the band
 * below it: a runaway whose swap allowance filled, its memory crawling above the
 * band to 99.5 % under the kernel's penalty; raising the band to the top there
 * lifted the penalty and the kernel OOM-killed it 72 ms later (bench-verdicts
 * swap/shmem-64). A workload that stopped there is not pinned: it charges
 * nothing, so the kernel counts no high events and nothing stalls.
 */
static bool stuck_at_high(const struct policy_config *c, const struct policy_state *s,
                          const struct policy_input *in, const struct policy_evidence *e)
{
        if (in->high_bytes >= in->max_bytes)
                return false;
        if (s->owns_high && !band_at_top(c, s, in->max_bytes))
                return past_top(c, in) && pinned_still(c, s, in, e);
        return pinned_at(c, s, in, e);
}

/*
 * At memory.max, the kernel reclaiming the workload's own code and data pages
 * instead of OOM-killing it: max events and refaults climbing, stalled, no
 * progress. A cache-heavy container at its limit stalls less and its footprint is
 * far from the limit; this needs the footprint within the band's width of it.
 */
static bool thrashing(const struct policy_config *c, const struct policy_state *s,
                      const struct policy_input *in, const struct policy_evidence *e)
{
        uint64_t band = guard_band_bytes(c, in->max_bytes);
        return rising_for(s->max_rising_since_usec, in->now_usec, c->stall_after_usec) &&
               e->window_usec + POLICY_POINT_SPACING_USEC >= c->stall_after_usec &&
               footprint(in) + band >= capacity(in) && e->refaults > 0 &&
               e->psi_full_permyriad >= c->stall_full_permyriad && flat(c, e, in->max_bytes);
}

static bool kill_verdict(const struct policy_config *c, const struct policy_state *s,
                         const struct policy_input *in, struct policy_decision *d)
{
        struct policy_evidence e = evidence_over(c, s, in, c->stall_after_usec);

        d->evidence = e;
        if (at_limit_pushing(c, s, in, &e))
                decide(d, ACTION_KILL, REASON_RUNAWAY, 0);
        else if (!s->stall_resolved && stuck_at_high(c, s, in, &e))
                decide(d, ACTION_KILL, REASON_STUCK_AT_HIGH, 0);
        else if (thrashing(c, s, in, &e))
                decide(d, ACTION_KILL, REASON_THRASHING, 0);
        else
                return false;
        return true;
}

/* ---- the guard band ---- */

static void release_to_owner(struct policy_state *s, const struct policy_input *in,
                             struct policy_decision *d, enum policy_reason reason)
{
        decide(d, ACTION_RELEASE, reason, s->owner_high_bytes);
        d->expect_high_bytes = in->high_bytes;
        s->owns_high = false;
}

/*
 * Stuck, and configured not to kill: memory.high is lifted and the kernel decides
 * (it OOM-kills at memory.max if the workload goes on). A clean exit gives the
 * owner's value back.
 */
static void lift_stuck(struct policy_state *s, const struct policy_input *in,
                       struct policy_decision *d)
{
        decide(d, ACTION_RELEASE, REASON_STUCK_AT_HIGH, CG_VALUE_MAX);
        d->expect_high_bytes = in->high_bytes;
        if (!s->owns_high)
                s->owner_high_bytes = in->high_bytes;
        s->owns_high = true;
        s->band_high_bytes = CG_VALUE_MAX;
        s->band_max_bytes = in->max_bytes;
        s->stall_resolved = true;
}

/*
 * Where the band goes: a band's width below memory.max (at its top for a
 * workload that receded); above what the workload holds in memory (its
 * footprint less swap) if that is already higher (an agent starting next to a
 * workload that sits at 99 % must not throttle it), so the kernel still counts
 * high events the moment it grows.
 */
static uint64_t band_high(const struct policy_config *c, const struct policy_state *s,
                          const struct policy_input *in)
{
        uint64_t top = band_top(c, in->max_bytes), guard = policy_guard_high(c, in->max_bytes);
        /* Above 32 GiB two margins are wider than the 256 MiB band: the top is below the line. */
        uint64_t high = s->receded && top > guard ? top : guard;
        uint64_t above = page_up(in->unreclaimable_bytes + c->push_step_bytes);

        if (above > high)
                high = above < in->max_bytes - PAGE_BYTES ? above : in->max_bytes - PAGE_BYTES;
        return high;
}

/* cgmem's band at high, for memory.max as it is now. */
static void write_band(struct policy_state *s, const struct policy_input *in,
                       struct policy_decision *d, enum policy_reason reason, uint64_t high)
{
        decide(d, ACTION_GUARD, reason, high);
        d->expect_high_bytes = in->high_bytes;
        s->owns_high = true;
        s->band_high_bytes = high;
        s->band_max_bytes = in->max_bytes;
        s->released_for_cache = false;
}

static void place_band(const struct policy_config *c, struct policy_state *s,
                       const struct policy_input *in, struct policy_decision *d)
{
        write_band(s, in, d, REASON_GUARD_BAND, band_high(c, s, in));
}

/* A limit just written may be followed by its owner's memory.high: wait for it. */
static bool settling(const struct policy_config *c, const struct policy_input *in,
                     struct policy_decision *d)
{
        uint64_t until = in->limits_written_usec + c->settle_usec;

        if (!in->limits_written_usec || in->now_usec >= until)
                return false;
        d->recheck_usec = until;
        return true;
}

/*
 * The band binds page cache and nothing else: memory.current at the band, the
 * kernel counting high events there, and the footprint four bands below it (at
 * once: every moment the band binds costs the cache its reads), or two bands
 * below it, not growing, with high events for push_window (close below, it may
 * be a runaway eating the cache). The band would only shrink the cache
 * (bench-verdicts: anon plus a hot file, which the band halved); without it the
 * container lives at memory.max, where the kernel's max events keep telling
 * cgmem how its footprint moves, and the band comes back a band below the line.
 */
static bool holds_only_cache(const struct policy_config *c, const struct policy_state *s,
                             const struct policy_input *in)
{
        uint64_t band = guard_band_bytes(c, in->max_bytes), f = footprint(in), now = in->now_usec;
        bool binding = in->current_bytes + c->push_step_bytes >= s->band_high_bytes &&
                       rose_within(s->high_rose_usec, now, c->push_window_usec);
        bool far = f + 4 * band <= s->band_high_bytes;
        bool below = f + 2 * band <= s->band_high_bytes && !pushing(c, s, now) &&
                     rising_for(s->high_rising_since_usec, now, c->push_window_usec);

        return c->release_page_cache && binding && (far || below);
}

/* A band given back for page cache comes back once the footprint is a band below it. */
static bool wants_band(const struct policy_config *c, const struct policy_state *s,
                       const struct policy_input *in)
{
        if (s->stall_resolved || in->high_bytes < in->max_bytes ||
            (s->guard_failed_max_bytes == in->max_bytes && in->now_usec < s->guard_retry_usec))
                return false;
        if (!s->released_for_cache)
                return true;
        uint64_t band = guard_band_bytes(c, in->max_bytes);
        return footprint(in) + band >= policy_guard_high(c, in->max_bytes);
}

/*
 * Pinned at cgmem's own band below its top, not a charge batch of growth over
 * stuck_after: the band, not memory.max, holds it (a workload that wants 98 %
 * stalled at 96 %, or a runaway reclaiming its own code at the band). The band
 * is cgmem's guess, so it gives way, up to its top: the healthy one settles
 * below it, the runaway pushes on to the margin (killed as a runaway) or is
 * pinned at the top (killed as stuck).
 */
static bool band_pinned(const struct policy_config *c, const struct policy_state *s,
                        const struct policy_input *in, const struct policy_evidence *e)
{
        /* A crawl through the band is a runaway the band must keep slow to the margin. */
        return band_below_top(c, s, in->max_bytes) && pinned_still(c, s, in, e);
}

/*
 * Where the band goes for a workload settled at or above it: its top, or a
 * margin above what it holds in memory when that is higher, a charge batch under
 * the kill line at most, so that a runaway from there still counts high events
 * before it (bench-verdicts hold-99: a working set of 254.2 MiB above the top at
 * 253.9 was throttled for good, 0.91 of its work). 0 for a limit too small for
 * two margins.
 */
static uint64_t settled_high(const struct policy_config *c, const struct policy_input *in)
{
        uint64_t top = band_top(c, in->max_bytes), margin = policy_limit_margin(c, in->max_bytes);

        if (top == 0)
                return 0;
        uint64_t below_line = page_down(in->max_bytes - margin - c->push_step_bytes);
        uint64_t above = page_up(in->unreclaimable_bytes + margin);
        uint64_t high = above < below_line ? above : below_line;

        return high > top ? high : top;
}

/*
 * Over stall_after (e, the kill verdict's evidence) no charge batch of growth and
 * less than stall_full stalled: a workload that stopped. A runaway above
 * memory.high does one or the other: the kernel lets it on by a batch after each
 * penalty (64 x^2 s, x its share over: 100 ms 4 % over; bench-verdicts: a runaway
 * crawls through a band in 1-4 s, a batch every 20-100 ms), or it stalls
 * reclaiming its own pages (band_pinned's and stuck_at_high's to judge, over the
 * same window, so neither is pre-empted). A shorter wait costs a fill that
 * stopped above the band less (bench-verdicts hold-99: its band rises 4-5 s after
 * its start), every charge of its until then reclaimed for or delayed.
 */
static bool settled(const struct policy_config *c, const struct policy_state *s,
                    const struct policy_input *in, const struct policy_evidence *e)
{
        return e->window_usec + POLICY_POINT_SPACING_USEC >= c->stall_after_usec &&
               !rose_within(s->rose_usec, in->now_usec, c->stall_after_usec) &&
               e->psi_full_permyriad < c->stall_full_permyriad;
}

/*
 * At or above cgmem's band, settled there: the band taxes every allocation of a
 * workload that lives at 97-99 % (bench-verdicts: creep did 0.66 of its work,
 * hold-98 0.91) and keeps nothing slow any more. It rises (settled_high), never
 * to below what the workload holds (the penalty would ease and a crawl speed to
 * the line); should the workload run away from there, each charge above the band
 * counts a high event that has the agent look, and it is killed pushing at the
 * line.
 */
static bool band_settled(const struct policy_config *c, const struct policy_state *s,
                         const struct policy_input *in, const struct policy_evidence *e)
{
        uint64_t high = settled_high(c, in);

        return s->band_high_bytes < high && high > in->unreclaimable_bytes &&
               in->unreclaimable_bytes + c->push_step_bytes >= s->band_high_bytes &&
               settled(c, s, in, e);
}

/*
 * Above where it would be placed now (the guard line; the top once receded), and
 * the footprint back a band below the guard line: the band comes back down (one
 * placed above a full workload at the agent's start, or on a limit too small to
 * rise, once the workload shrank).
 */
static bool band_back_down(const struct policy_config *c, const struct policy_state *s,
                           const struct policy_input *in)
{
        uint64_t guard = policy_guard_high(c, in->max_bytes);

        return s->band_high_bytes > band_high(c, s, in) &&
               footprint(in) + guard_band_bytes(c, in->max_bytes) <= guard;
}

/* Receded (update_receded), the band still below its top. */
static bool band_receded(const struct policy_config *c, const struct policy_state *s,
                         const struct policy_input *in)
{
        return s->receded && band_below_top(c, s, in->max_bytes);
}

static void raise_band(struct policy_state *s, const struct policy_input *in,
                       struct policy_decision *d, enum policy_reason reason, uint64_t high)
{
        write_band(s, in, d, reason, high);
        s->high_rising_since_usec = 0; /* pinned at the top is proven afresh */
}

static void evaluate_band(const struct policy_config *c, struct policy_state *s,
                          const struct policy_input *in, struct policy_decision *d)
{
        if (s->owns_high && in->high_bytes != s->band_high_bytes) {
                /* Someone wrote memory.high over the band: theirs from now on. */
                s->owns_high = false;
                s->owner_high_bytes = in->high_bytes;
                s->stall_resolved = false;
                decide(d, ACTION_YIELD, REASON_OWNER_HIGH, in->high_bytes);
                return;
        }
        if (!s->owns_high) {
                s->owner_high_bytes = in->high_bytes;
                if (wants_band(c, s, in) && !settling(c, in, d))
                        place_band(c, s, in, d);
                return;
        }
        if (s->stall_resolved)
                return;
        if (in->max_bytes != s->band_max_bytes) {
                /* The owner moved memory.max: the band follows it, once it settled. */
                if (!settling(c, in, d))
                        place_band(c, s, in, d);
        } else if (holds_only_cache(c, s, in)) {
                release_to_owner(s, in, d, REASON_PAGE_CACHE);
                s->released_for_cache = true;
        } else if (band_pinned(c, s, in, &d->evidence)) {
                raise_band(s, in, d, REASON_BAND_PINNED, band_top(c, in->max_bytes));
        } else if (band_settled(c, s, in, &d->evidence)) {
                raise_band(s, in, d, REASON_BAND_SETTLED, settled_high(c, in));
        } else if (band_receded(c, s, in)) {
                raise_band(s, in, d, REASON_BAND_RECEDED, band_top(c, in->max_bytes));
        } else if (band_back_down(c, s, in)) {
                place_band(c, s, in, d);
        }
}

/*
 * How long a change of memory.events may wait before the agent looks: the
 * kernel tells of one every 10 ms while it reclaims at memory.max, and a look
 * reads memory.stat (bench-verdicts cache-big, page cache larger than the
 * limit: 7.7 % of the VM's CPU beside it, its reads 0.76 of the kernel
 * alone's). The verdicts that cannot wait turn on the footprint nearing the
 * line: the band coming back (wants_band, a band below the guard line) and the
 * kill at the margin; stuck and thrashing rest on seconds of evidence. So the
 * look waits as long as the footprint, growing at FASTEST_GROWTH, stays short of
 * where the band comes back (from 10 MiB under a limit of 256 MiB: 55 ms), and
 * only without a band of cgmem's: a high event at the band may be page cache
 * it binds, given back at once (holds_only_cache).
 */
static uint64_t events_wait(const struct policy_config *c, const struct policy_state *s,
                            const struct policy_input *in, const struct policy_evidence *e)
{
        if (s->owns_high || in->max_bytes == CG_VALUE_MAX)
                return 0;
        uint64_t guard = policy_guard_high(c, in->max_bytes),
                 band = guard_band_bytes(c, in->max_bytes);
        uint64_t held = e->held_bytes > e->footprint_bytes ? e->held_bytes : e->footprint_bytes;
        if (guard <= band || held >= guard - band)
                return 0; /* a limit under two bands is all band */
        uint64_t line = guard - band;
        uint64_t wait = (line - held) / (FASTEST_GROWTH_BYTES_PER_SEC / USEC_PER_SEC);
        return wait < EVENTS_WAIT_MAX_USEC ? wait : EVENTS_WAIT_MAX_USEC;
}

void policy_evaluate(const struct policy_config *c, const struct policy_state *prev,
                     const struct policy_input *in, struct policy_state *next,
                     struct policy_decision *ret)
{
        struct policy_decision d = {.eta_usec = -1};
        struct policy_state s = *prev;

        bool first = !s.seen;
        history_record(&s, in);
        update_growth(c, &s, in);
        update_receded(c, &s, in, first);
        update_counters(&s, in, first);
        s.seen = true;
        d.rate_bytes_per_sec = s.growth.rate_bytes_per_sec;

        if (in->max_bytes == CG_VALUE_MAX || in->mark == MARK_PROTECT) {
                /* Nothing to enforce; a band from before the change goes back to its owner. */
                if (s.owns_high)
                        release_to_owner(&s, in, &d, REASON_LIMIT_REMOVED);
                else
                        s.owner_high_bytes = in->high_bytes;
                s.stall_resolved = false;
        } else {
                bool kill = kill_verdict(c, &s, in, &d);
                d.eta_usec = eta_usec(&d.evidence, s.growth.rate_bytes_per_sec);
                if (kill) {
                        if (!c->stuck_kills && d.reason == REASON_STUCK_AT_HIGH)
                                lift_stuck(&s, in, &d);
                        else if (!c->stuck_kills && d.reason == REASON_THRASHING)
                                decide(&d, ACTION_NONE, REASON_NONE, 0);
                } else {
                        evaluate_band(c, &s, in, &d);
                }
                if (d.action == ACTION_NONE)
                        d.events_wait_usec = events_wait(c, &s, in, &d.evidence);
        }
        *next = s;
        *ret = d;
}

void policy_guard_failed(struct policy_state *s, uint64_t now_usec)
{
        uint64_t step = s->guard_retry_step_usec;

        /* The back-off starts over for a new memory.max. */
        if (s->guard_failed_max_bytes != s->band_max_bytes || step == 0)
                step = GUARD_RETRY_FIRST_USEC;
        else if (step < GUARD_RETRY_MAX_USEC / 2)
                step *= 2;
        else
                step = GUARD_RETRY_MAX_USEC;
        s->owns_high = false;
        s->guard_failed_max_bytes = s->band_max_bytes;
        s->guard_retry_step_usec = step;
        s->guard_retry_usec = now_usec > UINT64_MAX - step ? UINT64_MAX : now_usec + step;
}

void policy_guard_not_written(struct policy_state *s)
{
        s->owns_high = false;
        s->guard_failed_max_bytes = s->band_max_bytes;
        s->guard_retry_usec = UINT64_MAX;
}

void policy_adopt_band(struct policy_state *s, uint64_t owner_high, uint64_t band_high,
                       uint64_t max_bytes)
{
        s->owns_high = true;
        s->owner_high_bytes = owner_high;
        s->band_high_bytes = band_high;
        s->band_max_bytes = max_bytes;
        s->stall_resolved = band_high == CG_VALUE_MAX;
}

/* ---- names ---- */

const char *policy_action_to_string(enum policy_action a)
{
        static const char *const names[_ACTION_MAX] = {
                [ACTION_NONE] = "none",   [ACTION_GUARD] = "guard", [ACTION_RELEASE] = "release",
                [ACTION_YIELD] = "yield", [ACTION_KILL] = "kill",
        };
        return a < _ACTION_MAX ? names[a] : NULL;
}

const char *policy_reason_to_string(enum policy_reason r)
{
        static const char *const names[_REASON_MAX] = {
                [REASON_NONE] = "none",
                [REASON_GUARD_BAND] = "guard_band",
                [REASON_BAND_PINNED] = "band_pinned",
                [REASON_BAND_SETTLED] = "band_settled",
                [REASON_BAND_RECEDED] = "band_receded",
                [REASON_PAGE_CACHE] = "page_cache",
                [REASON_LIMIT_REMOVED] = "limit_removed",
                [REASON_OWNER_HIGH] = "owner_high",
                [REASON_RUNAWAY] = "runaway",
                [REASON_STUCK_AT_HIGH] = "stuck_at_high",
                [REASON_THRASHING] = "thrashing",
                [REASON_NODE_PRESSURE] = "node_pressure",
        };
        return r < _REASON_MAX ? names[r] : NULL;
}

static const char *const mark_names[_MARK_MAX] = {
        [MARK_NONE] = "none",
        [MARK_PREFER] = "prefer",
        [MARK_AVOID] = "avoid",
        [MARK_PROTECT] = "protect",
};

const char *policy_mark_to_string(enum policy_mark m)
{
        return m < _MARK_MAX ? mark_names[m] : NULL;
}

/* The words of the xattr, the label and the configuration; anything else is no mark. */
enum policy_mark policy_mark_from_string(const char *s)
{
        for (unsigned m = MARK_PREFER; s && m < _MARK_MAX; m++)
                if (strcmp(s, mark_names[m]) == 0)
                        return (enum policy_mark) m;
        return MARK_NONE;
}
