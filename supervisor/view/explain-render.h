/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgmem explain, last step: the facts of one kill as text (lines with
 * attributes, in top's screen type, so that they print plain or coloured) or
 * as one JSON object. Pure: the width, the character set and the time zone are
 * passed in.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "explain-model.h"
#include "top-render.h"

struct explain_style {
        int width;    /* columns to fill; text wraps there */
        bool unicode; /* block and box characters for the plot; ASCII otherwise */
        bool utc;     /* times in UTC; else in the local time zone (TZ) */
};

#define EXPLAIN_WIDTH_MIN     60
#define EXPLAIN_WIDTH_DEFAULT 80

void explain_render_text(const struct explain *e, const struct explain_style *st,
                         struct top_screen *s);

/*
 * cgmem explain --list: the kills of the file, oldest first (only target's when
 * not NULL), one line each, or one JSON object per line.
 */
void explain_render_list(const struct explain_scan *scan, const struct explain_target *target,
                         const struct explain_style *st, struct top_screen *s);
int explain_print_list_json(const struct explain_scan *scan, const struct explain_target *target,
                            FILE *out);

/* The same facts for scripts (README.md, "cgmem explain --json"). NULL on ENOMEM. */
json_t *explain_to_json(const struct explain *e);

/*
 * The memory plot alone: points oldest first, limit (CG_VALUE_MAX: none) drawn
 * as the top when it is near the peak, began_usec_ago (UINT64_MAX: none) marked
 * on the time axis. Adds nothing when fewer than three points span no time.
 */
void explain_render_plot(const struct explain_point *points, size_t n, uint64_t limit_bytes,
                         uint64_t began_usec_ago, const char *end_label,
                         const struct explain_style *st, struct top_screen *s);

/* "388us", "1.9ms", "412ms", "2.0s", "42s", "1m04s", "3h05m", "2d". */
void explain_format_duration(uint64_t usec, char *buf, size_t size);

/* RFC 3339 "2026-12-04T17:15:02.512301000Z" as "2026-12-04 17:15:02.512 UTC" (or local time). */
void explain_format_time(const char *rfc3339, bool utc, char *buf, size_t size);
