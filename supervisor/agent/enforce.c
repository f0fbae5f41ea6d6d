/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "enforce.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time-util.h"
#include "base/xattrs.h"
#include "cgroupfs/io.h"
#include "cgroupfs/kill.h"
#include "cgroupfs/macro.h"
#include "emit/emit.h"
#include "emit/events.h"
#include "emit/json-util.h"
#include "names/names.h"

/* How many of the policy's history points a kill event shows, newest last. */
#define EVIDENCE_POINTS 12

const char *enforce_signal_to_string(enum enforce_signal s)
{
        static const char *const names[] = {
                [SIGNAL_MEMORY_EVENTS] = "memory.events",
                [SIGNAL_PSI_TRIGGER] = "psi_trigger",
                [SIGNAL_SAMPLE] = "sample",
                [SIGNAL_DISCOVERY] = "discovery",
                [SIGNAL_NODE_PRESSURE] = "node_pressure",
                [SIGNAL_LIMITS] = "limits",
        };
        return names[s];
}

/* ---- marks: the operator's word on a container ---- */

static enum policy_mark read_mark(int dirfd)
{
        char value[16];
        ssize_t n = fgetxattr(dirfd, XATTR_POLICY, value, sizeof(value) - 1);

        if (n <= 0)
                return MARK_NONE;
        value[n] = '\0';
        return policy_mark_from_string(value);
}

/* [enforce] namespaces = NAMESPACE=MARK ...; the words were checked when the file was read. */
static enum policy_mark namespace_mark(const struct cgmem_config *c, const char *ns)
{
        size_t n = ns ? strlen(ns) : 0;

        for (char **m = c->namespace_marks; n && m && *m; m++)
                if (strncmp(*m, ns, n) == 0 && (*m)[n] == '=')
                        return policy_mark_from_string(*m + n + 1);
        return MARK_NONE;
}

/* What the runtime says: the container's (or its pod's) label, else its namespace's default. */
static enum policy_mark runtime_mark(const struct agent *a, const struct watch *w)
{
        const struct container_meta *m = names_get(a->names, w->identity.id);

        if (!m)
                return MARK_NONE;
        enum policy_mark mark = policy_mark_from_string(container_meta_label(m, LABEL_POLICY));
        return mark != MARK_NONE ? mark : namespace_mark(a->config, m->pod_namespace);
}

static bool protected_by_config(const struct agent *a, const char *path)
{
        if (!path[0] || strcmp(path, a->self_cgroup) == 0)
                return true;
        /* The agent's own cgroup and everything above it hold the agent. */
        size_t n = strlen(path);
        if (strncmp(a->self_cgroup, path, n) == 0 && a->self_cgroup[n] == '/')
                return true;
        for (char **g = a->config->protect_globs; g && *g; g++)
                if (fnmatch(*g, path, FNM_PATHNAME) == 0)
                        return true;
        return false;
}

/* The operator's word wins: configuration, then the cgroup's xattr, then the runtime's labels. */
static enum policy_mark current_mark(const struct agent *a, const struct watch *w)
{
        if (protected_by_config(a, w->path))
                return MARK_PROTECT;
        enum policy_mark mark = read_mark(w->dirfd);
        return mark != MARK_NONE ? mark : runtime_mark(a, w);
}

void enforce_adopt_mark(struct agent *a, struct watch *w)
{
        w->mark = current_mark(a, w);
}

/* ---- the band's xattrs: what a restarted agent needs to give memory.high back ---- */

static bool read_xattr_value(int dirfd, const char *name, uint64_t *ret)
{
        char value[32];
        ssize_t n = fgetxattr(dirfd, name, value, sizeof(value) - 1);

        if (n <= 0)
                return false;
        value[n] = '\0';
        return parse_single_value(value, (size_t) n, 1, ret) >= 0;
}

static void format_value(uint64_t v, char buf[static 32])
{
        if (v == CG_VALUE_MAX)
                snprintf(buf, 32, "max");
        else
                snprintf(buf, 32, "%" PRIu64, v);
}

