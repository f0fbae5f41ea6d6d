/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Container identity from the cgroup path alone: which runtime made the cgroup,
 * the container id, the systemd unit, the Kubernetes pod and its QoS class.
 * Pure: no I/O, no allocation. Names and labels come later from the runtimes'
 * APIs (supervisor/names/, ARCHITECTURE.md); this is what we know without them.
 */

#include <stdbool.h>

enum container_runtime {
        RUNTIME_UNKNOWN,
        RUNTIME_DOCKER,
        RUNTIME_CONTAINERD,
        RUNTIME_CRIO,
        RUNTIME_PODMAN,
        RUNTIME_SYSTEMD, /* a plain service or scope */
        RUNTIME_MACHINE, /* systemd-nspawn or libvirt under machine.slice */
};

enum pod_qos {
        POD_QOS_NONE,
        POD_QOS_GUARANTEED,
        POD_QOS_BURSTABLE,
        POD_QOS_BESTEFFORT,
};

#define CONTAINER_ID_LEN 64  /* runtimes' full ids: 64 lowercase hex digits */
#define POD_UID_MAX      36  /* a UUID with dashes; static pods have 32 hex digits */
#define UNIT_NAME_MAX    255 /* systemd's UNIT_NAME_MAX minus the NUL */

struct container_identity {
        enum container_runtime runtime;
        char id[CONTAINER_ID_LEN + 1]; /* full container id when known, else "" */
        char unit[UNIT_NAME_MAX + 1];  /* the systemd unit when the cgroup is one, else "" */
        char pod_uid[POD_UID_MAX + 1]; /* dashes restored; "" when not in a pod */
        enum pod_qos qos;              /* of the pod, or of a kubepods QoS slice */
        bool monitor;                  /* conmon's scope: watches the container, is not it */
};

/*
 * Identifies the cgroup at path, relative to the cgroup root (one leading slash,
 * as /proc/<pid>/cgroup writes it, is accepted). Returns 0 and fills *ret; a shape
 * it does not know is 0 with everything empty and RUNTIME_UNKNOWN: the caller
 * keeps the path as the name. -EINVAL for NULL arguments or a path of PATH_MAX
 * bytes or more.
 */
int identity_from_path(const char *path, struct container_identity *ret);

/* "docker", "containerd", "cri-o", "podman", "systemd", "machine"; NULL for unknown. */
const char *container_runtime_to_string(enum container_runtime r);
/* And back; RUNTIME_UNKNOWN for NULL or a name it does not know. */
enum container_runtime container_runtime_from_string(const char *s);

/* "guaranteed", "burstable", "besteffort" (Kubernetes' class names, lowercased); NULL for none. */
const char *pod_qos_to_string(enum pod_qos q);
