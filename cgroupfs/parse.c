/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* A view of bytes that are not NUL-terminated: the parsers never read past len. */
struct span {
        const char *p;
        size_t len;
};

static int span_eq(struct span s, const char *word)
{
        size_t n = strlen(word);
        return s.len == n && memcmp(s.p, word, n) == 0;
}

/* Splits off everything up to sep (exclusive); the rest starts after sep. */
static struct span span_split(struct span *rest, char sep)
{
        const char *at = memchr(rest->p, sep, rest->len);
        size_t n = at ? (size_t) (at - rest->p) : rest->len;
        struct span head = {rest->p, n};
        size_t skip = at ? n + 1 : n;
        rest->p += skip;
        rest->len -= skip;
        return head;
}

/*
 * Yields the sep-separated tokens (lines, words) of a body whose final newline was
 * stripped; a NULL p marks the end, so an empty token in the middle or at the end is
 * still yielded, and rejected by the caller.
 */
static int next_token(struct span *rest, char sep, struct span *ret_line)
{
        if (!rest->p)
                return 0;
        const char *nl = memchr(rest->p, sep, rest->len);
        if (!nl) {
                *ret_line = *rest;
                *rest = (struct span){NULL, 0};
                return 1;
        }
        size_t n = (size_t) (nl - rest->p);
        *ret_line = (struct span){rest->p, n};
        rest->p = nl + 1;
        rest->len -= n + 1;
        return 1;
}

/* Any 19 digits fit in 64 bits (10^19 - 1 < 2^64): only a 20th needs a check. */
#define U64_SAFE_DIGITS 19

int parse_u64(const char *s, size_t len, uint64_t *ret)
{
        size_t fast = len < U64_SAFE_DIGITS ? len : U64_SAFE_DIGITS;
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < fast; i++) {
                unsigned digit = (unsigned char) s[i] - (unsigned) '0';
                if (digit > 9)
                        return -EINVAL;
                v = v * 10 + digit;
        }
        for (size_t i = fast; i < len; i++) {
                unsigned digit = (unsigned char) s[i] - (unsigned) '0';
                if (digit > 9)
                        return -EINVAL;
                /* Constants only: a division per digit was a tenth of a sample round. */
                if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && digit > UINT64_MAX % 10))
                        return -ERANGE;
                v = v * 10 + digit;
        }
        *ret = v;
        return 0;
}

/* Drops the one trailing newline the kernel writes; a file may also lack it. */
static struct span strip_newline(const char *buf, size_t len)
{
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        return (struct span){buf, len};
}

int parse_single_value(const char *buf, size_t len, int allow_max, uint64_t *ret)
{
        struct span s = strip_newline(buf, len);

        if (allow_max && span_eq(s, "max")) {
                *ret = CG_VALUE_MAX;
                return 0;
        }
        return parse_u64(s.p, s.len, ret);
}

/*
 * Word-at-a-time scanning: a flat-keyed line is a key of 3 to 30 bytes, a space, a
 * number and a newline, and finding the space and the newline a byte at a time, or
 * with a memchr() call each, was most of a sample round. Words are read with
 * memcpy() from inside [p, end) only, as little-endian numbers, so that the first
 * byte in memory is the lowest one on any host.
 */
#define ONES     UINT64_C(0x0101010101010101)
#define HIGHS    UINT64_C(0x8080808080808080)
#define _always_ inline __attribute__((always_inline))

static _always_ uint64_t load_le64(const char *p)
{
        uint64_t w;
        memcpy(&w, p, sizeof(w));
        return le64toh(w);
}

/* The n < 8 bytes at p as load_le64() would see them followed by zero bytes. */
static uint64_t load_le_partial(const char *p, size_t n)
{
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++)
                w |= (uint64_t) (unsigned char) p[i] << (8 * i);
        return w;
}

/* The n < 8 first bytes of w. */
static _always_ uint64_t low_bytes(uint64_t w, size_t n)
{
        return w & ((UINT64_C(1) << (8 * n)) - 1);
}

/*
 * A mask whose lowest set bit is the high bit of the first byte of w below 0x21
 * (space, newline or another control byte); 0 if there is none. Bits above that
 * one may be wrong (borrows), so only the lowest one is used.
 */
static _always_ uint64_t first_below_0x21(uint64_t w)
{
        return (w - ONES * 0x21) & ~w & HIGHS;
}

