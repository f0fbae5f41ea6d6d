/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <errno.h>
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

int parse_u64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned digit = (unsigned) (s[i] - '0');
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
 * The known keys of one parse, found by a small open-addressing table on (length,
 * first and last byte): memory.stat has about 50 lines of which 24 are known, and
 * a linear search per unknown line was most of a sample round's user time.
 */
#define KEY_SLOTS 128

struct key_lookup {
        const struct keyed_field *fields;
        size_t lens[64];
        uint8_t slots[KEY_SLOTS]; /* field index + 1; 0: empty */
};

static unsigned key_hash(const char *key, size_t len)
{
        return (unsigned) (len * 31u + (unsigned char) key[0] * 7u + (unsigned char) key[len - 1]) %
               KEY_SLOTS;
}

static void key_lookup_init(struct key_lookup *l, const struct keyed_field *fields, size_t n)
{
        l->fields = fields;
        memset(l->slots, 0, sizeof(l->slots));
        for (size_t i = 0; i < n; i++) {
                size_t len = fields[i].key_len ? fields[i].key_len : strlen(fields[i].key);
                l->lens[i] = len;
                if (len == 0)
                        continue;
                unsigned h = key_hash(fields[i].key, len);
                while (l->slots[h])
                        h = (h + 1) % KEY_SLOTS;
                l->slots[h] = (uint8_t) (i + 1);
        }
}

static int find_field(struct span key, const struct key_lookup *l)
{
        for (unsigned h = key_hash(key.p, key.len); l->slots[h]; h = (h + 1) % KEY_SLOTS) {
                unsigned i = l->slots[h] - 1u;
                if (l->lens[i] == key.len && memcmp(l->fields[i].key, key.p, key.len) == 0)
                        return (int) i;
        }
        return -1;
}

static int parse_keyed_line(struct span line, struct key_lookup *l, void *out, uint64_t *seen)
{
        struct span value = line;
        struct span key = span_split(&value, ' ');

        if (key.len == 0 || key.len == line.len)
                return -EINVAL;
        int i = find_field(key, l);
        if (i < 0)
                return 0;
        if (*seen & (UINT64_C(1) << i))
                return -EINVAL;

        uint64_t v;
        int r = parse_u64(value.p, value.len, &v);
        if (r < 0)
                return r;
        memcpy((char *) out + l->fields[i].offset, &v, sizeof(v));
        *seen |= UINT64_C(1) << i;
        return 0;
}

int parse_keyed(const char *buf, size_t len, const struct keyed_field *fields, size_t n_fields,
                void *out, uint64_t *ret_seen)
{
        struct span rest = strip_newline(buf, len);
        struct key_lookup lookup;
        struct span line;
        uint64_t seen = 0;

        if (n_fields > 64)
                return -E2BIG;
        if (rest.len == 0)
                return -EINVAL;
        key_lookup_init(&lookup, fields, n_fields);
        while (next_token(&rest, '\n', &line)) {
                int r = parse_keyed_line(line, &lookup, out, &seen);
                if (r < 0)
                        return r;
        }
        *ret_seen = seen;
        return 0;
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

int parse_psi(const char *buf, size_t len, struct psi_stats *ret)
{
        struct span rest = strip_newline(buf, len);
        struct psi_stats stats = {0};
        int has_some = 0;
        struct span line;

        if (rest.len == 0)
                return -EINVAL;
        while (next_token(&rest, '\n', &line)) {
                struct span fields = line;
                struct span kind = span_split(&fields, ' ');
                int is_some = span_eq(kind, "some");
                if (kind.len == 0 || kind.len == line.len)
                        return -EINVAL;
                if (!is_some && !span_eq(kind, "full"))
                        continue;
                int *seen = is_some ? &has_some : &stats.has_full;
                if (*seen)
                        return -EINVAL;
                *seen = 1;
                int r = parse_psi_fields(fields, is_some ? &stats.some : &stats.full);
                if (r < 0)
                        return r;
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
