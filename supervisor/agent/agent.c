/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's loop: what it opens at start, the backstop timers, the round, and
 * what it gives back at the end. Every wake-up goes to the pipeline.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sandbox.h"
#include "base/time-util.h"
#include "cgroupfs/io.h"
#include "cgroupfs/mount.h"
#include "cgroupfs/parse.h"
#include "emit/emit.h"
#include "names/names-session.h"
#include "names/names.h"
#include "registry/cgroot.h"

#define TIMER_ACCURACY_USEC 1000
/* A round reads the processes of the containers that may be killed soon for this long at most. */
#define PROCS_ROUND_BUDGET_USEC (10 * USEC_PER_MSEC)

/*
 * The PSI files exist even when PSI is off (psi=0 on the command line, or
 * cgroup.pressure set to 0): only a read tells, failing with EOPNOTSUPP.
 */
static bool psi_enabled(int rootfd)
{
        struct read_buf buf = {0};
        struct psi_stats psi;

        int r = cg_read_at(rootfd, "memory.pressure", &buf);
        if (r >= 0)
                r = parse_psi(buf.data, buf.len, &psi);
        read_buf_free(&buf);
        return r >= 0;
}

/* The kernel's features, probed on its files rather than judged from its version. */
static void detect_features(struct agent *a)
{
        a->features.psi = psi_enabled(a->rootfd);
        a->features.cgroup_kill = cg_child_has_file(a->rootfd, "cgroup.kill") > 0;
        a->features.memory_peak = cg_child_has_file(a->rootfd, "memory.peak") > 0;
        a->features.kmsg = a->oom.fd >= 0;
        if (!a->features.psi)
                log_warning("PSI is not enabled (boot with psi=1): no pressure triggers, pressure "
                            "is not reported");
}

void agent_init(struct agent *a)
{
        *a = (struct agent){.rootfd = -1, .inotify_fd = -1, .proc_fd = -1};
        a->records.dirfd = -1;
        a->oom.fd = -1;
        a->node.meminfo_fd = a->node.vmstat_fd = a->node.swaps_fd = -1;
        a->node.trigger.fd = -1;
}

/* The node's files: opened here, where the agent starts, and read through their fds. */
static void open_node_files(struct node *n)
{
        n->meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
        if (n->meminfo_fd < 0)
                log_warning("cannot open /proc/meminfo: %m; the node's memory is not judged");
        n->swaps_fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
        n->vmstat_fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
}

/* The per-kill files: a directory that cannot be had costs the files, not the kills. */
static void open_kill_records(struct agent *a, const struct cgmem_config *c)
{
        int r = kill_records_open(&a->records, a->once ? NULL : c->kills_dir, c->kills_keep);

        if (r < 0)
                log_warning("cannot use %s for the kills' record files: %s", c->kills_dir,
                            strerror(-r));
}

static int open_root(const struct cgmem_config *c)
{
        /* The default root is discovered from the mount table, so a hybrid host is explained. */
        bool is_default = !c->root || !c->root[0] || strcmp(c->root, CG_DEFAULT_ROOT) == 0;
        return cgroot_open(is_default ? NULL : c->root);
}

static int start_emitter(struct agent *a)
{
        const struct cgmem_config *c = a->config;
        struct emitter_options eo = {
                .stdout_fd = c->events_stdout ? STDOUT_FILENO : -1,
                .file_path = c->events_file && c->events_file[0] ? c->events_file : NULL,
                .journal = c->events_journal,
                .queue_max = c->events_queue,
        };
        int r = emitter_new(a->loop, &eo, &a->emitter);
        if (r < 0)
                log_error("cannot set up the event sinks: %s", strerror(-r));
        return r;
}

static int start_names(struct agent *a)
{
        struct names_config nc = names_config_of(a->config);
        int r = names_new(a->loop, &nc, discovery_named, a, &a->names);

        if (r < 0)
                log_error("cannot set up container name lookups: %s", strerror(-r));
        return r;
}

/* The agent's own cgroup, from /proc/self/cgroup ("0::/path"), relative; "" if unknown. */
static void read_self_cgroup(char *buf, size_t size)
{
        char line[4096];
        FILE *f = fopen("/proc/self/cgroup", "re");

        buf[0] = '\0';
        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::/", 4) == 0) {
                        snprintf(buf, size, "%.*s", (int) strcspn(line + 4, "\n"), line + 4);
                        break;
                }
        fclose(f);
}

static uint64_t clock_now(void)
{
        return now_usec();
}

static uint64_t clock_realtime(void)
{
        return realtime_usec();
}

static int on_recheck(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct container *c = userdata;

        (void) source;
        (void) usec;
        pipeline_run(c->pipeline, c, WAKE_LIMITS, now_usec());
        return 0;
}

