/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgmem run: the node agent's command line, start-up checks and event loop. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent.h"
#include "base/array.h"
#include "base/exit-status.h"
#include "base/fdlimit.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/time-util.h"
#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/mount.h"
#include "cgroupfs/parse.h"
#include "emit/emit.h"
#include "emit/events.h"
#include "names/names-session.h"
#include "names/names.h"

struct run_options {
        const char *config_path;
        int config_given;
        char **assignments; /* "section.key=value" from flags, applied after the file */
        size_t n_assignments, allocated;
        int check_config;
        int once;
};

static void run_help(void)
{
        printf("Usage: cgmem run [OPTIONS]\n"
               "\n"
               "Watch every container's memory and report what happens as JSON Lines.\n"
               "\n"
               "  -c, --config PATH        configuration file (default %s)\n"
               "      --set SECTION.KEY=VALUE  override one configuration key (repeatable)\n"
               "      --root DIR           cgroup v2 tree (same as --set cgroup.root=DIR)\n"
               "      --all                every memory cgroup is a container\n"
               "      --interval DURATION  backstop sample interval, e.g. 500ms, 1s\n"
               "      --events-file PATH   append events to PATH (reopened on SIGHUP)\n"
               "      --journal            send events to the journal too\n"
               "      --no-stdout          do not write events to stdout\n"
               "      --dry-run            decide, but change nothing\n"
               "      --once               one discovery and sample round, print, exit\n"
               "      --check-config       validate the configuration, print it, exit\n"
               "  -h, --help               show this help\n"
               "\n"
               "Signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration and reopens\n"
               "the events file. Exit status: 0 ok, 1 runtime failure, 2 usage or config error.\n",
               CONFIG_DEFAULT_PATH);
}

static int add_assignment(struct run_options *o, const char *key, const char *value)
{
        char *s = NULL;
        if (asprintf(&s, "%s%s%s", key ? key : "", key ? "=" : "", value) < 0)
                return -ENOMEM;
        if (!GREEDY_REALLOC(o->assignments, o->allocated, o->n_assignments + 1)) {
                free(s);
                return -ENOMEM;
        }
        o->assignments[o->n_assignments++] = s;
        return 0;
}

static void run_options_free(struct run_options *o)
{
        for (size_t i = 0; i < o->n_assignments; i++)
                free(o->assignments[i]);
        free(o->assignments);
}

enum {
        OPT_SET = 256,
        OPT_ROOT,
        OPT_ALL,
        OPT_INTERVAL,
        OPT_EVENTS_FILE,
        OPT_JOURNAL,
        OPT_NO_STDOUT,
        OPT_DRY_RUN,
        OPT_ONCE,
        OPT_CHECK_CONFIG,
};

/* Flags that are shorthands for one configuration key; value NULL takes the argument. */
static const struct {
        int option;
        const char *key;
        const char *value;
} flag_keys[] = {
        {OPT_SET, NULL, NULL},
        {OPT_ROOT, "cgroup.root", NULL},
        {OPT_ALL, "cgroup.all", "yes"},
        {OPT_INTERVAL, "sampling.interval", NULL},
        {OPT_EVENTS_FILE, "events.file", NULL},
        {OPT_JOURNAL, "events.journal", "yes"},
        {OPT_NO_STDOUT, "events.stdout", "no"},
        {OPT_DRY_RUN, "agent.dry_run", "yes"},
};

/* Returns 1 if c was a shorthand flag (recorded), 0 if not, or -ENOMEM. */
static int record_flag(struct run_options *o, int c, const char *arg)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_keys); i++) {
                if (flag_keys[i].option != c)
                        continue;
                /* On the command line a relative path means what the shell means by it. */
                _cleanup_free_ char *abs = c == OPT_ROOT ? realpath(arg, NULL) : NULL;
                const char *value = flag_keys[i].value ? flag_keys[i].value : abs ? abs : arg;
                int r = add_assignment(o, flag_keys[i].key, value);
                return r < 0 ? r : 1;
        }
        return 0;
}

