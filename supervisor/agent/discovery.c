/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery: which memory cgroups exist. A full walk at start and on a slow
 * timer (the backstop), and inotify on every memory cgroup directory for the
 * rest: mkdir and rmdir of a cgroup are VFS operations, and kernfs also reports
 * changes of memory.events and friends as IN_MODIFY on the directory
 * (fs/kernfs/file.c kernfs_notify_workfn), so one watch per cgroup covers both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/io.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "cgroupfs/walk.h"
#include "emit/emit.h"
#include "emit/events.h"
#include "enforce.h"
#include "names/names.h"
#include "node.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MODIFY | IN_ONLYDIR | IN_EXCL_UNLINK)

static void add_inotify_watch(struct agent *a, struct watch *w)
{
        char proc_path[64];

        if (a->inotify_fd < 0 || a->inotify_exhausted)
                return;
        /* inotify takes a path, not a dirfd: the /proc link names the very directory we hold. */
        snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", w->dirfd);
        int wd = inotify_add_watch(a->inotify_fd, proc_path, WATCH_MASK);
        if (wd < 0) {
                if (errno == ENOSPC) {
                        a->inotify_exhausted = true;
                        log_warning("out of inotify watches (fs.inotify.max_user_watches): new "
                                    "cgroups are found by the %gs rescan only",
                                    (double) a->config->rescan_interval_usec / 1e6);
                }
                return;
        }
        if (watch_table_set_wd(&a->watches, w, wd) < 0)
                inotify_rm_watch(a->inotify_fd, wd);
}

/*
 * Containers found together (at start) would all report their kernel memory in
 * the same round: each gets a start within one interval, from its path.
 */
static uint64_t staggered_start(const struct agent *a, const struct watch *w)
{
        return w->seen_usec - hash_string(w->path) % a->config->kernel_memory_interval_usec;
}

static int first_sample(struct agent *a, struct watch *w)
{
        unsigned files = a->hot_files | LIMIT_FILES;

        if (a->features.memory_peak)
                files |= MEMCG_FILE_BIT(MEMCG_FILE_PEAK);
        int r = memcg_sample_update(&w->reader, w->dirfd, files, &w->sample, NULL);
        if (r < 0)
                return r;
        w->sampled = true;
        w->reported_events = w->sample.events;
        w->kernel_memory_usec = staggered_start(a, w);
        w->psi_some_total_usec = w->sample.psi.some.total_usec;
        w->kernel_share_above = false; /* the first round tells if it is above */
        return 0;
}

struct watch *discovery_add(struct agent *a, int dirfd, const char *path, bool delegates_memory)
{
        struct watch *w = watch_table_add(&a->watches, path, dirfd);
        if (!w) {
                close(dirfd);
                return NULL;
        }
        w->agent = a;
        w->delegates_memory = delegates_memory;
        w->generation = a->generation;
        w->seen_usec = now_usec();
        w->is_container = path[0] && classify_is_container(path, !delegates_memory, &a->rules);
        if (w->is_container) {
                identity_from_path(path, &w->identity);
                watch_table_index_id(&a->watches, w);
                names_track(a->names, &w->identity);
        }
        add_inotify_watch(a, w);
        if (!w->is_container) {
                psi_update_trigger(a, w);
                return w;
        }
        int r = first_sample(a, w);
        if (r < 0) {
                /* Gone before its first sample is the normal race; anything else is said. */
                if (!errno_is_gone(r))
                        log_warning("cannot watch container /%s: %s", path, strerror(-r));
                watch_table_remove(&a->watches, w);
                return NULL;
        }
        a->watches.n_containers++;
        node_reserve_candidates(a);
        emitter_emit(a->emitter, event_container_seen(w));
        enforce_adopt(a, w);
        enforce_evaluate(a, w, SIGNAL_DISCOVERY, w->seen_usec);
        psi_update_trigger(a, w);
        return w;
}

void discovery_named(const char *id, const struct container_meta *meta, void *userdata)
{
        struct agent *a = userdata;
        struct watch *w = watch_table_by_id(&a->watches, id);

        (void) meta; /* events take it from the cache */
        if (!w || !w->is_container || !w->sampled)
                return;
        emitter_emit(a->emitter, event_container_identity(w));
        enforce_adopt_mark(a, w);
}

/* Kills that happened in a container the runtime removed before we read its counters. */
static void report_unclaimed_kills(struct agent *a, struct watch *w)
{
        char path[PATH_MAX + 2];
        const struct oom_victim *v;
        uint64_t before = w->reported_events.oom_kill;

        oom_log_drain(&a->oom, now_usec());
        watch_display_path(w, path, sizeof(path));
        while ((v = oom_log_claim(&a->oom, path))) {
                emitter_emit(a->emitter, event_oom_kill(path, before, before + 1, NULL, v));
                before++;
        }
}

