/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "listen.h"
#include "mhd.h"
#include "render.h"

#define CONNECTIONS_MAX        8u
#define CONNECTIONS_PER_IP_MAX 4u
#define IDLE_TIMEOUT_SEC       10u
#define SCRAPE_DEADLINE_USEC   (30 * USEC_PER_SEC)
#define REQUEST_MEMORY_MAX     ((size_t) 16384) /* a request's headers: a scraper sends a few */
#define THREAD_STACK_BYTES     ((size_t) 256 * 1024)
#define SCRAPE_BLOCK_BYTES     ((size_t) 32768)
#define TEXTFILE_CHUNK_BYTES   65536
#define THREAD_NICE            10
/* Snapshots kept for reuse once no reader holds them; the others are freed. */
#define SPARE_SNAPSHOTS 2

/* node_exporter's textfile collector reads *.prom; the temporary name is not one. */
#define TEXTFILE_NAME     "cgmem.prom"
#define TEXTFILE_TMP_NAME ".cgmem.prom.tmp"

struct metrics_server {
        pthread_mutex_t lock;
        pthread_cond_t wake;              /* the textfile writer: a new snapshot, or stop */
        struct metrics_snapshot *current; /* what scrapes read; a reference of its own */
        struct metrics_snapshot *spare;   /* no reference left: the loop fills them again */
        unsigned n_spare;
        uint64_t generation;
        bool stopping;

        struct mhd_api mhd;
        struct MHD_Daemon *daemon;
        int listen_fd; /* until the daemon owns it */
        bool listen_tcp;
        char unix_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];

        int textfile_dirfd;
        uint64_t textfile_interval_usec;
        pthread_t textfile_thread;
        bool textfile_running;
        int textfile_status;
        struct metrics_cursor textfile_cursor;
        char textfile_chunk[TEXTFILE_CHUNK_BYTES];
};

/* ---- snapshots and their references ---- */

/* Under the lock. Returns a snapshot the caller must free, or NULL. */
static struct metrics_snapshot *unref_locked(struct metrics_server *s,
                                             struct metrics_snapshot *snap)
{
        if (!snap || --snap->refs > 0)
                return NULL;
        if (s->n_spare >= SPARE_SNAPSHOTS)
                return snap;
        snap->next_free = s->spare;
        s->spare = snap;
        s->n_spare++;
        return NULL;
}

static struct metrics_snapshot *snapshot_take(struct metrics_server *s)
{
        pthread_mutex_lock(&s->lock);
        struct metrics_snapshot *snap = s->current;
        if (snap)
                snap->refs++;
        pthread_mutex_unlock(&s->lock);
        return snap;
}

static void snapshot_put(struct metrics_server *s, struct metrics_snapshot *snap)
{
        pthread_mutex_lock(&s->lock);
        struct metrics_snapshot *gone = unref_locked(s, snap);
        pthread_mutex_unlock(&s->lock);
        metrics_snapshot_free(gone);
}

struct metrics_snapshot *metrics_server_acquire(struct metrics_server *s)
{
        pthread_mutex_lock(&s->lock);
        struct metrics_snapshot *snap = s->spare;
        if (snap) {
                s->spare = snap->next_free;
                s->n_spare--;
        }
        pthread_mutex_unlock(&s->lock);
        if (!snap)
                snap = calloc(1, sizeof(*snap));
        if (snap)
                metrics_snapshot_reset(snap);
        return snap;
}

void metrics_server_publish(struct metrics_server *s, struct metrics_snapshot *snap)
{
        snap->refs = 1;
        pthread_mutex_lock(&s->lock);
        struct metrics_snapshot *gone = unref_locked(s, s->current);
        s->current = snap;
        s->generation++;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        metrics_snapshot_free(gone);
}

/* ---- the threads ---- */

/* A server thread yields to the loop when both want the CPU; its name tells it apart in top. */
static void server_thread_setup(const char *name)
{
        static __thread bool done;

        if (done)
                return;
        done = true;
        (void) setpriority(PRIO_PROCESS, (id_t) gettid(), THREAD_NICE);
        (void) pthread_setname_np(pthread_self(), name);
}

/* ---- HTTP ---- */

struct scrape {
        struct metrics_server *server;
        struct metrics_snapshot *snap;
        uint64_t deadline_usec;
        struct metrics_cursor cursor;
};

static ssize_t scrape_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct scrape *sc = cls;

        (void) pos;
        if (now_usec() > sc->deadline_usec)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        size_t n = metrics_render(sc->snap, &sc->cursor, buf, max);
        return n ? (ssize_t) n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void scrape_free(void *cls)
{
        struct scrape *sc = cls;

        snapshot_put(sc->server, sc->snap);
        free(sc);
}

