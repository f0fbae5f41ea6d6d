/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Kubernetes CRI (runtime.v1.RuntimeService) messages cgmem sends to
 * containerd or CRI-O and the answers it reads, without the transport: requests
 * come back gRPC-framed, ready to POST as the body of an HTTP/2 request to the
 * path below with content-type application/grpc; answers are taken as the raw
 * response body (still framed). Pure: no I/O, no logging. Messages are defined
 * in cri/cri.proto.
 *
 * Every *_parse returns -EBADMSG for a body that is not one well-formed message
 * of its type (protobuf-c's decoder does not tell a malformed message from an
 * allocation failure inside it, so that too is -EBADMSG), -ENODATA for an empty
 * body (look at grpc-status), -ENOTSUP / -EMSGSIZE as grpc_unframe(), -ENOMEM,
 * -EINVAL for NULL arguments; the outputs are written only on success. The
 * messages have no recursion, so decoding depth is bounded by the schema.
 *
 * Strings the runtime left empty are NULL in the results. Map fields (labels,
 * annotations) come out sorted by key, each key once: the last value wins, as
 * for a protobuf map; an entry with an empty key is dropped.
 */

#include <stddef.h>
#include <stdint.h>

#include "container-meta.h"

#define CRI_PATH_LIST_CONTAINERS  "/runtime.v1.RuntimeService/ListContainers"
#define CRI_PATH_LIST_POD_SANDBOX "/runtime.v1.RuntimeService/ListPodSandbox"
#define CRI_PATH_CONTAINER_STATUS "/runtime.v1.RuntimeService/ContainerStatus"

/* A pod sandbox as ListPodSandbox describes it. */
struct cri_pod {
        char *id; /* the sandbox id (the pause container's) */
        char *name;
        char *namespace_name;
        char *uid;
        struct meta_label *labels;
        size_t n_labels;
};

/*
 * ListContainersRequest for the container with this id (containerd also
 * accepts a unique prefix), or for every container when id is NULL. Returns 0,
 * -EINVAL for an empty id (the runtime would read it as "all") or NULL outputs,
 * -ENOMEM.
 */
int cri_list_containers_request(const char *id, uint8_t **ret, size_t *ret_len);

/*
 * The containers of a ListContainersResponse, each as a container_meta: id,
 * pod_sandbox_id, name and k8s_container_name from metadata.name, image (see
 * below), labels and annotations, then the Kubernetes pod fields from kubelet's
 * io.kubernetes.* labels. A container without an id is skipped. *ret is a
 * malloc'd array (NULL when *ret_n is 0), freed with container_metas_free().
 *
 * The image is the first of: image.user_specified_image (the pod spec's words,
 * kubelet 1.29+), image.image when it is a name rather than an image id,
 * image_ref when it is a name ("repo@sha256:..."), image.image, image_ref.
 */
int cri_list_containers_parse(const uint8_t *body, size_t len, struct container_meta **ret,
                              size_t *ret_n);

/* Frees n container_metas and the array. NULL is fine. */
void container_metas_free(struct container_meta *v, size_t n);

/* ListPodSandboxRequest for the sandbox with this id, or every sandbox when NULL. As above. */
int cri_list_pod_sandbox_request(const char *id, uint8_t **ret, size_t *ret_len);

/*
 * The sandboxes of a ListPodSandboxResponse (items without an id are skipped).
 * *ret is a malloc'd array (NULL when *ret_n is 0), freed with cri_pods_free().
 */
int cri_list_pod_sandbox_parse(const uint8_t *body, size_t len, struct cri_pod **ret,
                               size_t *ret_n);

void cri_pods_free(struct cri_pod *v, size_t n);

/* The pod with this sandbox id in v, or NULL. */
const struct cri_pod *cri_pod_find(const struct cri_pod *v, size_t n, const char *id);

/*
 * ContainerStatusRequest (not verbose) for the container with this id. Returns 0,
 * -EINVAL for a NULL or empty id or NULL outputs, -ENOMEM.
 */
int cri_container_status_request(const char *id, uint8_t **ret, size_t *ret_len);

/*
 * The image name of a ContainerStatusResponse, chosen as for ListContainers:
 * containerd puts the image's first repo tag in status.image.image here, where
 * ListContainers only has the image id. Returns 0 and a malloc'd string, -ENOENT
 * when the response has no status, -ENODATA when the status names no image, and
 * the errors above.
 */
int cri_container_status_parse(const uint8_t *body, size_t len, char **ret_image);

/*
 * Adds what the pod knows to a container of it: pod_name, pod_namespace, pod_uid
 * and pod_sandbox_id where still NULL, then the pod's labels whose keys the
 * container does not have, after the container's own. Returns 0; -EINVAL when the
 * container names another sandbox than p->id; -ENOMEM, and then m is unchanged.
 */
int cri_meta_apply_pod(struct container_meta *m, const struct cri_pod *p);

/*
 * A container_meta for the cgroup of the pod's sandbox (its pause container)
 * itself: id and pod_sandbox_id are the pod's id, sandbox is true, name and
 * pod_name the pod's name, pod_namespace, pod_uid, and the pod's labels.
 * Returns 0, -EINVAL when the pod has no id, -ENOMEM (and *ret untouched).
 */
int cri_pod_to_meta(const struct cri_pod *p, struct container_meta *ret);
