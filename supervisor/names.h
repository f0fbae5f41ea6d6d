/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Container names from the runtimes' APIs, on the agent's loop: Docker and
 * podman (Engine API), containerd (CRI over gRPC), CRI-O (its info endpoint).
 * The agent tracks the containers it sees; this module looks them up in the
 * background, keeps the answers in a cache, retries what the runtime did not
 * know yet, follows Docker's event stream, and calls back when a container's
 * names are learned. Nothing here blocks: events take whatever the cache holds
 * (names_get) and never wait for a lookup. A runtime that is down or hung costs
 * one log line and a back-off, never a stalled loop.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cri/container-meta.h"
#include "cri/identity.h"

struct names_config {
        const char *docker_socket; /* "" or NULL: not asked */
        const char *podman_socket;
        const char *containerd_socket;
        const char *crio_socket;
        uint64_t timeout_usec;   /* one request, connect to answer */
        uint64_t ttl_usec;       /* a known container, before it is asked again */
        uint64_t retry_max_usec; /* an unknown one is retried up to this far apart */
        bool quiet_absent;       /* say nothing of a runtime whose socket is not there */
};

struct names;

/* Runs when a tracked container's names were learned or changed. */
typedef void (*names_learned_fn)(const char *id, const struct container_meta *meta, void *userdata);

/* learned may be NULL. Logs through the supervisor's log; the runtimes' clients never do. */
int names_new(sd_event *loop, const struct names_config *cfg, names_learned_fn learned,
              void *userdata, struct names **ret);
void names_free(struct names *n);

/* n may be NULL in these three: no runtime is asked, nothing is known. */

/* Starts (or refreshes, if stale) the lookup of a container the agent watches. */
void names_track(struct names *n, const struct container_identity *id);
/* The container's cgroup is gone: stop retrying it. */
void names_untrack(struct names *n, const char *id);

/* What the cache knows about id, or NULL. Never starts I/O. */
const struct container_meta *names_get(struct names *n, const char *id);

/* Lookups queued or in flight: `cgmem ps` waits until none are left. */
unsigned names_busy(const struct names *n);
