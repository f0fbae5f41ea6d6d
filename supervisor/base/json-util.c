/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-util.h"

#include <stdbool.h>

json_t *json_object_add_members(json_t *o, const struct json_member *members, size_t n)
{
        bool ok = o != NULL;

        for (size_t i = 0; i < n; i++) {
                if (!ok || !members[i].value) {
                        json_decref(members[i].value);
                        ok = false;
                        continue;
                }
                /* Steals the value, also when it fails. */
                ok = json_object_set_new_nocheck(o, members[i].key, members[i].value) == 0;
        }
        if (ok)
                return o;
        json_decref(o);
        return NULL;
}

json_t *json_string_or_null(const char *s)
{
        return s && s[0] ? json_string(s) : json_null();
}

json_t *json_u64(uint64_t v)
{
        return v > INT64_MAX ? json_null() : json_integer((json_int_t) v);
}

json_t *json_pct(double pct)
{
        return pct < 0 ? json_null() : json_real(pct);
}

json_t *json_memcg_events(const struct memcg_events *e)
{
        return JSON_OBJECT({"low", json_u64(e->low)}, {"high", json_u64(e->high)},
                           {"max", json_u64(e->max)}, {"oom", json_u64(e->oom)},
                           {"oom_kill", json_u64(e->oom_kill)},
                           {"oom_group_kill", json_u64(e->oom_group_kill)});
}

static json_t *json_psi_line(const struct psi_line *l)
{
        return JSON_OBJECT(
                {"avg10", json_real(l->avg10 / 100.0)}, {"avg60", json_real(l->avg60 / 100.0)},
                {"avg300", json_real(l->avg300 / 100.0)}, {"total_usec", json_u64(l->total_usec)});
}

json_t *json_psi(const struct psi_stats *psi)
{
        return JSON_OBJECT({"some", json_psi_line(&psi->some)},
                           {"full", psi->has_full ? json_psi_line(&psi->full) : json_null()});
}

json_t *json_kernel_breakdown(const struct memcg_sample *s)
{
        const struct memcg_stat *st = &s->stat;

        return JSON_OBJECT(
                {"kernel", json_u64(memcg_kernel_bytes(s))}, {"slab", json_u64(st->slab)},
                {"slab_reclaimable", json_u64(st->slab_reclaimable)},
                {"slab_unreclaimable", json_u64(st->slab_unreclaimable)},
                {"sock", json_u64(st->sock)}, {"percpu", json_u64(st->percpu)},
                {"kernel_stack", json_u64(st->kernel_stack)},
                {"pagetables", json_u64(st->pagetables)}, {"vmalloc", json_u64(st->vmalloc)});
}
