/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgmem explain --json: the facts of explain-model.h as one object (README.md lists its fields). */
#include <stdio.h>
#include <string.h>

#include "base/json-util.h"
#include "cgroupfs/parse.h"
#include "explain-render.h"

static json_t *str(const char *s)
{
        return json_string_or_null(s);
}

/* Byte limits: null for max. */
static json_t *limit(uint64_t v)
{
        return v == CG_VALUE_MAX ? json_null() : json_u64(v);
}

static json_t *unknown_or(uint64_t v)
{
        return v == PROC_VALUE_UNKNOWN ? json_null() : json_u64(v);
}

static json_t *event_json(const struct explain *e)
{
        return JSON_OBJECT({"seq", json_u64(e->seq)}, {"run", json_integer(e->run)},
                           {"line", json_u64(e->line_no)}, {"time", str(e->time)},
                           {"host", str(e->host)}, {"type", str(e->type)});
}

static json_t *container_json(const struct explain_who *w)
{
        return JSON_OBJECT({"cgroup", str(w->cgroup)}, {"runtime", str(w->runtime)},
                           {"id", str(w->id)}, {"name", str(w->name)}, {"image", str(w->image)},
                           {"unit", str(w->unit)});
}

static json_t *kubernetes_json(const struct explain_who *w)
{
        if (!w->pod[0] && !w->pod_uid[0])
                return json_null();
        return JSON_OBJECT({"namespace", str(w->namespace)}, {"pod", str(w->pod)},
                           {"pod_uid", str(w->pod_uid)}, {"qos", str(w->qos)},
                           {"container", str(w->container)});
}

static json_t *numbers_json(const struct explain *e)
{
        const struct explain_numbers *n = &e->numbers;

        if (!e->has_numbers)
                return json_null();
        return JSON_OBJECT({"working_set_bytes", json_u64(n->working_set_bytes)},
                           {"unreclaimable_bytes", json_u64(n->unreclaimable_bytes)},
                           {"swap_bytes", json_u64(n->swap_bytes)},
                           {"max_bytes", limit(n->max_bytes)}, {"high_bytes", limit(n->high_bytes)},
                           {"rate_bytes_per_sec", json_real(n->rate_bytes_per_sec)},
                           {"eta_usec", n->has_eta ? json_u64(n->eta_usec) : json_null()},
                           {"high_events", json_u64(n->high_events)},
                           {"max_events", json_u64(n->max_events)},
                           {"psi_some_avg10", json_pct(n->psi_some_avg10)},
                           {"psi_full_avg10", json_pct(n->psi_full_avg10)});
}

static json_t *evidence_json(const struct explain *e)
{
        const struct explain_evidence *v = &e->evidence;

        if (!e->has_evidence)
                return json_null();
        return JSON_OBJECT(
                {"footprint_bytes", json_u64(v->footprint_bytes)},
                {"capacity_bytes", json_u64(v->capacity_bytes)},
                {"margin_bytes", json_u64(v->margin_bytes)},
                {"kill_line_bytes",
                 json_u64(v->capacity_bytes > v->margin_bytes ? v->capacity_bytes - v->margin_bytes
                                                              : 0)},
                {"window_usec", json_u64(v->window_usec)},
                {"grown_bytes", json_u64(v->grown_bytes)},
                {"high_events", json_u64(v->high_events)}, {"max_events", json_u64(v->max_events)},
                {"refaults", json_u64(v->refaults)}, {"psi_full_pct", json_real(v->psi_full_pct)});
}

