/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the runtime API's JSON: struct container_meta (cri/container-meta.c),
 * the Docker Engine API bodies (cri/docker.c) and CRI-O's info endpoint (cri/crio.c),
 * over the bodies in tests/fixtures/runtimes/ (see its README) and hand-made bad ones.
 * Every parser is given an exactly-sized buffer without a NUL, so a read past the
 * length is an ASan report.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cri/container-meta.h"
#include "cri/crio.h"
#include "cri/docker.h"
#include "unit-util.h"

#define RUNTIMES FIXTURES "/runtimes/"

/* The ids in the fixtures (tests/fixtures/runtimes/README.md). */
#define ID_WEB         "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
#define ID_DB          "39a1be9e7fed8647d793c73b32ee4df28c86d8fb48728bca948029ad763eca2f"
#define ID_K8S_APP     "f0d64011ff21798ac98339dab250c8dc7bd8c3e3f91e40d5f4470a72a3b764b1"
#define ID_K8S_SANDBOX "9125f2177ab83f5c73fb81320caa3d23f4c19ea50066f638f196b6e9920fa0c1"
#define ID_PODMAN      "f9d688036191e04636c64024ce221730446495d6568b72e14d6ebc8aa23e434f"
#define ID_CRIO_APP    "610713dca419d7deb83a1246d0c1ee0ac2e23b81cbb29bba37147e88e1848cda"
#define ID_CRIO_POD    "a18bfabd3cf1d74d0267b59ef276e9c1c94d4e31a9fb482340d884a4c4275b94"
#define NGINX_IMAGE_ID "sha256:251ad31786bae2bdf8f9435a21b808b3ddba91ac4bf8d995c416368ed5881c7a"
#define BUSYBOX_ID     "sha256:3726e854f7e14d58c1dc2b1156c3759b194984a1e8484ee0f3e637bc0212cad8"
#define REDIS_IMAGE_ID "09760665f0af12dc6887689c1fa1afe346138a545ce1efbe277acf07bc92780a"
#define ID_63          "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bb"
#define ID_UPPER       "F31F384749F9115ACF01FCF82F5A966B59DCC0A4CBD7C9740888C0BF32AA2BBB"

#define POD_UID  "8a3f1c2e-5b7d-4e9a-b1c3-2d4e6f8a0b1c"
#define POD      "web-7d9c5b8f4d-x2x9k"
#define CRIO_UID "1d2c3b4a-0f9e-4d8c-a7b6-5e4d3c2b1a09"
#define CRIO_POD "cache-5c7d8f9b6-q4w8z"

/* ---- helpers ---- */

/* A struct full of a sentinel byte, to show an output was not written. */
#define SENTINEL  0xa5
#define POISON(x) memset(&(x), SENTINEL, sizeof(x))
static bool untouched(const void *p, size_t n)
{
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++)
                if (b[i] != SENTINEL)
                        return false;
        return true;
}
#define UNTOUCHED(x) untouched(&(x), sizeof(x))

static int inspect_of(const char *s, struct container_meta *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = docker_parse_inspect(b, n, ret);
        free(b);
        return r;
}

static int inspect_file(const char *name, struct container_meta *ret)
{
        size_t n;
        char *b = read_exact(name, &n);
        int r = docker_parse_inspect(b, n, ret);
        free(b);
        return r;
}

static int version_of(const char *s, char ret[static 16])
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = docker_negotiate_version(b, n, ret);
        free(b);
        return r;
}

static int version_file(const char *name, char ret[static 16])
{
        size_t n;
        char *b = read_exact(name, &n);
        int r = docker_negotiate_version(b, n, ret);
        free(b);
        return r;
}

static int event_of(const char *s, struct docker_event *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = docker_parse_event(b, n, ret);
        free(b);
        return r;
}

static int crio_of(const char *id, const char *s, struct container_meta *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = crio_parse_container_info(id, b, n, ret);
        free(b);
        return r;
}

static int crio_file(const char *id, const char *name, struct container_meta *ret)
{
        size_t n;
        char *b = read_exact(name, &n);
        int r = crio_parse_container_info(id, b, n, ret);
        free(b);
        return r;
}

/* What every parsed container_meta must look like. */
static void assert_meta_sane(const struct container_meta *m)
{
        assert_true(container_id_valid(m->id));
        assert_true(m->n_labels == 0 || m->labels);
        assert_true(m->n_annotations == 0 || m->annotations);
        for (size_t i = 0; i < m->n_labels; i++)
                assert_true(m->labels[i].key && m->labels[i].value);
        for (size_t i = 0; i < m->n_annotations; i++)
                assert_true(m->annotations[i].key && m->annotations[i].value);
        /* NULL, never "", is "not said". */
        assert_true(!m->name || *m->name);
        assert_true(!m->image || *m->image);
        assert_true(!m->pod_name || *m->pod_name);
        assert_true(!m->pod_sandbox_id || *m->pod_sandbox_id);
}

/* ---- struct container_meta ---- */

static void test_meta_labels(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_null(container_meta_label(&m, "a"));
        assert_int_equal(container_meta_add_label(&m, "a", "1"), 0);
        assert_int_equal(container_meta_add_label(&m, "b", ""), 0);
        /* A repeated key: the first one wins (the container's before its pod's). */
        assert_int_equal(container_meta_add_label(&m, "a", "2"), 0);
        assert_int_equal(m.n_labels, 3);
        assert_string_equal(container_meta_label(&m, "a"), "1");
        assert_string_equal(container_meta_label(&m, "b"), "");
        assert_null(container_meta_label(&m, "c"));
        assert_null(container_meta_label(&m, "A"));
        assert_null(container_meta_label(&m, ""));
        assert_null(container_meta_label(&m, NULL));
        assert_null(container_meta_label(NULL, "a"));
        /* Labels and annotations are apart. */
        assert_null(container_meta_annotation(&m, "a"));
        assert_int_equal(container_meta_add_annotation(&m, "a", "x"), 0);
        assert_string_equal(container_meta_annotation(&m, "a"), "x");
        assert_string_equal(container_meta_label(&m, "a"), "1");
        assert_int_equal(m.n_annotations, 1);

        /* Copies, not the caller's strings. */
        char key[] = "k", value[] = "v";
        assert_int_equal(container_meta_add_label(&m, key, value), 0);
        key[0] = 'x';
        value[0] = 'y';
        assert_string_equal(container_meta_label(&m, "k"), "v");

        assert_int_equal(container_meta_add_label(NULL, "a", "b"), -EINVAL);
        assert_int_equal(container_meta_add_label(&m, NULL, "b"), -EINVAL);
        assert_int_equal(container_meta_add_label(&m, "a", NULL), -EINVAL);
        assert_int_equal(container_meta_add_annotation(&m, NULL, "b"), -EINVAL);
        assert_int_equal(m.n_labels, 4);
        assert_int_equal(m.n_annotations, 1);
}

