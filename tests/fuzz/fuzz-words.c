/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: word_list_contains() on cgroup.controllers / subtree_control text. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A slow, obviously right reference: split on ' ' after dropping one trailing '\n'. */
static int reference(const char *buf, size_t len, const char *word)
{
        size_t n = strlen(word), start = 0;
        if (len && buf[len - 1] == '\n')
                len--;
        if (len == 0)
                return 0;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || buf[i] == ' ') {
                        if (i - start == n && memcmp(buf + start, word, n) == 0)
                                return 1;
                        start = i + 1;
                }
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const words[] = {"memory", "cpu", "io", "pids", "cpuset", "m"};
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                int r = word_list_contains(buf, size, words[i]);
                if (r != reference(buf, size, words[i]))
                        abort();
        }
        free(buf);
        return 0;
}