/* The same for the first newline byte. */
static _always_ uint64_t first_newline(uint64_t w)
{
        uint64_t x = w ^ (ONES * '\n');
        return (x - ONES) & ~x & HIGHS;
}

static _always_ size_t lowest_byte(uint64_t mask)
{
        return (size_t) __builtin_ctzll(mask) / 8;
}

/* The first byte at or after p that is at most ' ', or end. */
static _always_ const char *find_below_0x21(const char *p, const char *end)
{
        for (; end - p >= 8; p += 8) {
                uint64_t m = first_below_0x21(load_le64(p));
                if (m)
                        return p + lowest_byte(m);
        }
        while (p < end && (unsigned char) *p > ' ')
                p++;
        return p;
}

/* The first newline at or after p, or end. */
static _always_ const char *find_newline(const char *p, const char *end)
{
        for (; end - p >= 8; p += 8) {
                uint64_t m = first_newline(load_le64(p));
                if (m)
                        return p + lowest_byte(m);
        }
        while (p < end && *p != '\n')
                p++;
        return p;
}

/*
 * The known keys, found by an open-addressing table on (first 8 bytes, last 8 bytes,
 * length): memory.stat has about 50 lines of which 24 are known. A key is confirmed
 * by comparing those words and, past 16 bytes, the words between.
 */
static _always_ unsigned key_slot(uint64_t head, uint64_t tail, size_t len)
{
        uint64_t x = (head + tail * 3 + len) * UINT64_C(0x9e3779b97f4a7c15);
        return (unsigned) (x >> (64 - KEYED_INDEX_SLOT_BITS));
}

int keyed_index_init(struct keyed_index *index, const struct keyed_field *fields, size_t n_fields)
{
        if (n_fields > 64)
                return -E2BIG;
        index->fields = fields;
        memset(index->slots, 0, sizeof(index->slots));
        for (size_t i = 0; i < n_fields; i++) {
                const char *key = fields[i].key;
                size_t len = fields[i].key_len ? fields[i].key_len : strlen(key);
                index->len[i] = len;
                /* An empty key matches no line: a line's key is never empty. */
                if (len == 0)
                        continue;
                index->head[i] = len >= 8 ? load_le64(key) : load_le_partial(key, len);
                index->tail[i] = len >= 8 ? load_le64(key + len - 8) : index->head[i];
                unsigned h = key_slot(index->head[i], index->tail[i], len);
                while (index->slots[h])
                        h = (h + 1) % KEYED_INDEX_SLOTS;
                index->slots[h] = (uint8_t) (i + 1);
        }
        return 0;
}

/* The field whose key is the len bytes at key, with its words head and tail, or -1. */
static _always_ int keyed_index_find(const struct keyed_index *index, const char *key, size_t len,
                                     uint64_t head, uint64_t tail)
{
        for (unsigned h = key_slot(head, tail, len); index->slots[h];
             h = (h + 1) % KEYED_INDEX_SLOTS) {
                unsigned i = index->slots[h] - 1u;
                if (index->head[i] != head || index->tail[i] != tail || index->len[i] != len)
                        continue;
                /* Head and tail cover 16 bytes; a longer key is compared in between too. */
                const char *want = index->fields[i].key;
                size_t at = 8;
                while (at + 8 < len && load_le64(want + at) == load_le64(key + at))
                        at += 8;
                if (at + 8 >= len)
                        return (int) i;
        }
        return -1;
}

/*
 * Where the key of the line at p ends (its first space) and its words, the general
 * way: a key may hold any byte but space and newline. NULL if the line has no
 * space or an empty key.
 */
static const char *key_end_slow(const char *p, const char *end, uint64_t *ret_head,
                                uint64_t *ret_tail)
{
        const char *sp = p;

        while (sp < end && *sp != ' ' && *sp != '\n')
                sp++;
        if (sp == end || *sp != ' ' || sp == p)
                return NULL;
        size_t len = (size_t) (sp - p);
        *ret_head = len >= 8 ? load_le64(p) : load_le_partial(p, len);
        *ret_tail = len >= 8 ? load_le64(sp - 8) : *ret_head;
        return sp;
}

/*
 * The end of the key of the line at p, and its words. The first word holds the
 * whole key for keys up to 7 bytes; longer ones are scanned on.
 */
