/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the event stream (supervisor/emit.c): the envelope, truncation,
 * sinks that do not keep up (a pipe nobody reads, a journal that never reads,
 * /dev/full) and the "dropped" report that explains every gap in the seqs.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs/macro.h"
#include "supervisor/emit/emit.h"
#include "unit-util.h"

#define HOST "test-host"

/* ---- helpers ---- */

struct bytes {
        char *data;
        size_t len;
};

static void bytes_append(struct bytes *b, const char *p, size_t n)
{
        b->data = realloc(b->data, b->len + n + 1);
        assert_non_null(b->data);
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
}

/* Reads up to max bytes that fd has now (fd is non-blocking); the number of bytes read. */
static size_t read_some(int fd, struct bytes *b, size_t max)
{
        char buf[65536];
        size_t total = 0;
        while (total < max) {
                size_t want = max - total < sizeof(buf) ? max - total : sizeof(buf);
                ssize_t n = read(fd, buf, want);
                if (n <= 0)
                        return total;
                bytes_append(b, buf, (size_t) n);
                total += (size_t) n;
        }
        return total;
}

static size_t read_available(int fd, struct bytes *b)
{
        return read_some(fd, b, SIZE_MAX);
}

static struct bytes read_file(const char *path)
{
        struct bytes b = {0};
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        char buf[65536];
        for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
                bytes_append(&b, buf, (size_t) n);
        close(fd);
        return b;
}

/* Splits JSON Lines text into parsed objects; every line must be '\n'-terminated JSON. */
static size_t parse_lines(const struct bytes *b, json_t ***ret)
{
        json_t **objs = NULL;
        size_t n = 0;
        const char *p = b->data, *end = b->data + b->len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                assert_non_null(nl); /* no line cut short */
                assert_true((size_t) (nl - p) + 1 < EVENT_LINE_MAX);
                json_error_t err;
                json_t *o = json_loadb(p, (size_t) (nl - p), 0, &err);
                if (!o)
                        fail_msg("invalid JSON line: %s", err.text);
                objs = realloc(objs, (n + 1) * sizeof(*objs));
                assert_non_null(objs);
                objs[n++] = o;
                p = nl + 1;
        }
        *ret = objs;
        return n;
}

static void free_objs(json_t **objs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_decref(objs[i]);
        free(objs);
}

static uint64_t seq_of(const json_t *o)
{
        return (uint64_t) json_integer_value(json_object_get(o, "seq"));
}

static const char *type_of(const json_t *o)
{
        return json_string_value(json_object_get(o, "type"));
}

struct stream_check {
        unsigned dropped_events;
        uint64_t dropped_count;
        uint64_t first_seq, last_seq; /* of the last "dropped" report */
};

/*
 * Checks that seqs go 1..last_seq strictly increasing and that every gap is
 * exactly one "dropped" event for sink whose first_seq/last_seq bound the gap.
 */
static struct stream_check check_stream(json_t **objs, size_t n, uint64_t last_seq,
                                        const char *sink)
{
        struct stream_check c = {0};
        uint64_t prev = 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t seq = seq_of(objs[i]);
                assert_true(seq > prev);
                if (strcmp(type_of(objs[i]), "dropped") != 0) {
                        assert_int_equal(seq, prev + 1);
                        prev = seq;
                        continue;
                }
                uint64_t count = (uint64_t) json_integer_value(json_object_get(objs[i], "count"));
                uint64_t first =
                        (uint64_t) json_integer_value(json_object_get(objs[i], "first_seq"));
                uint64_t last = (uint64_t) json_integer_value(json_object_get(objs[i], "last_seq"));
                assert_string_equal(json_string_value(json_object_get(objs[i], "sink")), sink);
                assert_int_equal(json_integer_value(json_object_get(objs[i], "schema")),
                                 EVENT_SCHEMA_VERSION);
                assert_string_equal(json_string_value(json_object_get(objs[i], "host")), HOST);
                assert_int_equal(first, prev + 1);
                assert_int_equal(last, seq);
                assert_int_equal(count, last - first + 1);
                c.dropped_events++;
                c.dropped_count += count;
                c.first_seq = first;
                c.last_seq = last;
                prev = seq;
        }
        assert_int_equal(prev, last_seq);
        return c;
}

static json_t *event_padded(const char *type, size_t pad)
{
        char *s = malloc(pad + 1);
        assert_non_null(s);
        memset(s, 'x', pad);
        s[pad] = '\0';
        json_t *o =
                json_pack("{s:s, s:s, s:s}", "type", type, "cgroup", "/sys/fs/cgroup/a", "pad", s);
        free(s);
        assert_non_null(o);
        return o;
}

static struct emitter_options options_stdout(int fd, unsigned queue_max)
{
        return (struct emitter_options){.stdout_fd = fd, .queue_max = queue_max, .hostname = HOST};
}

