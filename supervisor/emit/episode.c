/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "episode.h"

#include <string.h>

static void follow_peaks(struct episode *e, const struct memcg_sample *s)
{
        if (s->current_bytes > e->peak_current_bytes)
                e->peak_current_bytes = s->current_bytes;
        if (!(s->have & MEMCG_HAVE_PSI))
                return;
        if (s->psi.some.avg10 > e->peak_some_avg10)
                e->peak_some_avg10 = s->psi.some.avg10;
        if (s->psi.full.avg10 > e->peak_full_avg10)
                e->peak_full_avg10 = s->psi.full.avg10;
}

static void open_episode(struct episode *e, const struct memcg_sample *s, uint64_t now,
                         uint64_t *next_id)
{
        *e = (struct episode){
                .id = ++*next_id,
                .began_usec = now,
                .told_usec = now,
                .before = s->events,
                .some_before_usec = s->psi.some.total_usec,
                .full_before_usec = s->psi.full.total_usec,
        };
}

enum episode_step episode_signal(struct episode *e, enum episode_signal what,
                                 const struct memcg_sample *s, uint64_t now, uint64_t *next_id)
{
        enum episode_step step = EPISODE_NONE;

        if (!e->id) {
                open_episode(e, s, now, next_id);
                step = EPISODE_BEGIN;
        } else if (what == EPISODE_PRESSURE && !e->pressure_told) {
                step = EPISODE_PRESSURE_BEGIN;
        }
        if (what == EPISODE_PRESSURE) {
                e->pressure_signals++;
                e->pressure_told = true;
        }
        e->seen_usec = now;
        follow_peaks(e, s);
        return step;
}

enum episode_step episode_round(struct episode *e, const struct episode_config *c,
                                const struct memcg_sample *s, uint64_t now)
{
        if (!e->id)
                return EPISODE_NONE;
        follow_peaks(e, s);
        if (now - e->seen_usec >= c->quiet_usec)
                return EPISODE_END;
        if (now - e->told_usec >= c->summary_usec) {
                e->told_usec = now;
                return EPISODE_ONGOING;
        }
        return EPISODE_NONE;
}

enum episode_step episode_gone(struct episode *e, uint64_t now)
{
        (void) now;
        return e->id ? EPISODE_END : EPISODE_NONE;
}

void episode_close(struct episode *e)
{
        memset(e, 0, sizeof(*e));
}