static _always_ const char *key_end(const char *p, const char *end, uint64_t *ret_head,
                                    uint64_t *ret_tail)
{
        const char *sp;

        if (end - p < 8)
                return key_end_slow(p, end, ret_head, ret_tail);
        uint64_t w = load_le64(p);
        uint64_t m = first_below_0x21(w);
        if (m) {
                size_t len = lowest_byte(m);
                sp = p + len;
                *ret_head = *ret_tail = low_bytes(w, len);
        } else {
                sp = find_below_0x21(p + 8, end);
                *ret_head = w;
                *ret_tail = load_le64(sp - 8);
        }
        /* A control byte but newline in the key, a line without a value, an empty key. */
        if (sp == end || *sp != ' ' || sp == p)
                return key_end_slow(p, end, ret_head, ret_tail);
        return sp;
}

/*
 * The number of decimal digits the bytes of w start with (8: all). Exact for the
 * first byte that is not a digit: only a byte above 0xf9, which is no digit, carries
 * out of "+ 6", and bits above the first non-digit are not used.
 */
static _always_ size_t leading_digits(uint64_t w)
{
        const uint64_t nibbles = ONES * 0xf0, zeros = ONES * '0';
        uint64_t not_digit = ((w & nibbles) ^ zeros) | (((w + ONES * 6) & nibbles) ^ zeros);
        return not_digit ? lowest_byte(not_digit) : 8;
}

/*
 * The value of the n (1 to 8) digits w starts with: the digits moved to the top, then
 * pairs, quadruples and the eight combined by multiplications, all in one word.
 */
static _always_ uint64_t digits_value(uint64_t w, size_t n)
{
        uint64_t d = (w - ONES * '0') << (8 * (8 - n));
        d = d * 10 + (d >> 8); /* bytes 0, 2, 4, 6: pairs of digits, 0..99 */
        const uint64_t pairs = UINT64_C(0x000000ff000000ff);
        return ((d & pairs) * (100 + (UINT64_C(1000000) << 32)) +
                ((d >> 16) & pairs) * (1 + (UINT64_C(10000) << 32))) >>
               32;
}

/*
 * The decimal value of a known key, from p to the end of its line: up to 15 digits
 * a word at a time, up to 19 a digit at a time; anything else (more digits, a stray
 * byte) is parse_u64()'s to judge. Returns the end of the line.
 */
static _always_ const char *parse_keyed_value(const char *p, const char *end, uint64_t *ret,
                                              int *ret_r)
{
        static const uint64_t pow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

        /* Many counters are 0, or another single digit. */
        if (end - p >= 2 && (unsigned char) p[0] - (unsigned) '0' <= 9 && p[1] == '\n') {
                *ret = (unsigned char) p[0] - (unsigned) '0';
                *ret_r = 0;
                return p + 1;
        }
        if (end - p >= 8) {
                uint64_t w = load_le64(p);
                size_t n = leading_digits(w);
                if (n - 1 < 7 && p[n] == '\n') {
                        *ret = digits_value(w, n);
                        *ret_r = 0;
                        return p + n;
                }
                if (n == 8 && end - p >= 16) {
                        uint64_t w2 = load_le64(p + 8);
                        size_t n2 = leading_digits(w2);
                        if (n2 < 8 && p[8 + n2] == '\n') {
                                uint64_t v = digits_value(w, 8);
                                if (n2)
                                        v = v * pow10[n2] + digits_value(w2, n2);
                                *ret = v;
                                *ret_r = 0;
                                return p + 8 + n2;
                        }
                }
        }

        const char *q = p;
        uint64_t v = 0;
        unsigned digit;
        /* More than 19 digits may have wrapped v: they go the slow way. */
        for (; q < end && (digit = (unsigned char) *q - (unsigned) '0') <= 9; q++)
                v = v * 10 + digit;
        if ((size_t) (q - p) - 1 < U64_SAFE_DIGITS && (q == end || *q == '\n')) {
                *ret = v;
                *ret_r = 0;
                return q;
        }
        q = find_newline(q, end);
        *ret_r = parse_u64(p, (size_t) (q - p), ret);
        return q;
}

/* Whether line j as learned is the key at p, followed by its space. */
static _always_ bool layout_line_matches(const struct keyed_layout_line *e, const char *p,
                                         const char *end)
{
        if ((size_t) (end - p) < e->need)
                return false;
        uint64_t head = load_le64(p) & e->mask, tail = load_le64(p + e->tail_at) & e->mask;
        if ((head ^ e->head) | (tail ^ e->tail))
                return false;
        if (e->len >= 16 && load_le64(p + 8) != e->mid[0])
                return false;
        return e->len < 24 || load_le64(p + 16) == e->mid[1];
}

