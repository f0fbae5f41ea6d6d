/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse_psi() on *.pressure text. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

        struct psi_stats p;
        memset(&p, 0xa5, sizeof(p));
        int r = parse_psi(buf, size, &p);
        if (r == 0) {
                if (p.has_full != 0 && p.has_full != 1)
                        abort();
                if (!p.has_full &&
                    (p.full.avg10 || p.full.avg60 || p.full.avg300 || p.full.total_usec))
                        abort();
        } else if (r != -EINVAL && r != -ERANGE) {
                abort();
        }
        free(buf);
        return 0;
}
