/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON text as jansson's json_dumpb writes it (see json-writer.h). The
 * references are jansson 2.14's dump.c (dump_string, do_dump), utf.c
 * (utf8_check_first, utf8_check_full) and strconv.c (jsonp_dtostr).
 */
#include "json-writer.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "-" 17 digits "." "e-308", with room to spare, as jansson's MAX_REAL_STR_LENGTH. */
#define REAL_TEXT_MAX   100
#define REAL_PRECISION  6
#define REAL_DIGITS_MIN 100000u  /* 10^(REAL_PRECISION - 1) */
#define REAL_DIGITS_END 1000000u /* 10^REAL_PRECISION */

static void put(struct json_writer *w, const void *text, size_t n)
{
        /* Like jansson's dump_to_buffer: a piece that does not fit is only counted. */
        if (w->len <= w->size && n <= w->size - w->len)
                memcpy(w->buf + w->len, text, n);
        w->len += n;
}

static void put_char(struct json_writer *w, char c)
{
        if (w->len < w->size)
                w->buf[w->len] = c;
        w->len++;
}

void json_writer_raw(struct json_writer *w, const char *text, size_t n)
{
        put(w, text, n);
}

/* ---- strings ---- */

enum byte_class {
        BYTE_PLAIN = 0, /* ASCII that stands for itself */
        BYTE_ESCAPE,    /* '"', '\\' and the controls below 0x20 */
        BYTE_LEAD2,     /* the first byte of a 2-, 3- or 4-byte UTF-8 sequence */
        BYTE_LEAD3,
        BYTE_LEAD4,
        BYTE_INVALID, /* a continuation byte, an overlong lead (C0, C1), beyond U+10FFFF (F5..FF) */
};

static const unsigned char byte_classes[256] = {
        [0x00 ... 0x1f] = BYTE_ESCAPE, ['"'] = BYTE_ESCAPE,
        ['\\'] = BYTE_ESCAPE,          [0x80 ... 0xc1] = BYTE_INVALID,
        [0xc2 ... 0xdf] = BYTE_LEAD2,  [0xe0 ... 0xef] = BYTE_LEAD3,
        [0xf0 ... 0xf4] = BYTE_LEAD4,  [0xf5 ... 0xff] = BYTE_INVALID,
};

/* The length of the UTF-8 sequence at p of n bytes (lead n), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end, size_t n)
{
        static const uint32_t lead_mask[5] = {0, 0, 0x1f, 0x0f, 0x07};
        static const uint32_t min_value[5] = {0, 0, 0x80, 0x800, 0x10000};
        uint32_t value = p[0] & lead_mask[n];

        if ((size_t) (end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                value = (value << 6) | (p[i] & 0x3f);
        }
        if (value < min_value[n] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
                return 0;
        return n;
}

/*
 * Whether one of the 8 bytes of x is not BYTE_PLAIN: below 0x20, '"', '\\', or
 * 0x80 and above (the classic "has a zero byte" and "has a byte less than n"
 * bit tricks, exact as a yes/no answer).
 */
static bool word_has_special(uint64_t x)
{
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
        uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
        uint64_t control = (x - ones * 0x20) & ~x;

        return ((control | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | x) &
                highs) != 0;
}

/* Where the run of BYTE_PLAIN bytes from p ends: a word at a time, then byte by byte. */
static const unsigned char *plain_run_end(const unsigned char *p, const unsigned char *end)
{
        uint64_t x;

        while (end - p >= 8) {
                memcpy(&x, p, sizeof(x));
                if (word_has_special(x))
                        break;
                p += 8;
        }
        while (p < end && byte_classes[*p] == BYTE_PLAIN)
                p++;
        return p;
}

static void escape_write(struct json_writer *w, unsigned char c)
{
        static const char hex[] = "0123456789ABCDEF";
        char text[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

        switch (c) {
        case '"':
        case '\\':
                text[1] = (char) c;
                break;
        case '\b':
                text[1] = 'b';
                break;
        case '\f':
                text[1] = 'f';
                break;
        case '\n':
                text[1] = 'n';
                break;
        case '\r':
                text[1] = 'r';
                break;
        case '\t':
                text[1] = 't';
                break;
        default:
                put(w, text, sizeof(text));
                return;
        }
        put(w, text, 2);
}

int json_writer_string(struct json_writer *w, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *) s, *end = p + n, *run = p;

        put_char(w, '"');
        while ((p = plain_run_end(p, end)) < end) {
                enum byte_class c = byte_classes[*p];
                if (c == BYTE_ESCAPE) {
                        put(w, run, (size_t) (p - run));
                        escape_write(w, *p);
                        run = ++p;
                } else {
                        size_t len = c == BYTE_INVALID
                                             ? 0
                                             : utf8_sequence_length(p, end, c - BYTE_LEAD2 + 2);
                        if (len == 0)
                                return -EILSEQ;
                        p += len;
                }
        }
        put(w, run, (size_t) (p - run));
        put_char(w, '"');
        return 0;
}