static int write_xattr_value(int dirfd, const char *name, uint64_t v)
{
        char value[32];

        format_value(v, value);
        return fsetxattr(dirfd, name, value, strlen(value), 0) < 0 ? -errno : 0;
}

/*
 * Before cgmem changes memory.high: its owner's value and cgmem's, on the cgroup,
 * so that an agent restarted after a crash gives the owner's value back. Said
 * once if the cgroup cannot hold them (user xattrs on cgroupfs are 5.7+).
 */
static void save_band(struct agent *a, struct watch *w, uint64_t owner, uint64_t band)
{
        int r = write_xattr_value(w->dirfd, XATTR_ORIGINAL_HIGH, owner);
        if (r >= 0)
                r = write_xattr_value(w->dirfd, XATTR_BAND_HIGH, band);
        if (r < 0 && !errno_is_gone(r) && !a->xattr_warned) {
                log_warning("cannot keep the original memory.high of /%s in its xattrs: %s; an "
                            "agent restarted after a crash cannot give it back",
                            w->path, strerror(-r));
                a->xattr_warned = true;
        }
}

static void drop_band(struct watch *w)
{
        fremovexattr(w->dirfd, XATTR_ORIGINAL_HIGH);
        fremovexattr(w->dirfd, XATTR_BAND_HIGH);
}

static json_t *adopted_event(const struct watch *w, uint64_t owner)
{
        char path[PATH_MAX + 2];
        return JSON_OBJECT({"type", json_string("adopted")},
                           {"cgroup", json_string(watch_display_path(w, path, sizeof(path)))},
                           {"high_bytes", json_u64(w->sample.high_bytes)},
                           {"original_high_bytes", json_u64(owner)},
                           {"phase", json_string("guarded")});
}

/*
 * A previous agent placed a band (its xattrs say so): take it over if memory.high
 * is still what that agent wrote; if the owner changed it since, it is theirs.
 * Xattrs from before cgmem kept the band's value name no band: memory.high below
 * the owner's is then taken as cgmem's.
 */
void enforce_adopt(struct agent *a, struct watch *w)
{
        uint64_t owner, band;

        enforce_adopt_mark(a, w);
        if (!read_xattr_value(w->dirfd, XATTR_ORIGINAL_HIGH, &owner))
                return;
        if (!read_xattr_value(w->dirfd, XATTR_BAND_HIGH, &band))
                band = w->sample.high_bytes < owner ? w->sample.high_bytes : CG_VALUE_MAX - 1;
        if (w->sample.high_bytes != band) {
                drop_band(w);
                return;
        }
        policy_adopt_band(&w->policy, owner, band, w->sample.max_bytes);
        w->high_written_bytes = band;
        emitter_emit(a->emitter, adopted_event(w, owner));
}

/* ---- writing memory.high ---- */

static int read_high(struct watch *w, uint64_t *ret)
{
        struct read_buf buf = {0};
        int r = cg_read_at(w->dirfd, "memory.high", &buf);

        if (r >= 0)
                r = parse_single_value(buf.data, buf.len, 1, ret);
        read_buf_free(&buf);
        return r;
}

/*
 * Writes memory.high, unless it changed since the decision: an owner's write that
 * landed in between must not be overwritten (-EAGAIN; its notification brings a
 * new decision). O_NONBLOCK asks newer kernels not to reclaim in the writer.
 */
