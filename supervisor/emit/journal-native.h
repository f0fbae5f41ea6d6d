/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * journald's native protocol, the part we need to send one entry per datagram:
 * https://systemd.io/JOURNAL_NATIVE_PROTOCOL/
 *
 * An entry is a list of fields. A value without '\n' goes as "NAME=value\n"; a
 * value with '\n' (or any binary data) as "NAME\n" + its length as a little-endian
 * 64-bit integer + the bytes + "\n".
 */

#include <stddef.h>

/* Field names: A-Z, 0-9 and '_', not starting with '_' (those are trusted fields), at most 64. */
#define JOURNAL_FIELD_NAME_MAX 64

#define JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"

/* A growable buffer that one datagram is built in; reused from entry to entry. */
struct journal_buf {
        char *data;
        size_t len, cap;
};

void journal_buf_reset(struct journal_buf *b);
void journal_buf_free(struct journal_buf *b);

/* Appends one field, choosing the text or the binary form from the value. */
int journal_buf_append_field(struct journal_buf *b, const char *name, const char *value,
                             size_t len);

/*
 * Builds prefix + key upper-cased into a valid field name (other characters become
 * '_'). Returns -EINVAL when the result would be longer than JOURNAL_FIELD_NAME_MAX
 * or the key is empty.
 */
int journal_field_name(const char *prefix, const char *key, char ret[JOURNAL_FIELD_NAME_MAX + 1]);

/*
 * A non-blocking, close-on-exec AF_UNIX datagram socket connected to path.
 * Returns the fd or -errno (-ENOENT: no journald socket there).
 */
int journal_socket_connect(const char *path);
