/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pipeline's report step: what the kernel's counters and files say of a
 * container since last time, as events. OOM counters are told at once; high,
 * max and low climb by hundreds a second on a container at its limit, and
 * pressure may be felt every second for hours: both are told as episodes
 * (emit/episode.h). The kernel-memory share is told when it crosses the
 * threshold or moved (emit/events.h, kernel_memory_reason).
 */

#include "emit/events.h"
#include "pipeline.h"

void report(struct pipeline *p, struct container *c, enum wake why, uint64_t signal_usec);

/* The container went away: an open episode ends. */
void report_gone(struct pipeline *p, struct container *c, uint64_t now);

/* Kills that happened in a container the runtime removed before we read its counters. */
void report_unclaimed_kills(struct pipeline *p, struct container *c);
