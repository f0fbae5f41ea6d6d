/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "exporter.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "base/log.h"
#include "base/time-util.h"
#include "emit/emit.h"
#include "metrics/server.h"
#include "names/names.h"

_Static_assert(sizeof(((struct metrics_agent *) 0)->actions) ==
                       sizeof(((struct pipeline *) 0)->actions),
               "the pipeline's action counters are copied as they are");
_Static_assert(sizeof(((struct metrics_agent *) 0)->action_failures) ==
                       sizeof(((struct pipeline *) 0)->action_failures),
               "the pipeline's failure counters are copied as they are");
_Static_assert(sizeof(((struct metrics_container *) 0)->actions) ==
                       sizeof(((struct container *) 0)->actions),
               "a container's action counters are copied as they are");

void exporter_open(struct agent *a)
{
        const struct cgmem_config *c = a->config;
        struct metrics_server_options o = {
                .listen = c->metrics_listen,
                .textfile_dir = c->metrics_textfile_dir,
                .textfile_interval_usec = c->metrics_textfile_interval_usec,
        };
        char err[512] = "";

        if ((!o.listen || !o.listen[0]) && (!o.textfile_dir || !o.textfile_dir[0]))
                return;
        int r = metrics_server_new(&o, &a->metrics, err, sizeof(err));
        if (r < 0)
                log_error("%s; running without metrics", err[0] ? err : strerror(-r));
}

/* One row per container that has been sampled, with the names the runtimes gave it. */
static int add_container(struct agent *a, struct metrics_snapshot *snap, struct cgroup *cg)
{
        const struct container *c = container_of(cg);
        const struct container_meta *m = names_get(a->names, cg->identity.id);
        const char *values[_METRICS_LABEL_MAX] = {
                [METRICS_LABEL_ID] = cg->path,
                [METRICS_LABEL_CONTAINER_ID] = cg->identity.id,
                [METRICS_LABEL_NAME] = m ? m->name : NULL,
                [METRICS_LABEL_IMAGE] = m ? m->image : NULL,
                [METRICS_LABEL_NAMESPACE] = m ? m->pod_namespace : NULL,
                [METRICS_LABEL_POD] = m ? m->pod_name : NULL,
                [METRICS_LABEL_CONTAINER] = m ? m->k8s_container_name : NULL,
        };
        struct metrics_container *row = metrics_snapshot_add(snap, values);

        if (!row)
                return -ENOMEM;
        row->sample = cg->sample;
        row->growth_bytes_per_sec = c->policy.growth.rate_bytes_per_sec;
        row->throttled = c->policy.owns_high;
        memcpy(row->actions, c->actions, sizeof(row->actions));
        return 0;
}

static int fill_containers(struct agent *a, struct metrics_snapshot *snap)
{
        for (struct cgroup *cg = a->registry.head; cg; cg = cg->next) {
                snap->agent.watches += (uint64_t) (cg->wd >= 0) + (cg->subtree_wd >= 0);
                if (!container_of(cg) || !cg->sampled)
                        continue;
                int r = add_container(a, snap, cg);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The node as node-policy.h judges it; the root's pressure read afresh (one pread). */
static void fill_node(struct agent *a, struct metrics_node *ret)
{
        const struct node *n = &a->node;
        const struct meminfo *m = &n->meminfo;
        struct cgroup *root = registry_by_path(&a->registry, "/");

        ret->meminfo_valid = n->meminfo_valid;
        if (n->meminfo_valid) {
                ret->mem_total_bytes = m->mem_total;
                ret->mem_available_bytes = m->mem_available;
                ret->headroom_bytes = m->mem_available + (n->swap_in_ram ? 0 : m->swap_free);
                ret->floor_bytes =
                        (uint64_t) (n->config.mem_floor_fraction * (double) m->mem_total);
        }
        if (root &&
            registry_sample(&a->registry, root, root->dirfd, MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE),
                            NULL) >= 0 &&
            (root->sample.have & MEMCG_HAVE_PSI)) {
                ret->has_psi = true;
                ret->psi = root->sample.psi;
        }
}

static uint64_t start_realtime_usec(const struct agent *a)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
        return now - (now_usec() - a->start_usec);
}

static void fill_agent(struct agent *a, struct metrics_agent *ret)
{
        struct emitter_stats es = {0};

        if (a->emitter)
                emitter_get_stats(a->emitter, &es);
        ret->start_time_usec = start_realtime_usec(a);
        ret->rounds = a->rounds;
        ret->round_duration = a->round_duration;
        ret->events_emitted = es.emitted;
        ret->events_dropped[METRICS_SINK_STDOUT] = es.dropped_stdout;
        ret->events_dropped[METRICS_SINK_FILE] = es.dropped_file;
        ret->events_dropped[METRICS_SINK_JOURNAL] = es.dropped_journal;
        ret->events_queued[METRICS_SINK_STDOUT] = es.queued_stdout;
        ret->events_queued[METRICS_SINK_FILE] = es.queued_file;
        ret->events_queued[METRICS_SINK_JOURNAL] = es.queued_journal;
        ret->cgroups = a->registry.n;
        ret->containers = a->registry.n_containers;
        ret->watches_exhausted = a->inotify_exhausted;
        ret->psi_triggers = a->n_triggers;
        ret->names_helper_restarts = names_restarts(a->names);
        memcpy(ret->actions, a->pipeline.actions, sizeof(ret->actions));
        memcpy(ret->action_failures, a->pipeline.action_failures, sizeof(ret->action_failures));
}

/* The textfile writer's trouble, said once when it starts and once when it ends. */
static void report_textfile(struct agent *a)
{
        int r = metrics_server_textfile_status(a->metrics);

        if (r == a->metrics_textfile_status)
                return;
        if (r < 0)
                log_error("cannot write the metrics textfile in %s: %s",
                          a->config->metrics_textfile_dir, strerror(-r));
        else
                log_info("the metrics textfile is written again");
        a->metrics_textfile_status = r;
}

void exporter_publish(struct agent *a)
{
        if (!a->metrics)
                return;
        struct metrics_snapshot *snap = metrics_server_acquire(a->metrics);
        if (!snap)
                return; /* out of memory: the scrapes read the last one */
        if (fill_containers(a, snap) < 0) {
                metrics_snapshot_free(snap);
                return;
        }
        fill_node(a, &snap->node);
        fill_agent(a, &snap->agent);
        metrics_server_publish(a->metrics, snap);
        report_textfile(a);
}

void exporter_start(struct agent *a)
{
        char err[512] = "";

        if (!a->metrics)
                return;
        int r = metrics_server_start(a->metrics, err, sizeof(err));
        if (r < 0) {
                log_error("%s; running without metrics", err[0] ? err : strerror(-r));
                exporter_stop(a);
                return;
        }
        exporter_publish(a);
}

void exporter_stop(struct agent *a)
{
        metrics_server_free(a->metrics);
        a->metrics = NULL;
}
