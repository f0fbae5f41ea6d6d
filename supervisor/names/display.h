/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What cgmem ps and top show of who lives in a cgroup. */

#include <stddef.h>

#include "cri/container-meta.h"
#include "cri/identity.h"

/*
 * The container's name: Kubernetes' container name ("(pod)" for a pod's
 * sandbox), else the runtime's; until a runtime answers, the short container id
 * or the systemd unit; else fallback. m may be NULL.
 */
void names_display_name(const struct container_identity *id, const struct container_meta *m,
                        const char *fallback, char *buf, size_t size);

/* Its pod: "namespace/name" from the runtime, the short pod uid until then, "" outside pods. */
void names_display_pod(const struct container_identity *id, const struct container_meta *m,
                       char *buf, size_t size);