/* The policy asked to judge c again at at_usec: one timer per container, reused. */
static void arm_recheck(void *userdata, struct container *c, uint64_t at)
{
        struct agent *a = userdata;

        if (c->recheck_source) {
                sd_event_source_set_time(c->recheck_source, at);
                sd_event_source_set_enabled(c->recheck_source, SD_EVENT_ONESHOT);
                return;
        }
        if (!a->loop || sd_event_add_time(a->loop, &c->recheck_source, CLOCK_MONOTONIC, at, 1000,
                                          on_recheck, c) < 0)
                log_warning("cannot arm a timer for %s: its limits are judged at the next round",
                            c->cg->path);
}

static void policy_config_from(const struct cgmem_config *c, struct policy_config *ret)
{
        policy_config_defaults(ret);
        ret->guard_fraction = c->guard_fraction;
        ret->limit_margin_fraction = c->limit_margin_fraction;
        ret->settle_usec = c->settle_usec;
        ret->release_page_cache = c->release_page_cache;
        ret->stall_after_usec = c->stuck_after_usec;
        ret->stall_full_permyriad = (uint32_t) (c->stuck_psi_full_pct * 100.0);
        ret->stuck_kills = c->stuck_kill;
}

static void agent_configure(struct agent *a, const struct cgmem_config *c)
{
        a->config = c;
        policy_config_from(c, &a->policy);
        node_config_from(c, &a->node.config);
        a->node.cgmem_config = c;
        a->registry.rules = (struct classify_rules){.globs = c->container_globs, .all = c->all};
        a->marks.protect_globs = c->protect_globs;
        a->marks.namespace_marks = c->namespace_marks;
        a->pipeline.config = c;
}

static void wire(struct agent *a)
{
        a->marks = (struct marks){.self_cgroup = a->self_cgroup};
        a->pipeline = (struct pipeline){
                .policy = &a->policy,
                .marks = &a->marks,
                .actuator = &actuator_cgroupfs,
                .registry = &a->registry,
                .emitter = a->emitter,
                .names = a->names,
                .oom = &a->oom,
                .records = &a->records,
                .proc_fd = a->proc_fd,
                .now = clock_now,
                .realtime_now = clock_realtime,
                .epoch_usec = a->start_usec,
                .recheck = arm_recheck,
                .recheck_userdata = a,
                .once = a->once,
        };
        a->node.registry = &a->registry;
        a->node.pipeline = &a->pipeline;
        a->node.loop = a->once ? NULL : a->loop;
        agent_configure(a, a->config);
        a->pipeline.hot_files = node_memory_update(&a->node);
}

static bool same_string(const char *x, const char *y)
{
        return strcmp(x ? x : "", y ? y : "") == 0;
}

static bool events_changed(const struct cgmem_config *x, const struct cgmem_config *y)
{
        return x->events_stdout != y->events_stdout ||
               !same_string(x->events_file, y->events_file) ||
               x->events_journal != y->events_journal || x->events_queue != y->events_queue;
}

static bool psi_changed(const struct cgmem_config *x, const struct cgmem_config *y)
{
        return x->psi_stall != y->psi_stall || x->psi_threshold_usec != y->psi_threshold_usec ||
               x->psi_window_usec != y->psi_window_usec ||
               x->psi_usage_fraction != y->psi_usage_fraction ||
               x->psi_max_triggers != y->psi_max_triggers;
}

/* New sinks: the old ones get a moment to write what they hold. */
static void restart_emitter(struct agent *a)
{
        struct emitter *old = a->emitter;

        if (start_emitter(a) < 0) {
                a->emitter = old;
                return;
        }
        emitter_drain(old, 100 * 1000);
        emitter_free(old);
        a->pipeline.emitter = a->emitter;
}

void agent_reload(struct agent *a, struct cgmem_config *current, struct cgmem_config *next)
{
        bool events = events_changed(current, next), psi = psi_changed(current, next);
        struct names_config nc = names_config_of(next);

        if (psi)
                for (struct cgroup *cg = a->registry.head; cg; cg = cg->next)
                        psi_disarm(a, cg);
        if (a->names && names_reconfigure(a->names, &nc) < 0)
                log_warning("runtime sockets not reloaded");
        bool kills = !same_string(current->kills_dir, next->kills_dir) ||
                     current->kills_keep != next->kills_keep;
        config_free(current);
        *current = *next;
        agent_configure(a, current);
        if (kills) {
                kill_records_close(&a->records);
                open_kill_records(a, current);
        }
        if (events)
                restart_emitter(a);
        if (psi)
                for (struct cgroup *cg = a->registry.head; cg; cg = cg->next)
                        psi_update_trigger(a, cg);
}

