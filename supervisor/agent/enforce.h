/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Enforcement: runs the pure policy on a container's fresh sample and carries
 * out what it decides (memory.high writes, kills), or in --dry-run only says
 * what it would have done. Every action is an event with its reason and numbers.
 */

#include <jansson.h>
#include <stdint.h>

#include "agent.h"

/* What woke the agent up: the kernel's notification, or the backstop timer. */
enum enforce_signal {
        SIGNAL_MEMORY_EVENTS, /* inotify on memory.events */
        SIGNAL_PSI_TRIGGER,
        SIGNAL_SAMPLE, /* the backstop round */
        SIGNAL_DISCOVERY,
        SIGNAL_NODE_PRESSURE,
        SIGNAL_LIMITS, /* a limit file written, or the time for a new limit to settle passed */
};

/* A kill, with what the event about it will say (built after the kill, never before). */
struct kill_request {
        enum policy_reason reason;
        enum enforce_signal signal;
        uint64_t signal_usec;
        const struct policy_decision *decision; /* the verdict and its evidence, or NULL */
        json_t *(*details)(const void *ctx);    /* more for the event (a ranking), or NULL */
        const void *details_ctx;
};

/* Takes over a container a previous agent changed (the xattr), and reads its mark. */
void enforce_adopt(struct agent *a, struct watch *w);

/* Reads the operator's mark (xattr user.cgmem.policy) and the configured protection. */
void enforce_adopt_mark(struct agent *a, struct watch *w);

/* Evaluates w (sampled just now) and acts; signal_usec is when the signal arrived. */
void enforce_evaluate(struct agent *a, struct watch *w, enum enforce_signal signal,
                      uint64_t signal_usec);

/* Kills w (after one more look at it), then emits the kill event. */
void enforce_kill(struct agent *a, struct watch *w, const struct kill_request *k);

/* A limit file of w was written (before: the sample from before): re-judges w. */
void enforce_limits_written(struct agent *a, struct watch *w, const struct memcg_sample *before);

/* The policy's thresholds from the [enforce] section. */
void enforce_policy_config(const struct cgmem_config *c, struct policy_config *ret);

/* The agent's own cgroup from /proc/self/cgroup ("0::/path"), relative; "" if unknown. */
void enforce_read_self_cgroup(char *buf, size_t size);

/* On a clean exit: gives every container's memory.high back to its owner. */
void enforce_restore_all(struct agent *a);

const char *enforce_signal_to_string(enum enforce_signal s);
