/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "meminfo.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "parse.h"

#define FIELD(key, name, required)                                                                 \
        {                                                                                          \
                key, sizeof(key) - 1, offsetof(struct meminfo, name), required                     \
        }

static const struct {
        const char *key;
        size_t len;
        size_t offset;
        bool required;
} fields[] = {
        FIELD("MemTotal", mem_total, true),
        FIELD("MemFree", mem_free, true),
        FIELD("MemAvailable", mem_available, true), /* 3.14+ */
        FIELD("Cached", cached, false),
        FIELD("Shmem", shmem, false),
        FIELD("SwapTotal", swap_total, true),
        FIELD("SwapFree", swap_free, true),
        FIELD("SwapCached", swap_cached, false),
};

static int field_of(const char *key, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i].len == len && memcmp(fields[i].key, key, len) == 0)
                        return (int) i;
        return -1;
}

/* "<spaces><decimal>[ kB]": the value in bytes. */
static int parse_amount(const char *s, size_t len, uint64_t *ret)
{
        size_t i = 0, unit = 1;
        uint64_t v;

        while (i < len && s[i] == ' ')
                i++;
        if (len >= 3 && memcmp(s + len - 3, " kB", 3) == 0) {
                len -= 3;
                unit = 1024;
        }
        if (i == 0 || i >= len)
                return -EINVAL;
        int r = parse_u64(s + i, len - i, &v);
        if (r < 0)
                return r;
        if (v > UINT64_MAX / unit)
                return -ERANGE;
        *ret = v * unit;
        return 0;
}

static int parse_line(const char *line, size_t len, struct meminfo *out, unsigned *seen)
{
        const char *colon = memchr(line, ':', len);
        if (!colon)
                return -EINVAL;
        int f = field_of(line, (size_t) (colon - line));
        if (f < 0)
                return 0; /* a key this parser does not know */
        if (*seen & (1u << f))
                return -EINVAL;
        *seen |= 1u << f;
        size_t rest = len - (size_t) (colon + 1 - line);
        return parse_amount(colon + 1, rest, (uint64_t *) ((char *) out + fields[f].offset));
}

int parse_meminfo(const char *buf, size_t len, struct meminfo *ret)
{
        struct meminfo m = {0};
        unsigned seen = 0;

        for (size_t at = 0; at < len;) {
                const char *nl = memchr(buf + at, '\n', len - at);
                size_t n = nl ? (size_t) (nl - (buf + at)) : len - at;
                int r = parse_line(buf + at, n, &m, &seen);
                if (r < 0)
                        return r;
                at += n + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i].required && !(seen & (1u << i)))
                        return -EINVAL;
        *ret = m;
        return 0;
}
