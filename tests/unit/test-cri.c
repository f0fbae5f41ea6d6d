/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the CRI message layer: gRPC framing and status values
 * (cri/grpc.c) and the runtime.v1 requests and answers (cri/cri.c). Answers are
 * built with the protobuf-c code generated from cri/cri.proto, and, so that a
 * wrong field number in that file cannot hide behind a matching wrong decoder,
 * also written out byte by byte from the protobuf wire format.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "cri/cri.h"
#include "cri/cri.pb-c.h"
#include "cri/grpc.h"
#include "unit-util.h"

typedef Runtime__V1__StringMapEntry MapEntry;

#define ID_A     "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define ID_B     "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID_P     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID      "8a1e7f0c-5b2d-4c6e-9f3a-1d2b3c4d5e6f"
#define IMAGE_ID "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741"
#define IMAGE_DIGEST                                                                               \
        "docker.io/library/busybox@sha256:"                                                        \
        "9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"

/* ---- helpers ---- */

/* The packed and framed message, in an exactly-sized buffer. */
static uint8_t *frame_message(const ProtobufCMessage *msg, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(msg);
        uint8_t *packed = malloc(n ? n : 1);
        uint8_t *framed;
        assert_non_null(packed);
        assert_int_equal(protobuf_c_message_pack(msg, packed), n);
        assert_int_equal(grpc_frame(packed, n, &framed, ret_len), 0);
        assert_int_equal(*ret_len, n + GRPC_FRAME_HEADER_SIZE);
        free(packed);
        return framed;
}

/* bytes framed as one message, exactly sized. */
static uint8_t *frame_bytes(const void *bytes, size_t n, size_t *ret_len)
{
        uint8_t *framed;
        assert_int_equal(grpc_frame(bytes, n, &framed, ret_len), 0);
        return framed;
}

static void assert_labels(const struct meta_label *v, size_t n, const char *const *kv, size_t n_kv)
{
        assert_int_equal(n, n_kv / 2);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(v[i].key, kv[2 * i]);
                assert_string_equal(v[i].value, kv[2 * i + 1]);
        }
}

/* ---- gRPC framing ---- */

static void test_grpc_frame(void **state)
{
        (void) state;
        uint8_t *buf;
        size_t len;

        assert_int_equal(grpc_frame("abc", 3, &buf, &len), 0);
        assert_int_equal(len, 8);
        assert_memory_equal(buf, "\0\0\0\0\3abc", 8);
        free(buf);

        /* An all-defaults message is zero bytes long, and still one frame. */
        assert_int_equal(grpc_frame(NULL, 0, &buf, &len), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(buf, "\0\0\0\0\0", 5);
        free(buf);

        /* The length is big-endian. */
        uint8_t *big = calloc(1, 0x010203);
        assert_non_null(big);
        assert_int_equal(grpc_frame(big, 0x010203, &buf, &len), 0);
        assert_int_equal(len, 0x010203 + 5);
        assert_memory_equal(buf, "\0\0\1\2\3", 5);
        free(buf);
        free(big);

        buf = (uint8_t *) "untouched";
        len = 42;
        /* Refused before msg is read: no 16 MiB buffer needed to test it. */
        assert_int_equal(grpc_frame("x", GRPC_MESSAGE_MAX + 1, &buf, &len), -EMSGSIZE);
        assert_int_equal(grpc_frame(NULL, 1, &buf, &len), -EINVAL);
        assert_int_equal(grpc_frame("x", 1, NULL, &len), -EINVAL);
        assert_int_equal(grpc_frame("x", 1, &buf, NULL), -EINVAL);
        assert_string_equal((const char *) buf, "untouched");
        assert_int_equal(len, 42);
}

static int unframe_of(const char *bytes, size_t n, size_t *ret_off, size_t *ret_len)
{
        uint8_t *b = (uint8_t *) dup_exact(bytes, n);
        const uint8_t *msg = NULL;
        size_t msg_len = 0;
        int r = grpc_unframe(b, n, &msg, &msg_len);
        if (r == 0) {
                assert_true(msg >= b && msg + msg_len <= b + n);
                *ret_off = (size_t) (msg - b);
                *ret_len = msg_len;
        } else {
                assert_null(msg);
                assert_int_equal(msg_len, 0);
        }
        free(b);
        return r;
}

static void test_grpc_unframe(void **state)
{
        (void) state;
        size_t off = 99, len = 99;

        assert_int_equal(unframe_of("\0\0\0\0\3abc", 8, &off, &len), 0);
        assert_int_equal(off, 5);
        assert_int_equal(len, 3);
        assert_int_equal(unframe_of("\0\0\0\0\0", 5, &off, &len), 0);
        assert_int_equal(off, 5);
        assert_int_equal(len, 0);

        /* No message at all: the answer is in grpc-status. */
        assert_int_equal(unframe_of("", 0, &off, &len), -ENODATA);
        /* Header cut short, message cut short, bytes after the message, two messages. */
        for (size_t n = 1; n < 5; n++)
                assert_int_equal(unframe_of("\0\0\0\0\0", n, &off, &len), -EBADMSG);
        assert_int_equal(unframe_of("\0\0\0\0\3ab", 7, &off, &len), -EBADMSG);
        assert_int_equal(unframe_of("\0\0\0\0\3abcd", 9, &off, &len), -EBADMSG);
        assert_int_equal(unframe_of("\0\0\0\0\1a\0\0\0\0\1b", 12, &off, &len), -EBADMSG);
        assert_int_equal(unframe_of("\0\1\0\0\0abc", 8, &off, &len), -EBADMSG);
        /* The flag byte is 0 or 1, nothing else. */
        assert_int_equal(unframe_of("\2\0\0\0\3abc", 8, &off, &len), -EBADMSG);
        assert_int_equal(unframe_of("\x80\0\0\0\0", 5, &off, &len), -EBADMSG);
        /* Compressed: we never offered an encoding. */
        assert_int_equal(unframe_of("\1\0\0\0\3abc", 8, &off, &len), -ENOTSUP);
        /* Announced sizes beyond the cap are refused from the header alone. */
        assert_int_equal(unframe_of("\0\1\0\0\1", 5, &off, &len), -EMSGSIZE);
        assert_int_equal(unframe_of("\0\xff\xff\xff\xff", 5, &off, &len), -EMSGSIZE);
        assert_int_equal(unframe_of("\0\1\0\0\0", 5, &off, &len), -EBADMSG); /* exactly the cap */
        assert_int_equal(off, 5);
        assert_int_equal(len, 0);

        const uint8_t *msg;
        assert_int_equal(grpc_unframe(NULL, 5, &msg, &len), -EINVAL);
        assert_int_equal(grpc_unframe((const uint8_t *) "\0\0\0\0\0", 5, NULL, &len), -EINVAL);
        assert_int_equal(grpc_unframe((const uint8_t *) "\0\0\0\0\0", 5, &msg, NULL), -EINVAL);
}

static void test_grpc_frame_roundtrip(void **state)
{
        (void) state;
        static const size_t sizes[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20};

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                uint8_t *msg = malloc(sizes[i] ? sizes[i] : 1), *buf;
                const uint8_t *got;
                size_t len, got_len;
                assert_non_null(msg);
                for (size_t j = 0; j < sizes[i]; j++)
                        msg[j] = (uint8_t) (j * 7);
                assert_int_equal(grpc_frame(msg, sizes[i], &buf, &len), 0);
                assert_int_equal(grpc_unframe(buf, len, &got, &got_len), 0);
                assert_int_equal(got_len, sizes[i]);
                assert_ptr_equal(got, buf + 5);
                if (sizes[i])
                        assert_memory_equal(got, msg, sizes[i]);
                free(buf);
                free(msg);
        }
}