void discovery_gone(struct agent *a, struct watch *w)
{
        if (w->is_container) {
                /* Read what is left: an OOM kill right before removal must still be told. */
                if (memcg_sample_update(&w->reader, w->dirfd, MEMCG_FILE_BIT(MEMCG_FILE_EVENTS),
                                        &w->sample, NULL) >= 0)
                        sampling_events_changed(a, w, now_usec());
                report_unclaimed_kills(a, w);
                emitter_emit(a->emitter, event_container_gone(w, now_usec()));
                names_untrack(a->names, w->identity.id);
        }
        if (w->wd >= 0 && a->inotify_fd >= 0)
                inotify_rm_watch(a->inotify_fd, w->wd);
        watch_table_remove(&a->watches, w);
}

static int scan_visit(const struct cg_walk_entry *e, void *userdata)
{
        struct agent *a = userdata;
        struct watch *w = watch_table_by_path(&a->watches, e->path);

        if (w) {
                w->generation = a->generation;
                w->delegates_memory = e->delegates_memory;
                return 0;
        }
        int fd = fcntl(e->dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        discovery_add(a, fd, e->path, e->delegates_memory);
        return 0;
}

int discovery_scan(struct agent *a)
{
        a->generation++;
        struct watch *root = watch_table_by_path(&a->watches, "");
        if (root)
                root->generation = a->generation;
        int r = cg_walk(a->rootfd, scan_visit, a);
        if (r < 0)
                return r;
        for (struct watch *w = a->watches.head, *next; w; w = next) {
                next = w->next;
                if (w->generation != a->generation)
                        discovery_gone(a, w);
        }
        return 0;
}

static void child_created(struct agent *a, struct watch *parent, const char *name)
{
        char path[PATH_MAX];
        struct read_buf buf = {0};

        if (!parent->delegates_memory)
                return;
        int n = snprintf(path, sizeof(path), "%s%s%s", parent->path, parent->path[0] ? "/" : "",
                         name);
        if (n < 0 || (size_t) n >= sizeof(path) || watch_table_by_path(&a->watches, path))
                return;
        int fd = cg_open_dir(parent->dirfd, name);
        if (fd < 0)
                return; /* already gone again */
        int r = cg_read_at(fd, "cgroup.subtree_control", &buf);
        bool delegates = r >= 0 && word_list_contains(buf.data, buf.len, "memory");
        read_buf_free(&buf);
        discovery_add(a, fd, path, delegates);
}

static void child_deleted(struct agent *a, struct watch *parent, const char *name)
{
        char path[PATH_MAX];

        int n = snprintf(path, sizeof(path), "%s%s%s", parent->path, parent->path[0] ? "/" : "",
                         name);
        if (n < 0 || (size_t) n >= sizeof(path))
                return;
        struct watch *w = watch_table_by_path(&a->watches, path);
        if (w)
                discovery_gone(a, w);
}

static void file_modified(struct agent *a, struct watch *w, const char *name)
{
        if (strcmp(name, "memory.events") == 0) {
                if (w->is_container)
                        sampling_events_changed(a, w, now_usec());
        } else if (strcmp(name, "cgroup.subtree_control") == 0) {
                /* Memory passed on or taken back: which cgroups have it changed. */
                discovery_scan(a);
        } else if (strncmp(name, "memory.", 7) == 0 && w->is_container) {
                sampling_limits_changed(a, w);
        }
}

static void handle_inotify_event(struct agent *a, const struct inotify_event *ev)
{
        if (ev->mask & IN_Q_OVERFLOW) {
                discovery_scan(a);
                return;
        }
        struct watch *w = watch_table_by_wd(&a->watches, ev->wd);
        if (!w || !ev->len)
                return;
        if ((ev->mask & IN_ISDIR) && (ev->mask & IN_CREATE))
                child_created(a, w, ev->name);
        else if ((ev->mask & IN_ISDIR) && (ev->mask & IN_DELETE))
                child_deleted(a, w, ev->name);
        else if (ev->mask & IN_MODIFY)
                file_modified(a, w, ev->name);
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
        a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (a->inotify_fd < 0) {
                log_warning("inotify is not available (%m): new cgroups are found by the rescan");
                return 0;
        }
        int r = sd_event_add_io(a->loop, &a->inotify_source, a->inotify_fd, EPOLLIN, on_inotify, a);
        if (r < 0)
                return r;
        int fd = fcntl(a->rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        discovery_add(a, fd, "", true);
        return 0;
}
