/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRI requests and answers (cri.h) over the protobuf-c code generated from
 * cri/cri.proto. Pure: no I/O, no logging.
 */

#include "cri.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cri/cri.pb-c.h"
#include "grpc.h"

typedef Runtime__V1__StringMapEntry MapEntry;

static void message_freep(ProtobufCMessage **p)
{
        if (*p)
                protobuf_c_message_free_unpacked(*p, NULL);
}

/* The one message of a gRPC answer, unpacked as d says: -EBADMSG when it is not one. */
static int unpack_answer(const uint8_t *body, size_t len, const ProtobufCMessageDescriptor *d,
                         ProtobufCMessage **ret)
{
        const uint8_t *msg;
        size_t msg_len;
        int r = grpc_unframe(body, len, &msg, &msg_len);

        if (r < 0)
                return r;
        *ret = protobuf_c_message_unpack(d, NULL, msg_len, msg);
        return *ret ? 0 : -EBADMSG;
}

static const char *str_or_empty(const char *s)
{
        return s ? s : "";
}

/* A copy of s, or NULL for an empty (unset, in proto3) string. */
static int dup_nonempty(const char *s, char **ret)
{
        char *d = NULL;
        if (s && *s) {
                d = strdup(s);
                if (!d)
                        return -ENOMEM;
        }
        *ret = d;
        return 0;
}

