/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for memcg sampling (cgroupfs/sample.c) against the fixture trees, checked
 * two ways: field by field against an independent stdio reading of the same files, and
 * against the exact numbers in tests/fixtures/README.md.
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
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/sample.h"
#include "unit-util.h"

#define T61  FIXTURES "/tree-6.1/"
#define T515 FIXTURES "/tree-5.15/"
#define DOCKER61                                                                                   \
        "system.slice/"                                                                            \
        "docker-4f1c2e8b9a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e.scope"
#define DOCKER515                                                                                  \
        "system.slice/"                                                                            \
        "docker-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.scope"
#define POD61                                                                                      \
        "kubepods.slice/kubepods-burstable.slice/"                                                 \
        "kubepods-burstable-pod8a3f1c2e_5b7d_4e9a_b1c3_2d4e6f8a0b1c.slice"
#define POD515                                                                                     \
        "kubepods.slice/kubepods-burstable.slice/"                                                 \
        "kubepods-burstable-pod1d2c3b4a_0f9e_4d8c_a7b6_5e4d3c2b1a09.slice"
#define APP61                                                                                      \
        POD61 "/cri-containerd-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d."  \
              "scope"
#define PAUSE61                                                                                    \
        POD61 "/cri-containerd-2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80911."  \
              "scope"
#define APP515                                                                                     \
        POD515 "/cri-containerd-f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f." \
               "scope"
#define PAUSE515                                                                                   \
        POD515 "/cri-containerd-7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b7c6b5a4f3e2d1c0b." \
               "scope"

#define MAXV CG_VALUE_MAX

/* One row of the README table. */
struct expect {
        const char *path;
        uint64_t current, anon, file, inactive_file, working_set, kernel;
        double kernel_share_pct;
        uint64_t high, max, oom_kill;
};

static const struct expect tree61[] = {
        {"init.scope", 9891840, 2097152, 7340032, 4194304, 5697536, 454656, 4.5963, MAXV, MAXV, 0},
        {"system.slice", 258629632, 162529280, 87031808, 65011712, 193617920, 8663040, 3.3496, MAXV,
         MAXV, 0},
        {DOCKER61, 249372672, 157286400, 83886080, 62914560, 186458112, 7794688, 3.1257, MAXV,
         536870912, 0},
        {"system.slice/ssh.service", 9256960, 5242880, 3145728, 2097152, 7159808, 868352, 9.3805,
         MAXV, MAXV, 0},
        {"kubepods.slice", 269029376, 249806848, 12976128, 8781824, 260247552, 6115328, 2.2731,
         MAXV, UINT64_C(7516192768), 2},
        {"kubepods.slice/kubepods-burstable.slice", 269029376, 249806848, 12976128, 8781824,
         260247552, 6115328, 2.2731, MAXV, MAXV, 2},
        {POD61, 269029376, 249806848, 12976128, 8781824, 260247552, 6115328, 2.2731, MAXV,
         285212672, 2},
        {APP61, 268292096, 249561088, 12582912, 8388608, 259903488, 6017024, 2.2427, 241172480,
         268435456, 2},
        {PAUSE61, 737280, 245760, 393216, 393216, 344064, 98304, 13.3333, MAXV, MAXV, 0},
        {"user.slice", 104783872, 33554432, 67108864, 50331648, 54452224, 4112384, 3.9246, MAXV,
         MAXV, 0},
};

static const struct expect tree515[] = {
        {"init.scope", 9891840, 2097152, 7340032, 4194304, 5697536, 449792, 4.5471, MAXV, MAXV, 0},
        {"system.slice", 258617344, 162529280, 87031808, 65011712, 193605632, 8587904, 3.3207, MAXV,
         MAXV, 0},
        {DOCKER515, 249364480, 157286400, 83886080, 62914560, 186449920, 7736256, 3.1024, MAXV,
         536870912, 0},
        {"system.slice/ssh.service", 9252864, 5242880, 3145728, 2097152, 7155712, 851648, 9.2042,
         MAXV, MAXV, 0},
        {"kubepods.slice", 269029376, 249806848, 12976128, 8781824, 260247552, 6088192, 2.2630,
         MAXV, UINT64_C(7516192768), 2},
        {"kubepods.slice/kubepods-burstable.slice", 269029376, 249806848, 12976128, 8781824,
         260247552, 6088192, 2.2630, MAXV, MAXV, 2},
        {POD515, 269029376, 249806848, 12976128, 8781824, 260247552, 6088192, 2.2630, MAXV,
         285212672, 2},
        {APP515, 268292096, 249561088, 12582912, 8388608, 259903488, 5996160, 2.2349, 241172480,
         268435456, 2},
        {PAUSE515, 737280, 245760, 393216, 393216, 344064, 92032, 12.4826, MAXV, MAXV, 0},
        {"user.slice", 104779776, 33554432, 67108864, 50331648, 54448128, 4088128, 3.9016, MAXV,
         MAXV, 0},
};

