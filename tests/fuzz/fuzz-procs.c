/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse_proc_status() and parse_smaps_rollup() on /proc text. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/procs.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r)
{
        if (r != 0 && r != -EINVAL && r != -ERANGE)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        struct proc_memory m, again;
        memset(&m, 0xa5, sizeof(m));
        memset(&again, 0xa5, sizeof(again));
        int r = parse_proc_status(buf, size, &m);
        check(r);
        /* Deterministic, and a comm always terminated. */
        if (r == 0 && (parse_proc_status(buf, size, &again) != 0 ||
                       memcmp(&m, &again, sizeof(m)) != 0 || !memchr(m.comm, '\0', sizeof(m.comm))))
                abort();
        check(parse_smaps_rollup(buf, size, &m));
        free(buf);
        return 0;
}
