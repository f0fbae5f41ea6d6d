/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "events.h"

#include <limits.h>

#include "json-util.h"
#include "names-json.h"
#include "names.h"

void event_add_identity(json_t *e, const struct watch *w, bool with_labels)
{
        if (!e || w->identity.runtime == RUNTIME_UNKNOWN)
                return;
        const struct container_meta *m = names_get(w->agent->names, w->identity.id);
        json_object_set_new(e, "container", names_container_json(&w->identity, m, with_labels));
        json_t *k8s = names_kubernetes_json(&w->identity, m);
        if (k8s)
                json_object_set_new(e, "kubernetes", k8s);
}

/* Every container event starts with the cgroup it is about, and who lives there. */
static json_t *container_event_full(const char *type, const struct watch *w, bool with_labels)
{
        char path[PATH_MAX + 2];
        json_t *e = json_pack("{s:s, s:s}", "type", type, "cgroup",
                              watch_display_path(w, path, sizeof(path)));

        event_add_identity(e, w, with_labels);
        return e;
}

static json_t *container_event(const char *type, const struct watch *w)
{
        return container_event_full(type, w, false);
}

/* Adds fields to event, or drops the event when memory ran out. */
static json_t *with(json_t *event, json_t *fields)
{
        if (!event || !fields || json_object_update(event, fields) < 0) {
                json_decref(event);
                event = NULL;
        }
        json_decref(fields);
        return event;
}

static json_t *limits_json(const struct memcg_sample *s)
{
        return json_pack("{s:o, s:o, s:o, s:o}", "max_bytes", json_u64(s->max_bytes), "high_bytes",
                         json_u64(s->high_bytes), "low_bytes", json_u64(s->low_bytes), "min_bytes",
                         json_u64(s->min_bytes));
}

json_t *event_started(const struct agent *a)
{
        const struct cgmem_config *c = a->config;
        const struct agent_features *f = &a->features;

        return json_pack("{s:s, s:s, s:b, s:{s:b, s:b, s:b, s:b}, s:{s:I, s:I, s:s, s:I, s:I}}",
                         "type", "started", "version", CGMEM_VERSION, "dry_run", c->dry_run,
                         "features", "psi", f->psi, "cgroup_kill", f->cgroup_kill, "memory_peak",
                         f->memory_peak, "kmsg", f->kmsg, "config", "interval_usec",
                         (json_int_t) c->interval_usec, "rescan_usec",
                         (json_int_t) c->rescan_interval_usec, "psi_stall",
                         c->psi_stall == CONFIG_PSI_FULL ? "full" : "some", "psi_threshold_usec",
                         (json_int_t) c->psi_threshold_usec, "psi_window_usec",
                         (json_int_t) c->psi_window_usec);
}

json_t *event_stopping(const char *reason, uint64_t uptime_usec)
{
        return json_pack("{s:s, s:s, s:I}", "type", "stopping", "reason", reason, "uptime_usec",
                         (json_int_t) uptime_usec);
}

json_t *event_container_seen(const struct watch *w)
{
        return with(container_event("container_seen", w),
                    json_pack("{s:o, s:o}", "current_bytes", json_u64(w->sample.current_bytes),
                              "limits", limits_json(&w->sample)));
}

json_t *event_container_identity(const struct watch *w)
{
        return container_event_full("container_identity", w, true);
}

json_t *event_container_gone(const struct watch *w, uint64_t now_usec)
{
        return with(container_event("container_gone", w),
                    json_pack("{s:I, s:o, s:o}", "lifetime_usec",
                              (json_int_t) (now_usec - w->seen_usec), "last_current_bytes",
                              json_u64(w->sample.current_bytes), "events",
                              json_memcg_events(&w->sample.events)));
}

json_t *event_pressure(const struct agent *a, const struct watch *w, enum pressure_source source)
{
        const struct cgmem_config *c = a->config;
        json_t *trigger = json_null();

        if (source == PRESSURE_PSI_TRIGGER)
                trigger = json_pack("{s:s, s:I, s:I}", "stall",
                                    c->psi_stall == CONFIG_PSI_FULL ? "full" : "some",
                                    "threshold_usec", (json_int_t) c->psi_threshold_usec,
                                    "window_usec", (json_int_t) c->psi_window_usec);
        return with(container_event("pressure", w),
                    json_pack("{s:s, s:o, s:o, s:o}", "source",
                              source == PRESSURE_PSI_TRIGGER ? "psi_trigger" : "sample", "psi",
                              json_psi(&w->sample.psi), "trigger", trigger, "current_bytes",
                              json_u64(w->sample.current_bytes)));
}

json_t *event_memory_event(const struct watch *w, const struct memcg_events *before)
{
        return with(container_event("memory_event", w),
                    json_pack("{s:o, s:o, s:o}", "before", json_memcg_events(before), "after",
                              json_memcg_events(&w->sample.events), "limits",
                              limits_json(&w->sample)));
}

static json_t *victim_json(const struct oom_victim *v)
{
        if (!v)
                return json_null();
        return json_pack("{s:i, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "pid", v->pid, "comm",
                         v->comm, "task_memcg", v->task_memcg, "oom_memcg", v->oom_memcg,
                         "memcg_oom", v->memcg, "total_vm_bytes", json_u64(v->total_vm_bytes),
                         "anon_rss_bytes", json_u64(v->anon_rss_bytes), "file_rss_bytes",
                         json_u64(v->file_rss_bytes), "shmem_rss_bytes",
                         json_u64(v->shmem_rss_bytes));
}

json_t *event_oom_kill(const char *cgroup, uint64_t before, uint64_t after,
                       const struct memcg_events *events, const struct oom_victim *victim)
{
        return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "type", "oom_kill", "cgroup", cgroup,
                         "oom_kill_before", json_u64(before), "oom_kill_after", json_u64(after),
                         "events", events ? json_memcg_events(events) : json_null(), "victim",
                         victim_json(victim));
}

json_t *event_kernel_memory(const struct agent *a, const struct watch *w,
                            enum kernel_memory_reason reason)
{
        const struct memcg_sample *s = &w->sample;
        double sock_pct =
                s->current_bytes ? 100.0 * (double) s->stat.sock / (double) s->current_bytes : 0.0;

        return with(container_event("kernel_memory", w),
                    json_pack("{s:s, s:o, s:o, s:f, s:f, s:f, s:b, s:o}", "reason",
                              reason == KERNEL_MEMORY_PERIODIC ? "periodic" : "threshold_crossed",
                              "current_bytes", json_u64(s->current_bytes), "kernel_bytes",
                              json_u64(memcg_kernel_bytes(s)), "share_pct",
                              memcg_kernel_share_pct(s), "sock_share_pct", sock_pct,
                              "threshold_pct", a->config->kernel_memory_threshold_pct, "above",
                              w->kernel_share_above, "breakdown", json_kernel_breakdown(s)));
}
