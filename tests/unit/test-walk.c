/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the hierarchy walk (cgroupfs/walk.c) over the fixture trees. */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/walk.h"
#include "unit-util.h"

struct seen {
        char *path;
        unsigned depth;
        int delegates_memory;
};

struct collect {
        struct seen items[64];
        size_t n;
        size_t stop_after; /* return stop_value after this many entries; 0 = never */
        int stop_value;
        const char *scratch; /* for the vanishing-child test */
        int removed;
};

static int collect_fn(const struct cg_walk_entry *e, void *userdata)
{
        struct collect *c = userdata;
        struct stat st;

        if (c->n >= ELEMENTSOF(c->items))
                return -E2BIG;
        /* The dirfd is the cgroup's own directory, open during the callback. */
        if (fstat(e->dirfd, &st) < 0 || !S_ISDIR(st.st_mode))
                return -EBADF;
        if (faccessat(e->dirfd, "cgroup.subtree_control", F_OK, 0) < 0)
                return -EBADF;
        c->items[c->n++] = (struct seen){strdup(e->path), e->depth, e->delegates_memory};
        if (c->stop_after && c->n == c->stop_after)
                return c->stop_value;
        return 0;
}

static void collect_free(struct collect *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->items[i].path);
}

struct want {
        const char *path;
        unsigned depth;
        int delegates_memory;
};

/* Order-independent: every wanted entry exactly once, nothing else, parents first. */
static void assert_walk(const struct collect *c, const struct want *want, size_t n_want)
{
        if (c->n != n_want) {
                for (size_t i = 0; i < c->n; i++)
                        print_message("  walked %u %d %s\n", c->items[i].depth,
                                      c->items[i].delegates_memory, c->items[i].path);
                fail_msg("walked %zu cgroups, not %zu", c->n, n_want);
        }
        for (size_t w = 0; w < n_want; w++) {
                size_t hits = 0, at = 0;
                for (size_t i = 0; i < c->n; i++)
                        if (strcmp(c->items[i].path, want[w].path) == 0) {
                                hits++;
                                at = i;
                        }
                if (hits != 1)
                        fail_msg("%s walked %zu times", want[w].path, hits);
                assert_int_equal(c->items[at].depth, want[w].depth);
                assert_int_equal(c->items[at].delegates_memory, want[w].delegates_memory);
                /* its parent came before it */
                const char *slash = strrchr(want[w].path, '/');
                if (slash) {
                        size_t plen = (size_t) (slash - want[w].path);
                        size_t p;
                        for (p = 0; p < at; p++)
                                if (strlen(c->items[p].path) == plen &&
                                    strncmp(c->items[p].path, want[w].path, plen) == 0)
                                        break;
                        if (p == at)
                                fail_msg("%s walked before its parent", want[w].path);
                }
        }
}

#define POD61                                                                                      \
        "kubepods.slice/kubepods-burstable.slice/"                                                 \
        "kubepods-burstable-pod8a3f1c2e_5b7d_4e9a_b1c3_2d4e6f8a0b1c.slice"
#define POD515                                                                                     \
        "kubepods.slice/kubepods-burstable.slice/"                                                 \
        "kubepods-burstable-pod1d2c3b4a_0f9e_4d8c_a7b6_5e4d3c2b1a09.slice"

static const struct want want61[] = {
        {"init.scope", 1, 0},
        {"system.slice", 1, 1},
        {"system.slice/"
         "docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e.scope",
         2, 0},
        {"system.slice/ssh.service", 2, 0},
        {"kubepods.slice", 1, 1},
        {"kubepods.slice/kubepods-burstable.slice", 2, 1},
        {POD61, 3, 1},
        {POD61
         "/cri-containerd-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d.scope",
         4, 0},
        {POD61
         "/cri-containerd-2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80911.scope",
         4, 0},
        {"user.slice", 1, 0},
};

static const struct want want515[] = {
        {"init.scope", 1, 0},
        {"system.slice", 1, 1},
        {"system.slice/"
         "docker-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.scope",
         2, 0},
        {"system.slice/ssh.service", 2, 0},
        {"kubepods.slice", 1, 1},
        {"kubepods.slice/kubepods-burstable.slice", 2, 1},
        {POD515, 3, 1},
        {POD515
         "/cri-containerd-f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f.scope",
         4, 0},
        {POD515
         "/cri-containerd-7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b.scope",
         4, 0},
        {"user.slice", 1, 0},
};

static void walk_tree(const char *top, const struct want *want, size_t n_want)
{
        struct collect *c = calloc(1, sizeof(*c));
        int rootfd = open_dir(top);
        assert_true(rootfd >= 0);
        int r = cg_walk(rootfd, collect_fn, c);
        close(rootfd);
        assert_int_equal(r, 0);
        assert_walk(c, want, n_want);
        /* user.slice does not delegate memory: user-1000.slice is not walked. */
        for (size_t i = 0; i < c->n; i++)
                assert_null(strstr(c->items[i].path, "user-1000"));
        collect_free(c);
        free(c);
}

static void test_walk_tree_61(void **state)
{
        (void) state;
        walk_tree(FIXTURES "/tree-6.1", want61, ELEMENTSOF(want61));
}

