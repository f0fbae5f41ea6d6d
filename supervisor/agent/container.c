/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container.h"

#include <stdlib.h>
#include <unistd.h>

#include "pipeline.h"

struct container *container_new(struct cgroup *cg, struct pipeline *p, uint64_t now_usec)
{
        struct container *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->cg = cg;
        c->pipeline = p;
        c->seen_usec = now_usec;
        c->trigger.fd = -1;
        c->high_written_bytes = HIGH_WRITTEN_NONE;
        recorder_init(&c->recorder, p ? p->epoch_usec : now_usec);
        cg->ext = c;
        return c;
}

void container_free(struct cgroup *cg)
{
        struct container *c = cg->ext;

        if (!c)
                return;
        sd_event_source_disable_unref(c->recheck_source);
        sd_event_source_disable_unref(c->put_off.source);
        sd_event_source_disable_unref(c->trigger.source);
        if (c->trigger.fd >= 0)
                close(c->trigger.fd);
        recorder_done(&c->recorder);
        free(c->procs);
        free(c);
        cg->ext = NULL;
}

struct event_who container_who(const struct container *c, struct names *names)
{
        const struct cgroup *cg = c->cg;

        return (struct event_who){
                .cgroup = cg->path,
                .identity = &cg->identity,
                .meta = names ? names_get(names, cg->identity.id) : NULL,
        };
}