static json_t *candidates_json(const struct explain *e)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < e->n_candidates; i++) {
                const struct explain_candidate *c = &e->candidates[i];
                json_t *o = JSON_OBJECT({"cgroup", str(c->cgroup)}, {"name", str(c->display)},
                                        {"score", json_real(c->score)},
                                        {"footprint_bytes", json_u64(c->footprint_bytes)},
                                        {"protected_bytes", limit(c->protected_bytes)},
                                        {"swap_bytes", json_u64(c->swap_bytes)},
                                        {"rate_bytes_per_sec", json_real(c->rate_bytes_per_sec)},
                                        {"mark", str(c->mark)}, {"qos", str(c->qos)});
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *node_json(const struct explain *e)
{
        const struct explain_node *n = &e->node;

        if (!e->has_node)
                return json_null();
        return JSON_OBJECT(
                {"rule", str(n->rule)}, {"headroom_bytes", json_u64(n->headroom_bytes)},
                {"floor_bytes", json_u64(n->floor_bytes)},
                {"mem_available_bytes", json_u64(n->mem_available_bytes)},
                {"swap_free_bytes", json_u64(n->swap_free_bytes)},
                {"fall_bytes_per_sec", json_real(n->fall_bytes_per_sec)},
                {"falling_usec", json_u64(n->falling_usec)},
                {"eta_usec", n->has_eta ? json_u64(n->eta_usec) : json_null()},
                {"psi_full_avg10", json_real(n->psi_full_avg10)},
                {"psi_full_pct", json_real(n->psi_full_pct)}, {"refaults", json_u64(n->refaults)},
                {"reclaim_scans", n->has_reclaim_scans ? json_u64(n->reclaim_scans) : json_null()},
                {"candidates", candidates_json(e)});
}

static json_t *victim_json(const struct explain *e)
{
        const struct explain_victim *v = &e->victim;

        if (!e->has_victim)
                return json_null();
        return JSON_OBJECT({"pid", json_integer(v->pid)}, {"comm", str(v->comm)},
                           {"task_memcg", str(v->task_memcg)}, {"oom_memcg", str(v->oom_memcg)},
                           {"memcg_oom", json_boolean(v->memcg_oom)},
                           {"total_vm_bytes", json_u64(v->total_vm_bytes)},
                           {"anon_rss_bytes", json_u64(v->anon_rss_bytes)},
                           {"file_rss_bytes", json_u64(v->file_rss_bytes)},
                           {"shmem_rss_bytes", json_u64(v->shmem_rss_bytes)});
}

static json_t *story_json(const struct explain *e)
{
        const struct explain_story *s = &e->story;
        json_t *kinds = json_object();

        if (!e->has_story) {
                json_decref(kinds);
                return json_null();
        }
        for (int k = 0; kinds && k < _EXPLAIN_KIND_MAX; k++) {
                char key[32];
                snprintf(key, sizeof(key), "%s_bytes", explain_kind_to_string(k));
                if (json_object_set_new(kinds, key, json_integer(s->kinds_bytes[k])) < 0) {
                        json_decref(kinds);
                        return NULL;
                }
        }
        return JSON_OBJECT(
                {"window_usec", json_u64(s->window_usec)},
                {"began_usec_ago", s->has_began ? json_u64(s->began_usec_ago) : json_null()},
                {"grew_bytes", json_u64(s->grew_bytes)},
                {"rate_bytes_per_sec", json_real(s->rate_bytes_per_sec)},
                {"peak_bytes", json_u64(s->peak_bytes)}, {"kinds", kinds},
                {"grew_most",
                 s->grew_most >= 0 ? str(explain_kind_to_string(s->grew_most)) : json_null()},
                {"frees_bytes", json_u64(s->frees_bytes)},
                {"stays_bytes", json_u64(s->stays_bytes)},
                {"shmem_bytes", json_u64(s->shmem_bytes)});
}

static json_t *plot_json(const struct explain *e)
{
        json_t *points = json_array();

        for (size_t i = 0; points && i < e->n_points; i++) {
                const struct explain_point *p = &e->points[i];
                json_t *row = json_pack("[o,o,o]", json_u64(p->ago_usec),
                                        json_u64(p->footprint_bytes), json_u64(p->current_bytes));
                if (!row || json_array_append_new(points, row) < 0) {
                        json_decref(points);
                        return NULL;
                }
        }
        return JSON_OBJECT(
                {"source", str(explain_source_to_string(e->plot_source))},
                {"columns", json_pack("[s,s,s]", "ago_usec", "footprint_bytes", "current_bytes")},
                {"points", points});
}

static json_t *proc_json(const struct proc_memory *m)
{
        return JSON_OBJECT({"pid", json_integer(m->pid)}, {"comm", str(m->comm)},
                           {"rss_bytes", json_u64(proc_rss_bytes(m))},
                           {"rss_anon_bytes", json_u64(m->rss_anon_bytes)},
                           {"rss_file_bytes", json_u64(m->rss_file_bytes)},
                           {"rss_shmem_bytes", json_u64(m->rss_shmem_bytes)},
                           {"swap_bytes", json_u64(m->swap_bytes)},
                           {"pss_bytes", unknown_or(m->pss_bytes)},
                           {"uss_bytes", unknown_or(m->uss_bytes)});
}

static json_t *procs_json(const struct explain *e)
{
        const struct explain_procs *p = &e->procs;
        json_t *top = json_array();

        if (p->source == EXPLAIN_SOURCE_NONE) {
                json_decref(top);
                return json_null();
        }
        for (size_t i = 0; top && i < p->n_top; i++) {
                json_t *o = proc_json(&p->top[i]);
                if (!o || json_array_append_new(top, o) < 0) {
                        json_decref(top);
                        return NULL;
                }
        }
        return JSON_OBJECT({"source", str(explain_source_to_string(p->source))},
                           {"age_usec", json_u64(p->age_usec)}, {"count", json_u64(p->count)},
                           {"complete", json_boolean(p->complete)}, {"top", top});
}

static json_t *history_json(const struct explain *e)
{
        const struct explain_entry *p = &e->previous;

        return JSON_OBJECT({"kills_in_file", json_integer(e->kills_in_file)},
                           {"previous", e->has_previous ? JSON_OBJECT({"seq", json_u64(p->seq)},
                                                                      {"run", json_integer(p->run)},
                                                                      {"time", str(p->time)},
                                                                      {"type", str(p->type)})
                                                        : json_null()});
}

static json_t *notes_json(const struct explain *e)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < e->n_notes; i++)
                if (json_array_append_new(a, json_string(e->notes[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

json_t *explain_to_json(const struct explain *e)
{
        char headline[1024];
        bool by_cgmem = e->outcome != EXPLAIN_OOM_KILLED;

        explain_headline(e, headline, sizeof(headline));
        return JSON_OBJECT(
                {"headline", json_string(headline)}, {"event", event_json(e)},
                {"name", str(e->who.display)}, {"container", container_json(&e->who)},
                {"kubernetes", kubernetes_json(&e->who)},
                {"outcome", str(explain_outcome_to_string(e->outcome))},
                {"killer", json_string(by_cgmem ? "cgmem" : "kernel")}, {"reason", str(e->reason)},
                {"signal", str(e->signal)},
                {"latency_usec", e->has_latency ? json_u64(e->latency_usec) : json_null()},
                {"dry_run", json_boolean(e->dry_run || (!by_cgmem && e->run_dry))},
                {"error", e->outcome == EXPLAIN_KILL_FAILED
                                  ? JSON_OBJECT({"errno", json_integer(e->error_errno)},
                                                {"message", str(e->error)})
                                  : json_null()},
                {"limits", e->has_limits ? JSON_OBJECT({"max_bytes", limit(e->max_bytes)},
                                                       {"high_bytes", limit(e->high_bytes)})
                                         : json_null()},
                {"numbers", numbers_json(e)}, {"evidence", evidence_json(e)},
                {"node", node_json(e)}, {"victim", victim_json(e)}, {"story", story_json(e)},
                {"plot", plot_json(e)}, {"processes", procs_json(e)},
                {"record", JSON_OBJECT({"path", str(e->record)}, {"used", str(e->record_used)})},
                {"history", history_json(e)}, {"notes", notes_json(e)});
}