/* ---- grpc-status, grpc-message ---- */

static int status_of(const char *s)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int code = -12345;
        int r = grpc_status_parse(b, n, &code);
        free(b);
        if (r < 0) {
                assert_int_equal(code, -12345);
                return r;
        }
        return code;
}

static void test_grpc_status_parse(void **state)
{
        (void) state;

        for (int i = 0; i <= 16; i++) {
                char s[16];
                snprintf(s, sizeof(s), "%d", i);
                assert_int_equal(status_of(s), i);
        }
        assert_int_equal(status_of("17"), -ERANGE);
        assert_int_equal(status_of("99"), -ERANGE);
        assert_int_equal(status_of("100"), -ERANGE);
        assert_int_equal(status_of("99999999999999999999999"), -ERANGE);

        static const char *const bad[] = {
                "", "00", "01", "016", "-1", "+1", " 1", "1 ", "1\t", "1a", "a", "0x1", "1.0", "١",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(status_of(bad[i]), -EINVAL);

        /* The length is what counts, not a NUL. */
        int code = -1;
        assert_int_equal(grpc_status_parse("14garbage", 2, &code), 0);
        assert_int_equal(code, 14);
        assert_int_equal(grpc_status_parse("1\0", 2, &code), -EINVAL);
        assert_int_equal(grpc_status_parse(NULL, 0, &code), -EINVAL);
        assert_int_equal(grpc_status_parse("1", 1, NULL), -EINVAL);
}

static void assert_decodes(const char *in, const char *want)
{
        size_t n = strlen(in);
        char *b = dup_exact(in, n), *got = NULL;
        assert_int_equal(grpc_message_decode(b, n, &got), 0);
        assert_string_equal(got, want);
        free(got);
        free(b);
}

static void test_grpc_message_decode(void **state)
{
        (void) state;

        assert_decodes("", "");
        assert_decodes("container not found", "container not found");
        assert_decodes("no%20such%20container", "no such container");
        assert_decodes("%25", "%");
        assert_decodes("100%25%20done", "100% done");
        assert_decodes("caf%C3%A9 caf%c3%a9", "café café");
        assert_decodes("line%0Anext", "line\nnext");
        /* Badly encoded: kept as it came, never refused (gRPC's spec). */
        assert_decodes("100%", "100%");
        assert_decodes("%4", "%4");
        assert_decodes("%zz%4g%g4", "%zz%4g%g4");
        assert_decodes("%%41", "%A");
        /* A NUL would end the string early: %00 stays encoded. */
        assert_decodes("a%00b", "a%00b");

        char *got = (char *) "untouched";
        assert_int_equal(grpc_message_decode("a\0b", 3, &got), -EINVAL);
        assert_int_equal(grpc_message_decode(NULL, 1, &got), -EINVAL);
        assert_int_equal(grpc_message_decode("a", 1, NULL), -EINVAL);
        assert_string_equal(got, "untouched");
        /* Only len bytes are read. */
        assert_int_equal(grpc_message_decode("ab%41", 2, &got), 0);
        assert_string_equal(got, "ab");
        free(got);
}

static void test_grpc_status_names(void **state)
{
        (void) state;

        assert_string_equal(grpc_status_to_string(0), "OK");
        assert_string_equal(grpc_status_to_string(1), "CANCELLED");
        assert_string_equal(grpc_status_to_string(2), "UNKNOWN");
        assert_string_equal(grpc_status_to_string(3), "INVALID_ARGUMENT");
        assert_string_equal(grpc_status_to_string(4), "DEADLINE_EXCEEDED");
        assert_string_equal(grpc_status_to_string(5), "NOT_FOUND");
        assert_string_equal(grpc_status_to_string(6), "ALREADY_EXISTS");
        assert_string_equal(grpc_status_to_string(7), "PERMISSION_DENIED");
        assert_string_equal(grpc_status_to_string(8), "RESOURCE_EXHAUSTED");
        assert_string_equal(grpc_status_to_string(9), "FAILED_PRECONDITION");
        assert_string_equal(grpc_status_to_string(10), "ABORTED");
        assert_string_equal(grpc_status_to_string(11), "OUT_OF_RANGE");
        assert_string_equal(grpc_status_to_string(12), "UNIMPLEMENTED");
        assert_string_equal(grpc_status_to_string(13), "INTERNAL");
        assert_string_equal(grpc_status_to_string(14), "UNAVAILABLE");
        assert_string_equal(grpc_status_to_string(15), "DATA_LOSS");
        assert_string_equal(grpc_status_to_string(16), "UNAUTHENTICATED");
        assert_null(grpc_status_to_string(17));
        assert_null(grpc_status_to_string(-1));

        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_OK), 0);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_CANCELLED), -ECANCELED);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_INVALID_ARGUMENT), -EINVAL);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_DEADLINE_EXCEEDED), -ETIMEDOUT);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_NOT_FOUND), -ENOENT);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_ALREADY_EXISTS), -EEXIST);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_PERMISSION_DENIED), -EACCES);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_UNAUTHENTICATED), -EACCES);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_RESOURCE_EXHAUSTED), -ENOBUFS);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_UNIMPLEMENTED), -EOPNOTSUPP);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_UNAVAILABLE), -ECONNREFUSED);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_UNKNOWN), -EPROTO);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_FAILED_PRECONDITION), -EPROTO);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_ABORTED), -EPROTO);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_OUT_OF_RANGE), -EPROTO);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_INTERNAL), -EPROTO);
        assert_int_equal(grpc_status_to_errno(GRPC_STATUS_DATA_LOSS), -EPROTO);
        assert_int_equal(grpc_status_to_errno(17), -EPROTO);
        assert_int_equal(grpc_status_to_errno(-1), -EPROTO);
}

