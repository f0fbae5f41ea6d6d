/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal-native.h"
#include "base/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cgroupfs/macro.h"

void journal_buf_reset(struct journal_buf *b)
{
        b->len = 0;
}

void journal_buf_free(struct journal_buf *b)
{
        free(b->data);
        *b = (struct journal_buf){0};
}

static int journal_buf_reserve(struct journal_buf *b, size_t extra)
{
        if (extra > SIZE_MAX / 2 - b->len)
                return -ENOMEM;
        return GREEDY_REALLOC(b->data, b->cap, b->len + extra) ? 0 : -ENOMEM;
}

static void journal_buf_put(struct journal_buf *b, const void *p, size_t n)
{
        memcpy(b->data + b->len, p, n);
        b->len += n;
}

int journal_buf_append_field(struct journal_buf *b, const char *name, const char *value, size_t len)
{
        size_t name_len = strlen(name);
        int r = journal_buf_reserve(b, name_len + 1 + sizeof(uint64_t) + len + 1);
        if (r < 0)
                return r;
        journal_buf_put(b, name, name_len);
        if (memchr(value, '\n', len)) {
                uint8_t le[sizeof(uint64_t)];
                for (size_t i = 0; i < sizeof(le); i++)
                        le[i] = (uint8_t) ((uint64_t) len >> (8 * i));
                journal_buf_put(b, "\n", 1);
                journal_buf_put(b, le, sizeof(le));
        } else {
                journal_buf_put(b, "=", 1);
        }
        journal_buf_put(b, value, len);
        journal_buf_put(b, "\n", 1);
        return 0;
}

static char journal_name_char(char c)
{
        if (c >= 'a' && c <= 'z')
                return (char) (c - 'a' + 'A');
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                return c;
        return '_';
}

int journal_field_name(const char *prefix, const char *key, char ret[JOURNAL_FIELD_NAME_MAX + 1])
{
        size_t prefix_len = strlen(prefix), key_len = strlen(key);
        if (key_len == 0 || prefix_len + key_len > JOURNAL_FIELD_NAME_MAX)
                return -EINVAL;
        memcpy(ret, prefix, prefix_len);
        for (size_t i = 0; i < key_len; i++)
                ret[prefix_len + i] = journal_name_char(key[i]);
        ret[prefix_len + key_len] = '\0';
        if (ret[0] == '_')
                return -EINVAL;
        return 0;
}

int journal_socket_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}
