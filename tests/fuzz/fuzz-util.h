/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input in a buffer of exactly size bytes, no NUL after it: a parser that
 * reads past its length is an ASan report. NULL when out of memory.
 */
static inline char *fuzz_exact_copy(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1);
        if (buf)
                memcpy(buf, data, size);
        return buf;
}
