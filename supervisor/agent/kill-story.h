/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a kill (cgmem's, or the kernel's OOM kill) tells beyond its numbers:
 * the recorder's story of the container, its largest processes, and the
 * per-kill file with all of it.
 *
 * The processes are read ahead, never on the kill path: each round, for the
 * containers that may be killed soon (within a quarter of their limit, or
 * due to reach it within a minute, or growing while the node is short), at
 * most a second old, within a budget of the round. A container killed without
 * such a snapshot (a node-pressure victim seen late) gets one right before
 * its kill, status files only, within KILL_SNAPSHOT_BUDGET: that is the most
 * a kill waits for it, and its event says how old the snapshot is.
 */

#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "emit/events.h"
#include "pipeline.h"

#define KILL_SNAPSHOT_BUDGET_USEC UINT64_C(2000)

/* After a round's decision: keep the processes of a container that may be killed soon. */
void kill_story_watch(struct pipeline *p, struct container *c, const struct policy_decision *d,
                      uint64_t now);

/* Right before a kill: a snapshot when the kept one is missing or stale. */
void kill_story_before_kill(struct pipeline *p, struct container *c);

/*
 * The members of c's kill or OOM event, at now: the story goes in *story, the
 * record's path (when records are kept) in path[size].
 */
struct event_story kill_story_of(struct pipeline *p, struct container *c, uint64_t now,
                                 struct story *story, char *path, size_t size);

/* After the event went out (its line in line): the per-kill file, if there is one. */
void kill_story_record(struct pipeline *p, struct container *c, const struct event_story *st,
                       const char *line, uint64_t now);
