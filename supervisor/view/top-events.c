/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "top-events.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/macro.h"

#define TAIL_BYTES (64 * 1024)

int top_event_parse(const char *line, size_t len, struct top_event *ret)
{
        json_error_t err;
        json_t *o = json_loadb(line, len, 0, &err);
        struct top_event e = {0};

        if (!json_is_object(o)) {
                json_decref(o);
                return -EINVAL;
        }
        const char *type = json_string_value(json_object_get(o, "type"));
        const char *time = json_string_value(json_object_get(o, "time"));
        const char *cgroup = json_string_value(json_object_get(o, "cgroup"));
        if (!type) {
                json_decref(o);
                return -EINVAL;
        }
        /* RFC 3339 "2026-11-21T23:59:42.923239639Z": the time of day is enough here. */
        if (time && strlen(time) >= 19 && time[10] == 'T')
                snprintf(e.time, sizeof(e.time), "%.8s", time + 11);
        else
                snprintf(e.time, sizeof(e.time), "-");
        snprintf(e.type, sizeof(e.type), "%s", type);
        snprintf(e.cgroup, sizeof(e.cgroup), "%s", cgroup ? cgroup : "-");
        json_decref(o);
        *ret = e;
        return 0;
}

int top_events_tail(const char *path, struct top_event *events, size_t max)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        size_t n = 0, next = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        off_t start = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
        _cleanup_free_ char *buf = malloc(TAIL_BYTES + 1);
        if (!buf)
                return -ENOMEM;
        ssize_t len = pread(fd, buf, TAIL_BYTES, start);
        if (len < 0)
                return -errno;
        char *p = buf, *end = buf + len;
        if (start > 0) { /* the first line is cut: skip it */
                char *nl = memchr(p, '\n', (size_t) (end - p));
                p = nl ? nl + 1 : end;
        }
        /* A ring of the last max events. */
        while (p < end && max > 0) {
                char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl)
                        break; /* a line being written */
                struct top_event e;
                if (top_event_parse(p, (size_t) (nl - p), &e) >= 0) {
                        events[next] = e;
                        next = (next + 1) % max;
                        if (n < max)
                                n++;
                }
                p = nl + 1;
        }
        if (n == max && next != 0) { /* rotate the ring to oldest first */
                struct top_event *tmp = malloc(sizeof(*tmp) * max);
                if (!tmp)
                        return -ENOMEM;
                for (size_t i = 0; i < max; i++)
                        tmp[i] = events[(next + i) % max];
                memcpy(events, tmp, sizeof(*tmp) * max);
                free(tmp);
        }
        return (int) n;
}
