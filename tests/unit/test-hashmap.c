/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the string- and integer-keyed hash map (cgroupfs/hashmap.c). */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/base/hashmap.h"

#define N_MANY 10000

/* Distinct non-NULL values: addresses inside one array. */
static char values[N_MANY + 16];
#define V(i) ((void *) &values[(i)])

static void test_hashmap_int_basic(void **state)
{
        (void) state;
        struct hashmap *m = hashmap_new_int();
        assert_non_null(m);
        assert_int_equal(hashmap_size(m), 0);
        assert_null(hashmap_get_int(m, 1));
        assert_null(hashmap_remove_int(m, 1));

        assert_int_equal(hashmap_put_int(m, 1, V(1)), 0);
        assert_int_equal(hashmap_put_int(m, 2, V(2)), 0);
        assert_int_equal(hashmap_put_int(m, 3, V(3)), 0);
        assert_int_equal(hashmap_size(m), 3);
        assert_ptr_equal(hashmap_get_int(m, 1), V(1));
        assert_ptr_equal(hashmap_get_int(m, 2), V(2));
        assert_ptr_equal(hashmap_get_int(m, 3), V(3));
        assert_null(hashmap_get_int(m, 0));
        assert_null(hashmap_get_int(m, 4));

        /* A duplicate is refused and leaves the first value and the size alone. */
        assert_int_equal(hashmap_put_int(m, 2, V(9)), -EEXIST);
        assert_ptr_equal(hashmap_get_int(m, 2), V(2));
        assert_int_equal(hashmap_size(m), 3);

        /* Remove returns the value, once. */
        assert_ptr_equal(hashmap_remove_int(m, 2), V(2));
        assert_int_equal(hashmap_size(m), 2);
        assert_null(hashmap_get_int(m, 2));
        assert_null(hashmap_remove_int(m, 2));
        assert_int_equal(hashmap_size(m), 2);
        assert_ptr_equal(hashmap_get_int(m, 1), V(1));
        assert_ptr_equal(hashmap_get_int(m, 3), V(3));

        /* The key can come back with another value. */
        assert_int_equal(hashmap_put_int(m, 2, V(7)), 0);
        assert_ptr_equal(hashmap_get_int(m, 2), V(7));
        assert_int_equal(hashmap_size(m), 3);

        assert_ptr_equal(hashmap_remove_int(m, 1), V(1));
        assert_ptr_equal(hashmap_remove_int(m, 2), V(7));
        assert_ptr_equal(hashmap_remove_int(m, 3), V(3));
        assert_int_equal(hashmap_size(m), 0);
        assert_null(hashmap_get_int(m, 3));
        hashmap_free(m);
}

static void test_hashmap_string_basic(void **state)
{
        (void) state;
        struct hashmap *m = hashmap_new_string();
        assert_non_null(m);
        assert_int_equal(hashmap_size(m), 0);
        assert_null(hashmap_get_string(m, "system.slice"));
        assert_null(hashmap_remove_string(m, "system.slice"));

        assert_int_equal(hashmap_put_string(m, "system.slice", V(1)), 0);
        assert_int_equal(hashmap_put_string(m, "system.slice/ssh.service", V(2)), 0);
        assert_int_equal(hashmap_put_string(m, "user.slice", V(3)), 0);
        assert_int_equal(hashmap_size(m), 3);
        assert_ptr_equal(hashmap_get_string(m, "system.slice"), V(1));
        assert_ptr_equal(hashmap_get_string(m, "system.slice/ssh.service"), V(2));
        assert_ptr_equal(hashmap_get_string(m, "user.slice"), V(3));
        /* Prefixes, extensions and case variants of a key are other keys. */
        assert_null(hashmap_get_string(m, "system.slic"));
        assert_null(hashmap_get_string(m, "system.slice/"));
        assert_null(hashmap_get_string(m, "System.slice"));
        assert_null(hashmap_get_string(m, "system.slice/ssh"));

        /* Keys compare by content, not by pointer. */
        char buf[32];
        snprintf(buf, sizeof(buf), "%s.%s", "user", "slice");
        assert_ptr_equal(hashmap_get_string(m, buf), V(3));
        assert_int_equal(hashmap_put_string(m, buf, V(9)), -EEXIST);
        assert_ptr_equal(hashmap_get_string(m, "user.slice"), V(3));
        assert_int_equal(hashmap_size(m), 3);

        assert_ptr_equal(hashmap_remove_string(m, buf), V(3));
        assert_null(hashmap_get_string(m, "user.slice"));
        assert_null(hashmap_remove_string(m, "user.slice"));
        assert_int_equal(hashmap_size(m), 2);
        assert_ptr_equal(hashmap_get_string(m, "system.slice"), V(1));
        assert_ptr_equal(hashmap_get_string(m, "system.slice/ssh.service"), V(2));

        assert_int_equal(hashmap_put_string(m, "user.slice", V(4)), 0);
        assert_ptr_equal(hashmap_get_string(m, "user.slice"), V(4));
        assert_int_equal(hashmap_size(m), 3);
        hashmap_free(m);
}

