/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pipeline's report step: what the kernel's counters and files say of a
 * container since last time, as events. OOM counters are told at once; high,
 * max and low climb by hundreds a second on a container at its limit and are
 * told at most once per sample interval; the kernel-memory share every
 * interval or when it crosses the threshold; pressure when a trigger fired, or
 * when the round saw a container without one stall as long as a trigger needs.
 */

#include "emit/events.h"
#include "pipeline.h"

void report(struct pipeline *p, struct container *c, enum wake why, uint64_t signal_usec);

/* Kills that happened in a container the runtime removed before we read its counters. */
void report_unclaimed_kills(struct pipeline *p, struct container *c);
