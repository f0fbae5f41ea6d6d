/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Growable arrays, as systemd's GREEDY_REALLOC: an array, its allocated count,
 * and one call that makes room for need elements, doubling (at least 16), so
 * that appending stays amortised O(1) and a failure leaves the array as it was.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline bool greedy_realloc(void **array, size_t *allocated, size_t need, size_t size)
{
        if (need <= *allocated)
                return true;
        size_t n = *allocated * 2 > need ? *allocated * 2 : need;
        if (n < 16)
                n = 16;
        void *p = reallocarray(*array, n, size);
        if (!p)
                return false;
        *array = p;
        *allocated = n;
        return true;
}

/* Room for need elements in array (of any type), allocated counting them. */
#define GREEDY_REALLOC(array, allocated, need)                                                     \
        greedy_realloc((void **) &(array), &(allocated), (need), sizeof(*(array)))
