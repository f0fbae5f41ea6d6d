/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Helpers shared by the unit tests: fixture files read into exactly-sized buffers
 * without a terminating NUL (so ASan catches a parser reading past len), and
 * scratch directories under /tmp built from the fixture trees.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES "tests/fixtures"

/* A copy of n bytes of s in a buffer of exactly n bytes (one byte for n = 0), no NUL. */
static inline char *dup_exact(const char *s, size_t n)
{
        char *p = malloc(n ? n : 1);
        if (!p)
                abort();
        memcpy(p, s, n);
        return p;
}

/* Reads a whole file into an exactly-sized malloc'd buffer without a NUL; aborts on error. */
static inline char *read_exact(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "cannot open %s: %m\n", path);
                abort();
        }
        char tmp[65536];
        size_t n = fread(tmp, 1, sizeof(tmp), f);
        if (ferror(f) || !feof(f))
                abort();
        fclose(f);
        *ret_len = n;
        return dup_exact(tmp, n);
}

/* Writes text to dir/name, replacing the file's contents but keeping its inode. */
static inline void write_file_at(const char *dir, const char *name, const char *text)
{
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                abort();
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len)
                abort();
        close(fd);
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

/* rm -rf */
static inline void rm_rf(const char *path)
{
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* cp -r src/. dst (regular files and directories only). */
static inline void copy_tree(const char *src, const char *dst)
{
        DIR *d = opendir(src);
        if (!d)
                abort();
        mkdir(dst, 0755);
        for (struct dirent *de; (de = readdir(d));) {
                char s[8192], t[8192];
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
                snprintf(t, sizeof(t), "%s/%s", dst, de->d_name);
                if (lstat(s, &st) < 0)
                        abort();
                if (S_ISDIR(st.st_mode)) {
                        copy_tree(s, t);
                        continue;
                }
                size_t len;
                char *data = read_exact(s, &len);
                int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, data, len) != (ssize_t) len)
                        abort();
                close(fd);
                free(data);
        }
        closedir(d);
}

/* A fresh scratch directory under /tmp; the caller frees the path after rm_rf. */
static inline char *make_scratch(void)
{
        char *dir = strdup("/tmp/cgmem-unit-XXXXXX");
        if (!dir || !mkdtemp(dir))
                abort();
        return dir;
}

static inline int open_dir(const char *path)
{
        return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}
