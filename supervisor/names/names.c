/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's side of the names helper (names.h): starts cgmem-names, tells it
 * which containers to look up, keeps what it learns, and starts it again with a
 * back-off when it dies. Every write is non-blocking and queued; a helper that
 * stops reading is killed and replaced once the queue is full.
 */
#include "names.h"
#include "base/array.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/list.h"
#include "base/log.h"
#include "base/time-util.h"
#include "names-wire.h"

#define HELPER_NAME        "cgmem-names"
#define RESTART_FIRST_USEC (1 * USEC_PER_SEC)
#define RESTART_MAX_USEC   (60 * USEC_PER_SEC)
#define QUEUE_MAX          65536              /* unsent messages before the helper counts as hung */
#define HANG_UP_GRACE_USEC (1 * USEC_PER_SEC) /* from closing its socket to its exit */
#define RECV_BATCH         64 /* messages handled per wake-up, so the loop goes on */

struct known {
        struct known *prev, *next;
        char id[CONTAINER_ID_LEN + 1];
        enum container_runtime runtime;
        struct container_meta meta; /* all NULL until the helper says */
        char *said;                 /* the learned message, to tell news from a repeat */
};

struct names {
        sd_event *loop;
        struct names_config config; /* the strings owned */
        names_learned_fn learned;
        void *userdata;

        struct hashmap *tracked; /* id → struct known */
        struct known *tracked_head;

        char helper_path[PATH_MAX];
        pid_t pid;                /* 0: no helper */
        int fd;                   /* our end of the socketpair */
        sd_event_source *io;      /* on fd */
        sd_event_source *exited;  /* on a pidfd of the helper: readable once it exited */
        sd_event_source *restart; /* a timer */
        uint64_t started_usec, backoff_usec;
        uint64_t starts; /* helpers started, for the metrics' restarts */
        bool failing;    /* said in the log; said again when it is back */
        bool killed;     /* by us, which the log said already */

        char **queue; /* messages the socket did not take yet, from queue_head on */
        size_t queue_head, queue_len, queue_cap;
        uint64_t seq_sent, seq_handled;
        unsigned helper_busy;
        char buf[NAMES_WIRE_MAX];
};

static void queue_clear(struct names *n)
{
        for (size_t i = n->queue_head; i < n->queue_len; i++)
                free(n->queue[i]);
        n->queue_head = n->queue_len = 0;
}

static int queue_push(struct names *n, char *msg)
{
        if (n->queue_len - n->queue_head >= QUEUE_MAX)
                return -ENOBUFS;
        if (n->queue_head > 0 && n->queue_len == n->queue_cap) {
                memmove(n->queue, n->queue + n->queue_head,
                        (n->queue_len - n->queue_head) * sizeof(*n->queue));
                n->queue_len -= n->queue_head;
                n->queue_head = 0;
        }
        if (!GREEDY_REALLOC(n->queue, n->queue_cap, n->queue_len + 1))
                return -ENOMEM;
        n->queue[n->queue_len++] = msg;
        return 0;
}

