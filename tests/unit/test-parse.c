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
#include <stdbool.h>
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
        /* 19 digits need no overflow check, a 20th does; leading zeros are digits too. */
        assert_int_equal(u64_of("9999999999999999999", &v), 0);
        assert_true(v == UINT64_C(9999999999999999999));
        assert_int_equal(u64_of("10000000000000000000", &v), 0);
        assert_true(v == UINT64_C(10000000000000000000));
        assert_int_equal(u64_of("0000000000000000000000042", &v), 0);
        assert_true(v == 42);
        assert_int_equal(u64_of("00000000018446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
}

static void test_parse_u64_range(void **state)
{
        (void) state;
        uint64_t v = SENTINEL;

        assert_int_equal(u64_of("18446744073709551616", &v), -ERANGE);
        assert_int_equal(u64_of("18446744073709551620", &v), -ERANGE);
        assert_int_equal(u64_of("99999999999999999999", &v), -ERANGE);
        assert_int_equal(u64_of("100000000000000000000", &v), -ERANGE);
        assert_int_equal(u64_of("00000000018446744073709551616", &v), -ERANGE);
        /* The overflow is found at the digit that overflows, before what follows. */
        assert_int_equal(u64_of("99999999999999999999x", &v), -ERANGE);
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

/*
 * The rules of parse_keyed() written the plain way, line by line with memchr() and
 * a linear search: what the faster paths are held to.
 */
static int ref_keyed(const char *buf, size_t len, const struct keyed_field *fields, size_t n,
                     void *out, uint64_t *ret_seen)
{
        uint64_t seen = 0;
        size_t at = 0;

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len == 0)
                return -EINVAL;
        for (;;) {
                const char *line = buf + at;
                const char *nl = memchr(line, '\n', len - at);
                size_t line_len = nl ? (size_t) (nl - line) : len - at;
                const char *sp = memchr(line, ' ', line_len);
                if (!sp || sp == line)
                        return -EINVAL;
                size_t key_len = (size_t) (sp - line);
                for (size_t i = 0; i < n; i++) {
                        size_t kl = fields[i].key_len ? fields[i].key_len : strlen(fields[i].key);
                        if (kl != key_len || memcmp(fields[i].key, line, kl) != 0)
                                continue;
                        if (seen & (UINT64_C(1) << i))
                                return -EINVAL;
                        uint64_t v;
                        int r = parse_u64(sp + 1, line_len - key_len - 1, &v);
                        if (r < 0)
                                return r;
                        memcpy((char *) out + fields[i].offset, &v, sizeof(v));
                        seen |= UINT64_C(1) << i;
                        break;
                }
                if (!nl)
                        break;
                at += line_len + 1;
        }
        *ret_seen = seen;
        return 0;
}

static void test_parse_keyed_values(void **state)
{
        (void) state;
        struct stat4 s;
        uint64_t seen;

        /* 19 digits in one pass; 20 and leading zeros the checked way; short last lines. */
        memset(&s, 0, sizeof(s));
        assert_int_equal(keyed_of("anon 9999999999999999999\nfile 18446744073709551615\n"
                                  "kernel 0000000000000000000000042\ninactive_file 7",
                                  &s, &seen),
                         0);
        assert_true(s.anon == UINT64_C(9999999999999999999) && s.file == UINT64_MAX);
        assert_true(s.kernel == 42 && s.inactive_file == 7 && seen == 0xf);
        assert_int_equal(keyed_of("x 1\nfile 3", &s, &seen), 0);
        assert_true(s.file == 3 && seen == 0x2);
        assert_int_equal(keyed_of("file 3\nx", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("file 3\nx ", &s, &seen), 0);
        assert_int_equal(keyed_of("anon 99999999999999999999x\n", &s, &seen), -ERANGE);
        assert_int_equal(keyed_of("anon 9999999999999999999x\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 00000000000000000000000000x\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon 1\nfile 2\n\n", &s, &seen), -EINVAL);
        /* A key holding a control byte is a key like any other: unknown here. */
        assert_int_equal(keyed_of("an\tn 1\nfi\rle 2\nfile 3\n", &s, &seen), 0);
        assert_true(seen == 0x2 && s.file == 3);
        assert_int_equal(keyed_of("anon\t\t1\n", &s, &seen), -EINVAL);
        assert_int_equal(keyed_of("anon\t\t1 2\n", &s, &seen), 0);
        /* Every length a value has, a word at a time or not, and every byte after it. */
        static const char digits[] = "98765432109876543210123";
        static const char after[] = {'\n',        ':',         '/',         ' ',
                                     '\t',        '\r',        'x',         '\0',
                                     (char) 0x80, (char) 0xb9, (char) 0xfa, (char) 0xff};
        for (size_t n = 0; n <= 22; n++) {
                for (size_t a = 0; a < 2 * sizeof(after); a++) {
                        char text[96];
                        int k = snprintf(text, sizeof(text), "x 1\nfile %.*s", (int) n, digits);
                        text[k++] = after[a / 2];
                        /* Enough after it that both words can be loaded, or not. */
                        k += snprintf(text + k, sizeof(text) - (size_t) k, "%s",
                                      a % 2 ? "anon 1\nx 12345678\n" : "x 9");
                        struct stat4 want = {0}, got = {0};
                        uint64_t seen_want = 0, seen_got = 0;
                        char *b = dup_exact(text, (size_t) k);
                        int r = parse_keyed(b, (size_t) k, stat4_fields, 4, &got, &seen_got);
                        int r_want = ref_keyed(b, (size_t) k, stat4_fields, 4, &want, &seen_want);
                        free(b);
                        if (r != r_want || memcmp(&got, &want, sizeof(got)) != 0 ||
                            seen_got != seen_want)
                                fail_msg("file value of %zu digits, then 0x%02x: %d, %d", n,
                                         (unsigned char) after[a / 2], r, r_want);
                        uint64_t v;
                        if (after[a / 2] == '\n' && parse_u64(digits, n, &v) == 0 &&
                            (r != 0 || got.file != v))
                                fail_msg("file value of %zu digits: %d", n, r);
                }
        }
        /* A field with an empty key matches no line. */
        static const struct keyed_field with_empty[] = {{"", 0, 0}, {"anon", sizeof(uint64_t), 0}};
        uint64_t two[2] = {0};
        assert_int_equal(parse_keyed("anon 2\n", 7, with_empty, 2, two, &seen), 0);
        assert_true(seen == 0x2 && two[0] == 0 && two[1] == 2);
        assert_int_equal(parse_keyed(" 1\nanon 2\n", 10, with_empty, 2, two, &seen), -EINVAL);
        /* A NUL is a byte too. */
        assert_int_equal(parse_keyed("anon 1\n\0 2\n", 11, stat4_fields, 4, &s, &seen), 0);
        assert_int_equal(parse_keyed("anon 1\0\n", 8, stat4_fields, 4, &s, &seen), -EINVAL);
}

/* Keys of every length class the layout handles: under 8, 8 to 16, to 24, to 32, longer. */
struct wide {
        uint64_t v[14];
};
static const struct keyed_field wide_fields[] = {
        {"anon", 0 * sizeof(uint64_t), 0},
        {"kernel_s", 1 * sizeof(uint64_t), 0},                                 /* 8 */
        {"inactive_file", 2 * sizeof(uint64_t), 0},                            /* 13 */
        {"workingset_refault_anon", 3 * sizeof(uint64_t), 0},                  /* 23 */
        {"workingset_refault_file", 4 * sizeof(uint64_t), 0},                  /* 23 */
        {"a_key_of_twenty_nine_bytes_xy", 5 * sizeof(uint64_t), 0},            /* 29 */
        {"a_key_of_forty_bytes_which_is_too_long_z", 6 * sizeof(uint64_t), 0}, /* 40 */
        {"tab\tkey", 7 * sizeof(uint64_t), 0},
        {"x", 8 * sizeof(uint64_t), 0},
        {"fifteen_bytes_k", 9 * sizeof(uint64_t), 0},
        {"sixteen_bytes_ke", 10 * sizeof(uint64_t), 0},
        {"twenty_four_bytes_key_ab", 11 * sizeof(uint64_t), 0},
        {"a_known_key_of_thirty_one_bytes", 12 * sizeof(uint64_t), 0},
        {"a_known_key_of_thirty_two_bytes_", 13 * sizeof(uint64_t), 0},
};
#define N_WIDE      ELEMENTS(wide_fields)
#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Parses text every way there is and checks they all agree with ref_keyed(). */
static int keyed_all_ways(const char *text, size_t n, const struct keyed_index *index,
                          struct keyed_layout *layout, struct wide *ret, uint64_t *ret_seen)
{
        char *b = dup_exact(text, n);
        struct wide want, plain, fresh, learned;
        uint64_t seen_want = 1, seen_plain = 2, seen_fresh = 3, seen_learned = 4;
        struct keyed_layout *own = calloc(1, sizeof(*own));

        memset(&want, 0xa5, sizeof(want));
        plain = fresh = learned = want;
        int r = ref_keyed(b, n, index->fields, N_WIDE, &want, &seen_want);
        int r_plain = parse_keyed(b, n, index->fields, N_WIDE, &plain, &seen_plain);
        /* A fresh layout learns from this text, then is used on it. */
        int r_fresh = parse_keyed_indexed(b, n, index, own, &fresh, &seen_fresh);
        int r_learned = parse_keyed_indexed(b, n, index, own, &learned, &seen_learned);
        /* And the caller's, learned from whatever came before. */
        struct wide shared;
        memset(&shared, 0xa5, sizeof(shared));
        uint64_t seen_shared = 5;
        int r_shared = parse_keyed_indexed(b, n, index, layout, &shared, &seen_shared);

        assert_int_equal(r_plain, r);
        assert_int_equal(r_fresh, r);
        assert_int_equal(r_learned, r);
        assert_int_equal(r_shared, r);
        /* The same values, written in the same order even when a later line fails. */
        assert_memory_equal(&plain, &want, sizeof(want));
        assert_memory_equal(&fresh, &want, sizeof(want));
        assert_memory_equal(&learned, &want, sizeof(want));
        assert_memory_equal(&shared, &want, sizeof(want));
        if (r == 0) {
                assert_true(seen_plain == seen_want && seen_fresh == seen_want);
                assert_true(seen_learned == seen_want && seen_shared == seen_want);
        } else {
                assert_true(seen_plain == 2 && seen_fresh == 3 && seen_learned == 4);
                assert_true(seen_shared == 5);
        }
        free(own);
        free(b);
        if (ret)
                *ret = want;
        if (ret_seen)
                *ret_seen = seen_want;
        return r;
}

static int keyed_all(const char *text, const struct keyed_index *index, struct keyed_layout *layout,
                     struct wide *ret, uint64_t *ret_seen)
{
        return keyed_all_ways(text, strlen(text), index, layout, ret, ret_seen);
}

static void test_parse_keyed_layout(void **state)
{
        (void) state;
        struct keyed_index *index = calloc(1, sizeof(*index));
        struct keyed_layout *layout = calloc(1, sizeof(*layout));
        struct wide w;
        uint64_t seen;

        assert_int_equal(keyed_index_init(index, wide_fields, N_WIDE), 0);
        static const size_t lens[] = {4, 8, 13, 23, 23, 29, 40, 7, 1, 15, 16, 24, 31, 32};
        for (size_t i = 0; i < N_WIDE; i++)
                assert_int_equal(strlen(wide_fields[i].key), lens[i]);

        const char *base = "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                           "workingset_refault_file 5\na_key_of_twenty_nine_bytes_xy 6\n"
                           "a_key_of_forty_bytes_which_is_too_long_z 7\ntab\tkey 8\nx 9\n"
                           "unknown_key_of_thirty_one_bytes 10\nab 11\n";
        assert_int_equal(keyed_all(base, index, layout, &w, &seen), 0);
        assert_true(seen == 0x1ff);
        for (size_t i = 0; i < 9; i++)
                assert_true(w.v[i] == i + 1);
        assert_int_equal(layout->n_lines, 11);
        /* Every key length the layout treats apart: 15, 16, 24, 31 and 32 (too long). */
        const char *edges = "fifteen_bytes_k 1\nsixteen_bytes_ke 2\ntwenty_four_bytes_key_ab 3\n"
                            "a_known_key_of_thirty_one_bytes 4\n"
                            "a_known_key_of_thirty_two_bytes_ 5\n";
        for (int k = 0; k < 3; k++) {
                assert_int_equal(keyed_all(edges, index, layout, &w, &seen), 0);
                assert_true(seen == 0x3e00);
                assert_true(w.v[9] == 1 && w.v[10] == 2 && w.v[11] == 3 && w.v[12] == 4 &&
                            w.v[13] == 5);
        }
        assert_int_equal(keyed_all(base, index, layout, &w, &seen), 0);
        assert_ptr_equal(layout->index, index);
        /* Learned: again, with other values. */
        assert_int_equal(keyed_all("anon 10\nkernel_s 20\ninactive_file 30\n"
                                   "workingset_refault_anon 40\nworkingset_refault_file 50\n"
                                   "a_key_of_twenty_nine_bytes_xy 60\n"
                                   "a_key_of_forty_bytes_which_is_too_long_z 70\ntab\tkey 80\n"
                                   "x 90\nunknown_key_of_thirty_one_bytes 100\nab 110",
                                   index, layout, &w, &seen),
                         0);
        assert_true(seen == 0x1ff && w.v[0] == 10 && w.v[6] == 70 && w.v[8] == 90);

        /*
         * Lines that look like the learned ones in the words compared first: a key that
         * extends or shortens the learned one, the same first and last 8 bytes with
         * another middle (both ways: known where unknown was learned and back), the
         * two 23-byte keys swapped, a changed byte at 16..23 and 24..31.
         */
        static const char *const near[] = {
                "anon_ 1\nkernel_s 2\n",
                "ano 1\nkernel_s 2\n",
                "anon 1\nkernel_sx 2\nkernel_ 3\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_rXfault_anon 4\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_file 4\n"
                "workingset_refault_anon 5\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                "workingset_refault_file 5\na_key_of_twenty_nine_bXtes_xy 6\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                "workingset_refault_file 5\na_key_of_twenty_ninX_bytes_xy 6\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                "workingset_refault_file 5\na_key_of_twenty_nine_bytes_xy 6\n"
                "a_key_of_forty_bytes_which_is_too_long_Z 7\ntab\tkey 8\nx 9\n"
                "unknown_key_of_thirty_one_bytes 10\nab 11\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                "workingset_refault_file 5\na_key_of_twenty_nine_bytes_xy 6\n"
                "a_key_of_forty_bytes_which_is_too_long_z 7\ntab key 8\nx 9\n"
                "unknown_key_of_thirty_one_bytes 10\nx 11\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon 4\n"
                "workingset_refault_file 5\na_key_of_twenty_nine_bytes_xy 6\n"
                "a_key_of_forty_bytes_which_is_too_long_z 7\ntab\tkey 8\nx 9\n"
                "unknown_key_of_thirty_one_bytes 10\nab 11\n",
        };
        for (size_t i = 0; i < ELEMENTS(near); i++) {
                /* Each against the base layout, then against its own. */
                assert_int_equal(keyed_all(base, index, layout, NULL, NULL), 0);
                keyed_all(near[i], index, layout, NULL, NULL);
                keyed_all(near[i], index, layout, NULL, NULL);
        }

        /* Malformed where a learned key stood. */
        static const char *const bad[] = {
                "anon 1\nkernel_s\ninactive_file 3\n",
                "anon 1\nkernel_s  2\ninactive_file 3\n",
                "anon 1\nkernel_s 2 3\ninactive_file 3\n",
                "anon 1\nkernel_s 2x\ninactive_file 3\n",
                "anon 1\nkernel_s 2\nkernel_s 2\n",
                "anon 1\n\ninactive_file 3\n",
                "anon 1\n kernel_s 2\ninactive_file 3\n",
                "anon 1\nkernel_s 99999999999999999999\n",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon",
                "anon 1\nkernel_s 2\ninactive_file 3\nworkingset_refault_anon\n",
                "anon 1\nkernel_s 2\ninactive_file 3\n\n",
        };
        for (size_t i = 0; i < ELEMENTS(bad); i++) {
                assert_int_equal(keyed_all(base, index, layout, NULL, NULL), 0);
                assert_true(keyed_all(bad[i], index, layout, NULL, NULL) < 0);
        }

        /* More lines than a layout holds. */
        char many[4096] = "";
        for (size_t i = 0; i < KEYED_LAYOUT_LINES + 30; i++)
                snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%zu %zu\n", i, i);
        strcat(many, "x 77\n");
        assert_int_equal(keyed_all(many, index, layout, &w, &seen), 0);
        assert_int_equal(keyed_all(many, index, layout, &w, &seen), 0);
        assert_true(seen == 0x100 && w.v[8] == 77);
        assert_int_equal(layout->n_lines, KEYED_LAYOUT_LINES);

        /* A layout learned with another index starts over. */
        struct keyed_index *other = calloc(1, sizeof(*other));
        assert_int_equal(keyed_index_init(other, stat4_fields, 4), 0);
        struct stat4 s4;
        assert_int_equal(parse_keyed_indexed("anon 1\nfile 2\n", 14, other, layout, &s4, &seen), 0);
        assert_ptr_equal(layout->index, other);
        assert_int_equal(layout->n_lines, 2);
        assert_int_equal(keyed_all("anon 3\nfile 4\n", index, layout, &w, &seen), 0);
        assert_true(seen == 0x1 && w.v[0] == 3);
        assert_ptr_equal(layout->index, index);

        assert_int_equal(keyed_index_init(other, wide_fields, 65), -E2BIG);
        free(other);
        free(layout);
        free(index);
}

/* A small deterministic generator (xorshift64*), so that a failure is reproducible. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static unsigned pick(unsigned n)
{
        return (unsigned) (rng() % n);
}

static void append(char *buf, size_t size, const char *s)
{
        size_t n = strlen(buf), m = strlen(s);
        if (n + m < size)
                memcpy(buf + n, s, m + 1);
}

static void append_digits(char *buf, size_t size, unsigned n)
{
        char d[2] = {0};
        for (unsigned i = 0; i < n; i++) {
                d[0] = (char) ('0' + pick(10));
                append(buf, size, d);
        }
}

/* Keys: the known ones, near misses of them, unknown ones, broken ones. */
static const char *const gen_keys[] = {
        "anon",
        "kernel_s",
        "inactive_file",
        "workingset_refault_anon",
        "workingset_refault_file",
        "a_key_of_twenty_nine_bytes_xy",
        "a_key_of_forty_bytes_which_is_too_long_z",
        "tab\tkey",
        "x",
        "ano",
        "anon_thp",
        "kernel_",
        "kernel_stack",
        "inactive_filf",
        "workingset_refault_anom",
        "workingset_rXfault_anon",
        "workingset_restore_anon",
        "a_key_of_twenty_nine_bytes_xz",
        "a_key_of_twenty_ninX_bytes_xy",
        "a_key_of_forty_bytes_which_is_too_long_y",
        "unknown_key_of_thirty_one_bytes",
        "tab",
        "y",
        "",
        "\t",
        "a\rb",
        "pgfault",
        "fifteen_bytes_k",
        "fifteen_bytes_",
        "fifteen_bytes_kk",
        "sixteen_bytes_ke",
        "sixteen_bytXs_ke",
        "twenty_four_bytes_key_ab",
        "twenty_four_bytes_kXy_ab",
        "twenty_four_bytes_key_a",
        "a_known_key_of_thirty_one_bytes",
        "a_known_key_of_thirty_onX_bytes",
        "a_known_key_of_thirty_two_bytes_",
        "a_known_key_of_thirty_two_bytes",
        "a_known_key_of_thirty_two_bytes__",
        "seven_b",
        "eight_by",
};

static void gen_value(char *buf, size_t size)
{
        switch (pick(64) ? 7 : pick(7)) {
        case 0:
                append(buf, size, "18446744073709551615");
                break;
        case 1:
                append(buf, size, "18446744073709551616");
                break;
        case 2:
                append_digits(buf, size, 19 + pick(5));
                break;
        case 3:
                append(buf, size, "max");
                break;
        case 4:
                append(buf, size, pick(2) ? "-1" : "");
                break;
        case 5:
                append_digits(buf, size, 1 + pick(3));
                append(buf, size, pick(2) ? " 2" : "x");
                break;
        case 6:
                append(buf, size, "0000000000000000000000007");
                break;
        default:
                append_digits(buf, size, 1 + pick(12));
                break;
        }
}

/* A memory.stat-like text: mostly the order of the last one, now and then not. */
static size_t gen_keyed(char *buf, size_t size, unsigned *order, unsigned n_order)
{
        buf[0] = '\0';
        for (unsigned j = 0; j < n_order; j++) {
                if (pick(32) == 0)
                        order[j] = pick(ELEMENTS(gen_keys));
                append(buf, size, gen_keys[order[j]]);
                static const char *const seps[] = {"", "  ", "\t"};
                append(buf, size, pick(64) ? " " : seps[pick(ELEMENTS(seps))]);
                gen_value(buf, size);
                if (j + 1 < n_order || pick(4))
                        append(buf, size, pick(64) ? "\n" : "\n\n");
        }
        return strlen(buf);
}

static void test_parse_keyed_differential(void **state)
{
        (void) state;
        struct keyed_index *index = calloc(1, sizeof(*index));
        struct keyed_layout *layout = calloc(1, sizeof(*layout));
        unsigned order[40];
        char buf[4096];
        unsigned ok = 0, failed = 0;

        assert_int_equal(keyed_index_init(index, wide_fields, N_WIDE), 0);
        for (unsigned j = 0; j < ELEMENTS(order); j++)
                order[j] = pick(ELEMENTS(gen_keys));
        for (unsigned iter = 0; iter < 20000; iter++) {
                unsigned n_lines = iter % 500 == 0 ? 0 : 1 + pick(ELEMENTS(order));
                size_t n = gen_keyed(buf, sizeof(buf), order, n_lines);
                /* Now and then one byte changed anywhere. */
                if (n && pick(16) == 0)
                        buf[pick((unsigned) n)] = (char) pick(256);
                if (keyed_all_ways(buf, n, index, layout, NULL, NULL) == 0)
                        ok++;
                else
                        failed++;
        }
        /* Both outcomes well exercised. */
        print_message("keyed: %u parsed, %u rejected\n", ok, failed);
        assert_true(ok > 1000 && failed > 1000);
        free(layout);
        free(index);
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

static void test_parse_psi_kernel_layout(void **state)
{
        (void) state;
        struct psi_stats p;

        /* The kernel's own layout, parsed in one pass: averages of every width. */
        assert_int_equal(psi_of("some avg10=1.00 avg60=10.00 avg300=100.00 total=1\n"
                                "full avg10=9999999.99 avg60=0.01 avg300=99.99 "
                                "total=9999999999999999999\n",
                                &p),
                         0);
        assert_int_equal(p.some.avg10, 100);
        assert_int_equal(p.some.avg60, 1000);
        assert_int_equal(p.some.avg300, 10000);
        assert_true(p.some.total_usec == 1);
        assert_int_equal(p.has_full, 1);
        assert_int_equal(p.full.avg10, 999999999);
        assert_int_equal(p.full.avg60, 1);
        assert_int_equal(p.full.avg300, 9999);
        assert_true(p.full.total_usec == UINT64_C(9999999999999999999));

        /* What the one-pass path leaves to the general one, with the same result. */
        assert_int_equal(psi_of("some avg10=00000001.00 avg60=0.00 avg300=0.00 "
                                "total=10000000000000000000",
                                &p),
                         0);
        assert_int_equal(p.some.avg10, 100);
        assert_true(p.some.total_usec == UINT64_C(10000000000000000000));
        assert_int_equal(p.has_full, 0);
        assert_int_equal(psi_of("some avg10=0.00 avg60=0.00 avg300=0.00 total=0 extra=1.5\n", &p),
                         0);
        assert_int_equal(psi_of("full avg10=0.00 avg60=0.00 avg300=0.00 total=3\n"
                                "other avg10=x\n"
                                "some avg10=0.00 avg60=0.00 avg300=0.00 total=4",
                                &p),
                         0);
        assert_true(p.some.total_usec == 4 && p.full.total_usec == 3);
        assert_int_equal(psi_of("some avg10=0.00 avg60=0.00 avg300=0.00 "
                                "total=18446744073709551616\n",
                                &p),
                         -ERANGE);

        /* Bytes next to the digits and the point, where one word is checked at once. */
        static const char *const bad_avgs[] = {
                "/.00", ":.00",  "0./0",    "0.:0",       "0.0/",    "0.0:",
                "0-00", "0/00",  "\xb0.00", "0.\xb0\x30", "0.0\xb9", "\x80.00",
                "0.0",  "0.000", "0..0",    ".000",       "0.00.",
        };
        for (size_t i = 0; i < ELEMENTS(bad_avgs); i++) {
                char text[128];
                snprintf(text, sizeof(text), "some avg10=%s avg60=0.00 avg300=0.00 total=0\n",
                         bad_avgs[i]);
                if (psi_of(text, &p) != -EINVAL)
                        fail_msg("parse_psi(\"%s\") != -EINVAL", text);
                snprintf(text, sizeof(text), "some avg10=0.00 avg60=0.00 avg300=%s total=0\n",
                         bad_avgs[i]);
                if (psi_of(text, &p) != -EINVAL)
                        fail_msg("parse_psi(\"%s\") != -EINVAL", text);
        }
        static const char *const bad[] = {
                "some avg10=0.00avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\r\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0x\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00",
                "some avg10=0.0",
                "some ",
                "some",
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0",
        };
        for (size_t i = 0; i < ELEMENTS(bad); i++) {
                if (psi_of(bad[i], &p) != -EINVAL)
                        fail_msg("parse_psi(\"%s\") != -EINVAL", bad[i]);
        }
}

/* The rules of parse_psi() written the plain way: what its one-pass path is held to. */
static int ref_psi_avg(const char *s, size_t n, uint32_t *ret)
{
        uint64_t whole, frac;

        if (n < 4 || s[n - 3] != '.')
                return -EINVAL;
        int r = parse_u64(s, n - 3, &whole);
        if (r < 0)
                return r;
        r = parse_u64(s + n - 2, 2, &frac);
        if (r < 0)
                return r;
        if (whole > (UINT32_MAX - frac) / 100)
                return -ERANGE;
        *ret = (uint32_t) (whole * 100 + frac);
        return 0;
}

static int ref_psi_fields(const char *s, size_t n, struct psi_line *ret)
{
        static const char *const names[] = {"avg10", "avg60", "avg300", "total"};
        struct psi_line line = {0};
        uint32_t *avgs[] = {&line.avg10, &line.avg60, &line.avg300};
        unsigned seen = 0;
        size_t at = 0;

        for (;;) {
                const char *tok = s + at;
                const char *sp = memchr(tok, ' ', n - at);
                size_t tok_len = sp ? (size_t) (sp - tok) : n - at;
                const char *eq = memchr(tok, '=', tok_len);
                if (!eq || eq == tok)
                        return -EINVAL;
                size_t name_len = (size_t) (eq - tok);
                for (int i = 0; i < 4; i++) {
                        if (strlen(names[i]) != name_len || memcmp(names[i], tok, name_len) != 0)
                                continue;
                        if (seen & (1u << i))
                                return -EINVAL;
                        seen |= 1u << i;
                        size_t vl = tok_len - name_len - 1;
                        int r = i == 3 ? parse_u64(eq + 1, vl, &line.total_usec)
                                       : ref_psi_avg(eq + 1, vl, avgs[i]);
                        if (r < 0)
                                return r;
                }
                if (!sp)
                        break;
                at += tok_len + 1;
        }
        if (seen != 0xf)
                return -EINVAL;
        *ret = line;
        return 0;
}

static int ref_psi(const char *buf, size_t len, struct psi_stats *ret)
{
        struct psi_stats stats = {0};
        int has_some = 0;
        size_t at = 0;

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len == 0)
                return -EINVAL;
        for (;;) {
                const char *line = buf + at;
                const char *nl = memchr(line, '\n', len - at);
                size_t line_len = nl ? (size_t) (nl - line) : len - at;
                const char *sp = memchr(line, ' ', line_len);
                if (!sp || sp == line)
                        return -EINVAL;
                size_t kind_len = (size_t) (sp - line);
                int is_some = kind_len == 4 && memcmp(line, "some", 4) == 0;
                int is_full = kind_len == 4 && memcmp(line, "full", 4) == 0;
                if (is_some || is_full) {
                        int *seen = is_some ? &has_some : &stats.has_full;
                        if (*seen)
                                return -EINVAL;
                        *seen = 1;
                        int r = ref_psi_fields(sp + 1, line_len - kind_len - 1,
                                               is_some ? &stats.some : &stats.full);
                        if (r < 0)
                                return r;
                }
                if (!nl)
                        break;
                at += line_len + 1;
        }
        if (!has_some)
                return -EINVAL;
        *ret = stats;
        return 0;
}

static void gen_avg(char *buf, size_t size)
{
        switch (pick(10)) {
        case 0:
                append_digits(buf, size, pick(11));
                append(buf, size, ".");
                append_digits(buf, size, pick(4));
                break;
        case 1:
                append(buf, size, pick(2) ? "42949672.95" : "42949672.96");
                break;
        case 2:
                append_digits(buf, size, 1 + pick(3));
                append(buf, size, pick(2) ? ",00" : ".0x");
                break;
        default:
                append_digits(buf, size, 1 + pick(pick(4) ? 2 : 8));
                append(buf, size, ".");
                append_digits(buf, size, 2);
                break;
        }
}

/* A *.pressure text: mostly the kernel's layout, now and then anything else. */
static size_t gen_psi(char *buf, size_t size)
{
        static const char *const kinds[] = {"some", "full", "some", "full", "sum", "", "other"};
        static const char *const names[] = {"avg10", "avg60", "avg300", "total", "avg", "x", ""};

        buf[0] = '\0';
        unsigned n_lines = pick(8) ? 1 + pick(2) : pick(5);
        for (unsigned j = 0; j < n_lines; j++) {
                append(buf, size, kinds[pick(4) ? j % 2 : pick(ELEMENTS(kinds))]);
                append(buf, size, pick(32) ? " " : "  ");
                bool kernel = pick(4) != 0;
                unsigned n_fields = kernel ? 4 : pick(7);
                for (unsigned f = 0; f < n_fields; f++) {
                        unsigned name = kernel ? f : pick(ELEMENTS(names));
                        append(buf, size, names[name]);
                        append(buf, size, pick(32) ? "=" : "");
                        if (name == 3) {
                                if (pick(8))
                                        append_digits(buf, size, 1 + pick(8));
                                else
                                        append_digits(buf, size, pick(24));
                        } else {
                                gen_avg(buf, size);
                        }
                        if (f + 1 < n_fields)
                                append(buf, size, pick(32) ? " " : "  ");
                }
                if (j + 1 < n_lines || pick(4))
                        append(buf, size, pick(32) ? "\n" : " \n");
        }
        return strlen(buf);
}

static void test_parse_psi_differential(void **state)
{
        (void) state;
        char buf[1024];
        unsigned ok = 0, failed = 0;

        for (unsigned iter = 0; iter < 20000; iter++) {
                size_t n = gen_psi(buf, sizeof(buf));
                if (n && pick(8) == 0)
                        buf[pick((unsigned) n)] = (char) pick(256);
                char *b = dup_exact(buf, n);
                struct psi_stats want, got;
                memset(&want, 0xa5, sizeof(want));
                memset(&got, 0xa5, sizeof(got));
                int r = ref_psi(b, n, &want);
                assert_int_equal(parse_psi(b, n, &got), r);
                assert_int_equal(got.has_full, want.has_full);
                const struct psi_line *g[] = {&got.some, &got.full},
                                      *w[] = {&want.some, &want.full};
                for (size_t k = 0; k < 2; k++) {
                        assert_int_equal(g[k]->avg10, w[k]->avg10);
                        assert_int_equal(g[k]->avg60, w[k]->avg60);
                        assert_int_equal(g[k]->avg300, w[k]->avg300);
                        assert_true(g[k]->total_usec == w[k]->total_usec);
                }
                free(b);
                if (r == 0)
                        ok++;
                else
                        failed++;
        }
        print_message("psi: %u parsed, %u rejected\n", ok, failed);
        assert_true(ok > 1000 && failed > 1000);
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
                cmocka_unit_test(test_parse_keyed_values),
                cmocka_unit_test(test_parse_keyed_layout),
                cmocka_unit_test(test_parse_keyed_differential),
                cmocka_unit_test(test_parse_psi_some_full),
                cmocka_unit_test(test_parse_psi_malformed),
                cmocka_unit_test(test_parse_psi_kernel_layout),
                cmocka_unit_test(test_parse_psi_differential),
                cmocka_unit_test(test_word_list_contains),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