static int write_high(struct watch *w, uint64_t high, uint64_t expect)
{
        char value[32];
        uint64_t now;

        int r = read_high(w, &now);
        if (r < 0)
                return r;
        if (now != expect)
                return -EAGAIN;
        format_value(high, value);
        _cleanup_close_ int fd = cg_open(w->dirfd, "memory.high", O_WRONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        ssize_t n = write(fd, value, strlen(value));
        if (n < 0 && errno != EAGAIN)
                return -errno;
        w->sample.high_bytes = high;
        w->high_written_bytes = high;
        return 0;
}

/* ---- events ---- */

static json_t *decision_numbers(const struct watch *w, const struct policy_decision *d)
{
        const struct memcg_sample *s = &w->sample;

        return JSON_OBJECT({"working_set_bytes", json_u64(memcg_working_set_bytes(s))},
                           {"unreclaimable_bytes", json_u64(memcg_unreclaimable_bytes(s))},
                           {"swap_bytes", json_u64(s->swap_current_bytes)},
                           {"max_bytes", json_u64(s->max_bytes)},
                           {"high_bytes", json_u64(s->high_bytes)},
                           {"rate_bytes_per_sec", json_real(d->rate_bytes_per_sec)},
                           {"eta_usec", d->eta_usec < 0 ? json_null() : json_integer(d->eta_usec)},
                           {"events", json_memcg_events(&s->events)}, {"psi", json_psi(&s->psi)});
}

static json_t *action_event(const char *type, const struct watch *w, enum policy_reason reason,
                            enum enforce_signal signal, uint64_t latency_usec,
                            const struct policy_decision *d)
{
        char path[PATH_MAX + 2];
        json_t *e = JSON_OBJECT({"type", json_string(type)},
                                {"cgroup", json_string(watch_display_path(w, path, sizeof(path)))});

        event_add_identity(e, w, false);
        return json_object_add_members(
                e, JSON_MEMBERS({"reason", json_string(policy_reason_to_string(reason))},
                                {"signal", json_string(enforce_signal_to_string(signal))},
                                {"latency_usec", json_integer((json_int_t) latency_usec)},
                                {"numbers", decision_numbers(w, d)}));
}

static void emit_decision(struct agent *a, const struct watch *w, enum policy_action action,
                          enum policy_reason reason, enum enforce_signal signal,
                          uint64_t signal_usec, const struct policy_decision *d)
{
        json_t *e = action_event("decision", w, reason, signal, now_usec() - signal_usec, d);
        emitter_emit(
                a->emitter,
                json_object_add_members(
                        e, JSON_MEMBERS({"action", json_string(policy_action_to_string(action))},
                                        {"dry_run", json_boolean(a->config->dry_run)})));
}

static void emit_high_change(struct agent *a, struct watch *w, const struct policy_decision *d,
                             enum enforce_signal signal, uint64_t latency_usec, uint64_t before,
                             int r)
{
        const char *type = policy_action_to_string(d->action);
        json_t *e =
                action_event(r < 0 ? "action_failed" : type, w, d->reason, signal, latency_usec, d);

        e = json_object_add_members(
                e, JSON_MEMBERS({"high_before_bytes", json_u64(before)},
                                {"high_after_bytes", json_u64(d->high_bytes)},
                                {"original_high_bytes", json_u64(w->policy.owner_high_bytes)}));
        if (r < 0)
                e = json_object_add_members(e, JSON_MEMBERS({"action", json_string(type)},
                                                            {"errno", json_integer(-r)},
                                                            {"error", json_string(strerror(-r))}));
        emitter_emit(a->emitter, e);
}

static void emit_yield(struct agent *a, const struct watch *w, const struct policy_decision *d)
{
        char path[PATH_MAX + 2];
        json_t *e = JSON_OBJECT({"type", json_string("yield")},
                                {"cgroup", json_string(watch_display_path(w, path, sizeof(path)))});

        event_add_identity(e, w, false);
        emitter_emit(
                a->emitter,
                json_object_add_members(
                        e, JSON_MEMBERS({"reason", json_string(policy_reason_to_string(d->reason))},
                                        {"high_bytes", json_u64(d->high_bytes)},
                                        {"max_bytes", json_u64(w->sample.max_bytes)})));
}

/* ---- acting on a decision ---- */

static void change_high(struct agent *a, struct watch *w, const struct policy_decision *d,
                        enum enforce_signal signal, uint64_t signal_usec)
{
        uint64_t before = w->sample.high_bytes;

        if (a->config->dry_run) {
                emit_decision(a, w, d->action, d->reason, signal, signal_usec, d);
                return;
        }
        if (d->action == ACTION_GUARD)
                save_band(a, w, w->policy.owner_high_bytes, d->high_bytes);
        int r = write_high(w, d->high_bytes, d->expect_high_bytes);
        uint64_t latency = now_usec() - signal_usec;
        if (r == -EAGAIN || errno_is_gone(r)) {
                /* The owner wrote in between (its notification decides again), or it is gone. */
                w->policy.owns_high = false;
                return;
        }
        if (r < 0 && d->action == ACTION_GUARD)
                policy_guard_failed(&w->policy);
        if (d->action == ACTION_RELEASE && !w->policy.owns_high)
                drop_band(w);
        emit_high_change(a, w, d, signal, latency, before, r);
}

/*
 * After a kill, and on a clean exit: the owner's memory.high, unless the owner
 * wrote one since. A service restarted in the same cgroup starts afresh.
 */
static void give_back_high(struct watch *w)
{
        if (w->policy.owns_high &&
            write_high(w, w->policy.owner_high_bytes, w->policy.band_high_bytes) >= 0)
                drop_band(w);
        w->policy = (struct policy_state){0};
}

/* The situation may have changed since the decision: look again right before killing. */
static bool still_worth_killing(struct watch *w, enum policy_reason reason)
{
        if (memcg_sample_update(&w->reader, w->dirfd, w->agent->hot_files, &w->sample, NULL) < 0)
                return false;
        if (reason == REASON_NODE_PRESSURE || w->sample.max_bytes == CG_VALUE_MAX)
                return true;
        return memcg_unreclaimable_bytes(&w->sample) * 2 >= w->sample.max_bytes;
}

static int kill_cgroup(struct watch *w)
{
        int r = cg_kill(w->dirfd);
        if (r == -ENOENT && cg_alive(w->dirfd))
                r = cg_kill_by_freezing(w->dirfd); /* before 5.14: no cgroup.kill */
        return r;
}

static json_t *point_json(const struct policy_point *p, uint64_t now)
{
        return JSON_OBJECT({"ago_usec", json_integer((json_int_t) (now - p->usec))},
                           {"footprint_bytes", json_u64(p->footprint_bytes)},
                           {"current_bytes", json_u64(p->current_bytes)},
                           {"high_events", json_u64(p->high_events)},
                           {"max_events", json_u64(p->max_events)},
                           {"psi_full_total_usec", json_u64(p->psi_full_total_usec)},
                           {"refaults", json_u64(p->refaults)});
}

/* What a verdict rested on: its figures, and the last seconds of samples, oldest first. */
static json_t *evidence_json(const struct policy_state *s, const struct policy_evidence *e,
                             uint64_t now)
{
        json_t *points = json_array();

        for (unsigned n = EVIDENCE_POINTS; n-- > 0;) {
                const struct policy_point *p = policy_history_at(s, n);
                if (p)
                        json_array_append_new(points, point_json(p, now));
        }
        return JSON_OBJECT(
                {"footprint_bytes", json_u64(e->footprint_bytes)},
                {"capacity_bytes", json_u64(e->capacity_bytes)},
                {"margin_bytes", json_u64(e->margin_bytes)},
                {"window_usec", json_u64(e->window_usec)},
                {"grown_bytes", json_u64(e->grown_bytes)},
                {"high_events", json_u64(e->high_events)}, {"max_events", json_u64(e->max_events)},
                {"refaults", json_u64(e->refaults)},
                {"psi_full_pct", json_real(e->psi_full_permyriad / 100.0)}, {"samples", points});
}

static json_t *kill_event(struct watch *w, const struct kill_request *k,
                          const struct policy_state *verdict_state, uint64_t latency, int r)
{
        struct policy_decision none = {.rate_bytes_per_sec = w->policy.rate_bytes_per_sec,
                                       .eta_usec = -1};
        const struct policy_decision *d = k->decision ? k->decision : &none;
        json_t *e =
                action_event(r < 0 ? "kill_failed" : "kill", w, k->reason, k->signal, latency, d);

        if (r < 0)
                e = json_object_add_members(e, JSON_MEMBERS({"errno", json_integer(-r)},
                                                            {"error", json_string(strerror(-r))}));
        json_t *details = k->details ? k->details(k->details_ctx) : json_object();
        if (k->decision && details)
                json_object_set_new(details, "evidence",
                                    evidence_json(verdict_state, &k->decision->evidence,
                                                  verdict_state->last_usec));
        return json_object_add_members(e, JSON_MEMBERS({"details", details}));
}

void enforce_kill(struct agent *a, struct watch *w, const struct kill_request *k)
{
        if (w->killed || !still_worth_killing(w, k->reason))
                return;
        if (a->config->dry_run || !a->config->enforce_kill) {
                struct policy_decision none = {.rate_bytes_per_sec = w->policy.rate_bytes_per_sec,
                                               .eta_usec = -1};
                emit_decision(a, w, ACTION_KILL, k->reason, k->signal, k->signal_usec,
                              k->decision ? k->decision : &none);
                return;
        }
        /* The kill first; the event, with its names and numbers, after. */
        int r = kill_cgroup(w);
        uint64_t latency = now_usec() - k->signal_usec;
        if (errno_is_gone(r))
                return;
        struct policy_state verdict_state = w->policy;
        if (r >= 0) {
                give_back_high(w);
                w->killed = true;
        }
        emitter_emit(a->emitter, kill_event(w, k, &verdict_state, latency, r));
        /*
         * Only now, so latency_usec ends at the kill: freeing a dying process's memory
         * in the agent (process_mrelease) takes as long as the memory is large.
         */
        if (r >= 0)
                cg_mrelease_procs(w->dirfd);
}

/*
 * A killed cgroup is judged again only once it emptied and then filled anew, as
 * a service restarted in its own cgroup does; until then its samples are the
 * dying container's.
 */
static bool killed_cgroup_reused(struct watch *w)
{
        bool small = memcg_unreclaimable_bytes(&w->sample) * 10 < w->sample.max_bytes;

        if (small)
                w->emptied_after_kill = true;
        else if (w->emptied_after_kill)
                w->killed = w->emptied_after_kill = false;
        return !w->killed;
}

/* The swap a container may still fill: memory.swap.max, within what the node has free. */
static uint64_t swap_limit(const struct agent *a, const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_SWAP))
                return 0;
        uint64_t node = s->swap_current_bytes + a->node_memory.info.swap_free;
        return s->swap_max_bytes < node ? s->swap_max_bytes : node;
}

