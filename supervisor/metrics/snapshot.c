/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "cgroupfs/macro.h"

/* 100 µs to 1 s: a round over a few containers to one over many thousands on a slow node. */
const uint64_t metrics_round_bucket_usec[METRICS_ROUND_BUCKETS] = {
        100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000,
};

void metrics_histogram_observe(struct metrics_histogram *h, uint64_t usec)
{
        unsigned i = 0;

        while (i < METRICS_ROUND_BUCKETS && usec > metrics_round_bucket_usec[i])
                i++;
        h->counts[i]++;
        h->count++;
        h->sum_usec += usec;
}

const char *metrics_sink_to_string(enum metrics_sink s)
{
        static const char *const names[_METRICS_SINK_MAX] = {
                [METRICS_SINK_STDOUT] = "stdout",
                [METRICS_SINK_FILE] = "file",
                [METRICS_SINK_JOURNAL] = "journal",
        };
        return s < _METRICS_SINK_MAX ? names[s] : NULL;
}

/* The length of the UTF-8 character at p (at most n bytes there), 0 if it is not one. */
static size_t utf8_char_len(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t cp;

        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, cp = p[0] & 0x1fu;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, cp = p[0] & 0x0fu;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, cp = p[0] & 0x07u;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3fu);
        }
        /* Overlong forms, UTF-16 surrogates and what is above U+10FFFF are not UTF-8. */
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return len;
}

size_t metrics_escape_label_value(const char *value, char *buf)
{
        const unsigned char *p = (const unsigned char *) value;
        size_t n = strnlen(value, METRICS_LABEL_VALUE_MAX), out = 0;

        /* A value cut at the cap loses the character the cut fell in, not just its tail. */
        if (n == METRICS_LABEL_VALUE_MAX)
                while (n > 0 && (p[n] & 0xc0) == 0x80)
                        n--;

        for (size_t i = 0; i < n;) {
                size_t len = utf8_char_len(p + i, n - i);
                if (len == 0) {
                        buf[out++] = '?';
                        i++;
                        continue;
                }
                if (p[i] == '\\' || p[i] == '"') {
                        buf[out++] = '\\';
                        buf[out++] = (char) p[i];
                } else if (p[i] == '\n') {
                        buf[out++] = '\\';
                        buf[out++] = 'n';
                } else {
                        memcpy(buf + out, p + i, len);
                        out += len;
                }
                i += len;
        }
        return out;
}

static const char *const label_names[_METRICS_LABEL_MAX] = {
        [METRICS_LABEL_ID] = "id",
        [METRICS_LABEL_CONTAINER_ID] = "container_id",
        [METRICS_LABEL_NAME] = "name",
        [METRICS_LABEL_IMAGE] = "image",
        [METRICS_LABEL_NAMESPACE] = "namespace",
        [METRICS_LABEL_POD] = "pod",
        [METRICS_LABEL_CONTAINER] = "container",
};

void metrics_snapshot_reset(struct metrics_snapshot *s)
{
        s->agent = (struct metrics_agent){0};
        s->node = (struct metrics_node){0};
        s->n_rows = 0;
        s->strings_len = 0;
}

/* Appends the label pairs of one row ("id=\"/a\",name=\"b\""), NUL-terminated. */
static size_t append_labels(char *out, const char *const values[_METRICS_LABEL_MAX])
{
        size_t len = 0;

        for (unsigned i = 0; i < _METRICS_LABEL_MAX; i++) {
                if (!values[i] || !values[i][0])
                        continue;
                size_t name = strlen(label_names[i]);
                if (len)
                        out[len++] = ',';
                memcpy(out + len, label_names[i], name);
                len += name;
                out[len++] = '=';
                out[len++] = '"';
                len += metrics_escape_label_value(values[i], out + len);
                out[len++] = '"';
        }
        out[len] = '\0';
        return len;
}

struct metrics_container *metrics_snapshot_add(struct metrics_snapshot *s,
                                               const char *const values[_METRICS_LABEL_MAX])
{
        if (!GREEDY_REALLOC(s->rows, s->rows_cap, s->n_rows + 1) ||
            !GREEDY_REALLOC(s->strings, s->strings_cap, s->strings_len + METRICS_LABELS_MAX + 1))
                return NULL;
        struct metrics_container *row = &s->rows[s->n_rows++];
        *row = (struct metrics_container){.labels = s->strings_len};
        row->labels_len = append_labels(s->strings + s->strings_len, values);
        s->strings_len += row->labels_len + 1;
        return row;
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
        if (!s)
                return;
        free(s->rows);
        free(s->strings);
        free(s);
}
