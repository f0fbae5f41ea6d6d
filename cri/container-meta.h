/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a runtime's API says about one container: its name, image, labels and,
 * inside Kubernetes, its pod. Every runtime client (Docker, CRI, CRI-O) fills
 * this one struct, so the cache, the events and the tables need not know which
 * runtime spoke. All strings are owned (malloc'd), NULL when the runtime did
 * not say.
 */

#include <stdbool.h>
#include <stddef.h>

struct meta_label {
        char *key;
        char *value;
};

struct container_meta {
        char *id;     /* the full id, as the runtime knows it */
        char *name;   /* Docker's name without its leading '/', CRI's metadata.name */
        char *image;  /* the image as the user named it ("busybox:latest"), else its id */
        bool sandbox; /* a pod's pause/infra container */

        /* Kubernetes, when the container is in a pod (CRI metadata or io.kubernetes.* labels). */
        char *pod_name;
        char *pod_namespace;
        char *pod_uid;
        char *pod_sandbox_id;
        char *k8s_container_name;

        struct meta_label *labels; /* container labels, then the pod's where CRI has them */
        size_t n_labels;
        struct meta_label *annotations;
        size_t n_annotations;
};

void container_meta_done(struct container_meta *m);

/* The value of label key, or NULL. The first wins when a key repeats (the container's
 * label before its pod's). */
const char *container_meta_label(const struct container_meta *m, const char *key);
/* The same for annotations. */
const char *container_meta_annotation(const struct container_meta *m, const char *key);

/* Appends a copy of key=value. Returns 0, -ENOMEM, or -EINVAL for a NULL argument; m
 * changes only on success. */
int container_meta_add_label(struct container_meta *m, const char *key, const char *value);
int container_meta_add_annotation(struct container_meta *m, const char *key, const char *value);

/*
 * Appends every member of a JSON object of strings (Docker's Config.Labels, CRI-O's
 * labels) in the object's order. NULL or JSON null adds nothing. -EBADMSG when it is
 * not an object or a value is not a string, -ENOMEM; m changes only on success.
 * (jansson's json_t, declared here so users of this header need not include jansson.h.)
 */
struct json_t;
int container_meta_add_labels_json(struct container_meta *m, const struct json_t *object);
int container_meta_add_annotations_json(struct container_meta *m, const struct json_t *object);

/*
 * Fills the Kubernetes fields still NULL from the labels kubelet puts on every
 * container it creates (io.kubernetes.pod.name, .pod.namespace, .pod.uid,
 * .container.name): how a Docker (cri-dockerd) or CRI-O container names its pod.
 * Fields already set are kept; an empty label sets nothing. A sandbox gets
 * k8s_container_name "POD", the name kubelet's runtimes give it. Returns 0 or
 * -ENOMEM (m untouched).
 */
int container_meta_kubernetes_from_labels(struct container_meta *m);

/*
 * The struct as a JSON object, for the helper's messages (container-meta-json.c):
 * the strings that are set, "sandbox" when true, "labels" and "annotations" as
 * arrays of [key, value]. NULL when out of memory.
 */
struct json_t *container_meta_to_json(const struct container_meta *m);
/* And back: -EBADMSG when o is not such an object (unknown members are ignored),
 * -ENOMEM; *ret is written only on success. */
int container_meta_from_json(const struct json_t *o, struct container_meta *ret);

/* Deep copy. Returns 0 or -ENOMEM (and *ret untouched). */
int container_meta_copy(const struct container_meta *m, struct container_meta *ret);

/* A runtime's full container id: exactly 64 lowercase hex digits. */
bool container_id_valid(const char *id);
