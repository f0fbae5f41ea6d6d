/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse_keyed() with a memory.stat-like field table. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "fuzz-util.h"

struct stat_out {
        uint64_t anon, file, kernel, kernel_stack, pagetables, percpu, sock, slab;
        uint64_t active_file, inactive_file, low, high, max, oom, oom_kill;
};

#define F(name) KEYED_FIELD(struct stat_out, name)
static const struct keyed_field fields[] = {
        F(anon),   F(file), F(kernel), F(kernel_stack), F(pagetables),
        F(percpu), F(sock), F(slab),   F(active_file),  F(inactive_file),
        F(low),    F(high), F(max),    F(oom),          F(oom_kill),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        struct stat_out out;
        memset(&out, 0xa5, sizeof(out));
        uint64_t seen = 0xdeadbeef;
        int r = parse_keyed(buf, size, fields, sizeof(fields) / sizeof(fields[0]), &out, &seen);
        if (r == 0) {
                /* Only known fields can be seen. */
                if (seen >> (sizeof(fields) / sizeof(fields[0])))
                        abort();
                /* A well-formed file is never empty. */
                if (size == 0)
                        abort();
        } else if (r != -EINVAL && r != -ERANGE) {
                abort();
        }
        /* The same bytes without the small table: unknown keys only. */
        r = parse_keyed(buf, size, fields, 0, &out, &seen);
        if (r == 0 && seen != 0)
                abort();
        free(buf);
        return 0;
}
