/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "io.h"
#include "macro.h"
#include "parse.h"

struct walker {
        cg_walk_fn fn;
        void *userdata;
        struct read_buf buf;
        char path[PATH_MAX];
        size_t path_len;
};

/* 1 if the cgroup passes the memory controller to its children, 0 if not, or -errno. */
static int delegates_memory(struct walker *w, int dirfd)
{
        int r = cg_read_at(dirfd, "cgroup.subtree_control", &w->buf);
        if (r < 0)
                return r;
        return word_list_contains(w->buf.data, w->buf.len, "memory");
}

static int path_push(struct walker *w, const char *name)
{
        size_t n = strlen(name);
        size_t sep = w->path_len ? 1 : 0;

        if (w->path_len + sep + n >= sizeof(w->path))
                return -ENAMETOOLONG;
        if (sep)
                w->path[w->path_len] = '/';
        memcpy(w->path + w->path_len + sep, name, n + 1);
        w->path_len += sep + n;
        return 0;
}

static int walk_children(struct walker *w, int dirfd, unsigned depth);

static int visit(struct walker *w, int parentfd, const char *name, unsigned depth)
{
        _cleanup_close_ int fd = cg_open_dir(parentfd, name);
        if (errno_is_gone(fd) || fd == -ENOTDIR)
                return 0;
        if (fd < 0)
                return fd;
        int delegates = delegates_memory(w, fd);
        if (errno_is_gone(delegates))
                return 0;
        if (delegates < 0)
                return delegates;

        size_t saved_len = w->path_len;
        int r = path_push(w, name);
        if (r < 0)
                return r;
        struct cg_walk_entry entry = {
                .dirfd = fd, .path = w->path, .depth = depth, .delegates_memory = delegates};
        r = w->fn(&entry, w->userdata);
        if (r >= 0 && delegates)
                r = walk_children(w, fd, depth + 1);
        w->path_len = saved_len;
        w->path[saved_len] = '\0';
        return r;
}

static int walk_children(struct walker *w, int dirfd, unsigned depth)
{
        int fd = cg_open_dir(dirfd, ".");
        if (errno_is_gone(fd))
                return 0;
        if (fd < 0)
                return fd;
        _cleanup_(closedirp) DIR *dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(dir));) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                int r = visit(w, dirfd, de->d_name, depth);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_walk(int rootfd, cg_walk_fn fn, void *userdata)
{
        struct walker w = {.fn = fn, .userdata = userdata};

        int r = delegates_memory(&w, rootfd);
        if (r > 0)
                r = walk_children(&w, rootfd, 1);
        read_buf_free(&w.buf);
        return r < 0 ? r : 0;
}