static void layout_learn(struct keyed_layout *layout, size_t j, const char *key, size_t len,
                         int field, size_t offset)
{
        struct keyed_layout_line *e = &layout->lines[j];
        char k[KEYED_LAYOUT_KEY_MAX + 1] = {0};

        /* A key longer than the words hold is looked up every time. */
        if (len > KEYED_LAYOUT_KEY_MAX || offset > UINT32_MAX) {
                e->need = UINT16_MAX;
                return;
        }
        memcpy(k, key, len);
        k[len] = ' ';
        e->len = (uint8_t) len;
        e->need = (uint16_t) (len + 1 > 8 ? len + 1 : 8);
        /* Key and space: one masked word up to 7 key bytes, else first and last 8. */
        e->mask = len >= 7 ? UINT64_MAX : low_bytes(UINT64_MAX, len + 1);
        e->tail_at = (uint8_t) (len >= 7 ? len - 7 : 0);
        e->head = load_le64(k) & e->mask;
        e->tail = load_le64(k + e->tail_at) & e->mask;
        e->mid[0] = load_le64(k + 8);
        e->mid[1] = load_le64(k + 16);
        e->bit = field < 0 ? 0 : UINT64_C(1) << field;
        e->offset = (uint32_t) offset;
        if (layout->n_lines <= j)
                layout->n_lines = j + 1;
}

/*
 * One pass over the lines: the key up to the first space (a line without one, or
 * with an empty key, is malformed), then a known key's number up to the newline, or
 * an unknown key's line skipped whatever it holds.
 */
int parse_keyed_indexed(const char *buf, size_t len, const struct keyed_index *index,
                        struct keyed_layout *layout, void *out, uint64_t *ret_seen)
{
        struct span body = strip_newline(buf, len);
        const char *p = body.p, *end = body.p + body.len;
        uint64_t seen = 0;

        if (body.len == 0)
                return -EINVAL;
        if (layout && layout->index != index) {
                layout->index = index;
                layout->n_lines = 0;
        }
        size_t n_learned = layout ? layout->n_lines : 0;
        for (size_t j = 0;; j++) {
                const char *sp;
                uint64_t bit;
                size_t offset;
                if (j < n_learned && layout_line_matches(&layout->lines[j], p, end)) {
                        const struct keyed_layout_line *e = &layout->lines[j];
                        sp = p + e->len;
                        bit = e->bit;
                        offset = e->offset;
                } else {
                        uint64_t head, tail;
                        sp = key_end(p, end, &head, &tail);
                        if (!sp)
                                return -EINVAL;
                        int i = keyed_index_find(index, p, (size_t) (sp - p), head, tail);
                        bit = i < 0 ? 0 : UINT64_C(1) << i;
                        offset = i < 0 ? 0 : index->fields[i].offset;
                        if (layout && j < KEYED_LAYOUT_LINES)
                                layout_learn(layout, j, p, (size_t) (sp - p), i, offset);
                }

                const char *line_end;
                if (!bit) {
                        line_end = find_newline(sp + 1, end);
                } else {
                        if (seen & bit)
                                return -EINVAL;
                        uint64_t v;
                        int r;
                        line_end = parse_keyed_value(sp + 1, end, &v, &r);
                        if (r < 0)
                                return r;
                        memcpy((char *) out + offset, &v, sizeof(v));
                        seen |= bit;
                }
                if (line_end == end)
                        break;
                p = line_end + 1;
        }
        *ret_seen = seen;
        return 0;
}

int parse_keyed(const char *buf, size_t len, const struct keyed_field *fields, size_t n_fields,
                void *out, uint64_t *ret_seen)
{
        struct keyed_index index;

        int r = keyed_index_init(&index, fields, n_fields);
        if (r < 0)
                return r;
        return parse_keyed_indexed(buf, len, &index, NULL, out, ret_seen);
}

/* An average as the kernel prints it, "%lu.%02lu", in hundredths. */
static int parse_psi_avg(struct span s, uint32_t *ret)
{
        uint64_t whole, frac;

        if (s.len < 4 || s.p[s.len - 3] != '.')
                return -EINVAL;
        int r = parse_u64(s.p, s.len - 3, &whole);
        if (r < 0)
                return r;
        r = parse_u64(s.p + s.len - 2, 2, &frac);
        if (r < 0)
                return r;
        if (whole > (UINT32_MAX - frac) / 100)
                return -ERANGE;
        *ret = (uint32_t) (whole * 100 + frac);
        return 0;
}

