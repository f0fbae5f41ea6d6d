/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for cgroup.events, cgroup.kill (cgroupfs/kill.c) and PSI triggers (psi.c). */

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
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/io.h"
#include "cgroupfs/kill.h"
#include "cgroupfs/psi.h"
#include "unit-util.h"

static int populated_of(const char *text)
{
        char *dir = make_scratch();
        struct read_buf buf = {0};
        write_file_at(dir, "cgroup.events", text);
        int fd = open_dir(dir);
        int r = cg_populated(fd, &buf);
        close(fd);
        read_buf_free(&buf);
        rm_rf(dir);
        free(dir);
        return r;
}

static void test_populated_fixtures(void **state)
{
        (void) state;
        struct read_buf buf = {0};
        int fd;

        fd = open_dir(FIXTURES "/tree-6.1/init.scope");
        assert_int_equal(cg_populated(fd, &buf), 1);
        close(fd);
        fd = open_dir(FIXTURES "/tree-5.15/user.slice/user-1000.slice");
        assert_int_equal(cg_populated(fd, &buf), 1);
        close(fd);
        /* No cgroup.events: ENOENT, which callers read as "gone". */
        fd = open_dir(FIXTURES "/files");
        assert_int_equal(cg_populated(fd, &buf), -ENOENT);
        close(fd);
        read_buf_free(&buf);
}

