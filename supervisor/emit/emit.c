/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event stream (see emit.h for the contract).
 *
 * Each event is serialised once, straight from the caller's object, the
 * envelope written ahead of its members (json-writer.c: jansson's bytes
 * without json_dumpb's cost, which was most of an event's). The JSON line is
 * shared, reference-counted, by the stream sinks (stdout, file), and the
 * journal gets one datagram built from the same object. Each sink holds a ring
 * of queue_max lines plus one spare slot: the spare is what lets a "dropped"
 * report go out ahead of the first line accepted after a loss without refusing
 * that line.
 *
 * A sink is in one of four states. READY: emit writes at once. WAIT_WRITABLE:
 * the last write said EAGAIN, EPOLLOUT is armed and emit only queues.
 * WAIT_RETRY: the sink failed (ENOSPC, EIO, journald gone, or a regular file
 * that cannot be polled), a one-shot 1 s timer retries it. CLOSED: the stdout
 * reader went away for good.
 *
 * stdout may be a pipe: write() to a pipe whose reader is gone raises SIGPIPE,
 * so the caller must ignore SIGPIPE (sockets are written with MSG_NOSIGNAL).
 */
#include "emit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cgroupfs/macro.h"
#include "events.h"
#include "journal-native.h"
#include "json-writer.h"

#define EMIT_QUEUE_MAX_DEFAULT 1024u
#define EMIT_RETRY_USEC        1000000ull
/* How often emitter_drain retries a sink that cannot be polled (a failing file). */
#define EMIT_DRAIN_SLICE_USEC 100000ull
#define RFC3339_NSEC_MAX      sizeof("YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
#define CONTAINER_ID_SHORT    12
/* The host name as a JSON string: quotes, and every byte escaped at worst. */
#define HOST_JSON_MAX (2 + HOST_NAME_MAX * sizeof("\\u0000"))

/* json_decrefp comes with jansson >= 2.9. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* One serialised event; the stream sinks share it. */
struct line {
        unsigned refs;
        size_t len;
        char data[];
};

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_JOURNAL, _SINK_KIND_MAX };

static const char *const sink_names[_SINK_KIND_MAX] = {
        [SINK_STDOUT] = "stdout",
        [SINK_FILE] = "file",
        [SINK_JOURNAL] = "journal",
};

enum sink_state { SINK_READY, SINK_WAIT_WRITABLE, SINK_WAIT_RETRY, SINK_CLOSED };

/* Events a full queue refused since the last "dropped" report: always a run of seqs. */
struct loss {
        uint64_t count, first_seq, last_seq;
};

struct sink {
        struct emitter *emitter;
        enum sink_kind kind;
        enum sink_state state;
        bool enabled;
        bool is_socket; /* written with send(MSG_NOSIGNAL) */
        bool pollable;  /* regular files and /dev/full cannot be in an epoll set */
        bool failing;   /* logged once when it starts failing, once when it recovers */
        int fd;
        struct line **ring;
        unsigned head, count, queue_max; /* the ring has queue_max + 1 slots */
        size_t head_written;             /* bytes of the head line already written */
        struct loss loss;
        uint64_t dropped;
        sd_event_source *writable, *retry;
};

struct emitter {
        sd_event *loop;
        struct sink sinks[_SINK_KIND_MAX];
        char *file_path;
        char *journal_socket;
        int stdout_flags_saved; /* O_NONBLOCK is set on a shared file description: undone at free */
        uint64_t next_seq;
        char host[HOST_NAME_MAX + 1];
        char host_json[HOST_JSON_MAX]; /* written once, into every line */
        size_t host_json_len;          /* 0: the host name is not UTF-8, no event can name it */
        time_t stamp_sec;              /* the second stamp_seconds shows */
        char stamp_seconds[RFC3339_NSEC_MAX];
        size_t stamp_seconds_len; /* 0: not formatted yet */
        struct journal_buf journal_buf;
        char line_buf[EVENT_LINE_MAX];
};

static struct line *line_new(const char *data, size_t len)
{
        struct line *l = malloc(sizeof(*l) + len);
        if (!l)
                return NULL;
        l->refs = 1;
        l->len = len;
        memcpy(l->data, data, len);
        return l;
}

static struct line *line_ref(struct line *l)
{
        l->refs++;
        return l;
}

static void line_unref(struct line *l)
{
        if (l && --l->refs == 0)
                free(l);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct line *, line_unref)

