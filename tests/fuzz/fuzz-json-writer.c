/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the event writer (supervisor/json-writer.c) against jansson's
 * own json_dumpb(JSON_COMPACT | JSON_REAL_PRECISION(6)), which it must equal byte
 * for byte. The input is read two ways: as JSON text (any value jansson accepts,
 * written back), and as the raw bytes of one string (refused with -EILSEQ exactly
 * when it is not UTF-8, else the same escapes).
 */

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/emit/json-writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(6))

static char want[1 << 17], got[1 << 17];

static void check(bool ok)
{
        if (!ok)
                abort();
}

static void same_as_jansson(const json_t *v, int r, const struct json_writer *w)
{
        size_t n = json_dumpb(v, want, sizeof(want), FLAGS | JSON_ENCODE_ANY);

        check(r == 0 && n > 0 && n == w->len);
        check(n > sizeof(got) || memcmp(want, got, n) == 0);
}

static void as_json_text(const uint8_t *data, size_t size)
{
        json_t *v = json_loadb((const char *) data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        struct json_writer w;

        if (!v)
                return;
        json_writer_init(&w, got, sizeof(got));
        int r = json_writer_value(&w, v);
        if (r == -ELOOP) /* deeper than events go: refused, as documented */
                check(size > 2 * JSON_WRITER_DEPTH_MAX);
        else
                same_as_jansson(v, r, &w);
        json_decref(v);
}

static void as_string_bytes(const uint8_t *data, size_t size)
{
        json_t *valid = json_stringn((const char *) data, size); /* NULL: not UTF-8 */
        struct json_writer w;

        json_writer_init(&w, got, sizeof(got));
        int r = json_writer_string(&w, (const char *) data, size);
        if (!valid) {
                check(r == -EILSEQ);
                return;
        }
        same_as_jansson(valid, r, &w);
        json_decref(valid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        as_json_text(data, size);
        as_string_bytes(data, size);
        return 0;
}