static void make_pipe(int p[2])
{
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

/* Frees an emitter writing to the pipe p, its loop and the pipe. */
static void pipe_emitter_done(struct emitter *e, sd_event *loop, int p[2])
{
        emitter_free(e);
        sd_event_unref(loop);
        close(p[0]);
        close(p[1]);
}

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", and within a minute of now. */
static void assert_rfc3339_nsec_now(const char *s)
{
        static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
        assert_int_equal(strlen(s), strlen(shape));
        for (size_t i = 0; shape[i]; i++) {
                if (shape[i] == 'd')
                        assert_true(s[i] >= '0' && s[i] <= '9');
                else
                        assert_int_equal(s[i], shape[i]);
        }
        struct tm tm = {0};
        const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        assert_non_null(rest);
        assert_int_equal(*rest, '.');
        time_t t = timegm(&tm);
        time_t now = time(NULL);
        assert_true(t <= now + 1 && t >= now - 60);
}

/* ---- the envelope ---- */

static void test_envelope(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        int p[2];
        make_pipe(p);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(p[1], 16);
        assert_int_equal(emitter_new(loop, &o, &e), 0);

        for (uint64_t i = 1; i <= 3; i++) {
                /* A caller's "seq" and "host" must not override the envelope. */
                json_t *ev = json_pack("{s:s, s:s, s:I, s:i, s:s, s:f}", "type", "seen", "cgroup",
                                       "/a/b", "memory_bytes", (json_int_t) 1 << 40, "seq", 99,
                                       "host", "evil", "ratio", 0.25);
                assert_int_equal(emitter_emit(e, ev), i);
        }
        struct bytes b = {0};
        read_available(p[0], &b);
        json_t **objs;
        size_t n = parse_lines(&b, &objs);
        assert_int_equal(n, 3);
        static const char *const order[] = {"schema", "seq",    "time",         "host",
                                            "type",   "cgroup", "memory_bytes", "ratio"};
        for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                const char *key;
                json_t *v;
                json_object_foreach(objs[i], key, v)
                {
                        assert_true(k < ELEMENTSOF(order));
                        assert_string_equal(key, order[k]);
                        k++;
                }
                assert_int_equal(k, ELEMENTSOF(order));
                assert_int_equal(json_integer_value(json_object_get(objs[i], "schema")),
                                 EVENT_SCHEMA_VERSION);
                assert_int_equal(seq_of(objs[i]), i + 1);
                assert_string_equal(json_string_value(json_object_get(objs[i], "host")), HOST);
                assert_string_equal(type_of(objs[i]), "seen");
                assert_int_equal(json_integer_value(json_object_get(objs[i], "memory_bytes")),
                                 (json_int_t) 1 << 40);
                assert_rfc3339_nsec_now(json_string_value(json_object_get(objs[i], "time")));
        }
        /* Compact: no spaces between tokens. */
        assert_non_null(strstr(b.data, "{\"schema\":2,\"seq\":1,\"time\":\""));

        struct emitter_stats st;
        emitter_get_stats(e, &st);
        assert_int_equal(st.emitted, 3);
        assert_int_equal(st.queued_stdout, 0);
        assert_int_equal(st.dropped_stdout, 0);

        /* Not an object with a "type": refused, no seq used up. */
        assert_int_equal(emitter_emit(e, json_pack("{s:i}", "x", 1)), 0);
        assert_int_equal(emitter_emit(e, json_pack("{s:s}", "type", "seen")), 4);

        free_objs(objs, n);
        free(b.data);
        pipe_emitter_done(e, loop, p);
}

/* What the line was when jansson serialised the enveloped object: the envelope, then ev's members.
 */
static size_t line_as_jansson(json_t *ev, uint64_t seq, const char *time, const char *host,
                              char *buf, size_t size)
{
        json_t *o = json_pack("{s:i, s:I, s:s, s:s, s:O}", "schema", EVENT_SCHEMA_VERSION, "seq",
                              (json_int_t) seq, "time", time, "host", host, "type",
                              json_object_get(ev, "type"));
        const char *key;
        json_t *v;
        json_object_foreach(ev, key, v)
        {
                if (!json_object_get(o, key))
                        json_object_set(o, key, v);
        }
        size_t n = json_dumpb(o, buf, size, JSON_COMPACT | JSON_REAL_PRECISION(6));
        assert_true(n > 0 && n + 1 < size);
        buf[n] = '\n';
        json_decref(o);
        return n + 1;
}

/* Byte for byte the line jansson's json_dumpb made, escapes, reals and a host to escape included.
 */