/* ---- the envelope and the line ---- */

/* Now in RFC 3339 UTC with nanoseconds; the date and time of day change once a second. */
static void rfc3339_now(struct emitter *e, char buf[static RFC3339_NSEC_MAX])
{
        char fraction[] = ".nnnnnnnnnZ";
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (ts.tv_sec != e->stamp_sec || e->stamp_seconds_len == 0) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                e->stamp_seconds_len = strftime(e->stamp_seconds, sizeof(e->stamp_seconds),
                                                "%Y-%m-%dT%H:%M:%S", &tm);
                e->stamp_sec = ts.tv_sec;
        }
        for (long nsec = ts.tv_nsec, i = 9; i > 0; i--, nsec /= 10)
                fraction[i] = (char) ('0' + nsec % 10);
        size_t n = e->stamp_seconds_len, room = RFC3339_NSEC_MAX - 1 - n;
        size_t take = room < sizeof(fraction) - 1 ? room : sizeof(fraction) - 1;
        memcpy(buf, e->stamp_seconds, n);
        memcpy(buf + n, fraction, take);
        buf[n + take] = '\0';
}

/* "schema", "seq", "time", "host" or "type": told by the length, then one compare. */
static bool is_envelope_key_n(const char *key, size_t len)
{
        switch (len) {
        case 3:
                return memcmp(key, "seq", 3) == 0;
        case 4:
                return memcmp(key, "time", 4) == 0 || memcmp(key, "host", 4) == 0 ||
                       memcmp(key, "type", 4) == 0;
        case 6:
                return memcmp(key, "schema", 6) == 0;
        default:
                return false;
        }
}

static bool is_envelope_key(const char *key)
{
        return is_envelope_key_n(key, strlen(key));
}

/*
 * The envelope, then the members of fields ("type" and an object's own) but the
 * envelope keys: a caller's "seq" or "host" does not override ours.
 */
static int event_write(const struct emitter *e, struct json_writer *w, uint64_t seq,
                       const char *timestamp, const json_t *fields)
{
        json_t *o = (json_t *) fields; /* jansson's iterators do not take const */
        int r;

        json_writer_raw(w, "{\"schema\":", strlen("{\"schema\":"));
        json_writer_integer(w, EVENT_SCHEMA_VERSION);
        json_writer_raw(w, ",\"seq\":", strlen(",\"seq\":"));
        json_writer_integer(w, (json_int_t) seq);
        json_writer_raw(w, ",\"time\":\"", strlen(",\"time\":\""));
        json_writer_raw(w, timestamp, strlen(timestamp));
        json_writer_raw(w, "\",\"host\":", strlen("\",\"host\":"));
        json_writer_raw(w, e->host_json, e->host_json_len);
        json_writer_raw(w, ",\"type\":", strlen(",\"type\":"));
        r = json_writer_value(w, json_object_get(o, "type"));
        if (r < 0)
                return r;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
                const char *key = json_object_iter_key(it);
                size_t key_len = json_object_iter_key_len(it);
                if (is_envelope_key_n(key, key_len))
                        continue;
                json_writer_raw(w, ",", 1);
                r = json_writer_member(w, key, key_len, json_object_iter_value(it));
                if (r < 0)
                        return r;
        }
        json_writer_raw(w, "}\n", 2);
        return 0;
}

/* Writes the line into e->line_buf; *ret_len is what it needs, newline included, fitting or not. */
static int line_write(struct emitter *e, uint64_t seq, const char *timestamp, const json_t *fields,
                      size_t *ret_len)
{
        struct json_writer w;

        json_writer_init(&w, e->line_buf, sizeof(e->line_buf));
        int r = event_write(e, &w, seq, timestamp, fields);
        if (r < 0)
                return r;
        *ret_len = w.len;
        return 0;
}

/*
 * Writes the line for event in e->line_buf, cut down to the envelope and a
 * "truncated" flag when it would reach EVENT_LINE_MAX. *ret_fields is what
 * the line shows: event, or the cut-down object.
 */
