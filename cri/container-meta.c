/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one struct every runtime client fills (container-meta.h): ownership,
 * label lookup, the Kubernetes names kubelet writes into labels, and the
 * JSON-object-of-strings reader the Docker and CRI-O parsers share.
 */
#include "container-meta.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "identity.h"

static void labels_free(struct meta_label *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].key);
                free(v[i].value);
        }
        free(v);
}

void container_meta_done(struct container_meta *m)
{
        if (!m)
                return;
        free(m->id);
        free(m->name);
        free(m->image);
        free(m->pod_name);
        free(m->pod_namespace);
        free(m->pod_uid);
        free(m->pod_sandbox_id);
        free(m->k8s_container_name);
        labels_free(m->labels, m->n_labels);
        labels_free(m->annotations, m->n_annotations);
        *m = (struct container_meta){};
}

static const char *pairs_lookup(const struct meta_label *v, size_t n, const char *key)
{
        /* The first wins: container labels come before the pod's. */
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].key, key) == 0)
                        return v[i].value;
        return NULL;
}

const char *container_meta_label(const struct container_meta *m, const char *key)
{
        if (!m || !key)
                return NULL;
        return pairs_lookup(m->labels, m->n_labels, key);
}

const char *container_meta_annotation(const struct container_meta *m, const char *key)
{
        if (!m || !key)
                return NULL;
        return pairs_lookup(m->annotations, m->n_annotations, key);
}

/* Appends a copy of key=value to *v (n entries); *v and *n change only on success. */
static int pairs_add(struct meta_label **v, size_t *n, const char *key, const char *value)
{
        _cleanup_free_ char *k = NULL, *val = NULL;
        struct meta_label *grown;

        if (!key || !value)
                return -EINVAL;
        k = strdup(key);
        val = strdup(value);
        if (!k || !val)
                return -ENOMEM;
        /* Labels are few (tens): growing by one keeps the struct free of a capacity field. */
        grown = reallocarray(*v, *n + 1, sizeof(**v));
        if (!grown)
                return -ENOMEM;
        grown[*n] = (struct meta_label){TAKE_PTR(k), TAKE_PTR(val)};
        *v = grown;
        (*n)++;
        return 0;
}

int container_meta_add_label(struct container_meta *m, const char *key, const char *value)
{
        if (!m)
                return -EINVAL;
        return pairs_add(&m->labels, &m->n_labels, key, value);
}

int container_meta_add_annotation(struct container_meta *m, const char *key, const char *value)
{
        if (!m)
                return -EINVAL;
        return pairs_add(&m->annotations, &m->n_annotations, key, value);
}

/* Drops the entries appended after the first `keep`: undoes a partial append. */
static void pairs_truncate(struct meta_label *v, size_t *n, size_t keep)
{
        for (size_t i = keep; i < *n; i++) {
                free(v[i].key);
                free(v[i].value);
        }
        *n = keep;
}

static int pairs_add_json(struct meta_label **v, size_t *n, const json_t *object)
{
        const char *key;
        json_t *value;
        size_t keep = *n;

        if (!object || json_is_null(object))
                return 0;
        if (!json_is_object(object))
                return -EBADMSG;
        /* Every value is checked before anything is added: a bad map changes nothing. */
        json_object_foreach((json_t *) object, key,
                            value) if (!json_is_string(value)) return -EBADMSG;
        json_object_foreach((json_t *) object, key, value)
        {
                int r = pairs_add(v, n, key, json_string_value(value));
                if (r < 0) {
                        pairs_truncate(*v, n, keep);
                        return r;
                }
        }
        return 0;
}

int container_meta_add_labels_json(struct container_meta *m, const struct json_t *object)
{
        if (!m)
                return -EINVAL;
        return pairs_add_json(&m->labels, &m->n_labels, object);
}

int container_meta_add_annotations_json(struct container_meta *m, const struct json_t *object)
{
        if (!m)
                return -EINVAL;
        return pairs_add_json(&m->annotations, &m->n_annotations, object);
}

int container_meta_kubernetes_from_labels(struct container_meta *m)
{
        /* The label keys kubelet sets on every container it creates
         * (k8s.io/kubelet/pkg/types/labels.go). */
        static const char *const keys[] = {
                "io.kubernetes.pod.name",
                "io.kubernetes.pod.namespace",
                "io.kubernetes.pod.uid",
                "io.kubernetes.container.name",
        };
        char **fields[ELEMENTSOF(keys)];
        char *found[ELEMENTSOF(keys)] = {};

        if (!m)
                return -EINVAL;
        fields[0] = &m->pod_name;
        fields[1] = &m->pod_namespace;
        fields[2] = &m->pod_uid;
        fields[3] = &m->k8s_container_name;

        /* Copy everything first, then assign: on ENOMEM m is as it was. */
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v;

                if (*fields[i])
                        continue;
                v = container_meta_label(m, keys[i]);
                /* An empty label names nothing: the field stays NULL ("did not say"). */
                if (!v || !*v)
                        continue;
                found[i] = strdup(v);
                if (!found[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(found[j]);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (found[i])
                        *fields[i] = found[i];
        return 0;
}

static int strdup_or_null(const char *s, char **ret)
{
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int pairs_copy(const struct meta_label *v, size_t n, struct meta_label **ret)
{
        struct meta_label *c;

        *ret = NULL;
        if (n == 0)
                return 0;
        c = calloc(n, sizeof(*c));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i].key = strdup(v[i].key);
                c[i].value = strdup(v[i].value);
                if (!c[i].key || !c[i].value) {
                        labels_free(c, i + 1);
                        return -ENOMEM;
                }
        }
        *ret = c;
        return 0;
}

int container_meta_copy(const struct container_meta *m, struct container_meta *ret)
{
        _cleanup_(container_meta_done) struct container_meta c = {};
        int r;

        if (!m || !ret)
                return -EINVAL;
        c.sandbox = m->sandbox;
        if ((r = strdup_or_null(m->id, &c.id)) < 0 || (r = strdup_or_null(m->name, &c.name)) < 0 ||
            (r = strdup_or_null(m->image, &c.image)) < 0 ||
            (r = strdup_or_null(m->pod_name, &c.pod_name)) < 0 ||
            (r = strdup_or_null(m->pod_namespace, &c.pod_namespace)) < 0 ||
            (r = strdup_or_null(m->pod_uid, &c.pod_uid)) < 0 ||
            (r = strdup_or_null(m->pod_sandbox_id, &c.pod_sandbox_id)) < 0 ||
            (r = strdup_or_null(m->k8s_container_name, &c.k8s_container_name)) < 0)
                return r;
        r = pairs_copy(m->labels, m->n_labels, &c.labels);
        if (r < 0)
                return r;
        c.n_labels = m->n_labels;
        r = pairs_copy(m->annotations, m->n_annotations, &c.annotations);
        if (r < 0)
                return r;
        c.n_annotations = m->n_annotations;

        *ret = c;
        c = (struct container_meta){};
        return 0;
}

bool container_id_valid(const char *id)
{
        size_t n;

        if (!id)
                return false;
        n = strspn(id, "0123456789abcdef");
        return n == CONTAINER_ID_LEN && id[n] == '\0';
}
