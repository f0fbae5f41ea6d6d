/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

/* Whether w is the cgroup whose pressure stands for the node ([node] slice, or the root). */
bool node_is_slice(const struct agent *a, const struct watch *w);

/* Re-reads /proc/meminfo into a->node_memory, and what the node's swap means for sampling. */
void node_memory_update(struct agent *a);

/*
 * Judges the node (or the configured slice) by the rules of node-policy.h and,
 * when one fires, kills the ranking's first container or reports why not.
 */
void node_check(struct agent *a, struct watch *slice, uint64_t now);

/* Makes room for a candidate per container: called as containers are found, not when killing. */
void node_reserve_candidates(struct agent *a);

/* The rules' thresholds from the [node] section. */
void node_config_from(const struct cgmem_config *c, struct node_config *ret);

void node_stop(struct agent *a);