static void test_populated_files(void **state)
{
        (void) state;
        size_t n;
        char *text;

        static const struct {
                const char *name;
                int want;
        } cases[] = {
                {"cgroup.events-populated", 1},
                {"cgroup.events-empty", 0},
                {"cgroup.events-malformed", -EINVAL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char path[256];
                snprintf(path, sizeof(path), FIXTURES "/files/%s", cases[i].name);
                char *raw = read_exact(path, &n);
                text = strndup(raw, n);
                free(raw);
                int r = populated_of(text);
                free(text);
                if (r != cases[i].want)
                        fail_msg("%s: %d != %d", cases[i].name, r, cases[i].want);
        }

        assert_int_equal(populated_of("populated 1\n"), 1);
        assert_int_equal(populated_of("frozen 1\npopulated 0\n"), 0);
        assert_int_equal(populated_of("populated 0\nfrozen 0\nnew_key 3\n"), 0);
        assert_int_equal(populated_of("populated 2\nfrozen 0\n"), -EINVAL);
        assert_int_equal(populated_of("frozen 0\n"), -EINVAL);
        assert_int_equal(populated_of(""), -EINVAL);
        assert_int_equal(populated_of("populated 1\npopulated 1\n"), -EINVAL);
        assert_int_equal(populated_of("populated\n"), -EINVAL);
}

static void test_cg_kill(void **state)
{
        (void) state;
        char *dir = make_scratch();
        int fd = open_dir(dir);
        size_t n;

        /* 5.14+: writes "1". Without the file (older kernels) it says so. */
        assert_int_equal(cg_kill(fd), -ENOENT);
        write_file_at(dir, "cgroup.kill", "");
        assert_int_equal(cg_kill(fd), 0);
        char path[4200];
        snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
        char *b = read_exact(path, &n);
        assert_int_equal(n, 1);
        assert_memory_equal(b, "1", 1);
        free(b);

        close(fd);
        rm_rf(dir);
        free(dir);
}

struct psi_scratch {
        char *dir;
        int dirfd;
        char path[4200];
};

static void psi_scratch_init(struct psi_scratch *p)
{
        p->dir = make_scratch();
        write_file_at(p->dir, "memory.pressure", "");
        p->dirfd = open_dir(p->dir);
        snprintf(p->path, sizeof(p->path), "%s/memory.pressure", p->dir);
}

static void psi_scratch_done(struct psi_scratch *p)
{
        close(p->dirfd);
        rm_rf(p->dir);
        free(p->dir);
}

static size_t file_size(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                abort();
        return (size_t) st.st_size;
}

static void test_psi_trigger_validation(void **state)
{
        (void) state;
        struct psi_scratch p;
        psi_scratch_init(&p);

        static const struct {
                uint64_t threshold, window;
        } bad[] = {
                {150000, 499999}, {150000, 10000001},       {0, 1000000},     {1000001, 1000000},
                {150000, 0},      {UINT64_MAX, UINT64_MAX}, {500001, 500000}, {1, UINT64_MAX},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = psi_trigger_open(p.dirfd, "memory.pressure", PSI_STALL_SOME,
                                         bad[i].threshold, bad[i].window);
                if (r != -EINVAL)
                        fail_msg("threshold %lu window %lu: %d", (unsigned long) bad[i].threshold,
                                 (unsigned long) bad[i].window, r);
                /* validated before the file is touched: even a missing file says -EINVAL */
                r = psi_trigger_open(p.dirfd, "no-such-file", PSI_STALL_FULL, bad[i].threshold,
                                     bad[i].window);
                assert_int_equal(r, -EINVAL);
        }
        assert_int_equal(file_size(p.path), 0);
        psi_scratch_done(&p);
}

static void assert_trigger_spec(enum psi_stall stall, uint64_t threshold, uint64_t window,
                                const char *expected)
{
        char spec[PSI_TRIGGER_SPEC_MAX];

        /*
         * The trigger text with its terminating NUL, as Documentation/accounting/psi.rst
         * writes it (strlen + 1): the kernel's psi_write() overwrites the last byte it is
         * given with a NUL, so without one it would cut the window's last digit.
         */
        int n = psi_trigger_format(stall, threshold, window, spec);
        assert_int_equal(n, (int) strlen(expected) + 1);
        assert_memory_equal(spec, expected, (size_t) n);
}

static void test_psi_trigger_write(void **state)
{
        (void) state;
        struct psi_scratch p;

        assert_trigger_spec(PSI_STALL_SOME, 150000, 1000000, "some 150000 1000000");
        /* full, both window bounds, and threshold == window */
        assert_trigger_spec(PSI_STALL_FULL, 10000000, 10000000, "full 10000000 10000000");
        assert_trigger_spec(PSI_STALL_SOME, 1, 500000, "some 1 500000");

        /* A regular file (a fixture tree) is never written: the kernel case writes real ones. */
        psi_scratch_init(&p);
        assert_int_equal(
                psi_trigger_open(p.dirfd, "memory.pressure", PSI_STALL_SOME, 150000, 1000000),
                -EMEDIUMTYPE);
        assert_int_equal(file_size(p.path), 0);

        /* Absent PSI or cgroup: -ENOENT. */
        assert_int_equal(psi_trigger_open(p.dirfd, "cpu.pressure", PSI_STALL_SOME, 150000, 1000000),
                         -ENOENT);
        psi_scratch_done(&p);
}

static void test_psi_trigger_revents(void **state)
{
        (void) state;

        assert_int_equal(psi_trigger_revents(0), 0);
        assert_int_equal(psi_trigger_revents(POLLPRI), 1);
        assert_int_equal(psi_trigger_revents(POLLPRI | POLLIN), 1);
        assert_int_equal(psi_trigger_revents(POLLIN), 0);
        assert_int_equal(psi_trigger_revents(POLLOUT), 0);
        assert_int_equal(psi_trigger_revents(POLLERR), -ENODEV);
        assert_int_equal(psi_trigger_revents(POLLERR | POLLPRI), -ENODEV);
        assert_int_equal(psi_trigger_revents(POLLNVAL), -ENODEV);
        assert_int_equal(psi_trigger_revents(POLLHUP | POLLERR), -ENODEV);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_populated_fixtures),
                cmocka_unit_test(test_populated_files),
                cmocka_unit_test(test_cg_kill),
                cmocka_unit_test(test_psi_trigger_validation),
                cmocka_unit_test(test_psi_trigger_write),
                cmocka_unit_test(test_psi_trigger_revents),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
