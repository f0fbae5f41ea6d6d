/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names-json.h"

#include "base/json-util.h"

static json_t *labels_json(const struct container_meta *m)
{
        json_t *o = json_object();

        for (size_t i = 0; o && i < m->n_labels; i++)
                if (json_object_set_new(o, m->labels[i].key, json_string(m->labels[i].value)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

/* Who the container is: its cgroup path tells the runtime and id, the runtime's API the rest. */
json_t *names_container_json(const struct container_identity *id, const struct container_meta *m,
                             bool with_labels)
{
        json_t *c = JSON_OBJECT(
                {"runtime", json_string_or_null(container_runtime_to_string(id->runtime))},
                {"id", json_string_or_null(id->id)},
                {"name", json_string_or_null(m ? m->name : NULL)},
                {"image", json_string_or_null(m ? m->image : NULL)},
                {"unit", json_string_or_null(id->unit)});

        if (c && m && m->sandbox)
                json_object_set_new(c, "sandbox", json_true());
        if (c && m && with_labels)
                json_object_set_new(c, "labels", labels_json(m));
        return c;
}

/* The pod, when the container is in one: its uid and QoS from the path, names from the runtime. */
json_t *names_kubernetes_json(const struct container_identity *id, const struct container_meta *m)
{
        const char *uid = m && m->pod_uid ? m->pod_uid : id->pod_uid;

        if (!uid[0] && !(m && (m->pod_name || m->pod_namespace)))
                return NULL;
        return JSON_OBJECT(
                {"namespace", json_string_or_null(m ? m->pod_namespace : NULL)},
                {"pod", JSON_OBJECT({"name", json_string_or_null(m ? m->pod_name : NULL)},
                                    {"uid", json_string_or_null(uid)},
                                    {"qos", json_string_or_null(pod_qos_to_string(id->qos))})},
                {"container",
                 JSON_OBJECT({"name", json_string_or_null(m ? m->k8s_container_name : NULL)})});
}