static int event_render(struct emitter *e, uint64_t seq, json_t *event, json_t **ret_fields,
                        size_t *ret_len)
{
        char timestamp[RFC3339_NSEC_MAX];
        size_t len;
        int r;

        if (!json_is_object(event) || !json_is_string(json_object_get(event, "type")))
                return -EINVAL;
        if (e->host_json_len == 0)
                return -EILSEQ;
        rfc3339_now(e, timestamp);
        r = line_write(e, seq, timestamp, event, &len);
        if (r < 0)
                return r;
        if (len < EVENT_LINE_MAX) {
                *ret_fields = json_incref(event);
                *ret_len = len;
                return 0;
        }
        _cleanup_json_ json_t *truncated = event_truncated(json_object_get(event, "type"), len);
        if (!truncated)
                return -ENOMEM;
        r = line_write(e, seq, timestamp, truncated, &len);
        if (r < 0)
                return r;
        if (len >= EVENT_LINE_MAX)
                return -E2BIG; /* even the envelope does not fit: a huge "type" */
        *ret_fields = TAKE_PTR(truncated);
        *ret_len = len;
        return 0;
}

/* ---- the journal entry ---- */

static int journal_append_text(struct journal_buf *b, const char *name, const char *value)
{
        return journal_buf_append_field(b, name, value, strlen(value));
}

/* CGMEM_<KEY>=value for a top-level scalar; objects, arrays and null are left to MESSAGE. */
static int journal_append_scalar(struct journal_buf *b, const char *key, const json_t *value)
{
        char name[JOURNAL_FIELD_NAME_MAX + 1], text[64];

        if (is_envelope_key(key) || journal_field_name("CGMEM_", key, name) < 0)
                return 0;
        /* These two are ours and stay single-valued. */
        if (strcmp(name, "CGMEM_EVENT") == 0 || strcmp(name, "CGMEM_SEQ") == 0)
                return 0;
        switch (json_typeof(value)) {
        case JSON_STRING:
                return journal_buf_append_field(b, name, json_string_value(value),
                                                json_string_length(value));
        case JSON_INTEGER:
                snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
                break;
        case JSON_REAL:
                snprintf(text, sizeof(text), "%.6g", json_real_value(value));
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                snprintf(text, sizeof(text), "%s", json_is_true(value) ? "true" : "false");
                break;
        default:
                return 0;
        }
        return journal_append_text(b, name, text);
}

/* The fields Docker's journald log driver sets, so `journalctl CONTAINER_NAME=web` works. */
static int journal_append_container(struct journal_buf *b, const json_t *o)
{
        const json_t *c = json_object_get(o, "container");
        const json_t *id = json_object_get(c, "id"), *name = json_object_get(c, "name");
        int r;

        if (json_is_string(id)) {
                size_t len = json_string_length(id);
                r = journal_buf_append_field(b, "CONTAINER_ID", json_string_value(id),
                                             len < CONTAINER_ID_SHORT ? len : CONTAINER_ID_SHORT);
                if (r < 0)
                        return r;
                r = journal_buf_append_field(b, "CONTAINER_ID_FULL", json_string_value(id), len);
                if (r < 0)
                        return r;
        }
        if (json_is_string(name))
                return journal_buf_append_field(b, "CONTAINER_NAME", json_string_value(name),
                                                json_string_length(name));
        return 0;
}

/* The entry for the event whose fields o (envelope keys aside) and line are. */
static int journal_entry_build(struct journal_buf *b, const json_t *o, uint64_t event_seq,
                               const char *line, size_t line_len)
{
        const char *type = json_string_value(json_object_get(o, "type"));
        char priority[16], seq[32];
        const char *key;
        json_t *value;
        int r;

        journal_buf_reset(b);
        snprintf(priority, sizeof(priority), "%d",
                 event_type_priority(event_type_from_string(type)));
        snprintf(seq, sizeof(seq), "%" PRIu64, event_seq);
        if ((r = journal_buf_append_field(b, "MESSAGE", line, line_len - 1)) < 0 ||
            (r = journal_append_text(b, "PRIORITY", priority)) < 0 ||
            (r = journal_append_text(b, "SYSLOG_IDENTIFIER", "cgmem")) < 0 ||
            (r = journal_append_text(b, "CGMEM_EVENT", type)) < 0 ||
            (r = journal_append_text(b, "CGMEM_SEQ", seq)) < 0)
                return r;
        json_object_foreach((json_t *) o, key, value)
        {
                r = journal_append_scalar(b, key, value);
                if (r < 0)
                        return r;
        }
        return journal_append_container(b, o);
}

