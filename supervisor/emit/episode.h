/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * An episode: a stretch of time a cgroup spends at its limits (the kernel counts
 * low, high or max events) or under memory pressure (its PSI trigger fires, or a
 * round sees it stall as long). A cache-heavy container lives at memory.max for
 * hours and its trigger may fire every second: that is one story, not a line a
 * second. The stream tells it as
 *
 *   begin     the memory_event or pressure event that opened it, with the numbers
 *   pressure  the first pressure of an episode that began at a limit
 *   ongoing   a summary every summary_usec while it lasts
 *   end       when nothing was seen for quiet_usec (or the cgroup went away)
 *
 * and keeps everything in between as counts and peaks. What must be seen at
 * once (cgmem's actions, OOM, containers coming and going) never waits for
 * an episode. Pure: the caller passes the sample and the time.
 */

#include <stdbool.h>
#include <stdint.h>

#include "cgroupfs/sample.h"

enum episode_signal {
        EPISODE_AT_LIMIT, /* low, high or max events rose */
        EPISODE_PRESSURE, /* the PSI trigger fired, or a round saw it stall as long */
};

enum episode_step {
        EPISODE_NONE,           /* nothing to tell */
        EPISODE_BEGIN,          /* tell the signal's event: an episode opened */
        EPISODE_PRESSURE_BEGIN, /* tell the pressure event: first pressure in an open one */
        EPISODE_ONGOING,        /* tell a summary */
        EPISODE_END,            /* tell its end; the episode is closed */
};

struct episode_config {
        uint64_t quiet_usec;   /* nothing seen this long: it ended */
        uint64_t summary_usec; /* a summary this often while it lasts */
};

struct episode {
        uint64_t id; /* 0: none open */
        uint64_t began_usec;
        uint64_t seen_usec;         /* the last signal */
        uint64_t told_usec;         /* the last line about it */
        struct memcg_events before; /* the counters when it began */
        uint64_t some_before_usec;  /* PSI totals when it began */
        uint64_t full_before_usec;
        uint64_t peak_current_bytes;
        uint32_t peak_some_avg10; /* PSI avg10, hundredths of a percent */
        uint32_t peak_full_avg10;
        uint32_t pressure_signals; /* triggers fired or stalled rounds seen */
        bool pressure_told;
};

/* A signal now: what to tell. next_id numbers the episodes of the agent's run. */
enum episode_step episode_signal(struct episode *e, enum episode_signal what,
                                 const struct memcg_sample *s, uint64_t now, uint64_t *next_id);

/* Each round: a summary, the end, or nothing; peaks follow the sample. */
enum episode_step episode_round(struct episode *e, const struct episode_config *c,
                                const struct memcg_sample *s, uint64_t now);

/* The cgroup went away: EPISODE_END if one was open (tell it), else EPISODE_NONE. */
enum episode_step episode_gone(struct episode *e, uint64_t now);

/* After EPISODE_END was told: closed. */
void episode_close(struct episode *e);