static void assert_double_near(double a, double b, double eps)
{
        if (!(a - b < eps && b - a < eps))
                fail_msg("%.6f != %.6f (± %g)", a, b, eps);
}

/* --- An independent reading of the fixture files, with stdio. --- */

static FILE *ref_open(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        FILE *f = fdopen(fd, "r");
        if (!f)
                abort();
        return f;
}

/* Returns 1 and the value (UINT64_MAX for "max"), 0 if the file is absent. */
static int ref_value(int dirfd, const char *name, uint64_t *ret)
{
        char line[64] = "";
        FILE *f = ref_open(dirfd, name);
        if (!f)
                return 0;
        if (!fgets(line, sizeof(line), f))
                abort();
        fclose(f);
        *ret = strcmp(line, "max\n") == 0 ? UINT64_MAX : strtoull(line, NULL, 10);
        return 1;
}

/* Returns 1 and the key's value, 0 if the file or the key is absent. */
static int ref_key(int dirfd, const char *name, const char *key, uint64_t *ret)
{
        char k[128];
        unsigned long long v;
        int found = 0;
        FILE *f = ref_open(dirfd, name);
        if (!f)
                return 0;
        while (fscanf(f, "%127s %llu", k, &v) == 2) {
                if (strcmp(k, key) == 0) {
                        *ret = v;
                        found = 1;
                }
        }
        fclose(f);
        return found;
}

#define FIELD(type, name)                                                                          \
        {                                                                                          \
#name, offsetof(type, name)                                                        \
        }

static const struct {
        const char *key;
        size_t offset;
} stat_keys[] =
        {
                FIELD(struct memcg_stat, anon),
                FIELD(struct memcg_stat, file),
                FIELD(struct memcg_stat, active_anon),
                FIELD(struct memcg_stat, inactive_anon),
                FIELD(struct memcg_stat, active_file),
                FIELD(struct memcg_stat, inactive_file),
                FIELD(struct memcg_stat, kernel),
                FIELD(struct memcg_stat, kernel_stack),
                FIELD(struct memcg_stat, pagetables),
                FIELD(struct memcg_stat, sec_pagetables),
                FIELD(struct memcg_stat, percpu),
                FIELD(struct memcg_stat, sock),
                FIELD(struct memcg_stat, vmalloc),
                FIELD(struct memcg_stat, shmem),
                FIELD(struct memcg_stat, slab),
                FIELD(struct memcg_stat, slab_reclaimable),
                FIELD(struct memcg_stat, slab_unreclaimable),
                FIELD(struct memcg_stat, file_mapped),
                FIELD(struct memcg_stat, file_dirty),
                FIELD(struct memcg_stat, file_writeback),
                FIELD(struct memcg_stat, pgfault),
                FIELD(struct memcg_stat, pgmajfault),
                FIELD(struct memcg_stat, workingset_refault_anon),
                FIELD(struct memcg_stat, workingset_refault_file),
},
  event_keys[] = {
          FIELD(struct memcg_events, low),
          FIELD(struct memcg_events, high),
          FIELD(struct memcg_events, max),
          FIELD(struct memcg_events, oom),
          FIELD(struct memcg_events, oom_kill),
          FIELD(struct memcg_events, oom_group_kill),
          FIELD(struct memcg_events, sock_throttled),
};

static uint64_t field_at(const void *base, size_t offset)
{
        uint64_t v;
        memcpy(&v, (const char *) base + offset, sizeof(v));
        return v;
}

static void check_value(int dirfd, const char *name, uint64_t got)
{
        uint64_t want = 0;
        if (!ref_value(dirfd, name, &want))
                want = 0;
        if (got != want)
                fail_msg("%s: %" PRIu64 " != %" PRIu64, name, got, want);
}