/* What sink s queues for the event seq whose fields are o and whose line is in e->line_buf. */
static struct line *line_for_sink(struct emitter *e, enum sink_kind kind, const json_t *o,
                                  uint64_t seq, size_t len)
{
        if (kind != SINK_JOURNAL)
                return line_new(e->line_buf, len);
        if (journal_entry_build(&e->journal_buf, o, seq, e->line_buf, len) < 0)
                return NULL;
        return line_new(e->journal_buf.data, e->journal_buf.len);
}

/* ---- the queue ---- */

static void sink_push(struct sink *s, struct line *l)
{
        s->ring[(s->head + s->count) % (s->queue_max + 1)] = l;
        s->count++;
}

static void sink_pop(struct sink *s)
{
        line_unref(s->ring[s->head]);
        s->ring[s->head] = NULL;
        s->head = (s->head + 1) % (s->queue_max + 1);
        s->count--;
        s->head_written = 0;
}

static void sink_clear(struct sink *s)
{
        while (s->count > 0)
                sink_pop(s);
}

static void sink_note_loss(struct sink *s, uint64_t seq)
{
        if (s->loss.count == 0)
                s->loss.first_seq = seq;
        s->loss.last_seq = seq;
        s->loss.count++;
        s->dropped++;
}

/*
 * Queues the "dropped" report of the loss so far, at the tail: everything queued
 * is older than the loss, everything after it newer. It carries the last lost
 * seq so seqs stay increasing and count == last_seq - first_seq + 1.
 */
static void sink_queue_loss_report(struct sink *s)
{
        struct emitter *e = s->emitter;
        const struct loss *l = &s->loss;
        _cleanup_json_ json_t *report = NULL, *o = NULL;
        size_t len;

        if (l->count == 0 || s->count >= s->queue_max + 1)
                return;
        report = event_dropped(sink_names[s->kind], l->first_seq, l->last_seq);
        if (!report || event_render(e, l->last_seq, report, &o, &len) < 0)
                return; /* out of memory: the loss stays pending and grows */
        struct line *line = line_for_sink(e, s->kind, o, l->last_seq, len);
        if (!line)
                return;
        sink_push(s, line);
        s->loss = (struct loss){0};
}

/* ---- writing ---- */

static void sink_set_state(struct sink *s, enum sink_state state)
{
        if (s->writable)
                sd_event_source_set_enabled(
                        s->writable, state == SINK_WAIT_WRITABLE ? SD_EVENT_ON : SD_EVENT_OFF);
        if (state == SINK_WAIT_RETRY) {
                sd_event_source_set_time_relative(s->retry, EMIT_RETRY_USEC);
                sd_event_source_set_enabled(s->retry, SD_EVENT_ONESHOT);
        } else {
                sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
        }
        s->state = state;
}

