/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse_meminfo() on /proc/meminfo text. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/meminfo.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        struct meminfo m, again;
        memset(&m, 0xa5, sizeof(m));
        int r = parse_meminfo(buf, size, &m);
        if (r == 0) {
                /* Deterministic, and a result only on success. */
                if (parse_meminfo(buf, size, &again) != 0 || memcmp(&m, &again, sizeof(m)) != 0)
                        abort();
        } else if (r != -EINVAL && r != -ERANGE) {
                abort();
        }
        free(buf);
        return 0;
}