static void check_keyed(int dirfd, const char *name, const void *got, int is_stat)
{
        size_t n = is_stat ? ELEMENTSOF(stat_keys) : ELEMENTSOF(event_keys);
        for (size_t i = 0; i < n; i++) {
                const char *key = is_stat ? stat_keys[i].key : event_keys[i].key;
                size_t off = is_stat ? stat_keys[i].offset : event_keys[i].offset;
                uint64_t want = 0;
                ref_key(dirfd, name, key, &want);
                if (field_at(got, off) != want)
                        fail_msg("%s %s: %" PRIu64 " != %" PRIu64, name, key, field_at(got, off),
                                 want);
        }
}

static void check_psi(int dirfd, const struct psi_stats *p)
{
        unsigned a[12];
        unsigned long long t[2];
        FILE *f = ref_open(dirfd, "memory.pressure");
        assert_non_null(f);
        int n = fscanf(f,
                       "some avg10=%u.%u avg60=%u.%u avg300=%u.%u total=%llu\n"
                       "full avg10=%u.%u avg60=%u.%u avg300=%u.%u total=%llu",
                       &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &t[0], &a[6], &a[7], &a[8], &a[9],
                       &a[10], &a[11], &t[1]);
        fclose(f);
        assert_int_equal(n, 14);
        assert_int_equal(p->some.avg10, a[0] * 100 + a[1]);
        assert_int_equal(p->some.avg60, a[2] * 100 + a[3]);
        assert_int_equal(p->some.avg300, a[4] * 100 + a[5]);
        assert_true(p->some.total_usec == t[0]);
        assert_int_equal(p->has_full, 1);
        assert_int_equal(p->full.avg10, a[6] * 100 + a[7]);
        assert_int_equal(p->full.avg60, a[8] * 100 + a[9]);
        assert_int_equal(p->full.avg300, a[10] * 100 + a[11]);
        assert_true(p->full.total_usec == t[1]);
}

static void check_tree(const char *top, const struct expect *rows, size_t n_rows, int is_61)
{
        for (size_t i = 0; i < n_rows; i++) {
                const struct expect *e = &rows[i];
                char path[4096];
                struct memcg_sample s;
                const char *file = NULL;

                snprintf(path, sizeof(path), "%s%s", top, e->path);
                int dirfd = open_dir(path);
                if (dirfd < 0)
                        fail_msg("cannot open %s", path);
                memset(&s, 0xa5, sizeof(s));
                int r = memcg_sample_read_once(dirfd, &s, &file);
                if (r < 0)
                        fail_msg("%s: %d at %s", e->path, r, file ? file : "?");

                /* Every field equals what the file says. */
                check_value(dirfd, "memory.current", s.current_bytes);
                check_value(dirfd, "memory.min", s.min_bytes);
                check_value(dirfd, "memory.low", s.low_bytes);
                check_value(dirfd, "memory.high", s.high_bytes);
                check_value(dirfd, "memory.max", s.max_bytes);
                check_value(dirfd, "memory.peak", s.peak_bytes);
                check_value(dirfd, "memory.swap.current", s.swap_current_bytes);
                check_value(dirfd, "memory.swap.max", s.swap_max_bytes);
                check_keyed(dirfd, "memory.stat", &s.stat, 1);
                check_keyed(dirfd, "memory.events", &s.events, 0);
                check_keyed(dirfd, "memory.events.local", &s.events_local, 0);
                uint64_t v = 0;
                assert_true(ref_key(dirfd, "memory.swap.events", "fail", &v));
                assert_true(s.swap_events.fail == v && s.swap_events.high == 0 &&
                            s.swap_events.max == 0);
                check_psi(dirfd, &s.psi);

                /* The numbers of the README table. */
                if (s.current_bytes != e->current || s.stat.anon != e->anon ||
                    s.stat.file != e->file || s.stat.inactive_file != e->inactive_file)
                        fail_msg("%s: sample differs from the README table", e->path);
                assert_true(s.high_bytes == e->high);
                assert_true(s.max_bytes == e->max);
                assert_true(s.events.oom_kill == e->oom_kill);
                assert_true(memcg_working_set_bytes(&s) == e->working_set);
                if (memcg_kernel_bytes(&s) != e->kernel)
                        fail_msg("%s: kernel %" PRIu64 " != %" PRIu64, e->path,
                                 memcg_kernel_bytes(&s), e->kernel);
                assert_double_near(memcg_kernel_share_pct(&s), e->kernel_share_pct, 0.0001);
                if (e->max == MAXV)
                        assert_double_near(memcg_usage_pct_of_max(&s), -1.0, 1e-12);
                else
                        assert_double_near(memcg_usage_pct_of_max(&s),
                                           100.0 * (double) e->current / (double) e->max, 1e-9);

                /* Internal plausibility of the fixtures themselves. */
                assert_true(s.current_bytes >= s.stat.anon + s.stat.file);
                assert_true(s.stat.inactive_file < s.current_bytes);
                assert_true(s.stat.file == s.stat.active_file + s.stat.inactive_file);
                assert_true(s.stat.slab == s.stat.slab_reclaimable + s.stat.slab_unreclaimable);

                unsigned want_have = MEMCG_HAVE_SWAP | MEMCG_HAVE_SWAP_EVENTS |
                                     MEMCG_HAVE_EVENTS_LOCAL | MEMCG_HAVE_PSI;
                if (is_61) {
                        want_have |= MEMCG_HAVE_PEAK | MEMCG_HAVE_STAT_KERNEL;
                        assert_true(s.peak_bytes >= s.current_bytes);
                        assert_true(s.stat.kernel > s.stat.kernel_stack + s.stat.pagetables +
                                                            s.stat.percpu + s.stat.slab +
                                                            s.stat.vmalloc);
                } else {
                        assert_true(s.peak_bytes == 0);
                        assert_true(s.stat.kernel == 0 && s.stat.vmalloc == 0);
                        assert_true(s.events.oom_group_kill == 0);
                }
                if (s.have != want_have)
                        fail_msg("%s: have 0x%x != 0x%x", e->path, s.have, want_have);
                close(dirfd);
        }
}

