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

#include "cgroupfs/io.h"
#include "cgroupfs/kill.h"
#include "cgroupfs/macro.h"
#include "emit.h"
#include "events.h"
#include "json-util.h"
#include "log.h"
#include "names.h"
#include "timeutil.h"
#include "xattrs.h"

const char *enforce_signal_to_string(enum enforce_signal s)
{
        static const char *const names[] = {
                [SIGNAL_MEMORY_EVENTS] = "memory.events",
                [SIGNAL_PSI_TRIGGER] = "psi_trigger",
                [SIGNAL_SAMPLE] = "sample",
                [SIGNAL_DISCOVERY] = "discovery",
                [SIGNAL_NODE_PRESSURE] = "node_pressure",
        };
        return names[s];
}

static enum policy_mark mark_from_word(const char *word)
{
        if (!word)
                return MARK_NONE;
        if (strcmp(word, "prefer") == 0)
                return MARK_PREFER;
        if (strcmp(word, "avoid") == 0)
                return MARK_AVOID;
        return strcmp(word, "protect") == 0 ? MARK_PROTECT : MARK_NONE;
}

static enum policy_mark read_mark(int dirfd)
{
        char value[16];
        ssize_t n = fgetxattr(dirfd, XATTR_POLICY, value, sizeof(value) - 1);

        if (n <= 0)
                return MARK_NONE;
        value[n] = '\0';
        return mark_from_word(value);
}

/* [enforce] namespaces = NAMESPACE=MARK ...; the words were checked when the file was read. */
static enum policy_mark namespace_mark(const struct cgmem_config *c, const char *ns)
{
        size_t n = ns ? strlen(ns) : 0;

        for (char **m = c->namespace_marks; n && m && *m; m++)
                if (strncmp(*m, ns, n) == 0 && (*m)[n] == '=')
                        return mark_from_word(*m + n + 1);
        return MARK_NONE;
}

/* What the runtime says: the container's (or its pod's) label, else its namespace's default. */
static enum policy_mark runtime_mark(const struct agent *a, const struct watch *w)
{
        const struct container_meta *m = names_get(a->names, w->identity.id);