/* ---- numbers ---- */

void json_writer_integer(struct json_writer *w, json_int_t v)
{
        static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                    "25262728293031323334353637383940414243444546474849"
                                    "50515253545556575859606162636465666768697071727374"
                                    "75767778798081828384858687888990919293949596979899";
        char text[24], *p = text + sizeof(text);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long) v : (unsigned long long) v;

        /* Two digits per division: the numbers are byte counts, mostly 6 to 11 digits. */
        for (; u >= 100; u /= 100) {
                p -= 2;
                memcpy(p, pairs + u % 100 * 2, 2);
        }
        if (u >= 10) {
                p -= 2;
                memcpy(p, pairs + u * 2, 2);
        } else {
                *--p = (char) ('0' + u);
        }
        if (v < 0)
                *--p = '-';
        put(w, p, (size_t) (text + sizeof(text) - p));
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 uint128_t;

/* The integer part of m * 10^k / 2^shift, and whether the rest rounds it up (to nearest, even). */
static uint64_t scaled_whole(uint64_t m, int k, unsigned shift, bool *ret_round_up)
{
        static const uint64_t pow10[] = {1,      10,      100,      1000,      10000,
                                         100000, 1000000, 10000000, 100000000, 1000000000};
        uint128_t scaled = (uint128_t) m * pow10[k];
        uint128_t rest = scaled & (((uint128_t) 1 << shift) - 1),
                  half = (uint128_t) 1 << (shift - 1);
        uint64_t whole = (uint64_t) (scaled >> shift);

        *ret_round_up = rest > half || (rest == half && (whole & 1));
        return whole;
}

/*
 * v (positive, in [1e-4, 1e6)) to REAL_PRECISION significant digits, rounded
 * as glibc's printf rounds: the exact binary value, to nearest, ties to even.
 * v = m / 2^shift exactly, so v * 10^k is the 128-bit integer m * 10^k shifted
 * right, and the bits shifted out decide the rounding. Returns the digits as
 * an integer in [10^5, 10^6) and the decimal exponent of the first, or false
 * when the rounded value reaches 10^6 (where %g switches to the exponent form).
 */
static bool real_digits(double v, uint32_t *ret_digits, int *ret_exp10)
{
        static const double decades[] = {1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5};
        uint64_t bits;
        bool round_up;
        int exp10 = -4;

        memcpy(&bits, &v, sizeof(bits));
        uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
        unsigned shift = 1075u - (unsigned) (bits >> 52); /* 33..66 in this range */
        while (exp10 < 5 && v >= decades[exp10 + 4])
                exp10++;
        /* The decades are the nearest doubles, not powers of ten: one step off at most. */
        uint64_t whole = scaled_whole(m, 5 - exp10, shift, &round_up);
        if (whole >= REAL_DIGITS_END && exp10 < 5)
                whole = scaled_whole(m, 5 - ++exp10, shift, &round_up);
        else if (whole < REAL_DIGITS_MIN && exp10 > -4)
                whole = scaled_whole(m, 5 - --exp10, shift, &round_up);
        if (whole < REAL_DIGITS_MIN || whole >= REAL_DIGITS_END)
                return false;
        whole += round_up;
        if (whole == REAL_DIGITS_END) {
                whole = REAL_DIGITS_MIN;
                exp10++;
        }
        *ret_digits = (uint32_t) whole;
        *ret_exp10 = exp10;
        return exp10 <= 5;
}
#else
/* No 128-bit integers on this target: every real goes through snprintf. */
static bool real_digits(double v, uint32_t *ret_digits, int *ret_exp10)
{
        (void) v;
        (void) ret_digits;
        (void) ret_exp10;
        return false;
}
#endif

/* %g's fixed notation of the digits, trailing zeros dropped, ".0" for an integral value. */
static size_t real_fixed_format(char *p, uint32_t digits, int exp10)
{
        char d[REAL_PRECISION];
        size_t n = 0, significant = REAL_PRECISION;

        for (int i = REAL_PRECISION - 1; i >= 0; i--, digits /= 10)
                d[i] = (char) ('0' + digits % 10);
        while (significant > 1 && d[significant - 1] == '0')
                significant--;
        if (exp10 < 0) {
                p[n++] = '0';
                p[n++] = '.';
                for (int i = -1; i > exp10; i--)
                        p[n++] = '0';
                memcpy(p + n, d, significant);
                return n + significant;
        }
        size_t whole = (size_t) exp10 + 1;
        memcpy(p, d, whole);
        n = whole;
        p[n++] = '.';
        if (significant <= whole) {
                p[n++] = '0';
                return n;
        }
        memcpy(p + n, d + whole, significant - whole);
        return n + significant - whole;
}