static void test_line_as_jansson(void **state)
{
        (void) state;
        static const char host[] = "h\"o/st\\\xc3\xa9";
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        int p[2];
        make_pipe(p);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {.stdout_fd = p[1], .queue_max = 4, .hostname = host};
        assert_int_equal(emitter_new(loop, &o, &e), 0);

        for (int i = 0; i < 300; i++) {
                json_t *ev = json_pack(
                        "{s:s, s:s, s:I, s:f, s:f, s:b, s:n, s:{s:[i, f, s]}, s:s, s:i, s:o}",
                        "type", i % 2 ? "kernel_memory" : "k\"ind\u00e9", "cgroup",
                        "/a\"b\\c\n\t\x01\x7f\xe2\x82\xac/d", "memory_bytes",
                        (json_int_t) i * 1234567891011, "share_pct", i * 100.0 / 7.0, "tiny",
                        (i - 150) * 1.5e-7, "above", i & 1, "none", "nested", "list", -i, i / 3.0,
                        "x\ty", "host", "evil", "seq", 99, "empty",
                        i % 3 ? json_object() : json_array());
                json_incref(ev);
                uint64_t seq = emitter_emit(e, ev);
                assert_int_equal(seq, i + 1);
                struct bytes b = {0};
                json_t **objs;
                read_available(p[0], &b);
                assert_int_equal(parse_lines(&b, &objs), 1);
                char want[4096];
                const char *time = json_string_value(json_object_get(objs[0], "time"));
                size_t n = line_as_jansson(ev, seq, time, host, want, sizeof(want));
                assert_int_equal(b.len, n);
                assert_memory_equal(b.data, want, n);
                free_objs(objs, 1);
                free(b.data);
                json_decref(ev);
        }
        pipe_emitter_done(e, loop, p);
}

static void test_hostname_default(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        char host[256] = "";
        int p[2];
        make_pipe(p);
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {.stdout_fd = p[1], .queue_max = 4};
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        emitter_emit(e, json_pack("{s:s}", "type", "seen"));
        struct bytes b = {0};
        read_available(p[0], &b);
        json_t **objs;
        assert_int_equal(parse_lines(&b, &objs), 1);
        assert_string_equal(json_string_value(json_object_get(objs[0], "host")), host);
        free_objs(objs, 1);
        free(b.data);
        pipe_emitter_done(e, loop, p);
}

/* ---- truncation ---- */

static size_t emit_and_read_one(struct emitter *e, int rfd, json_t *ev, json_t **ret)
{
        struct bytes b = {0};
        json_t **objs;
        assert_true(emitter_emit(e, ev) > 0);
        read_available(rfd, &b);
        assert_int_equal(parse_lines(&b, &objs), 1);
        *ret = objs[0];
        free(objs);
        size_t len = b.len;
        free(b.data);
        return len;
}

static void test_truncation(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        json_t *o;
        int p[2];
        make_pipe(p);
        /* Lines up to 16 KiB: make the pipe hold them whole. */
        assert_true(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) > 0);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options opt = options_stdout(p[1], 4);
        assert_int_equal(emitter_new(loop, &opt, &e), 0);

        /* Measure a line with an empty pad, then fill it to exactly the limit - 1 and the limit. */
        size_t base = emit_and_read_one(e, p[0], event_padded("seen", 0), &o);
        json_decref(o);
        size_t fits = EVENT_LINE_MAX - 1 - base;
        size_t len = emit_and_read_one(e, p[0], event_padded("seen", fits), &o);
        assert_int_equal(len, EVENT_LINE_MAX - 1);
        assert_int_equal(strlen(json_string_value(json_object_get(o, "pad"))), fits);
        assert_null(json_object_get(o, "truncated"));
        json_decref(o);

        len = emit_and_read_one(e, p[0], event_padded("seen", fits + 1), &o);
        assert_true(len < 200);
        assert_int_equal(seq_of(o), 3);
        assert_string_equal(type_of(o), "seen");
        assert_true(json_is_true(json_object_get(o, "truncated")));
        assert_int_equal(json_integer_value(json_object_get(o, "original_bytes")), EVENT_LINE_MAX);
        assert_null(json_object_get(o, "pad"));
        assert_null(json_object_get(o, "cgroup"));
        assert_non_null(json_object_get(o, "time"));
        assert_string_equal(json_string_value(json_object_get(o, "host")), HOST);
        json_decref(o);

        len = emit_and_read_one(e, p[0], event_padded("kill", 100000), &o);
        assert_true(len < EVENT_LINE_MAX);
        assert_string_equal(type_of(o), "kill");
        assert_true(json_integer_value(json_object_get(o, "original_bytes")) > 100000);
        json_decref(o);

        pipe_emitter_done(e, loop, p);
}

/* ---- stdout: a pipe nobody reads ---- */

/*
 * Reads the pipe a little at a time, so that the writer keeps finding it nearly
 * full (and cuts lines short), and runs the loop until the sink's queue is
 * empty and the pipe is dry.
 */