/* Sends what is queued until the socket is full; then waits for EPOLLOUT. */
static int queue_flush(struct names *n)
{
        while (n->queue_head < n->queue_len) {
                char *msg = n->queue[n->queue_head];
                if (send(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                free(msg);
                n->queue_head++;
        }
        if (n->queue_head == n->queue_len)
                n->queue_head = n->queue_len = 0;
        return sd_event_source_set_io_events(n->io, EPOLLIN | (n->queue_len ? EPOLLOUT : 0));
}

/* Our end of the conversation: closed, and what the helper had not handled is void. */
static void hang_up(struct names *n)
{
        n->io = sd_event_source_disable_unref(n->io);
        if (n->fd >= 0)
                close(n->fd);
        n->fd = -1;
        queue_clear(n);
        n->seq_handled = n->seq_sent;
        n->helper_busy = 0;
}

static void helper_kill(struct names *n, const char *why);
static void helper_hung_up(struct names *n);

/*
 * A socket error: the helper died (ECONNRESET, EPIPE: its exit says how, and it
 * is started again), or it did something we end it for.
 */
static void helper_socket_failed(struct names *n, int err)
{
        if (err == ECONNRESET || err == EPIPE)
                helper_hung_up(n);
        else
                helper_kill(n, strerror(err));
}

/* Track and untrack: numbered, so that names_busy() knows what the helper has not seen. */
static void helper_send(struct names *n, struct names_msg *m)
{
        ssize_t len;
        char *copy;

        if (n->fd < 0)
                return; /* a restarted helper is told the whole tracked set */
        m->seq = ++n->seq_sent;
        len = names_msg_format(m, n->buf, sizeof(n->buf));
        copy = len >= 0 ? strdup(n->buf) : NULL;
        if (!copy || queue_push(n, copy) < 0) {
                free(copy);
                helper_kill(n, "does not keep up with the containers to name");
                return;
        }
        int r = queue_flush(n);
        if (r < 0)
                helper_socket_failed(n, -r);
}

static void send_track(struct names *n, const struct known *k)
{
        struct names_msg m = {.op = NAMES_OP_TRACK, .runtime = k->runtime};

        memcpy(m.id, k->id, sizeof(m.id));
        helper_send(n, &m);
}

/* Beside the running binary (a build tree, an unpacked tarball), else where make install
 * puts it. */
static void find_helper(char *buf, size_t size)
{
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;

        if (len > 0) {
                self[len] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        int len_path = snprintf(buf, size, "%s/" HELPER_NAME, self);
                        if (len_path > 0 && (size_t) len_path < size && access(buf, X_OK) == 0)
                                return;
                }
        }
        snprintf(buf, size, "%s/" HELPER_NAME, CGMEM_LIBEXECDIR);
}

static int spawn_helper(struct names *n, int child_fd, pid_t *ret_pid)
{
        const struct names_config *c = &n->config;
        char fd_arg[16], timeout[24], ttl[24], retry[24];
        const char *argv[24];
        size_t i = 0;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, defaults;

        snprintf(fd_arg, sizeof(fd_arg), "%d", child_fd);
        snprintf(timeout, sizeof(timeout), "%" PRIu64, c->timeout_usec);
        snprintf(ttl, sizeof(ttl), "%" PRIu64, c->ttl_usec);
        snprintf(retry, sizeof(retry), "%" PRIu64, c->retry_max_usec);
        argv[i++] = n->helper_path;
        argv[i++] = "--fd";
        argv[i++] = fd_arg;
        const char *sockets[][2] = {{"--docker", c->docker_socket},
                                    {"--podman", c->podman_socket},
                                    {"--containerd", c->containerd_socket},
                                    {"--crio", c->crio_socket}};
        for (size_t s = 0; s < ELEMENTSOF(sockets); s++)
                if (sockets[s][1] && sockets[s][1][0]) {
                        argv[i++] = sockets[s][0];
                        argv[i++] = sockets[s][1];
                }
        argv[i++] = "--timeout-usec";
        argv[i++] = timeout;
        argv[i++] = "--ttl-usec";
        argv[i++] = ttl;
        argv[i++] = "--retry-max-usec";
        argv[i++] = retry;
        if (c->quiet_absent)
                argv[i++] = "--quiet-absent";
        argv[i] = NULL;

        /* A clean start: the agent blocks the signals it reads through its loop. */
        sigemptyset(&none);
        sigfillset(&defaults);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        int r = -posix_spawn(ret_pid, n->helper_path, &fa, &attr, (char **) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return r;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_exited(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* Ends the helper here and now: for names_free() and a start that went wrong. */
static void reap_now(struct names *n)
{
        n->exited = sd_event_source_disable_unref(n->exited);
        if (n->pid <= 0)
                return;
        kill(n->pid, SIGKILL);
        (void) waitpid(n->pid, NULL, 0);
        n->pid = 0;
}

/* A helper we give up on: its exit (on_exited) starts the next one. */
static void helper_kill(struct names *n, const char *why)
{
        log_warning("%s (pid %d) %s; killing it", HELPER_NAME, (int) n->pid, why);
        n->killed = true;
        hang_up(n);
        kill(n->pid, SIGKILL);
}

static void schedule_restart(struct names *n)
{
        uint64_t now = now_usec();

        if (now - n->started_usec >= RESTART_MAX_USEC)
                n->backoff_usec = RESTART_FIRST_USEC;
        else
                n->backoff_usec = n->backoff_usec ? n->backoff_usec * 2 : RESTART_FIRST_USEC;
        if (n->backoff_usec > RESTART_MAX_USEC)
                n->backoff_usec = RESTART_MAX_USEC;
        sd_event_source_set_time(n->restart, now + n->backoff_usec);
        sd_event_source_set_enabled(n->restart, SD_EVENT_ONESHOT);
}

static int start_helper(struct names *n)
{
        _cleanup_close_ int child_fd = -1, pidfd = -1;
        int sv[2];
        pid_t pid;
        int r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        n->fd = sv[0];
        child_fd = sv[1];
        if (fcntl(n->fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(child_fd, F_SETFD, 0) < 0)
                r = -errno;
        else
                r = spawn_helper(n, child_fd, &pid);
        if (r >= 0) {
                n->pid = pid;
                pidfd = pidfd_open(pid, 0);
                r = pidfd < 0 ? -errno
                              : sd_event_add_io(n->loop, &n->exited, pidfd, EPOLLIN, on_exited, n);
        }
        if (r >= 0) {
                TAKE_FD(pidfd);
                sd_event_source_set_io_fd_own(n->exited, true);
                r = sd_event_add_io(n->loop, &n->io, n->fd, EPOLLIN, on_io, n);
        }
        if (r < 0) {
                hang_up(n);
                reap_now(n);
                return r;
        }
        n->started_usec = now_usec();
        n->starts++;
        n->seq_sent = n->seq_handled = 0;
        for (struct known *k = n->tracked_head; k && n->fd >= 0; k = k->next)
                send_track(n, k);
        return 0;
}

static void try_start(struct names *n)
{
        int r = start_helper(n);

        if (r < 0) {
                if (!n->failing)
                        log_warning("cannot start %s: %s; containers keep their cgroup-path "
                                    "names until it runs",
                                    n->helper_path, strerror(-r));
                n->failing = true;
                schedule_restart(n);
        } else if (n->failing) {
                log_info("%s runs again", HELPER_NAME);
                n->failing = false;
        }
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct names *n = userdata;

        (void) s;
        (void) usec;
        if (n->pid > 0) /* hung up a while ago and still there */
                helper_kill(n, "closed its socket but does not exit");
        else
                try_start(n);
        return 0;
}

/* The helper closed its end: it is on its way out, and on_exited says how it ended. */
static void helper_hung_up(struct names *n)
{
        hang_up(n);
        sd_event_source_set_time(n->restart, now_usec() + HANG_UP_GRACE_USEC);
        sd_event_source_set_enabled(n->restart, SD_EVENT_ONESHOT);
}

static void describe_exit(int status, char *buf, size_t size)
{
        if (WIFEXITED(status))
                snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, size, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
        else
                snprintf(buf, size, "ended");
}

static int on_exited(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct names *n = userdata;
        char how[64];
        int status = 0;

        (void) s;
        (void) fd;
        (void) revents;
        if (waitpid(n->pid, &status, WNOHANG) <= 0)
                return 0; /* not yet a zombie: readable again when it is */
        hang_up(n);
        n->exited = sd_event_source_disable_unref(n->exited);
        schedule_restart(n);
        if (!n->killed) {
                describe_exit(status, how, sizeof(how));
                log_warning("%s (pid %d) %s; starting it again in %" PRIu64 " s", HELPER_NAME,
                            (int) n->pid, how, n->backoff_usec / USEC_PER_SEC);
        }
        n->pid = 0;
        n->killed = false;
        return 0;
}

static void handle_learned(struct names *n, struct names_msg *m, const char *said)
{
        struct known *k = hashmap_get_string(n->tracked, m->id);
        char *copy;

        if (!k || (k->said && strcmp(k->said, said) == 0))
                return; /* untracked meanwhile, or nothing new */
        copy = strdup(said);
        if (!copy)
                return;
        free(k->said);
        k->said = copy;
        container_meta_done(&k->meta);
        k->meta = m->meta;
        m->meta = (struct container_meta){};
        if (n->learned)
                n->learned(k->id, &k->meta, n->userdata);
}

static void handle(struct names *n, struct names_msg *m, const char *said)
{
        if (m->op == NAMES_OP_LEARNED) {
                handle_learned(n, m, said);
        } else if (m->op == NAMES_OP_STATUS && m->seq <= n->seq_sent) {
                n->seq_handled = m->seq;
                n->helper_busy = m->busy;
        } else {
                helper_kill(n, "says what it should not");
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct names *n = userdata;
        struct names_msg m;

        (void) s;
        if (revents & EPOLLOUT) {
                int r = queue_flush(n);
                if (r < 0) {
                        helper_socket_failed(n, -r);
                        return 0;
                }
        }
        for (unsigned i = 0; i < RECV_BATCH && n->fd == fd; i++) {
                ssize_t len = recv(fd, n->buf, sizeof(n->buf) - 1, MSG_DONTWAIT);
                if (len < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (len == 0) {
                        helper_hung_up(n);
                        break;
                }
                if (len < 0) {
                        helper_socket_failed(n, errno);
                        break;
                }
                n->buf[len] = '\0';
                if (names_msg_parse(n->buf, (size_t) len, &m) < 0) {
                        helper_kill(n, "sent an unreadable message");
                        break;
                }
                handle(n, &m, n->buf);
                names_msg_done(&m);
        }
        return 0;
}

static void config_free_sockets(struct names_config *c)
{
        free((char *) c->docker_socket);
        free((char *) c->podman_socket);
        free((char *) c->containerd_socket);
        free((char *) c->crio_socket);
}

static char *copy_socket(const char *s, int *r, int *any)
{
        char *copy;

        if (!s || !s[0] || *r < 0)
                return NULL;
        copy = strdup(s);
        *r = copy ? 0 : -ENOMEM;
        *any |= !!copy;
        return copy;
}

/* Copies cfg with its sockets; > 0 when it names one, 0 when none. */
static int copy_config(const struct names_config *cfg, struct names_config *ret)
{
        struct names_config c = *cfg;
        int r = 0, any = 0;

        c.docker_socket = copy_socket(cfg->docker_socket, &r, &any);
        c.podman_socket = copy_socket(cfg->podman_socket, &r, &any);
        c.containerd_socket = copy_socket(cfg->containerd_socket, &r, &any);
        c.crio_socket = copy_socket(cfg->crio_socket, &r, &any);
        if (r < 0) {
                config_free_sockets(&c);
                return r;
        }
        *ret = c;
        return any;
}

static bool same_socket(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

static bool config_equal(const struct names_config *a, const struct names_config *b)
{
        return same_socket(a->docker_socket, b->docker_socket) &&
               same_socket(a->podman_socket, b->podman_socket) &&
               same_socket(a->containerd_socket, b->containerd_socket) &&
               same_socket(a->crio_socket, b->crio_socket) && a->timeout_usec == b->timeout_usec &&
               a->ttl_usec == b->ttl_usec && a->retry_max_usec == b->retry_max_usec &&
               a->quiet_absent == b->quiet_absent;
}

/* With a socket to ask, the helper starts now; without, it stays stopped. */
static int start_if_asked(struct names *n, bool asked)
{
        int r = 0;

        if (asked && !n->restart) {
                r = sd_event_add_time(n->loop, &n->restart, CLOCK_MONOTONIC, UINT64_MAX, 0,
                                      on_restart, n);
                if (r < 0)
                        return r;
                find_helper(n->helper_path, sizeof(n->helper_path));
        }
        if (!n->restart)
                return 0;
        sd_event_source_set_enabled(n->restart, SD_EVENT_OFF);
        n->backoff_usec = 0;
        if (asked)
                try_start(n);
        return 0;
}

int names_new(sd_event *loop, const struct names_config *cfg, names_learned_fn learned,
              void *userdata, struct names **ret)
{
        struct names *n = calloc(1, sizeof(*n));
        int r;

        if (!n)
                return -ENOMEM;
        n->loop = sd_event_ref(loop);
        n->fd = -1;
        n->learned = learned;
        n->userdata = userdata;
        n->tracked = hashmap_new_string();
        r = n->tracked ? copy_config(cfg, &n->config) : -ENOMEM;
        if (r >= 0)
                r = start_if_asked(n, r > 0);
        if (r < 0) {
                names_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

int names_reconfigure(struct names *n, const struct names_config *cfg)
{
        struct names_config next;
        int r = copy_config(cfg, &next);

        if (r < 0)
                return r;
        if (config_equal(&n->config, &next)) {
                config_free_sockets(&next);
                return 0;
        }
        hang_up(n);
        reap_now(n);
        config_free_sockets(&n->config);
        n->config = next;
        return start_if_asked(n, r > 0);
}

static void known_free(struct names *n, struct known *k)
{
        hashmap_remove_string(n->tracked, k->id);
        LIST_REMOVE(n->tracked_head, k);
        container_meta_done(&k->meta);
        free(k->said);
        free(k);
}

void names_free(struct names *n)
{
        if (!n)
                return;
        hang_up(n);
        reap_now(n);
        while (n->tracked_head)
                known_free(n, n->tracked_head);
        hashmap_free(n->tracked);
        free(n->queue);
        sd_event_source_disable_unref(n->restart);
        config_free_sockets(&n->config);
        sd_event_unref(n->loop);
        free(n);
}

/* Whether a socket is configured for the runtime: the helper asks no one else. */
static bool asks(const struct names *n, enum container_runtime runtime)
{
        const char *socket = runtime == RUNTIME_DOCKER       ? n->config.docker_socket
                             : runtime == RUNTIME_PODMAN     ? n->config.podman_socket
                             : runtime == RUNTIME_CONTAINERD ? n->config.containerd_socket
                             : runtime == RUNTIME_CRIO       ? n->config.crio_socket
                                                             : NULL;
        return socket != NULL;
}

void names_track(struct names *n, const struct container_identity *id)
{
        struct known *k;

        if (!n || !id->id[0] || id->monitor || !asks(n, id->runtime) ||
            hashmap_get_string(n->tracked, id->id))
                return;
        k = calloc(1, sizeof(*k));
        if (!k)
                return;
        memcpy(k->id, id->id, sizeof(k->id));
        k->runtime = id->runtime;
        if (hashmap_put_string(n->tracked, k->id, k) < 0) {
                free(k);
                return;
        }
        LIST_PREPEND(n->tracked_head, k);
        send_track(n, k);
}

void names_untrack(struct names *n, const char *id)
{
        struct known *k = n && id[0] ? hashmap_get_string(n->tracked, id) : NULL;
        struct names_msg m = {.op = NAMES_OP_UNTRACK};

        if (!k)
                return;
        memcpy(m.id, k->id, sizeof(m.id));
        known_free(n, k);
        helper_send(n, &m);
}

const struct container_meta *names_get(struct names *n, const char *id)
{
        struct known *k = n && id && id[0] ? hashmap_get_string(n->tracked, id) : NULL;

        return k && k->said ? &k->meta : NULL;
}

uint64_t names_restarts(const struct names *n)
{
        return n && n->starts > 1 ? n->starts - 1 : 0;
}

unsigned names_busy(const struct names *n)
{
        if (!n || n->fd < 0)
                return 0;
        return n->helper_busy + (unsigned) (n->seq_sent - n->seq_handled);
}
