/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery: which memory cgroups exist, and the kernel's notifications about
 * them. A full walk at start and on a slow timer (the backstop), and inotify on
 * every memory cgroup directory for the rest: mkdir and rmdir of a cgroup are
 * VFS operations, and kernfs also reports changes of memory.events and friends
 * as IN_MODIFY on the directory (fs/kernfs/file.c kernfs_notify_workfn), so one
 * watch per container covers both. Each becomes a wake-up of the pipeline.
 * Any other cgroup's directory is watched for its children only, and its
 * cgroup.subtree_control by a watch of its own: the kernel notifies an
 * ancestor's memory.events at every event below it (mm/memcontrol.c
 * memcg_memory_event), up to a hundred times a second each, for nothing the
 * agent reads there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent.h"
#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "emit/emit.h"
#include "names/names.h"
#include "report.h"

#define CHILDREN_MASK  (IN_CREATE | IN_DELETE | IN_ONLYDIR | IN_EXCL_UNLINK)
#define CONTAINER_MASK (CHILDREN_MASK | IN_MODIFY)

/* inotify takes a path, not a dirfd: the /proc link names the very directory we hold. */
static int add_watch(struct agent *a, const struct cgroup *cg, const char *file, uint32_t mask)
{
        char path[96];

        snprintf(path, sizeof(path), "/proc/self/fd/%d%s%s", cg->dirfd, file ? "/" : "",
                 file ? file : "");
        return inotify_add_watch(a->inotify_fd, path, mask);
}

/*
 * On a directory already watched, inotify_add_watch keeps the descriptor and
 * replaces the mask, taking no watch more: it works out of watches too.
 */
static bool set_mask(struct agent *a, const struct cgroup *cg, uint32_t mask)
{
        return a->inotify_fd >= 0 && cg->wd >= 0 && add_watch(a, cg, NULL, mask) == cg->wd;
}

static int watch(struct agent *a, const struct cgroup *cg, const char *file, uint32_t mask)
{
        if (a->inotify_fd < 0 || a->inotify_exhausted)
                return -1;
        int wd = add_watch(a, cg, file, mask);
        if (wd < 0 && errno == ENOSPC) {
                a->inotify_exhausted = true;
                log_warning("out of inotify watches (fs.inotify.max_user_watches): new cgroups are "
                            "found by the %gs rescan only",
                            (double) a->config->rescan_interval_usec / 1e6);
        }
        return wd;
}

static void add_inotify_watch(struct agent *a, struct cgroup *cg)
{
        int wd = watch(a, cg, NULL, cg->is_container ? CONTAINER_MASK : CHILDREN_MASK);

        if (wd < 0)
                return;
        if (registry_set_wd(&a->registry, cg, wd) < 0) {
                inotify_rm_watch(a->inotify_fd, wd);
                return;
        }
        if (cg->is_container)
                return;
        wd = watch(a, cg, "cgroup.subtree_control", IN_MODIFY);
        if (wd >= 0 && registry_set_subtree_wd(&a->registry, cg, wd) < 0)
                inotify_rm_watch(a->inotify_fd, wd);
}

/*
 * A cgroup just added to the registry: watched, and a container's first
 * wake-up. A container that cannot be sampled is not one yet: gone before its
 * first sample is the normal race, anything else is said; either way the caller
 * drops it, and a later scan tries again.
 */
static int found(struct agent *a, struct cgroup *cg)
{
        add_inotify_watch(a, cg);
        if (!cg->is_container) {
                psi_update_trigger(a, cg);
                return 0;
        }
        struct container *c = container_new(cg, &a->pipeline, now_usec());
        int r = c ? pipeline_run(&a->pipeline, c, WAKE_DISCOVERY, c->seen_usec) : -ENOMEM;
        if (r < 0) {
                if (!errno_is_gone(r))
                        log_warning("cannot watch container %s: %s", cg->path, strerror(-r));
                container_free(cg);
                return r;
        }
        names_track(a->names, &cg->identity);
        node_reserve_candidates(&a->node, a->registry.n_containers);
        psi_update_trigger(a, cg);
        return 0;
}