/* ---- requests ---- */

/*
 * Goldens from the protobuf wire format by hand: a key byte is
 * (field number << 3) | wire type, 2 being length-delimited; then a varint length.
 * ListContainersRequest { filter (1) = ContainerFilter { id (1) = "abc" } }:
 *   0a 05        field 1, 5 bytes
 *     0a 03 'abc'  field 1, 3 bytes
 * and the gRPC frame before it: flag 0, length 7 big-endian.
 */
static void test_request_goldens(void **state)
{
        (void) state;
        uint8_t *buf;
        size_t len;

        static const uint8_t list_one[] = {0, 0, 0, 0, 7, 0x0a, 0x05, 0x0a, 0x03, 'a', 'b', 'c'};
        assert_int_equal(cri_list_containers_request("abc", &buf, &len), 0);
        assert_int_equal(len, sizeof(list_one));
        assert_memory_equal(buf, list_one, sizeof(list_one));
        free(buf);

        /* A full id: 64 bytes of id, 66 of filter, 68 of message. */
        assert_int_equal(cri_list_containers_request(ID_A, &buf, &len), 0);
        assert_int_equal(len, 5 + 68);
        assert_memory_equal(buf, "\0\0\0\0\x44\x0a\x42\x0a\x40", 9);
        assert_memory_equal(buf + 9, ID_A, 64);
        free(buf);

        /* No filter: the empty message. */
        assert_int_equal(cri_list_containers_request(NULL, &buf, &len), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(buf, "\0\0\0\0\0", 5);
        free(buf);

        /* ListPodSandboxRequest { filter (1) = PodSandboxFilter { id (1) } }: the same bytes. */
        assert_int_equal(cri_list_pod_sandbox_request("abc", &buf, &len), 0);
        assert_int_equal(len, sizeof(list_one));
        assert_memory_equal(buf, list_one, sizeof(list_one));
        free(buf);
        assert_int_equal(cri_list_pod_sandbox_request(NULL, &buf, &len), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(buf, "\0\0\0\0\0", 5);
        free(buf);

        /* ContainerStatusRequest { container_id (1) = "abc" }, verbose (2) false: not sent. */
        static const uint8_t status[] = {0, 0, 0, 0, 5, 0x0a, 0x03, 'a', 'b', 'c'};
        assert_int_equal(cri_container_status_request("abc", &buf, &len), 0);
        assert_int_equal(len, sizeof(status));
        assert_memory_equal(buf, status, sizeof(status));
        free(buf);
}

static void test_requests_unpack(void **state)
{
        (void) state;
        uint8_t *buf;
        const uint8_t *msg;
        size_t len, msg_len;

        assert_int_equal(cri_list_containers_request(ID_B, &buf, &len), 0);
        assert_int_equal(grpc_unframe(buf, len, &msg, &msg_len), 0);
        Runtime__V1__ListContainersRequest *lc =
                runtime__v1__list_containers_request__unpack(NULL, msg_len, msg);
        assert_non_null(lc);
        assert_non_null(lc->filter);
        assert_string_equal(lc->filter->id, ID_B);
        assert_null(lc->filter->state);
        assert_string_equal(lc->filter->pod_sandbox_id, "");
        assert_int_equal(lc->filter->n_label_selector, 0);
        runtime__v1__list_containers_request__free_unpacked(lc, NULL);
        free(buf);

        assert_int_equal(cri_list_pod_sandbox_request(ID_P, &buf, &len), 0);
        assert_int_equal(grpc_unframe(buf, len, &msg, &msg_len), 0);
        Runtime__V1__ListPodSandboxRequest *lp =
                runtime__v1__list_pod_sandbox_request__unpack(NULL, msg_len, msg);
        assert_non_null(lp);
        assert_non_null(lp->filter);
        assert_string_equal(lp->filter->id, ID_P);
        assert_null(lp->filter->state);
        runtime__v1__list_pod_sandbox_request__free_unpacked(lp, NULL);
        free(buf);

        assert_int_equal(cri_list_pod_sandbox_request(NULL, &buf, &len), 0);
        assert_int_equal(grpc_unframe(buf, len, &msg, &msg_len), 0);
        lp = runtime__v1__list_pod_sandbox_request__unpack(NULL, msg_len, msg);
        assert_non_null(lp);
        assert_null(lp->filter);
        runtime__v1__list_pod_sandbox_request__free_unpacked(lp, NULL);
        free(buf);

        assert_int_equal(cri_container_status_request(ID_A, &buf, &len), 0);
        assert_int_equal(grpc_unframe(buf, len, &msg, &msg_len), 0);
        Runtime__V1__ContainerStatusRequest *cs =
                runtime__v1__container_status_request__unpack(NULL, msg_len, msg);
        assert_non_null(cs);
        assert_string_equal(cs->container_id, ID_A);
        assert_false(cs->verbose);
        runtime__v1__container_status_request__free_unpacked(cs, NULL);
        free(buf);

        /* An empty id would mean "all" on the wire: refused. */
        buf = (uint8_t *) "untouched";
        len = 42;
        assert_int_equal(cri_list_containers_request("", &buf, &len), -EINVAL);
        assert_int_equal(cri_list_pod_sandbox_request("", &buf, &len), -EINVAL);
        assert_int_equal(cri_container_status_request("", &buf, &len), -EINVAL);
        assert_int_equal(cri_container_status_request(NULL, &buf, &len), -EINVAL);
        assert_int_equal(cri_list_containers_request("a", NULL, &len), -EINVAL);
        assert_int_equal(cri_list_containers_request("a", &buf, NULL), -EINVAL);
        assert_string_equal((const char *) buf, "untouched");
        assert_int_equal(len, 42);
}

/* ---- ListContainers ---- */

static void test_list_containers_parse(void **state)
{
        (void) state;

        /* A kubelet-made container: its labels name the pod; the image is an id
         * with the user's words beside it. */
        MapEntry l_pod = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_pod.key = "io.kubernetes.pod.name";
        l_pod.value = "web-0";
        MapEntry l_ns = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_ns.key = "io.kubernetes.pod.namespace";
        l_ns.value = "shop";
        MapEntry l_uid = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_uid.key = "io.kubernetes.pod.uid";
        l_uid.value = UID;
        MapEntry l_cname = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_cname.key = "io.kubernetes.container.name";
        l_cname.value = "from-label";
        /* A key twice on the wire: the last one wins, as for any protobuf map. */
        MapEntry l_app1 = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_app1.key = "app";
        l_app1.value = "old";
        MapEntry l_app2 = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_app2.key = "app";
        l_app2.value = "web";
        MapEntry l_empty_key = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_empty_key.key = "";
        l_empty_key.value = "dropped";
        MapEntry l_empty_value = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        l_empty_value.key = "flag";
        l_empty_value.value = "";
        MapEntry *labels_a[] = {&l_pod,  &l_app1,      &l_ns,          &l_uid,
                                &l_app2, &l_empty_key, &l_empty_value, &l_cname};
        MapEntry a_hash = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        a_hash.key = "io.kubernetes.container.hash";
        a_hash.value = "1d3b";
        MapEntry a_restart = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        a_restart.key = "io.kubernetes.container.restartCount";
        a_restart.value = "2";
        MapEntry *annotations_a[] = {&a_restart, &a_hash};

        Runtime__V1__ContainerMetadata md_a = RUNTIME__V1__CONTAINER_METADATA__INIT;
        md_a.name = "nginx";
        md_a.attempt = 2;
        Runtime__V1__ImageSpec img_a = RUNTIME__V1__IMAGE_SPEC__INIT;
        img_a.image = IMAGE_ID;
        img_a.user_specified_image = "nginx:1.25";
        Runtime__V1__Container a = RUNTIME__V1__CONTAINER__INIT;
        a.id = ID_A;
        a.pod_sandbox_id = ID_P;
        a.metadata = &md_a;
        a.image = &img_a;
        a.image_ref = IMAGE_ID;
        a.state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        a.created_at = 1700000000000000000;
        a.n_labels = ELEMENTSOF(labels_a);
        a.labels = labels_a;
        a.n_annotations = ELEMENTSOF(annotations_a);
        a.annotations = annotations_a;

        /* A bare container (nerdctl, ctr + CRI): no labels, image by name. */
        Runtime__V1__ContainerMetadata md_b = RUNTIME__V1__CONTAINER_METADATA__INIT;
        md_b.name = "db";
        Runtime__V1__ImageSpec img_b = RUNTIME__V1__IMAGE_SPEC__INIT;
        img_b.image = "docker.io/library/postgres:16";
        Runtime__V1__Container b = RUNTIME__V1__CONTAINER__INIT;
        b.id = ID_B;
        b.metadata = &md_b;
        b.image = &img_b;
        b.image_ref = IMAGE_ID;

        /* No id: nothing to key it by, skipped. No metadata, no image. */
        Runtime__V1__Container no_id = RUNTIME__V1__CONTAINER__INIT;
        no_id.pod_sandbox_id = ID_P;
        Runtime__V1__Container bare = RUNTIME__V1__CONTAINER__INIT;
        bare.id = "c0ffee";

        Runtime__V1__Container *containers[] = {&a, &no_id, &b, &bare};
        Runtime__V1__ListContainersResponse resp = RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
        resp.n_containers = ELEMENTSOF(containers);
        resp.containers = containers;

        size_t len;
        uint8_t *body = frame_message(&resp.base, &len);
        struct container_meta *v = NULL;
        size_t n = 0;
        assert_int_equal(cri_list_containers_parse(body, len, &v, &n), 0);
        free(body);
        assert_int_equal(n, 3);

        assert_string_equal(v[0].id, ID_A);
        assert_string_equal(v[0].name, "nginx");
        assert_string_equal(v[0].k8s_container_name, "nginx"); /* metadata beats the label */
        assert_string_equal(v[0].image, "nginx:1.25");
        assert_false(v[0].sandbox);
        assert_string_equal(v[0].pod_sandbox_id, ID_P);
        assert_string_equal(v[0].pod_name, "web-0");
        assert_string_equal(v[0].pod_namespace, "shop");
        assert_string_equal(v[0].pod_uid, UID);
        static const char *const want_labels[] = {
                "app",
                "web",
                "flag",
                "",
                "io.kubernetes.container.name",
                "from-label",
                "io.kubernetes.pod.name",
                "web-0",
                "io.kubernetes.pod.namespace",
                "shop",
                "io.kubernetes.pod.uid",
                UID,
        };
        assert_labels(v[0].labels, v[0].n_labels, want_labels, ELEMENTSOF(want_labels));
        static const char *const want_annotations[] = {
                "io.kubernetes.container.hash",
                "1d3b",
                "io.kubernetes.container.restartCount",
                "2",
        };
        assert_labels(v[0].annotations, v[0].n_annotations, want_annotations,
                      ELEMENTSOF(want_annotations));

        assert_string_equal(v[1].id, ID_B);
        assert_string_equal(v[1].name, "db");
        assert_string_equal(v[1].image, "docker.io/library/postgres:16");
        assert_null(v[1].pod_sandbox_id);
        assert_null(v[1].pod_name);
        assert_null(v[1].pod_namespace);
        assert_null(v[1].pod_uid);
        assert_int_equal(v[1].n_labels, 0);
        assert_int_equal(v[1].n_annotations, 0);

        assert_string_equal(v[2].id, "c0ffee");
        assert_null(v[2].name);
        assert_null(v[2].k8s_container_name);
        assert_null(v[2].image);
        assert_null(v[2].labels);
        assert_null(v[2].annotations);

        container_metas_free(v, n);
}

/* The name the parse picks from an image spec and image_ref. */
static char *image_chosen(const char *image, const char *user, const char *ref)
{
        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        Runtime__V1__Container c = RUNTIME__V1__CONTAINER__INIT;
        Runtime__V1__Container *cs[] = {&c};
        Runtime__V1__ListContainersResponse resp = RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
        c.id = "x";
        if (image || user) {
                spec.image = (char *) (image ? image : "");
                spec.user_specified_image = (char *) (user ? user : "");
                c.image = &spec;
        }
        if (ref)
                c.image_ref = (char *) ref;
        resp.n_containers = 1;
        resp.containers = cs;

        size_t len, n;
        uint8_t *body = frame_message(&resp.base, &len);
        struct container_meta *v;
        assert_int_equal(cri_list_containers_parse(body, len, &v, &n), 0);
        assert_int_equal(n, 1);
        free(body);
        char *s = v[0].image ? strdup(v[0].image) : NULL;
        container_metas_free(v, n);
        return s;
}

static void assert_image_chosen(const char *image, const char *user, const char *ref,
                                const char *want)
{
        char *got = image_chosen(image, user, ref);
        if (want)
                assert_string_equal(got, want);
        else
                assert_null(got);
        free(got);
}

static void test_list_containers_image_choice(void **state)
{
        (void) state;

        assert_image_chosen("busybox:latest", NULL, IMAGE_ID, "busybox:latest");
        assert_image_chosen(IMAGE_ID, "busybox", IMAGE_ID, "busybox");
        assert_image_chosen("busybox:latest", "busybox", NULL, "busybox");
        /* An id, and a digest reference that still names the repository. */
        assert_image_chosen(IMAGE_ID, NULL, IMAGE_DIGEST, IMAGE_DIGEST);
        assert_image_chosen(IMAGE_ID, "", IMAGE_ID, IMAGE_ID);
        assert_image_chosen(NULL, NULL, IMAGE_ID, IMAGE_ID);
        /* A bare 64-digit id is an id; a registry with a port is a name. */
        assert_image_chosen(ID_A, NULL, "localhost:5000/app:v1", "localhost:5000/app:v1");
        assert_image_chosen("localhost:5000/app", NULL, IMAGE_ID, "localhost:5000/app");
        assert_image_chosen(NULL, NULL, NULL, NULL);
        assert_image_chosen("", "", "", NULL);
}

/*
 * A ListContainersResponse written out by hand, so that the field numbers in
 * cri/cri.proto are checked against the wire format, not against themselves:
 *   0a LEN                           containers (1)
 *     0a 01 'c'                      id (1)
 *     12 01 'p'                      pod_sandbox_id (2)
 *     1a 04 0a 02 'n' 'm'            metadata (3) { name (1) }
 *     22 09 0a 02 'i' 'm'            image (4) { image (1),
 *           92 01 02 'u' 's'                     user_specified_image (18) }
 *     2a 01 'r'                      image_ref (5)
 *     30 01                          state (6) varint
 *     38 05                          created_at (7) varint
 *     42 06 0a 01 'k' 12 01 'v'      labels (8) { key (1), value (2) }
 *     4a 06 0a 01 'a' 12 01 'b'      annotations (9)
 *     52 02 'i' 'd'                  image_id (10), not in our .proto: skipped
 */
static void test_list_containers_golden(void **state)
{
        (void) state;
        static const uint8_t container[] = {
                0x0a, 0x01, 'c',  0x12, 0x01, 'p',  0x1a, 0x04, 0x0a, 0x02, 'n',  'm',  0x22,
                0x09, 0x0a, 0x02, 'i',  'm',  0x92, 0x01, 0x02, 'u',  's',  0x2a, 0x01, 'r',
                0x30, 0x01, 0x38, 0x05, 0x42, 0x06, 0x0a, 0x01, 'k',  0x12, 0x01, 'v',  0x4a,
                0x06, 0x0a, 0x01, 'a',  0x12, 0x01, 'b',  0x52, 0x02, 'i',  'd',
        };
        uint8_t msg[2 + sizeof(container)];
        msg[0] = 0x0a;
        msg[1] = (uint8_t) sizeof(container);
        memcpy(msg + 2, container, sizeof(container));

        size_t len, n;
        uint8_t *body = frame_bytes(msg, sizeof(msg), &len);
        struct container_meta *v;
        assert_int_equal(cri_list_containers_parse(body, len, &v, &n), 0);
        free(body);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].id, "c");
        assert_string_equal(v[0].pod_sandbox_id, "p");
        assert_string_equal(v[0].name, "nm");
        assert_string_equal(v[0].image, "us");
        assert_int_equal(v[0].n_labels, 1);
        assert_string_equal(v[0].labels[0].key, "k");
        assert_string_equal(v[0].labels[0].value, "v");
        assert_int_equal(v[0].n_annotations, 1);
        assert_string_equal(v[0].annotations[0].key, "a");
        assert_string_equal(v[0].annotations[0].value, "b");
        container_metas_free(v, n);
}