static struct policy_input policy_input_of(const struct agent *a, const struct watch *w,
                                           uint64_t now)
{
        const struct memcg_sample *s = &w->sample;

        return (struct policy_input){
                .now_usec = now,
                .current_bytes = s->current_bytes,
                .unreclaimable_bytes = memcg_unreclaimable_bytes(s),
                .swap_bytes = s->swap_current_bytes,
                .swap_limit_bytes = swap_limit(a, s),
                .max_bytes = s->max_bytes,
                .high_bytes = s->high_bytes,
                .high_events = s->events.high,
                .max_events = s->events.max,
                .psi_full_total_usec = s->psi.has_full ? s->psi.full.total_usec : 0,
                .refaults = s->stat.workingset_refault_anon + s->stat.workingset_refault_file,
                .limits_written_usec = w->limits_written_usec,
                .mark = w->mark,
        };
}

static int on_recheck(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct watch *w = userdata;

        (void) source;
        (void) usec;
        if (memcg_sample_update(&w->reader, w->dirfd, w->agent->hot_files | LIMIT_FILES, &w->sample,
                                NULL) >= 0)
                enforce_evaluate(w->agent, w, SIGNAL_LIMITS, now_usec());
        return 0;
}

/* The policy asked to be called again (a limit settling): one timer per container, reused. */
static void arm_recheck(struct agent *a, struct watch *w, uint64_t at)
{
        if (w->recheck_source) {
                sd_event_source_set_time(w->recheck_source, at);
                sd_event_source_set_enabled(w->recheck_source, SD_EVENT_ONESHOT);
                return;
        }
        if (sd_event_add_time(a->loop, &w->recheck_source, CLOCK_MONOTONIC, at, 1000, on_recheck,
                              w) < 0)
                log_warning("cannot arm a timer for /%s: its limits are judged at the next round",
                            w->path);
}

