/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The agent's side of the metrics (supervisor/metrics/): after every round it
 * copies what the metrics show from the registry, the containers, the node and
 * its own counters into a snapshot and publishes it. That copy is all the loop
 * spends on metrics; scrapes and the textfile are the server's threads'.
 */

struct agent;

/* Opens the listener and the textfile directory ([metrics]): before the seccomp filter. A
 * failure is said and the agent runs without metrics. */
void exporter_open(struct agent *a);

/* Starts the server's threads, after the seccomp filter, and publishes a first snapshot. */
void exporter_start(struct agent *a);

/* After a round: a fresh snapshot for the scrapes. */
void exporter_publish(struct agent *a);

void exporter_stop(struct agent *a);
