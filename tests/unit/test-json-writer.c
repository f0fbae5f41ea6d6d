/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for supervisor/json-writer.c: every value it writes must be the
 * bytes json_dumpb(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
 * writes, and it must refuse what jansson refuses (strings that are not UTF-8).
 * Strings from every class of code point and from random bytes, integers, reals
 * from several distributions and around every rounding and notation boundary,
 * and random trees of them.
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
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "supervisor/emit/json-writer.h"

#define DUMP_FLAGS (JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
#define TEXT_MAX   65536

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static unsigned rng_below(unsigned n)
{
        return (unsigned) (rng() % n);
}

/* What jansson writes for v; 0 when it refuses. */
static size_t jansson_text(const json_t *v, char *buf)
{
        size_t n = json_dumpb(v, buf, TEXT_MAX, DUMP_FLAGS);
        assert_true(n < TEXT_MAX);
        return n;
}

/* What the writer writes for v; 0 when it refuses. */
static size_t writer_text(const json_t *v, char *buf)
{
        struct json_writer w;
        json_writer_init(&w, buf, TEXT_MAX);
        if (json_writer_value(&w, v) < 0)
                return 0;
        assert_true(w.len > 0 && w.len < TEXT_MAX);
        return w.len;
}

/* Both agree on v, byte for byte or on refusing it; steals v. Returns whether it was refused. */
static bool assert_same_text(json_t *v)
{
        static char want[TEXT_MAX], got[TEXT_MAX];

        assert_non_null(v);
        size_t nw = jansson_text(v, want), ng = writer_text(v, got);
        if (nw != ng || memcmp(want, got, nw) != 0)
                fail_msg("jansson wrote [%.*s] (%zu), the writer [%.*s] (%zu)", (int) nw, want, nw,
                         (int) ng, got, ng);
        json_decref(v);
        return nw == 0;
}

static size_t utf8_encode(uint32_t cp, char *p)
{
        if (cp < 0x80) {
                p[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                p[0] = (char) (0xc0 | (cp >> 6));
                p[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                p[0] = (char) (0xe0 | (cp >> 12));
                p[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                p[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        p[0] = (char) (0xf0 | (cp >> 18));
        p[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        p[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        p[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* A code point from a class picked at random: the ones that escape weigh as much as the rest. */
static uint32_t random_code_point(void)
{
        static const uint32_t specials[] = {'"',     '\\',     '/',    0x7f,   0,      '\b',
                                            '\f',    '\n',     '\r',   '\t',   0x1f,   0x80,
                                            0x7ff,   0x800,    0xd7ff, 0xe000, 0xfffd, 0xffff,
                                            0x10000, 0x10ffff, 0x2028, 0x2029, 0xfeff};
        switch (rng_below(7)) {
        case 0:
                return specials[rng_below(ELEMENTSOF(specials))];
        case 1:
                return rng_below(0x20);
        case 2:
                return 0x80 + rng_below(0x800 - 0x80);
        case 3: {
                uint32_t cp = 0x800 + rng_below(0x10000 - 0x800);
                return cp >= 0xd800 && cp <= 0xdfff ? cp + 0x800 : cp;
        }
        case 4:
                return 0x10000 + rng_below(0x110000 - 0x10000);
        default:
                return 0x20 + rng_below(0x7f - 0x20);
        }
}

/* Valid UTF-8 of up to max code points into buf; its length. */
static size_t random_utf8(char *buf, unsigned max)
{
        size_t n = 0;
        for (unsigned i = rng_below(max + 1); i > 0; i--)
                n += utf8_encode(random_code_point(), buf + n);
        return n;
}

static json_t *random_string(void)
{
        char buf[40 * 4];
        return json_stringn(buf, random_utf8(buf, 40));
}

static double random_real(void)
{
        uint64_t bits = rng();
        double v;

        switch (rng_below(6)) {
        case 0: /* any finite double */
                memcpy(&v, &bits, sizeof(v));
                return isfinite(v) ? v : 1.5;
        case 1: /* a percentage */
                return (double) (bits >> 11) / (double) (UINT64_C(1) << 53) * 100.0;
        case 2: /* log-uniform over the fixed notation's range and beyond */
                return pow(10.0,
                           -7.0 + 15.0 * (double) (bits >> 11) / (double) (UINT64_C(1) << 53));
        case 3: /* a decimal with 7 significant digits: the 7th is the rounding one */
                return (double) (1000000 + rng_below(9000000)) *
                       pow(10.0, (double) rng_below(13) - 11);
        case 4: /* a dyadic rational: exact ties at the 7th digit */
                return (double) rng_below(1u << 30) / (double) (1u << rng_below(31));
        default: /* a ratio as the events compute them */
                return 100.0 * (double) rng_below(1u << 30) / (double) (1 + rng_below(1u << 30));
        }
}

static json_t *random_value(unsigned depth);

static json_t *random_object(unsigned depth)
{
        json_t *o = json_object();
        for (unsigned i = rng_below(8); i > 0; i--) {
                char key[20 * 4];
                size_t n = random_utf8(key, 20);
                assert_int_equal(json_object_setn_new(o, key, n, random_value(depth + 1)), 0);
        }
        return o;
}

static json_t *random_array(unsigned depth)
{
        json_t *a = json_array();
        for (unsigned i = rng_below(6); i > 0; i--)
                assert_int_equal(json_array_append_new(a, random_value(depth + 1)), 0);
        return a;
}

static json_t *random_value(unsigned depth)
{
        switch (rng_below(depth < 4 ? 9 : 7)) {
        case 0:
                return json_null();
        case 1:
                return json_boolean(rng() & 1);
        case 2:
                return json_integer((json_int_t) rng() >> rng_below(64));
        case 3:
                return json_real(random_real());
        case 4:
        case 5:
        case 6:
                return random_string();
        case 7:
                return random_object(depth);
        default:
                return random_array(depth);
        }
}

/* ---- strings ---- */

static void test_string_escapes(void **state)
{
        (void) state;
        static const char *const cases[] = {
                "",
                "plain",
                "\"",
                "\\",
                "/",
                "\x7f",
                "\b\f\n\r\t",
                "\x01\x1f",
                "a\"b\\c",
                "caf\xc3\xa9",
                "\xe2\x80\xa8",
                "\xef\xbb\xbf",
                "\xf0\x9f\x98\x80",
                "\xf4\x8f\xbf\xbf",
                "/sys/fs/cgroup/x.slice/docker-1.scope",
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_false(assert_same_text(json_string(cases[i])));
        /* A NUL inside the string, in a value and in a key. */
        assert_false(assert_same_text(json_stringn("a\0b", 3)));
        json_t *o = json_object();
        assert_int_equal(json_object_setn_new(o, "k\0\n", 3, json_true()), 0);
        assert_false(assert_same_text(o));
}

/* One special byte at every position of plain runs, across the writer's 8-byte words. */
static void test_string_special_positions(void **state)
{
        (void) state;
        static const char *const specials[] = {"\"",
                                               "\\",
                                               "\x01",
                                               "\x1f",
                                               " ",
                                               "~",
                                               "\x7f",
                                               "/",
                                               "\xc3\xa9",
                                               "\xe2\x82\xac",
                                               "\xf0\x9f\x98\x80"};
        char buf[64];
        for (size_t len = 0; len <= 40; len++)
                for (size_t pos = 0; pos <= len; pos++)
                        for (size_t k = 0; k < ELEMENTSOF(specials); k++) {
                                size_t n = strlen(specials[k]);
                                memset(buf, 'a', len);
                                memcpy(buf + pos, specials[k], n);
                                memset(buf + pos + n, 'b', len - pos);
                                assert_false(assert_same_text(json_stringn(buf, len + n)));
                        }
}

static void test_string_random_utf8(void **state)
{
        (void) state;
        for (int i = 0; i < 20000; i++)
                assert_false(assert_same_text(random_string()));
}

/* Not UTF-8: jansson only lets such a string in unchecked, and then refuses to write it. */
static void test_string_invalid(void **state)
{
        (void) state;
        static const char *const cases[] = {
                "\x80",
                "a\xbf",
                "\xc0\x80",
                "\xc1\xbf",
                "\xc2",
                "\xc2\x41",
                "\xe0\x80\x80",
                "\xe0\x9f\xbf",
                "\xed\xa0\x80",
                "\xed\xbf\xbf",
                "\xe2\x82",
                "\xf0\x80\x80\x80",
                "\xf0\x8f\xbf\xbf",
                "\xf4\x90\x80\x80",
                "\xf5\x80\x80\x80",
                "\xf8\x88\x80\x80\x80",
                "\xfe",
                "\xff",
                "ok\xe2\x82\xac\xe2",
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_true(assert_same_text(json_string_nocheck(cases[i])));
                /* jansson 2.14 ignores the error on a key and writes broken JSON; we refuse. */
                json_t *o = json_object();
                static char buf[TEXT_MAX];
                assert_int_equal(json_object_set_new_nocheck(o, cases[i], json_null()), 0);
                assert_int_equal(writer_text(o, buf), 0);
                json_decref(o);
        }
        /* Random bytes: mostly invalid, sometimes not; both must agree either way. */
        unsigned refused = 0;
        for (int i = 0; i < 20000; i++) {
                char buf[12];
                size_t n = 1 + rng_below(sizeof(buf));
                for (size_t k = 0; k < n; k++)
                        buf[k] = (char) (rng_below(3) ? 0x80 + rng_below(0x80) : rng_below(0x100));
                refused += assert_same_text(json_stringn_nocheck(buf, n)) ? 1 : 0;
        }
        assert_true(refused > 1000 && refused < 20000);
}

/* ---- numbers ---- */

static void test_integers(void **state)
{
        (void) state;
        static const json_int_t cases[] = {0,
                                           1,
                                           -1,
                                           9,
                                           10,
                                           -10,
                                           99,
                                           100,
                                           INT64_MAX,
                                           INT64_MIN,
                                           INT64_MAX - 1,
                                           INT64_MIN + 1,
                                           1000000000000000000,
                                           -999999999999999999};
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_same_text(json_integer(cases[i]));
        for (int i = 0; i < 20000; i++)
                assert_same_text(json_integer((json_int_t) rng() >> rng_below(64)));
}

/* v and the 4 doubles each side of it. */
static void assert_same_around(double v)
{
        for (int i = 0; i < 4; i++)
                v = nextafter(v, 0);
        for (int i = 0; i < 9; i++, v = nextafter(v, INFINITY))
                assert_same_text(json_real(v));
}

static void test_reals_edges(void **state)
{
        (void) state;
        static const double cases[] = {
                0.0,
                -0.0,
                1.0,
                -1.0,
                20.0,
                100.0,
                0.5,
                0.1,
                3.12572,
                0.16261,
                1e-4,
                1e-5,
                9.99999e-5,
                0.000099999949999,
                0.00009999995,
                0.0000999999500001,
                99999.95,
                999999.4,
                999999.5,
                1e6,
                999999.0,
                123456.5,
                123457.5,
                100.0625,
                100.0635,
                0.1234565,
                1.0000005,
                9.999995,
                9.9999949999,
                99.99995,
                1e300,
                -1e300,
                5e-324,
                2.2250738585072014e-308,
                1.7976931348623157e308,
                1234567.0,
                1e21,
                1e22,
                1e-300,
                0.001,
                0.01,
                10.0,
                1000.0,
                10000.0,
                100000.0,
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_same_text(json_real(cases[i]));
        /* A few ulps each side of every power of ten and of the rounding boundary below it. */
        for (int e = -7; e <= 8; e++) {
                assert_same_around(pow(10.0, e));
                assert_same_around(pow(10.0, e) * (1.0 - 5e-7));
        }
        /* ... and of random half-units of the 6th significant digit. */
        for (int i = 0; i < 5000; i++) {
                double digits = 100000 + rng_below(900000) + 0.5;
                assert_same_around(digits * pow(10.0, (double) rng_below(14) - 11));
        }
}

static void test_reals_random(void **state)
{
        (void) state;
        for (int i = 0; i < 200000; i++) {
                double v = random_real();
                assert_same_text(json_real(rng() & 1 ? -v : v));
        }
}

static void test_real_refused(void **state)
{
        (void) state;
        char buf[32];
        struct json_writer w;
        json_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(json_writer_real(&w, NAN), -EDOM);
        assert_int_equal(json_writer_real(&w, INFINITY), -EDOM);
        assert_int_equal(json_writer_real(&w, -INFINITY), -EDOM);
}

/* ---- trees ---- */

static void test_trees_random(void **state)
{
        (void) state;
        assert_false(assert_same_text(json_object()));
        assert_false(assert_same_text(json_array()));
        for (int i = 0; i < 5000; i++)
                assert_false(assert_same_text(random_value(0)));
}

/* An event as the agent builds it, members in insertion order. */
static void test_tree_event(void **state)
{
        (void) state;
        json_t *e = json_pack("{s:s, s:s, s:s, s:I, s:f, s:b, s:n, s:{s:I, s:I}, s:[i, f, s]}",
                              "type", "kernel_memory", "cgroup", "/bench/c1", "reason", "periodic",
                              "current_bytes", (json_int_t) 249372672, "share_pct", 3.12572,
                              "above", 0, "limits", "breakdown", "kernel", (json_int_t) 7794688,
                              "slab", (json_int_t) 4195328, "list", 1, 2.5, "x");
        assert_false(assert_same_text(e));
}

/* A string that is not UTF-8 deep inside: the whole value is refused. */
static void test_tree_refused(void **state)
{
        (void) state;
        json_t *o = json_pack("{s:{s:[i, o]}}", "a", "b", 1, json_string_nocheck("\xff"));
        assert_true(assert_same_text(o));
}

static void test_depth_and_cycle(void **state)
{
        (void) state;
        char buf[1024];
        struct json_writer w;
        json_t *deep = json_array(), *inner = deep;
        for (int i = 0; i < JSON_WRITER_DEPTH_MAX + 1; i++) {
                json_t *a = json_array();
                json_array_append_new(inner, a);
                inner = a;
        }
        json_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(json_writer_value(&w, deep), -ELOOP);
        json_decref(deep);

        json_t *a = json_array(), *b = json_array();
        json_array_append(a, b);
        json_array_append(b, a);
        json_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(json_writer_value(&w, a), -ELOOP);
        assert_int_equal(json_dumpb(a, buf, sizeof(buf), DUMP_FLAGS), 0);
        json_array_clear(b);
        json_decref(a);
        json_decref(b);
}

/* A buffer too small holds no promise but the length the whole text needs. */
static void test_small_buffer(void **state)
{
        (void) state;
        char want[TEXT_MAX], buf[TEXT_MAX];
        for (int i = 0; i < 2000; i++) {
                json_t *v = random_value(0);
                size_t n = jansson_text(v, want);
                size_t size = rng_below((unsigned) n + 2);
                struct json_writer w;
                memset(buf, 0, sizeof(buf));
                json_writer_init(&w, buf, size);
                assert_int_equal(json_writer_value(&w, v), 0);
                assert_int_equal(w.len, n);
                for (size_t k = size; k < sizeof(buf); k++)
                        assert_int_equal(buf[k], 0); /* nothing past the end */
                if (size >= n)
                        assert_memory_equal(buf, want, n);
                json_decref(v);
        }
}

static void test_member_and_raw(void **state)
{
        (void) state;
        char buf[64];
        struct json_writer w;
        json_t *v = json_integer(7);
        json_writer_init(&w, buf, sizeof(buf));
        json_writer_raw(&w, "{", 1);
        assert_int_equal(json_writer_member(&w, "a\"", 2, v), 0);
        json_writer_raw(&w, "}", 1);
        assert_int_equal(w.len, strlen("{\"a\\\"\":7}"));
        assert_memory_equal(buf, "{\"a\\\"\":7}", w.len);
        json_decref(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_string_escapes),
                cmocka_unit_test(test_string_special_positions),
                cmocka_unit_test(test_string_random_utf8),
                cmocka_unit_test(test_string_invalid),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_reals_edges),
                cmocka_unit_test(test_reals_random),
                cmocka_unit_test(test_real_refused),
                cmocka_unit_test(test_trees_random),
                cmocka_unit_test(test_tree_event),
                cmocka_unit_test(test_tree_refused),
                cmocka_unit_test(test_depth_and_cycle),
                cmocka_unit_test(test_small_buffer),
                cmocka_unit_test(test_member_and_raw),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
