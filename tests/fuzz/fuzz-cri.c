/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the CRI message layer. Each input goes to grpc_unframe(), to
 * every *_parse() both as a whole response body and as the message of a frame
 * built around it (so the fuzzer reaches the protobuf decoder without having to
 * get the frame header right), to grpc_status_parse() and to
 * grpc_message_decode(). What comes out must look like what cri.h promises.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/cri.h"
#include "cri/grpc.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool parse_error_ok(int r)
{
        return r == -EBADMSG || r == -ENODATA || r == -ENOTSUP || r == -EMSGSIZE || r == -ENOMEM;
}

/* Set strings are never empty; unset ones are NULL. */
static void check_string(const char *s)
{
        if (s && !*s)
                abort();
}

/* Sorted by key, each key once, no empty key: what the parsers make of a map. */
static void check_map(const struct meta_label *v, size_t n)
{
        if ((n == 0) != (v == NULL))
                abort();
        for (size_t i = 0; i < n; i++) {
                if (!v[i].key || !v[i].value || !*v[i].key)
                        abort();
                if (i > 0 && strcmp(v[i - 1].key, v[i].key) >= 0)
                        abort();
        }
}

static void check_containers(struct container_meta *v, size_t n, const struct cri_pod *pods,
                             size_t n_pods)
{
        if ((n == 0) != (v == NULL))
                abort();
        for (size_t i = 0; i < n; i++) {
                struct container_meta *m = &v[i];
                if (!m->id || !*m->id || m->sandbox)
                        abort();
                check_string(m->name);
                check_string(m->image);
                check_string(m->pod_name);
                check_string(m->pod_namespace);
                check_string(m->pod_uid);
                check_string(m->pod_sandbox_id);
                check_string(m->k8s_container_name);
                check_map(m->labels, m->n_labels);
                check_map(m->annotations, m->n_annotations);
                /* metadata.name is both; a label may name the container when it is absent. */
                if (m->name &&
                    (!m->k8s_container_name || strcmp(m->name, m->k8s_container_name) != 0))
                        abort();

                /* Joining a pod: never loses what the container said. */
                const struct cri_pod *p = m->pod_sandbox_id
                                                  ? cri_pod_find(pods, n_pods, m->pod_sandbox_id)
                                                  : (n_pods ? &pods[0] : NULL);
                if (!p)
                        continue;
                size_t n_labels = m->n_labels;
                int r = cri_meta_apply_pod(m, p);
                if (r == 0) {
                        if (m->n_labels < n_labels || !m->pod_sandbox_id)
                                abort();
                } else if (r != -ENOMEM && r != -EINVAL) {
                        abort();
                }
        }
}

static void check_pods(const struct cri_pod *v, size_t n)
{
        if ((n == 0) != (v == NULL))
                abort();
        for (size_t i = 0; i < n; i++) {
                if (!v[i].id || !*v[i].id)
                        abort();
                check_string(v[i].name);
                check_string(v[i].namespace_name);
                check_string(v[i].uid);
                check_map(v[i].labels, v[i].n_labels);
                if (cri_pod_find(v, n, v[i].id) > &v[i])
                        abort();

                struct container_meta m;
                int r = cri_pod_to_meta(&v[i], &m);
                if (r == -ENOMEM)
                        continue;
                if (r != 0 || !m.sandbox || strcmp(m.id, v[i].id) != 0 ||
                    m.n_labels != v[i].n_labels)
                        abort();
                container_meta_done(&m);
        }
}

/* Every parser over one response body. */
static void parse_body(const uint8_t *body, size_t len)
{
        struct cri_pod *pods = NULL;
        size_t n_pods = 0;
        int r = cri_list_pod_sandbox_parse(body, len, &pods, &n_pods);
        if (r == 0)
                check_pods(pods, n_pods);
        else if (!parse_error_ok(r))
                abort();

        struct container_meta *containers = NULL;
        size_t n_containers = 0;
        r = cri_list_containers_parse(body, len, &containers, &n_containers);
        if (r == 0) {
                check_containers(containers, n_containers, pods, n_pods);
                container_metas_free(containers, n_containers);
        } else if (!parse_error_ok(r)) {
                abort();
        }
        cri_pods_free(pods, n_pods);

        char *image = NULL;
        r = cri_container_status_parse(body, len, &image);
        if (r == 0) {
                if (!image || !*image)
                        abort();
                free(image);
        } else if (!parse_error_ok(r) && r != -ENOENT) {
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *buf = (uint8_t *) fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        const uint8_t *msg;
        size_t msg_len;
        int r = grpc_unframe(buf, size, &msg, &msg_len);
        if (r == 0) {
                if (msg != buf + GRPC_FRAME_HEADER_SIZE || msg_len + GRPC_FRAME_HEADER_SIZE != size)
                        abort();
        } else if (r != -EBADMSG && r != -ENODATA && r != -ENOTSUP && r != -EMSGSIZE) {
                abort();
        }
        parse_body(buf, size);

        uint8_t *framed;
        size_t framed_len;
        if (grpc_frame(buf, size, &framed, &framed_len) == 0) {
                if (framed_len != size + GRPC_FRAME_HEADER_SIZE)
                        abort();
                r = grpc_unframe(framed, framed_len, &msg, &msg_len);
                if (r != 0 || msg_len != size || (size && memcmp(msg, buf, size) != 0))
                        abort();
                parse_body(framed, framed_len);
                free(framed);
        }

        int code = -1;
        r = grpc_status_parse((const char *) buf, size, &code);
        if (r == 0) {
                if (code < 0 || code > GRPC_STATUS_MAX || !grpc_status_to_string(code))
                        abort();
                if ((grpc_status_to_errno(code) == 0) != (code == GRPC_STATUS_OK))
                        abort();
        } else if (r != -EINVAL && r != -ERANGE) {
                abort();
        }

        char *text = NULL;
        r = grpc_message_decode((const char *) buf, size, &text);
        if (r == 0) {
                /* Decoding never grows, and percent-free text comes back as it was. */
                size_t n = strlen(text);
                if (n > size)
                        abort();
                if (!memchr(buf, '%', size) && (n != size || memcmp(text, buf, size) != 0))
                        abort();
                free(text);
        } else if (r != -EINVAL && r != -ENOMEM) {
                abort();
        } else if (r == -EINVAL && !memchr(buf, '\0', size)) {
                abort();
        }

        free(buf);
        return 0;
}
