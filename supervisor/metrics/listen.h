/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Where the metrics are served ([metrics] listen): a numeric TCP address with
 * its port, "127.0.0.1:9847", "[::1]:9847", "0.0.0.0:9847", or a unix socket,
 * "unix:/run/cgmem/metrics.sock". Host names are refused: resolving one would
 * ask DNS at start and could name another address later.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

struct metrics_listen {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_un un;
        } addr;
        socklen_t len;
};

/*
 * Parses s. Returns 0, or -EINVAL and *ret_why (a static sentence) for text it
 * does not take. *ret is written only on success.
 */
int metrics_listen_parse(const char *s, struct metrics_listen *ret, const char **ret_why);

/*
 * A listening socket on l (close-on-exec, non-blocking). A unix socket that an
 * earlier agent left is replaced; a new one is made 0660. Returns the fd or -errno.
 */
int metrics_listen_open(const struct metrics_listen *l);
