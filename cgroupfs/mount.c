/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "io.h"
#include "macro.h"

/* The fields of one mountinfo line that matter here (proc(5)). */
struct mount_entry {
        char point[PATH_MAX];
        char fstype[64];
        char super_options[1024]; /* "rw,memory" on a v1 memory hierarchy */
};

static int is_octal(char c)
{
        return c >= '0' && c <= '7';
}

/* Copies a token, undoing the kernel's \ooo escapes of space, tab, newline and backslash. */
static int unescape_token(const char *s, size_t len, char *out, size_t size)
{
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (c == '\\' && len - i > 3 && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
                    is_octal(s[i + 3])) {
                        c = (char) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + s[i + 3] - '0');
                        i += 3;
                }
                if (o + 1 >= size)
                        return -ENAMETOOLONG;
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

/* Returns the next space-separated token of [*p, end), or NULL when there is none. */
static const char *next_word(const char **p, const char *end, size_t *ret_len)
{
        const char *start = *p;
        if (start >= end)
                return NULL;
        const char *sp = memchr(start, ' ', (size_t) (end - start));
        const char *stop = sp ? sp : end;
        *ret_len = (size_t) (stop - start);
        *p = sp ? sp + 1 : end;
        return start;
}

/*
 * "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
 * the mount point is the fifth field; after the optional fields and "-" come the
 * file system type, the source and the super options.
 */
static int parse_mount_line(const char *line, size_t len, struct mount_entry *ret)
{
        const char *p = line, *end = line + len, *w;
        size_t n = 0;
        int r;

        for (int i = 0; i < 5; i++)
                if (!(w = next_word(&p, end, &n)) || n == 0)
                        return -EINVAL;
        r = unescape_token(w, n, ret->point, sizeof(ret->point));
        if (r < 0)
                return r;
        do {
                if (!(w = next_word(&p, end, &n)))
                        return -EINVAL;
        } while (!(n == 1 && w[0] == '-'));
        if (!(w = next_word(&p, end, &n)) ||
            unescape_token(w, n, ret->fstype, sizeof(ret->fstype)) < 0)
                return -EINVAL;
        if (!next_word(&p, end, &n) || !(w = next_word(&p, end, &n)))
                return -EINVAL;
        return unescape_token(w, n, ret->super_options, sizeof(ret->super_options));
}

static int options_have(const char *options, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = options; (p = strstr(p, word)); p += n)
                if ((p == options || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                        return 1;
        return 0;
}

/* CG_DEFAULT_ROOT wins over other cgroup2 mounts, such as a hybrid host's .../unified. */
static void note_mount(const struct mount_entry *m, struct cg_mounts *mounts)
{
        if (strcmp(m->fstype, "cgroup2") == 0) {
                if (!mounts->unified[0] || strcmp(m->point, CG_DEFAULT_ROOT) == 0)
                        memcpy(mounts->unified, m->point, sizeof(mounts->unified));
        } else if (strcmp(m->fstype, "cgroup") == 0 && options_have(m->super_options, "memory")) {
                if (!mounts->memory_v1[0])
                        memcpy(mounts->memory_v1, m->point, sizeof(mounts->memory_v1));
        }
}

static enum cg_layout classify(const struct cg_mounts *m)
{
        if (m->memory_v1[0])
                return m->unified[0] ? CG_LAYOUT_HYBRID : CG_LAYOUT_LEGACY;
        return m->unified[0] ? CG_LAYOUT_UNIFIED : CG_LAYOUT_NONE;
}

int cg_mounts_parse(const char *mountinfo, size_t len, struct cg_mounts *ret)
{
        struct cg_mounts mounts = {0};
        const char *p = mountinfo, *end = mountinfo + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *stop = nl ? nl : end;
                struct mount_entry m;
                int r = parse_mount_line(p, (size_t) (stop - p), &m);
                if (r < 0)
                        return r;
                note_mount(&m, &mounts);
                p = nl ? nl + 1 : end;
        }
        mounts.layout = classify(&mounts);
        *ret = mounts;
        return 0;
}

int cg_root_open_verified(const char *path)
{
        struct statfs fs;

        _cleanup_close_ int fd = cg_open_dir(AT_FDCWD, path);
        if (fd < 0)
                return fd;
        if (fstatfs(fd, &fs) < 0)
                return -errno;
        if (fs.f_type != CGROUP2_SUPER_MAGIC)
                return -EMEDIUMTYPE;
        return TAKE_FD(fd);
}