/* jansson's jsonp_dtostr: snprintf "%.6g", the locale's decimal point, ".0", the exponent. */
static size_t real_printf_format(char text[static REAL_TEXT_MAX], double v)
{
        int r = snprintf(text, REAL_TEXT_MAX, "%.*g", REAL_PRECISION, v);
        if (r < 0 || r >= REAL_TEXT_MAX - 3)
                return 0;
        size_t n = (size_t) r;
        char point = localeconv()->decimal_point[0];
        char *at = point != '.' ? strchr(text, point) : NULL;
        if (at)
                *at = '.';
        if (!strchr(text, '.') && !strchr(text, 'e')) {
                memcpy(text + n, ".0", 3);
                return n + 2;
        }
        char *start = strchr(text, 'e');
        if (!start)
                return n;
        start++;
        char *end = start + 1;
        if (*start == '-')
                start++;
        while (*end == '0')
                end++;
        memmove(start, end, n + 1 - (size_t) (end - text));
        return n - (size_t) (end - start);
}

static size_t real_format(char text[static REAL_TEXT_MAX], double v)
{
        uint32_t digits;
        int exp10;

        if (v == 0) {
                const char *zero = signbit(v) ? "-0.0" : "0.0";
                size_t n = strlen(zero);
                memcpy(text, zero, n);
                return n;
        }
        if (fabs(v) >= 1e-4 && fabs(v) < 1e6 && real_digits(fabs(v), &digits, &exp10)) {
                size_t sign = v < 0;
                text[0] = '-';
                return sign + real_fixed_format(text + sign, digits, exp10);
        }
        return real_printf_format(text, v);
}

int json_writer_real(struct json_writer *w, double v)
{
        char text[REAL_TEXT_MAX];

        if (!isfinite(v))
                return -EDOM;
        size_t n = real_format(text, v);
        if (n == 0)
                return -EINVAL;
        put(w, text, n);
        return 0;
}

/* ---- values ---- */

static int value_write(struct json_writer *w, const json_t *v, unsigned depth);

static int member_write(struct json_writer *w, const char *key, size_t key_len, const json_t *v,
                        unsigned depth)
{
        int r = json_writer_string(w, key, key_len);
        if (r < 0)
                return r;
        put_char(w, ':');
        return value_write(w, v, depth);
}

static int object_write(struct json_writer *w, const json_t *o, unsigned depth)
{
        json_t *object = (json_t *) o; /* jansson's iterators do not take const */

        put_char(w, '{');
        for (void *it = json_object_iter(object), *first = it; it;
             it = json_object_iter_next(object, it)) {
                if (it != first)
                        put_char(w, ',');
                int r = member_write(w, json_object_iter_key(it), json_object_iter_key_len(it),
                                     json_object_iter_value(it), depth + 1);
                if (r < 0)
                        return r;
        }
        put_char(w, '}');
        return 0;
}

static int array_write(struct json_writer *w, const json_t *a, unsigned depth)
{
        size_t n = json_array_size(a);

        put_char(w, '[');
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        put_char(w, ',');
                int r = value_write(w, json_array_get(a, i), depth + 1);
                if (r < 0)
                        return r;
        }
        put_char(w, ']');
        return 0;
}

static int value_write(struct json_writer *w, const json_t *v, unsigned depth)
{
        if (!v)
                return -EINVAL;
        if (depth > JSON_WRITER_DEPTH_MAX)
                return -ELOOP;
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return object_write(w, v, depth);
        case JSON_ARRAY:
                return array_write(w, v, depth);
        case JSON_STRING:
                return json_writer_string(w, json_string_value(v), json_string_length(v));
        case JSON_INTEGER:
                json_writer_integer(w, json_integer_value(v));
                return 0;
        case JSON_REAL:
                return json_writer_real(w, json_real_value(v));
        case JSON_TRUE:
                put(w, "true", 4);
                return 0;
        case JSON_FALSE:
                put(w, "false", 5);
                return 0;
        case JSON_NULL:
                put(w, "null", 4);
                return 0;
        }
        return -EINVAL;
}

int json_writer_value(struct json_writer *w, const json_t *v)
{
        return value_write(w, v, 0);
}

int json_writer_member(struct json_writer *w, const char *key, size_t key_len, const json_t *v)
{
        return member_write(w, key, key_len, v, 1);
}
