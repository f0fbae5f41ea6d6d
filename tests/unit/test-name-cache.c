/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the container name cache (cri/name-cache.c): states, expiry, retries, bounds. */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "supervisor/names-helper/name-cache.h"

#define SEC  1000000ull
#define ID_A "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"
#define ID_B "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct name_cache_params params = {
        .ttl_usec = 3600 * SEC,
        .retry_first_usec = SEC / 4,
        .retry_max_usec = 60 * SEC,
        .max_entries = 2,
};

static struct container_meta meta_named(const char *name)
{
        struct container_meta m = {0};

        m.name = strdup(name);
        assert_non_null(m.name);
        assert_int_equal(container_meta_add_label(&m, "io.cgmem.policy", "avoid"), 0);
        return m;
}

static void test_missing_pending_known(void **state)
{
        struct name_cache *c;
        const struct container_meta *m = (void *) 1;

        (void) state;
        assert_int_equal(name_cache_new(&params, &c), 0);
        assert_int_equal(name_cache_get(c, ID_A, 0, &m), NAME_MISSING);
        assert_null(m);
        assert_int_equal(name_cache_set_pending(c, ID_A, 0), 0);
        assert_int_equal(name_cache_get(c, ID_A, 0, NULL), NAME_PENDING);

        struct container_meta web = meta_named("web");
        assert_int_equal(name_cache_put(c, ID_A, &web, 10), 0);
        assert_null(web.name); /* taken */
        assert_int_equal(name_cache_get(c, ID_A, 10, &m), NAME_KNOWN);
        assert_string_equal(m->name, "web");
        assert_string_equal(container_meta_label(m, "io.cgmem.policy"), "avoid");

        /* Past the TTL: looked up again, but the name stays while that happens. */
        assert_int_equal(name_cache_get(c, ID_A, 10 + 3600 * SEC, &m), NAME_MISSING);
        assert_string_equal(m->name, "web");
        assert_int_equal(name_cache_set_pending(c, ID_A, 10 + 3600 * SEC), 0);
        assert_int_equal(name_cache_get(c, ID_A, 10 + 3600 * SEC, &m), NAME_PENDING);
        assert_string_equal(m->name, "web");
        name_cache_free(c);
}

static void test_absent_retries_double_up_to_max(void **state)
{
        struct name_cache *c;
        uint64_t retry, now = 100 * SEC;
        const uint64_t expect[] = {SEC / 4, SEC / 2,  SEC,      2 * SEC,  4 * SEC,
                                   8 * SEC, 16 * SEC, 32 * SEC, 60 * SEC, 60 * SEC};

        (void) state;
        assert_int_equal(name_cache_new(&params, &c), 0);
        for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
                assert_int_equal(name_cache_put_absent(c, ID_A, now, &retry), 0);
                assert_int_equal(retry - now, expect[i]);
                assert_int_equal(name_cache_get(c, ID_A, retry - 1, NULL), NAME_ABSENT);
                assert_int_equal(name_cache_get(c, ID_A, retry, NULL), NAME_MISSING);
                now = retry;
        }
        /* An answer resets the streak. */
        struct container_meta web = meta_named("web");
        assert_int_equal(name_cache_put(c, ID_A, &web, now), 0);
        assert_int_equal(name_cache_put_absent(c, ID_A, now, &retry), 0);
        assert_int_equal(retry - now, SEC / 4);
        name_cache_free(c);
}

static void test_absent_keeps_old_meta(void **state)
{
        struct name_cache *c;
        const struct container_meta *m;

        (void) state;
        assert_int_equal(name_cache_new(&params, &c), 0);
        struct container_meta web = meta_named("web");
        assert_int_equal(name_cache_put(c, ID_A, &web, 0), 0);
        assert_int_equal(name_cache_put_absent(c, ID_A, 1, NULL), 0);
        assert_int_equal(name_cache_get(c, ID_A, 1, &m), NAME_ABSENT);
        assert_string_equal(m->name, "web");
        name_cache_forget(c, ID_A);
        assert_int_equal(name_cache_get(c, ID_A, 1, &m), NAME_MISSING);
        assert_null(m);
        assert_int_equal(name_cache_size(c), 0);
        name_cache_free(c);
}

static void test_bounded_evicts_longest_unanswered(void **state)
{
        struct name_cache *c;

        (void) state;
        assert_int_equal(name_cache_new(&params, &c), 0);
        struct container_meta a = meta_named("a"), b = meta_named("b");
        assert_int_equal(name_cache_put(c, ID_A, &a, 0), 0);
        assert_int_equal(name_cache_put(c, ID_B, &b, 1), 0);
        /* A answered again: B is now the oldest and goes when C comes. */
        struct container_meta a2 = meta_named("a2");
        assert_int_equal(name_cache_put(c, ID_A, &a2, 2), 0);
        assert_int_equal(name_cache_set_pending(c, ID_C, 3), 0);
        assert_int_equal(name_cache_size(c), 2);
        assert_int_equal(name_cache_get(c, ID_B, 3, NULL), NAME_MISSING);
        assert_int_equal(name_cache_get(c, ID_A, 3, NULL), NAME_KNOWN);
        assert_int_equal(name_cache_get(c, ID_C, 3, NULL), NAME_PENDING);
        name_cache_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_missing_pending_known),
                cmocka_unit_test(test_absent_retries_double_up_to_max),
                cmocka_unit_test(test_absent_keeps_old_meta),
                cmocka_unit_test(test_bounded_evicts_longest_unanswered),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