static int parse_psi_field(int index, struct span value, struct psi_line *line)
{
        uint32_t *avgs[] = {&line->avg10, &line->avg60, &line->avg300};

        if (index == 3)
                return parse_u64(value.p, value.len, &line->total_usec);
        return parse_psi_avg(value, avgs[index]);
}

/* Parses the "avg10=… avg60=… avg300=… total=…" part of a PSI line. */
static int parse_psi_fields(struct span fields, struct psi_line *ret)
{
        static const char *const names[] = {"avg10", "avg60", "avg300", "total"};
        struct psi_line line = {0};
        struct span token;
        unsigned seen = 0;

        while (next_token(&fields, ' ', &token)) {
                struct span value = token;
                struct span name = span_split(&value, '=');
                if (name.len == 0 || name.len == token.len)
                        return -EINVAL;
                for (int i = 0; i < (int) (sizeof(names) / sizeof(names[0])); i++) {
                        if (!span_eq(name, names[i]))
                                continue;
                        if (seen & (1u << i))
                                return -EINVAL;
                        seen |= 1u << i;
                        int r = parse_psi_field(i, value, &line);
                        if (r < 0)
                                return r;
                }
        }
        if (seen != 0xf)
                return -EINVAL;
        *ret = line;
        return 0;
}

/* Takes the n bytes of lit at *p. */
static _always_ bool take(const char **p, const char *end, const char *lit, size_t n)
{
        if ((size_t) (end - *p) < n || memcmp(*p, lit, n) != 0)
                return false;
        *p += n;
        return true;
}

/*
 * Takes an average of 1 to 7 whole digits (which cannot overflow) and exactly two
 * decimals, "%lu.%02lu". Whatever follows is the caller's to check.
 */
static _always_ bool take_psi_avg(const char **pp, const char *end, uint32_t *ret)
{
        const char *p = *pp;

        /*
         * Most averages are below 10%: "d.dd" checked as one word. After the XOR the
         * point's byte is 0 and each digit's 0..9; adding 0x76 sets bit 7 of a digit
         * byte from 10 up, and a byte from 0x80 has it already. A carry out of a bad
         * byte only reaches bytes above it, and the word is rejected anyway.
         */
        if (end - p >= 8) {
                uint64_t x = load_le64(p) ^ UINT64_C(0x30302e30); /* "0.00" */
                uint64_t bad = ((x | (x + UINT64_C(0x76760076))) & UINT64_C(0x80800080)) |
                               (x & UINT64_C(0xff00));
                if (!bad) {
                        *ret = (uint32_t) ((x & 0xff) * 100 + ((x >> 16) & 0xff) * 10 +
                                           ((x >> 24) & 0xff));
                        *pp = p + 4;
                        return true;
                }
        }

        const char *lim = end - p > 7 ? p + 7 : end;
        uint32_t whole = 0;
        unsigned digit;
        for (; p < lim && (digit = (unsigned char) *p - (unsigned) '0') <= 9; p++)
                whole = whole * 10 + digit;
        if (p == *pp || end - p < 3 || p[0] != '.')
                return false;
        unsigned tenths = (unsigned char) p[1] - (unsigned) '0';
        unsigned hundredths = (unsigned char) p[2] - (unsigned) '0';
        if (tenths > 9 || hundredths > 9)
                return false;
        *ret = whole * 100 + tenths * 10 + hundredths;
        *pp = p + 3;
        return true;
}

/* Takes 1 to 19 digits; a 20th is left, for the caller to fail on. */
static _always_ bool take_u64(const char **pp, const char *end, uint64_t *ret)
{
        const char *p = *pp;
        const char *lim = end - p > U64_SAFE_DIGITS ? p + U64_SAFE_DIGITS : end;
        uint64_t v = 0;
        unsigned digit;

        for (; p < lim && (digit = (unsigned char) *p - (unsigned) '0') <= 9; p++)
                v = v * 10 + digit;
        if (p == *pp)
                return false;
        *ret = v;
        *pp = p;
        return true;
}

/*
 * The fields of a PSI line exactly as the kernel prints them (kernel/sched/psi.c,
 * psi_show(): "avg10=%lu.%02lu avg60=%lu.%02lu avg300=%lu.%02lu total=%llu"), in one
 * pass. Returns the end of the line, or NULL for any other layout, which the general
 * parser then judges: this path only accepts what that one accepts, with the same
 * values.
 */