static int sink_open(struct sink *s)
{
        struct emitter *e = s->emitter;
        int fd;

        if (s->kind == SINK_FILE) {
                fd = open(e->file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
                if (fd < 0)
                        return -errno;
        } else if (s->kind == SINK_JOURNAL) {
                fd = journal_socket_connect(e->journal_socket);
                if (fd < 0)
                        return fd;
        } else {
                return -EBADF; /* stdout is never reopened */
        }
        s->fd = fd;
        if (s->writable)
                return sd_event_source_set_io_fd(s->writable, fd);
        return 0;
}

static void sink_close_fd(struct sink *s)
{
        if (s->writable)
                sd_event_source_set_enabled(s->writable, SD_EVENT_OFF);
        if (s->fd >= 0 && s->kind != SINK_STDOUT)
                close(s->fd);
        s->fd = -1;
}

static ssize_t sink_write(const struct sink *s, const char *p, size_t n)
{
        if (s->is_socket)
                return send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        return write(s->fd, p, n);
}

/* Writes (part of) the head line; a datagram goes whole or not at all. */
static int sink_write_head(struct sink *s)
{
        const struct line *l = s->ring[s->head];
        ssize_t n;

        do
                n = sink_write(s, l->data + s->head_written, l->len - s->head_written);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -EIO; /* no progress and no error: do not spin on it */
        s->head_written += (size_t) n;
        if (s->head_written == l->len || s->kind == SINK_JOURNAL)
                sink_pop(s);
        return 0;
}

static void sink_close_for_good(struct sink *s)
{
        log_warning("event sink %s: reader went away, no more events there", sink_names[s->kind]);
        sink_clear(s);
        s->loss = (struct loss){0};
        sink_set_state(s, SINK_CLOSED);
}

static void sink_fail(struct sink *s, int r)
{
        if (!s->failing)
                log_warning("event sink %s: %s; retrying every second", sink_names[s->kind],
                            strerror(-r));
        s->failing = true;
        sink_set_state(s, SINK_WAIT_RETRY);
}

/* Decides what a write error means for s: true to go on flushing now. */
static bool sink_handle_error(struct sink *s, int r, bool *reconnected)
{
        if (r == -EAGAIN) {
                sink_set_state(s, s->pollable ? SINK_WAIT_WRITABLE : SINK_WAIT_RETRY);
                return false;
        }
        if (s->kind == SINK_STDOUT && (r == -EPIPE || r == -ECONNRESET)) {
                sink_close_for_good(s);
                return false;
        }
        /* journald restarted: its socket is new, connect to it once more. */
        if (s->kind == SINK_JOURNAL && (r == -ECONNREFUSED || r == -ENOTCONN) && !*reconnected) {
                *reconnected = true;
                sink_close_fd(s);
                return true;
        }
        if (s->kind == SINK_JOURNAL && r == -EMSGSIZE) {
                log_warning("event sink journal: entry too large for a datagram, skipped");
                sink_pop(s);
                return true;
        }
        sink_fail(s, r);
        return false;
}

static void sink_note_progress(struct sink *s)
{
        if (!s->failing)
                return;
        s->failing = false;
        log_warning("event sink %s: writing again", sink_names[s->kind]);
}

/* Writes what s takes now; leaves EPOLLOUT or the retry timer armed for the rest. */
static void sink_flush(struct sink *s)
{
        bool reconnected = false;

        if (!s->enabled || s->state == SINK_CLOSED)
                return;
        for (;;) {
                if (s->count < s->queue_max)
                        sink_queue_loss_report(s);
                if (s->count == 0) {
                        sink_set_state(s, SINK_READY);
                        return;
                }
                int r = s->fd < 0 ? sink_open(s) : 0;
                if (r >= 0)
                        r = sink_write_head(s);
                if (r >= 0)
                        sink_note_progress(s);
                else if (!sink_handle_error(s, r, &reconnected))
                        return;
        }
}

/* Queues l (NULL: it could not be built for this sink) and writes if the sink is ready. */
static void sink_offer(struct sink *s, uint64_t seq, struct line *l)
{
        bool room = s->count < s->queue_max;

        if (!s->enabled || s->state == SINK_CLOSED)
                return;
        if (room)
                sink_queue_loss_report(s); /* may take the spare slot */
        if (!l || !room || s->loss.count > 0)
                sink_note_loss(s, seq);
        else
                sink_push(s, line_ref(l));
        if (s->state == SINK_READY)
                sink_flush(s);
}

static int sink_on_writable(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        (void) source;
        (void) fd;
        (void) revents;
        sink_flush(userdata);
        return 0;
}

static int sink_on_retry(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void) source;
        (void) usec;
        sink_flush(userdata);
        return 0;
}

/* ---- setup ---- */

static int sink_init(struct emitter *e, enum sink_kind kind, unsigned queue_max)
{
        struct sink *s = &e->sinks[kind];
        int r;

        s->ring = calloc((size_t) queue_max + 1, sizeof(*s->ring));
        if (!s->ring)
                return -ENOMEM;
        s->queue_max = queue_max;
        s->enabled = true;
        r = sd_event_add_time_relative(e->loop, &s->retry, CLOCK_MONOTONIC, EMIT_RETRY_USEC, 0,
                                       sink_on_retry, s);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
}

/* EPOLLOUT for s->fd, off until a write says EAGAIN; files cannot be polled (EPERM). */
static int sink_watch_writable(struct sink *s)
{
        int r = sd_event_add_io(s->emitter->loop, &s->writable, s->fd, EPOLLOUT, sink_on_writable,
                                s);
        if (r == -EPERM)
                return 0;
        if (r < 0)
                return r;
        s->pollable = true;
        return sd_event_source_set_enabled(s->writable, SD_EVENT_OFF);
}

static int stdout_sink_setup(struct emitter *e, int fd)
{
        struct sink *s = &e->sinks[SINK_STDOUT];
        struct stat st;
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fstat(fd, &st) < 0)
                return -errno;
        /* Note: this changes the open file description, shared with whoever else holds it. */
        if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        e->stdout_flags_saved = flags;
        s->fd = fd;
        s->is_socket = S_ISSOCK(st.st_mode);
        return sink_watch_writable(s);
}

