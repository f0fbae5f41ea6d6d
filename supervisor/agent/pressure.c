/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PSI triggers, placed by policy. Every cgroup with a trigger costs the kernel a
 * real-time psimon thread and a little work on every memory stall
 * (Documentation/accounting/psi.rst), so not every container gets one:
 *   - the root always has one, for node-wide pressure;
 *   - a container gets one once its usage passes [psi] usage_fraction of its
 *     tightest limit (memory.high or memory.max), and loses it again below 80 %
 *     of that mark, so a container near the line does not flap;
 *   - never more than [psi] max_triggers at once; the rest rely on the sampled
 *     pressure of the backstop round.
 * A container without any limit cannot hit one: node pressure covers it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/psi.h"
#include "emit/emit.h"
#include "emit/events.h"
#include "enforce.h"
#include "node.h"

#define DISARM_FACTOR 0.8

static uint64_t tightest_limit(const struct memcg_sample *s)
{
        return s->high_bytes < s->max_bytes ? s->high_bytes : s->max_bytes;
}

static bool psi_should_arm(const struct agent *a, const struct watch *w)
{
        const struct cgmem_config *c = a->config;

        if (!a->features.psi || a->once)
                return false;
        if (!w->path[0] || node_is_slice(a, w))
                return true;
        if (!w->is_container || !w->sampled)
                return false;
        uint64_t limit = tightest_limit(&w->sample);
        if (limit == CG_VALUE_MAX)
                return false;
        double mark = c->psi_usage_fraction * (double) limit;
        if (w->psi_source)
                mark *= DISARM_FACTOR;
        return (double) w->sample.current_bytes >= mark;
}

static void disarm(struct agent *a, struct watch *w)
{
        w->psi_source = sd_event_source_disable_unref(w->psi_source);
        close(w->psi_fd);
        w->psi_fd = -1;
        a->watches.n_triggers--;
}

static int on_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct watch *w = userdata;
        struct agent *a = w->agent;

        (void) s;
        (void) fd;
        if (psi_trigger_revents((short) revents) < 0) {
                /* POLLERR: the cgroup was removed; its rmdir notification drops the watch. */
                disarm(a, w);
                return 0;
        }
        /* The root has no memory.current: a slice is judged by its pressure alone. */
        unsigned files = w->is_container ? a->hot_files : MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE);
        uint64_t signal_usec = now_usec();
        if (memcg_sample_update(&w->reader, w->dirfd, files, &w->sample, NULL) < 0)
                return 0;
        emitter_emit(a->emitter, event_pressure(a, w, PRESSURE_PSI_TRIGGER));
        if (node_is_slice(a, w))
                node_check(a, w, signal_usec);
        enforce_evaluate(a, w, SIGNAL_PSI_TRIGGER, signal_usec);
        return 0;
}

static void arm(struct agent *a, struct watch *w)
{
        const struct cgmem_config *c = a->config;
        enum psi_stall stall = c->psi_stall == CONFIG_PSI_FULL ? PSI_STALL_FULL : PSI_STALL_SOME;

        if (a->watches.n_triggers >= c->psi_max_triggers)
                return;
        int fd = psi_trigger_open(w->dirfd, "memory.pressure", stall, c->psi_threshold_usec,
                                  c->psi_window_usec);
        if (fd < 0) {
                if (!errno_is_gone(fd)) {
                        log_warning("cannot set a PSI trigger on /%s: %s; pressure is sampled "
                                    "instead",
                                    w->path, strerror(-fd));
                        a->features.psi = false;
                }
                return;
        }
        /* The fd is registered only now that the kernel took the trigger. */
        int r = sd_event_add_io(a->loop, &w->psi_source, fd, EPOLLPRI, on_trigger, w);
        if (r < 0) {
                close(fd);
                return;
        }
        w->psi_fd = fd;
        a->watches.n_triggers++;
}

void psi_update_trigger(struct agent *a, struct watch *w)
{
        bool want = psi_should_arm(a, w);

        if (want && !w->psi_source)
                arm(a, w);
        else if (!want && w->psi_source)
                disarm(a, w);
}