static void test_meta_many_labels(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        char key[32], value[32];
        (void) state;

        for (int i = 0; i < 1000; i++) {
                snprintf(key, sizeof(key), "key-%d", i);
                snprintf(value, sizeof(value), "value-%d", i);
                assert_int_equal(container_meta_add_label(&m, key, value), 0);
        }
        assert_int_equal(m.n_labels, 1000);
        assert_string_equal(container_meta_label(&m, "key-0"), "value-0");
        assert_string_equal(container_meta_label(&m, "key-999"), "value-999");
        /* Insertion order is kept. */
        assert_string_equal(m.labels[500].key, "key-500");
}

static void test_meta_done(void **state)
{
        struct container_meta m = {};
        (void) state;

        container_meta_done(NULL);
        container_meta_done(&m); /* empty */
        m.id = strdup(ID_WEB);
        m.name = strdup("web");
        m.pod_uid = strdup(POD_UID);
        m.sandbox = true;
        assert_int_equal(container_meta_add_label(&m, "a", "b"), 0);
        assert_int_equal(container_meta_add_annotation(&m, "c", "d"), 0);
        container_meta_done(&m);
        /* Zeroed: safe to reuse and to release again. */
        assert_null(m.id);
        assert_null(m.name);
        assert_null(m.pod_uid);
        assert_null(m.labels);
        assert_null(m.annotations);
        assert_int_equal(m.n_labels, 0);
        assert_int_equal(m.n_annotations, 0);
        assert_false(m.sandbox);
        container_meta_done(&m);
}

static void test_meta_kubernetes_from_labels(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        /* No labels: nothing, and no error. */
        assert_int_equal(container_meta_kubernetes_from_labels(&m), 0);
        assert_null(m.pod_name);
        assert_null(m.pod_namespace);
        assert_null(m.pod_uid);
        assert_null(m.k8s_container_name);

        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.name", POD), 0);
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.namespace", "default"), 0);
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.uid", POD_UID), 0);
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.container.name", "nginx"), 0);
        /* A field the caller already knows (from CRI metadata, say) is kept. */
        m.pod_name = strdup("from-cri");
        assert_int_equal(container_meta_kubernetes_from_labels(&m), 0);
        assert_string_equal(m.pod_name, "from-cri");
        assert_string_equal(m.pod_namespace, "default");
        assert_string_equal(m.pod_uid, POD_UID);
        assert_string_equal(m.k8s_container_name, "nginx");
        assert_null(m.pod_sandbox_id); /* not a label kubelet sets */

        /* Idempotent; the values are copies. */
        char *ns = m.pod_namespace;
        assert_int_equal(container_meta_kubernetes_from_labels(&m), 0);
        assert_ptr_equal(m.pod_namespace, ns);
        assert_ptr_not_equal(m.pod_namespace,
                             container_meta_label(&m, "io.kubernetes.pod.namespace"));

        assert_int_equal(container_meta_kubernetes_from_labels(NULL), -EINVAL);
}

static void test_meta_kubernetes_from_labels_precedence(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        /* The first of a repeated label wins; an empty one names nothing. */
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.name", "first"), 0);
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.name", "second"), 0);
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.namespace", ""), 0);
        /* Near misses are not kubelet's labels. */
        assert_int_equal(container_meta_add_label(&m, "io.kubernetes.pod.uid ", POD_UID), 0);
        assert_int_equal(container_meta_add_label(&m, "IO.KUBERNETES.CONTAINER.NAME", "x"), 0);
        assert_int_equal(container_meta_kubernetes_from_labels(&m), 0);
        assert_string_equal(m.pod_name, "first");
        assert_null(m.pod_namespace);
        assert_null(m.pod_uid);
        assert_null(m.k8s_container_name);
}

static void test_meta_copy(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {}, c = {}, e = {};
        struct container_meta untouched_copy;
        (void) state;

        m.id = strdup(ID_K8S_APP);
        m.name = strdup("k8s_nginx");
        m.image = strdup("nginx:1.25");
        m.sandbox = true;
        m.pod_name = strdup(POD);
        m.pod_namespace = strdup("default");
        m.pod_uid = strdup(POD_UID);
        m.pod_sandbox_id = strdup(ID_K8S_SANDBOX);
        m.k8s_container_name = strdup("nginx");
        assert_int_equal(container_meta_add_label(&m, "a", "1"), 0);
        assert_int_equal(container_meta_add_label(&m, "b", "2"), 0);
        assert_int_equal(container_meta_add_annotation(&m, "c", "3"), 0);

        assert_int_equal(container_meta_copy(&m, &c), 0);
#define SAME_STRING(f)                                                                             \
        do {                                                                                       \
                assert_string_equal(c.f, m.f);                                                     \
                assert_ptr_not_equal(c.f, m.f);                                                    \
        } while (0)
        SAME_STRING(id);
        SAME_STRING(name);
        SAME_STRING(image);
        SAME_STRING(pod_name);
        SAME_STRING(pod_namespace);
        SAME_STRING(pod_uid);
        SAME_STRING(pod_sandbox_id);
        SAME_STRING(k8s_container_name);
#undef SAME_STRING
        assert_true(c.sandbox);
        assert_int_equal(c.n_labels, 2);
        assert_int_equal(c.n_annotations, 1);
        assert_ptr_not_equal(c.labels, m.labels);
        assert_ptr_not_equal(c.labels[0].key, m.labels[0].key);
        assert_string_equal(c.labels[1].key, "b");
        assert_string_equal(c.labels[1].value, "2");
        assert_string_equal(container_meta_annotation(&c, "c"), "3");

        /* The copy lives on alone. */
        container_meta_done(&m);
        assert_string_equal(c.id, ID_K8S_APP);
        assert_string_equal(container_meta_label(&c, "a"), "1");

        /* An empty one copies to an empty one; NULLs stay NULL. */
        assert_int_equal(container_meta_copy(&m, &e), 0);
        assert_null(e.id);
        assert_null(e.labels);
        assert_int_equal(e.n_labels, 0);
        assert_false(e.sandbox);

        POISON(untouched_copy);
        assert_int_equal(container_meta_copy(NULL, &untouched_copy), -EINVAL);
        assert_true(UNTOUCHED(untouched_copy));
        assert_int_equal(container_meta_copy(&c, NULL), -EINVAL);
}

