/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * JSON text for the event stream, written straight into a caller's buffer: the
 * bytes json_dumpb(v, buf, size, JSON_COMPACT | JSON_REAL_PRECISION(6)) writes,
 * without what makes jansson's dumper cost ~50 000 instructions per event (a
 * hashtable of parents allocated per call, an snprintf("%p") and a hashtable
 * insert per object or array, an snprintf per number, a callback per token).
 * Same rules: members in insertion order, strings escaped as RFC 8259 requires
 * and jansson does (\" \\ \b \f \n \r \t, other controls \u00XX, everything else
 * as is, "/" and DEL included), a string or key that is not UTF-8 is an error,
 * reals as "%.6g" in the C locale with ".0" added to an integral value and the
 * exponent without "+" or leading zeros. tests/unit/test-json-writer.c holds it
 * to json_dumpb's output.
 *
 * Like snprintf, the writer keeps counting when the buffer is full: len is the
 * size the whole text needs, and the buffer holds it only when len <= size.
 */

#include <jansson.h>
#include <stddef.h>

/* Nesting deeper than this is refused (-ELOOP): events are shallow, a cycle is not. */
#define JSON_WRITER_DEPTH_MAX 64

struct json_writer {
        char *buf;
        size_t size;
        size_t len;
};

static inline void json_writer_init(struct json_writer *w, char *buf, size_t size)
{
        *w = (struct json_writer){.buf = buf, .size = size};
}

/* Text that is already JSON (punctuation, a pre-escaped string). */
void json_writer_raw(struct json_writer *w, const char *text, size_t n);

/* A string with its quotes; -EILSEQ when s is not UTF-8. */
int json_writer_string(struct json_writer *w, const char *s, size_t n);

void json_writer_integer(struct json_writer *w, json_int_t v);

/* A real as jansson writes it at precision 6; -EDOM for NaN and infinities. */
int json_writer_real(struct json_writer *w, double v);

/* Any value, nested values included; -EILSEQ, -ELOOP or -EINVAL (NULL, unknown type). */
int json_writer_value(struct json_writer *w, const json_t *v);

/* "key":value, without the separator before it. */
int json_writer_member(struct json_writer *w, const char *key, size_t key_len, const json_t *v);