static int file_sink_setup(struct emitter *e, const char *path)
{
        e->file_path = strdup(path);
        if (!e->file_path)
                return -ENOMEM;
        int r = sink_open(&e->sinks[SINK_FILE]);
        if (r < 0)
                log_error("cannot open the event file %s: %s", path, strerror(-r));
        return r; /* never polled: a regular file is always "writable", errors retry on the timer */
}

/*
 * Not sd_journal_send(): its socket is blocking, so a stuck journald would stall
 * the agent's loop, kill path included. We speak the native protocol on a
 * non-blocking socket of our own and queue when journald does not keep up.
 */
static int journal_sink_setup(struct emitter *e, const char *path)
{
        struct sink *s = &e->sinks[SINK_JOURNAL];

        e->journal_socket = strdup(path ? path : JOURNAL_SOCKET_DEFAULT);
        if (!e->journal_socket)
                return -ENOMEM;
        int r = sink_open(s);
        if (r < 0) {
                log_error("cannot connect to the journal at %s: %s", e->journal_socket,
                          strerror(-r));
                return r;
        }
        s->is_socket = true;
        return sink_watch_writable(s);
}

/* The host name, and the JSON string every line carries (left empty when it is not UTF-8). */
static int emitter_set_host(struct emitter *e, const char *hostname)
{
        struct json_writer w;

        if (hostname)
                snprintf(e->host, sizeof(e->host), "%s", hostname);
        else if (gethostname(e->host, sizeof(e->host) - 1) < 0)
                return -errno;
        json_writer_init(&w, e->host_json, sizeof(e->host_json));
        if (json_writer_string(&w, e->host, strlen(e->host)) >= 0 && w.len <= sizeof(e->host_json))
                e->host_json_len = w.len;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct emitter *, emitter_free)

static int emitter_setup_sinks(struct emitter *e, const struct emitter_options *o)
{
        unsigned queue_max = o->queue_max ? o->queue_max : EMIT_QUEUE_MAX_DEFAULT;
        int r;

        if (queue_max == UINT_MAX)
                return -EINVAL;
        if (o->stdout_fd >= 0) {
                if ((r = sink_init(e, SINK_STDOUT, queue_max)) < 0 ||
                    (r = stdout_sink_setup(e, o->stdout_fd)) < 0)
                        return r;
        }
        if (o->file_path) {
                if ((r = sink_init(e, SINK_FILE, queue_max)) < 0 ||
                    (r = file_sink_setup(e, o->file_path)) < 0)
                        return r;
        }
        if (o->journal) {
                if ((r = sink_init(e, SINK_JOURNAL, queue_max)) < 0 ||
                    (r = journal_sink_setup(e, o->journal_socket)) < 0)
                        return r;
        }
        return 0;
}

