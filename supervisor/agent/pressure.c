/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PSI triggers, placed by policy. Every cgroup with a trigger costs the kernel a
 * real-time psimon thread and a little work on every memory stall
 * (Documentation/accounting/psi.rst), so not every container gets one:
 *   - the root (or the configured [node] slice) always has one, for node-wide
 *     pressure;
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

#define DISARM_FACTOR 0.8

static uint64_t tightest_limit(const struct memcg_sample *s)
{
        return s->high_bytes < s->max_bytes ? s->high_bytes : s->max_bytes;
}

/* The trigger a cgroup may carry: a container's, or the node's on its slice. */
static struct psi_trigger *trigger_of(struct agent *a, struct cgroup *cg)
{
        struct container *c = container_of(cg);

        if (c)
                return &c->trigger;
        return node_is_slice(&a->node, cg) ? &a->node.trigger : NULL;
}

static bool should_arm(const struct agent *a, const struct cgroup *cg, const struct psi_trigger *t)
{
        const struct cgmem_config *c = a->config;

        if (!a->features.psi || a->once)
                return false;
        if (!cg->is_container)
                return true; /* the node's slice */
        if (!cg->sampled)
                return false;
        uint64_t limit = tightest_limit(&cg->sample);
        if (limit == CG_VALUE_MAX)
                return false;
        double mark = c->psi_usage_fraction * (double) limit;
        if (t->source)
                mark *= DISARM_FACTOR;
        return (double) cg->sample.current_bytes >= mark;
}

static void disarm(struct agent *a, struct psi_trigger *t)
{
        t->source = sd_event_source_disable_unref(t->source);
        close(t->fd);
        t->fd = -1;
        a->n_triggers--;
}

/* The node's slice: its pressure, then the node's rules; a container: its pipeline. */
static int on_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct psi_trigger *t = userdata;
        struct agent *a = t->agent;
        struct container *c = container_of(t->cg);
        uint64_t signal_usec = now_usec();

        (void) s;
        (void) fd;
        if (psi_trigger_revents((short) revents) < 0) {
                /* POLLERR: the cgroup was removed; its rmdir notification drops it. */
                disarm(a, t);
                return 0;
        }
        if (c) {
                pipeline_run(&a->pipeline, c, WAKE_PSI_TRIGGER, signal_usec);
                return 0;
        }
        node_triggered(&a->node, t->cg, signal_usec);
        return 0;
}

static void arm(struct agent *a, struct cgroup *cg, struct psi_trigger *t)
{
        const struct cgmem_config *c = a->config;
        enum psi_stall stall = c->psi_stall;

        if (a->n_triggers >= c->psi_max_triggers)
                return;
        int fd = psi_trigger_open(cg->dirfd, "memory.pressure", stall, c->psi_threshold_usec,
                                  c->psi_window_usec);
        if (fd < 0) {
                if (!errno_is_gone(fd)) {
                        log_warning("cannot set a PSI trigger on %s: %s; pressure is sampled "
                                    "instead",
                                    cg->path, strerror(-fd));
                        a->features.psi = false;
                }
                return;
        }
        /* The fd is registered only now that the kernel took the trigger. */
        *t = (struct psi_trigger){.fd = -1, .agent = a, .cg = cg};
        if (sd_event_add_io(a->loop, &t->source, fd, EPOLLPRI, on_trigger, t) < 0) {
                close(fd);
                return;
        }
        t->fd = fd;
        a->n_triggers++;
}

void psi_update_trigger(struct agent *a, struct cgroup *cg)
{
        struct psi_trigger *t = trigger_of(a, cg);
        if (!t)
                return;
        bool want = should_arm(a, cg, t);

        if (want && !t->source)
                arm(a, cg, t);
        else if (!want && t->source)
                disarm(a, t);
}

void psi_disarm(struct agent *a, struct cgroup *cg)
{
        struct psi_trigger *t = trigger_of(a, cg);

        if (t && t->source)
                disarm(a, t);
}