static json_t *json_of(const char *s)
{
        json_error_t error;
        json_t *j = json_loads(s, JSON_DECODE_ANY, &error);
        if (!j)
                abort();
        return j;
}

static void test_meta_labels_json(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        json_auto_t *good = json_of("{\"b\":\"2\",\"a\":\"1\",\"e\":\"\"}");
        json_auto_t *bad_value = json_of("{\"c\":\"3\",\"d\":4}");
        json_auto_t *not_object = json_of("[\"c=3\"]");
        json_auto_t *null = json_of("null");
        (void) state;

        assert_int_equal(container_meta_add_label(&m, "x", "0"), 0);
        assert_int_equal(container_meta_add_labels_json(&m, good), 0);
        /* After what was there, in the object's order. */
        assert_int_equal(m.n_labels, 4);
        assert_string_equal(m.labels[0].key, "x");
        assert_string_equal(m.labels[1].key, "b");
        assert_string_equal(m.labels[2].key, "a");
        assert_string_equal(container_meta_label(&m, "e"), "");
        /* Missing or null: nothing. */
        assert_int_equal(container_meta_add_labels_json(&m, NULL), 0);
        assert_int_equal(container_meta_add_labels_json(&m, null), 0);
        assert_int_equal(m.n_labels, 4);
        /* All or nothing: "c" is not added when "d" is not a string. */
        assert_int_equal(container_meta_add_labels_json(&m, bad_value), -EBADMSG);
        assert_int_equal(container_meta_add_labels_json(&m, not_object), -EBADMSG);
        assert_int_equal(m.n_labels, 4);
        assert_null(container_meta_label(&m, "c"));

        assert_int_equal(container_meta_add_annotations_json(&m, good), 0);
        assert_int_equal(m.n_annotations, 3);
        assert_string_equal(container_meta_annotation(&m, "a"), "1");
        assert_int_equal(container_meta_add_annotations_json(&m, bad_value), -EBADMSG);
        assert_int_equal(m.n_annotations, 3);
        assert_int_equal(m.n_labels, 4);

        assert_int_equal(container_meta_add_labels_json(NULL, good), -EINVAL);
        assert_int_equal(container_meta_add_annotations_json(NULL, good), -EINVAL);
}

