/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the container classifier (supervisor/classify.c), over the cgroup
 * path shapes real runtimes create, relative to the cgroup root.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>

#include "supervisor/registry/classify.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Container ids as runtimes write them: 64 lowercase hex digits. */
#define ID_A "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define ID_B "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* A pod UID: dashes under the cgroupfs driver, underscores under the systemd one. */
#define UID_DASH  "8a1e7f0c-5b2d-4c6e-9f3a-1d2b3c4d5e6f"
#define UID_UNDER "8a1e7f0c_5b2d_4c6e_9f3a_1d2b3c4d5e6f"

#define K8S_BURSTABLE      "kubepods.slice/kubepods-burstable.slice"
#define K8S_BURSTABLE_POD  K8S_BURSTABLE "/kubepods-burstable-pod" UID_UNDER ".slice"
#define K8S_BESTEFFORT     "kubepods.slice/kubepods-besteffort.slice"
#define K8S_BESTEFFORT_POD K8S_BESTEFFORT "/kubepods-besteffort-pod" UID_UNDER ".slice"
#define K8S_GUARANTEED_POD "kubepods.slice/kubepods-pod" UID_UNDER ".slice"
#define USER_1000          "user.slice/user-1000.slice"
#define USER_MGR           USER_1000 "/user@1000.service"

struct row {
        const char *path;
        int is_leaf;
        int container;
};

/* The verdicts under the default rules (no globs, all = 0). */
static const struct row corpus[] = {
        /* Docker, cgroupfs driver. */
        {"docker/" ID_A, 1, 1},
        {"docker/" ID_B, 1, 1},
        {"docker/" ID_A, 0, 0}, /* a container that delegated to children */
        {"docker", 0, 0},
        {"docker", 1, 0},
        {"dockerd/" ID_A, 1, 0}, /* a prefix of the name is not the docker/ parent */

        /* Docker, systemd driver: a direct child of system.slice, leaf or not. */
        {"system.slice/docker-" ID_A ".scope", 1, 1},
        {"system.slice/docker-" ID_A ".scope", 0, 1},
        {"system.slice/docker.service", 1, 1},
        {"system.slice/containerd.service", 1, 1},

        /* containerd CRI, systemd driver: burstable, best-effort, guaranteed pods. */
        {"kubepods.slice", 0, 0},
        {K8S_BURSTABLE, 0, 0},
        {K8S_BURSTABLE_POD, 0, 0},
        {K8S_BURSTABLE_POD "/cri-containerd-" ID_A ".scope", 1, 1},
        {K8S_BURSTABLE_POD "/cri-containerd-" ID_B ".scope", 1, 1}, /* the pause container */
        {K8S_BESTEFFORT, 0, 0},
        {K8S_BESTEFFORT_POD, 0, 0},
        {K8S_BESTEFFORT_POD "/cri-containerd-" ID_C ".scope", 1, 1},
        {K8S_GUARANTEED_POD, 0, 0},
        {K8S_GUARANTEED_POD "/cri-containerd-" ID_A ".scope", 1, 1},

        /* Kubelet, cgroupfs driver. */
        {"kubepods", 0, 0},
        {"kubepods/burstable", 0, 0},
        {"kubepods/burstable/pod" UID_DASH, 0, 0},
        {"kubepods/burstable/pod" UID_DASH "/" ID_A, 1, 1},
        {"kubepods/besteffort/pod" UID_DASH "/" ID_B, 1, 1},
        {"kubepods/pod" UID_DASH, 0, 0},
        {"kubepods/pod" UID_DASH "/" ID_C, 1, 1},

        /* CRI-O, systemd driver. */
        {K8S_BURSTABLE_POD "/crio-" ID_A ".scope", 1, 1},
        {K8S_GUARANTEED_POD "/crio-" ID_B ".scope", 1, 1},
        /* conmon, CRI-O's per-container monitor, gets a scope of its own: not a container. */
        {K8S_BURSTABLE_POD "/crio-conmon-" ID_A ".scope", 1, 0},

        /* podman rootful: machine.slice. */
        {"machine.slice", 0, 0},
        {"machine.slice/libpod-" ID_A ".scope", 1, 1},
        {"machine.slice/libpod-" ID_A ".scope", 0, 0},
        /* Rootful conmon, like the rootless one below: a monitor, not a container. */
        {"machine.slice/libpod-conmon-" ID_A ".scope", 1, 0},
        {"machine.slice/systemd-nspawn@debian.service", 1, 1},
        {"machine.slice/machine-qemu\\x2d1\\x2dvm1.scope", 1, 1},

        /* podman rootless: libpod-*.scope deep under the user's manager. */
        {USER_MGR "/user.slice/libpod-" ID_A ".scope", 1, 1},
        {USER_MGR "/user.slice/libpod-" ID_B ".scope", 0, 0},
        {USER_MGR "/user.slice/libpod-conmon-" ID_A ".scope", 1, 0},
        {USER_MGR "/user.slice/libpod-" ID_A ".scope/container", 1, 0},
        {USER_MGR "/user.slice/podman-pause-1a2b3c4d.scope", 1, 0},
        {"libpod-" ID_C ".scope", 1, 1},
        /* podman's cgroupfs manager, as in the plain test VM; conmon beside it is not one. */
        {"libpod_parent/libpod-" ID_A, 1, 1},
        {"libpod_parent/libpod-" ID_A, 0, 0},
        {"libpod_parent/conmon", 1, 0},
        {"libpod_parent/libpod-conmon-" ID_A, 1, 0},
        {"libpod-" ID_C ".slice", 1, 0},

        /* systemd units. */
        {"system.slice", 0, 0},
        {"system.slice/ssh.service", 1, 1},
        {"system.slice/ssh.service", 0, 1},
        {"system.slice/systemd-journald.service", 1, 1},
        {"system.slice/run-r0123456789abcdef.scope", 1, 1},
        {"system.slice/foo.slice", 0, 0},
        {"system.slice/foo.slice/bar.service", 1, 0}, /* not a direct child */
        {"system.slice/ssh.service/child", 1, 0},
        {"system.slice/system-getty.slice/getty@tty1.service", 1, 0},
        {"system.slice/docker.socket", 1, 0},
        {"system.slice/sshd.service.d", 1, 0},
        {"init.scope", 1, 0},
        {"user.slice", 0, 0},
        {USER_1000, 0, 0},
        {USER_1000 "/session-3.scope", 1, 0},
        {USER_MGR, 0, 0},
        {USER_MGR "/app.slice/dbus.service", 1, 0},
        {"", 0, 0}, /* the root itself */
};

