/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "events.h"

#include <string.h>

#include "base/json-util.h"
#include "cgroupfs/macro.h"
#include "names/names-json.h"

/* How many of the policy's history points a kill event shows, newest last. */
#define EVIDENCE_POINTS 12

static const char *const event_type_names[_EVENT_TYPE_MAX] = {
        [EVENT_STARTED] = "started",
        [EVENT_STOPPING] = "stopping",
        [EVENT_DROPPED] = "dropped",
        [EVENT_CONTAINER_SEEN] = "container_seen",
        [EVENT_CONTAINER_IDENTITY] = "container_identity",
        [EVENT_CONTAINER_GONE] = "container_gone",
        [EVENT_PRESSURE] = "pressure",
        [EVENT_MEMORY_EVENT] = "memory_event",
        [EVENT_OOM_KILL] = "oom_kill",
        [EVENT_KERNEL_MEMORY] = "kernel_memory",
        [EVENT_EPISODE] = "episode",
        [EVENT_GUARD] = "guard",
        [EVENT_RELEASE] = "release",
        [EVENT_YIELD] = "yield",
        [EVENT_ACTION_FAILED] = "action_failed",
        [EVENT_KILL] = "kill",
        [EVENT_KILL_FAILED] = "kill_failed",
        [EVENT_DECISION] = "decision",
        [EVENT_ADOPTED] = "adopted",
        [EVENT_NODE_PRESSURE] = "node_pressure",
};

static const char *event_type_to_string(enum event_type t)
{
        return t >= 0 && t < _EVENT_TYPE_MAX ? event_type_names[t] : NULL;
}

enum event_type event_type_from_string(const char *s)
{
        for (int t = 0; s && t < _EVENT_TYPE_MAX; t++)
                if (strcmp(s, event_type_names[t]) == 0)
                        return (enum event_type) t;
        return _EVENT_TYPE_INVALID;
}

int event_type_priority(enum event_type t)
{
        switch (t) {
        case EVENT_KILL:
        case EVENT_KILL_FAILED:
        case EVENT_OOM_KILL:
        case EVENT_DROPPED:
                return 4;
        case EVENT_RELEASE:
        case EVENT_YIELD:
        case EVENT_ACTION_FAILED:
        case EVENT_NODE_PRESSURE:
                return 5;
        default:
                return 6;
        }
}

static const char *wake_to_string(enum wake w)
{
        static const char *const names[_WAKE_MAX] = {
                [WAKE_MEMORY_EVENTS] = "memory.events",
                [WAKE_PSI_TRIGGER] = "psi_trigger",
                [WAKE_ROUND] = "sample",
                [WAKE_DISCOVERY] = "discovery",
                [WAKE_NODE] = "node_pressure",
                [WAKE_LIMITS] = "limits",
        };
        return w >= 0 && w < _WAKE_MAX ? names[w] : NULL;
}

static json_t *type_json(enum event_type t)
{
        return json_string(event_type_to_string(t));
}

/* Every container event starts with its type, its cgroup and who lives there; steals members. */
static json_t *container_event(enum event_type type, const struct event_who *who, bool labels,
                               const struct json_member *members, size_t n)
{
        json_t *e = JSON_OBJECT({"type", type_json(type)}, {"cgroup", json_string(who->cgroup)});

        if (e && who->identity && who->identity->runtime != RUNTIME_UNKNOWN) {
                json_object_set_new(e, "container",
                                    names_container_json(who->identity, who->meta, labels));
                json_t *k8s = names_kubernetes_json(who->identity, who->meta);
                if (k8s)
                        json_object_set_new(e, "kubernetes", k8s);
        }
        return json_object_add_members(e, members, n);
}

static json_t *limits_json(const struct memcg_sample *s)
{
        return JSON_OBJECT(
                {"max_bytes", json_u64(s->max_bytes)}, {"high_bytes", json_u64(s->high_bytes)},
                {"low_bytes", json_u64(s->low_bytes)}, {"min_bytes", json_u64(s->min_bytes)});
}

