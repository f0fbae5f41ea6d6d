/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"

#define LISTEN_BACKLOG 16

static int fail(const char **ret_why, const char *why)
{
        *ret_why = why;
        return -EINVAL;
}

static int parse_unix(const char *path, struct metrics_listen *ret, const char **ret_why)
{
        struct metrics_listen l = {0};
        size_t n = strlen(path);

        if (path[0] != '/')
                return fail(ret_why, "a unix socket needs an absolute path (unix:/run/x.sock)");
        if (n >= sizeof(l.addr.un.sun_path))
                return fail(ret_why, "the unix socket path is longer than 107 bytes");
        l.addr.un.sun_family = AF_UNIX;
        memcpy(l.addr.un.sun_path, path, n + 1);
        l.len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
        *ret = l;
        return 0;
}

/* "1".."65535", digits only. */
static int parse_port(const char *s, uint16_t *ret)
{
        uint64_t v;

        if (!s[0] || strspn(s, "0123456789") != strlen(s) || parse_u64(s, strlen(s), &v) < 0 ||
            v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

static int parse_inet(const char *s, struct metrics_listen *ret, const char **ret_why)
{
        struct metrics_listen l = {0};
        char host[INET6_ADDRSTRLEN + 2];
        const char *colon = strrchr(s, ':');
        uint16_t port;

        if (!colon)
                return fail(ret_why, "no port: use ADDRESS:PORT (127.0.0.1:9847, [::1]:9847) or "
                                     "unix:/PATH");
        if (parse_port(colon + 1, &port) < 0)
                return fail(ret_why, "the port is not a number from 1 to 65535");
        size_t n = (size_t) (colon - s);
        if (n == 0 || n >= sizeof(host))
                return fail(ret_why, "no address before the port (0.0.0.0 for every one)");
        memcpy(host, s, n);
        host[n] = '\0';
        if (host[0] == '[' && host[n - 1] == ']') {
                host[n - 1] = '\0';
                if (inet_pton(AF_INET6, host + 1, &l.addr.in6.sin6_addr) != 1)
                        return fail(ret_why, "not a numeric IPv6 address in [...]");
                l.addr.in6.sin6_family = AF_INET6;
                l.addr.in6.sin6_port = htons(port);
                l.len = sizeof(l.addr.in6);
        } else if (inet_pton(AF_INET, host, &l.addr.in.sin_addr) == 1) {
                l.addr.in.sin_family = AF_INET;
                l.addr.in.sin_port = htons(port);
                l.len = sizeof(l.addr.in);
        } else {
                return fail(ret_why, "not a numeric address (an IPv4 address, or IPv6 in [...]; "
                                     "host names are not looked up)");
        }
        *ret = l;
        return 0;
}

int metrics_listen_parse(const char *s, struct metrics_listen *ret, const char **ret_why)
{
        if (strncmp(s, "unix:", 5) == 0)
                return parse_unix(s + 5, ret, ret_why);
        return parse_inet(s, ret, ret_why);
}

/* A socket file an earlier agent left is removed; anything else at the path is not ours. */
static int remove_stale_socket(const char *path)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        return unlink(path) < 0 ? -errno : 0;
}

int metrics_listen_open(const struct metrics_listen *l)
{
        int family = l->addr.sa.sa_family, one = 1, r;
        _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (family == AF_UNIX) {
                r = remove_stale_socket(l->addr.un.sun_path);
                if (r < 0)
                        return r;
        } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
                return -errno;
        }
        if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, &l->addr.sa, l->len) < 0)
                return -errno;
        /* Metrics name every container on the node: the owner and its group, not everyone. */
        if (family == AF_UNIX && chmod(l->addr.un.sun_path, 0660) < 0)
                return -errno;
        if (listen(fd, LISTEN_BACKLOG) < 0)
                return -errno;
        return TAKE_FD(fd);
}