        if (!m)
                return MARK_NONE;
        enum policy_mark mark = mark_from_word(container_meta_label(m, LABEL_POLICY));
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

static uint64_t read_original_high(int dirfd, bool *ret_found)
{
        char value[32];
        ssize_t n = fgetxattr(dirfd, XATTR_ORIGINAL_HIGH, value, sizeof(value) - 1);
        uint64_t v = CG_VALUE_MAX;

        *ret_found = n > 0;
        if (n <= 0)
                return v;
        value[n] = '\0';
        if (parse_single_value(value, (size_t) n, 1, &v) < 0)
                *ret_found = false;
        return v;
}

static json_t *high_json(uint64_t v)
{
        return json_u64(v);
}

void enforce_adopt_mark(struct agent *a, struct watch *w)
{
        w->mark = current_mark(a, w);
}

void enforce_adopt(struct agent *a, struct watch *w)
{
        bool found;

        enforce_adopt_mark(a, w);
        uint64_t original = read_original_high(w->dirfd, &found);
        if (!found)
                return;
        /* A previous agent changed memory.high: take over from where it left off. */
        struct policy_state *s = &w->policy;
        uint64_t guard = policy_guard_high(&a->policy, w->sample.max_bytes);
        s->guarded = true;
        s->guard_high_bytes = guard;
        s->original_high_bytes = original;
        s->guard_max_bytes = w->sample.max_bytes;
        if (w->sample.high_bytes < guard) {
                s->phase = PHASE_THROTTLED;
                s->phase_since_usec = now_usec();
                s->pre_throttle_high_bytes = guard;
        }
        char path[PATH_MAX + 2];
        emitter_emit(a->emitter, json_pack("{s:s, s:s, s:o, s:o, s:s}", "type", "adopted", "cgroup",
                                           watch_display_path(w, path, sizeof(path)), "high_bytes",
                                           high_json(w->sample.high_bytes), "original_high_bytes",
                                           high_json(original), "phase",
                                           s->phase == PHASE_THROTTLED ? "throttled" : "guarded"));
}

static void format_value(uint64_t v, char buf[static 32])
{
        if (v == CG_VALUE_MAX)
                snprintf(buf, 32, "max");
        else
                snprintf(buf, 32, "%" PRIu64, v);
}

/* Writes memory.high; O_NONBLOCK asks newer kernels not to reclaim in the writer. */
static int write_high(struct watch *w, uint64_t high)
{
        char value[32];

        format_value(high, value);
        _cleanup_close_ int fd = cg_open(w->dirfd, "memory.high", O_WRONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        if (n < 0 && errno != EAGAIN)
                return -errno;
        w->sample.high_bytes = high;
        return 0;
}

/* Remembers the original memory.high on the cgroup before the first change. */
static void remember_original(struct watch *w, uint64_t original)
{
        char value[32];
        bool found;

        read_original_high(w->dirfd, &found);
        if (found)
                return;
        format_value(original, value);
        fsetxattr(w->dirfd, XATTR_ORIGINAL_HIGH, value, strlen(value), 0);
}

static json_t *decision_numbers(const struct watch *w, const struct policy_decision *d)
{
        const struct memcg_sample *s = &w->sample;

        return json_pack("{s:o, s:o, s:o, s:f, s:o, s:o, s:o}", "working_set_bytes",
                         json_u64(memcg_working_set_bytes(s)), "max_bytes", json_u64(s->max_bytes),
                         "high_bytes", json_u64(s->high_bytes), "rate_bytes_per_sec",
                         d->rate_bytes_per_sec, "eta_usec",
                         d->eta_usec < 0 ? json_null() : json_integer(d->eta_usec), "events",
                         json_memcg_events(&s->events), "psi", json_psi(&s->psi));
}

static json_t *action_event(const char *type, const struct watch *w, const char *reason,
                            enum enforce_signal signal, uint64_t signal_usec,
                            const struct policy_decision *d)
{
        char path[PATH_MAX + 2];
        json_t *e = json_pack("{s:s, s:s}", "type", type, "cgroup",
                              watch_display_path(w, path, sizeof(path)));

        event_add_identity(e, w, false);
        json_t *fields = json_pack("{s:s, s:s, s:I, s:o}", "reason", reason, "signal",
                                   enforce_signal_to_string(signal), "latency_usec",
                                   (json_int_t) (now_usec() - signal_usec), "numbers",
                                   decision_numbers(w, d));
        if (!e || !fields || json_object_update(e, fields) < 0) {
                json_decref(e);
                e = NULL;
        }
        json_decref(fields);
        return e;
}

static void emit_decision(struct agent *a, const struct watch *w, enum policy_action action,
                          const char *reason, enum enforce_signal signal, uint64_t signal_usec,
                          const struct policy_decision *d)
{
        json_t *e = action_event("decision", w, reason, signal, signal_usec, d);
        json_object_set_new(e, "action", json_string(policy_action_to_string(action)));
        json_object_set_new(e, "dry_run", json_boolean(a->config->dry_run));
        emitter_emit(a->emitter, e);
}

static void set_high(struct agent *a, struct watch *w, const struct policy_decision *d,
                     enum enforce_signal signal, uint64_t signal_usec)
{
        const char *type = policy_action_to_string(d->action);
        const char *reason = policy_reason_to_string(d->reason);
        uint64_t before = w->sample.high_bytes;

        if (a->config->dry_run) {
                emit_decision(a, w, d->action, reason, signal, signal_usec, d);
                return;
        }
        remember_original(w, w->policy.original_high_bytes);
        int r = write_high(w, d->high_bytes);
        if (errno_is_gone(r))
                return;
        json_t *e = action_event(r < 0 ? "action_failed" : type, w, reason, signal, signal_usec, d);
        json_object_set_new(e, "high_before_bytes", json_u64(before));
        json_object_set_new(e, "high_after_bytes", json_u64(d->high_bytes));
        json_object_set_new(e, "original_high_bytes", json_u64(w->policy.original_high_bytes));
        if (r < 0) {
                json_object_set_new(e, "action", json_string(type));
                json_object_set_new(e, "errno", json_integer(-r));
                json_object_set_new(e, "error", json_string(strerror(-r)));
        }
        emitter_emit(a->emitter, e);
}

/*
 * After a kill or on a clean exit: the memory.high the cgroup had before cgmem.
 * A service restarted in the same cgroup starts afresh, not throttled.
 */
static void give_back_high(struct watch *w)
{
        bool found;
        uint64_t original = read_original_high(w->dirfd, &found);

        if (found && write_high(w, original) >= 0)
                fremovexattr(w->dirfd, XATTR_ORIGINAL_HIGH);
        w->policy = (struct policy_state){0};
}

/* The situation may have changed since the decision: look again right before killing. */
static bool still_worth_killing(struct watch *w, const char *reason)
{
        if (memcg_sample_update(&w->reader, w->dirfd, HOT_FILES, &w->sample, NULL) < 0)
                return false;
        if (strcmp(reason, "node_pressure") == 0 || w->sample.max_bytes == CG_VALUE_MAX)
                return true;
        return memcg_working_set_bytes(&w->sample) * 2 >= w->sample.max_bytes;
}

static int kill_cgroup(struct watch *w)
{
        int r = cg_kill(w->dirfd);
        if (r == -ENOENT && cg_alive(w->dirfd))
                r = cg_kill_by_freezing(w->dirfd); /* before 5.14: no cgroup.kill */
        return r;
}

void enforce_kill(struct agent *a, struct watch *w, const char *reason, enum enforce_signal signal,
                  uint64_t signal_usec, json_t *details)
{
        struct policy_decision d = {.rate_bytes_per_sec = w->policy.rate_bytes_per_sec,
                                    .eta_usec = -1};

        if (w->killed || !still_worth_killing(w, reason)) {
                json_decref(details);
                return;
        }
        if (a->config->dry_run || !a->config->enforce_kill) {
                emit_decision(a, w, ACTION_KILL, reason, signal, signal_usec, &d);
                json_decref(details);
                return;
        }
        int r = kill_cgroup(w);
        if (errno_is_gone(r)) {
                json_decref(details);
                return;
        }
        json_t *e =
                action_event(r < 0 ? "kill_failed" : "kill", w, reason, signal, signal_usec, &d);
        if (r < 0) {
                json_object_set_new(e, "errno", json_integer(-r));
                json_object_set_new(e, "error", json_string(strerror(-r)));
        } else {
                give_back_high(w);
                w->killed = true;
        }
        if (details)
                json_object_set_new(e, "details", details);
        emitter_emit(a->emitter, e);
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
        bool small = memcg_working_set_bytes(&w->sample) * 10 < w->sample.max_bytes;

        if (small)
                w->emptied_after_kill = true;
        else if (w->emptied_after_kill)
                w->killed = w->emptied_after_kill = false;
        return !w->killed;
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
        struct policy_input in = {
                .now_usec = now_usec(),
                .working_set_bytes = memcg_working_set_bytes(&w->sample),
                .max_bytes = w->sample.max_bytes,
                .high_bytes = w->sample.high_bytes,
                .high_events = w->sample.events.high,
                .psi_full_avg10 = w->sample.psi.full.avg10,
                .mark = w->mark,
        };
        policy_evaluate(&a->policy, &w->policy, &in, &next, &d);
        w->policy = next;
        if (d.action == ACTION_KILL) {
                json_t *details = json_pack("{s:o}", "decision", decision_numbers(w, &d));
                enforce_kill(a, w, policy_reason_to_string(d.reason), signal, signal_usec, details);
        } else if (d.action != ACTION_NONE) {
                set_high(a, w, &d, signal, signal_usec);
        }
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
        ret->runaway_bytes_per_sec = (uint64_t) c->runaway_mib_per_sec << 20;
        ret->leak_floor_fraction = c->leak_floor_fraction;
        ret->leak_horizon_usec = c->leak_horizon_usec;
        ret->leak_kill_after_usec = c->leak_kill_after_usec;
        ret->release_after_usec = c->release_after_usec;
        ret->stuck_after_usec = c->stuck_after_usec;
        ret->stuck_full_avg10 = (uint32_t) (c->stuck_psi_full_pct * 100.0);
        ret->stuck_kills = c->stuck_kill;
        ret->cooldown_usec = c->cooldown_usec;
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