/* A cgroup that went away, before the registry drops it: what it had left is told. */
static void lost(struct agent *a, struct cgroup *cg)
{
        struct container *c = container_of(cg);

        psi_disarm(a, cg);
        if (cg->wd >= 0 && a->inotify_fd >= 0)
                inotify_rm_watch(a->inotify_fd, cg->wd);
        if (cg->subtree_wd >= 0 && a->inotify_fd >= 0)
                inotify_rm_watch(a->inotify_fd, cg->subtree_wd);
        if (!c)
                return;
        /* Read what is left: an OOM kill right before removal must still be told. */
        if (c->cg->sampled)
                pipeline_run(&a->pipeline, c, WAKE_MEMORY_EVENTS, now_usec());
        report_unclaimed_kills(&a->pipeline, c);
        report_gone(&a->pipeline, c, now_usec());
        struct event_who who = container_who(c, a->pipeline.names);
        emitter_emit(a->emitter,
                     event_container_gone(&who, now_usec() - c->seen_usec, &cg->sample));
        names_untrack(a->names, cg->identity.id);
}

void discovery_lost(struct agent *a, struct cgroup *cg)
{
        lost(a, cg);
        registry_remove(&a->registry, cg);
}

void discovery_named(const char *id, const struct container_meta *meta, void *userdata)
{
        struct agent *a = userdata;
        struct cgroup *cg = registry_by_id(&a->registry, id);
        struct container *c = cg ? container_of(cg) : NULL;

        (void) meta; /* events take it from the cache */
        if (!c || !cg->sampled)
                return;
        struct event_who who = container_who(c, a->pipeline.names);
        emitter_emit(a->emitter, event_container_identity(&who));
        c->mark = marks_of(&a->marks, a->pipeline.actuator, a->names, cg);
}

static int scan_visit(struct registry *r, struct cgroup *cg, int dirfd, bool added, void *userdata)
{
        struct agent *a = userdata;
        int e;

        (void) r;
        (void) dirfd;
        if (added && (e = found(a, cg)) < 0)
                cg->generation = 0; /* dropped when the scan ends */
        return 0;
}

static void scan_gone(struct registry *r, struct cgroup *cg, void *userdata)
{
        (void) r;
        lost(userdata, cg);
}

int discovery_scan(struct agent *a)
{
        static const struct registry_scan_ops ops = {.visit = scan_visit, .gone = scan_gone};
        return registry_scan(&a->registry, a->rootfd, &ops, a);
}

/* memory in its cgroup.subtree_control: its children are memory cgroups too. */
static bool delegates_memory(int dirfd)
{
        struct read_buf buf = {0};
        int r = cg_read_at(dirfd, "cgroup.subtree_control", &buf);
        bool delegates = r >= 0 && word_list_contains(buf.data, buf.len, "memory");

        read_buf_free(&buf);
        return delegates;
}

static void child_created(struct agent *a, struct cgroup *parent, const char *name)
{
        char path[PATH_MAX];

        if (!parent->delegates_memory)
                return;
        int n = snprintf(path, sizeof(path), "%s%s%s", cgroup_rel_path(parent),
                         parent->path[1] ? "/" : "", name);
        if (n < 0 || (size_t) n >= sizeof(path))
                return;
        int fd = cg_open_dir(parent->dirfd, name);
        if (fd < 0)
                return; /* already gone again */
        struct cgroup *cg =
                registry_add(&a->registry, path, parent->depth + 1, delegates_memory(fd), fd);
        if (!cg) {
                close(fd);
                return;
        }
        cg->generation = a->registry.generation;
        if (found(a, cg) < 0)
                discovery_lost(a, cg);
}

static void child_deleted(struct agent *a, struct cgroup *parent, const char *name)
{
        char path[PATH_MAX + 2];

        int n = snprintf(path, sizeof(path), "%s%s%s", parent->path, parent->path[1] ? "/" : "",
                         name);
        if (n < 0 || (size_t) n >= sizeof(path))
                return;
        struct cgroup *cg = registry_by_path(&a->registry, path);
        if (cg)
                discovery_lost(a, cg);
}

/* At a limit now, maybe: it may want its PSI trigger before the next round. */
static void look_at_events(struct agent *a, struct container *c)
{
        if (pipeline_run(&a->pipeline, c, WAKE_MEMORY_EVENTS, now_usec()) >= 0 &&
            !c->trigger.source)
                psi_update_trigger(a, c->cg);
}

/*
 * While a look is put off, the container's directory tells of its children
 * only: every notification is a wake-up of the agent (bench-verdicts
 * cache-big: 70 a second, its looks put off, still 3-5 % of a CPU in the VM;
 * 0.3 % without them). What its owner writes meanwhile is read in the look
 * that ends the wait.
 */
static void narrow_watch(struct agent *a, struct container *c)
{
        if (set_mask(a, c->cg, CHILDREN_MASK))
                c->put_off.narrowed = true;
}

