/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The agent's events, built as JSON objects for the emitter, which adds the
 * envelope. deploy/events.schema.json is the contract; keep them in step.
 */

#include <jansson.h>
#include <stdint.h>

#include "agent/agent.h"
#include "agent/oom.h"

/* Adds who lives in w's cgroup (container, kubernetes) to an event about it. */
void event_add_identity(json_t *e, const struct watch *w, bool with_labels);

json_t *event_started(const struct agent *a);
json_t *event_stopping(const char *reason, uint64_t uptime_usec);
json_t *event_container_seen(const struct watch *w);
json_t *event_container_gone(const struct watch *w, uint64_t now_usec);
/* The runtime named the container: names, image, labels, pod. */
json_t *event_container_identity(const struct watch *w);

enum pressure_source { PRESSURE_PSI_TRIGGER, PRESSURE_SAMPLE };
json_t *event_pressure(const struct agent *a, const struct watch *w, enum pressure_source source);

/* memory.events counters rose (high/max coalesced, oom immediately). */
json_t *event_memory_event(const struct watch *w, const struct memcg_events *before);

/* The kernel OOM-killed in w; victim is NULL when /dev/kmsg did not name one. */
json_t *event_oom_kill(const char *cgroup, uint64_t before, uint64_t after,
                       const struct memcg_events *events, const struct oom_victim *victim);

enum kernel_memory_reason { KERNEL_MEMORY_PERIODIC, KERNEL_MEMORY_CROSSED };
json_t *event_kernel_memory(const struct agent *a, const struct watch *w,
                            enum kernel_memory_reason reason);
