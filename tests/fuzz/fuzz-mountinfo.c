/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: cg_mounts_parse() on /proc/self/mountinfo text. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/mount.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        struct cg_mounts *m = malloc(sizeof(*m));
        if (!buf || !m) {
                free(buf);
                free(m);
                return 0;
        }
        memset(m, 0xa5, sizeof(*m));

        int r = cg_mounts_parse(buf, size, m);
        if (r == 0) {
                if (memchr(m->unified, '\0', sizeof(m->unified)) == NULL ||
                    memchr(m->memory_v1, '\0', sizeof(m->memory_v1)) == NULL)
                        abort();
                int v2 = m->unified[0] != '\0', v1 = m->memory_v1[0] != '\0';
                enum cg_layout want = v1 ? (v2 ? CG_LAYOUT_HYBRID : CG_LAYOUT_LEGACY)
                                         : (v2 ? CG_LAYOUT_UNIFIED : CG_LAYOUT_NONE);
                if (m->layout != want)
                        abort();
        } else if (r != -EINVAL && r != -ENAMETOOLONG) {
                abort();
        }
        free(m);
        free(buf);
        return 0;
}
