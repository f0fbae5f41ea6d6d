/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgroot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "base/log.h"
#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/mount.h"
#include "cgroupfs/parse.h"

static const char fix_hint[] = "boot with systemd.unified_cgroup_hierarchy=1 (systemd) or "
                               "cgroup_no_v1=all to get a pure cgroup v2 host, or point --root "
                               "at a cgroup v2 tree";

static int explain_layout(const struct cg_mounts *m)
{
        switch (m->layout) {
        case CG_LAYOUT_HYBRID:
                log_error("this host runs a hybrid cgroup hierarchy: the memory controller is "
                          "bound to cgroup v1 at %s, so cgroup v2 at %s cannot account memory; "
                          "cgmem needs memory on cgroup v2: %s",
                          m->memory_v1, m->unified, fix_hint);
                return -EMEDIUMTYPE;
        case CG_LAYOUT_LEGACY:
                log_error("this host runs cgroup v1 only (memory controller at %s); cgmem needs "
                          "cgroup v2: %s",
                          m->memory_v1, fix_hint);
                return -EMEDIUMTYPE;
        case CG_LAYOUT_NONE:
                log_error("no cgroup file system is mounted; mount cgroup2 on %s first",
                          CG_DEFAULT_ROOT);
                return -ENOENT;
        case CG_LAYOUT_UNIFIED:
                break;
        }
        return 0;
}

static int discover_root(void)
{
        struct read_buf buf = {0};
        struct cg_mounts mounts;

        int r = read_file_to_eof(AT_FDCWD, "/proc/self/mountinfo", &buf);
        if (r >= 0)
                r = cg_mounts_parse(buf.data, buf.len, &mounts);
        read_buf_free(&buf);
        if (r < 0) {
                log_error("cannot read the mount table /proc/self/mountinfo: %s", strerror(-r));
                return r;
        }
        r = explain_layout(&mounts);
        if (r < 0)
                return r;
        r = cg_root_open_verified(mounts.unified);
        if (r < 0)
                log_error("cannot open the cgroup2 mount %s: %s", mounts.unified, strerror(-r));
        return r;
}

/* The memory controller must be available at the root, whatever the mounts say. */
static int check_memory_controller(int rootfd, const char *name)
{
        struct read_buf buf = {0};

        int r = cg_read_at(rootfd, "cgroup.controllers", &buf);
        if (r == -ENOENT)
                log_error("%s is not a cgroup v2 directory: it has no cgroup.controllers", name);
        else if (r < 0)
                log_error("cannot read %s/cgroup.controllers: %s", name, strerror(-r));
        else if (!word_list_contains(buf.data, buf.len, "memory")) {
                log_error("the memory controller is not available in %s (cgroup.controllers: "
                          "\"%.*s\"); is it bound to cgroup v1?",
                          name, (int) strcspn(buf.data, "\n"), buf.data);
                r = -EMEDIUMTYPE;
        }
        read_buf_free(&buf);
        return r;
}

int cgroot_open(const char *override)
{
        _cleanup_close_ int fd = -1;

        if (override) {
                fd = cg_open_dir(AT_FDCWD, override);
                if (fd < 0) {
                        log_error("cannot open cgroup root %s: %s", override, strerror(-fd));
                        return fd;
                }
        } else {
                fd = discover_root();
                if (fd < 0)
                        return fd;
        }
        int r = check_memory_controller(fd, override ? override : CG_DEFAULT_ROOT);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}
