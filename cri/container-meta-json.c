/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * container_meta as a JSON object and back: how the cgmem-names helper hands the
 * agent what a runtime said (supervisor/names-wire.h). Labels travel as an array
 * of [key, value] pairs, not an object, so that their order and repeated keys (a
 * container's label before its pod's) survive the trip.
 */
#include "container-meta.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <string.h>

#include "cgroupfs/macro.h"

static const struct {
        const char *key;
        size_t offset;
} string_fields[] = {
        {"id", offsetof(struct container_meta, id)},
        {"name", offsetof(struct container_meta, name)},
        {"image", offsetof(struct container_meta, image)},
        {"pod_name", offsetof(struct container_meta, pod_name)},
        {"pod_namespace", offsetof(struct container_meta, pod_namespace)},
        {"pod_uid", offsetof(struct container_meta, pod_uid)},
        {"pod_sandbox_id", offsetof(struct container_meta, pod_sandbox_id)},
        {"k8s_container_name", offsetof(struct container_meta, k8s_container_name)},
};

static char **string_field(struct container_meta *m, size_t i)
{
        return (char **) ((char *) m + string_fields[i].offset);
}

static json_t *pairs_to_json(const struct meta_label *v, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_pack("[ss]", v[i].key, v[i].value)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int set_pairs(json_t *o, const char *key, const struct meta_label *v, size_t n)
{
        return n == 0 ? 0 : json_object_set_new(o, key, pairs_to_json(v, n));
}

json_t *container_meta_to_json(const struct container_meta *m)
{
        json_t *o = json_object();
        int r = o ? 0 : -1;

        for (size_t i = 0; r == 0 && i < ELEMENTSOF(string_fields); i++) {
                const char *s = *string_field((struct container_meta *) m, i);
                if (s)
                        r = json_object_set_new(o, string_fields[i].key, json_string(s));
        }
        if (r == 0 && m->sandbox)
                r = json_object_set_new(o, "sandbox", json_true());
        if (r == 0)
                r = set_pairs(o, "labels", m->labels, m->n_labels);
        if (r == 0)
                r = set_pairs(o, "annotations", m->annotations, m->n_annotations);
        if (r < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

typedef int (*pair_add_fn)(struct container_meta *m, const char *key, const char *value);

static int pairs_from_json(struct container_meta *m, const json_t *a, pair_add_fn add)
{
        size_t i;
        const json_t *pair;

        if (!a)
                return 0;
        if (!json_is_array(a))
                return -EBADMSG;
        json_array_foreach(a, i, pair)
        {
                const json_t *k = json_array_get(pair, 0), *v = json_array_get(pair, 1);
                if (json_array_size(pair) != 2 || !json_is_string(k) || !json_is_string(v))
                        return -EBADMSG;
                int r = add(m, json_string_value(k), json_string_value(v));
                if (r < 0)
                        return r;
        }
        return 0;
}

int container_meta_from_json(const json_t *o, struct container_meta *ret)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        const json_t *sandbox;
        int r;

        if (!json_is_object(o))
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++) {
                const json_t *s = json_object_get(o, string_fields[i].key);
                if (!s)
                        continue;
                if (!json_is_string(s))
                        return -EBADMSG;
                *string_field(&m, i) = strdup(json_string_value(s));
                if (!*string_field(&m, i))
                        return -ENOMEM;
        }
        sandbox = json_object_get(o, "sandbox");
        if (sandbox && !json_is_boolean(sandbox))
                return -EBADMSG;
        m.sandbox = json_is_true(sandbox);
        if ((r = pairs_from_json(&m, json_object_get(o, "labels"), container_meta_add_label)) < 0 ||
            (r = pairs_from_json(&m, json_object_get(o, "annotations"),
                                 container_meta_add_annotation)) < 0)
                return r;
        *ret = m;
        m = (struct container_meta){};
        return 0;
}