static const char *psi_fields_fast(const char *p, const char *end, struct psi_line *ret)
{
        struct psi_line line = {0};

        if (!take(&p, end, "avg10=", 6) || !take_psi_avg(&p, end, &line.avg10) ||
            !take(&p, end, " avg60=", 7) || !take_psi_avg(&p, end, &line.avg60) ||
            !take(&p, end, " avg300=", 8) || !take_psi_avg(&p, end, &line.avg300) ||
            !take(&p, end, " total=", 7) || !take_u64(&p, end, &line.total_usec) ||
            (p < end && *p != '\n'))
                return NULL;
        *ret = line;
        return p;
}

/* A line of another kind is ignored, but it still needs a kind and a space. */
static int check_other_psi_line(struct span line)
{
        struct span fields = line;
        struct span kind = span_split(&fields, ' ');

        return kind.len == 0 || kind.len == line.len ? -EINVAL : 0;
}

int parse_psi(const char *buf, size_t len, struct psi_stats *ret)
{
        struct span body = strip_newline(buf, len);
        const char *p = body.p, *end = body.p + body.len;
        struct psi_stats stats = {0};
        int has_some = 0;

        if (body.len == 0)
                return -EINVAL;
        for (;;) {
                const char *line_end;
                int is_some = take(&p, end, "some ", 5);
                if (is_some || take(&p, end, "full ", 5)) {
                        int *seen = is_some ? &has_some : &stats.has_full;
                        struct psi_line *target = is_some ? &stats.some : &stats.full;
                        if (*seen)
                                return -EINVAL;
                        *seen = 1;
                        line_end = psi_fields_fast(p, end, target);
                        if (!line_end) {
                                /* Another order, unknown fields, or malformed. */
                                line_end = find_newline(p, end);
                                int r = parse_psi_fields((struct span){p, (size_t) (line_end - p)},
                                                         target);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        line_end = find_newline(p, end);
                        int r = check_other_psi_line((struct span){p, (size_t) (line_end - p)});
                        if (r < 0)
                                return r;
                }
                if (line_end == end)
                        break;
                p = line_end + 1;
        }
        if (!has_some)
                return -EINVAL;
        *ret = stats;
        return 0;
}

int word_list_contains(const char *buf, size_t len, const char *word)
{
        struct span rest = strip_newline(buf, len);
        struct span token;

        if (rest.len == 0)
                return 0;
        while (next_token(&rest, ' ', &token))
                if (span_eq(token, word))
                        return 1;
        return 0;
}

/* "<blanks><decimal>[ kB]": the value in bytes. */
static int parse_amount(const char *s, size_t len, uint64_t *ret)
{
        size_t i = 0, unit = 1;
        uint64_t v;

        while (i < len && (s[i] == ' ' || s[i] == '\t'))
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

static int colon_field_of(const struct colon_field *fields, size_t n, const char *key, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (fields[i].len == len && memcmp(fields[i].key, key, len) == 0)
                        return (int) i;
        return -1;
}

static int parse_colon_line(const char *line, size_t len, const struct colon_field *fields,
                            size_t n, void *out, uint32_t *seen)
{
        const char *colon = memchr(line, ':', len);
        if (!colon)
                return -EINVAL;
        int f = colon_field_of(fields, n, line, (size_t) (colon - line));
        if (f < 0)
                return 0;
        if (*seen & (UINT32_C(1) << f))
                return -EINVAL;
        *seen |= UINT32_C(1) << f;
        size_t rest = len - (size_t) (colon + 1 - line);
        return parse_amount(colon + 1, rest, (uint64_t *) ((char *) out + fields[f].offset));
}

int parse_colon_keyed(const char *buf, size_t len, const struct colon_field *fields,
                      size_t n_fields, void *out)
{
        uint32_t seen = 0;

        if (n_fields > 32)
                return -EINVAL;
        for (size_t at = 0; at < len;) {
                const char *nl = memchr(buf + at, '\n', len - at);
                size_t n = nl ? (size_t) (nl - (buf + at)) : len - at;
                int r = parse_colon_line(buf + at, n, fields, n_fields, out, &seen);
                if (r < 0)
                        return r;
                at += n + 1;
        }
        for (size_t i = 0; i < n_fields; i++)
                if (fields[i].required && !(seen & (UINT32_C(1) << i)))
                        return -EINVAL;
        return 0;
}