static int list_containers_of_bytes(const char *bytes, size_t n)
{
        size_t len, got_n = 42;
        uint8_t *body = frame_bytes(bytes, n, &len);
        struct container_meta *v = (struct container_meta *) 0x1;
        int r = cri_list_containers_parse(body, len, &v, &got_n);
        free(body);
        if (r == 0) {
                container_metas_free(v, got_n);
                return (int) got_n;
        }
        assert_ptr_equal(v, (struct container_meta *) 0x1);
        assert_int_equal(got_n, 42);
        return r;
}

static void test_list_containers_malformed(void **state)
{
        (void) state;
        struct container_meta *v;
        size_t n;

        /* The empty message: no containers, and an empty result. */
        assert_int_equal(list_containers_of_bytes("", 0), 0);
        /* Unknown fields of every wire type are skipped. */
        assert_int_equal(list_containers_of_bytes("\x10\x01\x1d\0\0\0\0\x21\0\0\0\0\0\0\0\0", 16),
                         0);
        assert_int_equal(list_containers_of_bytes("\x0a\x03\x0a\x01x", 5), 1);

        /* A length past the end, inside and outside. */
        assert_int_equal(list_containers_of_bytes("\x0a\x05\x0a\x01x", 5), -EBADMSG);
        assert_int_equal(list_containers_of_bytes("\x0a\x03\x0a\x05x", 5), -EBADMSG);
        /* A truncated varint, a wire type that does not exist, field number 0. */
        assert_int_equal(list_containers_of_bytes("\x0a\x80", 2), -EBADMSG);
        assert_int_equal(list_containers_of_bytes("\x0f", 1), -EBADMSG);
        assert_int_equal(list_containers_of_bytes("\x02\x00", 2), -EBADMSG);
        /* containers (1) with the varint wire type. */
        assert_int_equal(list_containers_of_bytes("\x08\x01", 2), -EBADMSG);

        /* Framing errors come through. */
        assert_int_equal(cri_list_containers_parse((const uint8_t *) "", 0, &v, &n), -ENODATA);
        assert_int_equal(cri_list_containers_parse((const uint8_t *) "\0\0\0\0\1", 5, &v, &n),
                         -EBADMSG);
        assert_int_equal(cri_list_containers_parse((const uint8_t *) "\1\0\0\0\0", 5, &v, &n),
                         -ENOTSUP);
        assert_int_equal(cri_list_containers_parse(NULL, 5, &v, &n), -EINVAL);
        assert_int_equal(cri_list_containers_parse((const uint8_t *) "\0\0\0\0\0", 5, NULL, &n),
                         -EINVAL);
}

