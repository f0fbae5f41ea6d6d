/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "events.h"

#include <limits.h>

#include "json-util.h"
#include "names/names-json.h"
#include "names/names.h"

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

/* Every container event starts with the cgroup it is about and who lives there; steals members. */
static json_t *container_event(const char *type, const struct watch *w, bool with_labels,
                               const struct json_member *members, size_t n)
{
        char path[PATH_MAX + 2];
        json_t *e = JSON_OBJECT({"type", json_string(type)},
                                {"cgroup", json_string(watch_display_path(w, path, sizeof(path)))});

        event_add_identity(e, w, with_labels);
        return json_object_add_members(e, members, n);
}

static json_t *limits_json(const struct memcg_sample *s)
{
        return JSON_OBJECT(
                {"max_bytes", json_u64(s->max_bytes)}, {"high_bytes", json_u64(s->high_bytes)},
                {"low_bytes", json_u64(s->low_bytes)}, {"min_bytes", json_u64(s->min_bytes)});
}

static const char *psi_stall_name(const struct cgmem_config *c)
{
        return c->psi_stall == CONFIG_PSI_FULL ? "full" : "some";
}

json_t *event_started(const struct agent *a)
{
        const struct cgmem_config *c = a->config;
        const struct agent_features *f = &a->features;

        return JSON_OBJECT(
                {"type", json_string("started")}, {"version", json_string(CGMEM_VERSION)},
                {"dry_run", json_boolean(c->dry_run)},
                {"features", JSON_OBJECT({"psi", json_boolean(f->psi)},
                                         {"cgroup_kill", json_boolean(f->cgroup_kill)},
                                         {"memory_peak", json_boolean(f->memory_peak)},
                                         {"kmsg", json_boolean(f->kmsg)})},
                {"config",
                 JSON_OBJECT(
                         {"interval_usec", json_integer((json_int_t) c->interval_usec)},
                         {"rescan_usec", json_integer((json_int_t) c->rescan_interval_usec)},
                         {"psi_stall", json_string(psi_stall_name(c))},
                         {"psi_threshold_usec", json_integer((json_int_t) c->psi_threshold_usec)},
                         {"psi_window_usec", json_integer((json_int_t) c->psi_window_usec)})});
}

json_t *event_stopping(const char *reason, uint64_t uptime_usec)
{
        return JSON_OBJECT({"type", json_string("stopping")}, {"reason", json_string(reason)},
                           {"uptime_usec", json_integer((json_int_t) uptime_usec)});
}

json_t *event_container_seen(const struct watch *w)
{
        return container_event("container_seen", w, false,
                               JSON_MEMBERS({"current_bytes", json_u64(w->sample.current_bytes)},
                                            {"limits", limits_json(&w->sample)}));
}

json_t *event_container_identity(const struct watch *w)
{
        return container_event("container_identity", w, true, NULL, 0);
}

json_t *event_container_gone(const struct watch *w, uint64_t now_usec)
{
        return container_event(
                "container_gone", w, false,
                JSON_MEMBERS(
                        {"lifetime_usec", json_integer((json_int_t) (now_usec - w->seen_usec))},
                        {"last_current_bytes", json_u64(w->sample.current_bytes)},
                        {"events", json_memcg_events(&w->sample.events)}));
}

static json_t *trigger_json(const struct cgmem_config *c)
{
        return JSON_OBJECT({"stall", json_string(psi_stall_name(c))},
                           {"threshold_usec", json_integer((json_int_t) c->psi_threshold_usec)},
                           {"window_usec", json_integer((json_int_t) c->psi_window_usec)});
}

json_t *event_pressure(const struct agent *a, const struct watch *w, enum pressure_source source)
{
        bool triggered = source == PRESSURE_PSI_TRIGGER;

        return container_event(
                "pressure", w, false,
                JSON_MEMBERS({"source", json_string(triggered ? "psi_trigger" : "sample")},
                             {"psi", json_psi(&w->sample.psi)},
                             {"trigger", triggered ? trigger_json(a->config) : json_null()},
                             {"current_bytes", json_u64(w->sample.current_bytes)}));
}

json_t *event_memory_event(const struct watch *w, const struct memcg_events *before)
{
        return container_event("memory_event", w, false,
                               JSON_MEMBERS({"before", json_memcg_events(before)},
                                            {"after", json_memcg_events(&w->sample.events)},
                                            {"limits", limits_json(&w->sample)}));
}

static json_t *victim_json(const struct oom_victim *v)
{
        if (!v)
                return json_null();
        return JSON_OBJECT({"pid", json_integer(v->pid)}, {"comm", json_string(v->comm)},
                           {"task_memcg", json_string(v->task_memcg)},
                           {"oom_memcg", json_string(v->oom_memcg)},
                           {"memcg_oom", json_boolean(v->memcg)},
                           {"total_vm_bytes", json_u64(v->total_vm_bytes)},
                           {"anon_rss_bytes", json_u64(v->anon_rss_bytes)},
                           {"file_rss_bytes", json_u64(v->file_rss_bytes)},
                           {"shmem_rss_bytes", json_u64(v->shmem_rss_bytes)});
}

json_t *event_oom_kill(const char *cgroup, uint64_t before, uint64_t after,
                       const struct memcg_events *events, const struct oom_victim *victim)
{
        return JSON_OBJECT({"type", json_string("oom_kill")}, {"cgroup", json_string(cgroup)},
                           {"oom_kill_before", json_u64(before)},
                           {"oom_kill_after", json_u64(after)},
                           {"events", events ? json_memcg_events(events) : json_null()},
                           {"victim", victim_json(victim)});
}

json_t *event_kernel_memory(const struct agent *a, const struct watch *w,
                            enum kernel_memory_reason reason)
{
        const struct memcg_sample *s = &w->sample;
        double sock_pct =
                s->current_bytes ? 100.0 * (double) s->stat.sock / (double) s->current_bytes : 0.0;

        return container_event(
                "kernel_memory", w, false,
                JSON_MEMBERS({"reason",
                              json_string(reason == KERNEL_MEMORY_PERIODIC ? "periodic"
                                                                           : "threshold_crossed")},
                             {"current_bytes", json_u64(s->current_bytes)},
                             {"kernel_bytes", json_u64(memcg_kernel_bytes(s))},
                             {"share_pct", json_real(memcg_kernel_share_pct(s))},
                             {"sock_share_pct", json_real(sock_pct)},
                             {"threshold_pct", json_real(a->config->kernel_memory_threshold_pct)},
                             {"above", json_boolean(w->kernel_share_above)},
                             {"breakdown", json_kernel_breakdown(s)}));
}