static void test_sample_tree_61(void **state)
{
        (void) state;
        check_tree(T61, tree61, ELEMENTSOF(tree61), 1);
}

static void test_sample_tree_515(void **state)
{
        (void) state;
        check_tree(T515, tree515, ELEMENTSOF(tree515), 0);
}

/*
 * 6.1 and 5.15 cgroups in turn: memory.stat's keys differ, so what the parser learned
 * of the last one's lines (struct keyed_layout) is wrong for the next every time.
 */
static void test_sample_trees_alternating(void **state)
{
        (void) state;
        assert_int_equal(ELEMENTSOF(tree61), ELEMENTSOF(tree515));
        for (int round = 0; round < 2; round++) {
                for (size_t i = 0; i < ELEMENTSOF(tree61); i++) {
                        check_tree(T61, &tree61[i], 1, 1);
                        check_tree(T515, &tree515[i], 1, 0);
                        check_tree(T61, &tree61[i], 1, 1);
                }
        }
}

/* Spot checks with the literal values, for the cgroups the policy cares about. */
static void test_sample_literals(void **state)
{
        (void) state;
        struct memcg_sample s;
        int dirfd;

        dirfd = open_dir(T61 APP61);
        assert_true(dirfd >= 0);
        assert_int_equal(memcg_sample_read_once(dirfd, &s, NULL), 0);
        close(dirfd);
        assert_true(s.current_bytes == UINT64_C(268292096));
        assert_true(s.peak_bytes == UINT64_C(268435456));
        assert_true(s.high_bytes == UINT64_C(241172480));
        assert_true(s.max_bytes == UINT64_C(268435456));
        assert_true(s.swap_max_bytes == 0);
        assert_true(s.events.high == 1432 && s.events.max == 57 && s.events.oom == 2 &&
                    s.events.oom_kill == 2 && s.events.oom_group_kill == 0);
        assert_true(s.events_local.max == 57 && s.events_local.oom_kill == 2);
        assert_int_equal(s.psi.some.avg10, 1234);
        assert_int_equal(s.psi.full.avg10, 1001);
        assert_true(s.psi.full.total_usec == UINT64_C(87654321));
        assert_true(s.stat.kernel == UINT64_C(6017024));
        assert_double_near(memcg_usage_pct_of_max(&s), 99.946594238, 1e-6);

        /* The pod counts its container's events hierarchically, none locally. */
        dirfd = open_dir(T61 POD61);
        assert_true(dirfd >= 0);
        assert_int_equal(memcg_sample_read_once(dirfd, &s, NULL), 0);
        close(dirfd);
        assert_true(s.events.oom_kill == 2 && s.events_local.oom_kill == 0);
        assert_true(s.events_local.max == 0 && s.events.max == 57);

        dirfd = open_dir(T61 "system.slice/ssh.service");
        assert_true(dirfd >= 0);
        assert_int_equal(memcg_sample_read_once(dirfd, &s, NULL), 0);
        close(dirfd);
        assert_true(s.max_bytes == CG_VALUE_MAX && s.high_bytes == CG_VALUE_MAX);
        assert_true(s.swap_max_bytes == CG_VALUE_MAX);

        /*
         * The root cgroup has no memory.current (CFTYPE_NOT_ON_ROOT): sampling it fails at
         * that file. Node-wide numbers come from the root's memory.stat and /proc instead.
         */
        const char *file = NULL;
        dirfd = open_dir(T61);
        assert_true(dirfd >= 0);
        assert_int_equal(memcg_sample_read_once(dirfd, &s, &file), -ENOENT);
        close(dirfd);
        assert_string_equal(file, "memory.current");

        dirfd = open_dir(T515 DOCKER515);
        assert_true(dirfd >= 0);
        assert_int_equal(memcg_sample_read_once(dirfd, &s, NULL), 0);
        close(dirfd);
        assert_true(s.swap_current_bytes == UINT64_C(1048576));
        assert_true((s.have & MEMCG_HAVE_PEAK) == 0);
        assert_true((s.have & MEMCG_HAVE_STAT_KERNEL) == 0);
        /* 5.15: kernel_stack + pagetables + percpu + slab (no vmalloc key). */
        assert_true(s.stat.kernel_stack == 1146880 && s.stat.pagetables == 2101248 &&
                    s.stat.percpu == 292800 && s.stat.slab == 4195328);
        assert_true(memcg_kernel_bytes(&s) == UINT64_C(7736256));
}

