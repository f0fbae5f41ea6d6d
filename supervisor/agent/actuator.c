/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The actuator on cgroupfs: memory.high written only if it is still what the
 * decision saw, cgroup.kill (freezing and SIGKILL before 5.14), the band's
 * xattrs (user.* xattrs on cgroupfs are 5.7+) and the policy mark's.
 */
#include "actuator.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/xattrs.h"
#include "cgroupfs/io.h"
#include "cgroupfs/kill.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"

static void format_value(uint64_t v, char buf[static 32])
{
        if (v == CG_VALUE_MAX)
                snprintf(buf, 32, "max");
        else
                snprintf(buf, 32, "%" PRIu64, v);
}

static int read_high(struct cgroup *cg, uint64_t *ret)
{
        struct read_buf buf = {0};
        int r = cg_read_at(cg->dirfd, "memory.high", &buf);

        if (r >= 0)
                r = parse_single_value(buf.data, buf.len, 1, ret);
        read_buf_free(&buf);
        return r;
}

/* O_NONBLOCK asks newer kernels not to reclaim in the writer (6.1 ignores it). */
static int write_high(void *userdata, struct cgroup *cg, uint64_t value, uint64_t expect)
{
        char text[32];
        uint64_t now;

        (void) userdata;
        int r = read_high(cg, &now);
        if (r < 0)
                return r;
        if (now != expect)
                return -EAGAIN;
        format_value(value, text);
        _cleanup_close_ int fd = cg_open(cg->dirfd, "memory.high", O_WRONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        if (write(fd, text, strlen(text)) < 0 && errno != EAGAIN)
                return -errno;
        cg->sample.high_bytes = value;
        return 0;
}

static int kill_cgroup(void *userdata, struct cgroup *cg)
{
        (void) userdata;
        int r = cg_kill(cg->dirfd);
        if (r == -ENOENT && cg_alive(cg->dirfd))
                r = cg_kill_by_freezing(cg->dirfd); /* before 5.14: no cgroup.kill */
        return r;
}

static void reclaim(void *userdata, struct cgroup *cg)
{
        (void) userdata;
        cg_mrelease_procs(cg->dirfd);
}

static bool read_xattr_value(int dirfd, const char *name, uint64_t *ret)
{
        char value[32];
        ssize_t n = fgetxattr(dirfd, name, value, sizeof(value) - 1);

        if (n <= 0)
                return false;
        value[n] = '\0';
        return parse_single_value(value, (size_t) n, 1, ret) >= 0;
}

static int write_xattr_value(int dirfd, const char *name, uint64_t v)
{
        char value[32];

        format_value(v, value);
        return fsetxattr(dirfd, name, value, strlen(value), 0) < 0 ? -errno : 0;
}

static int save_band(void *userdata, struct cgroup *cg, uint64_t owner, uint64_t band)
{
        (void) userdata;
        int r = write_xattr_value(cg->dirfd, XATTR_ORIGINAL_HIGH, owner);
        return r < 0 ? r : write_xattr_value(cg->dirfd, XATTR_BAND_HIGH, band);
}

static void drop_band(void *userdata, struct cgroup *cg)
{
        (void) userdata;
        fremovexattr(cg->dirfd, XATTR_ORIGINAL_HIGH);
        fremovexattr(cg->dirfd, XATTR_BAND_HIGH);
}

static bool read_band(void *userdata, struct cgroup *cg, uint64_t *ret_owner, uint64_t *ret_band,
                      bool *ret_has_band)
{
        (void) userdata;
        if (!read_xattr_value(cg->dirfd, XATTR_ORIGINAL_HIGH, ret_owner))
                return false;
        *ret_has_band = read_xattr_value(cg->dirfd, XATTR_BAND_HIGH, ret_band);
        return true;
}

static enum policy_mark read_mark(void *userdata, struct cgroup *cg)
{
        char value[16];

        (void) userdata;
        ssize_t n = fgetxattr(cg->dirfd, XATTR_POLICY, value, sizeof(value) - 1);
        if (n <= 0)
                return MARK_NONE;
        value[n] = '\0';
        return policy_mark_from_string(value);
}

const struct actuator actuator_cgroupfs = {
        .write_high = write_high,
        .kill = kill_cgroup,
        .reclaim = reclaim,
        .save_band = save_band,
        .drop_band = drop_band,
        .read_band = read_band,
        .read_mark = read_mark,
};
