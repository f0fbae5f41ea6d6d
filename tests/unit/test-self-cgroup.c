/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for finding the agent's own cgroup (supervisor/registry/self-cgroup.c):
 * the /proc/PID/cgroup and cgroup.procs parsers, and the search of a scratch tree
 * laid out as a host seen from a container's cgroup namespace.
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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/registry/self-cgroup.h"
#include "unit-util.h"

static int parse(const char *text, char *buf, size_t size)
{
        size_t n = strlen(text);
        char *exact = dup_exact(text, n);
        int r = self_cgroup_parse(exact, n, buf, size);
        free(exact);
        return r;
}

static void test_parse_paths(void **state)
{
        char buf[64];

        (void) state;
        assert_int_equal(parse("0::/system.slice/cgmem.service\n", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "system.slice/cgmem.service");
        /* A container's private cgroup namespace: its root. */
        assert_int_equal(parse("0::/\n", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        /* Hybrid: v1 lines first; no trailing newline. */
        assert_int_equal(parse("12:memory:/x\n1:name=systemd:/y\n0::/a/b", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "a/b");
        /* Moved above its namespace root: the path says nothing. */
        assert_int_equal(parse("0::/../../kubepods.slice/x\n", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        /* ..x is a name, not a way up. */
        assert_int_equal(parse("0::/..x/y\n", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "..x/y");
}

static void test_parse_errors(void **state)
{
        char buf[8];

        (void) state;
        assert_int_equal(parse("12:memory:/x\n", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(parse("", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(parse("0::/a-rather-long-path\n", buf, sizeof(buf)), -ENAMETOOLONG);
        /* Paths the kernel does not print. */
        assert_int_equal(parse("0:://\n", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(parse("0::/a//b\n", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(parse("0::/a/\n", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(parse("0::/a/../b\n", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(parse("0::/./a\n", buf, sizeof(buf)), -EINVAL);
}

static int lists(const char *text, pid_t pid)
{
        size_t n = strlen(text);
        char *exact = dup_exact(text, n);
        int r = procs_list_pid(exact, n, pid);
        free(exact);
        return r;
}

static void test_procs(void **state)
{
        (void) state;
        assert_int_equal(lists("1\n23\n456\n", 23), 1);
        assert_int_equal(lists("1\n230\n", 23), 0);
        /* Processes outside the reader's pid namespace read as 0. */
        assert_int_equal(lists("0\n0\n1\n", 1), 1);
        assert_int_equal(lists("0\n0\n", 1), 0);
        assert_int_equal(lists("", 1), 0);
        assert_int_equal(lists("12", 12), 1);
        assert_int_equal(lists("1\nx\n", 1), -EINVAL);
}

/* dir/path with a cgroup.subtree_control and a cgroup.procs. */
static void cgroup_at(const char *root, const char *path, const char *subtree, const char *procs)
{
        char dir[4096];

        snprintf(dir, sizeof(dir), "%s/%s", root, path);
        mkdir(dir, 0755);
        write_file_at(dir, "cgroup.subtree_control", subtree);
        write_file_at(dir, "cgroup.procs", procs);
}

/* The host's tree as a DaemonSet's hostPath shows it; the agent is pid 1 in its namespace. */
static char *host_tree(void)
{
        char *root = make_scratch();

        cgroup_at(root, ".", "cpu memory pids\n", "0\n");
        cgroup_at(root, "init.scope", "", "0\n");
        cgroup_at(root, "kubepods.slice", "memory\n", "");
        cgroup_at(root, "kubepods.slice/pod-a", "memory\n", "");
        cgroup_at(root, "kubepods.slice/pod-a/cri-containerd-1.scope", "", "0\n0\n");
        cgroup_at(root, "kubepods.slice/pod-b", "memory\n", "");
        cgroup_at(root, "kubepods.slice/pod-b/cri-containerd-2.scope", "", "0\n1\n");
        cgroup_at(root, "system.slice", "memory\n", "");
        cgroup_at(root, "system.slice/cgmem.service", "", "812\n");
        return root;
}

static void test_find(void **state)
{
        char *root = host_tree();
        int fd = open_dir(root);
        char buf[256];

        (void) state;
        /* The host's namespace: the path is right and is checked, no walk. */
        assert_int_equal(self_cgroup_find(fd, "system.slice/cgmem.service", 812, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "system.slice/cgmem.service");
        /* A private namespace: "/" there, found by pid. */
        assert_int_equal(self_cgroup_find(fd, "", 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "kubepods.slice/pod-b/cri-containerd-2.scope");
        /* A path that is wrong in the host's tree is searched as a suffix. */
        assert_int_equal(self_cgroup_find(fd, "cri-containerd-2.scope", 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "kubepods.slice/pod-b/cri-containerd-2.scope");
        /* A suffix matches whole names only. */
        assert_int_equal(self_cgroup_find(fd, "containerd-2.scope", 1, buf, sizeof(buf)), -ESRCH);
        /* Not below this root at all. */
        assert_int_equal(self_cgroup_find(fd, "", 999, buf, sizeof(buf)), -ESRCH);
        /* The root itself. */
        write_file_at(root, "cgroup.procs", "999\n");
        assert_int_equal(self_cgroup_find(fd, "", 999, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        /* Too small a buffer is an error, not a truncated path. */
        assert_int_equal(self_cgroup_find(fd, "", 1, buf, 8), -ENAMETOOLONG);
        close(fd);
        rm_rf(root);
        free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_paths),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_procs),
                cmocka_unit_test(test_find),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
