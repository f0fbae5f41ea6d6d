/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for what the agent and cgmem-names say to each other (supervisor/names-wire.c,
 * cri/container-meta-json.c): every message there and back, strict reading, size bounds. */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/names/names-wire.h"

#define ID_A "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"

static char buf[NAMES_WIRE_MAX];

static struct names_msg round_trip(const struct names_msg *m)
{
        struct names_msg back;
        ssize_t len = names_msg_format(m, buf, sizeof(buf));

        assert_true(len > 0);
        assert_int_equal(strlen(buf), (size_t) len);
        assert_int_equal(names_msg_parse(buf, (size_t) len, &back), 0);
        assert_int_equal(back.op, m->op);
        return back;
}

static void test_track_untrack_status(void **state)
{
        struct names_msg m, back;

        (void) state;
        m = (struct names_msg){.op = NAMES_OP_TRACK, .seq = 7, .runtime = RUNTIME_CONTAINERD};
        strcpy(m.id, ID_A);
        back = round_trip(&m);
        assert_int_equal(back.seq, 7);
        assert_int_equal(back.runtime, RUNTIME_CONTAINERD);
        assert_string_equal(back.id, ID_A);
        assert_string_equal(
                buf, "{\"op\":\"track\",\"seq\":7,\"runtime\":\"containerd\",\"id\":\"" ID_A "\"}");

        m = (struct names_msg){.op = NAMES_OP_UNTRACK, .seq = UINT32_MAX + 1ull};
        strcpy(m.id, ID_A);
        back = round_trip(&m);
        assert_int_equal(back.seq, UINT32_MAX + 1ull);
        assert_string_equal(back.id, ID_A);

        m = (struct names_msg){.op = NAMES_OP_STATUS, .seq = 12, .busy = 3};
        back = round_trip(&m);
        assert_int_equal(back.seq, 12);
        assert_int_equal(back.busy, 3);
}

static struct container_meta sample_meta(void)
{
        struct container_meta m = {0};

        m.id = strdup(ID_A);
        m.name = strdup("web-0");
        m.image = strdup("nginx:1.27");
        m.pod_name = strdup("web-0");
        m.pod_namespace = strdup("shop");
        m.k8s_container_name = strdup("app");
        m.sandbox = true;
        assert_non_null(m.k8s_container_name);
        /* Order and a repeated key (the container's, then the pod's) must survive. */
        assert_int_equal(container_meta_add_label(&m, "io.cgmem.policy", "avoid"), 0);
        assert_int_equal(container_meta_add_label(&m, "tier", "front \"quoted\" é"), 0);
        assert_int_equal(container_meta_add_label(&m, "io.cgmem.policy", "protect"), 0);
        assert_int_equal(container_meta_add_annotation(&m, "note", "x"), 0);
        return m;
}

static void test_learned_keeps_everything(void **state)
{
        struct names_msg m = {.op = NAMES_OP_LEARNED}, back;

        (void) state;
        strcpy(m.id, ID_A);
        m.meta = sample_meta();
        back = round_trip(&m);
        assert_string_equal(back.id, ID_A);
        assert_string_equal(back.meta.id, ID_A);
        assert_string_equal(back.meta.name, "web-0");
        assert_string_equal(back.meta.image, "nginx:1.27");
        assert_string_equal(back.meta.pod_namespace, "shop");
        assert_string_equal(back.meta.k8s_container_name, "app");
        assert_null(back.meta.pod_uid);
        assert_true(back.meta.sandbox);
        assert_int_equal(back.meta.n_labels, 3);
        assert_string_equal(back.meta.labels[1].value, "front \"quoted\" é");
        assert_string_equal(container_meta_label(&back.meta, "io.cgmem.policy"), "avoid");
        assert_string_equal(back.meta.labels[2].value, "protect");
        assert_string_equal(container_meta_annotation(&back.meta, "note"), "x");
        names_msg_done(&back);
        names_msg_done(&m);
}

static void test_too_large_sheds_annotations_then_labels(void **state)
{
        struct names_msg m = {.op = NAMES_OP_LEARNED}, back;
        char *big = malloc(NAMES_WIRE_MAX);

        (void) state;
        assert_non_null(big);
        memset(big, 'a', NAMES_WIRE_MAX / 2);
        big[NAMES_WIRE_MAX / 2] = '\0';
        strcpy(m.id, ID_A);
        m.meta = sample_meta();
        assert_int_equal(container_meta_add_annotation(&m.meta, "huge", big), 0);
        assert_int_equal(container_meta_add_annotation(&m.meta, "huge2", big), 0);
        back = round_trip(&m);
        assert_int_equal(back.meta.n_annotations, 0);
        assert_int_equal(back.meta.n_labels, 3);
        names_msg_done(&back);

        assert_int_equal(container_meta_add_label(&m.meta, "huge", big), 0);
        assert_int_equal(container_meta_add_label(&m.meta, "huge2", big), 0);
        back = round_trip(&m);
        assert_int_equal(back.meta.n_labels, 0);
        assert_string_equal(back.meta.name, "web-0");
        names_msg_done(&back);

        /* A buffer too small even for the names. */
        assert_int_equal(names_msg_format(&m, buf, 40), -E2BIG);
        names_msg_done(&m);
        free(big);
}

static void test_strict(void **state)
{
        static const char *const bad[] = {
                "",
                "[]",
                "{\"op\":\"track\"}",
                "{\"op\":\"fly\",\"seq\":1}",
                "{\"op\":\"status\",\"seq\":-1,\"busy\":0}",
                "{\"op\":\"status\",\"seq\":1,\"busy\":4294967296}",
                "{\"op\":\"status\",\"seq\":1,\"busy\":\"2\"}",
                "{\"op\":\"status\",\"seq\":1,\"seq\":2,\"busy\":0}",
                "{\"op\":\"untrack\",\"seq\":1,\"id\":\"abc\"}",
                "{\"op\":\"track\",\"seq\":1,\"runtime\":\"rkt\",\"id\":\"" ID_A "\"}",
                "{\"op\":\"track\",\"seq\":1,\"runtime\":\"docker\",\"id\":\"" ID_A "0\"}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\"}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":[]}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"name\":3}}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"sandbox\":1}}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"labels\":{\"a\":\"b\"}}}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"labels\":[[\"a\"]]}}",
                "{\"op\":\"learned\",\"id\":\"" ID_A
                "\",\"meta\":{\"labels\":[[\"a\",\"b\",\"c\"]]}}",
                "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"labels\":[[\"a\",null]]}}",
        };
        struct names_msg m;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                m.op = (enum names_op) 99;
                if (names_msg_parse(bad[i], strlen(bad[i]), &m) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_int_equal(m.op, 99); /* untouched */
        }
        /* Unknown members are the future's, not an error. */
        const char *ok = "{\"op\":\"learned\",\"id\":\"" ID_A "\",\"meta\":{\"name\":\"w\","
                         "\"ports\":[80]},\"extra\":true}";
        assert_int_equal(names_msg_parse(ok, strlen(ok), &m), 0);
        assert_string_equal(m.meta.name, "w");
        assert_false(m.meta.sandbox);
        names_msg_done(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_track_untrack_status),
                cmocka_unit_test(test_learned_keeps_everything),
                cmocka_unit_test(test_too_large_sheds_annotations_then_labels),
                cmocka_unit_test(test_strict),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