static json_t *usec_json(uint64_t v)
{
        return json_integer((json_int_t) v);
}

/* ---- the agent ---- */

json_t *event_started(bool dry_run, const struct event_features *f, uint64_t interval_usec,
                      uint64_t rescan_usec, const struct event_psi_trigger *trigger)
{
        return JSON_OBJECT(
                {"type", type_json(EVENT_STARTED)}, {"version", json_string(CGMEM_VERSION)},
                {"dry_run", json_boolean(dry_run)},
                {"features", JSON_OBJECT({"psi", json_boolean(f->psi)},
                                         {"cgroup_kill", json_boolean(f->cgroup_kill)},
                                         {"memory_peak", json_boolean(f->memory_peak)},
                                         {"kmsg", json_boolean(f->kmsg)})},
                {"config", JSON_OBJECT({"interval_usec", usec_json(interval_usec)},
                                       {"rescan_usec", usec_json(rescan_usec)},
                                       {"psi_stall", json_string(trigger->full ? "full" : "some")},
                                       {"psi_threshold_usec", usec_json(trigger->threshold_usec)},
                                       {"psi_window_usec", usec_json(trigger->window_usec)})});
}

json_t *event_stopping(const char *reason, uint64_t uptime_usec)
{
        return JSON_OBJECT({"type", type_json(EVENT_STOPPING)}, {"reason", json_string(reason)},
                           {"uptime_usec", usec_json(uptime_usec)});
}

json_t *event_dropped(const char *sink, uint64_t first_seq, uint64_t last_seq)
{
        return JSON_OBJECT({"type", type_json(EVENT_DROPPED)}, {"sink", json_string(sink)},
                           {"count", json_integer((json_int_t) (last_seq - first_seq + 1))},
                           {"first_seq", json_integer((json_int_t) first_seq)},
                           {"last_seq", json_integer((json_int_t) last_seq)});
}

json_t *event_truncated(json_t *type, size_t original_bytes)
{
        return JSON_OBJECT({"type", json_incref(type)}, {"truncated", json_true()},
                           {"original_bytes", json_integer((json_int_t) original_bytes)});
}

/* ---- what the kernel says of a container ---- */

json_t *event_container_seen(const struct event_who *who, const struct memcg_sample *s)
{
        return container_event(EVENT_CONTAINER_SEEN, who, false,
                               JSON_MEMBERS({"current_bytes", json_u64(s->current_bytes)},
                                            {"limits", limits_json(s)}));
}

json_t *event_container_identity(const struct event_who *who)
{
        return container_event(EVENT_CONTAINER_IDENTITY, who, true, NULL, 0);
}

json_t *event_container_gone(const struct event_who *who, uint64_t lifetime_usec,
                             const struct memcg_sample *s)
{
        return container_event(EVENT_CONTAINER_GONE, who, false,
                               JSON_MEMBERS({"lifetime_usec", usec_json(lifetime_usec)},
                                            {"last_current_bytes", json_u64(s->current_bytes)},
                                            {"events", json_memcg_events(&s->events)}));
}

static json_t *trigger_json(const struct event_psi_trigger *t)
{
        if (!t)
                return json_null();
        return JSON_OBJECT({"stall", json_string(t->full ? "full" : "some")},
                           {"threshold_usec", usec_json(t->threshold_usec)},
                           {"window_usec", usec_json(t->window_usec)});
}

static json_t *episode_id_json(uint64_t id)
{
        return id ? json_u64(id) : json_null();
}

json_t *event_pressure(const struct event_who *who, const struct event_psi_trigger *trigger,
                       const struct memcg_sample *s, uint64_t episode)
{
        return container_event(
                EVENT_PRESSURE, who, false,
                JSON_MEMBERS({"source", json_string(trigger ? "psi_trigger" : "sample")},
                             {"psi", json_psi(&s->psi)}, {"trigger", trigger_json(trigger)},
                             {"current_bytes", json_u64(s->current_bytes)},
                             {"episode", episode_id_json(episode)}));
}

