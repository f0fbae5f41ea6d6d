/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "io.h"
#include "macro.h"

/*
 * The fields of one mountinfo line that matter here (proc(5)), pointing into the
 * text: only cgroup lines are copied, so a foreign line with kilobytes of
 * options (an overlay root with many layers) costs nothing and fails nothing.
 */
struct mount_fields {
        const char *point, *fstype, *super_options;
        size_t point_len, fstype_len, super_options_len;
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
static int parse_mount_line(const char *line, size_t len, struct mount_fields *ret)
{
        const char *p = line, *end = line + len, *w = NULL;
        size_t n = 0;

        for (int i = 0; i < 5; i++)
                if (!(w = next_word(&p, end, &n)) || n == 0)
                        return -EINVAL;
        ret->point = w;
        ret->point_len = n;
        do {
                if (!(w = next_word(&p, end, &n)))
                        return -EINVAL;
        } while (!(n == 1 && w[0] == '-'));
        if (!(ret->fstype = next_word(&p, end, &ret->fstype_len)) || !next_word(&p, end, &n))
                return -EINVAL;
        if (!(ret->super_options = next_word(&p, end, &ret->super_options_len)))
                return -EINVAL;
        return 0;
}

static int word_is(const char *w, size_t n, const char *s)
{
        return n == strlen(s) && memcmp(w, s, n) == 0;
}

/* Whether a comma-separated option list has word, e.g. "rw,memory" has "memory". */
static int options_have(const char *options, size_t len, const char *word)
{
        const char *p = options, *end = options + len;

        while (p < end) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                const char *stop = comma ? comma : end;
                if (word_is(p, (size_t) (stop - p), word))
                        return 1;
                p = stop + 1;
        }
        return 0;
}

/* CG_DEFAULT_ROOT wins over other cgroup2 mounts, such as a hybrid host's .../unified. */
static int note_mount(const struct mount_fields *m, struct cg_mounts *mounts)
{
        char point[PATH_MAX];
        int unified = word_is(m->fstype, m->fstype_len, "cgroup2");
        int memory_v1 = word_is(m->fstype, m->fstype_len, "cgroup") &&
                        options_have(m->super_options, m->super_options_len, "memory");

        if (!unified && !memory_v1)
                return 0;
        int r = unescape_token(m->point, m->point_len, point, sizeof(point));
        if (r < 0)
                return r;
        if (unified && (!mounts->unified[0] || strcmp(point, CG_DEFAULT_ROOT) == 0))
                memcpy(mounts->unified, point, sizeof(point));
        if (memory_v1 && !mounts->memory_v1[0])
                memcpy(mounts->memory_v1, point, sizeof(point));
        return 0;
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
                struct mount_fields m;
                int r = parse_mount_line(p, (size_t) (stop - p), &m);
                if (r >= 0)
                        r = note_mount(&m, &mounts);
                if (r < 0)
                        return r;
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