static void test_container_id_valid(void **state)
{
        (void) state;

        assert_true(container_id_valid(ID_WEB));
        assert_true(container_id_valid(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(container_id_valid(NULL));
        assert_false(container_id_valid(""));
        assert_false(container_id_valid(ID_63));
        assert_false(container_id_valid(ID_WEB "0"));
        assert_false(container_id_valid(ID_UPPER));
        assert_false(container_id_valid("sha256:" ID_WEB));
        assert_false(container_id_valid(ID_63 "g"));
        assert_false(container_id_valid(ID_63 " "));
}

/* ---- docker_negotiate_version ---- */

static void test_version_fixtures(void **state)
{
        char v[16];
        (void) state;

        assert_int_equal(version_file(RUNTIMES "docker-version-20.10.json", v), 0);
        assert_string_equal(v, "1.41");
        /* Docker 25 speaks 1.44, below our maximum. */
        assert_int_equal(version_file(RUNTIMES "docker-version-25.json", v), 0);
        assert_string_equal(v, "1.44");
        /* Podman's compat API emulates 1.41; its own three-part versions are elsewhere. */
        assert_int_equal(version_file(RUNTIMES "docker-version-podman.json", v), 0);
        assert_string_equal(v, "1.41");
        /* Docker 1.11 speaks 1.23 at most: too old. */
        memset(v, SENTINEL, sizeof(v));
        assert_int_equal(version_file(RUNTIMES "docker-version-old.json", v), -ENOTSUP);
        assert_true(UNTOUCHED(v));
}

struct version_row {
        const char *json;
        int ret;
        const char *want;
};

static const struct version_row version_rows[] = {
        /* The lower of theirs and ours. */
        {"{\"ApiVersion\":\"1.43\"}", 0, "1.43"},
        {"{\"ApiVersion\":\"1.41\"}", 0, "1.41"},
        {"{\"ApiVersion\":\"1.24\"}", 0, "1.24"},
        {"{\"ApiVersion\":\"1.44\",\"MinAPIVersion\":\"1.24\"}", 0, "1.44"},
        {"{\"ApiVersion\":\"1.47\"}", 0, "1.47"},
        {"{\"ApiVersion\":\"1.100\",\"MinAPIVersion\":\"1.12\"}", 0, "1.47"},
        {"{\"ApiVersion\":\"2.0\"}", 0, "1.47"},
        {"{\"ApiVersion\":\"999999.999999\"}", 0, "1.47"},
        /* Numerically, not as strings: 1.9 < 1.24 < 1.100. */
        {"{\"ApiVersion\":\"1.9\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"1.23\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"1.2\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"0.99\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"0.0\"}", -ENOTSUP, NULL},
        /* Their minimum against what we would use. */
        {"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.41\"}", 0, "1.41"},
        {"{\"ApiVersion\":\"1.45\",\"MinAPIVersion\":\"1.43\"}", 0, "1.45"},
        {"{\"ApiVersion\":\"1.52\",\"MinAPIVersion\":\"1.48\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"2.1\",\"MinAPIVersion\":\"2.0\"}", -ENOTSUP, NULL},
        /* Docker 29: refuses everything below 1.44, and speaks our 1.47. */
        {"{\"ApiVersion\":\"1.52\",\"MinAPIVersion\":\"1.44\"}", 0, "1.47"},
        /* A daemon contradicting itself gets no version below its own minimum. */
        {"{\"ApiVersion\":\"1.30\",\"MinAPIVersion\":\"1.35\"}", -ENOTSUP, NULL},
        {"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":null}", 0, "1.41"},
        /* Members in any order, unknown ones ignored, whitespace anywhere JSON allows. */
        {" {\n  \"Os\": \"linux\",\n  \"ApiVersion\": \"1.40\"\n}\n\n", 0, "1.40"},
        {"{\"MinAPIVersion\":\"1.12\",\"Components\":[{\"Details\":{\"ApiVersion\":\"9.9\"}}],"
         "\"ApiVersion\":\"1.41\"}",
         0, "1.41"},
        /* Not "major.minor" decimal strings. */
        {"{\"ApiVersion\":\"1\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\".41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41.0\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"v1.41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\" 1.41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41 \"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\\n\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"+1.41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"-1.41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.-1\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"01.41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.041\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1,41\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.1234567\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1234567.1\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"99999999999999999999.1\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12.0\"}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"\"}", -EBADMSG, NULL},
        /* Wrong types, missing, null. */
        {"{\"ApiVersion\":1.41}", -EBADMSG, NULL},
        {"{\"ApiVersion\":null}", -EBADMSG, NULL},
        {"{\"ApiVersion\":[\"1.41\"]}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":1.12}", -EBADMSG, NULL},
        {"{\"Version\":\"20.10.24\"}", -EBADMSG, NULL},
        {"{\"apiversion\":\"1.41\"}", -EBADMSG, NULL},
        {"{}", -EBADMSG, NULL},
        /* Not JSON objects, or not JSON. */
        {"[{\"ApiVersion\":\"1.41\"}]", -EBADMSG, NULL},
        {"\"1.41\"", -EBADMSG, NULL},
        {"null", -EBADMSG, NULL},
        {"", -EBADMSG, NULL},
        {"\n", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\"", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\"}}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\"} {}", -EBADMSG, NULL},
        {"{\"ApiVersion\":\"1.41\",}", -EBADMSG, NULL},
        {"{'ApiVersion':'1.41'}", -EBADMSG, NULL},
        {"Client sent an HTTP request to an HTTPS server.\n", -EBADMSG, NULL},
        /* A key twice: no daemon sends that. */
        {"{\"ApiVersion\":\"1.41\",\"ApiVersion\":\"1.24\"}", -EBADMSG, NULL},
        /* Strings with a NUL are refused outright. */
        {"{\"ApiVersion\":\"1.41\\u0000\"}", -EBADMSG, NULL},
};

static void test_version_rows(void **state)
{
        size_t wrong = 0;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(version_rows); i++) {
                const struct version_row *row = &version_rows[i];
                char v[16];
                memset(v, SENTINEL, sizeof(v));
                int r = version_of(row->json, v);
                if (r != row->ret) {
                        print_error("row %zu %s: %d, want %d\n", i, row->json, r, row->ret);
                        wrong++;
                } else if (r == 0 && strcmp(v, row->want) != 0) {
                        print_error("row %zu %s: \"%s\", want \"%s\"\n", i, row->json, v,
                                    row->want);
                        wrong++;
                } else if (r < 0 && !UNTOUCHED(v)) {
                        print_error("row %zu %s: output written on failure\n", i, row->json);
                        wrong++;
                }
        }
        assert_int_equal(wrong, 0);
}

static void test_version_length(void **state)
{
        const char *body = "{\"ApiVersion\":\"1.41\"}trailing";
        char v[16];
        (void) state;

        /* Only len bytes are read: what follows is not part of the body. */
        assert_int_equal(docker_negotiate_version(body, strlen("{\"ApiVersion\":\"1.41\"}"), v), 0);
        assert_string_equal(v, "1.41");
        assert_int_equal(docker_negotiate_version(body, strlen(body), v), -EBADMSG);
        assert_int_equal(docker_negotiate_version(body, 0, v), -EBADMSG);
        assert_int_equal(docker_negotiate_version(NULL, 10, v), -EINVAL);
}

/* GET /_ping's API-Version header: the same choice, while the daemon is not newer than us. */
static void test_version_ping(void **state)
{
        static const struct version_row rows[] = {
                /* podman 4's compat API; our oldest and newest. */
                {"1.41", 0, "1.41"},
                {"1.24", 0, "1.24"},
                {"1.47", 0, "1.47"},
                /* Newer than ours (Docker 28, 29): its minimum, which only /version says,
                   may be above what we speak. */
                {"1.48", -ERANGE, NULL},
                {"1.52", -ERANGE, NULL},
                {"1.100", -ERANGE, NULL},
                {"2.0", -ERANGE, NULL},
                {"1.23", -ENOTSUP, NULL},
                {"1.9", -ENOTSUP, NULL},
                /* The header as it came, trimmed: anything but "major.minor" is malformed. */
                {"", -EBADMSG, NULL},
                {"1.41 ", -EBADMSG, NULL},
                {"v1.41", -EBADMSG, NULL},
                {"1.041", -EBADMSG, NULL},
                {"1", -EBADMSG, NULL},
                /* A header longer than 15 bytes is cut there: its minor is then too long. */
                {"1.1234567", -EBADMSG, NULL},
                {NULL, -EBADMSG, NULL},
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char v[16];
                memset(v, SENTINEL, sizeof(v));
                int r = docker_negotiate_ping(rows[i].json, v);
                if (r != rows[i].ret)
                        print_error("row %zu (%s): %d\n", i, rows[i].json ? rows[i].json : "NULL",
                                    r);
                assert_int_equal(r, rows[i].ret);
                if (rows[i].want)
                        assert_string_equal(v, rows[i].want);
                else
                        assert_true(UNTOUCHED(v));
        }
}

/* Every strict prefix of a body that ends before its closing brace is malformed. */
static void check_truncations(const char *path, int (*parse)(const char *, size_t))
{
        size_t n;
        char *full = read_exact(path, &n);
        size_t end = n;

        while (end > 0 && (full[end - 1] == '\n' || full[end - 1] == ' '))
                end--;
        assert_int_equal(parse(full, n), 0);
        assert_int_equal(parse(full, end), 0);
        for (size_t cut = 0; cut < end; cut++) {
                char *b = dup_exact(full, cut);
                int r = parse(b, cut);
                free(b);
                if (r != -EBADMSG)
                        print_error("%s cut at %zu of %zu: %d\n", path, cut, n, r);
                assert_int_equal(r, -EBADMSG);
        }
        free(full);
}

static int parse_version(const char *b, size_t n)
{
        char v[16];
        return docker_negotiate_version(b, n, v);
}

static int parse_inspect(const char *b, size_t n)
{
        struct container_meta m;
        int r = docker_parse_inspect(b, n, &m);
        if (r == 0)
                container_meta_done(&m);
        return r;
}

static int parse_crio(const char *b, size_t n)
{
        struct container_meta m;
        int r = crio_parse_container_info(ID_CRIO_POD, b, n, &m);
        if (r == 0)
                container_meta_done(&m);
        return r;
}

static void test_truncated_bodies(void **state)
{
        (void) state;

        check_truncations(RUNTIMES "docker-version-20.10.json", parse_version);
        check_truncations(RUNTIMES "docker-inspect-k8s-sandbox.json", parse_inspect);
        check_truncations(RUNTIMES "docker-inspect-podman.json", parse_inspect);
        check_truncations(RUNTIMES "crio-info-sandbox.json", parse_crio);
}

/* ---- docker_parse_inspect ---- */

static void test_inspect_plain(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(inspect_file(RUNTIMES "docker-inspect-plain.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_WEB);
        assert_string_equal(m.name, "web");
        assert_string_equal(m.image, "busybox");
        assert_false(m.sandbox);
        assert_int_equal(m.n_labels, 1);
        assert_string_equal(container_meta_label(&m, "io.cgmem.policy"), "avoid");
        assert_int_equal(m.n_annotations, 0);
        assert_null(m.pod_name);
        assert_null(m.pod_namespace);
        assert_null(m.pod_uid);
        assert_null(m.pod_sandbox_id);
        assert_null(m.k8s_container_name);
}

static void test_inspect_compose(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(inspect_file(RUNTIMES "docker-inspect-compose.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_DB);
        assert_string_equal(m.name, "shop-db-1");
        assert_string_equal(m.image, "postgres:15");
        assert_false(m.sandbox);
        assert_int_equal(m.n_labels, 10);
        /* In the daemon's order (Go sorts map keys). */
        assert_string_equal(m.labels[0].key, "com.docker.compose.config-hash");
        assert_string_equal(container_meta_label(&m, "com.docker.compose.project"), "shop");
        assert_string_equal(container_meta_label(&m, "com.docker.compose.service"), "db");
        assert_string_equal(container_meta_label(&m, "com.docker.compose.depends_on"), "");
        assert_int_equal(m.n_annotations, 0);
        assert_null(m.pod_name);
        assert_null(m.pod_sandbox_id);
}

static void test_inspect_k8s_container(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(inspect_file(RUNTIMES "docker-inspect-k8s-container.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_K8S_APP);
        assert_string_equal(m.name, "k8s_nginx_" POD "_default_" POD_UID "_0");
        /* kubelet hands cri-dockerd the image id: that is all Docker knows. */
        assert_string_equal(m.image, NGINX_IMAGE_ID);
        assert_false(m.sandbox);
        assert_string_equal(m.pod_name, POD);
        assert_string_equal(m.pod_namespace, "default");
        assert_string_equal(m.pod_uid, POD_UID);
        assert_string_equal(m.k8s_container_name, "nginx");
        assert_string_equal(m.pod_sandbox_id, ID_K8S_SANDBOX);
        /* Labels as Docker has them, the image's included. */
        assert_int_equal(m.n_labels, 14);
        assert_string_equal(container_meta_label(&m, "maintainer"),
                            "NGINX Docker Maintainers <docker-maint@nginx.com>");
        assert_string_equal(container_meta_label(&m, "io.kubernetes.docker.type"), "container");
        /* cri-dockerd's "annotation." labels, as CRI would show them. */
        assert_int_equal(m.n_annotations, 6);
        assert_string_equal(container_meta_annotation(&m, "io.kubernetes.container.hash"),
                            "a3e5c4f1");
        assert_string_equal(container_meta_annotation(&m, "io.kubernetes.container.ports"),
                            "[{\"containerPort\":80,\"protocol\":\"TCP\"}]");
        assert_string_equal(
                container_meta_annotation(&m, "io.kubernetes.pod.terminationGracePeriod"), "30");
}

static void test_inspect_k8s_sandbox(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(inspect_file(RUNTIMES "docker-inspect-k8s-sandbox.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_K8S_SANDBOX);
        assert_string_equal(m.name, "k8s_POD_" POD "_default_" POD_UID "_0");
        assert_string_equal(m.image, "registry.k8s.io/pause:3.9");
        assert_true(m.sandbox);
        /* Its own pod's sandbox. */
        assert_string_equal(m.pod_sandbox_id, ID_K8S_SANDBOX);
        assert_string_equal(m.pod_name, POD);
        assert_string_equal(m.pod_namespace, "default");
        assert_string_equal(m.pod_uid, POD_UID);
        assert_string_equal(m.k8s_container_name, "POD");
        /* The pod's labels. */
        assert_string_equal(container_meta_label(&m, "app"), "web");
        assert_int_equal(m.n_labels, 9);
        assert_int_equal(m.n_annotations, 2);
        assert_string_equal(container_meta_annotation(&m, "kubernetes.io/config.source"), "api");
}

static void test_inspect_podman(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(inspect_file(RUNTIMES "docker-inspect-podman.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_PODMAN);
        assert_string_equal(m.name, "web");
        assert_string_equal(m.image, "docker.io/library/nginx:1.25");
        assert_false(m.sandbox);
        assert_int_equal(m.n_labels, 2);
        assert_string_equal(container_meta_label(&m, "io.cgmem.policy"), "avoid");
        /* Podman escapes <, > and & as \u003c...: decoded. */
        assert_string_equal(container_meta_label(&m, "maintainer"),
                            "NGINX Docker Maintainers <docker-maint@nginx.com>");
        assert_int_equal(m.n_annotations, 0);
        assert_null(m.pod_name);
}

static void test_inspect_optional_parts(void **state)
{
        (void) state;

        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* The Id alone is enough. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB "\"}", &m), 0);
                assert_string_equal(m.id, ID_WEB);
                assert_null(m.name);
                assert_null(m.image);
                assert_int_equal(m.n_labels, 0);
                assert_null(m.labels);
                assert_false(m.sandbox);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Nulls where Go writes nil; a name of just "/"; no Config: the image id. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB
                                            "\",\"Name\":\"/\",\"Image\":\"" BUSYBOX_ID
                                            "\",\"Config\":null}",
                                            &m),
                                 0);
                assert_null(m.name);
                assert_string_equal(m.image, BUSYBOX_ID);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* An empty Config.Image falls back too; Labels null is no labels. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB
                                            "\",\"Name\":\"web\",\"Image\":\"" BUSYBOX_ID
                                            "\",\"Config\":{\"Image\":\"\",\"Labels\":null}}",
                                            &m),
                                 0);
                assert_string_equal(m.name, "web"); /* no slash to drop */
                assert_string_equal(m.image, BUSYBOX_ID);
                assert_int_equal(m.n_labels, 0);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Only the first slash goes; nulls everywhere else. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB
                                            "\",\"Name\":\"//x\",\"Image\":null,"
                                            "\"Config\":{\"Image\":null,\"Labels\":{}}}",
                                            &m),
                                 0);
                assert_string_equal(m.name, "/x");
                assert_null(m.image);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Numbers beyond int64 in members we do not read (Go's uint64). */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB
                                            "\",\"SizeRw\":18446744073709551615,"
                                            "\"HostConfig\":{\"Memory\":-9223372036854775809}}",
                                            &m),
                                 0);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* "annotation." labels are cri-dockerd's only on what cri-dockerd made. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{"
                                            "\"annotation.foo\":\"bar\"}}}",
                                            &m),
                                 0);
                assert_int_equal(m.n_annotations, 0);
                assert_null(m.pod_sandbox_id);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* A container of kubelet's whose labels are partial; "annotation." alone
                 * names nothing. */
                assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{"
                                            "\"io.kubernetes.docker.type\":\"container\","
                                            "\"annotation.\":\"x\",\"annotation.a\":\"\"}}}",
                                            &m),
                                 0);
                assert_false(m.sandbox);
                assert_null(m.pod_sandbox_id);
                assert_null(m.pod_name);
                assert_int_equal(m.n_annotations, 1);
                assert_string_equal(container_meta_annotation(&m, "a"), "");
        }
}