int emitter_new(struct sd_event *loop, const struct emitter_options *o, struct emitter **ret)
{
        _cleanup_(emitter_freep) struct emitter *e = NULL;
        int r;

        if (!loop || !o || !ret)
                return -EINVAL;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->loop = sd_event_ref(loop);
        e->next_seq = 1;
        e->stdout_flags_saved = -1;
        for (int k = 0; k < _SINK_KIND_MAX; k++)
                e->sinks[k] = (struct sink){.emitter = e, .kind = (enum sink_kind) k, .fd = -1};
        r = emitter_set_host(e, o->hostname);
        if (r < 0)
                return r;
        r = emitter_setup_sinks(e, o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

static void sink_free(struct sink *s)
{
        s->writable = sd_event_source_disable_unref(s->writable);
        s->retry = sd_event_source_disable_unref(s->retry);
        if (s->ring)
                sink_clear(s);
        free(s->ring);
        if (s->kind == SINK_STDOUT && s->fd >= 0 && s->emitter->stdout_flags_saved >= 0)
                fcntl(s->fd, F_SETFL, s->emitter->stdout_flags_saved);
        sink_close_fd(s);
}

void emitter_free(struct emitter *e)
{
        if (!e)
                return;
        for (int k = 0; k < _SINK_KIND_MAX; k++)
                sink_free(&e->sinks[k]);
        journal_buf_free(&e->journal_buf);
        free(e->file_path);
        free(e->journal_socket);
        sd_event_unref(e->loop);
        free(e);
}

/* ---- the API ---- */

uint64_t emitter_emit(struct emitter *e, json_t *event)
{
        return emitter_emit_copy(e, event, NULL);
}

uint64_t emitter_next_seq(const struct emitter *e)
{
        return e->next_seq;
}

uint64_t emitter_emit_copy(struct emitter *e, json_t *event, char **ret_line)
{
        _cleanup_json_ json_t *owned = event, *o = NULL;
        _cleanup_(line_unrefp) struct line *stream = NULL, *journal = NULL;
        uint64_t seq = e->next_seq;
        size_t len;

        int r = event_render(e, seq, event, &o, &len);
        if (r < 0) {
                log_warning("event not emitted: %s", strerror(-r));
                return 0;
        }
        e->next_seq++;
        if (ret_line) /* e->line_buf holds the line until a sink reports a loss */
                *ret_line =
                        strndup(e->line_buf, len && e->line_buf[len - 1] == '\n' ? len - 1 : len);
        /* Both built before any sink runs: a "dropped" report reuses e->line_buf. */
        if (e->sinks[SINK_STDOUT].enabled || e->sinks[SINK_FILE].enabled)
                stream = line_for_sink(e, SINK_STDOUT, o, seq, len);
        if (e->sinks[SINK_JOURNAL].enabled)
                journal = line_for_sink(e, SINK_JOURNAL, o, seq, len);
        sink_offer(&e->sinks[SINK_STDOUT], seq, stream);
        sink_offer(&e->sinks[SINK_FILE], seq, stream);
        sink_offer(&e->sinks[SINK_JOURNAL], seq, journal);
        return seq;
}

int emitter_reopen(struct emitter *e)
{
        struct sink *s = &e->sinks[SINK_FILE];

        if (!s->enabled)
                return 0;
        sink_flush(s); /* finish a line cut short, if the old file takes it */
        sink_close_fd(s);
        /* A line still cut short is written whole to the new file, which starts clean. */
        s->head_written = 0;
        int r = sink_open(s);
        if (r < 0) {
                sink_fail(s, r);
                return r;
        }
        sink_flush(s);
        return 0;
}

static void emitter_flush(struct emitter *e)
{
        for (int k = 0; k < _SINK_KIND_MAX; k++)
                sink_flush(&e->sinks[k]);
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Fills pfds with the sinks waiting for POLLOUT; true if another one waits for a retry. */
static bool drain_wanted(struct emitter *e, struct pollfd pfds[_SINK_KIND_MAX], nfds_t *ret_n)
{
        bool retry = false;
        nfds_t n = 0;

        for (int k = 0; k < _SINK_KIND_MAX; k++) {
                const struct sink *s = &e->sinks[k];
                if (!s->enabled || s->state == SINK_CLOSED || s->count == 0)
                        continue;
                if (s->state == SINK_WAIT_WRITABLE)
                        pfds[n++] = (struct pollfd){.fd = s->fd, .events = POLLOUT};
                else
                        retry = true;
        }
        *ret_n = n;
        return retry;
}

void emitter_drain(struct emitter *e, uint64_t timeout_usec)
{
        uint64_t start = now_usec();
        uint64_t deadline = timeout_usec > UINT64_MAX - start ? UINT64_MAX : start + timeout_usec;

        for (;;) {
                struct pollfd pfds[_SINK_KIND_MAX];
                nfds_t n;

                emitter_flush(e);
                bool retry = drain_wanted(e, pfds, &n);
                uint64_t now = now_usec();
                if ((n == 0 && !retry) || now >= deadline)
                        return;
                uint64_t wait = deadline - now;
                if (retry && wait > EMIT_DRAIN_SLICE_USEC)
                        wait = EMIT_DRAIN_SLICE_USEC;
                if (wait > (uint64_t) INT_MAX * 1000u)
                        wait = (uint64_t) INT_MAX * 1000u;
                (void) poll(pfds, n, (int) ((wait + 999) / 1000));
        }
}

void emitter_get_stats(const struct emitter *e, struct emitter_stats *ret)
{
        *ret = (struct emitter_stats){
                .emitted = e->next_seq - 1,
                .dropped_stdout = e->sinks[SINK_STDOUT].dropped,
                .dropped_file = e->sinks[SINK_FILE].dropped,
                .dropped_journal = e->sinks[SINK_JOURNAL].dropped,
                .queued_stdout = e->sinks[SINK_STDOUT].count,
                .queued_file = e->sinks[SINK_FILE].count,
                .queued_journal = e->sinks[SINK_JOURNAL].count,
        };
}