static void pump_pipe(sd_event *loop, struct emitter *e, int rfd, struct bytes *b)
{
        struct emitter_stats st;
        for (int idle = 0, i = 0; idle < 3; i++) {
                assert_true(i < 100000);
                size_t n = read_some(rfd, b, 3000);
                assert_true(sd_event_run(loop, 10000) >= 0);
                emitter_get_stats(e, &st);
                idle = (n == 0 && st.queued_stdout == 0) ? idle + 1 : 0;
        }
}

static void test_pipe_backlog_and_dropped(void **state)
{
        (void) state;
        enum { N = 600, QUEUE_MAX = 20 };
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        struct emitter_stats st;
        int p[2];
        make_pipe(p);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(p[1], QUEUE_MAX);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);

        /* Lines of 100 B and 6000 B: the big ones exceed PIPE_BUF and get cut by the pipe. */
        for (unsigned i = 0; i < N; i++) {
                assert_int_equal(emitter_emit(e, event_padded("seen", i % 3 ? 100 : 6000)), i + 1);
                /* The loop has nothing to do but EPOLLOUT, which a full pipe does not give. */
                assert_true(sd_event_run(loop, 0) >= 0);
        }
        emitter_get_stats(e, &st);
        assert_int_equal(st.emitted, N);
        assert_int_equal(st.queued_stdout, QUEUE_MAX);
        assert_true(st.dropped_stdout > 0);
        uint64_t dropped = st.dropped_stdout;

        /* Room in the pipe wakes the sink through EPOLLOUT at once, not some timer later. */
        struct bytes b = {0};
        struct pollfd writable = {.fd = p[1], .events = POLLOUT};
        do
                assert_true(read_some(p[0], &b, 4096) > 0);
        while (poll(&writable, 1, 0) == 0);
        assert_int_equal(sd_event_run(loop, 0), 1);
        pump_pipe(loop, e, p[0], &b);
        json_t **objs;
        size_t n = parse_lines(&b, &objs);
        struct stream_check c = check_stream(objs, n, N, "stdout");
        assert_int_equal(c.dropped_events, 1);
        assert_int_equal(c.dropped_count, dropped);
        assert_int_equal(c.last_seq, N);
        assert_int_equal(n, N - dropped + 1);

        emitter_get_stats(e, &st);
        assert_int_equal(st.queued_stdout, 0);
        assert_int_equal(st.dropped_stdout, dropped);

        /* Back to normal: the next event goes straight through, no further report. */
        assert_int_equal(emitter_emit(e, event_padded("seen", 10)), N + 1);
        struct bytes more = {0};
        read_available(p[0], &more);
        json_t **next;
        assert_int_equal(parse_lines(&more, &next), 1);
        assert_int_equal(seq_of(next[0]), N + 1);
        free_objs(next, 1);
        free(more.data);

        free_objs(objs, n);
        free(b.data);
        emitter_free(e);
        /* The fd's own flags come back: O_NONBLOCK was on a shared file description. */
        assert_false(fcntl(p[1], F_GETFL) & O_NONBLOCK);
        sd_event_unref(loop);
        close(p[0]);
        close(p[1]);
}

/* A report goes out as soon as the queue has room, even if no event follows. */
static void test_dropped_report_without_new_events(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        int p[2];
        make_pipe(p);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(p[1], 2);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        uint64_t seq = 0;
        struct emitter_stats st;
        do {
                seq = emitter_emit(e, event_padded("seen", 1000));
                emitter_get_stats(e, &st);
        } while (st.dropped_stdout < 3);
        struct bytes b = {0};
        pump_pipe(loop, e, p[0], &b);
        json_t **objs;
        size_t n = parse_lines(&b, &objs);
        struct stream_check c = check_stream(objs, n, seq, "stdout");
        assert_int_equal(c.dropped_events, 1);
        assert_int_equal(c.dropped_count, 3);
        assert_string_equal(type_of(objs[n - 1]), "dropped");
        free_objs(objs, n);
        free(b.data);
        pipe_emitter_done(e, loop, p);
}

static void test_stdout_reader_gone(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        struct emitter_stats st;
        int p[2];
        make_pipe(p);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(p[1], 4);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        close(p[0]);
        for (unsigned i = 1; i <= 10; i++)
                assert_int_equal(emitter_emit(e, event_padded("seen", 10)), i);
        emitter_get_stats(e, &st);
        assert_int_equal(st.emitted, 10);
        assert_int_equal(st.queued_stdout, 0);
        assert_int_equal(st.dropped_stdout, 0);
        assert_int_equal(sd_event_run(loop, 0), 0);
        emitter_drain(e, 1000000);
        emitter_free(e);
        sd_event_unref(loop);
        close(p[1]);
}