static void test_derived_formulas(void **state)
{
        (void) state;
        struct memcg_sample s = {0};

        s.current_bytes = 1000;
        s.stat.inactive_file = 250;
        s.stat.kernel = 123;
        s.stat.kernel_stack = 1;
        s.stat.pagetables = 20;
        s.stat.percpu = 300;
        s.stat.slab = 4000;
        s.stat.vmalloc = 50000;
        s.stat.sock = 7; /* never part of kernel */
        s.stat.sec_pagetables = 600000;
        s.max_bytes = 4000;

        assert_true(memcg_working_set_bytes(&s) == 750);
        /* Without the "kernel" key: the sum of the parts. */
        assert_true(memcg_kernel_bytes(&s) == 54321);
        assert_double_near(memcg_kernel_share_pct(&s), 5432.1, 1e-9);
        /* With it: the key, even when the parts add up to more. */
        s.have = MEMCG_HAVE_STAT_KERNEL;
        assert_true(memcg_kernel_bytes(&s) == 123);
        assert_double_near(memcg_kernel_share_pct(&s), 12.3, 1e-9);
        assert_double_near(memcg_usage_pct_of_max(&s), 25.0, 1e-9);

        s.max_bytes = CG_VALUE_MAX;
        assert_double_near(memcg_usage_pct_of_max(&s), -1.0, 1e-12);
        s.max_bytes = 0;
        assert_double_near(memcg_usage_pct_of_max(&s), 0.0, 1e-12);

        /* inactive_file can briefly exceed current (the stats are per-cpu batched). */
        s.stat.inactive_file = 1001;
        assert_true(memcg_working_set_bytes(&s) == 0);
        s.stat.inactive_file = 1000;
        assert_true(memcg_working_set_bytes(&s) == 0);

        s.current_bytes = 0;
        assert_double_near(memcg_kernel_share_pct(&s), 0.0, 1e-12);
}

/* --- Error cases, on copies of a fixture cgroup in a scratch directory. --- */

struct scratch {
        char *dir;
        int dirfd;
};

static struct scratch scratch_cgroup(const char *fixture)
{
        struct scratch sc = {.dir = make_scratch()};
        copy_tree(fixture, sc.dir);
        sc.dirfd = open_dir(sc.dir);
        if (sc.dirfd < 0)
                abort();
        return sc;
}

static void scratch_done(struct scratch *sc)
{
        if (sc->dirfd >= 0)
                close(sc->dirfd);
        rm_rf(sc->dir);
        free(sc->dir);
}

static int sample_scratch(struct scratch *sc, struct memcg_sample *s, const char **file)
{
        memset(s, 0, sizeof(*s));
        *file = "untouched";
        return memcg_sample_read_once(sc->dirfd, s, file);
}

