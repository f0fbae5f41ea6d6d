/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Docker Engine API bodies cgmem reads, parsed without I/O: GET /version (to
 * pick the API version every later path starts with), GET /v1.xx/containers/{id}/json
 * (name, image, labels) and the lines of GET /v1.xx/events. Podman's
 * Docker-compatible API answers in the same shapes. The HTTP client lives elsewhere.
 */

#include <stddef.h>

#include "container-meta.h"
#include "identity.h"

/*
 * The API versions we speak. 1.24 (Docker 1.12) is where every field read below
 * exists (events' Type/Action/Actor came in 1.22) and the oldest Docker 25 to 28
 * still accept; 1.47 (Docker 27) is the newest we speak: Docker 29 refuses every
 * version below 1.44 (its MinAPIVersion), and the fields we read (Id, Name, Image,
 * Config.Image, Config.Labels; the events' Type, Action and Actor.ID) are the same
 * from 1.24 to 1.52, which only dropped the events' legacy status and id.
 */
#define DOCKER_API_VERSION_MAX "1.47"
#define DOCKER_API_VERSION_MIN "1.24"

/*
 * From the body of GET /version, the version to put in request paths: the lower
 * of DOCKER_API_VERSION_MAX and the daemon's ApiVersion, written to ret as
 * "major.minor" (NUL-terminated). -ENOTSUP when the two ranges do not overlap:
 * the daemon's ApiVersion is below DOCKER_API_VERSION_MIN, or its MinAPIVersion
 * (when it says one) is above the version we would use. -EBADMSG for malformed
 * JSON or an ApiVersion/MinAPIVersion that is missing (ApiVersion only) or not a
 * "major.minor" string of decimal numbers (no sign, no leading zeros, at most 6
 * digits each). Versions compare numerically: 1.9 < 1.24. -EINVAL for a NULL body.
 * ret is written only on success.
 */
int docker_negotiate_version(const char *version_json, size_t len, char ret[static 16]);

/*
 * The same from the API-Version header of GET /_ping, which Docker and podman
 * send on every answer: cheap where /version is not (podman's runs dpkg-query or
 * rpm for each of its components, a few seconds and tens of MiB each). The
 * header says no minimum, which matters only when the daemon is newer than
 * DOCKER_API_VERSION_MAX: then -ERANGE, and /version must say. -EBADMSG for
 * NULL or a malformed version, -ENOTSUP as above.
 */
int docker_negotiate_ping(const char *api_version, char ret[static 16]);

/*
 * The body of GET /v1.xx/containers/{id}/json into *ret (container_meta_done() it):
 *   id       Id, required, 64 lowercase hex digits
 *   name     Name without its leading '/'
 *   image    Config.Image, the image as the user named it; else the top-level Image
 *            (the image id, "sha256:...")
 *   labels   Config.Labels (an object of strings, or null)
 *   sandbox  label io.kubernetes.docker.type is "podsandbox" (cri-dockerd/dockershim)
 *   Kubernetes fields from the io.kubernetes.* labels kubelet sets; pod_sandbox_id
 *   from io.kubernetes.sandbox.id, or the container's own id for a sandbox; and for
 *   such a container the pod's and container's annotations, which cri-dockerd keeps
 *   as labels prefixed "annotation.", as annotations without the prefix.
 * Missing optional parts (or JSON null) leave their fields NULL. -EBADMSG for
 * malformed JSON, a missing or invalid Id, or a wrong type where a string or an
 * object is read; -ENOMEM; -EINVAL for NULL arguments. *ret is written only on
 * success.
 */
int docker_parse_inspect(const char *json, size_t len, struct container_meta *ret);

enum docker_event_action {
        DOCKER_EVENT_OTHER, /* attach, kill, oom, stop, exec_start: ..., health_status: ..., ... */
        DOCKER_EVENT_CREATE,
        DOCKER_EVENT_START,
        DOCKER_EVENT_RENAME,
        DOCKER_EVENT_UPDATE,
        DOCKER_EVENT_DIE,
        DOCKER_EVENT_DESTROY,
};

struct docker_event {
        enum docker_event_action action;
        char id[CONTAINER_ID_LEN + 1];
};

/*
 * One line of GET /v1.xx/events (one JSON object; a trailing newline is fine).
 * Returns 0 and fills *ret for a container event: Action (an exact match, so
 * "exec_start: sh" is DOCKER_EVENT_OTHER; the legacy "status" when there is no
 * Action) and Actor.ID (the legacy "id" when there is none), which must be 64
 * lowercase hex digits. -ENOMSG for an event of another Type (network, image,
 * volume, ...): skip it. -EBADMSG for malformed JSON, a missing Type, or a bad
 * action or id. -EINVAL for NULL arguments. *ret is written only on success.
 */
int docker_parse_event(const char *line, size_t len, struct docker_event *ret);

/* "create", "start", ...; "other" for DOCKER_EVENT_OTHER; NULL when out of range. */
const char *docker_event_action_to_string(enum docker_event_action a);