/* ---- ListPodSandbox ---- */

static Runtime__V1__ListPodSandboxResponse *pods_response(void)
{
        static MapEntry l_app = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        static MapEntry l_team = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        static MapEntry l_pod = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        static MapEntry *labels[] = {&l_team, &l_pod, &l_app};
        static MapEntry annotation = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        static MapEntry *annotations[] = {&annotation};
        static Runtime__V1__PodSandboxMetadata md = RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
        static Runtime__V1__PodSandbox pod = RUNTIME__V1__POD_SANDBOX__INIT;
        static Runtime__V1__PodSandbox other = RUNTIME__V1__POD_SANDBOX__INIT;
        static Runtime__V1__PodSandbox no_id = RUNTIME__V1__POD_SANDBOX__INIT;
        static Runtime__V1__PodSandbox *items[] = {&no_id, &pod, &other};
        static Runtime__V1__ListPodSandboxResponse resp =
                RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;

        l_app.key = "app";
        l_app.value = "web";
        l_team.key = "team";
        l_team.value = "payments";
        l_pod.key = "io.kubernetes.pod.name";
        l_pod.value = "web-0";
        annotation.key = "kubernetes.io/config.source";
        annotation.value = "api";
        md.name = "web-0";
        md.namespace_ = "shop";
        md.uid = UID;
        md.attempt = 1;
        pod.id = ID_P;
        pod.metadata = &md;
        pod.state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY;
        pod.created_at = 1700000000000000000;
        pod.n_labels = ELEMENTSOF(labels);
        pod.labels = labels;
        pod.n_annotations = ELEMENTSOF(annotations);
        pod.annotations = annotations;
        pod.runtime_handler = "runc";
        other.id = "feed";
        other.state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
        resp.n_items = ELEMENTSOF(items);
        resp.items = items;
        return &resp;
}

