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
#include "cgroupfs/io.h"
#include "cgroupfs/meminfo.h"
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
        const struct watch *w = c->id;
        char path[PATH_MAX + 2];

        return JSON_OBJECT({"cgroup", json_string(watch_display_path(w, path, sizeof(path)))},
                           {"score", json_real(c->score)},
                           {"working_set_bytes", json_u64(c->working_set_bytes)},
                           {"protected_bytes", json_u64(c->protected_bytes)},
                           {"rate_bytes_per_sec", json_real(c->rate_bytes_per_sec)},
                           {"mark", json_string(policy_mark_to_string(c->mark))});
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

struct ranking {
        const struct watch *slice;
        double threshold_pct;
        const struct victim_candidate *candidates;
        unsigned n;
};

/* The kill event's details: the pressure that led to it and the candidates weighed. */
static json_t *ranking_json(const void *ctx)
{
        const struct ranking *r = ctx;
        json_t *list = json_array();

        for (unsigned i = 0; i < r->n && i < CANDIDATES_SHOWN; i++)
                json_array_append_new(list, candidate_json(&r->candidates[i]));
        return JSON_OBJECT({"pressure", json_psi(&r->slice->sample.psi)},
                           {"threshold_pct", json_real(r->threshold_pct)}, {"candidates", list});
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
                struct ranking r = {slice, a->config->node_pressure_full_pct, c, n};
                enforce_kill(a, (struct watch *) c[0].id,
                             &(struct kill_request){.reason = REASON_NODE_PRESSURE,
                                                    .signal = SIGNAL_NODE_PRESSURE,
                                                    .signal_usec = signal_usec,
                                                    .details = ranking_json,
                                                    .details_ctx = &r});
        }
        free(c);
}

void node_memory_update(struct agent *a)
{
        struct read_buf *buf = &a->node_memory.buf;

        if (a->node_memory.fd < 0)
                return;
        int r = cg_pread_all(a->node_memory.fd, buf);
        if (r >= 0)
                r = parse_meminfo(buf->data, buf->len, &a->node_memory.info);
        a->node_memory.valid = r >= 0;
        a->hot_files = HOT_FILES;
        if (a->node_memory.valid && a->node_memory.info.swap_total > 0)
                a->hot_files |= MEMCG_FILE_BIT(MEMCG_FILE_SWAP_CURRENT);
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