static const char *const inspect_bad[] = {
        /* The Id: required, 64 lowercase hex digits, a string. */
        "{}",
        "{\"Name\":\"/web\"}",
        "{\"Id\":null}",
        "{\"Id\":\"\"}",
        "{\"Id\":\"" ID_63 "\"}",
        "{\"Id\":\"" ID_WEB "0\"}",
        "{\"Id\":\"" ID_UPPER "\"}",
        "{\"Id\":\"sha256:" ID_WEB "\"}",
        "{\"Id\":\"f31f38474\"}",
        "{\"Id\":12345}",
        "{\"Id\":[\"" ID_WEB "\"]}",
        "{\"ID\":\"" ID_WEB "\"}",
        "{\"Id\":\"" ID_WEB "\",\"Id\":\"" ID_DB "\"}",
        /* Wrong types where a string or object is read. */
        "{\"Id\":\"" ID_WEB "\",\"Name\":5}",
        "{\"Id\":\"" ID_WEB "\",\"Name\":[\"/web\"]}",
        "{\"Id\":\"" ID_WEB "\",\"Image\":true}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":\"busybox\"}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":[]}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Image\":1}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Image\":{}}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":[]}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":\"a=b\"}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{\"a\":\"b\",\"c\":1}}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{\"a\":null}}}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{\"a\":{\"b\":\"c\"}}}}",
        /* Not an object, or not JSON. */
        "[{\"Id\":\"" ID_WEB "\"}]",
        "null",
        "",
        "{\"message\":\"No such container: web\"}",
        "{\"Id\":\"" ID_WEB "\"",
        "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\\u0000evil\"}",
        "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\\ud800\"}",
        "{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{\"a\\u0000b\":\"c\"}}}",
};