static void test_hashmap_string_empty_key(void **state)
{
        (void) state;
        struct hashmap *m = hashmap_new_string();
        assert_non_null(m);

        assert_null(hashmap_get_string(m, ""));
        assert_int_equal(hashmap_put_string(m, "", V(5)), 0);
        assert_int_equal(hashmap_size(m), 1);
        assert_ptr_equal(hashmap_get_string(m, ""), V(5));
        assert_int_equal(hashmap_put_string(m, "", V(6)), -EEXIST);
        assert_null(hashmap_get_string(m, "a"));
        assert_int_equal(hashmap_put_string(m, "a", V(7)), 0);
        assert_ptr_equal(hashmap_get_string(m, ""), V(5));
        assert_ptr_equal(hashmap_get_string(m, "a"), V(7));
        assert_ptr_equal(hashmap_remove_string(m, ""), V(5));
        assert_null(hashmap_get_string(m, ""));
        assert_ptr_equal(hashmap_get_string(m, "a"), V(7));
        assert_int_equal(hashmap_size(m), 1);
        hashmap_free(m);
}

static void test_hashmap_int_negative_and_extremes(void **state)
{
        (void) state;
        static const int64_t keys[] = {
                -1,
                0,
                1,
                -2,
                INT64_MIN,
                INT64_MAX,
                INT64_MIN + 1,
                INT64_MAX - 1,
                -64,
                64,
                INT32_MIN,
                INT32_MAX,
                (int64_t) UINT32_MAX,
                INT64_C(1) << 32,
                -(INT64_C(1) << 32),
        };
        size_t n = sizeof(keys) / sizeof(keys[0]);
        struct hashmap *m = hashmap_new_int();
        assert_non_null(m);

        for (size_t i = 0; i < n; i++)
                assert_int_equal(hashmap_put_int(m, keys[i], V(i)), 0);
        assert_int_equal(hashmap_size(m), n);
        for (size_t i = 0; i < n; i++) {
                assert_ptr_equal(hashmap_get_int(m, keys[i]), V(i));
                assert_int_equal(hashmap_put_int(m, keys[i], V(i + 1)), -EEXIST);
        }
        assert_null(hashmap_get_int(m, -3));
        assert_null(hashmap_get_int(m, 2));
        assert_null(hashmap_get_int(m, INT64_MIN + 2));

        /* Remove the negative ones; the rest stay. */
        for (size_t i = 0; i < n; i++)
                if (keys[i] < 0)
                        assert_ptr_equal(hashmap_remove_int(m, keys[i]), V(i));
        for (size_t i = 0; i < n; i++) {
                if (keys[i] < 0)
                        assert_null(hashmap_get_int(m, keys[i]));
                else
                        assert_ptr_equal(hashmap_get_int(m, keys[i]), V(i));
        }
        assert_int_equal(hashmap_size(m), 8);
        hashmap_free(m);
}

