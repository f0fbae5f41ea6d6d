/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

/* Whether w is the cgroup whose pressure stands for the node ([node] slice, or the root). */
bool node_is_slice(const struct agent *a, const struct watch *w);

/* Reads the slice's pressure and kills the ranking's first container when it lasted. */
void node_pressure_check(struct agent *a, struct watch *slice, uint64_t now);