static void test_sample_malformed_stat(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s;
        const char *file;

        write_file_at(sc.dir, "memory.stat", "anon 1\nfile 2\nanon 3\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.stat");

        write_file_at(sc.dir, "memory.stat", "anon 1\nfile 2x\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.stat");

        /* A key the working set needs is missing. */
        write_file_at(sc.dir, "memory.stat", "anon 1\nfile 2\nactive_file 1\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.stat");

        write_file_at(sc.dir, "memory.stat", "");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.stat");

        /* Fine again: only the required keys. */
        write_file_at(sc.dir, "memory.stat",
                      "anon 1\nfile 5\nactive_file 2\ninactive_file 3\nnew_key 9\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), 0);
        assert_true(s.stat.inactive_file == 3 && s.stat.kernel == 0);
        assert_true((s.have & MEMCG_HAVE_STAT_KERNEL) == 0);
        scratch_done(&sc);
}

static void test_sample_malformed_others(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s;
        const char *file;

        /* memory.events without oom_kill (present since 4.13) */
        write_file_at(sc.dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.events");
        write_file_at(sc.dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");

        write_file_at(sc.dir, "memory.current", "18446744073709551616\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -ERANGE);
        assert_string_equal(file, "memory.current");
        write_file_at(sc.dir, "memory.current", "max\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.current");
        write_file_at(sc.dir, "memory.current", "4096\n");

        write_file_at(sc.dir, "memory.pressure", "some avg10=0.00 avg60=0.00 total=0\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.pressure");
        write_file_at(sc.dir, "memory.pressure",
                      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");

        write_file_at(sc.dir, "memory.swap.max", "12 34\n");
        assert_int_equal(sample_scratch(&sc, &s, &file), -EINVAL);
        assert_string_equal(file, "memory.swap.max");
        write_file_at(sc.dir, "memory.swap.max", "max\n");

        assert_int_equal(sample_scratch(&sc, &s, &file), 0);
        assert_string_equal(file, "untouched");
        assert_true(s.current_bytes == 4096);
        assert_int_equal(s.psi.has_full, 0);
        scratch_done(&sc);
}

/*
 * memory.min and memory.low print "max" when set to it, exactly like memory.high and
 * memory.max (mm/memcontrol.c memory_min_show()/memory_low_show() ->
 * seq_puts_memcg_tunable(); systemd writes it for MemoryMin=/MemoryLow=infinity).
 */
static void test_sample_min_low_max(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s_low, s_min;
        const char *file_low, *file_min;

        write_file_at(sc.dir, "memory.low", "max\n");
        int r_low = sample_scratch(&sc, &s_low, &file_low);
        write_file_at(sc.dir, "memory.low", "0\n");
        write_file_at(sc.dir, "memory.min", "max\n");
        int r_min = sample_scratch(&sc, &s_min, &file_min);
        scratch_done(&sc);

        if (r_low < 0)
                fail_msg("memory.low \"max\": %s (%d) at %s", strerror(-r_low), r_low, file_low);
        assert_true(s_low.low_bytes == CG_VALUE_MAX);
        if (r_min < 0)
                fail_msg("memory.min \"max\": %s (%d) at %s", strerror(-r_min), r_min, file_min);
        assert_true(s_min.min_bytes == CG_VALUE_MAX);
}

static void test_sample_missing_files(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s;
        const char *file;

        /* Optional files a kernel or config lacks are skipped, with their have-bit clear. */
        assert_int_equal(unlinkat(sc.dirfd, "memory.peak", 0), 0);
        assert_int_equal(unlinkat(sc.dirfd, "memory.events.local", 0), 0);
        assert_int_equal(unlinkat(sc.dirfd, "memory.swap.events", 0), 0);
        assert_int_equal(unlinkat(sc.dirfd, "memory.pressure", 0), 0);
        assert_int_equal(unlinkat(sc.dirfd, "memory.swap.current", 0), 0);
        assert_int_equal(unlinkat(sc.dirfd, "memory.swap.max", 0), 0);
        assert_int_equal(sample_scratch(&sc, &s, &file), 0);
        assert_int_equal(s.have, MEMCG_HAVE_STAT_KERNEL);
        assert_true(s.peak_bytes == 0 && s.swap_max_bytes == 0 && s.psi.some.total_usec == 0);
        assert_true(s.current_bytes == UINT64_C(249372672));

        /* A required one is an error, named. */
        assert_int_equal(unlinkat(sc.dirfd, "memory.current", 0), 0);
        assert_int_equal(sample_scratch(&sc, &s, &file), -ENOENT);
        assert_string_equal(file, "memory.current");
        write_file_at(sc.dir, "memory.current", "8192\n");
        assert_int_equal(unlinkat(sc.dirfd, "memory.events", 0), 0);
        assert_int_equal(sample_scratch(&sc, &s, &file), -ENOENT);
        assert_string_equal(file, "memory.events");
        scratch_done(&sc);
}

/*
 * An unreadable file. chmod 000 does not work when the tests run as root (CAP_DAC_OVERRIDE),
 * so a directory stands in for memory.stat: openat(O_RDONLY) succeeds on it and pread()
 * fails with EISDIR, which must come back as it is, not as "gone".
 */
static void test_sample_unreadable(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s;
        const char *file;

        assert_int_equal(unlinkat(sc.dirfd, "memory.stat", 0), 0);
        assert_int_equal(mkdirat(sc.dirfd, "memory.stat", 0755), 0);
        int r = sample_scratch(&sc, &s, &file);
        assert_int_equal(r, -EISDIR);
        assert_false(errno_is_gone(r));
        assert_string_equal(file, "memory.stat");

        /* The same for an optional file: only ENOENT means "the kernel lacks it". */
        assert_int_equal(unlinkat(sc.dirfd, "memory.stat", AT_REMOVEDIR), 0);
        write_file_at(sc.dir, "memory.stat", "anon 1\nfile 2\nactive_file 1\ninactive_file 1\n");
        assert_int_equal(unlinkat(sc.dirfd, "memory.peak", 0), 0);
        assert_int_equal(mkdirat(sc.dirfd, "memory.peak", 0755), 0);
        assert_int_equal(sample_scratch(&sc, &s, &file), -EISDIR);
        assert_string_equal(file, "memory.peak");
        scratch_done(&sc);
}

/* The cgroup directory goes away between opening it and sampling it. */
static void test_sample_cgroup_gone(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_sample s;
        const char *file;

        rm_rf(sc.dir);
        struct stat st;
        assert_int_equal(stat(sc.dir, &st), -1);
        int r = sample_scratch(&sc, &s, &file);
        assert_true(errno_is_gone(r));
        assert_string_equal(file, "memory.current");
        scratch_done(&sc);
}

/* A reader keeps its files open: the next sample re-reads them from offset 0. */
static void test_reader_reuse(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_reader reader;
        struct memcg_sample s;
        const char *file = NULL;

        memcg_reader_init(&reader);
        assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
        assert_true(s.current_bytes == UINT64_C(249372672));
        assert_true(s.events.high == 0);
        int fd_current = reader.fds[MEMCG_FILE_CURRENT];
        assert_true(fd_current >= 0);

        /* Shorter content than before: no stale bytes of the old value may be parsed. */
        write_file_at(sc.dir, "memory.current", "5\n");
        write_file_at(sc.dir, "memory.events",
                      "low 0\nhigh 17\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
        assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
        assert_true(s.current_bytes == 5);
        assert_true(s.events.high == 17);
        assert_int_equal(reader.fds[MEMCG_FILE_CURRENT], fd_current);

        /* A memory.stat larger than the initial buffer, then exactly at its edges. */
        char big[12000];
        size_t n = (size_t) snprintf(big, sizeof(big),
                                     "anon 11\nfile 22\nactive_file 20\ninactive_file 2\n");
        while (n < 11000)
                n += (size_t) snprintf(big + n, sizeof(big) - n, "future_counter_%zu 1\n", n);
        snprintf(big + n, sizeof(big) - n, "kernel 33\n");
        write_file_at(sc.dir, "memory.stat", big);
        assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
        assert_true(s.stat.anon == 11 && s.stat.inactive_file == 2 && s.stat.kernel == 33);

        static const size_t sizes[] = {4094, 4095, 4096, 4097, 8191, 8192};
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                char text[8300];
                const char *head = "anon 11\nfile 22\nactive_file 20\ninactive_file 2\npad ";
                size_t h = strlen(head);
                memcpy(text, head, h);
                memset(text + h, '7', sizes[i] - h - 12);
                memcpy(text + sizes[i] - 12, "\nkernel 999\n", 13);
                assert_int_equal(strlen(text), sizes[i]);
                write_file_at(sc.dir, "memory.stat", text);
                memcg_reader_close(&reader);
                assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
                assert_true(s.stat.kernel == 999);
                /* and again with the buffer already grown */
                assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
                assert_true(s.stat.kernel == 999);
        }

        /* An optional file found absent stays absent for this reader. */
        assert_int_equal(unlinkat(sc.dirfd, "memory.peak", 0), 0);
        memcg_reader_close(&reader);
        assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
        assert_true((s.have & MEMCG_HAVE_PEAK) == 0);
        write_file_at(sc.dir, "memory.peak", "12345\n");
        assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
        assert_true((s.have & MEMCG_HAVE_PEAK) == 0);

        memcg_reader_close(&reader);
        for (size_t i = 0; i < _MEMCG_FILE_COUNT; i++)
                assert_int_equal(reader.fds[i], -1);
        assert_null(reader.own.data);
        scratch_done(&sc);
}

/* One reader, memory.stat rewritten between samples: keys moved, added, dropped. */
static void test_sample_stat_changes(void **state)
{
        (void) state;
        struct scratch sc = scratch_cgroup(T61 DOCKER61);
        struct memcg_reader reader;
        struct memcg_sample s;
        const char *file = NULL;
        static const struct {
                const char *text;
                uint64_t anon, file, active_file, inactive_file, kernel; /* kernel 0: absent */
        } steps[] = {
                {"anon 1\nfile 5\nactive_file 2\ninactive_file 3\nkernel 4\n", 1, 5, 2, 3, 4},
                {"anon 1\nfile 5\nactive_file 2\ninactive_file 3\nkernel 4\n", 1, 5, 2, 3, 4},
                {"anon 6\nfile 50\nactive_file 20\ninactive_file 30\nkernel 40\n", 6, 50, 20, 30,
                 40},
                {"new 0\nanon 11\nfile 15\nactive_file 12\ninactive_file 13\nkernel 14\n", 11, 15,
                 12, 13, 14},
                {"anon 21\nfile 25\ninactive_file 23\nactive_file 22\n", 21, 25, 22, 23, 0},
                {"anon 31\nfile 35\nactive_file 32\ninactive_file 33\nkernel_stack 36\nkernel 34\n",
                 31, 35, 32, 33, 34},
                {"anon 41\nfile 45\nactive_file 42\ninactive_file 43\nkernel 44", 41, 45, 42, 43,
                 44},
                {"anon 51\nfile 55\nactive_file 52\ninactive_file 53\nkernel 54\n", 51, 55, 52, 53,
                 54},
        };

        memcg_reader_init(&reader);
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                write_file_at(sc.dir, "memory.stat", steps[i].text);
                memset(&s, 0xa5, sizeof(s));
                assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), 0);
                if (s.stat.anon != steps[i].anon || s.stat.file != steps[i].file ||
                    s.stat.active_file != steps[i].active_file ||
                    s.stat.inactive_file != steps[i].inactive_file ||
                    s.stat.kernel != steps[i].kernel)
                        fail_msg("step %zu: memory.stat parsed wrong", i);
                assert_int_equal(!!(s.have & MEMCG_HAVE_STAT_KERNEL), steps[i].kernel != 0);
        }

        /* Malformed where the learned keys stand. */
        static const char *const bad[] = {
                "anon 51\nfile 55\nactive_file\ninactive_file 53\nkernel 54\n",
                "anon 51\nfile 55\nactive_file 52 \ninactive_file 53\nkernel 54\n",
                "anon 51\nfile 55\nactive_file 52\nactive_file 52\ninactive_file 53\n",
                "anon 51\nfile 55\n\nactive_file 52\ninactive_file 53\nkernel 54\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                write_file_at(sc.dir, "memory.stat", bad[i]);
                file = NULL;
                assert_int_equal(memcg_sample_read(&reader, sc.dirfd, &s, &file), -EINVAL);
                assert_string_equal(file, "memory.stat");
        }
        memcg_reader_close(&reader);
        scratch_done(&sc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample_tree_61),
                cmocka_unit_test(test_sample_tree_515),
                cmocka_unit_test(test_sample_trees_alternating),
                cmocka_unit_test(test_sample_literals),
                cmocka_unit_test(test_derived_formulas),
                cmocka_unit_test(test_sample_malformed_stat),
                cmocka_unit_test(test_sample_malformed_others),
                cmocka_unit_test(test_sample_min_low_max),
                cmocka_unit_test(test_sample_missing_files),
                cmocka_unit_test(test_sample_unreadable),
                cmocka_unit_test(test_sample_cgroup_gone),
                cmocka_unit_test(test_reader_reuse),
                cmocka_unit_test(test_sample_stat_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