/* Its files told of again; true if memory was passed on or taken back meanwhile. */
static bool widen_watch(struct agent *a, struct container *c)
{
        struct cgroup *cg = c->cg;

        if (!c->put_off.narrowed)
                return false;
        c->put_off.narrowed = false;
        c->limits_unwatched = true;
        return set_mask(a, cg, CONTAINER_MASK) &&
               delegates_memory(cg->dirfd) != cg->delegates_memory;
}

static int on_look_due(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct put_off_look *l = userdata;
        struct agent *a = l->agent;
        bool delegation_changed = widen_watch(a, l->c);

        (void) s;
        (void) usec;
        look_at_events(a, l->c);
        if (delegation_changed)
                discovery_scan(a); /* last: it may drop the container */
        return 0;
}

static int arm_look(struct agent *a, struct container *c)
{
        struct put_off_look *l = &c->put_off;

        if (!l->source) {
                *l = (struct put_off_look){.agent = a, .c = c};
                return sd_event_add_time(a->loop, &l->source, CLOCK_MONOTONIC,
                                         c->events_wait_until_usec, 1000, on_look_due, l);
        }
        int r = sd_event_source_set_time(l->source, c->events_wait_until_usec);
        return r < 0 ? r : sd_event_source_set_enabled(l->source, SD_EVENT_ONESHOT);
}

/* Once, when the wait is over: what changed meanwhile is all in that look. */
static void look_later(struct agent *a, struct container *c)
{
        int enabled = SD_EVENT_OFF;

        if (c->put_off.source && sd_event_source_get_enabled(c->put_off.source, &enabled) >= 0 &&
            enabled != SD_EVENT_OFF)
                return; /* already due */
        if (arm_look(a, c) < 0)
                look_at_events(a, c); /* no timer: looked at now, as without the wait */
        else
                narrow_watch(a, c);
}

/*
 * The kernel tells of a change every 10 ms while it reclaims at memory.max; the
 * policy says how long the look may wait (policy_decision.events_wait_usec).
 */
static void memory_events_changed(struct agent *a, struct container *c)
{
        if (now_usec() < c->events_wait_until_usec)
                look_later(a, c);
        else
                look_at_events(a, c);
}

static void file_modified(struct agent *a, struct cgroup *cg, const char *name)
{
        struct container *c = container_of(cg);
        int f = memcg_file_from_name(name);

        /* memory.events.local and memory.swap.events change with memory.events: not read. */
        if (strcmp(name, "cgroup.subtree_control") == 0)
                discovery_scan(a); /* memory passed on or taken back: which cgroups have it */
        else if (!c || !cg->sampled || f < 0)
                return;
        else if (f == MEMCG_FILE_EVENTS)
                memory_events_changed(a, c);
        else if (LIMIT_FILES & MEMCG_FILE_BIT(f))
                pipeline_run(&a->pipeline, c, WAKE_LIMITS, now_usec());
}

static void handle_inotify_event(struct agent *a, const struct inotify_event *ev)
{
        if (ev->mask & IN_Q_OVERFLOW) {
                discovery_scan(a);
                return;
        }
        struct cgroup *cg = registry_by_wd(&a->registry, ev->wd);
        if (!cg)
                return;
        if (ev->wd == cg->subtree_wd) {
                if (ev->mask & IN_MODIFY)
                        file_modified(a, cg, "cgroup.subtree_control");
                return;
        }
        if (!ev->len)
                return;
        if ((ev->mask & IN_ISDIR) && (ev->mask & IN_CREATE))
                child_created(a, cg, ev->name);
        else if ((ev->mask & IN_ISDIR) && (ev->mask & IN_DELETE))
                child_deleted(a, cg, ev->name);
        else if (ev->mask & IN_MODIFY)
                file_modified(a, cg, ev->name);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct agent *a = userdata;
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

        (void) s;
        (void) revents;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0; /* EAGAIN: drained */
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        handle_inotify_event(a, ev);
                        p += sizeof(*ev) + ev->len;
                }
        }
}

int discovery_start(struct agent *a)
{
        if (!a->once) {
                a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (a->inotify_fd < 0)
                        log_warning("inotify is not available (%m): new cgroups are found by the "
                                    "rescan");
        }
        if (a->inotify_fd >= 0) {
                int r = sd_event_add_io(a->loop, &a->inotify_source, a->inotify_fd, EPOLLIN,
                                        on_inotify, a);
                if (r < 0)
                        return r;
        }
        int fd = fcntl(a->rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        struct cgroup *root = registry_add(&a->registry, "", 0, true, fd);
        if (!root) {
                close(fd);
                return -errno;
        }
        found(a, root);
        return discovery_scan(a);
}
