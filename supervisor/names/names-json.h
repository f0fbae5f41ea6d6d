/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A container's identity as events and `cgmem ps --json` show it: "container"
 * (runtime, id, name, image, unit; labels on request) and "kubernetes"
 * (namespace, pod name/uid/qos, container name). deploy/events.schema.json has
 * the contract.
 */

#include <jansson.h>
#include <stdbool.h>

#include "cri/container-meta.h"
#include "cri/identity.h"

/* meta may be NULL: what the cgroup path tells, names null. */
json_t *names_container_json(const struct container_identity *id, const struct container_meta *m,
                             bool with_labels);

/* NULL when the container is in no pod. */
json_t *names_kubernetes_json(const struct container_identity *id, const struct container_meta *m);
