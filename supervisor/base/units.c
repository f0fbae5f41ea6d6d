/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "units.h"

#include <stdio.h>

#include "cgroupfs/parse.h"

const char *format_bytes(uint64_t bytes, char buf[static BYTES_STR_MAX])
{
        static const char suffixes[] = "KMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes == CG_VALUE_MAX) {
                snprintf(buf, BYTES_STR_MAX, "max");
                return buf;
        }
        if (bytes < 1024) {
                snprintf(buf, BYTES_STR_MAX, "%uB", (unsigned) bytes);
                return buf;
        }
        v /= 1024;
        while (v >= 1024 && i + 1 < sizeof(suffixes) - 1) {
                v /= 1024;
                i++;
        }
        snprintf(buf, BYTES_STR_MAX, v < 10 ? "%.1f%c" : "%.0f%c", v, suffixes[i]);
        return buf;
}