/* Keys equal in their low bits: 0, 64, 128, ..., and ones differing only high up. */
static void test_hashmap_int_low_bit_collisions(void **state)
{
        (void) state;
        struct hashmap *m = hashmap_new_int();
        assert_non_null(m);

        for (int64_t i = 0; i < 1000; i++)
                assert_int_equal(hashmap_put_int(m, i * 64, V(i)), 0);
        for (int64_t i = 0; i < 1000; i++)
                assert_int_equal(hashmap_put_int(m, i << 40, V(i)), i == 0 ? -EEXIST : 0);
        assert_int_equal(hashmap_size(m), 1999);
        for (int64_t i = 0; i < 1000; i++) {
                assert_ptr_equal(hashmap_get_int(m, i * 64), V(i));
                assert_ptr_equal(hashmap_get_int(m, i << 40), V(i));
                assert_null(hashmap_get_int(m, i * 64 + 1));
                assert_null(hashmap_get_int(m, -(i + 1) * 64));
        }
        for (int64_t i = 0; i < 1000; i += 2)
                assert_ptr_equal(hashmap_remove_int(m, i * 64), V(i));
        for (int64_t i = 0; i < 1000; i++) {
                if (i % 2 == 0)
                        assert_null(hashmap_get_int(m, i * 64));
                else
                        assert_ptr_equal(hashmap_get_int(m, i * 64), V(i));
                if (i != 0)
                        assert_ptr_equal(hashmap_get_int(m, i << 40), V(i));
        }
        assert_int_equal(hashmap_size(m), 1499);
        hashmap_free(m);
}

static void test_hashmap_int_many(void **state)
{
        (void) state;
        struct hashmap *m = hashmap_new_int();
        assert_non_null(m);

        /* Watch descriptors are small consecutive ints; mix in negative ones too. */
        for (int64_t i = 0; i < N_MANY; i++) {
                int64_t k = i % 2 ? i : -i - 1;
                assert_int_equal(hashmap_put_int(m, k, V(i)), 0);
                assert_int_equal(hashmap_size(m), (size_t) i + 1);
        }
        for (int64_t i = 0; i < N_MANY; i++) {
                int64_t k = i % 2 ? i : -i - 1;
                assert_ptr_equal(hashmap_get_int(m, k), V(i));
                assert_int_equal(hashmap_put_int(m, k, V(0)), -EEXIST);
        }
        assert_int_equal(hashmap_size(m), N_MANY);

        /* Remove every other one: those whose index is a multiple of 4 or 3 mod 4. */
        size_t removed = 0;
        for (int64_t i = 0; i < N_MANY; i++) {
                if (i % 4 == 0 || i % 4 == 3) {
                        int64_t k = i % 2 ? i : -i - 1;
                        assert_ptr_equal(hashmap_remove_int(m, k), V(i));
                        removed++;
                }
        }
        assert_int_equal(removed, N_MANY / 2);
        assert_int_equal(hashmap_size(m), N_MANY / 2);
        for (int64_t i = 0; i < N_MANY; i++) {
                int64_t k = i % 2 ? i : -i - 1;
                if (i % 4 == 0 || i % 4 == 3) {
                        assert_null(hashmap_get_int(m, k));
                        assert_null(hashmap_remove_int(m, k));
                } else {
                        assert_ptr_equal(hashmap_get_int(m, k), V(i));
                }
        }
        assert_null(hashmap_get_int(m, N_MANY));
        assert_null(hashmap_get_int(m, -N_MANY - 1));
        assert_int_equal(hashmap_size(m), N_MANY / 2);
        hashmap_free(m);
}

