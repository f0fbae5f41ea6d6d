/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kill.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

struct cgroup_events {
        uint64_t populated;
        uint64_t frozen;
};

int cg_kill(int dirfd)
{
        return cg_write_at(dirfd, "cgroup.kill", "1");
}

int cg_populated(int dirfd, struct read_buf *buf)
{
        static const struct keyed_field fields[] = {
                {"populated", offsetof(struct cgroup_events, populated)},
                {"frozen", offsetof(struct cgroup_events, frozen)},
        };
        struct cgroup_events events = {0};
        uint64_t seen;

        int r = cg_read_at(dirfd, "cgroup.events", buf);
        if (r < 0)
                return r;
        r = parse_keyed(buf->data, buf->len, fields, 2, &events, &seen);
        if (r < 0)
                return r;
        if (!(seen & 1) || events.populated > 1)
                return -EINVAL;
        return (int) events.populated;
}
