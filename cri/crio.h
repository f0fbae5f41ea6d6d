/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * CRI-O's own info endpoint, parsed without I/O: GET /containers/{id} on CRI-O's
 * socket (/var/run/crio/crio.sock) answers one JSON object per container, its
 * infra (pause) container included; it is plain HTTP, cheaper than CRI over gRPC.
 * The HTTP client lives elsewhere.
 */

#include <stddef.h>

#include "container-meta.h"

/*
 * The body of GET /containers/{id} for the container id (64 lowercase hex digits;
 * the body does not repeat it) into *ret (container_meta_done() it):
 *   name            "name" (CRI-O's k8s_<container>_<pod>_<namespace>_<uid>_<attempt>)
 *   image           "image" (some name of the image); else "image_ref" (its id)
 *   labels          "labels", annotations "annotations" (objects of strings, or null)
 *   pod_sandbox_id  "sandbox"
 *   sandbox         the container is its pod's infra container: the CRI-O annotation
 *                   io.kubernetes.cri-o.ContainerType is "sandbox" (in
 *                   "crio_annotations", where CRI-O puts it, or "annotations"), or
 *                   "sandbox" is the container's own id
 *   Kubernetes fields from the io.kubernetes.* labels.
 * Missing optional members (or JSON null, or "") leave their fields NULL; other
 * members are ignored. -EBADMSG for malformed JSON or a wrong type where a string
 * or an object is read; -EINVAL for a NULL argument or an invalid id; -ENOMEM.
 * *ret is written only on success.
 */
int crio_parse_container_info(const char *id, const char *json, size_t len,
                              struct container_meta *ret);