static void test_inspect_bad(void **state)
{
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(inspect_bad); i++) {
                struct container_meta m;
                POISON(m);
                int r = inspect_of(inspect_bad[i], &m);
                if (r != -EBADMSG)
                        print_error("row %zu %s: %d\n", i, inspect_bad[i], r);
                assert_int_equal(r, -EBADMSG);
                assert_true(UNTOUCHED(m));
        }

        struct container_meta m;
        POISON(m);
        assert_int_equal(docker_parse_inspect(NULL, 3, &m), -EINVAL);
        assert_int_equal(docker_parse_inspect("{}", 2, NULL), -EINVAL);
        assert_true(UNTOUCHED(m));
}

/* ---- docker_parse_event ---- */

static void test_events_fixture(void **state)
{
        static const struct {
                int ret;
                enum docker_event_action action;
        } want[] = {
                {0, DOCKER_EVENT_CREATE},  {-ENOMSG, 0},            /* network connect */
                {0, DOCKER_EVENT_START},   {0, DOCKER_EVENT_OTHER}, /* "exec_create: sh " */
                {0, DOCKER_EVENT_OTHER},                            /* "exec_start: sh " */
                {0, DOCKER_EVENT_OTHER},                            /* kill */
                {0, DOCKER_EVENT_DIE},     {-ENOMSG, 0},            /* network disconnect */
                {0, DOCKER_EVENT_OTHER},                            /* stop */
                {0, DOCKER_EVENT_DESTROY},
        };
        size_t n, i = 0;
        char *all = read_exact(RUNTIMES "docker-events.jsonl", &n);
        (void) state;

        for (size_t start = 0; start < n; i++) {
                const char *nl = memchr(all + start, '\n', n - start);
                assert_non_null(nl);
                size_t len = (size_t) (nl - (all + start));
                assert_true(i < ELEMENTSOF(want));

                /* As the client splits lines: without the newline, and with it. */
                for (size_t with_nl = 0; with_nl <= 1; with_nl++) {
                        struct docker_event ev;
                        char *line = dup_exact(all + start, len + with_nl);
                        POISON(ev);
                        int r = docker_parse_event(line, len + with_nl, &ev);
                        free(line);
                        assert_int_equal(r, want[i].ret);
                        if (r == 0) {
                                assert_int_equal(ev.action, want[i].action);
                                assert_string_equal(ev.id, ID_WEB);
                        } else
                                assert_true(UNTOUCHED(ev));
                }
                start += len + 1;
        }
        assert_int_equal(i, ELEMENTSOF(want));
        free(all);
}

struct event_row {
        const char *line;
        int ret;
        enum docker_event_action action;
};

#define EV(type, action, actor_id)                                                                 \
        "{\"Type\":\"" type "\",\"Action\":\"" action "\",\"Actor\":{\"ID\":\"" actor_id           \
        "\",\"Attributes\":{\"name\":\"web\"}},\"scope\":\"local\",\"time\":1700000000}"