json_t *event_memory_event(const struct event_who *who, const struct memcg_events *before,
                           const struct memcg_sample *s, uint64_t episode)
{
        return container_event(EVENT_MEMORY_EVENT, who, false,
                               JSON_MEMBERS({"before", json_memcg_events(before)},
                                            {"after", json_memcg_events(&s->events)},
                                            {"limits", limits_json(s)},
                                            {"episode", episode_id_json(episode)}));
}

static json_t *stalled_json(const struct episode *e, const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_PSI))
                return json_null();
        return JSON_OBJECT({"some", usec_json(s->psi.some.total_usec - e->some_before_usec)},
                           {"full", usec_json(s->psi.full.total_usec - e->full_before_usec)});
}

json_t *event_episode(const struct event_who *who, const struct episode *e, enum episode_step step,
                      const struct memcg_sample *s, uint64_t now)
{
        json_t *peak = JSON_OBJECT({"current_bytes", json_u64(e->peak_current_bytes)},
                                   {"psi_some_avg10", json_real(e->peak_some_avg10 / 100.0)},
                                   {"psi_full_avg10", json_real(e->peak_full_avg10 / 100.0)});

        return container_event(
                EVENT_EPISODE, who, false,
                JSON_MEMBERS({"episode", json_u64(e->id)},
                             {"phase", json_string(step == EPISODE_END ? "end" : "ongoing")},
                             {"duration_usec", usec_json(now - e->began_usec)},
                             {"before", json_memcg_events(&e->before)},
                             {"after", json_memcg_events(&s->events)},
                             {"pressure_signals", json_integer(e->pressure_signals)},
                             {"stalled_usec", stalled_json(e, s)}, {"peak", peak},
                             {"current_bytes", json_u64(s->current_bytes)}));
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

/* ---- what a kill tells ---- */

static json_t *optional_u64(uint64_t v)
{
        return v == PROC_VALUE_UNKNOWN ? json_null() : json_u64(v);
}

static json_t *process_json(const struct proc_memory *m)
{
        return JSON_OBJECT({"pid", json_integer(m->pid)}, {"comm", json_string(m->comm)},
                           {"rss_anon_bytes", json_u64(m->rss_anon_bytes)},
                           {"rss_file_bytes", json_u64(m->rss_file_bytes)},
                           {"rss_shmem_bytes", json_u64(m->rss_shmem_bytes)},
                           {"swap_bytes", json_u64(m->swap_bytes)},
                           {"pss_bytes", optional_u64(m->pss_bytes)},
                           {"uss_bytes", optional_u64(m->uss_bytes)});
}

json_t *event_processes_json(const struct procs_snapshot *procs, uint64_t age_usec, size_t max)
{
        if (!procs)
                return json_null();
        json_t *top = json_array();
        for (size_t i = 0; top && i < procs->n_top && i < max; i++)
                json_array_append_new(top, process_json(&procs->top[i]));
        return JSON_OBJECT({"age_usec", usec_json(age_usec)}, {"count", json_u64(procs->n_procs)},
                           {"complete", json_boolean(procs->complete)}, {"top", top});
}

static json_t *story_points_json(const struct story *s)
{
        json_t *points = json_array();

        for (size_t i = 0; points && i < s->n_points; i++) {
                json_t *p = json_array();
                json_array_append_new(p, usec_json(s->points[i].ago_usec));
                json_array_append_new(p, json_u64(s->points[i].footprint_bytes));
                json_array_append_new(p, json_u64(s->points[i].current_bytes));
                json_array_append_new(points, p);
        }
        return points;
}

static json_t *story_json(const struct story *s)
{
        if (!s)
                return json_null();
        json_t *kinds = json_object();
        for (int k = 0; kinds && k < _STORY_KIND_MAX; k++) {
                char key[32];
                snprintf(key, sizeof(key), "%s_bytes", story_kind_to_string(k));
                json_object_set_new(kinds, key, json_integer(s->kinds_bytes[k]));
        }
        const char *most = story_kind_to_string(s->grew_most);
        return JSON_OBJECT({"window_usec", usec_json(s->window_usec)},
                           {"began_usec_ago",
                            s->began_usec_ago < 0 ? json_null() : json_integer(s->began_usec_ago)},
                           {"grew_bytes", json_u64(s->grew_bytes)},
                           {"rate_bytes_per_sec", json_real(s->rate_bytes_per_sec)},
                           {"peak_bytes", json_u64(s->peak_bytes)}, {"kinds", kinds},
                           {"grew_most", most ? json_string(most) : json_null()},
                           {"frees_bytes", json_u64(s->frees_bytes)},
                           {"stays_bytes", json_u64(s->stays_bytes)},
                           {"shmem_bytes", json_u64(s->shmem_bytes)},
                           {"points", story_points_json(s)});
}

#define EVENT_PROCESSES 5

static json_t *story_members(json_t *e, const struct event_story *st)
{
        struct event_story none = {0};

        if (!st)
                st = &none;
        return json_object_add_members(
                e, JSON_MEMBERS({"story", story_json(st->story)},
                                {"processes", event_processes_json(st->procs, st->procs_age_usec,
                                                                   EVENT_PROCESSES)},
                                {"record", st->record ? json_string(st->record) : json_null()}));
}

json_t *event_oom_kill(const char *cgroup, uint64_t before, uint64_t after,
                       const struct memcg_events *events, const struct oom_victim *victim,
                       const struct event_story *st)
{
        json_t *e = JSON_OBJECT(
                {"type", type_json(EVENT_OOM_KILL)}, {"cgroup", json_string(cgroup)},
                {"oom_kill_before", json_u64(before)}, {"oom_kill_after", json_u64(after)},
                {"events", events ? json_memcg_events(events) : json_null()},
                {"victim", victim_json(victim)});
        return story_members(e, st);
}

static const char *const kernel_memory_reasons[] = {
        [KERNEL_MEMORY_SNAPSHOT] = "snapshot",
        [KERNEL_MEMORY_CROSSED] = "threshold_crossed",
        [KERNEL_MEMORY_CHANGED] = "changed",
};

json_t *event_kernel_memory(const struct event_who *who, enum kernel_memory_reason reason,
                            const struct memcg_sample *s, double threshold_pct, bool above)
{
        double sock_pct =
                s->current_bytes ? 100.0 * (double) s->stat.sock / (double) s->current_bytes : 0.0;

        return container_event(EVENT_KERNEL_MEMORY, who, false,
                               JSON_MEMBERS({"reason", json_string(kernel_memory_reasons[reason])},
                                            {"current_bytes", json_u64(s->current_bytes)},
                                            {"kernel_bytes", json_u64(memcg_kernel_bytes(s))},
                                            {"share_pct", json_real(memcg_kernel_share_pct(s))},
                                            {"sock_share_pct", json_real(sock_pct)},
                                            {"threshold_pct", json_real(threshold_pct)},
                                            {"above", json_boolean(above)},
                                            {"breakdown", json_kernel_breakdown(s)}));
}

/* ---- what cgmem did ---- */

static json_t *numbers_json(const struct event_action *a)
{
        const struct memcg_sample *s = a->sample;

        return JSON_OBJECT({"working_set_bytes", json_u64(memcg_working_set_bytes(s))},
                           {"unreclaimable_bytes", json_u64(memcg_unreclaimable_bytes(s))},
                           {"swap_bytes", json_u64(s->swap_current_bytes)},
                           {"max_bytes", json_u64(s->max_bytes)},
                           {"high_bytes", json_u64(s->high_bytes)},
                           {"rate_bytes_per_sec", json_real(a->rate_bytes_per_sec)},
                           {"eta_usec", a->eta_usec < 0 ? json_null() : json_integer(a->eta_usec)},
                           {"events", json_memcg_events(&s->events)}, {"psi", json_psi(&s->psi)});
}

/* The fields every action event starts with. */
static json_t *action_event(enum event_type type, const struct event_who *who,
                            const struct event_action *a, const struct json_member *members,
                            size_t n)
{
        json_t *e = container_event(
                type, who, false,
                JSON_MEMBERS({"reason", json_string(policy_reason_to_string(a->reason))},
                             {"signal", json_string(wake_to_string(a->signal))},
                             {"latency_usec", usec_json(a->latency_usec)},
                             {"numbers", numbers_json(a)}));
        return json_object_add_members(e, members, n);
}

static json_t *error_members(json_t *e, int err)
{
        if (err >= 0)
                return e;
        return json_object_add_members(e, JSON_MEMBERS({"errno", json_integer(-err)},
                                                       {"error", json_string(strerror(-err))}));
}

json_t *event_high_change(const struct event_who *who, const struct event_action *a,
                          enum policy_action action, uint64_t before, uint64_t after,
                          uint64_t original, int err)
{
        enum event_type type = err < 0                    ? EVENT_ACTION_FAILED
                               : action == ACTION_RELEASE ? EVENT_RELEASE
                                                          : EVENT_GUARD;
        json_t *e = action_event(type, who, a,
                                 JSON_MEMBERS({"high_before_bytes", json_u64(before)},
                                              {"high_after_bytes", json_u64(after)},
                                              {"original_high_bytes", json_u64(original)}));
        if (err < 0)
                e = json_object_add_members(
                        e, JSON_MEMBERS({"action", json_string(policy_action_to_string(action))}));
        return error_members(e, err);
}

json_t *event_yield(const struct event_who *who, uint64_t high, uint64_t max)
{
        return container_event(
                EVENT_YIELD, who, false,
                JSON_MEMBERS({"reason", json_string(policy_reason_to_string(REASON_OWNER_HIGH))},
                             {"high_bytes", json_u64(high)}, {"max_bytes", json_u64(max)}));
}

json_t *event_adopted(const struct event_who *who, uint64_t high, uint64_t original)
{
        return JSON_OBJECT({"type", type_json(EVENT_ADOPTED)}, {"cgroup", json_string(who->cgroup)},
                           {"high_bytes", json_u64(high)},
                           {"original_high_bytes", json_u64(original)},
                           {"phase", json_string("guarded")});
}

json_t *event_decision(const struct event_who *who, const struct event_action *a,
                       enum policy_action action, bool dry_run, const struct event_story *st)
{
        json_t *e =
                action_event(EVENT_DECISION, who, a,
                             JSON_MEMBERS({"action", json_string(policy_action_to_string(action))},
                                          {"dry_run", json_boolean(dry_run)}));
        return action == ACTION_KILL ? story_members(e, st) : e;
}

json_t *event_kill(const struct event_who *who, const struct event_action *a, int err,
                   json_t *details, const struct event_story *st)
{
        json_t *e = action_event(err < 0 ? EVENT_KILL_FAILED : EVENT_KILL, who, a, NULL, 0);

        e = error_members(e, err);
        e = json_object_add_members(e, JSON_MEMBERS({"details", details ?: json_object()}));
        return story_members(e, st);
}

static json_t *point_json(const struct policy_point *p, uint64_t now)
{
        return JSON_OBJECT({"ago_usec", usec_json(now - p->usec)},
                           {"footprint_bytes", json_u64(p->footprint_bytes)},
                           {"current_bytes", json_u64(p->current_bytes)},
                           {"high_events", json_u64(p->high_events)},
                           {"max_events", json_u64(p->max_events)},
                           {"psi_full_total_usec", json_u64(p->psi_full_total_usec)},
                           {"refaults", json_u64(p->refaults)});
}

json_t *event_kill_evidence(const struct policy_state *s, const struct policy_evidence *e)
{
        json_t *points = json_array();

        for (unsigned n = EVIDENCE_POINTS; n-- > 0;) {
                const struct policy_point *p = policy_history_at(s, n);
                if (p)
                        json_array_append_new(points, point_json(p, s->growth.last_usec));
        }
        return JSON_OBJECT(
                {"evidence", JSON_OBJECT({"footprint_bytes", json_u64(e->footprint_bytes)},
                                         {"held_bytes", json_u64(e->held_bytes)},
                                         {"capacity_bytes", json_u64(e->capacity_bytes)},
                                         {"margin_bytes", json_u64(e->margin_bytes)},
                                         {"window_usec", json_u64(e->window_usec)},
                                         {"grown_bytes", json_u64(e->grown_bytes)},
                                         {"high_events", json_u64(e->high_events)},
                                         {"max_events", json_u64(e->max_events)},
                                         {"refaults", json_u64(e->refaults)},
                                         {"psi_full_pct", json_real(e->psi_full_permyriad / 100.0)},
                                         {"samples", points})});
}

/* ---- the node ---- */

#define CANDIDATES_SHOWN 5

static json_t *candidate_json(const struct event_candidate *c)
{
        const struct victim_candidate *v = c->v;

        return JSON_OBJECT({"cgroup", json_string(c->cgroup)}, {"score", json_real(v->score)},
                           {"footprint_bytes", json_u64(v->footprint_bytes)},
                           {"protected_bytes", json_u64(v->protected_bytes)},
                           {"swap_bytes", json_u64(v->swap_bytes)},
                           {"rate_bytes_per_sec", json_real(v->rate_bytes_per_sec)},
                           {"mark", json_string(policy_mark_to_string(v->mark))},
                           {"qos", json_string(victim_qos_to_string(v->qos))});
}

static json_t *candidates_json(const struct event_candidate *c, unsigned n)
{
        json_t *list = json_array();

        for (unsigned i = 0; i < n && i < CANDIDATES_SHOWN; i++)
                json_array_append_new(list, candidate_json(&c[i]));
        return list;
}

static json_t *node_json(const struct node_evidence *e)
{
        return JSON_OBJECT({"headroom_bytes", json_u64(e->headroom_bytes)},
                           {"floor_bytes", json_u64(e->floor_bytes)},
                           {"mem_available_bytes", json_u64(e->mem_available_bytes)},
                           {"swap_free_bytes", json_u64(e->swap_free_bytes)},
                           {"fall_bytes_per_sec", json_real(e->fall_bytes_per_sec)},
                           {"falling_usec", json_u64(e->falling_usec)},
                           {"eta_usec", e->eta_usec < 0 ? json_null() : json_integer(e->eta_usec)},
                           {"psi_full_avg10", json_real(e->psi_full_avg10 / 100.0)},
                           {"psi_full_pct", json_real(e->psi_full_permyriad / 100.0)},
                           {"refaults", json_u64(e->refaults)},
                           {"reclaim_scans",
                            e->reclaim_scans < 0 ? json_null() : json_integer(e->reclaim_scans)});
}

json_t *event_kill_ranking(enum node_rule rule, const struct node_evidence *e,
                           const struct event_candidate *c, unsigned n)
{
        return JSON_OBJECT({"rule", json_string(node_rule_to_string(rule))}, {"node", node_json(e)},
                           {"candidates", candidates_json(c, n)});
}

json_t *event_node_pressure(enum node_rule rule, const char *why, const struct node_evidence *e,
                            uint64_t outside_containers_bytes, const struct event_candidate *c,
                            unsigned n)
{
        return JSON_OBJECT({"type", type_json(EVENT_NODE_PRESSURE)},
                           {"rule", json_string(node_rule_to_string(rule))},
                           {"action", json_string("none")}, {"why", json_string(why)},
                           {"node", node_json(e)},
                           {"outside_containers_bytes", json_u64(outside_containers_bytes)},
                           {"candidates", candidates_json(c, n)});
}