static void test_list_pod_sandbox_parse(void **state)
{
        (void) state;

        size_t len;
        uint8_t *body = frame_message(&pods_response()->base, &len);
        struct cri_pod *v;
        size_t n;
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, &n), 0);
        free(body);
        assert_int_equal(n, 2);

        assert_string_equal(v[0].id, ID_P);
        assert_string_equal(v[0].name, "web-0");
        assert_string_equal(v[0].namespace_name, "shop");
        assert_string_equal(v[0].uid, UID);
        static const char *const want[] = {
                "app", "web", "io.kubernetes.pod.name", "web-0", "team", "payments",
        };
        assert_labels(v[0].labels, v[0].n_labels, want, ELEMENTSOF(want));

        assert_string_equal(v[1].id, "feed");
        assert_null(v[1].name);
        assert_null(v[1].namespace_name);
        assert_null(v[1].uid);
        assert_null(v[1].labels);
        assert_int_equal(v[1].n_labels, 0);

        assert_ptr_equal(cri_pod_find(v, n, ID_P), &v[0]);
        assert_ptr_equal(cri_pod_find(v, n, "feed"), &v[1]);
        assert_null(cri_pod_find(v, n, "fee"));
        assert_null(cri_pod_find(v, n, NULL));
        assert_null(cri_pod_find(NULL, 0, ID_P));

        cri_pods_free(v, n);
        cri_pods_free(NULL, 0);
        container_metas_free(NULL, 0);
}

/*
 * By hand again:
 *   0a LEN                               items (1)
 *     0a 01 'p'                          id (1)
 *     12 0c 0a 01 'n' 12 01 'u'          metadata (2) { name (1), uid (2),
 *           1a 02 'n' 's' 20 03                         namespace (3), attempt (4) varint }
 *     18 01                              state (3)
 *     2a 06 0a 01 'k' 12 01 'v'          labels (5)
 *     32 06 0a 01 'a' 12 01 'b'          annotations (6)
 *     3a 01 'h'                          runtime_handler (7)
 */
