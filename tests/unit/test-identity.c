/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for container identity from the cgroup path (cri/identity.c), over
 * the path shapes real runtimes, kubelet and systemd create, relative to the
 * cgroup root. Every row states every field.
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/identity.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Container ids as runtimes write them: 64 lowercase hex digits. */
#define ID_A "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define ID_B "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* Not ids: one digit short, one too many, upper case. */
#define ID_63    "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3"
#define ID_65    ID_A "0"
#define ID_UPPER "4F3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B"

/* A pod UID: dashes under kubelet's cgroupfs driver, underscores under the systemd one. */
#define UID_DASH  "8a1e7f0c-5b2d-4c6e-9f3a-1d2b3c4d5e6f"
#define UID_UNDER "8a1e7f0c_5b2d_4c6e_9f3a_1d2b3c4d5e6f"
/* A static pod's UID: the md5 of its manifest, 32 hex digits, no dashes to escape. */
#define UID_STATIC "5c1c1b6d5e1fc7d4c59cd3a1e1f7b2e3"

#define K8S_BURSTABLE          "kubepods.slice/kubepods-burstable.slice"
#define K8S_BURSTABLE_POD_UNIT "kubepods-burstable-pod" UID_UNDER ".slice"
#define K8S_BURSTABLE_POD      K8S_BURSTABLE "/" K8S_BURSTABLE_POD_UNIT
#define K8S_BESTEFFORT         "kubepods.slice/kubepods-besteffort.slice"
#define K8S_BESTEFFORT_POD     K8S_BESTEFFORT "/kubepods-besteffort-pod" UID_UNDER ".slice"
#define K8S_GUARANTEED_POD     "kubepods.slice/kubepods-pod" UID_UNDER ".slice"
/* kind runs kubelet with --cgroup-root=/kubelet: every slice name gets the prefix. */
#define KIND_BESTEFFORT_POD                                                                        \
        "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"                  \
        "kubelet-kubepods-besteffort-pod" UID_UNDER ".slice"
#define USER_1000 "user.slice/user-1000.slice"
#define USER_MGR  USER_1000 "/user@1000.service"

#define NONE       POD_QOS_NONE
#define GUARANTEED POD_QOS_GUARANTEED
#define BURSTABLE  POD_QOS_BURSTABLE
#define BESTEFFORT POD_QOS_BESTEFFORT

struct row {
        const char *path;
        enum container_runtime runtime;
        const char *id;
        const char *unit;
        const char *pod_uid;
        enum pod_qos qos;
        bool monitor;
};

