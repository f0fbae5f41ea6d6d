/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Node-wide pressure, like systemd-oomd: when the root (or the configured
 * slice) has stalled on memory for long enough, one container is killed, the
 * one the documented ranking puts first (policy_rank_victims), and the kill
 * event lists the candidates it weighed with their scores, as oomctl would.
 * PSI averages lag a kill, so the pressure is not judged again for a while.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "enforce.h"
#include "json-util.h"
#include "node.h"
#include "timeutil.h"

#define CANDIDATES_SHOWN 5

static const char *slice_path(const struct agent *a)
{
        const char *s = a->config->node_slice;
        return s && s[0] == '/' ? s + 1 : "";
}

bool node_is_slice(const struct agent *a, const struct watch *w)
{
        return strcmp(w->path, slice_path(a)) == 0;
}

static bool under_slice(const char *slice, const char *path)
{
        size_t n = strlen(slice);
        return n == 0 || (strncmp(path, slice, n) == 0 && path[n] == '/');
}

static json_t *candidate_json(const struct victim_candidate *c)
{
        static const char *const marks[] = {"none", "prefer", "avoid", "protect"};
        const struct watch *w = c->id;
        char path[PATH_MAX + 2];

        return json_pack("{s:s, s:f, s:o, s:o, s:f, s:s}", "cgroup",
                         watch_display_path(w, path, sizeof(path)), "score", c->score,
                         "working_set_bytes", json_u64(c->working_set_bytes), "protected_bytes",
                         json_u64(c->protected_bytes), "rate_bytes_per_sec", c->rate_bytes_per_sec,
                         "mark", marks[c->mark]);
}

/* Gathers the containers below the slice, marks read afresh: an operator may have just set one. */
static unsigned gather(struct agent *a, struct victim_candidate *c, unsigned max)
{
        unsigned n = 0;

        for (struct watch *w = a->watches.head; w && n < max; w = w->next) {
                if (!w->is_container || w->killed || !w->sampled ||
                    !under_slice(slice_path(a), w->path))
                        continue;
                enforce_adopt_mark(a, w);
                const struct memcg_sample *s = &w->sample;
                c[n++] = (struct victim_candidate){
                        .id = w,
                        .working_set_bytes = memcg_working_set_bytes(s),
                        .protected_bytes =
                                s->min_bytes > s->low_bytes ? s->min_bytes : s->low_bytes,
                        .rate_bytes_per_sec = w->policy.rate_bytes_per_sec,
                        .mark = w->mark,
                };
        }
        return n;
}

static void kill_worst(struct agent *a, const struct watch *slice, uint64_t signal_usec)
{
        unsigned n_max = a->watches.n_containers, eligible;
        struct victim_candidate *c = calloc(n_max ? n_max : 1, sizeof(*c));

        if (!c)
                return;
        unsigned n = gather(a, c, n_max);
        policy_rank_victims(c, n, &eligible);
        if (eligible > 0) {
                json_t *list = json_array();
                for (unsigned i = 0; i < n && i < CANDIDATES_SHOWN; i++)
                        json_array_append_new(list, candidate_json(&c[i]));
                json_t *details = json_pack("{s:o, s:f, s:o}", "pressure",
                                            json_psi(&slice->sample.psi), "threshold_pct",
                                            a->config->node_pressure_full_pct, "candidates", list);
                enforce_kill(a, (struct watch *) c[0].id, "node_pressure", SIGNAL_NODE_PRESSURE,
                             signal_usec, details);
        }
        free(c);
}

void node_pressure_check(struct agent *a, struct watch *slice, uint64_t now)
{
        const struct cgmem_config *c = a->config;

        if (!c->enforce || now < a->node.hold_until_usec)
                return;
        if (memcg_sample_update(&slice->reader, slice->dirfd, MEMCG_FILE_BIT(MEMCG_FILE_PRESSURE),
                                &slice->sample, NULL) < 0)
                return;
        double full = slice->sample.psi.full.avg10 / 100.0;
        if (full < c->node_pressure_full_pct) {
                a->node.pressure_since_usec = 0;
                return;
        }
        if (!a->node.pressure_since_usec)
                a->node.pressure_since_usec = now;
        if (now - a->node.pressure_since_usec < c->node_pressure_duration_usec)
                return;
        kill_worst(a, slice, a->node.pressure_since_usec);
        a->node.pressure_since_usec = 0;
        a->node.hold_until_usec = now + c->node_post_kill_delay_usec;
}