static void test_list_pod_sandbox_golden(void **state)
{
        (void) state;
        static const uint8_t pod[] = {
                0x0a, 0x01, 'p',  0x12, 0x0c, 0x0a, 0x01, 'n',  0x12, 0x01, 'u',  0x1a, 0x02,
                'n',  's',  0x20, 0x03, 0x18, 0x01, 0x2a, 0x06, 0x0a, 0x01, 'k',  0x12, 0x01,
                'v',  0x32, 0x06, 0x0a, 0x01, 'a',  0x12, 0x01, 'b',  0x3a, 0x01, 'h',
        };
        uint8_t msg[2 + sizeof(pod)];
        msg[0] = 0x0a;
        msg[1] = (uint8_t) sizeof(pod);
        memcpy(msg + 2, pod, sizeof(pod));

        size_t len, n;
        uint8_t *body = frame_bytes(msg, sizeof(msg), &len);
        struct cri_pod *v;
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, &n), 0);
        free(body);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].id, "p");
        assert_string_equal(v[0].name, "n");
        assert_string_equal(v[0].uid, "u");
        assert_string_equal(v[0].namespace_name, "ns");
        assert_int_equal(v[0].n_labels, 1);
        assert_string_equal(v[0].labels[0].key, "k");
        assert_string_equal(v[0].labels[0].value, "v");
        cri_pods_free(v, n);
}

static void test_list_pod_sandbox_malformed(void **state)
{
        (void) state;
        struct cri_pod *v = (struct cri_pod *) 0x1;
        size_t n = 42, len;

        uint8_t *body = frame_bytes("\x0a\x05\x0a\x01p", 5, &len);
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, &n), -EBADMSG);
        free(body);
        body = frame_bytes("\x0a\x03\x12\x01", 4, &len);
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, &n), -EBADMSG);
        free(body);
        assert_ptr_equal(v, (struct cri_pod *) 0x1);
        assert_int_equal(n, 42);

        body = frame_bytes("", 0, &len);
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, &n), 0);
        assert_null(v);
        assert_int_equal(n, 0);
        free(body);
        assert_int_equal(cri_list_pod_sandbox_parse((const uint8_t *) "", 0, &v, &n), -ENODATA);
}

/* ---- ContainerStatus ---- */

static int status_image_of(const Runtime__V1__ContainerStatusResponse *resp, char **ret)
{
        size_t len;
        uint8_t *body = frame_message(&resp->base, &len);
        int r = cri_container_status_parse(body, len, ret);
        free(body);
        return r;
}

static void test_container_status_parse(void **state)
{
        (void) state;
        char *image = NULL;

        /* containerd: the repo tag in status.image.image, the digest in image_ref. */
        Runtime__V1__ImageSpec spec = RUNTIME__V1__IMAGE_SPEC__INIT;
        spec.image = "docker.io/library/busybox:latest";
        Runtime__V1__ContainerMetadata md = RUNTIME__V1__CONTAINER_METADATA__INIT;
        md.name = "sleeper";
        MapEntry info_pid = RUNTIME__V1__STRING_MAP_ENTRY__INIT;
        info_pid.key = "info";
        info_pid.value = "{\"pid\":4242}";
        MapEntry *info[] = {&info_pid};
        Runtime__V1__ContainerStatus st = RUNTIME__V1__CONTAINER_STATUS__INIT;
        st.id = ID_A;
        st.metadata = &md;
        st.state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        st.exit_code = 137;
        st.reason = "OOMKilled";
        st.image = &spec;
        st.image_ref = IMAGE_DIGEST;
        Runtime__V1__ContainerStatusResponse resp = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INIT;
        resp.status = &st;
        resp.n_info = ELEMENTSOF(info);
        resp.info = info;

        assert_int_equal(status_image_of(&resp, &image), 0);
        assert_string_equal(image, "docker.io/library/busybox:latest");
        free(image);

        /* An image without a tag left: the digest reference. */
        spec.image = IMAGE_ID;
        assert_int_equal(status_image_of(&resp, &image), 0);
        assert_string_equal(image, IMAGE_DIGEST);
        free(image);

        /* Nothing but ids: the id. */
        st.image_ref = IMAGE_ID;
        st.image = NULL;
        assert_int_equal(status_image_of(&resp, &image), 0);
        assert_string_equal(image, IMAGE_ID);
        free(image);

        /* No image at all; no status at all. */
        image = (char *) "untouched";
        st.image_ref = "";
        assert_int_equal(status_image_of(&resp, &image), -ENODATA);
        resp.status = NULL;
        assert_int_equal(status_image_of(&resp, &image), -ENOENT);
        assert_string_equal(image, "untouched");

        /*
         * By hand: ContainerStatusResponse { status (1) { image (8) { image (1) = "i" },
         * image_ref (9) = "r" } } = 0a 08 42 03 0a 01 'i' 4a 01 'r'.
         */
        size_t len;
        uint8_t *body = frame_bytes("\x0a\x08\x42\x03\x0a\x01i\x4a\x01r", 10, &len);
        assert_int_equal(cri_container_status_parse(body, len, &image), 0);
        assert_string_equal(image, "i");
        free(image);
        free(body);

        image = (char *) "untouched";
        body = frame_bytes("\x0a\x08\x42\x03\x0a\x01i\x4a\x02r", 10, &len);
        assert_int_equal(cri_container_status_parse(body, len, &image), -EBADMSG);
        free(body);
        body = frame_bytes("", 0, &len);
        assert_int_equal(cri_container_status_parse(body, len, &image), -ENOENT);
        free(body);
        assert_int_equal(cri_container_status_parse((const uint8_t *) "", 0, &image), -ENODATA);
        assert_int_equal(cri_container_status_parse((const uint8_t *) "\0\0\0\0\0", 5, NULL),
                         -EINVAL);
        assert_string_equal(image, "untouched");
}

/* ---- joining a container and its pod ---- */