static const struct row corpus[] = {
        /* Docker: cgroupfs driver, systemd driver, rootless systemd driver. */
        {"docker/" ID_A, RUNTIME_DOCKER, ID_A, "", "", NONE, false},
        {"/docker/" ID_B, RUNTIME_DOCKER, ID_B, "", "", NONE, false}, /* as /proc/pid/cgroup */
        {"system.slice/docker-" ID_A ".scope", RUNTIME_DOCKER, ID_A, "docker-" ID_A ".scope", "",
         NONE, false},
        {USER_MGR "/user.slice/docker-" ID_B ".scope", RUNTIME_DOCKER, ID_B,
         "docker-" ID_B ".scope", "", NONE, false},
        /* Docker's systemd cgroupsPath left as a directory by a cgroupfs-mode runc. */
        {"system.slice:docker:" ID_C, RUNTIME_DOCKER, ID_C, "", "", NONE, false},

        /* containerd CRI, systemd driver: all three classes, kind's prefix, a static pod. */
        {K8S_BURSTABLE_POD "/cri-containerd-" ID_A ".scope", RUNTIME_CONTAINERD, ID_A,
         "cri-containerd-" ID_A ".scope", UID_DASH, BURSTABLE, false},
        {K8S_BESTEFFORT_POD "/cri-containerd-" ID_B ".scope", RUNTIME_CONTAINERD, ID_B,
         "cri-containerd-" ID_B ".scope", UID_DASH, BESTEFFORT, false},
        {K8S_GUARANTEED_POD "/cri-containerd-" ID_C ".scope", RUNTIME_CONTAINERD, ID_C,
         "cri-containerd-" ID_C ".scope", UID_DASH, GUARANTEED, false},
        {KIND_BESTEFFORT_POD "/cri-containerd-" ID_A ".scope", RUNTIME_CONTAINERD, ID_A,
         "cri-containerd-" ID_A ".scope", UID_DASH, BESTEFFORT, false},
        {K8S_BURSTABLE "/kubepods-burstable-pod" UID_STATIC ".slice/cri-containerd-" ID_A ".scope",
         RUNTIME_CONTAINERD, ID_A, "cri-containerd-" ID_A ".scope", UID_STATIC, BURSTABLE, false},
        /* containerd outside Kubernetes, and the ':' form as a literal directory. */
        {"system.slice/cri-containerd-" ID_A ".scope", RUNTIME_CONTAINERD, ID_A,
         "cri-containerd-" ID_A ".scope", "", NONE, false},
        {"kubepods-besteffort-pod" UID_UNDER ".slice:cri-containerd:" ID_A, RUNTIME_CONTAINERD,
         ID_A, "", UID_DASH, BESTEFFORT, false},
        {"system.slice:cri-containerd:" ID_B, RUNTIME_CONTAINERD, ID_B, "", "", NONE, false},

        /* containerd CRI, cgroupfs driver. */
        {"kubepods/burstable/pod" UID_DASH "/" ID_A, RUNTIME_CONTAINERD, ID_A, "", UID_DASH,
         BURSTABLE, false},
        {"kubepods/besteffort/pod" UID_DASH "/" ID_B, RUNTIME_CONTAINERD, ID_B, "", UID_DASH,
         BESTEFFORT, false},
        {"kubepods/pod" UID_DASH "/" ID_C, RUNTIME_CONTAINERD, ID_C, "", UID_DASH, GUARANTEED,
         false},
        {"kubepods/pod" UID_STATIC "/" ID_C, RUNTIME_CONTAINERD, ID_C, "", UID_STATIC, GUARANTEED,
         false},

        /* CRI-O, both drivers, with conmon's cgroups beside the containers'. */
        {K8S_BURSTABLE_POD "/crio-" ID_A ".scope", RUNTIME_CRIO, ID_A, "crio-" ID_A ".scope",
         UID_DASH, BURSTABLE, false},
        {K8S_BURSTABLE_POD "/crio-conmon-" ID_A ".scope", RUNTIME_CRIO, ID_A,
         "crio-conmon-" ID_A ".scope", UID_DASH, BURSTABLE, true},
        {K8S_GUARANTEED_POD "/crio-" ID_B ".scope", RUNTIME_CRIO, ID_B, "crio-" ID_B ".scope",
         UID_DASH, GUARANTEED, false},
        {"kubepods/besteffort/pod" UID_DASH "/crio-" ID_A, RUNTIME_CRIO, ID_A, "", UID_DASH,
         BESTEFFORT, false},
        {"kubepods/besteffort/pod" UID_DASH "/crio-conmon-" ID_A, RUNTIME_CRIO, ID_A, "", UID_DASH,
         BESTEFFORT, true},
        {"kubepods-burstable-pod" UID_UNDER ".slice:crio:" ID_B, RUNTIME_CRIO, ID_B, "", UID_DASH,
         BURSTABLE, false},

        /* podman: rootful in machine.slice, rootless under the user manager, cgroupfs, pods. */
        {"machine.slice/libpod-" ID_A ".scope", RUNTIME_PODMAN, ID_A, "libpod-" ID_A ".scope", "",
         NONE, false},
        {"machine.slice/libpod-conmon-" ID_A ".scope", RUNTIME_PODMAN, ID_A,
         "libpod-conmon-" ID_A ".scope", "", NONE, true},
        {USER_MGR "/user.slice/libpod-" ID_B ".scope", RUNTIME_PODMAN, ID_B,
         "libpod-" ID_B ".scope", "", NONE, false},
        {USER_MGR "/user.slice/libpod-conmon-" ID_B ".scope", RUNTIME_PODMAN, ID_B,
         "libpod-conmon-" ID_B ".scope", "", NONE, true},
        {"libpod_parent/libpod-" ID_C, RUNTIME_PODMAN, ID_C, "", "", NONE, false},
        /* A podman pod is not a Kubernetes pod: no pod uid. */
        {"machine.slice/machine-libpod_pod_" ID_C ".slice/libpod-" ID_A ".scope", RUNTIME_PODMAN,
         ID_A, "libpod-" ID_A ".scope", "", NONE, false},

        /* systemd services and scopes. */
        {"system.slice/ssh.service", RUNTIME_SYSTEMD, "", "ssh.service", "", NONE, false},
        {"system.slice/docker.service", RUNTIME_SYSTEMD, "", "docker.service", "", NONE, false},
        {"system.slice/containerd.service", RUNTIME_SYSTEMD, "", "containerd.service", "", NONE,
         false},
        {"system.slice/system-getty.slice/getty@tty1.service", RUNTIME_SYSTEMD, "",
         "getty@tty1.service", "", NONE, false},
        {"system.slice/run-r0123456789abcdef.scope", RUNTIME_SYSTEMD, "",
         "run-r0123456789abcdef.scope", "", NONE, false},
        {USER_1000 "/session-3.scope", RUNTIME_SYSTEMD, "", "session-3.scope", "", NONE, false},
        {USER_MGR, RUNTIME_SYSTEMD, "", "user@1000.service", "", NONE, false},
        {USER_MGR "/init.scope", RUNTIME_SYSTEMD, "", "init.scope", "", NONE, false},
        {USER_MGR "/app.slice/dbus.service", RUNTIME_SYSTEMD, "", "dbus.service", "", NONE, false},
        {"init.scope", RUNTIME_SYSTEMD, "", "init.scope", "", NONE, false},
        /* Slices and mounts are units too, but run nothing of their own. */
        {"system.slice", RUNTIME_UNKNOWN, "", "system.slice", "", NONE, false},
        {USER_1000, RUNTIME_UNKNOWN, "", "user-1000.slice", "", NONE, false},
        {"system.slice/var-lib-docker.mount", RUNTIME_UNKNOWN, "", "var-lib-docker.mount", "", NONE,
         false},

        /* machine.slice: nspawn as a service and through machined, libvirt. */
        {"machine.slice", RUNTIME_UNKNOWN, "", "machine.slice", "", NONE, false},
        {"machine.slice/machine-foo.scope", RUNTIME_MACHINE, "", "machine-foo.scope", "", NONE,
         false},
        {"machine.slice/systemd-nspawn@debian.service", RUNTIME_MACHINE, "",
         "systemd-nspawn@debian.service", "", NONE, false},
        {"machine.slice/machine-qemu\\x2d1\\x2dvm1.scope", RUNTIME_MACHINE, "",
         "machine-qemu\\x2d1\\x2dvm1.scope", "", NONE, false},
        /* machined's naming outside machine.slice is only a scope. */
        {"system.slice/machine-foo.scope", RUNTIME_SYSTEMD, "", "machine-foo.scope", "", NONE,
         false},

        /* The kubepods cgroups themselves: class and pod, no container. */
        {"kubepods.slice", RUNTIME_UNKNOWN, "", "kubepods.slice", "", NONE, false},
        {K8S_BURSTABLE, RUNTIME_UNKNOWN, "", "kubepods-burstable.slice", "", BURSTABLE, false},
        {K8S_BESTEFFORT, RUNTIME_UNKNOWN, "", "kubepods-besteffort.slice", "", BESTEFFORT, false},
        {K8S_BURSTABLE_POD, RUNTIME_UNKNOWN, "", K8S_BURSTABLE_POD_UNIT, UID_DASH, BURSTABLE,
         false},
        {K8S_BESTEFFORT_POD, RUNTIME_UNKNOWN, "", "kubepods-besteffort-pod" UID_UNDER ".slice",
         UID_DASH, BESTEFFORT, false},
        {K8S_GUARANTEED_POD, RUNTIME_UNKNOWN, "", "kubepods-pod" UID_UNDER ".slice", UID_DASH,
         GUARANTEED, false},
        {KIND_BESTEFFORT_POD, RUNTIME_UNKNOWN, "",
         "kubelet-kubepods-besteffort-pod" UID_UNDER ".slice", UID_DASH, BESTEFFORT, false},
        {"kubepods", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"kubepods/burstable", RUNTIME_UNKNOWN, "", "", "", BURSTABLE, false},
        {"kubepods/besteffort/pod" UID_DASH, RUNTIME_UNKNOWN, "", "", UID_DASH, BESTEFFORT, false},
        {"kubepods/pod" UID_DASH, RUNTIME_UNKNOWN, "", "", UID_DASH, GUARANTEED, false},
        /* Not kubelet's: dashes left in a systemd pod slice, a class kubelet never makes. */
        {K8S_BURSTABLE "/kubepods-burstable-pod" UID_DASH ".slice", RUNTIME_UNKNOWN, "",
         "kubepods-burstable-pod" UID_DASH ".slice", "", NONE, false},
        {"kubepods.slice/kubepods-guaranteed.slice", RUNTIME_UNKNOWN, "",
         "kubepods-guaranteed.slice", "", NONE, false},

        /* Unknown shapes stay the path. */
        {"", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"my/custom/path", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"dockerd/" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"docker/" ID_63, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"docker/" ID_UPPER, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        /* A runtime's prefix with a bad id is not a unit named by chance either. */
        {"system.slice/docker-" ID_63 ".scope", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"system.slice/docker-" ID_65 ".scope", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"system.slice/docker-" ID_UPPER ".scope", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {K8S_BURSTABLE_POD "/crio-conmon-" ID_63 ".scope", RUNTIME_UNKNOWN, "", "", "", NONE,
         false},
        {"system.slice:cri-containerd:" ID_63, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"system.slice/docker-" ID_A ".scope.bak", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"system.slice/docker-" ID_A ".scopex", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"system.slice/docker-" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        /* Inside a container's cgroup: the container is its parent, not this. */
        {"machine.slice/libpod-" ID_A ".scope/container", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"kubepods/burstable/pod" UID_DASH "/" ID_A "/child", RUNTIME_UNKNOWN, "", "", "", NONE,
         false},
        {"system.slice/ssh.service/child.scope", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        /* A pod directory whose uid is no uid, a container without a pod. */
        {"kubepods/burstable/podnotauid/" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"kubepods/burstable/" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        /* Paths the walk never gives. */
        {"docker//" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"docker/" ID_A "/", RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"//docker/" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
        {"docker/../docker/" ID_A, RUNTIME_UNKNOWN, "", "", "", NONE, false},
};

static const char *str_or_null(const char *s)
{
        return s ? s : "(null)";
}

/* Compares every field; names the row and the field on a mismatch. */
static size_t check_row(size_t i, const struct row *r)
{
        struct container_identity got;
        size_t len = strlen(r->path);
        /* An exactly sized copy: a read past the NUL is an ASan report. */
        char *path = malloc(len + 1);
        size_t wrong = 0;

        assert_non_null(path);
        memcpy(path, r->path, len + 1);
        memset(&got, 0xa5, sizeof(got));
        assert_int_equal(identity_from_path(path, &got), 0);
        free(path);

#define FIELD_STR(f)                                                                               \
        if (strcmp(got.f, r->f) != 0) {                                                            \
                print_error("row %zu \"%s\": " #f " \"%s\", want \"%s\"\n", i, r->path, got.f,     \
                            r->f);                                                                 \
                wrong++;                                                                           \
        }
#define FIELD_INT(f, fmt)                                                                          \
        if (got.f != r->f) {                                                                       \
                print_error("row %zu \"%s\": " #f " %s, want %s\n", i, r->path, fmt(got.f),        \
                            fmt(r->f));                                                            \
                wrong++;                                                                           \
        }
#define RUNTIME_NAME(x) str_or_null(container_runtime_to_string(x))
#define QOS_NAME(x)     str_or_null(pod_qos_to_string(x))
#define BOOL_NAME(x)    ((x) ? "true" : "false")
        FIELD_INT(runtime, RUNTIME_NAME)
        FIELD_STR(id)
        FIELD_STR(unit)
        FIELD_STR(pod_uid)
        FIELD_INT(qos, QOS_NAME)
        FIELD_INT(monitor, BOOL_NAME)
#undef FIELD_STR
#undef FIELD_INT
        return wrong;
}

static void test_identity_corpus(void **state)
{
        size_t wrong = 0;
        (void) state;

        assert_true(ARRAY_LEN(corpus) >= 30);
        for (size_t i = 0; i < ARRAY_LEN(corpus); i++)
                wrong += check_row(i, &corpus[i]);
        assert_int_equal(wrong, 0);
}

/* Every id is empty or 64 lowercase hex digits; every pod uid empty, 32 or 36 long. */
static void test_identity_corpus_invariants(void **state)
{
        (void) state;

        for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
                struct container_identity got;
                assert_int_equal(identity_from_path(corpus[i].path, &got), 0);
                size_t n = strlen(got.id);
                assert_true(n == 0 || n == 64);
                assert_true(strspn(got.id, "0123456789abcdef") == n);
                n = strlen(got.pod_uid);
                assert_true(n == 0 || n == 32 || n == 36);
                assert_true(!got.monitor || got.id[0] != '\0');
                assert_true(got.runtime == RUNTIME_UNKNOWN ||
                            container_runtime_to_string(got.runtime) != NULL);
        }
}

static void test_identity_invalid_arguments(void **state)
{
        struct container_identity got, untouched;
        (void) state;

        memset(&got, 0x5a, sizeof(got));
        memcpy(&untouched, &got, sizeof(got));
        assert_int_equal(identity_from_path(NULL, &got), -EINVAL);
        assert_int_equal(identity_from_path("docker/" ID_A, NULL), -EINVAL);
        /* ret_ parameters are written only on success. */
        assert_memory_equal(&got, &untouched, sizeof(got));
}

static void test_identity_path_length(void **state)
{
        struct container_identity got, untouched;
        char *path = malloc(PATH_MAX + 1);
        (void) state;

        assert_non_null(path);
        memset(path, 'a', PATH_MAX);
        path[PATH_MAX] = '\0';
        memset(&got, 0x5a, sizeof(got));
        memcpy(&untouched, &got, sizeof(got));
        assert_int_equal(identity_from_path(path, &got), -EINVAL);
        assert_memory_equal(&got, &untouched, sizeof(got));

        /* PATH_MAX - 1 bytes still fit, and still end in a container id. */
        size_t len = PATH_MAX - 1, tail = strlen("/docker/" ID_A);
        memcpy(path + len - tail, "/docker/" ID_A, tail);
        path[len] = '\0';
        assert_int_equal(identity_from_path(path, &got), 0);
        assert_int_equal(got.runtime, RUNTIME_DOCKER);
        assert_string_equal(got.id, ID_A);
        free(path);
}

/* The longest valid unit name fits; one byte more is not a unit. */
static void test_identity_unit_name_length(void **state)
{
        char path[UNIT_NAME_MAX + 32];
        struct container_identity got;
        (void) state;

        strcpy(path, "system.slice/");
        size_t start = strlen(path), name_len = UNIT_NAME_MAX - strlen(".service");
        memset(path + start, 'x', name_len);
        strcpy(path + start + name_len, ".service");
        assert_int_equal(identity_from_path(path, &got), 0);
        assert_int_equal(got.runtime, RUNTIME_SYSTEMD);
        assert_int_equal(strlen(got.unit), UNIT_NAME_MAX);

        memset(path + start, 'x', name_len + 1);
        strcpy(path + start + name_len + 1, ".service");
        assert_int_equal(identity_from_path(path, &got), 0);
        assert_int_equal(got.runtime, RUNTIME_UNKNOWN);
        assert_string_equal(got.unit, "");
}

static void test_identity_to_string(void **state)
{
        (void) state;

        assert_null(container_runtime_to_string(RUNTIME_UNKNOWN));
        assert_string_equal(container_runtime_to_string(RUNTIME_DOCKER), "docker");
        assert_string_equal(container_runtime_to_string(RUNTIME_CONTAINERD), "containerd");
        assert_string_equal(container_runtime_to_string(RUNTIME_CRIO), "cri-o");
        assert_string_equal(container_runtime_to_string(RUNTIME_PODMAN), "podman");
        assert_string_equal(container_runtime_to_string(RUNTIME_SYSTEMD), "systemd");
        assert_string_equal(container_runtime_to_string(RUNTIME_MACHINE), "machine");
        assert_null(container_runtime_to_string((enum container_runtime) 99));

        assert_null(pod_qos_to_string(POD_QOS_NONE));
        assert_string_equal(pod_qos_to_string(POD_QOS_GUARANTEED), "guaranteed");
        assert_string_equal(pod_qos_to_string(POD_QOS_BURSTABLE), "burstable");
        assert_string_equal(pod_qos_to_string(POD_QOS_BESTEFFORT), "besteffort");
        assert_null(pod_qos_to_string((enum pod_qos) 99));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identity_corpus),
                cmocka_unit_test(test_identity_corpus_invariants),
                cmocka_unit_test(test_identity_invalid_arguments),
                cmocka_unit_test(test_identity_path_length),
                cmocka_unit_test(test_identity_unit_name_length),
                cmocka_unit_test(test_identity_to_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