void enforce_evaluate(struct agent *a, struct watch *w, enum enforce_signal signal,
                      uint64_t signal_usec)
{
        struct policy_decision d;
        struct policy_state next;

        /* --once only looks: it would leave guard bands behind with nobody to lift them. */
        if (!a->config->enforce || a->once || !w->is_container || !w->sampled)
                return;
        if (w->killed && !killed_cgroup_reused(w))
                return;
        struct policy_input in = policy_input_of(a, w, now_usec());
        policy_evaluate(&a->policy, &w->policy, &in, &next, &d);
        w->policy = next;
        if (d.recheck_usec)
                arm_recheck(a, w, d.recheck_usec);
        switch (d.action) {
        case ACTION_KILL:
                enforce_kill(a, w,
                             &(struct kill_request){.reason = d.reason,
                                                    .signal = signal,
                                                    .signal_usec = signal_usec,
                                                    .decision = &d});
                break;
        case ACTION_GUARD:
        case ACTION_RELEASE:
                change_high(a, w, &d, signal, signal_usec);
                break;
        case ACTION_YIELD:
                drop_band(w);
                emit_yield(a, w, &d);
                break;
        case ACTION_NONE:
        case _ACTION_MAX:
                break;
        }
}

/*
 * A limit file was written. Its owner's writes (not cgmem's own memory.high)
 * start the settling time in which cgmem leaves the limits alone.
 */
