/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

/* Large enough for memory.stat on 6.x kernels (about 1.5 KiB) in one read. */
#define READ_BUF_INITIAL 4096
/* mountinfo on a node with many pods is the largest file read; nothing sane is larger. */
#define READ_BUF_MAX (64 * 1024 * 1024)

void read_buf_free(struct read_buf *buf)
{
        free(buf->data);
        *buf = (struct read_buf){0};
}

int cg_open(int dirfd, const char *name, int flags)
{
        int fd = openat(dirfd, name, flags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

int cg_open_dir(int dirfd, const char *name)
{
        return cg_open(dirfd, name, O_RDONLY | O_DIRECTORY);
}

static int read_buf_grow(struct read_buf *buf)
{
        size_t size = buf->size ? buf->size * 2 : READ_BUF_INITIAL;
        if (size > READ_BUF_MAX)
                return -EFBIG;
        char *data = realloc(buf->data, size);
        if (!data)
                return -ENOMEM;
        buf->data = data;
        buf->size = size;
        return 0;
}

static int pread_to_eof(int fd, struct read_buf *buf, int short_read_is_eof)
{
        size_t len = 0;

        for (;;) {
                if (buf->size - len < 2) {
                        int r = read_buf_grow(buf);
                        if (r < 0)
                                return r;
                }
                size_t want = buf->size - len - 1;
                ssize_t n = pread(fd, buf->data + len, want, (off_t) len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                len += (size_t) n;
                if (n == 0 || (short_read_is_eof && (size_t) n < want))
                        break;
        }
        buf->data[len] = '\0';
        buf->len = len;
        return 0;
}

/*
 * A short read is EOF here: a cgroupfs file is one kernfs seq_file record that
 * the kernel renders whole and copies as much of as fits (fs/kernfs/file.c,
 * fs/seq_file.c), and regular files (fixtures) only return short at EOF. Only a
 * full buffer needs another read, so a sample costs one pread per file.
 */
int cg_pread_all(int fd, struct read_buf *buf)
{
        return pread_to_eof(fd, buf, 1);
}

/* Multi-record seq files such as /proc/self/mountinfo return a page at a time. */
int read_file_to_eof(int dirfd, const char *name, struct read_buf *buf)
{
        _cleanup_close_ int fd = cg_open(dirfd, name, O_RDONLY);
        if (fd < 0)
                return fd;
        return pread_to_eof(fd, buf, 0);
}

int cg_read_at(int dirfd, const char *name, struct read_buf *buf)
{
        _cleanup_close_ int fd = cg_open(dirfd, name, O_RDONLY);
        if (fd < 0)
                return fd;
        return cg_pread_all(fd, buf);
}

int cg_write_at(int dirfd, const char *name, const char *value)
{
        _cleanup_close_ int fd = cg_open(dirfd, name, O_WRONLY);
        if (fd < 0)
                return fd;
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

int cg_child_has_file(int rootfd, const char *file)
{
        /* Its own open file: rootfd may be O_PATH, and readdir moves the offset. */
        int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        char path[NAME_MAX + 64];
        int found = 0;
        for (struct dirent *e; !found && (e = readdir(d));) {
                /* d_type may be DT_UNKNOWN (fixture trees): a file has no "name/file" below it. */
                if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", e->d_name, file);
                found = faccessat(dirfd(d), path, F_OK, 0) == 0;
        }
        closedir(d);
        return found;
}

/* A removed cgroup's directory fd stays valid but its files are gone. */
int cg_alive(int dirfd)
{
        return faccessat(dirfd, "cgroup.controllers", F_OK, 0) == 0;
}
