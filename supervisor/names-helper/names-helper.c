/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgmem-names: the runtime-name lookups (resolver.c) in a process of their own,
 * started by the agent and by cgmem ps/top (names.c) with their end of a socketpair
 * as --fd. Why apart: libcurl brings TLS and a dozen other libraries, about 8 MB
 * that the agent would otherwise lock into memory, and runtime answers are parsed
 * where a crash or a hang costs names, never enforcement. Not meant to be run by
 * hand; names-wire.h has what it says.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/exit-status.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "names/names-wire.h"
#include "resolver.h"

struct helper {
        sd_event *loop;
        struct resolver *resolver;
        int fd;
        uint64_t seq; /* the last message handled */
        bool reported;
        uint64_t reported_seq;
        unsigned reported_busy;
        char buf[NAMES_WIRE_MAX];
};

/* Blocking: the agent reads without waiting for anything, and we have nothing else to do. */
static void helper_send(struct helper *h, const struct names_msg *m)
{
        ssize_t len = names_msg_format(m, h->buf, sizeof(h->buf));

        if (len < 0) {
                log_warning("cannot send a message to the agent: %s", strerror((int) -len));
                return;
        }
        if (send(h->fd, h->buf, (size_t) len, MSG_NOSIGNAL) < 0 && errno == EPIPE)
                sd_event_exit(h->loop, EXIT_OK); /* the agent is gone */
}

static void on_learned(const char *id, const struct container_meta *meta, void *userdata)
{
        struct names_msg m = {.op = NAMES_OP_LEARNED, .meta = *meta};

        snprintf(m.id, sizeof(m.id), "%s", id);
        helper_send(userdata, &m);
}

static void handle(struct helper *h, const struct names_msg *m)
{
        struct container_identity id = {.runtime = m->runtime};

        h->seq = m->seq;
        memcpy(id.id, m->id, sizeof(id.id));
        if (m->op == NAMES_OP_TRACK)
                resolver_track(h->resolver, &id);
        else if (m->op == NAMES_OP_UNTRACK)
                resolver_untrack(h->resolver, m->id);
}

