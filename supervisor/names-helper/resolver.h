/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The lookups behind names.h, run by the cgmem-names helper (names-helper.c) on its
 * own loop: Docker and podman (Engine API), containerd (CRI over gRPC), CRI-O (its
 * info endpoint). It keeps the answers in a cache, retries what the runtime did not
 * know yet, follows Docker's event stream, and calls back when a tracked container's
 * names are learned. Nothing here blocks: a runtime that is down or hung costs one
 * log line and a back-off, never a stalled loop.
 */

#include "names/names.h"

struct resolver;
struct runtime_ops;

/* The runtimes' APIs, one file each; Docker's serves podman too. */
extern const struct runtime_ops docker_ops;
extern const struct runtime_ops cri_ops;
extern const struct runtime_ops crio_ops;

/* learned may be NULL. Logs through the supervisor's log; the runtimes' clients never do. */
int resolver_new(sd_event *loop, const struct names_config *cfg, names_learned_fn learned,
                 void *userdata, struct resolver **ret);
void resolver_free(struct resolver *n);

/* Asks the runtime of this kind on socket (NULL or "": there is none) through ops. */
void resolver_add_runtime(struct resolver *n, enum container_runtime kind, const char *socket,
                          const struct runtime_ops *ops);

/* Starts (or refreshes, if stale) the lookup of a container the agent watches. */
void resolver_track(struct resolver *n, const struct container_identity *id);
/* The container's cgroup is gone: stop retrying it. */
void resolver_untrack(struct resolver *n, const char *id);

/* Lookups queued or in flight. */
unsigned resolver_busy(const struct resolver *n);
