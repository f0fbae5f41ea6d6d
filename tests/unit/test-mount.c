/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for mountinfo classification (cgroupfs/mount.c). */

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
#include <unistd.h>

#include "cgroupfs/mount.h"
#include "unit-util.h"

static int mounts_of(const char *text, struct cg_mounts *m)
{
        size_t n = strlen(text);
        char *b = dup_exact(text, n);
        int r = cg_mounts_parse(b, n, m);
        free(b);
        return r;
}

static int mounts_file(const char *name, struct cg_mounts *m)
{
        char path[256];
        size_t n;
        snprintf(path, sizeof(path), FIXTURES "/files/%s", name);
        char *b = read_exact(path, &n);
        int r = cg_mounts_parse(b, n, m);
        free(b);
        return r;
}

static struct cg_mounts *new_mounts(void)
{
        struct cg_mounts *m = malloc(sizeof(*m));
        if (!m)
                abort();
        memset(m, 0x55, sizeof(*m));
        return m;
}

static void test_unified(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        assert_int_equal(mounts_file("mountinfo-unified", m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_UNIFIED);
        assert_string_equal(m->unified, "/sys/fs/cgroup");
        assert_string_equal(m->memory_v1, "");
        free(m);
}

/* This CI machine's layout: tmpfs on /sys/fs/cgroup, v1 hierarchies, cgroup2 on unified/. */
static void test_hybrid(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        assert_int_equal(mounts_file("mountinfo-hybrid", m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_HYBRID);
        assert_string_equal(m->unified, "/sys/fs/cgroup/unified");
        assert_string_equal(m->memory_v1, "/sys/fs/cgroup/memory");
        free(m);
}

static void test_legacy(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        assert_int_equal(mounts_file("mountinfo-legacy", m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_LEGACY);
        assert_string_equal(m->unified, "");
        assert_string_equal(m->memory_v1, "/sys/fs/cgroup/memory");

        /* "memory" must be a whole option: name=systemd or memory_foo are not it. */
        assert_int_equal(mounts_of("26 25 0:22 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
                                   "rw,xattr,name=memory\n"
                                   "27 25 0:23 / /x rw - cgroup cgroup rw,memory_x,cpu\n"
                                   "28 25 0:24 / /y rw - cgroup cgroup rw,cpu,memory\n",
                                   m),
                         0);
        assert_int_equal(m->layout, CG_LAYOUT_LEGACY);
        assert_string_equal(m->memory_v1, "/y");
        free(m);
}

static void test_none(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        assert_int_equal(mounts_file("mountinfo-none", m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_NONE);
        assert_string_equal(m->unified, "");
        assert_string_equal(m->memory_v1, "");

        memset(m, 0x55, sizeof(*m));
        assert_int_equal(cg_mounts_parse("", 0, m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_NONE);
        assert_string_equal(m->unified, "");
        free(m);
}

static void test_escaped_and_optional_fields(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        /* "\040" in the mount point, and "shared:20 master:2" optional fields. */
        assert_int_equal(mounts_file("mountinfo-escaped", m), 0);
        assert_int_equal(m->layout, CG_LAYOUT_UNIFIED);
        assert_string_equal(m->unified, "/srv/my cgroups");

        /* Tab, newline and backslash escapes; no optional fields at all. */
        assert_int_equal(mounts_of("40 23 0:40 / /a\\011b\\012c\\134d rw - cgroup2 none rw", m), 0);
        assert_string_equal(m->unified, "/a\tb\nc\\d");
        /* A backslash that does not start an escape is kept as it is. */
        assert_int_equal(mounts_of("40 23 0:40 / /a\\b\\12 rw - cgroup2 none rw\n", m), 0);
        assert_string_equal(m->unified, "/a\\b\\12");

        /* Many optional fields. */
        assert_int_equal(mounts_of("40 23 0:40 / /cg rw shared:1 master:2 propagate_from:3 "
                                   "unbindable - cgroup2 cgroup2 rw,nsdelegate\n",
                                   m),
                         0);
        assert_string_equal(m->unified, "/cg");
        free(m);
}

static void test_default_root_wins(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();

        /* A container's cgroup2 bind mount listed before the host's /sys/fs/cgroup. */
        assert_int_equal(mounts_of("50 1 0:30 /kubepods /run/containerd/x/rootfs/sys/fs/cgroup ro "
                                   "- cgroup2 cgroup2 rw\n"
                                   "30 23 0:26 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 "
                                   "rw,nsdelegate,memory_recursiveprot\n"
                                   "51 1 0:30 / /mnt/cg2 rw - cgroup2 cgroup2 rw\n",
                                   m),
                         0);
        assert_int_equal(m->layout, CG_LAYOUT_UNIFIED);
        assert_string_equal(m->unified, "/sys/fs/cgroup");
        free(m);
}

/*
 * Lines that are not cgroup mounts but are long, as real nodes have them: an overlay
 * root of a container image with many layers (Docker overlay2, containerd snapshots)
 * carries super options of several KiB (lowerdir=...:...:...). They are not malformed.
 */
static void test_long_foreign_lines(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();
        char *text = malloc(16384);
        assert_non_null(text);

        size_t n = (size_t) snprintf(text, 16384,
                                     "30 23 0:26 / /sys/fs/cgroup rw shared:9 - cgroup2 "
                                     "cgroup2 rw\n"
                                     "812 700 0:245 / /run/containerd/io.containerd.runtime.v2."
                                     "task/k8s.io/0123/rootfs rw,relatime - overlay overlay "
                                     "rw,lowerdir=");
        for (int i = 0; i < 40; i++)
                n += (size_t) snprintf(text + n, 16384 - n,
                                       "%s/var/lib/containerd/io.containerd.snapshotter.v1."
                                       "overlayfs/snapshots/%d/fs",
                                       i ? ":" : "", 1000 + i);
        n += (size_t) snprintf(text + n, 16384 - n,
                               ",upperdir=/var/lib/containerd/io.containerd.snapshotter.v1."
                               "overlayfs/snapshots/2000/fs,workdir=/var/lib/containerd/"
                               "io.containerd.snapshotter.v1.overlayfs/snapshots/2000/work\n");
        assert_true(n > 1024 * 2);
        int r = mounts_of(text, m);
        free(text);
        if (r < 0) {
                free(m);
                fail_msg("an overlay mount with %zu-byte super options: %s (%d)", n - 300,
                         strerror(-r), r);
        }
        assert_int_equal(m->layout, CG_LAYOUT_UNIFIED);
        assert_string_equal(m->unified, "/sys/fs/cgroup");
        free(m);
}

static void test_malformed(void **state)
{
        (void) state;
        struct cg_mounts *m = new_mounts();
        memset(m, 0x55, sizeof(*m));
        enum cg_layout before = m->layout;

        assert_int_equal(mounts_file("mountinfo-malformed", m), -EINVAL);

        static const char *const bad[] = {
                "22 1 259:2 / /",
                "22 1 259:2 /",
                "22 1 259:2 / / rw - ext4",
                "22 1 259:2 / / rw - ext4 /dev/vda",
                "22 1 259:2 / / rw -",
                "22 1 259:2 / / rw shared:1",
                "22  1 259:2 / / rw - ext4 /dev/vda rw",
                "22 1 259:2 / / rw - ext4 /dev/vda rw\n\n22 1 259:2 / / rw - ext4 /dev/vda rw\n",
                "\n",
                " ",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = mounts_of(bad[i], m);
                if (r != -EINVAL)
                        fail_msg("cg_mounts_parse(\"%s\") = %d, not -EINVAL", bad[i], r);
        }
        /* ret is written only on success */
        assert_int_equal(m->layout, before);
        free(m);
}

static void test_root_open_verified(void **state)
{
        (void) state;

        assert_int_equal(cg_root_open_verified(FIXTURES "/tree-6.1"), -EMEDIUMTYPE);
        assert_int_equal(cg_root_open_verified("/tmp"), -EMEDIUMTYPE);
        assert_int_equal(cg_root_open_verified(FIXTURES "/does-not-exist"), -ENOENT);
        assert_int_equal(cg_root_open_verified(FIXTURES "/README.md"), -ENOTDIR);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unified),
                cmocka_unit_test(test_hybrid),
                cmocka_unit_test(test_legacy),
                cmocka_unit_test(test_none),
                cmocka_unit_test(test_escaped_and_optional_fields),
                cmocka_unit_test(test_default_root_wins),
                cmocka_unit_test(test_long_foreign_lines),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_root_open_verified),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