/* Frames the packed message msg. */
static int pack_framed(const ProtobufCMessage *msg, uint8_t **ret, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(msg);
        if (n > GRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        _cleanup_free_ uint8_t *packed = malloc(n ? n : 1);
        if (!packed)
                return -ENOMEM;
        if (protobuf_c_message_pack(msg, packed) != n)
                return -EIO; /* protobuf-c disagreeing with itself: cannot happen */
        return grpc_frame(packed, n, ret, ret_len);
}

/*
 * Map fields: sorted by key, each key once with its last value (protobuf's rule
 * for a key repeated on the wire), empty keys dropped. Sorting costs
 * O(n log n) where a lookup per entry would be quadratic in a hostile answer.
 */
struct entry_ref {
        const MapEntry *e;
        size_t index;
};

static int entry_ref_compare(const void *a, const void *b)
{
        const struct entry_ref *x = a, *y = b;
        int c = strcmp(str_or_empty(x->e->key), str_or_empty(y->e->key));
        if (c != 0)
                return c;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int map_sorted(MapEntry *const *entries, size_t n, struct entry_ref **ret, size_t *ret_n)
{
        if (n == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        _cleanup_free_ struct entry_ref *refs = calloc(n, sizeof(*refs));
        if (!refs)
                return -ENOMEM;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (entries[i] && entries[i]->key && entries[i]->key[0])
                        refs[m++] = (struct entry_ref){.e = entries[i], .index = i};
        qsort(refs, m, sizeof(*refs), entry_ref_compare);

        /* Keep the last of each run of equal keys. */
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
                if (i + 1 < m && strcmp(refs[i].e->key, refs[i + 1].e->key) == 0)
                        continue;
                refs[k++] = refs[i];
        }

        *ret = TAKE_PTR(refs);
        *ret_n = k;
        return 0;
}

static int meta_add_map(struct container_meta *m, MapEntry *const *entries, size_t n,
                        bool annotations)
{
        _cleanup_free_ struct entry_ref *refs = NULL;
        size_t k;
        int r = map_sorted(entries, n, &refs, &k);
        if (r < 0)
                return r;
        for (size_t i = 0; i < k; i++) {
                const char *key = refs[i].e->key, *value = str_or_empty(refs[i].e->value);
                r = annotations ? container_meta_add_annotation(m, key, value)
                                : container_meta_add_label(m, key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void meta_labels_free(struct meta_label *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].key);
                free(v[i].value);
        }
        free(v);
}

static int labels_from_map(MapEntry *const *entries, size_t n, struct meta_label **ret,
                           size_t *ret_n)
{
        _cleanup_free_ struct entry_ref *refs = NULL;
        size_t k;
        int r = map_sorted(entries, n, &refs, &k);
        if (r < 0)
                return r;
        if (k == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        struct meta_label *v = calloc(k, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < k; i++) {
                v[i].key = strdup(refs[i].e->key);
                v[i].value = strdup(str_or_empty(refs[i].e->value));
                if (!v[i].key || !v[i].value) {
                        meta_labels_free(v, i + 1);
                        return -ENOMEM;
                }
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

/* "sha256:<hex>" (any "<algorithm>:<hex>" digest) or a bare 64-digit hex id. */
static bool image_is_id(const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t algo = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (algo > 0 && s[algo] == ':') {
                const char *digest = s + algo + 1;
                size_t n = strlen(digest);
                return n >= 32 && strspn(digest, hex) == n;
        }
        return strlen(s) == 64 && strspn(s, hex) == 64;
}

/* The image's name as cri.h orders the candidates, or NULL. */
static const char *image_pick(const Runtime__V1__ImageSpec *spec, const char *image_ref)
{
        const char *image = spec ? str_or_empty(spec->image) : "";
        const char *user = spec ? str_or_empty(spec->user_specified_image) : "";
        image_ref = str_or_empty(image_ref);

        if (*user)
                return user;
        if (*image && !image_is_id(image))
                return image;
        if (*image_ref && !image_is_id(image_ref))
                return image_ref;
        if (*image)
                return image;
        if (*image_ref)
                return image_ref;
        return NULL;
}

/* An item of a list answer, at the address of its char *id member. */
static const char *item_id(const void *item, size_t id_offset)
{
        return *(char *const *) ((const char *) item + id_offset);
}

/*
 * What both list answers need: the items that have an id, each converted in order into
 * an array of elem_size elements (NULL when none); all or nothing.
 */
static int convert_items(void *const *items, size_t n_items, size_t id_offset, size_t elem_size,
                         int (*convert)(const void *item, void *ret),
                         void (*free_converted)(void *v, size_t n), void **ret, size_t *ret_n)
{
        size_t want = 0, n = 0;
        char *v;

        for (size_t i = 0; i < n_items; i++)
                want += items[i] && item_id(items[i], id_offset) && *item_id(items[i], id_offset);
        *ret = NULL;
        *ret_n = 0;
        if (want == 0)
                return 0;
        v = calloc(want, elem_size);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n_items; i++) {
                if (!items[i] || !item_id(items[i], id_offset) || !*item_id(items[i], id_offset))
                        continue;
                int r = convert(items[i], v + n * elem_size);
                if (r < 0) {
                        free_converted(v, n);
                        return r;
                }
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int cri_list_containers_request(const char *id, uint8_t **ret, size_t *ret_len)
{
        if ((id && !*id) || !ret || !ret_len)
                return -EINVAL;

        Runtime__V1__ListContainersRequest req = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
        Runtime__V1__ContainerFilter filter = RUNTIME__V1__CONTAINER_FILTER__INIT;
        if (id) {
                filter.id = (char *) id;
                req.filter = &filter;
        }
        return pack_framed(&req.base, ret, ret_len);
}

static int container_to_meta(const Runtime__V1__Container *c, struct container_meta *ret)
{
        _cleanup_(container_meta_done) struct container_meta m = {0};
        const char *name = c->metadata ? c->metadata->name : NULL;
        int r;

        if ((r = dup_nonempty(c->id, &m.id)) < 0 ||
            (r = dup_nonempty(c->pod_sandbox_id, &m.pod_sandbox_id)) < 0 ||
            (r = dup_nonempty(name, &m.name)) < 0 ||
            (r = dup_nonempty(name, &m.k8s_container_name)) < 0 ||
            (r = dup_nonempty(image_pick(c->image, c->image_ref), &m.image)) < 0)
                return r;
        r = meta_add_map(&m, c->labels, c->n_labels, false);
        if (r < 0)
                return r;
        r = meta_add_map(&m, c->annotations, c->n_annotations, true);
        if (r < 0)
                return r;
        r = container_meta_kubernetes_from_labels(&m);
        if (r < 0)
                return r;

        *ret = m;
        m = (struct container_meta){0};
        return 0;
}

void container_metas_free(struct container_meta *v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                container_meta_done(&v[i]);
        free(v);
}

static int convert_container(const void *item, void *ret)
{
        return container_to_meta(item, ret);
}

static void free_containers(void *v, size_t n)
{
        container_metas_free(v, n);
}

int cri_list_containers_parse(const uint8_t *body, size_t len, struct container_meta **ret,
                              size_t *ret_n)
{
        if (!ret || !ret_n)
                return -EINVAL;

        _cleanup_(message_freep) ProtobufCMessage *answer = NULL;
        int r = unpack_answer(body, len, &runtime__v1__list_containers_response__descriptor,
                              &answer);
        if (r < 0)
                return r;
        const Runtime__V1__ListContainersResponse *resp = (const void *) answer;

        void *v;
        r = convert_items((void *const *) resp->containers, resp->n_containers,
                          offsetof(Runtime__V1__Container, id), sizeof(struct container_meta),
                          convert_container, free_containers, &v, ret_n);
        if (r >= 0)
                *ret = v;
        return r;
}

int cri_list_pod_sandbox_request(const char *id, uint8_t **ret, size_t *ret_len)
{
        if ((id && !*id) || !ret || !ret_len)
                return -EINVAL;

        Runtime__V1__ListPodSandboxRequest req = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
        Runtime__V1__PodSandboxFilter filter = RUNTIME__V1__POD_SANDBOX_FILTER__INIT;
        if (id) {
                filter.id = (char *) id;
                req.filter = &filter;
        }
        return pack_framed(&req.base, ret, ret_len);
}

static void cri_pod_done(struct cri_pod *p)
{
        free(p->id);
        free(p->name);
        free(p->namespace_name);
        free(p->uid);
        meta_labels_free(p->labels, p->n_labels);
        *p = (struct cri_pod){0};
}

void cri_pods_free(struct cri_pod *v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                cri_pod_done(&v[i]);
        free(v);
}

static int pod_from_sandbox(const Runtime__V1__PodSandbox *s, struct cri_pod *ret)
{
        _cleanup_(cri_pod_done) struct cri_pod p = {0};
        const Runtime__V1__PodSandboxMetadata *md = s->metadata;
        int r;

        if ((r = dup_nonempty(s->id, &p.id)) < 0 ||
            (r = dup_nonempty(md ? md->name : NULL, &p.name)) < 0 ||
            (r = dup_nonempty(md ? md->namespace_ : NULL, &p.namespace_name)) < 0 ||
            (r = dup_nonempty(md ? md->uid : NULL, &p.uid)) < 0)
                return r;
        r = labels_from_map(s->labels, s->n_labels, &p.labels, &p.n_labels);
        if (r < 0)
                return r;

        *ret = p;
        p = (struct cri_pod){0};
        return 0;
}

static int convert_pod(const void *item, void *ret)
{
        return pod_from_sandbox(item, ret);
}

static void free_pods(void *v, size_t n)
{
        cri_pods_free(v, n);
}

int cri_list_pod_sandbox_parse(const uint8_t *body, size_t len, struct cri_pod **ret, size_t *ret_n)
{
        if (!ret || !ret_n)
                return -EINVAL;

        _cleanup_(message_freep) ProtobufCMessage *answer = NULL;
        int r = unpack_answer(body, len, &runtime__v1__list_pod_sandbox_response__descriptor,
                              &answer);
        if (r < 0)
                return r;
        const Runtime__V1__ListPodSandboxResponse *resp = (const void *) answer;

        void *v;
        r = convert_items((void *const *) resp->items, resp->n_items,
                          offsetof(Runtime__V1__PodSandbox, id), sizeof(struct cri_pod),
                          convert_pod, free_pods, &v, ret_n);
        if (r >= 0)
                *ret = v;
        return r;
}

const struct cri_pod *cri_pod_find(const struct cri_pod *v, size_t n, const char *id)
{
        if (!v || !id)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (v[i].id && strcmp(v[i].id, id) == 0)
                        return &v[i];
        return NULL;
}

int cri_container_status_request(const char *id, uint8_t **ret, size_t *ret_len)
{
        if (!id || !*id || !ret || !ret_len)
                return -EINVAL;

        Runtime__V1__ContainerStatusRequest req = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
        req.container_id = (char *) id;
        return pack_framed(&req.base, ret, ret_len);
}

int cri_container_status_parse(const uint8_t *body, size_t len, char **ret_image)
{
        if (!ret_image)
                return -EINVAL;

        _cleanup_(message_freep) ProtobufCMessage *answer = NULL;
        int r = unpack_answer(body, len, &runtime__v1__container_status_response__descriptor,
                              &answer);
        if (r < 0)
                return r;
        const Runtime__V1__ContainerStatusResponse *resp = (const void *) answer;
        if (!resp->status)
                return -ENOENT;

        const char *image = image_pick(resp->status->image, resp->status->image_ref);
        if (!image)
                return -ENODATA;
        char *s = strdup(image);
        if (!s)
                return -ENOMEM;
        *ret_image = s;
        return 0;
}

static int set_if_null(char **field, const char *value)
{
        if (*field)
                return 0;
        return dup_nonempty(value, field);
}

int cri_meta_apply_pod(struct container_meta *m, const struct cri_pod *p)
{
        if (!m || !p)
                return -EINVAL;
        if (m->pod_sandbox_id && p->id && strcmp(m->pod_sandbox_id, p->id) != 0)
                return -EINVAL;

        /* Work on a copy, so that running out of memory half-way leaves m as it was. */
        _cleanup_(container_meta_done) struct container_meta c = {0};
        int r = container_meta_copy(m, &c);
        if (r < 0)
                return r;

        if ((r = set_if_null(&c.pod_name, p->name)) < 0 ||
            (r = set_if_null(&c.pod_namespace, p->namespace_name)) < 0 ||
            (r = set_if_null(&c.pod_uid, p->uid)) < 0 ||
            (r = set_if_null(&c.pod_sandbox_id, p->id)) < 0)
                return r;
        for (size_t i = 0; i < p->n_labels; i++) {
                const struct meta_label *l = &p->labels[i];
                if (!l->key || container_meta_label(&c, l->key))
                        continue;
                r = container_meta_add_label(&c, l->key, str_or_empty(l->value));
                if (r < 0)
                        return r;
        }

        container_meta_done(m);
        *m = c;
        c = (struct container_meta){0};
        return 0;
}

int cri_pod_to_meta(const struct cri_pod *p, struct container_meta *ret)
{
        if (!p || !ret || !p->id || !*p->id)
                return -EINVAL;

        _cleanup_(container_meta_done) struct container_meta m = {.sandbox = true};
        int r;
        if ((r = dup_nonempty(p->id, &m.id)) < 0 ||
            (r = dup_nonempty(p->id, &m.pod_sandbox_id)) < 0 ||
            (r = dup_nonempty(p->name, &m.name)) < 0 ||
            (r = dup_nonempty(p->name, &m.pod_name)) < 0 ||
            (r = dup_nonempty(p->namespace_name, &m.pod_namespace)) < 0 ||
            (r = dup_nonempty(p->uid, &m.pod_uid)) < 0)
                return r;
        for (size_t i = 0; i < p->n_labels; i++) {
                if (!p->labels[i].key)
                        continue;
                r = container_meta_add_label(&m, p->labels[i].key,
                                             str_or_empty(p->labels[i].value));
                if (r < 0)
                        return r;
        }

        *ret = m;
        m = (struct container_meta){0};
        return 0;
}
