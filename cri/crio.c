/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRI-O's GET /containers/{id} (crio.h).
 *
 * The shape is CRI-O's pkg/types.ContainerInfo as CRI-O 1.28 writes it with
 * json-iterator (server/inspect.go, getContainerInfo()):
 *
 *   {"name":..., "pid":..., "image":..., "image_ref":..., "created_time":...,
 *    "labels":{...}, "annotations":{...}, "crio_annotations":{...},
 *    "log_path":..., "root":..., "sandbox":..., "ip_addresses":[...]}
 *
 * Older releases lack image_ref, crio_annotations or ip_addresses (or have
 * "ip_address"), newer ones add members such as "host_network": none of that
 * matters here, members we do not read are ignored. "annotations" are the CRI
 * (kubelet's) annotations; "crio_annotations" are the OCI spec's, where CRI-O
 * writes io.kubernetes.cri-o.ContainerType. For an infra container "image" and
 * "image_ref" are empty and "sandbox" is the container's own id.
 */
#include "crio.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "json-member.h"

/* Why these flags: docker.c, DOCKER_JSON_FLAGS. */
#define CRIO_JSON_FLAGS (JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES)

#define ANNOTATION_CONTAINER_TYPE         "io.kubernetes.cri-o.ContainerType"
#define ANNOTATION_CONTAINER_TYPE_SANDBOX "sandbox"

/* Whether map (an object of strings, or missing/null) says this is an infra container. */
static int map_says_sandbox(const json_t *root, const char *key, bool *ret)
{
        json_t *map = json_object_get(root, key);
        const char *type;

        *ret = false;
        if (!map || json_is_null(map))
                return 0;
        if (!json_is_object(map))
                return -EBADMSG;
        if (json_member_string(map, ANNOTATION_CONTAINER_TYPE, &type) < 0)
                return -EBADMSG;
        *ret = type && strcmp(type, ANNOTATION_CONTAINER_TYPE_SANDBOX) == 0;
        return 0;
}

int crio_parse_container_info(const char *id, const char *json, size_t len,
                              struct container_meta *ret)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        json_auto_t *root = NULL;
        json_error_t error;
        const char *name, *image, *image_ref, *sandbox;
        bool in_crio = false, in_cri = false;
        int r;

        if (!id || !json || !ret || !container_id_valid(id))
                return -EINVAL;
        root = json_loadb(json, len, CRIO_JSON_FLAGS, &error);
        if (!json_is_object(root))
                return -EBADMSG;

        if (json_member_string(root, "name", &name) < 0 ||
            json_member_string(root, "image", &image) < 0 ||
            json_member_string(root, "image_ref", &image_ref) < 0 ||
            json_member_string(root, "sandbox", &sandbox) < 0)
                return -EBADMSG;
        if (map_says_sandbox(root, "crio_annotations", &in_crio) < 0 ||
            map_says_sandbox(root, "annotations", &in_cri) < 0)
                return -EBADMSG;

        m.id = strdup(id);
        if (!m.id)
                return -ENOMEM;
        if ((r = json_member_set_string(&m.name, name)) < 0 ||
            (r = json_member_set_string(&m.image, image && *image ? image : image_ref)) < 0 ||
            (r = json_member_set_string(&m.pod_sandbox_id, sandbox)) < 0)
                return r;
        m.sandbox = in_crio || in_cri || (sandbox && strcmp(sandbox, id) == 0);
        if ((r = container_meta_add_labels_json(&m, json_object_get(root, "labels"))) < 0 ||
            (r = container_meta_add_annotations_json(&m, json_object_get(root, "annotations"))) < 0)
                return r;
        if ((r = container_meta_kubernetes_from_labels(&m)) < 0)
                return r;

        *ret = m;
        m = (struct container_meta){};
        return 0;
}