/* stdout redirected to a file: cannot be polled, written directly. */
static void test_stdout_regular_file(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        char *dir = make_scratch();
        char path[4096];
        snprintf(path, sizeof(path), "%s/out", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(fd, 4);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        for (int i = 0; i < 10; i++)
                emitter_emit(e, event_padded("seen", 10));
        emitter_free(e);
        close(fd);
        struct bytes b = read_file(path);
        json_t **objs;
        size_t n = parse_lines(&b, &objs);
        check_stream(objs, n, 10, "stdout");
        assert_int_equal(n, 10);
        free_objs(objs, n);
        free(b.data);
        sd_event_unref(loop);
        rm_rf(dir);
        free(dir);
}

/* emitter_drain waits for a slow reader (a child process) and empties the queue. */
static void test_drain(void **state)
{
        (void) state;
        enum { N = 300 };
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        struct emitter_stats st;
        char *dir = make_scratch();
        char path[4096];
        snprintf(path, sizeof(path), "%s/copy", dir);
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_stdout(p[1], N);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        for (int i = 0; i < N; i++)
                emitter_emit(e, event_padded("seen", 2000));
        emitter_get_stats(e, &st);
        assert_true(st.queued_stdout > 0);
        assert_int_equal(st.dropped_stdout, 0);

        /* Nobody reads yet: drain gives up at its deadline. */
        emitter_drain(e, 20000);
        emitter_get_stats(e, &st);
        assert_true(st.queued_stdout > 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[1]);
                int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                char buf[4096];
                usleep(50000);
                for (ssize_t n; (n = read(p[0], buf, sizeof(buf))) > 0;)
                        if (write(out, buf, (size_t) n) != n)
                                _exit(1);
                _exit(0);
        }
        close(p[0]);
        emitter_drain(e, 10 * 1000000);
        emitter_get_stats(e, &st);
        assert_int_equal(st.queued_stdout, 0);
        emitter_free(e);
        close(p[1]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        struct bytes b = read_file(path);
        json_t **objs;
        size_t n = parse_lines(&b, &objs);
        assert_int_equal(n, N);
        check_stream(objs, n, N, "stdout");
        free_objs(objs, n);
        free(b.data);
        sd_event_unref(loop);
        rm_rf(dir);
        free(dir);
}

/* ---- the file sink ---- */

static void test_file_sink_and_reopen(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        char *dir = make_scratch();
        char path[4096], rotated[4096];
        snprintf(path, sizeof(path), "%s/events.jsonl", dir);
        snprintf(rotated, sizeof(rotated), "%s/events.jsonl.1", dir);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {
                .stdout_fd = -1, .file_path = path, .queue_max = 8, .hostname = HOST};
        mode_t old_umask = umask(022);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        umask(old_umask);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);

        emitter_emit(e, event_padded("seen", 10));
        emitter_emit(e, event_padded("seen", 10));
        assert_int_equal(rename(path, rotated), 0);
        emitter_emit(e, event_padded("seen", 10)); /* still to the renamed file */
        assert_int_equal(emitter_reopen(e), 0);
        emitter_emit(e, event_padded("gone", 10));

        struct bytes old = read_file(rotated), cur = read_file(path);
        json_t **objs;
        size_t n = parse_lines(&old, &objs);
        assert_int_equal(n, 3);
        check_stream(objs, n, 3, "file");
        free_objs(objs, n);
        n = parse_lines(&cur, &objs);
        assert_int_equal(n, 1);
        assert_int_equal(seq_of(objs[0]), 4);
        assert_string_equal(type_of(objs[0]), "gone");
        free_objs(objs, n);
        free(old.data);
        free(cur.data);

        /* Appends to an existing file instead of truncating it. */
        emitter_free(e);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        emitter_emit(e, event_padded("seen", 10));
        emitter_free(e);
        cur = read_file(path);
        n = parse_lines(&cur, &objs);
        assert_int_equal(n, 2);
        free_objs(objs, n);
        free(cur.data);

        sd_event_unref(loop);
        rm_rf(dir);
        free(dir);
}

static void test_file_missing_directory(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {.stdout_fd = -1,
                                    .file_path = "/nonexistent-cgmem-dir/events.jsonl",
                                    .queue_max = 8,
                                    .hostname = HOST};
        assert_int_equal(emitter_new(loop, &o, &e), -ENOENT);
        assert_null(e);
        sd_event_unref(loop);
}

