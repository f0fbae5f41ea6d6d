/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The event stream: JSON Lines to stdout, an append-only file and the journal.
 * Every event gets the envelope (schema, seq, time, host) here. A sink that is
 * slow, blocked or failing (a full disk) never blocks the caller: each sink has
 * a bounded queue, writes are non-blocking, and what a full queue loses is
 * counted and reported by a "dropped" event once the sink takes writes again.
 */

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define EVENT_SCHEMA_VERSION 2
/* A line longer than this is cut down to its envelope and a "truncated" flag. */
#define EVENT_LINE_MAX 16384

struct emitter;

struct emitter_options {
        int stdout_fd;              /* -1: no stdout sink */
        const char *file_path;      /* NULL: no file sink */
        int journal;                /* send to the journal's native socket */
        const char *journal_socket; /* NULL: /run/systemd/journal/socket */
        unsigned queue_max;         /* events held per sink */
        const char *hostname;       /* NULL: gethostname() */
};

int emitter_new(struct sd_event *loop, const struct emitter_options *o, struct emitter **ret);
void emitter_free(struct emitter *e);

/*
 * Adds the envelope to event (an object with at least "type"), serialises it and
 * queues it on every sink; steals the reference. Returns the event's seq.
 */
uint64_t emitter_emit(struct emitter *e, json_t *event);

/* emitter_emit, and *ret_line gets a copy of the event's line, without its newline (or NULL). */
uint64_t emitter_emit_copy(struct emitter *e, json_t *event, char **ret_line);

/* The seq the next event will get. */
uint64_t emitter_next_seq(const struct emitter *e);

/* Reopens the file sink (SIGHUP after logrotate). */
int emitter_reopen(struct emitter *e);

/* Blocks up to timeout_usec to drain the queues (clean exit only). */
void emitter_drain(struct emitter *e, uint64_t timeout_usec);

/* Per-sink counters, for tests and metrics. */
struct emitter_stats {
        uint64_t emitted;
        uint64_t dropped_stdout, dropped_file, dropped_journal;
        unsigned queued_stdout, queued_file, queued_journal;
};
void emitter_get_stats(const struct emitter *e, struct emitter_stats *ret);