static int classify_row(const struct row *r, const struct classify_rules *rules)
{
        return classify_is_container(r->path, r->is_leaf, rules);
}

/* Checks every row and names every wrong one before failing. */
static void check_corpus(const struct classify_rules *rules)
{
        size_t wrong = 0;

        for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
                int got = classify_row(&corpus[i], rules);
                if (got != corpus[i].container) {
                        print_error("row %zu: \"%s\" leaf=%d: got %d, want %d\n", i, corpus[i].path,
                                    corpus[i].is_leaf, got, corpus[i].container);
                        wrong++;
                }
        }
        assert_int_equal(wrong, 0);
}

static void test_classify_corpus_default(void **state)
{
        (void) state;
        const struct classify_rules rules = {0};

        assert_true(ARRAY_LEN(corpus) >= 25);
        check_corpus(&rules);
}

static void test_classify_corpus_empty_globs(void **state)
{
        (void) state;
        char *const none[] = {NULL};
        /* Globs that match nothing in the corpus leave every verdict alone. */
        char *const unrelated[] = {"mypods/*", "nothing", "*.mount", NULL};
        const struct classify_rules r1 = {.globs = none};
        const struct classify_rules r2 = {.globs = unrelated};

        check_corpus(&r1);
        check_corpus(&r2);
}

static void test_classify_globs(void **state)
{
        (void) state;
        char *const globs[] = {"mypods/*", "batch.slice/job-*.scope", NULL};
        const struct classify_rules rules = {.globs = globs};
        static const struct row rows[] = {
                /* A glob wins whether or not the cgroup is a leaf. */
                {"mypods/a", 1, 1},
                {"mypods/a", 0, 1},
                {"mypods/" ID_A, 1, 1},
                /* FNM_PATHNAME: * does not cross a slash. */
                {"mypods/a/b", 1, 0},
                {"mypods/a/b", 0, 0},
                {"mypods", 0, 0},
                {"mypods/", 1, 1}, /* fnmatch's * matches the empty string */
                {"xmypods/a", 1, 0},
                {"other/mypods/a", 1, 0},
                {"batch.slice/job-42.scope", 1, 1},
                {"batch.slice/job-42.scope", 0, 1},
                {"batch.slice/job-42.service", 1, 0},
                {"batch.slice/sub/job-42.scope", 1, 0},
                /* The default rules still apply alongside the globs. */
                {"docker/" ID_A, 1, 1},
                {"system.slice/ssh.service", 0, 1},
                {"init.scope", 1, 0},
        };
        size_t wrong = 0;

        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                int got = classify_row(&rows[i], &rules);
                if (got != rows[i].container) {
                        print_error("glob row %zu: \"%s\" leaf=%d: got %d, want %d\n", i,
                                    rows[i].path, rows[i].is_leaf, got, rows[i].container);
                        wrong++;
                }
        }
        assert_int_equal(wrong, 0);
}

static void test_classify_all(void **state)
{
        (void) state;
        const struct classify_rules all = {.all = 1};
        char *const globs[] = {"nothing", NULL};
        const struct classify_rules all_globs = {.globs = globs, .all = 1};

        /* Every path in the corpus, leaf or not, is a container. */
        for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
                for (int leaf = 0; leaf <= 1; leaf++) {
                        if (classify_is_container(corpus[i].path, leaf, &all) != 1)
                                fail_msg("all: \"%s\" leaf=%d is not a container", corpus[i].path,
                                         leaf);
                        if (classify_is_container(corpus[i].path, leaf, &all_globs) != 1)
                                fail_msg("all+globs: \"%s\" leaf=%d is not a container",
                                         corpus[i].path, leaf);
                }
        }
        assert_int_equal(classify_is_container("mypods/a/b", 0, &all), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify_corpus_default),
                cmocka_unit_test(test_classify_corpus_empty_globs),
                cmocka_unit_test(test_classify_globs),
                cmocka_unit_test(test_classify_all),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