/* /dev/full answers every write with ENOSPC: a disk that stays full. */
static void test_file_full_disk(void **state)
{
        (void) state;
        enum { QUEUE_MAX = 8, N = 13 };
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        struct emitter_stats st;
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {.stdout_fd = -1,
                                    .file_path = "/dev/full",
                                    .queue_max = QUEUE_MAX,
                                    .hostname = HOST};
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        for (unsigned i = 1; i <= N; i++)
                assert_int_equal(emitter_emit(e, event_padded("seen", 10)), i);
        emitter_get_stats(e, &st);
        assert_int_equal(st.queued_file, QUEUE_MAX);
        assert_int_equal(st.dropped_file, N - QUEUE_MAX);

        /* Nothing is due right now (no busy loop), but the retry timer fires within ~1 s. */
        assert_int_equal(sd_event_run(loop, 0), 0);
        assert_int_equal(sd_event_run(loop, 3 * 1000000), 1);
        assert_int_equal(sd_event_run(loop, 0), 0);
        emitter_get_stats(e, &st);
        assert_int_equal(st.queued_file, QUEUE_MAX);
        assert_int_equal(emitter_emit(e, event_padded("seen", 10)), N + 1);
        emitter_get_stats(e, &st);
        assert_int_equal(st.dropped_file, N + 1 - QUEUE_MAX);

        emitter_drain(e, 150000); /* gives up, does not hang */
        assert_int_equal(emitter_reopen(e), 0);
        emitter_get_stats(e, &st);
        assert_int_equal(st.queued_file, QUEUE_MAX);
        emitter_free(e);
        sd_event_unref(loop);
}

/* ---- the journal ---- */

struct fake_journal {
        char *dir;
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path) - 16];
        int fd;
};

static void fake_journal_bind(struct fake_journal *j)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(j->fd >= 0);
        memcpy(sa.sun_path, j->path, strlen(j->path) + 1);
        assert_int_equal(bind(j->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
}

static void fake_journal_open(struct fake_journal *j)
{
        j->dir = make_scratch();
        int n = snprintf(j->path, sizeof(j->path), "%s/socket", j->dir);
        assert_true(n > 0 && (size_t) n < sizeof(j->path));
        fake_journal_bind(j);
}

static void fake_journal_close(struct fake_journal *j)
{
        close(j->fd);
        rm_rf(j->dir);
        free(j->dir);
}

struct field {
        char name[80];
        char *value;
        size_t len;
};

struct entry {
        struct field fields[64];
        size_t n;
};

/* Parses one native-protocol datagram, text and binary fields. */
static void entry_parse(const char *p, size_t len, struct entry *ret)
{
        const char *end = p + len;
        *ret = (struct entry){0};
        while (p < end) {
                struct field *f = &ret->fields[ret->n++];
                assert_true(ret->n <= ELEMENTSOF(ret->fields));
                size_t name_len = strcspn(p, "=\n");
                assert_true(name_len < sizeof(f->name) && p + name_len < end);
                memcpy(f->name, p, name_len);
                p += name_len;
                if (*p == '=') {
                        const char *nl = memchr(p + 1, '\n', (size_t) (end - p - 1));
                        assert_non_null(nl);
                        f->len = (size_t) (nl - p - 1);
                        f->value = strndup(p + 1, f->len);
                        p = nl + 1;
                        continue;
                }
                uint64_t n = 0;
                assert_true(end - p >= 9);
                for (int i = 0; i < 8; i++)
                        n |= (uint64_t) (uint8_t) p[1 + i] << (8 * i);
                p += 9;
                assert_true((uint64_t) (end - p) >= n + 1);
                f->len = n;
                f->value = strndup(p, n);
                assert_int_equal(p[n], '\n');
                p += n + 1;
        }
}

static void entry_free(struct entry *en)
{
        for (size_t i = 0; i < en->n; i++)
                free(en->fields[i].value);
}

static const char *entry_get(const struct entry *en, const char *name)
{
        const char *found = NULL;
        for (size_t i = 0; i < en->n; i++) {
                if (strcmp(en->fields[i].name, name) == 0) {
                        assert_null(found); /* one value per field */
                        found = en->fields[i].value;
                }
        }
        return found;
}

static bool fake_journal_recv(struct fake_journal *j, struct entry *ret)
{
        static char buf[1 << 17];
        ssize_t n = recv(j->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return false;
        }
        entry_parse(buf, (size_t) n, ret);
        return true;
}

static struct emitter_options options_journal(const char *path, unsigned queue_max)
{
        return (struct emitter_options){.stdout_fd = -1,
                                        .journal = 1,
                                        .journal_socket = path,
                                        .queue_max = queue_max,
                                        .hostname = HOST};
}

static void test_journal_fields(void **state)
{
        (void) state;
        struct fake_journal j;
        struct entry en;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        fake_journal_open(&j);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_journal(j.path, 8);
        assert_int_equal(emitter_new(loop, &o, &e), 0);

        const char *id = "4f2a9c1e7b3d5a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";
        json_t *ev = json_pack("{s:s, s:s, s:I, s:s, s:b, s:n, s:{s:s, s:s}, s:[i]}", "type",
                               "kill", "cgroup", "/kubepods.slice/pod1/cri-containerd-x.scope",
                               "working_set_bytes", (json_int_t) 268435456, "reason",
                               "anon growth\n200 MB/s", "group", 1, "nothing", "container", "id",
                               id, "name", "web", "pids", 42);
        assert_int_equal(emitter_emit(e, ev), 1);
        assert_true(fake_journal_recv(&j, &en));

        json_t *msg = json_loads(entry_get(&en, "MESSAGE"), 0, NULL);
        assert_non_null(msg);
        assert_int_equal(seq_of(msg), 1);
        assert_string_equal(type_of(msg), "kill");
        assert_null(strchr(entry_get(&en, "MESSAGE"), '\n'));
        json_decref(msg);
        assert_string_equal(entry_get(&en, "PRIORITY"), "4");
        assert_string_equal(entry_get(&en, "SYSLOG_IDENTIFIER"), "cgmem");
        assert_string_equal(entry_get(&en, "CGMEM_EVENT"), "kill");
        assert_string_equal(entry_get(&en, "CGMEM_SEQ"), "1");
        assert_string_equal(entry_get(&en, "CGMEM_CGROUP"),
                            "/kubepods.slice/pod1/cri-containerd-x.scope");
        assert_string_equal(entry_get(&en, "CGMEM_WORKING_SET_BYTES"), "268435456");
        assert_string_equal(entry_get(&en, "CGMEM_REASON"), "anon growth\n200 MB/s");
        assert_string_equal(entry_get(&en, "CGMEM_GROUP"), "true");
        assert_string_equal(entry_get(&en, "CONTAINER_ID"), "4f2a9c1e7b3d");
        assert_string_equal(entry_get(&en, "CONTAINER_ID_FULL"), id);
        assert_string_equal(entry_get(&en, "CONTAINER_NAME"), "web");
        /* Not copied: null, objects, arrays, and the envelope (it has its own fields). */
        assert_null(entry_get(&en, "CGMEM_NOTHING"));
        assert_null(entry_get(&en, "CGMEM_CONTAINER"));
        assert_null(entry_get(&en, "CGMEM_PIDS"));
        assert_null(entry_get(&en, "CGMEM_TIME"));
        assert_null(entry_get(&en, "CGMEM_TYPE"));
        entry_free(&en);
        assert_false(fake_journal_recv(&j, &en));

        emitter_free(e);
        sd_event_unref(loop);
        fake_journal_close(&j);
}

static void test_journal_priorities(void **state)
{
        (void) state;
        static const struct {
                const char *type, *priority;
        } cases[] = {
                {"kill", "4"},    {"kill_failed", "4"}, {"oom_kill", "4"},      {"dropped", "4"},
                {"release", "5"}, {"yield", "5"},       {"action_failed", "5"}, {"guard", "6"},
                {"seen", "6"},    {"pressure", "6"},
        };
        struct fake_journal j;
        struct entry en;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        fake_journal_open(&j);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_journal(j.path, 8);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                emitter_emit(e, json_pack("{s:s}", "type", cases[i].type));
                assert_true(fake_journal_recv(&j, &en));
                assert_string_equal(entry_get(&en, "CGMEM_EVENT"), cases[i].type);
                assert_string_equal(entry_get(&en, "PRIORITY"), cases[i].priority);
                entry_free(&en);
        }
        emitter_free(e);
        sd_event_unref(loop);
        fake_journal_close(&j);
}

