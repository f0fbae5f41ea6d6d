/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * containerd's CRI (runtime.v1.RuntimeService) over gRPC: ListContainers with
 * the id as filter gives the container, its labels and its pod sandbox id;
 * ListPodSandbox gives the pod's name, namespace, uid and labels; ContainerStatus
 * the image by name (ListContainers has only what kubelet asked for, often an
 * image id). An id that is no container may be a pod's sandbox (pause) itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cri/cri.h"
#include "cri/grpc.h"
#include "resolver-internal.h"

typedef int (*cri_request_fn)(const char *id, uint8_t **ret, size_t *ret_len);

static int call(struct lookup *l, const char *path, cri_request_fn build, const char *arg,
                http_done_fn done)
{
        _cleanup_free_ uint8_t *body = NULL;
        size_t len;

        int r = build(arg, &body, &len);
        if (r < 0)
                return r;
        return http_grpc(l->rt->resolver->http, l->rt->socket, path, body, len,
                         l->rt->resolver->config.timeout_usec, done, l, &l->request);
}

/* The call's outcome: 0 with the response, or -errno with why in detail. */
static int call_result(const struct http_response *resp, char *detail, size_t size)
{
        int r = resolver_response_error(resp, detail, size);

        if (r < 0)
                return r;
        if (resp->grpc_status != 0) {
                snprintf(detail, size, "gRPC %s%s%s",
                         resp->grpc_status < 0 ? "status missing"
                                               : grpc_status_to_string(resp->grpc_status),
                         resp->grpc_message ? ": " : "",
                         resp->grpc_message ? resp->grpc_message : "");
                return resp->grpc_status < 0 ? -EPROTO : grpc_status_to_errno(resp->grpc_status);
        }
        return 0;
}

static void fail(struct lookup *l, int r, const char *what, const char *detail)
{
        char message[320];

        snprintf(message, sizeof(message), "%s: %s", what, detail ? detail : strerror(-r));
        lookup_finish(l, NULL, r, message);
}

static void on_status(const struct http_response *resp, void *userdata)
{
        struct lookup *l = userdata;
        char detail[256];
        char *image = NULL;

        /* The image name is a nicety: without it the lookup still stands. */
        if (call_result(resp, detail, sizeof(detail)) >= 0 &&
            cri_container_status_parse((const uint8_t *) resp->body, resp->body_len, &image) >= 0 &&
            image) {
                free(l->meta.image);
                l->meta.image = image;
        }
        lookup_finish(l, &l->meta, 0, NULL);
}

/* The pod's labels count for its containers, below their own (io.cgmem.policy on a pod). */
static int inherit_pod_labels(struct container_meta *m, const struct cri_pod *p)
{
        for (size_t i = 0; i < p->n_labels; i++)
                if (!container_meta_label(m, p->labels[i].key)) {
                        int r = container_meta_add_label(m, p->labels[i].key, p->labels[i].value);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* A ListPodSandbox answer's pods; a failure ends the lookup. */
static int pods_answer(struct lookup *l, const struct http_response *resp, struct cri_pod **ret,
                       size_t *ret_n)
{
        char detail[256];
        int r = call_result(resp, detail, sizeof(detail));

        if (r < 0) {
                fail(l, r, "ListPodSandbox", detail);
                return r;
        }
        r = cri_list_pod_sandbox_parse((const uint8_t *) resp->body, resp->body_len, ret, ret_n);
        if (r < 0)
                fail(l, r, "ListPodSandbox", NULL);
        return r;
}

static void on_container_pod(const struct http_response *resp, void *userdata)
{
        struct lookup *l = userdata;
        struct cri_pod *pods;
        size_t n;

        if (pods_answer(l, resp, &pods, &n) < 0)
                return;
        int r = n > 0 ? cri_meta_apply_pod(&l->meta, &pods[0]) : 0;
        if (r >= 0 && n > 0)
                r = inherit_pod_labels(&l->meta, &pods[0]);
        cri_pods_free(pods, n);
        if (r < 0)
                return fail(l, r, "ListPodSandbox", NULL);
        r = call(l, CRI_PATH_CONTAINER_STATUS, cri_container_status_request, l->id, on_status);
        if (r < 0)
                lookup_finish(l, &l->meta, 0, NULL);
}

static void on_sandbox(const struct http_response *resp, void *userdata)
{
        struct lookup *l = userdata;
        struct cri_pod *pods;
        struct container_meta meta = {0};
        size_t n;

        if (pods_answer(l, resp, &pods, &n) < 0)
                return;
        int r = n > 0 ? cri_pod_to_meta(&pods[0], &meta) : 0;
        cri_pods_free(pods, n);
        if (r < 0)
                return fail(l, r, "ListPodSandbox", NULL);
        /* Neither a container nor a pod: containerd does not know it (yet). */
        lookup_finish(l, n > 0 ? &meta : NULL, 0, NULL);
}

static void on_containers(const struct http_response *resp, void *userdata)
{
        struct lookup *l = userdata;
        struct container_meta *metas = NULL;
        size_t n = 0;
        char detail[256];

        int r = call_result(resp, detail, sizeof(detail));
        if (r < 0)
                return fail(l, r, "ListContainers", detail);
        r = cri_list_containers_parse((const uint8_t *) resp->body, resp->body_len, &metas, &n);
        if (r < 0)
                return fail(l, r, "ListContainers", NULL);
        for (size_t i = 0; i < n; i++)
                if (metas[i].id && strcmp(metas[i].id, l->id) == 0) {
                        l->meta = metas[i];
                        memset(&metas[i], 0, sizeof(metas[i]));
                        break;
                }
        container_metas_free(metas, n);
        if (!l->meta.id)
                r = call(l, CRI_PATH_LIST_POD_SANDBOX, cri_list_pod_sandbox_request, l->id,
                         on_sandbox);
        else if (l->meta.pod_sandbox_id)
                r = call(l, CRI_PATH_LIST_POD_SANDBOX, cri_list_pod_sandbox_request,
                         l->meta.pod_sandbox_id, on_container_pod);
        else
                r = call(l, CRI_PATH_CONTAINER_STATUS, cri_container_status_request, l->id,
                         on_status);
        if (r < 0)
                fail(l, r, "CRI call", NULL);
}

static int cri_lookup(struct runtime_api *rt, const char *id)
{
        struct lookup *l = lookup_new(rt, id);

        if (!l)
                return -ENOMEM;
        int r = call(l, CRI_PATH_LIST_CONTAINERS, cri_list_containers_request, id, on_containers);
        if (r < 0)
                fail(l, r, "ListContainers", NULL);
        return 0;
}

const struct runtime_ops cri_ops = {
        .lookup = cri_lookup,
};
