/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Container names from the runtimes' APIs, for the agent and for cgmem ps/top.
 * The lookups run in a helper process, cgmem-names (names-helper.c, resolver.c),
 * started here and restarted with a back-off when it dies; this side keeps what
 * it was told. Nothing here blocks: events take whatever is known (names_get) and
 * never wait for a lookup, and a helper that is slow, hung or gone costs names,
 * never the loop.
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

/* Runs when a tracked container's names were learned or changed (not when a lookup
 * only confirmed them). */
typedef void (*names_learned_fn)(const char *id, const struct container_meta *meta, void *userdata);

/* learned may be NULL. With no socket configured, no helper is started and nothing is
 * ever known. Fails only on a lack of memory or of the loop's resources: a helper that
 * cannot start is said in the log and tried again later. */
int names_new(sd_event *loop, const struct names_config *cfg, names_learned_fn learned,
              void *userdata, struct names **ret);
void names_free(struct names *n);

/* SIGHUP: a configuration that differs restarts the helper with it; what is known stays
 * known. Returns 0 or -ENOMEM (the old configuration stays). */
int names_reconfigure(struct names *n, const struct names_config *cfg);

/* n may be NULL in these three: no runtime is asked, nothing is known. */

/* Has the helper look up a container the agent watches; a repeated call costs a hash
 * lookup. The helper follows what changes (Docker's events) and refreshes after ttl. */
void names_track(struct names *n, const struct container_identity *id);
/* The container's cgroup is gone: stop asking, forget what was known. */
void names_untrack(struct names *n, const char *id);

/* What the helper said of id, or NULL. Never starts I/O. */
const struct container_meta *names_get(struct names *n, const char *id);

/* Times a helper was started after the first: it died, hung, or its configuration changed. */
uint64_t names_restarts(const struct names *n);

/* Lookups queued or in flight, and messages the helper has not handled yet: `cgmem ps`
 * waits until none are left. 0 while no helper runs. */
unsigned names_busy(const struct names *n);