int agent_start(struct agent *a, const struct cgmem_config *c, bool once, int (*signals)(void *),
                void *userdata)
{
        int r;

        a->config = c;
        a->once = once;
        a->start_usec = now_usec();
        read_self_cgroup(a->self_cgroup, sizeof(a->self_cgroup));
        open_node_files(&a->node);
        open_kill_records(a, c);
        a->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        a->rootfd = open_root(c);
        if (a->rootfd < 0)
                return a->rootfd;
        r = registry_init(&a->registry, &(struct classify_rules){0}, true);
        if (r >= 0)
                r = sd_event_default(&a->loop);
        /* Before the first event: whoever reads "started" may signal us at once. */
        if (r >= 0 && !once)
                r = signals(userdata);
        if (r >= 0)
                r = start_emitter(a);
        if (r >= 0)
                r = oom_log_open(&a->oom, a->loop);
        if (r >= 0 && !once)
                r = start_names(a);
        if (r < 0)
                return r;
        a->registry.ext_free = container_free;
        wire(a);
        detect_features(a);
        struct event_features f = {a->features.psi, a->features.cgroup_kill,
                                   a->features.memory_peak, a->features.kmsg};
        struct event_psi_trigger t = {c->psi_stall == PSI_STALL_FULL, c->psi_threshold_usec,
                                      c->psi_window_usec};
        emitter_emit(a->emitter,
                     event_started(c->dry_run, &f, c->interval_usec, c->rescan_interval_usec, &t));
        r = discovery_start(a);
        if (r < 0) {
                log_error("cannot walk the cgroup tree: %s", strerror(-r));
                return r;
        }
        r = sandbox_apply(SANDBOX_AGENT);
        if (r < 0)
                log_warning("no seccomp filter: %s", strerror(-r));
        return 0;
}

void agent_round(struct agent *a, uint64_t now)
{
        struct pipeline *p = &a->pipeline;

        p->hot_files = node_memory_update(&a->node);
        p->round_elapsed_usec =
                a->last_round_usec ? now - a->last_round_usec : a->config->interval_usec;
        p->procs_round_deadline_usec = now + PROCS_ROUND_BUDGET_USEC;
        for (struct cgroup *cg = a->registry.head, *next; cg; cg = next) {
                struct container *c = container_of(cg);
                next = cg->next;
                if (c && cg->sampled) {
                        int r = pipeline_run(p, c, WAKE_ROUND, now);
                        if (errno_is_gone(r))
                                discovery_lost(a, cg);
                        else
                                psi_update_trigger(a, cg);
                } else if (node_is_slice(&a->node, cg)) {
                        node_round(&a->node, cg, now);
                }
        }
        a->last_round_usec = now;
        a->rounds++;
}

static int on_sample_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct agent *a = userdata;

        (void) usec;
        agent_round(a, now_usec());
        sd_event_source_set_time_relative(s, a->config->interval_usec);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int on_rescan_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct agent *a = userdata;

        (void) usec;
        int r = discovery_scan(a);
        if (r < 0)
                log_warning("rescan of the cgroup tree failed: %s", strerror(-r));
        sd_event_source_set_time_relative(s, a->config->rescan_interval_usec);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int add_timers(struct agent *a)
{
        /* Accuracy 0 would mean sd-event's default of 250 ms: a 1 s round every 1.25 s. */
        int r = sd_event_add_time_relative(a->loop, &a->sample_timer, CLOCK_MONOTONIC,
                                           a->config->interval_usec, TIMER_ACCURACY_USEC,
                                           on_sample_timer, a);
        if (r >= 0)
                r = sd_event_add_time_relative(a->loop, &a->rescan_timer, CLOCK_MONOTONIC,
                                               a->config->rescan_interval_usec, 0, on_rescan_timer,
                                               a);
        return r;
}

int agent_loop(struct agent *a)
{
        int r = add_timers(a);
        if (r >= 0)
                r = sd_event_set_watchdog(a->loop, true);
        if (r < 0) {
                log_error("cannot set up the event loop: %s", strerror(-r));
                return r;
        }
        sd_notifyf(0, "READY=1\nSTATUS=watching %zu containers", a->registry.n_containers);
        r = sd_event_loop(a->loop);
        if (r < 0)
                log_error("event loop failed: %s", strerror(-r));
        return r;
}

/* Nothing stays throttled because the agent went away. */
void agent_restore(struct agent *a)
{
        for (struct cgroup *cg = a->registry.head; cg; cg = cg->next) {
                struct container *c = container_of(cg);
                if (c)
                        pipeline_restore(&a->pipeline, c);
        }
}

void agent_stop(struct agent *a)
{
        if (a->emitter)
                emitter_drain(a->emitter, 2 * 1000000);
        registry_done(&a->registry);
        names_free(a->names);
        oom_log_close(&a->oom);
        node_stop(&a->node);
        kill_records_close(&a->records);
        if (a->proc_fd >= 0)
                close(a->proc_fd);
        sd_event_source_disable_unref(a->inotify_source);
        sd_event_source_disable_unref(a->sample_timer);
        sd_event_source_disable_unref(a->rescan_timer);
        emitter_free(a->emitter);
        sd_event_unref(a->loop);
        if (a->inotify_fd >= 0)
                close(a->inotify_fd);
        if (a->rootfd >= 0)
                close(a->rootfd);
        if (a->node.meminfo_fd >= 0)
                close(a->node.meminfo_fd);
        if (a->node.swaps_fd >= 0)
                close(a->node.swaps_fd);
        if (a->node.vmstat_fd >= 0)
                close(a->node.vmstat_fd);
}