static enum MHD_Result respond_text(struct metrics_server *s, struct MHD_Connection *conn,
                                    unsigned status, const char *text)
{
        struct MHD_Response *resp = s->mhd.create_response_from_buffer(strlen(text), (void *) text,
                                                                       MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        s->mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                s->mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        enum MHD_Result r = s->mhd.queue_response(conn, status, resp);
        s->mhd.destroy_response(resp);
        return r;
}

static enum MHD_Result respond_metrics(struct metrics_server *s, struct MHD_Connection *conn)
{
        struct metrics_snapshot *snap = snapshot_take(s);
        if (!snap)
                return respond_text(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                    "cgmem has not finished its first round yet\n");
        struct scrape *sc = malloc(sizeof(*sc));
        if (!sc) {
                snapshot_put(s, snap);
                return MHD_NO;
        }
        sc->server = s;
        sc->snap = snap;
        sc->deadline_usec = now_usec() + SCRAPE_DEADLINE_USEC;
        metrics_cursor_init(&sc->cursor);
        struct MHD_Response *resp = s->mhd.create_response_from_callback(
                MHD_SIZE_UNKNOWN, SCRAPE_BLOCK_BYTES, scrape_read, sc, scrape_free);
        if (!resp) {
                scrape_free(sc);
                return MHD_NO;
        }
        s->mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
        enum MHD_Result r = s->mhd.queue_response(conn, MHD_HTTP_OK, resp);
        s->mhd.destroy_response(resp);
        return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        static int headers_seen;
        struct metrics_server *s = cls;

        (void) version;
        (void) upload_data;
        server_thread_setup("cgmem-metrics");
        if (!*req_cls) {
                *req_cls = &headers_seen;
                return MHD_YES;
        }
        if (*upload_data_size)
                return MHD_NO; /* a scrape has no body: whoever sends one is hung up on */
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return respond_text(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
        if (strcmp(url, "/metrics") != 0)
                return respond_text(s, conn, MHD_HTTP_NOT_FOUND, "the metrics are at /metrics\n");
        return respond_metrics(s, conn);
}

static int http_start(struct metrics_server *s, char *err, size_t err_size)
{
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
        unsigned per_ip = s->listen_tcp ? CONNECTIONS_PER_IP_MAX : 0;

        s->daemon = s->mhd.start_daemon(
                flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
                MHD_OPTION_CONNECTION_LIMIT, CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                per_ip, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_SEC,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, REQUEST_MEMORY_MAX,
                MHD_OPTION_THREAD_STACK_SIZE, THREAD_STACK_BYTES, MHD_OPTION_END);
        if (!s->daemon) {
                snprintf(err, err_size, "libmicrohttpd did not start on the metrics socket");
                return -EIO;
        }
        s->listen_fd = -1; /* the daemon's now: it closes it */
        return 0;
}

/* ---- the textfile ---- */

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

/*
 * Written under a temporary name and renamed, so that node_exporter never reads
 * half a file. Not synced: the file is rewritten every interval, and a sync
 * could wait on a busy disk for as long as it likes.
 */
static int textfile_write(struct metrics_server *s, const struct metrics_snapshot *snap)
{
        int fd = openat(s->textfile_dirfd, TEXTFILE_TMP_NAME,
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        size_t n;
        int r = 0;

        if (fd < 0)
                return -errno;
        metrics_cursor_init(&s->textfile_cursor);
        while (r >= 0 && (n = metrics_render(snap, &s->textfile_cursor, s->textfile_chunk,
                                             sizeof(s->textfile_chunk))) > 0)
                r = write_all(fd, s->textfile_chunk, n);
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 &&
            renameat(s->textfile_dirfd, TEXTFILE_TMP_NAME, s->textfile_dirfd, TEXTFILE_NAME) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(s->textfile_dirfd, TEXTFILE_TMP_NAME, 0);
        return r;
}

/* Under the lock: waits until usec (CLOCK_MONOTONIC) or stop. */
static void wait_until(struct metrics_server *s, uint64_t usec)
{
        struct timespec ts = {.tv_sec = (time_t) (usec / USEC_PER_SEC),
                              .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000};

        while (!s->stopping && now_usec() < usec)
                pthread_cond_timedwait(&s->wake, &s->lock, &ts);
}

static void *textfile_main(void *userdata)
{
        struct metrics_server *s = userdata;
        uint64_t written = 0;

        server_thread_setup("cgmem-textfile");
        pthread_mutex_lock(&s->lock);
        for (;;) {
                while (!s->stopping && s->generation == written)
                        pthread_cond_wait(&s->wake, &s->lock);
                if (s->stopping)
                        break;
                struct metrics_snapshot *snap = s->current;
                snap->refs++;
                written = s->generation;
                pthread_mutex_unlock(&s->lock);
                int r = textfile_write(s, snap);
                snapshot_put(s, snap);
                pthread_mutex_lock(&s->lock);
                s->textfile_status = r;
                wait_until(s, now_usec() + s->textfile_interval_usec);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

static int textfile_start(struct metrics_server *s, char *err, size_t err_size)
{
        pthread_attr_t attr;
        int r = -pthread_attr_init(&attr);

        if (r >= 0)
                r = -pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES);
        if (r >= 0)
                r = -pthread_create(&s->textfile_thread, &attr, textfile_main, s);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                snprintf(err, err_size, "cannot start the textfile thread: %s", strerror(-r));
                return r;
        }
        s->textfile_running = true;
        return 0;
}

/* ---- set-up and tear-down ---- */

static int open_listener(struct metrics_server *s, const char *listen, char *err, size_t err_size)
{
        struct metrics_listen l;
        const char *why;

        if (metrics_listen_parse(listen, &l, &why) < 0) {
                snprintf(err, err_size, "[metrics] listen: \"%.80s\": %s", listen, why);
                return -EINVAL;
        }
        int r = mhd_api_load(&s->mhd, &why);
        if (r < 0) {
                snprintf(err, err_size, "cannot load %s (install libmicrohttpd12): %.160s",
                         MHD_SONAME, why ? why : "");
                return r;
        }
        s->listen_fd = metrics_listen_open(&l);
        if (s->listen_fd < 0) {
                snprintf(err, err_size, "cannot listen on %.120s: %s", listen,
                         strerror(-s->listen_fd));
                return s->listen_fd;
        }
        s->listen_tcp = l.addr.sa.sa_family != AF_UNIX;
        if (!s->listen_tcp)
                snprintf(s->unix_path, sizeof(s->unix_path), "%s", l.addr.un.sun_path);
        return 0;
}

static int init_sync(struct metrics_server *s)
{
        pthread_condattr_t attr;
        int r = -pthread_condattr_init(&attr);

        if (r >= 0)
                r = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (r >= 0)
                r = -pthread_cond_init(&s->wake, &attr);
        pthread_condattr_destroy(&attr);
        if (r >= 0)
                r = -pthread_mutex_init(&s->lock, NULL);
        return r;
}

int metrics_server_new(const struct metrics_server_options *o, struct metrics_server **ret,
                       char *err, size_t err_size)
{
        struct metrics_server *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->listen_fd = s->textfile_dirfd = -1;
        s->textfile_interval_usec = o->textfile_interval_usec;
        r = init_sync(s);
        if (r < 0) {
                free(s);
                return r;
        }
        if (o->listen && o->listen[0])
                r = open_listener(s, o->listen, err, err_size);
        if (r >= 0 && o->textfile_dir && o->textfile_dir[0]) {
                s->textfile_dirfd = open(o->textfile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (s->textfile_dirfd < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot open [metrics] textfile_dir %.200s: %s",
                                 o->textfile_dir, strerror(-r));
                }
        }
        if (r < 0) {
                metrics_server_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int metrics_server_start(struct metrics_server *s, char *err, size_t err_size)
{
        sigset_t all, old;
        int r = 0;

        /* Threads inherit the mask: every signal stays the loop's, through its signalfd. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (s->listen_fd >= 0)
                r = http_start(s, err, err_size);
        if (r >= 0 && s->textfile_dirfd >= 0)
                r = textfile_start(s, err, err_size);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

int metrics_server_textfile_status(struct metrics_server *s)
{
        pthread_mutex_lock(&s->lock);
        int r = s->textfile_status;
        pthread_mutex_unlock(&s->lock);
        return r;
}

static void free_snapshots(struct metrics_server *s)
{
        metrics_snapshot_free(unref_locked(s, s->current));
        s->current = NULL;
        while (s->spare) {
                struct metrics_snapshot *next = s->spare->next_free;
                metrics_snapshot_free(s->spare);
                s->spare = next;
        }
}

void metrics_server_free(struct metrics_server *s)
{
        if (!s)
                return;
        if (s->textfile_running) {
                pthread_mutex_lock(&s->lock);
                s->stopping = true;
                pthread_cond_broadcast(&s->wake);
                pthread_mutex_unlock(&s->lock);
                pthread_join(s->textfile_thread, NULL);
        }
        if (s->daemon)
                s->mhd.stop_daemon(s->daemon);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        if (s->unix_path[0])
                (void) unlink(s->unix_path);
        if (s->textfile_dirfd >= 0) {
                (void) unlinkat(s->textfile_dirfd, TEXTFILE_NAME, 0);
                close(s->textfile_dirfd);
        }
        mhd_api_unload(&s->mhd);
        free_snapshots(s);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
}
