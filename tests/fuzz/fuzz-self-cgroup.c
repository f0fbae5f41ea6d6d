/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: self_cgroup_parse() on /proc/self/cgroup text, procs_list_pid() on
 * cgroup.procs. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "supervisor/registry/self-cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_exact_copy(data, size);
        char path[64];

        if (!buf)
                return 0;
        memset(path, 0xa5, sizeof(path));
        int r = self_cgroup_parse(buf, size, path, sizeof(path));
        if (r == 0) {
                size_t n = strnlen(path, sizeof(path));
                /* A path that fits, never a way above the namespace, never a leading slash. */
                if (n == sizeof(path) || path[0] == '/' || strcmp(path, "..") == 0 ||
                    strncmp(path, "../", 3) == 0 || strstr(path, "//") || strstr(path, "/../") ||
                    memchr(path, '\n', n) || (n > 0 && path[n - 1] == '/'))
                        abort();
        } else if (r != -ENOENT && r != -EINVAL && r != -ENAMETOOLONG) {
                abort();
        }
        r = procs_list_pid(buf, size, 1);
        if (r != 0 && r != 1 && r != -EINVAL)
                abort();
        free(buf);
        return 0;
}