static struct cri_pod *parsed_pods(size_t *ret_n)
{
        size_t len;
        uint8_t *body = frame_message(&pods_response()->base, &len);
        struct cri_pod *v;
        assert_int_equal(cri_list_pod_sandbox_parse(body, len, &v, ret_n), 0);
        free(body);
        return v;
}

static void test_meta_apply_pod(void **state)
{
        (void) state;
        size_t n_pods;
        struct cri_pod *pods = parsed_pods(&n_pods);
        const struct cri_pod *pod = cri_pod_find(pods, n_pods, ID_P);
        assert_non_null(pod);

        /* A container that has its own "app" label and says nothing of its pod. */
        struct container_meta m = {0};
        m.id = strdup(ID_A);
        m.name = strdup("nginx");
        assert_int_equal(container_meta_add_label(&m, "app", "mine"), 0);
        assert_int_equal(cri_meta_apply_pod(&m, pod), 0);
        assert_string_equal(m.id, ID_A);
        assert_string_equal(m.name, "nginx");
        assert_string_equal(m.pod_name, "web-0");
        assert_string_equal(m.pod_namespace, "shop");
        assert_string_equal(m.pod_uid, UID);
        assert_string_equal(m.pod_sandbox_id, ID_P);
        assert_false(m.sandbox);
        static const char *const want[] = {
                "app", "mine", "io.kubernetes.pod.name", "web-0", "team", "payments",
        };
        assert_labels(m.labels, m.n_labels, want, ELEMENTSOF(want));

        /* Again: nothing changes, nothing is added twice. */
        assert_int_equal(cri_meta_apply_pod(&m, pod), 0);
        assert_labels(m.labels, m.n_labels, want, ELEMENTSOF(want));
        container_meta_done(&m);

        /* Fields already known are kept. */
        m.pod_name = strdup("from-labels");
        m.pod_sandbox_id = strdup(ID_P);
        assert_int_equal(cri_meta_apply_pod(&m, pod), 0);
        assert_string_equal(m.pod_name, "from-labels");
        assert_string_equal(m.pod_namespace, "shop");
        container_meta_done(&m);

        /* Another pod's container: refused, untouched. */
        m.pod_sandbox_id = strdup(ID_B);
        assert_int_equal(cri_meta_apply_pod(&m, pod), -EINVAL);
        assert_string_equal(m.pod_sandbox_id, ID_B);
        assert_null(m.pod_name);
        assert_int_equal(m.n_labels, 0);
        assert_int_equal(cri_meta_apply_pod(NULL, pod), -EINVAL);
        assert_int_equal(cri_meta_apply_pod(&m, NULL), -EINVAL);
        container_meta_done(&m);

        /* A pod that says little adds little. */
        const struct cri_pod *other = cri_pod_find(pods, n_pods, "feed");
        assert_non_null(other);
        assert_int_equal(cri_meta_apply_pod(&m, other), 0);
        assert_string_equal(m.pod_sandbox_id, "feed");
        assert_null(m.pod_name);
        assert_null(m.pod_namespace);
        assert_null(m.pod_uid);
        assert_int_equal(m.n_labels, 0);
        container_meta_done(&m);

        cri_pods_free(pods, n_pods);
}

static void test_pod_to_meta(void **state)
{
        (void) state;
        size_t n_pods;
        struct cri_pod *pods = parsed_pods(&n_pods);

        struct container_meta m;
        memset(&m, 0xa5, sizeof(m));
        assert_int_equal(cri_pod_to_meta(&pods[0], &m), 0);
        assert_true(m.sandbox);
        assert_string_equal(m.id, ID_P);
        assert_string_equal(m.pod_sandbox_id, ID_P);
        assert_string_equal(m.name, "web-0");
        assert_string_equal(m.pod_name, "web-0");
        assert_string_equal(m.pod_namespace, "shop");
        assert_string_equal(m.pod_uid, UID);
        assert_null(m.image);
        assert_null(m.k8s_container_name);
        static const char *const want[] = {
                "app", "web", "io.kubernetes.pod.name", "web-0", "team", "payments",
        };
        assert_labels(m.labels, m.n_labels, want, ELEMENTSOF(want));
        assert_int_equal(m.n_annotations, 0);
        container_meta_done(&m);

        assert_int_equal(cri_pod_to_meta(&pods[1], &m), 0);
        assert_true(m.sandbox);
        assert_string_equal(m.id, "feed");
        assert_null(m.name);
        assert_null(m.pod_name);
        container_meta_done(&m);

        struct cri_pod no_id = {0};
        memset(&m, 0xa5, sizeof(m));
        assert_int_equal(cri_pod_to_meta(&no_id, &m), -EINVAL);
        assert_int_equal(cri_pod_to_meta(NULL, &m), -EINVAL);
        assert_int_equal(cri_pod_to_meta(&pods[0], NULL), -EINVAL);
        unsigned char sentinel[sizeof(m)];
        memset(sentinel, 0xa5, sizeof(sentinel));
        assert_memory_equal(&m, sentinel, sizeof(m));

        cri_pods_free(pods, n_pods);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grpc_frame),
                cmocka_unit_test(test_grpc_unframe),
                cmocka_unit_test(test_grpc_frame_roundtrip),
                cmocka_unit_test(test_grpc_status_parse),
                cmocka_unit_test(test_grpc_message_decode),
                cmocka_unit_test(test_grpc_status_names),
                cmocka_unit_test(test_request_goldens),
                cmocka_unit_test(test_requests_unpack),
                cmocka_unit_test(test_list_containers_parse),
                cmocka_unit_test(test_list_containers_image_choice),
                cmocka_unit_test(test_list_containers_golden),
                cmocka_unit_test(test_list_containers_malformed),
                cmocka_unit_test(test_list_pod_sandbox_parse),
                cmocka_unit_test(test_list_pod_sandbox_golden),
                cmocka_unit_test(test_list_pod_sandbox_malformed),
                cmocka_unit_test(test_container_status_parse),
                cmocka_unit_test(test_meta_apply_pod),
                cmocka_unit_test(test_pod_to_meta),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