static const struct event_row event_rows[] = {
        {EV("container", "create", ID_WEB), 0, DOCKER_EVENT_CREATE},
        {EV("container", "start", ID_WEB), 0, DOCKER_EVENT_START},
        {EV("container", "rename", ID_WEB), 0, DOCKER_EVENT_RENAME},
        {EV("container", "update", ID_WEB), 0, DOCKER_EVENT_UPDATE},
        {EV("container", "die", ID_WEB), 0, DOCKER_EVENT_DIE},
        {EV("container", "destroy", ID_WEB), 0, DOCKER_EVENT_DESTROY},
        /* Everything else, including actions that carry details. */
        {EV("container", "oom", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "kill", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "pause", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "health_status: healthy", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "health_status: unhealthy", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "exec_start: sh -c echo hi", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "exec_die", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "created", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "Start", ID_WEB), 0, DOCKER_EVENT_OTHER},
        {EV("container", "start ", ID_WEB), 0, DOCKER_EVENT_OTHER},
        /* Other types are skipped before anything else is looked at. */
        {EV("network", "connect", ID_WEB), -ENOMSG, 0},
        {EV("image", "pull", "busybox:latest"), -ENOMSG, 0},
        {EV("volume", "mount", "pgdata"), -ENOMSG, 0},
        {"{\"Type\":\"daemon\",\"Action\":\"reload\"}", -ENOMSG, 0},
        {"{\"Type\":\"Container\",\"Action\":\"start\"}", -ENOMSG, 0},
        {"{\"Type\":\"\"}", -ENOMSG, 0},
        /* The legacy members, alone or as a fallback. */
        {"{\"status\":\"start\",\"id\":\"" ID_WEB "\",\"from\":\"busybox\",\"Type\":\"container\"}",
         0, DOCKER_EVENT_START},
        {"{\"id\":\"" ID_WEB "\",\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{}}", 0,
         DOCKER_EVENT_DIE},
        {"{\"id\":\"" ID_WEB
         "\",\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"\"}}",
         0, DOCKER_EVENT_DIE},
        {"{\"id\":\"" ID_WEB "\",\"Type\":\"container\",\"Action\":\"die\",\"Actor\":null}", 0,
         DOCKER_EVENT_DIE},
        /* Actor.ID wins over the legacy id; Action over status. */
        {"{\"status\":\"die\",\"id\":\"" ID_DB "\",\"Type\":\"container\",\"Action\":\"start\","
         "\"Actor\":{\"ID\":\"" ID_WEB "\"}}",
         0, DOCKER_EVENT_START},
        /* Whitespace JSON allows, a CRLF line end. */
        {" { \"Type\" : \"container\" , \"Action\" : \"start\" , \"Actor\" : { \"ID\" : \"" ID_WEB
         "\" } }\r\n",
         0, DOCKER_EVENT_START},
        /* Malformed container events. */
        {EV("container", "start", ID_63), -EBADMSG, 0},
        {EV("container", "start", ID_UPPER), -EBADMSG, 0},
        {EV("container", "start", "web"), -EBADMSG, 0},
        {EV("container", "", ID_WEB), -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":\"start\"}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":5,\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":\"" ID_WEB "\"}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":7}}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{},\"id\":7}", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"status\":[],\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        {"{\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        {"{\"Type\":null,\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        {"{\"Type\":1,\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID_WEB "\"}}", -EBADMSG, 0},
        /* Not one JSON object. */
        {"", -EBADMSG, 0},
        {"\n", -EBADMSG, 0},
        {"[]", -EBADMSG, 0},
        {"\"container\"", -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID_WEB "\"}", -EBADMSG,
         0},
        {EV("container", "start", ID_WEB) "\n" EV("container", "die", ID_WEB), -EBADMSG, 0},
        {"{\"Type\":\"container\",\"Type\":\"network\"}", -EBADMSG, 0},
};

static void test_event_rows(void **state)
{
        size_t wrong = 0;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(event_rows); i++) {
                const struct event_row *row = &event_rows[i];
                struct docker_event ev;
                POISON(ev);
                int r = event_of(row->line, &ev);
                if (r != row->ret) {
                        print_error("row %zu %s: %d, want %d\n", i, row->line, r, row->ret);
                        wrong++;
                } else if (r == 0 && (ev.action != row->action || strcmp(ev.id, ID_WEB) != 0)) {
                        print_error("row %zu %s: action %d id %s\n", i, row->line, ev.action,
                                    ev.id);
                        wrong++;
                } else if (r < 0 && !UNTOUCHED(ev)) {
                        print_error("row %zu %s: output written on failure\n", i, row->line);
                        wrong++;
                }
        }
        assert_int_equal(wrong, 0);

        struct docker_event ev;
        assert_int_equal(docker_parse_event(NULL, 1, &ev), -EINVAL);
        assert_int_equal(docker_parse_event("{}", 2, NULL), -EINVAL);
}

static void test_event_action_names(void **state)
{
        (void) state;

        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_OTHER), "other");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_CREATE), "create");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_START), "start");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_RENAME), "rename");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_UPDATE), "update");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_DIE), "die");
        assert_string_equal(docker_event_action_to_string(DOCKER_EVENT_DESTROY), "destroy");
        assert_null(docker_event_action_to_string((enum docker_event_action) 99));
}

/* ---- crio_parse_container_info ---- */

static void test_crio_container(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(crio_file(ID_CRIO_APP, RUNTIMES "crio-info-container.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_CRIO_APP);
        assert_string_equal(m.name, "k8s_redis_" CRIO_POD "_shop_" CRIO_UID "_0");
        assert_string_equal(m.image, "docker.io/library/redis:7.2");
        assert_false(m.sandbox);
        assert_string_equal(m.pod_sandbox_id, ID_CRIO_POD);
        assert_string_equal(m.pod_name, CRIO_POD);
        assert_string_equal(m.pod_namespace, "shop");
        assert_string_equal(m.pod_uid, CRIO_UID);
        assert_string_equal(m.k8s_container_name, "redis");
        assert_int_equal(m.n_labels, 4);
        /* The CRI annotations; CRI-O's own (crio_annotations) are not copied. */
        assert_int_equal(m.n_annotations, 6);
        assert_string_equal(container_meta_annotation(&m, "io.kubernetes.container.restartCount"),
                            "0");
        assert_null(container_meta_annotation(&m, "io.kubernetes.cri-o.ContainerType"));
}

static void test_crio_sandbox(void **state)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        (void) state;

        assert_int_equal(crio_file(ID_CRIO_POD, RUNTIMES "crio-info-sandbox.json", &m), 0);
        assert_meta_sane(&m);
        assert_string_equal(m.id, ID_CRIO_POD);
        assert_string_equal(m.name, "k8s_POD_" CRIO_POD "_shop_" CRIO_UID "_0");
        /* CRI-O names no image for an infra container. */
        assert_null(m.image);
        assert_true(m.sandbox);
        assert_string_equal(m.pod_sandbox_id, ID_CRIO_POD);
        assert_string_equal(m.pod_name, CRIO_POD);
        assert_string_equal(m.pod_namespace, "shop");
        assert_string_equal(m.pod_uid, CRIO_UID);
        assert_string_equal(m.k8s_container_name, "POD");
        assert_int_equal(m.n_labels, 6);
        assert_string_equal(container_meta_label(&m, "app"), "cache");
        assert_int_equal(m.n_annotations, 2);
}

static void test_crio_shapes(void **state)
{
        (void) state;

        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Everything optional. */
                assert_int_equal(crio_of(ID_CRIO_APP, "{}", &m), 0);
                assert_string_equal(m.id, ID_CRIO_APP);
                assert_null(m.name);
                assert_null(m.image);
                assert_null(m.pod_sandbox_id);
                assert_false(m.sandbox);
                assert_int_equal(m.n_labels, 0);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Older CRI-O: no image_ref, no crio_annotations, ip_address; nil maps. */
                assert_int_equal(
                        crio_of(ID_CRIO_APP,
                                "{\"name\":\"k8s_redis\",\"pid\":1,\"image\":\"redis:7\","
                                "\"created_time\":1,\"labels\":null,\"annotations\":null,"
                                "\"log_path\":\"\",\"root\":\"\",\"sandbox\":\"" ID_CRIO_POD
                                "\",\"ip_address\":\"10.85.0.3\"}",
                                &m),
                        0);
                assert_string_equal(m.image, "redis:7");
                assert_string_equal(m.pod_sandbox_id, ID_CRIO_POD);
                assert_false(m.sandbox);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* No image name: its id; the type in the CRI annotations is enough. */
                assert_int_equal(crio_of(ID_CRIO_APP,
                                         "{\"image\":\"\",\"image_ref\":\"" REDIS_IMAGE_ID "\","
                                         "\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":"
                                         "\"sandbox\"},\"sandbox\":\"" ID_CRIO_POD "\"}",
                                         &m),
                                 0);
                assert_string_equal(m.image, REDIS_IMAGE_ID);
                assert_true(m.sandbox);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Its own sandbox: an infra container even without the annotation. */
                assert_int_equal(
                        crio_of(ID_CRIO_POD,
                                "{\"sandbox\":\"" ID_CRIO_POD "\",\"crio_annotations\":{}}", &m),
                        0);
                assert_true(m.sandbox);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* A container type, other annotations whatever they hold (not read). */
                assert_int_equal(crio_of(ID_CRIO_APP,
                                         "{\"sandbox\":\"" ID_CRIO_POD "\",\"crio_annotations\":{"
                                         "\"io.kubernetes.cri-o.ContainerType\":\"container\","
                                         "\"io.kubernetes.cri-o.Volumes\":[]}}",
                                         &m),
                                 0);
                assert_false(m.sandbox);
        }
        {
                _cleanup_(container_meta_done) struct container_meta m = {};
                /* Labels name the pod; an empty sandbox is no sandbox id. */
                assert_int_equal(crio_of(ID_CRIO_APP,
                                         "{\"sandbox\":\"\",\"labels\":{\"io.kubernetes.pod.name\":"
                                         "\"p\",\"io.kubernetes.pod.namespace\":\"n\"}}",
                                         &m),
                                 0);
                assert_null(m.pod_sandbox_id);
                assert_string_equal(m.pod_name, "p");
                assert_string_equal(m.pod_namespace, "n");
                assert_null(m.pod_uid);
        }
}

