/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "self-cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "cgroupfs/walk.h"

/* Names separated by single slashes, none of them "." or "..", no NUL: as the kernel prints. */
static bool path_is_clean(const char *path, size_t len)
{
        for (size_t at = 0; at < len;) {
                const char *name = path + at;
                const char *slash = memchr(name, '/', len - at);
                size_t n = slash ? (size_t) (slash - name) : len - at;
                if (n == 0 || memchr(name, '\0', n) || (n == 1 && name[0] == '.') ||
                    (n == 2 && name[0] == '.' && name[1] == '.'))
                        return false;
                at += n + 1;
                if (at == len)
                        return false; /* a trailing slash */
        }
        return true;
}

static bool starts_above(const char *path, size_t len)
{
        return len >= 2 && path[0] == '.' && path[1] == '.' && (len == 2 || path[2] == '/');
}

int self_cgroup_parse(const char *text, size_t len, char *ret, size_t size)
{
        const char *end = text + len;

        for (const char *line = text; line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                size_t n = (size_t) ((nl ? nl : end) - line);
                if (n >= 4 && memcmp(line, "0::/", 4) == 0) {
                        const char *path = line + 4;
                        size_t path_len = n - 4;
                        if (starts_above(path, path_len))
                                path_len = 0;
                        else if (!path_is_clean(path, path_len))
                                return -EINVAL;
                        if (path_len >= size)
                                return -ENAMETOOLONG;
                        memcpy(ret, path, path_len);
                        ret[path_len] = '\0';
                        return 0;
                }
                line += n + 1;
        }
        return -ENOENT;
}

int procs_list_pid(const char *text, size_t len, pid_t pid)
{
        const char *end = text + len;
        int found = 0;

        for (const char *line = text; line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                size_t n = (size_t) ((nl ? nl : end) - line);
                uint64_t v;
                if (n > 0) {
                        if (parse_u64(line, n, &v) < 0)
                                return -EINVAL;
                        found |= v == (uint64_t) pid;
                }
                line += n + 1;
        }
        return found;
}

/* 1 if dirfd's cgroup.procs lists pid; 0 if not, or if it cannot be read. */
static int holds_pid(int dirfd, pid_t pid, struct read_buf *buf)
{
        if (cg_read_at(dirfd, "cgroup.procs", buf) < 0)
                return 0;
        return procs_list_pid(buf->data, buf->len, pid) > 0;
}

static int ends_with_path(const char *path, const char *suffix)
{
        size_t n = strlen(path), m = strlen(suffix);

        if (m == 0)
                return 1;
        return n >= m && strcmp(path + n - m, suffix) == 0 && (n == m || path[n - m - 1] == '/');
}

struct search {
        const char *ns_path;
        pid_t pid;
        struct read_buf buf;
        char *ret;
        size_t size;
        int found;
};

static int search_fn(const struct cg_walk_entry *e, void *userdata)
{
        struct search *s = userdata;

        if (!ends_with_path(e->path, s->ns_path) || !holds_pid(e->dirfd, s->pid, &s->buf))
                return 0;
        if (strlen(e->path) >= s->size)
                return -ENAMETOOLONG;
        strcpy(s->ret, e->path);
        s->found = 1;
        return -ECANCELED; /* stops the walk */
}

int self_cgroup_find(int rootfd, const char *ns_path, pid_t pid, char *ret, size_t size)
{
        struct search s = {.ns_path = ns_path, .pid = pid, .ret = ret, .size = size};
        _cleanup_close_ int fd = cg_open_dir(rootfd, ns_path[0] ? ns_path : ".");
        int r;

        if (fd >= 0 && holds_pid(fd, pid, &s.buf)) {
                r = strlen(ns_path) < size ? 0 : -ENAMETOOLONG;
                if (r == 0)
                        strcpy(ret, ns_path);
        } else {
                r = cg_walk(rootfd, search_fn, &s);
                r = s.found ? 0 : r < 0 ? r : -ESRCH;
        }
        read_buf_free(&s.buf);
        return r;
}