static int on_agent(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct helper *h = userdata;

        (void) s;
        (void) revents;
        for (;;) {
                struct names_msg m;
                ssize_t n = recv(fd, h->buf, sizeof(h->buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) /* the agent closed its end, or it is broken */
                        return sd_event_exit(h->loop, n == 0 ? EXIT_OK : EXIT_RUNTIME);
                if (names_msg_parse(h->buf, (size_t) n, &m) < 0 ||
                    (m.op != NAMES_OP_TRACK && m.op != NAMES_OP_UNTRACK)) {
                        log_error("unreadable message from the agent: %.*s",
                                  (int) (n < 200 ? n : 200), h->buf);
                        return sd_event_exit(h->loop, EXIT_RUNTIME);
                }
                handle(h, &m);
                names_msg_done(&m);
        }
}

/* After every wake-up: what has been handled, and how much is left, when that changed. */
static int on_post(sd_event_source *s, void *userdata)
{
        struct helper *h = userdata;
        unsigned busy = resolver_busy(h->resolver);

        (void) s;
        if (h->reported && h->seq == h->reported_seq && busy == h->reported_busy)
                return 0;
        helper_send(h, &(struct names_msg){.op = NAMES_OP_STATUS, .seq = h->seq, .busy = busy});
        h->reported = true;
        h->reported_seq = h->seq;
        h->reported_busy = busy;
        return 0;
}

static int parse_usec(const char *arg, uint64_t *ret)
{
        char *end;

        errno = 0;
        *ret = strtoull(arg, &end, 10);
        return errno || end == arg || *end ? -EINVAL : 0;
}

/* --fd N, the sockets (--docker PATH, --podman, --containerd, --crio), --timeout-usec,
 * --ttl-usec, --retry-max-usec, --quiet-absent: what names.c passes. */
static int parse_args(int argc, char *argv[], int *ret_fd, struct names_config *c)
{
        enum { ARG_TIMEOUT = 0x100, ARG_TTL, ARG_RETRY_MAX, ARG_QUIET };
        static const struct option options[] = {
                {"fd", required_argument, NULL, 'f'},
                {"docker", required_argument, NULL, 'd'},
                {"podman", required_argument, NULL, 'p'},
                {"containerd", required_argument, NULL, 'c'},
                {"crio", required_argument, NULL, 'o'},
                {"timeout-usec", required_argument, NULL, ARG_TIMEOUT},
                {"ttl-usec", required_argument, NULL, ARG_TTL},
                {"retry-max-usec", required_argument, NULL, ARG_RETRY_MAX},
                {"quiet-absent", no_argument, NULL, ARG_QUIET},
                {},
        };
        uint64_t fd = UINT64_MAX;
        int opt, r = 0;

        while (r >= 0 && (opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'f':
                        r = parse_usec(optarg, &fd);
                        break;
                case 'd':
                        c->docker_socket = optarg;
                        break;
                case 'p':
                        c->podman_socket = optarg;
                        break;
                case 'c':
                        c->containerd_socket = optarg;
                        break;
                case 'o':
                        c->crio_socket = optarg;
                        break;
                case ARG_TIMEOUT:
                        r = parse_usec(optarg, &c->timeout_usec);
                        break;
                case ARG_TTL:
                        r = parse_usec(optarg, &c->ttl_usec);
                        break;
                case ARG_RETRY_MAX:
                        r = parse_usec(optarg, &c->retry_max_usec);
                        break;
                case ARG_QUIET:
                        c->quiet_absent = true;
                        break;
                default:
                        r = -EINVAL;
                }
        if (r < 0 || optind != argc || fd > INT32_MAX)
                return -EINVAL;
        *ret_fd = (int) fd;
        return 0;
}

/* Not as precious as the agent: under a node OOM the kernel may take us first. */
static void give_up_oom_protection(void)
{
        FILE *f = fopen("/proc/self/oom_score_adj", "we");

        if (f) {
                fputs("0\n", f);
                fclose(f);
        }
}

static int run(struct helper *h, const struct names_config *c)
{
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        signal(SIGPIPE, SIG_IGN);
        r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : sd_event_default(&h->loop);
        if (r >= 0)
                r = sd_event_add_signal(h->loop, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(h->loop, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_io(h->loop, NULL, h->fd, EPOLLIN, on_agent, h);
        if (r >= 0)
                r = sd_event_add_post(h->loop, NULL, on_post, h);
        if (r >= 0)
                r = resolver_new(h->loop, c, on_learned, h, &h->resolver);
        if (r < 0) {
                log_error("cannot start: %s", strerror(-r));
                return EXIT_RUNTIME;
        }
        resolver_add_runtime(h->resolver, RUNTIME_DOCKER, c->docker_socket, &docker_ops);
        resolver_add_runtime(h->resolver, RUNTIME_PODMAN, c->podman_socket, &docker_ops);
        resolver_add_runtime(h->resolver, RUNTIME_CONTAINERD, c->containerd_socket, &cri_ops);
        resolver_add_runtime(h->resolver, RUNTIME_CRIO, c->crio_socket, &crio_ops);
        r = sandbox_apply(SANDBOX_NAMES);
        if (r < 0)
                log_warning("no seccomp filter: %s", strerror(-r));
        r = sd_event_loop(h->loop);
        resolver_free(h->resolver);
        sd_event_unref(h->loop);
        return r < 0 ? EXIT_RUNTIME : r;
}

int main(int argc, char *argv[])
{
        static struct helper h;
        struct names_config c = {};

        log_set_program("cgmem-names");
        if (parse_args(argc, argv, &h.fd, &c) < 0) {
                log_error("usage: cgmem-names --fd N [--docker|--podman|--containerd|--crio "
                          "SOCKET]... (started by cgmem, not by hand)");
                return EXIT_USAGE;
        }
        give_up_oom_protection();
        return run(&h, &c);
}