static void test_journal_missing_socket(void **state)
{
        (void) state;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        char *dir = make_scratch();
        char path[4096];
        snprintf(path, sizeof(path), "%s/socket", dir);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_journal(path, 8);
        assert_int_equal(emitter_new(loop, &o, &e), -ENOENT);
        assert_null(e);
        sd_event_unref(loop);
        rm_rf(dir);
        free(dir);
}

/* A journald that never reads: emit keeps returning, the loss is counted and reported. */
static void test_journal_stuck_receiver(void **state)
{
        (void) state;
        enum { QUEUE_MAX = 16 };
        struct fake_journal j;
        struct entry en;
        struct emitter_stats st;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        fake_journal_open(&j);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_journal(j.path, QUEUE_MAX);
        assert_int_equal(emitter_new(loop, &o, &e), 0);

        uint64_t last = 0;
        do {
                last = emitter_emit(e, event_padded("seen", 500));
                assert_true(sd_event_run(loop, 0) >= 0);
                emitter_get_stats(e, &st);
                assert_true(last < 200000);
        } while (st.dropped_journal < 100);
        assert_int_equal(st.queued_journal, QUEUE_MAX);
        uint64_t dropped = st.dropped_journal;

        json_t **objs = NULL;
        size_t n = 0;
        for (int idle = 0, i = 0; idle < 3; i++) {
                assert_true(i < 100000);
                bool got = false;
                while (fake_journal_recv(&j, &en)) {
                        objs = realloc(objs, (n + 1) * sizeof(*objs));
                        assert_non_null(objs);
                        objs[n] = json_loads(entry_get(&en, "MESSAGE"), 0, NULL);
                        assert_non_null(objs[n]);
                        if (strcmp(type_of(objs[n]), "dropped") == 0) {
                                assert_string_equal(entry_get(&en, "PRIORITY"), "4");
                                assert_string_equal(entry_get(&en, "CGMEM_SINK"), "journal");
                        }
                        n++;
                        got = true;
                        entry_free(&en);
                }
                assert_true(sd_event_run(loop, 10000) >= 0);
                emitter_get_stats(e, &st);
                idle = (!got && st.queued_journal == 0) ? idle + 1 : 0;
        }
        struct stream_check c = check_stream(objs, n, last, "journal");
        assert_int_equal(c.dropped_events, 1);
        assert_int_equal(c.dropped_count, dropped);
        assert_int_equal(c.last_seq, last);
        free_objs(objs, n);

        emitter_free(e);
        sd_event_unref(loop);
        fake_journal_close(&j);
}

