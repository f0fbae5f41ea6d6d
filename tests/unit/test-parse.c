/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the strict cgroup v2 parsers (cgroupfs/parse.c). */

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

#include "cgroupfs/parse.h"
#include "unit-util.h"

#define SENTINEL UINT64_C(0xdeadbeefcafef00d)

/* Every parser gets its input in an exactly-sized buffer without a NUL. */
static int u64_of(const char *s, uint64_t *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = parse_u64(b, n, ret);
        free(b);
        return r;
}

static int value_of(const char *s, int allow_max, uint64_t *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = parse_single_value(b, n, allow_max, ret);
        free(b);
        return r;
}

static int value_file(const char *name, int allow_max, uint64_t *ret)
{
        char path[256];
        size_t n;
        snprintf(path, sizeof(path), FIXTURES "/files/%s", name);
        char *b = read_exact(path, &n);
        int r = parse_single_value(b, n, allow_max, ret);
        free(b);
        return r;
}

static void test_parse_u64_valid(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        assert_int_equal(u64_of("0", &v), 0);
        assert_true(v == 0);
        assert_int_equal(u64_of("1", &v), 0);
        assert_true(v == 1);
        assert_int_equal(u64_of("007", &v), 0);
        assert_true(v == 7);
        assert_int_equal(u64_of("536870912", &v), 0);
        assert_true(v == UINT64_C(536870912));
        assert_int_equal(u64_of("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(u64_of("18446744073709551610", &v), 0);
        assert_true(v == UINT64_MAX - 5);
}

static void test_parse_u64_range(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        assert_int_equal(u64_of("18446744073709551616", &v), -ERANGE);
        assert_int_equal(u64_of("18446744073709551620", &v), -ERANGE);
        assert_int_equal(u64_of("99999999999999999999", &v), -ERANGE);
        assert_int_equal(u64_of("100000000000000000000", &v), -ERANGE);
        /* ret is written only on success */
        assert_true(v == SENTINEL);
}

static void test_parse_u64_invalid(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;
        static const char *const bad[] = {
                "",    "+1",  "-1",  "-0", " 1",  "1 ",  "1\n", "12abc", "0x10",
                "1.5", "1e3", "max", "١",  "\t1", "1,0", "½",   "12 34",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (u64_of(bad[i], &v) != -EINVAL)
                        fail_msg("parse_u64(\"%s\") != -EINVAL", bad[i]);
        }
        assert_int_equal(parse_u64("5", 0, &v), -EINVAL);
        assert_true(v == SENTINEL);
}

static void test_parse_u64_respects_len(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        /* Only len bytes count, whatever follows them. */
        assert_int_equal(parse_u64("123x", 3, &v), 0);
        assert_true(v == 123);
        assert_int_equal(parse_u64("12345", 2, &v), 0);
        assert_true(v == 12);
}

static void test_parse_single_value(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        assert_int_equal(value_of("536870912\n", 0, &v), 0);
        assert_true(v == UINT64_C(536870912));
        assert_int_equal(value_of("4096", 0, &v), 0);
        assert_true(v == 4096);
        assert_int_equal(value_of("0\n", 1, &v), 0);
        assert_true(v == 0);
        assert_int_equal(value_of("max\n", 1, &v), 0);
        assert_true(v == CG_VALUE_MAX);
        v = 1;
        assert_int_equal(value_of("max", 1, &v), 0);
        assert_true(v == CG_VALUE_MAX);

        v = SENTINEL;
        assert_int_equal(value_of("max\n", 0, &v), -EINVAL);
        assert_int_equal(value_of("max", 0, &v), -EINVAL);
        assert_int_equal(value_of("Max\n", 1, &v), -EINVAL);
        assert_int_equal(value_of("maximum\n", 1, &v), -EINVAL);
        assert_int_equal(value_of("ma\n", 1, &v), -EINVAL);
        assert_int_equal(value_of("max \n", 1, &v), -EINVAL);
        assert_int_equal(value_of("max\n\n", 1, &v), -EINVAL);
        assert_int_equal(value_of("12\n\n", 0, &v), -EINVAL);
        assert_int_equal(value_of("\n", 1, &v), -EINVAL);
        assert_int_equal(value_of("", 1, &v), -EINVAL);
        assert_int_equal(value_of("\n12", 0, &v), -EINVAL);
        assert_int_equal(value_of("12\r\n", 0, &v), -EINVAL);
        assert_true(v == SENTINEL);
}

static void test_parse_single_value_files(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        assert_int_equal(value_file("value-max", 1, &v), 0);
        assert_true(v == CG_VALUE_MAX);
        assert_int_equal(value_file("value-number", 0, &v), 0);
        assert_true(v == UINT64_C(536870912));
        v = 0;
        assert_int_equal(value_file("value-number-no-newline", 1, &v), 0);
        assert_true(v == UINT64_C(536870912));
        assert_int_equal(value_file("value-zero", 1, &v), 0);
        assert_true(v == 0);
        assert_int_equal(value_file("value-u64-max", 0, &v), 0);
        assert_true(v == UINT64_MAX);

        v = SENTINEL;
        assert_int_equal(value_file("value-max", 0, &v), -EINVAL);
        assert_int_equal(value_file("value-trailing-garbage", 1, &v), -EINVAL);
        assert_int_equal(value_file("value-two-numbers", 1, &v), -EINVAL);
        assert_int_equal(value_file("value-negative", 1, &v), -EINVAL);
        assert_int_equal(value_file("value-overflow", 1, &v), -ERANGE);
        assert_int_equal(value_file("value-empty", 1, &v), -EINVAL);
        assert_true(v == SENTINEL);
}

/* A memory.stat-like output struct and its field table. */
struct stat4 {
        uint64_t anon;
        uint64_t file;
        uint64_t kernel;
        uint64_t inactive_file;
};

static const struct keyed_field stat4_fields[] = {
        KEYED_FIELD(struct stat4, anon),
        KEYED_FIELD(struct stat4, file),
        /* No length given: parse_keyed() measures it. */
        {"kernel", offsetof(struct stat4, kernel), 0},
        KEYED_FIELD(struct stat4, inactive_file),
};

static int keyed_of(const char *s, struct stat4 *out, uint64_t *seen)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = parse_keyed(b, n, stat4_fields, 4, out, seen);
        free(b);
        return r;
}

static int keyed_file(const char *name, struct stat4 *out, uint64_t *seen)
{
        char path[256];
        size_t n;
        snprintf(path, sizeof(path), FIXTURES "/files/%s", name);
        char *b = read_exact(path, &n);
        int r = parse_keyed(b, n, stat4_fields, 4, out, seen);
        free(b);
        return r;
}

static void test_parse_keyed_memory_stat(void **state)
{
        (void) state;
        struct stat4 s;
        uint64_t seen;

        /* 6.1 and 6.12: all four keys, the rest ignored wherever they are. */
        static const char *const with_kernel[] = {"memory.stat-6.1", "memory.stat-6.12"};
        for (size_t i = 0; i < 2; i++) {
                memset(&s, 0xff, sizeof(s));
                seen = SENTINEL;
                assert_int_equal(keyed_file(with_kernel[i], &s, &seen), 0);
                assert_true(s.anon == UINT64_C(104857600));
                assert_true(s.file == UINT64_C(41943040));
                assert_true(s.kernel == UINT64_C(3051520));
                assert_true(s.inactive_file == UINT64_C(31457280));
                assert_true(seen == 0xf);
        }

        /* 5.15: no "kernel": its bit stays clear and its slot untouched. */
        memset(&s, 0, sizeof(s));
        s.kernel = SENTINEL;
        assert_int_equal(keyed_file("memory.stat-5.15", &s, &seen), 0);
        assert_true(s.anon == UINT64_C(104857600));
        assert_true(s.file == UINT64_C(41943040));
        assert_true(s.inactive_file == UINT64_C(31457280));
        assert_true(s.kernel == SENTINEL);
        assert_true(seen == 0xb);
}

static void test_parse_keyed_unknown_keys(void **state)
{
        (void) state;
        struct stat4 s = {0};
        uint64_t seen = 0;

        /* A new key in the middle, prefixes of known keys, a key that extends one. */
        assert_int_equal(keyed_of("anon_thp 99\nanon 1\nbrand_new_counter 7\nfile_mapped 98\n"
                                  "file 2\nkernel_stack 97\nkernel 3\ninactive_file 4\n"
                                  "inactive_file_x 96\nfil 95\n",
                                  &s, &seen),
                         0);
        assert_true(s.anon == 1 && s.file == 2 && s.kernel == 3 && s.inactive_file == 4);
        assert_true(seen == 0xf);

        /* Unknown keys may repeat and may carry values a known key may not. */
        memset(&s, 0, sizeof(s));
        assert_int_equal(keyed_file("keyed-duplicate-unknown", &s, &seen), 0);
        assert_true(s.anon == UINT64_C(1048576) && s.file == UINT64_C(2097152));
        assert_true(seen == 0x3);
        assert_int_equal(keyed_of("anon 5\nnew_thing max\nnew_thing -1\n", &s, &seen), 0);
        assert_true(s.anon == 5 && seen == 0x1);

        /* No known key at all is still a well-formed file. */
        assert_int_equal(keyed_of("foo 1\nbar 2\n", &s, &seen), 0);
        assert_true(seen == 0);

        /* No trailing newline. */
        assert_int_equal(keyed_of("file 77", &s, &seen), 0);
        assert_true(s.file == 77 && seen == 0x2);
}

static void test_parse_keyed_malformed(void **state)
{
        (void) state;
        struct stat4 s = {0};
        uint64_t seen = SENTINEL;

        assert_int_equal(keyed_file("keyed-duplicate-known", &s, &seen), -EINVAL);
        assert_int_equal(keyed_file("keyed-empty", &s, &seen), -EINVAL);
        assert_int_equal(keyed_file("keyed-empty-line", &s, &seen), -EINVAL);
        assert_int_equal(keyed_file("keyed-missing-value", &s, &seen), -EINVAL);
        assert_int_equal(keyed_file("keyed-trailing-space", &s, &seen), -EINVAL);

        assert_int_equal(keyed_of("\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 1\n\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("\nanon 1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon \n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon  1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of(" anon 1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon\t1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 1\r\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 1 2\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon -1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon max\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 12k\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("file 1\nfile 1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 18446744073709551616\n", &s, &seen), -ERANGE);
        /* ret_seen is written only on success */
        assert_true(seen == SENTINEL);
}

static void test_parse_keyed_many_fields(void **state)
{
        (void) state;
        struct keyed_field fields[65];
        uint64_t out[65] = {0};
        char names[65][8];
        uint64_t seen = 0;

        for (size_t i = 0; i < 65; i++) {
                snprintf(names[i], sizeof(names[i]), "k%zu", i);
                fields[i] = (struct keyed_field){names[i], i * sizeof(uint64_t), 0};
        }
        const char *text = "k0 10\nk63 20\nk31 30\n";
        size_t n = strlen(text);
        char *b = dup_exact(text, n);
        assert_int_equal(parse_keyed(b, n, fields, 65, out, &seen), -E2BIG);
        /* 64 fields is the most, and bit 63 is the last one's. */
        assert_int_equal(parse_keyed(b, n, fields, 64, out, &seen), 0);
        free(b);
        assert_true(out[0] == 10 && out[63] == 20 && out[31] == 30);
        assert_true(seen == ((UINT64_C(1) << 63) | (UINT64_C(1) << 31) | 1));
}

static int psi_of(const char *s, struct psi_stats *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = parse_psi(b, n, ret);
        free(b);
        return r;
}

static int psi_file(const char *name, struct psi_stats *ret)
{
        char path[256];
        size_t n;
        snprintf(path, sizeof(path), FIXTURES "/files/%s", name);
        char *b = read_exact(path, &n);
        int r = parse_psi(b, n, ret);
        free(b);
        return r;
}

static void test_parse_psi_some_full(void **state)
{
        (void) state;
        struct psi_stats p;

        memset(&p, 0xff, sizeof(p));
        assert_int_equal(psi_file("memory.pressure-full", &p), 0);
        assert_int_equal(p.some.avg10, 153);
        assert_int_equal(p.some.avg60, 87);
        assert_int_equal(p.some.avg300, 22);
        assert_true(p.some.total_usec == UINT64_C(3048121));
        assert_int_equal(p.has_full, 1);
        assert_int_equal(p.full.avg10, 98);
        assert_int_equal(p.full.avg60, 51);
        assert_int_equal(p.full.avg300, 13);
        assert_true(p.full.total_usec == UINT64_C(1987654));

        memset(&p, 0xff, sizeof(p));
        assert_int_equal(psi_file("memory.pressure-some-only", &p), 0);
        assert_int_equal(p.some.avg10, 0);
        assert_int_equal(p.some.avg60, 5);
        assert_int_equal(p.some.avg300, 1);
        assert_true(p.some.total_usec == UINT64_C(120033));
        assert_int_equal(p.has_full, 0);
        assert_int_equal(p.full.avg10, 0);
        assert_true(p.full.total_usec == 0);

        /* An unknown extra field is ignored. */
        assert_int_equal(psi_file("psi-unknown-field", &p), 0);
        assert_int_equal(p.some.avg300, 22);
        assert_true(p.some.total_usec == UINT64_C(3048121));
        assert_int_equal(p.has_full, 1);

        /* Large and edge averages: 100.00% and the largest that fits in 32 bits. */
        assert_int_equal(psi_of("some avg10=100.00 avg60=42949672.95 avg300=0.01 total=0\n", &p),
                         0);
        assert_int_equal(p.some.avg10, 10000);
        assert_int_equal(p.some.avg60, UINT32_MAX);
        assert_int_equal(p.some.avg300, 1);
        assert_int_equal(psi_of("some avg10=0.00 avg60=0.00 avg300=0.00 "
                                "total=18446744073709551615",
                                &p),
                         0);
        assert_true(p.some.total_usec == UINT64_MAX);

        /* Fields in another order, and full before some, are still one of each. */
        assert_int_equal(psi_of("full total=5 avg300=0.03 avg60=0.02 avg10=0.01\n"
                                "some avg10=1.00 avg60=2.00 avg300=3.00 total=6\n",
                                &p),
                         0);
        assert_int_equal(p.full.avg10, 1);
        assert_int_equal(p.full.avg300, 3);
        assert_true(p.full.total_usec == 5);
        assert_int_equal(p.some.avg300, 300);
}

static void test_parse_psi_malformed(void **state)
{
        (void) state;
        struct psi_stats p = {.has_full = 42};

        assert_int_equal(psi_file("psi-field-twice", &p), -EINVAL);
        assert_int_equal(psi_file("psi-field-missing", &p), -EINVAL);
        assert_int_equal(psi_file("psi-avg-one-decimal", &p), -EINVAL);
        assert_int_equal(psi_file("psi-some-twice", &p), -EINVAL);
        assert_int_equal(psi_file("psi-total-overflow", &p), -ERANGE);

        static const char *const bad[] = {
                "",
                "\n",
                "some\n",
                "some \n",
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0 \n",
                "some  avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
                "some avg10= avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1.500 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1,50 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1.5x avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1.0\n",
                "some avg10 avg60=0.00 avg300=0.00 total=0\n",
                "some =1 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (psi_of(bad[i], &p) != -EINVAL)
                        fail_msg("parse_psi(\"%s\") != -EINVAL", bad[i]);
        }
        assert_int_equal(psi_of("some avg10=42949673.00 avg60=0.00 avg300=0.00 total=0\n", &p),
                         -ERANGE);
        assert_int_equal(
                psi_of("some avg10=99999999999999999999.00 avg60=0.00 avg300=0.00 total=0\n", &p),
                -ERANGE);
        /* ret is written only on success */
        assert_int_equal(p.has_full, 42);
}

static int words_of(const char *s, const char *word)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        int r = word_list_contains(b, n, word);
        free(b);
        return r;
}

static void test_word_list_contains(void **state)
{
        (void) state;

        assert_int_equal(words_of("cpu io memory pids\n", "memory"), 1);
        assert_int_equal(words_of("cpu io memory pids\n", "cpu"), 1);
        assert_int_equal(words_of("cpu io memory pids\n", "pids"), 1);
        assert_int_equal(words_of("cpu io memory pids", "pids"), 1);
        assert_int_equal(words_of("memory\n", "memory"), 1);
        assert_int_equal(words_of("memory", "memory"), 1);
        assert_int_equal(words_of("cpuset cpu io memory hugetlb pids rdma misc\n", "cpu"), 1);
        assert_int_equal(words_of("cpu  memory\n", "memory"), 1);

        assert_int_equal(words_of("cpu io memory pids\n", "mem"), 0);
        assert_int_equal(words_of("cpu io memory pids\n", "emory"), 0);
        assert_int_equal(words_of("cpu io memory pids\n", "memory pids"), 0);
        assert_int_equal(words_of("cpuset io\n", "cpu"), 0);
        assert_int_equal(words_of("memoryx\n", "memory"), 0);
        assert_int_equal(words_of("xmemory\n", "memory"), 0);
        assert_int_equal(words_of("cpu io pids\n", "memory"), 0);
        assert_int_equal(words_of("\n", "memory"), 0);
        assert_int_equal(words_of("", "memory"), 0);
        assert_int_equal(words_of("memory\n\n", "memory"), 0);

        size_t n;
        char *b = read_exact(FIXTURES "/tree-6.1/cgroup.subtree_control", &n);
        assert_int_equal(word_list_contains(b, n, "memory"), 1);
        free(b);
        b = read_exact(FIXTURES "/tree-6.1/user.slice/cgroup.subtree_control", &n);
        assert_int_equal(word_list_contains(b, n, "memory"), 0);
        assert_int_equal(word_list_contains(b, n, "io"), 1);
        free(b);
        b = read_exact(FIXTURES "/tree-6.1/init.scope/cgroup.subtree_control", &n);
        assert_int_equal(n, 1);
        assert_int_equal(word_list_contains(b, n, "memory"), 0);
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64_valid),
                cmocka_unit_test(test_parse_u64_range),
                cmocka_unit_test(test_parse_u64_invalid),
                cmocka_unit_test(test_parse_u64_respects_len),
                cmocka_unit_test(test_parse_single_value),
                cmocka_unit_test(test_parse_single_value_files),
                cmocka_unit_test(test_parse_keyed_memory_stat),
                cmocka_unit_test(test_parse_keyed_unknown_keys),
                cmocka_unit_test(test_parse_keyed_malformed),
                cmocka_unit_test(test_parse_keyed_many_fields),
                cmocka_unit_test(test_parse_psi_some_full),
                cmocka_unit_test(test_parse_psi_malformed),
                cmocka_unit_test(test_word_list_contains),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
