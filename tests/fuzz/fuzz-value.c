/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse_single_value() in both modes, and parse_u64(). */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        uint64_t strict = 0, lax = 0, raw = 0;
        int r_strict = parse_single_value(buf, size, 0, &strict);
        int r_lax = parse_single_value(buf, size, 1, &lax);
        int r_raw = parse_u64(buf, size, &raw);

        if (r_strict != 0 && r_strict != -EINVAL && r_strict != -ERANGE)
                abort();
        if (r_raw != 0 && r_raw != -EINVAL && r_raw != -ERANGE)
                abort();
        /* Allowing "max" only ever accepts more, and agrees on numbers. */
        if (r_strict == 0 && (r_lax != 0 || lax != strict))
                abort();
        if (r_lax == 0 && r_strict != 0 && lax != UINT64_MAX)
                abort();
        /* A bare token parses the same with or without the single-value wrapper. */
        if (r_raw == 0 && (r_strict != 0 || strict != raw))
                abort();
        /* Round trip: a parsed number prints back as the digits (leading zeros aside). */
        if (r_raw == 0) {
                char text[32];
                int n = snprintf(text, sizeof(text), "%llu", (unsigned long long) raw);
                size_t skip = 0;
                while (skip + 1 < size && buf[skip] == '0')
                        skip++;
                if ((size_t) n != size - skip || memcmp(text, buf + skip, (size_t) n) != 0)
                        abort();
        }
        free(buf);
        return 0;
}