static const char *const crio_bad[] = {
        "{\"name\":1}",
        "{\"name\":[]}",
        "{\"image\":false}",
        "{\"image_ref\":{}}",
        "{\"sandbox\":5}",
        "{\"labels\":[]}",
        "{\"labels\":\"app=cache\"}",
        "{\"labels\":{\"app\":1}}",
        "{\"annotations\":[\"a\"]}",
        "{\"annotations\":{\"a\":true}}",
        "{\"crio_annotations\":[]}",
        "{\"crio_annotations\":\"x\"}",
        "{\"crio_annotations\":{\"io.kubernetes.cri-o.ContainerType\":1}}",
        "{\"name\":\"a\",\"name\":\"b\"}",
        "[]",
        "null",
        "",
        "{",
        "can't find the container with id " ID_CRIO_APP "\n",
};

static void test_crio_bad(void **state)
{
        struct container_meta m;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(crio_bad); i++) {
                POISON(m);
                int r = crio_of(ID_CRIO_APP, crio_bad[i], &m);
                if (r != -EBADMSG)
                        print_error("row %zu %s: %d\n", i, crio_bad[i], r);
                assert_int_equal(r, -EBADMSG);
                assert_true(UNTOUCHED(m));
        }

        /* The id is the caller's: checked before the body. */
        POISON(m);
        assert_int_equal(crio_of(ID_63, "{}", &m), -EINVAL);
        assert_int_equal(crio_of(ID_UPPER, "{}", &m), -EINVAL);
        assert_int_equal(crio_of("", "{}", &m), -EINVAL);
        assert_int_equal(crio_of(NULL, "{}", &m), -EINVAL);
        assert_int_equal(crio_parse_container_info(ID_CRIO_APP, NULL, 0, &m), -EINVAL);
        assert_int_equal(crio_parse_container_info(ID_CRIO_APP, "{}", 2, NULL), -EINVAL);
        assert_true(UNTOUCHED(m));
}

/* A failed parse leaves labels a caller already had alone: all or nothing. */
static void test_labels_all_or_nothing(void **state)
{
        struct container_meta m;
        (void) state;

        /* The bad value is the last: every good one before it must be undone. */
        POISON(m);
        assert_int_equal(inspect_of("{\"Id\":\"" ID_WEB "\",\"Config\":{\"Labels\":{\"a\":\"1\","
                                    "\"b\":\"2\",\"c\":3}}}",
                                    &m),
                         -EBADMSG);
        assert_true(UNTOUCHED(m));
        POISON(m);
        assert_int_equal(
                crio_of(ID_CRIO_APP,
                        "{\"labels\":{\"a\":\"1\"},\"annotations\":{\"b\":\"2\",\"c\":null}}", &m),
                -EBADMSG);
        assert_true(UNTOUCHED(m));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_meta_labels),
                cmocka_unit_test(test_meta_many_labels),
                cmocka_unit_test(test_meta_done),
                cmocka_unit_test(test_meta_kubernetes_from_labels),
                cmocka_unit_test(test_meta_kubernetes_from_labels_precedence),
                cmocka_unit_test(test_meta_copy),
                cmocka_unit_test(test_meta_labels_json),
                cmocka_unit_test(test_container_id_valid),
                cmocka_unit_test(test_version_fixtures),
                cmocka_unit_test(test_version_rows),
                cmocka_unit_test(test_version_length),
                cmocka_unit_test(test_version_ping),
                cmocka_unit_test(test_truncated_bodies),
                cmocka_unit_test(test_inspect_plain),
                cmocka_unit_test(test_inspect_compose),
                cmocka_unit_test(test_inspect_k8s_container),
                cmocka_unit_test(test_inspect_k8s_sandbox),
                cmocka_unit_test(test_inspect_podman),
                cmocka_unit_test(test_inspect_optional_parts),
                cmocka_unit_test(test_inspect_bad),
                cmocka_unit_test(test_events_fixture),
                cmocka_unit_test(test_event_rows),
                cmocka_unit_test(test_event_action_names),
                cmocka_unit_test(test_crio_container),
                cmocka_unit_test(test_crio_sandbox),
                cmocka_unit_test(test_crio_shapes),
                cmocka_unit_test(test_crio_bad),
                cmocka_unit_test(test_labels_all_or_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
