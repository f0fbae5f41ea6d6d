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
};

/* Takes over a container a previous agent changed (the xattr), and reads its mark. */
void enforce_adopt(struct agent *a, struct watch *w);

/* Reads the operator's mark (xattr user.cgmem.policy) and the configured protection. */
void enforce_adopt_mark(struct agent *a, struct watch *w);

/* Evaluates w (sampled just now) and acts; signal_usec is when the signal arrived. */
void enforce_evaluate(struct agent *a, struct watch *w, enum enforce_signal signal,
                      uint64_t signal_usec);

/* Kills w for reason; candidates (may be NULL) is the ranking that chose it. */
void enforce_kill(struct agent *a, struct watch *w, const char *reason, enum enforce_signal signal,
                  uint64_t signal_usec, json_t *details);

/* The policy's thresholds from the [enforce] section. */
void enforce_policy_config(const struct cgmem_config *c, struct policy_config *ret);

/* The agent's own cgroup from /proc/self/cgroup ("0::/path"), relative; "" if unknown. */
void enforce_read_self_cgroup(char *buf, size_t size);

/* On a clean exit: gives every container the memory.high it had before cgmem. */
void enforce_restore_all(struct agent *a);

const char *enforce_signal_to_string(enum enforce_signal s);