static void test_walk_tree_515(void **state)
{
        (void) state;
        walk_tree(FIXTURES "/tree-5.15", want515, ELEMENTSOF(want515));
}

static void test_walk_stops(void **state)
{
        (void) state;
        for (size_t stop = 1; stop <= ELEMENTSOF(want61); stop++) {
                struct collect *c = calloc(1, sizeof(*c));
                c->stop_after = stop;
                c->stop_value = -ECANCELED;
                int rootfd = open_dir(FIXTURES "/tree-6.1");
                int r = cg_walk(rootfd, collect_fn, c);
                close(rootfd);
                assert_int_equal(r, -ECANCELED);
                assert_int_equal(c->n, stop);
                collect_free(c);
                free(c);
        }
}

static void test_walk_root_without_memory(void **state)
{
        (void) state;
        struct collect *c = calloc(1, sizeof(*c));

        /* A root that does not delegate memory has no memory cgroups below it. */
        int fd = open_dir(FIXTURES "/tree-6.1/user.slice");
        assert_int_equal(cg_walk(fd, collect_fn, c), 0);
        close(fd);
        assert_int_equal(c->n, 0);

        /* A leaf: nothing below. */
        fd = open_dir(FIXTURES "/tree-6.1/init.scope");
        assert_int_equal(cg_walk(fd, collect_fn, c), 0);
        close(fd);
        assert_int_equal(c->n, 0);

        /* Not a cgroup directory at all. */
        fd = open_dir(FIXTURES "/files");
        assert_int_equal(cg_walk(fd, collect_fn, c), -ENOENT);
        close(fd);
        assert_int_equal(c->n, 0);
        free(c);
}

static void mkcg(const char *dir, const char *rel, const char *subtree)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        assert_int_equal(mkdir(path, 0755), 0);
        write_file_at(path, "cgroup.subtree_control", subtree);
}

/* In the callback for the first child of "a" visited, remove its unvisited siblings. */
static int vanish_fn(const struct cg_walk_entry *e, void *userdata)
{
        struct collect *c = userdata;
        if (strncmp(e->path, "a/", 2) == 0 && !c->removed) {
                static const char *const kids[] = {"a/b", "a/c", "a/d"};
                for (size_t i = 0; i < ELEMENTSOF(kids); i++) {
                        if (strcmp(e->path, kids[i]) == 0)
                                continue;
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", c->scratch, kids[i]);
                        rm_rf(path);
                        c->removed++;
                }
        }
        return collect_fn(e, userdata);
}

static void test_walk_child_vanishes(void **state)
{
        (void) state;
        char *dir = make_scratch();
        struct collect *c = calloc(1, sizeof(*c));

        write_file_at(dir, "cgroup.subtree_control", "memory\n");
        mkcg(dir, "a", "cpu memory\n");
        mkcg(dir, "a/b", "\n");
        mkcg(dir, "a/c", "\n");
        mkcg(dir, "a/d", "\n");
        mkcg(dir, "e", "\n");
        /* A stray file next to the cgroups is not a cgroup. */
        write_file_at(dir, "stray-file", "../not-a-dir");
        write_file_at(dir, "memory.stat", "anon 1\n");

        c->scratch = dir;
        int rootfd = open_dir(dir);
        /*
         * By the time the first child of a/ is visited, readdir() has already listed
         * its siblings (one getdents64() batch); they are gone when the walk reaches them.
         */
        int r = cg_walk(rootfd, vanish_fn, c);
        close(rootfd);
        assert_int_equal(r, 0);
        assert_int_equal(c->removed, 2);
        assert_int_equal(c->n, 3);
        size_t kids = 0;
        for (size_t i = 0; i < c->n; i++)
                if (strncmp(c->items[i].path, "a/", 2) == 0)
                        kids++;
        assert_int_equal(kids, 1);

        collect_free(c);
        free(c);
        rm_rf(dir);
        free(dir);
}

/* A directory without cgroup.subtree_control (removed mid-walk) is skipped, not an error. */
static void test_walk_child_without_control_file(void **state)
{
        (void) state;
        char *dir = make_scratch();
        struct collect *c = calloc(1, sizeof(*c));
        char path[4096];

        write_file_at(dir, "cgroup.subtree_control", "memory\n");
        mkcg(dir, "x.scope", "\n");
        snprintf(path, sizeof(path), "%s/half-gone.scope", dir);
        assert_int_equal(mkdir(path, 0755), 0);

        int rootfd = open_dir(dir);
        int r = cg_walk(rootfd, collect_fn, c);
        close(rootfd);
        assert_int_equal(r, 0);
        assert_int_equal(c->n, 1);
        assert_string_equal(c->items[0].path, "x.scope");

        collect_free(c);
        free(c);
        rm_rf(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_walk_tree_61),
                cmocka_unit_test(test_walk_tree_515),
                cmocka_unit_test(test_walk_stops),
                cmocka_unit_test(test_walk_root_without_memory),
                cmocka_unit_test(test_walk_child_vanishes),
                cmocka_unit_test(test_walk_child_without_control_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