/* Returns 0 to go on, 1 when --help was shown, or -EINVAL. */
static int parse_run_options(int argc, char *argv[], struct run_options *o)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"set", required_argument, NULL, OPT_SET},
                {"root", required_argument, NULL, OPT_ROOT},
                {"all", no_argument, NULL, OPT_ALL},
                {"interval", required_argument, NULL, OPT_INTERVAL},
                {"events-file", required_argument, NULL, OPT_EVENTS_FILE},
                {"journal", no_argument, NULL, OPT_JOURNAL},
                {"no-stdout", no_argument, NULL, OPT_NO_STDOUT},
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                {"once", no_argument, NULL, OPT_ONCE},
                {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;

        *o = (struct run_options){.config_path = CONFIG_DEFAULT_PATH};
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
                int r = record_flag(o, c, optarg);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (c == 'c') {
                        o->config_path = optarg;
                        o->config_given = 1;
                } else if (c == OPT_ONCE) {
                        o->once = 1;
                } else if (c == OPT_CHECK_CONFIG) {
                        o->check_config = 1;
                } else if (c == 'h') {
                        run_help();
                        return 1;
                } else {
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument \"%s\"; see cgmem run --help", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* The file, then the flags in the order given, then the checks across keys. */
static int load_config(const struct run_options *o, struct cgmem_config *c)
{
        struct config_error err;
        int r;

        config_init_defaults(c);
        r = config_load_file(c, o->config_path, o->config_given, &err);
        for (size_t i = 0; r >= 0 && i < o->n_assignments; i++)
                r = config_set(c, o->assignments[i], &err);
        if (r >= 0)
                r = config_validate(c, &err);
        if (r < 0) {
                log_error("%s: %s", err.where, err.message);
                config_free(c);
        }
        return r;
}

static void lock_memory(const struct cgmem_config *c)
{
        /* The agent must keep running when the node is out of memory: no page of it may be
         * reclaimed. MCL_ONFAULT locks what is touched, not every reservation. */
        if (c->mlock && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                log_warning("mlockall: %m; the agent may be paged out under pressure");
}

/*
 * The last thing the kernel's OOM killer may take, wherever the agent runs:
 * the unit says so (OOMScoreAdjust=-1000), a DaemonSet's pod or a shell cannot,
 * and a runaway in the agent's own cgroup would otherwise take it along.
 * cgmem-names gives this up for itself.
 */
static void protect_from_oom_killer(void)
{
        char now[16] = "";
        int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);

        if (fd >= 0 && read(fd, now, sizeof(now) - 1) > 0 && strncmp(now, "-1000", 5) == 0) {
                close(fd); /* the unit's OOMScoreAdjust said so already */
                return;
        }
        if (fd < 0 || pwrite(fd, "-1000\n", 6, 0) != 6)
                log_warning("cannot set oom_score_adj to -1000: %m; the kernel may OOM-kill "
                            "the agent");
        if (fd >= 0)
                close(fd);
}

struct run_context {
        struct agent agent;
        struct cgmem_config config;
        const struct run_options *options;
};

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct agent *a = userdata;
        char reason[32];

        agent_restore(a);
        snprintf(reason, sizeof(reason), "SIG%s", sigabbrev_np((int) si->ssi_signo));
        emitter_emit(a->emitter, event_stopping(reason, now_usec() - a->start_usec));
        sd_notify(0, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* SIGHUP: a new configuration if it is valid (else the old one stays), and a fresh file. */
static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct run_context *ctx = userdata;
        struct cgmem_config next;

        (void) s;
        (void) si;
        sd_notify(0, "RELOADING=1");
        if (load_config(ctx->options, &next) >= 0)
                agent_reload(&ctx->agent, &ctx->config, &next);
        int r = emitter_reopen(ctx->agent.emitter);
        if (r < 0)
                log_error("cannot reopen the events file: %s", strerror(-r));
        sd_notify(0, "READY=1");
        return 0;
}

static int add_signals(void *userdata)
{
        struct run_context *ctx = userdata;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
        if (r >= 0)
                r = sd_event_add_signal(ctx->agent.loop, NULL, SIGTERM, on_stop_signal,
                                        &ctx->agent);
        if (r >= 0)
                r = sd_event_add_signal(ctx->agent.loop, NULL, SIGINT, on_stop_signal, &ctx->agent);
        if (r >= 0)
                r = sd_event_add_signal(ctx->agent.loop, NULL, SIGHUP, on_reload_signal, ctx);
        if (r < 0)
                log_error("cannot handle signals: %s", strerror(-r));
        return r;
}

int verb_run(int argc, char *argv[])
{
        struct run_options o;
        struct run_context ctx = {.options = &o};
        int r;

        agent_init(&ctx.agent);
        r = parse_run_options(argc, argv, &o);
        if (r != 0) {
                run_options_free(&o);
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        }
        if (load_config(&o, &ctx.config) < 0) {
                run_options_free(&o);
                return EXIT_USAGE;
        }
        if (o.check_config) {
                config_write(&ctx.config, stdout);
                config_free(&ctx.config);
                run_options_free(&o);
                return EXIT_OK;
        }
        /* A reader that went away must not kill the agent: the emitter sees EPIPE instead. */
        signal(SIGPIPE, SIG_IGN);
        /* A file size limit (LimitFSIZE=, ulimit -f) on the events file is a full disk, not a
         * reason to dump core: the write says EFBIG and the sink retries. */
        signal(SIGXFSZ, SIG_IGN);
        lock_memory(&ctx.config);
        if (!o.once)
                protect_from_oom_killer();
        int fr = raise_fd_limit();
        if (fr < 0)
                log_warning("cannot raise the open file limit: %s", strerror(-fr));
        r = agent_start(&ctx.agent, &ctx.config, o.once, add_signals, &ctx);
        if (r >= 0) {
                if (o.once)
                        agent_round(&ctx.agent, now_usec());
                else
                        r = agent_loop(&ctx.agent);
        }
        agent_stop(&ctx.agent);
        config_free(&ctx.config);
        run_options_free(&o);
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
