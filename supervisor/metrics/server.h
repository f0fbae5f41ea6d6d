/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Serving the metrics without ever holding up the loop that enforces.
 *
 * The loop fills a snapshot after each round and publishes it: a pointer swap
 * under a mutex that nothing holds for longer than a reference count takes.
 * Scrapes are answered on a thread of libmicrohttpd's own, which renders from
 * the snapshot it took a reference on, a piece at a time as the client reads
 * (render.h): a slow or stalled client holds its snapshot and a few kilobytes,
 * never the loop, and is cut off after 10 s without progress or 30 s in all.
 * At most 8 clients at a time (4 from one address); a request with a body is
 * refused. The textfile writer ([metrics] textfile_dir, for node_exporter's
 * textfile collector) is a thread too: a slow disk delays the file, not
 * enforcement. Both threads run at nice 10, under the seccomp filter, with
 * every signal blocked.
 *
 * An external-polling design (libmicrohttpd's sockets as sd-event sources) was
 * not taken: the rendering would then run on the loop, and a scrape of 1 000
 * containers costs milliseconds the kill path should not wait behind.
 */

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct metrics_server_options {
        const char *listen;       /* [metrics] listen; NULL or "": no HTTP */
        const char *textfile_dir; /* [metrics] textfile_dir; NULL or "": no file */
        uint64_t textfile_interval_usec;
};

struct metrics_server;

/*
 * Binds the listener and opens the textfile directory: before the seccomp
 * filter, which refuses sockets other than AF_UNIX. No thread runs yet.
 * Returns 0 or -errno with what failed in err.
 */
int metrics_server_new(const struct metrics_server_options *o, struct metrics_server **ret,
                       char *err, size_t err_size);

/* Starts the threads; after the seccomp filter, so that they run under it. */
int metrics_server_start(struct metrics_server *s, char *err, size_t err_size);

/* A snapshot to fill: one no reader holds any more, or a new one. NULL when out of memory. */
struct metrics_snapshot *metrics_server_acquire(struct metrics_server *s);

/* Scrapes from now on read snap; the server owns it. */
void metrics_server_publish(struct metrics_server *s, struct metrics_snapshot *snap);

/* What the last write of the textfile returned: 0, or -errno. */
int metrics_server_textfile_status(struct metrics_server *s);

/* Stops the threads (closing every connection), removes the socket file and the textfile. */
void metrics_server_free(struct metrics_server *s);