/* journald restarted: a new socket at the same path; the sink connects to it again. */
static void test_journal_reconnect(void **state)
{
        (void) state;
        struct fake_journal j;
        struct entry en;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        fake_journal_open(&j);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = options_journal(j.path, 8);
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        emitter_emit(e, json_pack("{s:s}", "type", "seen"));
        assert_true(fake_journal_recv(&j, &en));
        entry_free(&en);

        close(j.fd);
        unlink(j.path);
        fake_journal_bind(&j);

        assert_int_equal(emitter_emit(e, json_pack("{s:s}", "type", "gone")), 2);
        assert_true(fake_journal_recv(&j, &en));
        assert_string_equal(entry_get(&en, "CGMEM_SEQ"), "2");
        entry_free(&en);
        emitter_free(e);
        sd_event_unref(loop);
        fake_journal_close(&j);
}

/* All three sinks get the same seqs; a loss on one does not show on the others. */
static void test_sinks_independent(void **state)
{
        (void) state;
        enum { QUEUE_MAX = 4, N = 40 };
        struct fake_journal j;
        struct entry en;
        struct emitter_stats st;
        sd_event *loop = NULL;
        struct emitter *e = NULL;
        char *dir = make_scratch();
        char path[4096];
        snprintf(path, sizeof(path), "%s/events.jsonl", dir);
        int p[2];
        make_pipe(p);
        assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
        fake_journal_open(&j);
        assert_int_equal(sd_event_new(&loop), 0);
        struct emitter_options o = {.stdout_fd = p[1],
                                    .file_path = path,
                                    .journal = 1,
                                    .journal_socket = j.path,
                                    .queue_max = QUEUE_MAX,
                                    .hostname = HOST};
        assert_int_equal(emitter_new(loop, &o, &e), 0);
        for (unsigned i = 0; i < N; i++) {
                emitter_emit(e, event_padded("seen", 300));
                while (fake_journal_recv(&j, &en))
                        entry_free(&en);
        }
        emitter_get_stats(e, &st);
        assert_int_equal(st.emitted, N);
        assert_true(st.dropped_stdout > 0);
        assert_int_equal(st.dropped_file, 0);
        assert_int_equal(st.dropped_journal, 0);

        struct bytes f = read_file(path);
        json_t **objs;
        size_t n = parse_lines(&f, &objs);
        struct stream_check c = check_stream(objs, n, N, "file");
        assert_int_equal(c.dropped_events, 0);
        assert_int_equal(n, N);
        free_objs(objs, n);
        free(f.data);

        struct bytes b = {0};
        pump_pipe(loop, e, p[0], &b);
        n = parse_lines(&b, &objs);
        c = check_stream(objs, n, N, "stdout");
        assert_int_equal(c.dropped_events, 1);
        assert_int_equal(c.dropped_count, st.dropped_stdout);
        free_objs(objs, n);
        free(b.data);

        emitter_free(e);
        sd_event_unref(loop);
        fake_journal_close(&j);
        close(p[0]);
        close(p[1]);
        rm_rf(dir);
        free(dir);
}

int main(void)
{
        /* stdout may be a pipe whose reader goes away: the agent ignores SIGPIPE, so do we. */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_envelope),
                cmocka_unit_test(test_line_as_jansson),
                cmocka_unit_test(test_hostname_default),
                cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_pipe_backlog_and_dropped),
                cmocka_unit_test(test_dropped_report_without_new_events),
                cmocka_unit_test(test_stdout_reader_gone),
                cmocka_unit_test(test_stdout_regular_file),
                cmocka_unit_test(test_drain),
                cmocka_unit_test(test_file_sink_and_reopen),
                cmocka_unit_test(test_file_missing_directory),
                cmocka_unit_test(test_file_full_disk),
                cmocka_unit_test(test_journal_fields),
                cmocka_unit_test(test_journal_priorities),
                cmocka_unit_test(test_journal_missing_socket),
                cmocka_unit_test(test_journal_stuck_receiver),
                cmocka_unit_test(test_journal_reconnect),
                cmocka_unit_test(test_sinks_independent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