static void test_hashmap_string_many(void **state)
{
        (void) state;
        /* cgroup-path-like keys sharing a long prefix; the map keeps pointers to them. */
        char(*keys)[96] = calloc(N_MANY, sizeof(*keys));
        assert_non_null(keys);
        for (size_t i = 0; i < N_MANY; i++)
                snprintf(keys[i], sizeof(keys[i]),
                         "kubepods.slice/kubepods-burstable.slice/pod-%zu/ctr-%zx.scope", i % 97,
                         i);

        struct hashmap *m = hashmap_new_string();
        assert_non_null(m);
        for (size_t i = 0; i < N_MANY; i++) {
                assert_int_equal(hashmap_put_string(m, keys[i], V(i)), 0);
                assert_int_equal(hashmap_size(m), i + 1);
        }
        char probe[96];
        for (size_t i = 0; i < N_MANY; i++) {
                assert_ptr_equal(hashmap_get_string(m, keys[i]), V(i));
                /* Found by content from another buffer, and refused a second time. */
                memcpy(probe, keys[i], sizeof(probe));
                assert_ptr_equal(hashmap_get_string(m, probe), V(i));
                assert_int_equal(hashmap_put_string(m, probe, V(0)), -EEXIST);
        }
        assert_int_equal(hashmap_size(m), N_MANY);

        for (size_t i = 0; i < N_MANY; i += 2)
                assert_ptr_equal(hashmap_remove_string(m, keys[i]), V(i));
        assert_int_equal(hashmap_size(m), N_MANY / 2);
        for (size_t i = 0; i < N_MANY; i++) {
                if (i % 2 == 0) {
                        assert_null(hashmap_get_string(m, keys[i]));
                        assert_null(hashmap_remove_string(m, keys[i]));
                } else {
                        assert_ptr_equal(hashmap_get_string(m, keys[i]), V(i));
                }
        }
        assert_null(hashmap_get_string(m, "kubepods.slice"));
        assert_int_equal(hashmap_size(m), N_MANY / 2);

        /* The removed keys can be put back. */
        for (size_t i = 0; i < N_MANY; i += 2)
                assert_int_equal(hashmap_put_string(m, keys[i], V(i + 1)), 0);
        assert_int_equal(hashmap_size(m), N_MANY);
        for (size_t i = 0; i < N_MANY; i++)
                assert_ptr_equal(hashmap_get_string(m, keys[i]), V(i % 2 ? i : i + 1));

        hashmap_free(m);
        free(keys);
}

/* An int map and a string map are independent; free takes NULL and a non-empty map. */
static void test_hashmap_independent_and_free(void **state)
{
        (void) state;
        struct hashmap *a = hashmap_new_int();
        struct hashmap *b = hashmap_new_int();
        struct hashmap *s = hashmap_new_string();
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(s);

        assert_int_equal(hashmap_put_int(a, 5, V(1)), 0);
        assert_null(hashmap_get_int(b, 5));
        assert_int_equal(hashmap_put_int(b, 5, V(2)), 0);
        assert_ptr_equal(hashmap_get_int(a, 5), V(1));
        assert_ptr_equal(hashmap_get_int(b, 5), V(2));
        assert_int_equal(hashmap_put_string(s, "5", V(3)), 0);
        assert_int_equal(hashmap_size(a), 1);
        assert_int_equal(hashmap_size(b), 1);
        assert_int_equal(hashmap_size(s), 1);

        hashmap_free(NULL);
        hashmap_free(a); /* with entries: ASan's leak check sees them freed */
        hashmap_free(b);
        hashmap_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hashmap_int_basic),
                cmocka_unit_test(test_hashmap_string_basic),
                cmocka_unit_test(test_hashmap_string_empty_key),
                cmocka_unit_test(test_hashmap_int_negative_and_extremes),
                cmocka_unit_test(test_hashmap_int_low_bit_collisions),
                cmocka_unit_test(test_hashmap_int_many),
                cmocka_unit_test(test_hashmap_string_many),
                cmocka_unit_test(test_hashmap_independent_and_free),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
