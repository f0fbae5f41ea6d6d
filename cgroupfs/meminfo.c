/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "meminfo.h"

#include "macro.h"
#include "parse.h"

static const struct colon_field fields[] = {
        COLON_FIELD("MemTotal", struct meminfo, mem_total, true),
        COLON_FIELD("MemFree", struct meminfo, mem_free, true),
        COLON_FIELD("MemAvailable", struct meminfo, mem_available, true), /* 3.14+ */
        COLON_FIELD("Cached", struct meminfo, cached, false),
        COLON_FIELD("Shmem", struct meminfo, shmem, false),
        COLON_FIELD("SwapTotal", struct meminfo, swap_total, true),
        COLON_FIELD("SwapFree", struct meminfo, swap_free, true),
        COLON_FIELD("SwapCached", struct meminfo, swap_cached, false),
};

int parse_meminfo(const char *buf, size_t len, struct meminfo *ret)
{
        struct meminfo m = {0};
        int r = parse_colon_keyed(buf, len, fields, ELEMENTSOF(fields), &m);

        if (r < 0)
                return r;
        *ret = m;
        return 0;
}