void enforce_limits_written(struct agent *a, struct watch *w, const struct memcg_sample *before)
{
        const struct memcg_sample *s = &w->sample;
        bool theirs =
                s->max_bytes != before->max_bytes || s->min_bytes != before->min_bytes ||
                s->low_bytes != before->low_bytes || s->swap_max_bytes != before->swap_max_bytes ||
                (s->high_bytes != before->high_bytes && s->high_bytes != w->high_written_bytes);

        if (theirs)
                w->limits_written_usec = now_usec();
        enforce_evaluate(a, w, SIGNAL_LIMITS, now_usec());
}

void enforce_restore_all(struct agent *a)
{
        if (a->config->dry_run)
                return;
        for (struct watch *w = a->watches.head; w; w = w->next)
                if (w->is_container)
                        give_back_high(w);
}

void enforce_policy_config(const struct cgmem_config *c, struct policy_config *ret)
{
        policy_config_defaults(ret);
        ret->guard_fraction = c->guard_fraction;
        ret->limit_margin_fraction = c->limit_margin_fraction;
        ret->settle_usec = c->settle_usec;
        ret->release_page_cache = c->release_page_cache;
        ret->stall_after_usec = c->stuck_after_usec;
        ret->stall_full_permyriad = (uint32_t) (c->stuck_psi_full_pct * 100.0);
        ret->stuck_kills = c->stuck_kill;
}

void enforce_read_self_cgroup(char *buf, size_t size)
{
        char line[4096];
        FILE *f = fopen("/proc/self/cgroup", "re");

        buf[0] = '\0';
        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::/", 4) == 0) {
                        snprintf(buf, size, "%.*s", (int) strcspn(line + 4, "\n"), line + 4);
                        break;
                }
        fclose(f);
}
