/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgmem explain, first step: one pass over an events file (deploy/EVENTS.md),
 * fed a line at a time, that keeps what choosing a kill needs and nothing of
 * the rest: every kill-like event (kill, kill_failed, a kill decision,
 * oom_kill) with its run, seq and line; per cgroup, the names and limits the
 * stream told, its kill count and the text of its last kill; the line of the
 * event whose seq was asked for; and the lines that were not events. An
 * appended file holds several agent runs: a `started` event begins the next.
 * Pure: the caller reads the file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap;

#define EXPLAIN_TIME_MAX  40
#define EXPLAIN_TYPE_MAX  24
#define EXPLAIN_BAD_LINES 8 /* line numbers kept for the note */

/* Who a cgroup is, as the events named it (latest non-null value of each). */
struct explain_names {
        char *runtime, *id, *name, *image, *unit;
        char *namespace, *pod, *pod_uid, *qos, *container;
};

/* One kill-like event of the file. */
struct explain_entry {
        uint64_t seq;
        unsigned run;   /* 1 for the first run in the file */
        size_t line_no; /* 1-based */
        char time[EXPLAIN_TIME_MAX];
        char type[EXPLAIN_TYPE_MAX];
        char reason[EXPLAIN_TYPE_MAX]; /* "" for oom_kill */
        bool truncated;                /* cut to its envelope: nothing to explain */
        bool run_dry;                  /* its run was --dry-run */
        bool have_limits;              /* the container's limits as told before it */
        uint64_t max_bytes, high_bytes;
        struct explain_target *target; /* NULL when truncated */
};

/* A cgroup the events name. */
struct explain_target {
        char *cgroup;
        struct explain_names names;
        uint64_t max_bytes, high_bytes; /* the limits last told (CG_VALUE_MAX: max) */
        bool have_limits;
        unsigned n_kills;
        size_t last;     /* index of its last kill in explain_scan.entries */
        char *last_line; /* the text of its last kill */
};

struct explain_scan {
        uint64_t want_seq; /* set before the first line; 0: none */

        struct explain_entry *entries;
        size_t n_entries, allocated;
        struct explain_target **targets; /* in the order first seen */
        size_t n_targets, targets_allocated;
        struct hashmap *by_cgroup;

        unsigned run;
        bool run_dry;
        size_t n_lines, n_malformed;
        size_t bad_lines[EXPLAIN_BAD_LINES];
        size_t n_truncated_kills;

        /* The last event with want_seq, of any type. */
        char *seq_line;
        char seq_type[EXPLAIN_TYPE_MAX];
        unsigned seq_run;
        size_t seq_line_no;
        bool seq_truncated;
};

int explain_scan_init(struct explain_scan *s, uint64_t want_seq);
void explain_scan_done(struct explain_scan *s);

/* Takes one line (without its newline). -ENOMEM only: a bad line is counted, not an error. */
int explain_scan_line(struct explain_scan *s, const char *line, size_t len);

/* The event types explain takes. */
bool explain_is_kill_type(const char *type);

/*
 * Choosing a target for a CONTAINER argument. The levels are tried in order and
 * the first that names any cgroup decides (a looser level never overrides it):
 *   1. the cgroup path, exactly ("/a/b" or "a/b");
 *   2. a container id prefix of at least 4 hex digits;
 *   3. the container name, the systemd unit, "namespace/pod" or
 *      "namespace/pod/container";
 *   4. a suffix of the path that starts a component ("ssh.service");
 *   5. a substring of the path or the name, ignoring case.
 * Within a level several cgroups are ambiguous, except for a pod ("namespace/pod"),
 * whose containers are one target: its last kill is taken.
 */
enum explain_match {
        EXPLAIN_MATCH_ONE,       /* *ret is the target to explain */
        EXPLAIN_MATCH_NONE,      /* nothing in the file is called that */
        EXPLAIN_MATCH_NO_KILL,   /* *ret is named so, but was never killed */
        EXPLAIN_MATCH_AMBIGUOUS, /* candidates[0..n) */
};

#define EXPLAIN_CANDIDATES_SHOWN 16

struct explain_match_result {
        enum explain_match match;
        struct explain_target *target;
        struct explain_target *candidates[EXPLAIN_CANDIDATES_SHOWN];
        size_t n_candidates; /* shown; n_matched may be more */
        size_t n_matched;
};

void explain_match(const struct explain_scan *s, const char *arg, struct explain_match_result *ret);

/* The last kill of the file that is not truncated, or NULL. */
const struct explain_entry *explain_last_kill(const struct explain_scan *s);

/* The kill on line line_no, or NULL. */
const struct explain_entry *explain_entry_at(const struct explain_scan *s, size_t line_no);

/* A short name for a target: its name, else the short id or unit, else the path's last part. */
void explain_target_display(const struct explain_target *t, char *buf, size_t size);
