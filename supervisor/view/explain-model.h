/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgmem explain, second step: one kill-like event (and its record file, when
 * there is one) turned into the facts the text and the JSON tell: who, when,
 * who killed it and why, the story of its memory, a series to plot, the
 * processes, and the numbers of the rule that fired. Pure: JSON in memory in,
 * a plain struct out (deploy/EVENTS.md says what each member means).
 */

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/procs.h"
#include "explain-scan.h"

#define EXPLAIN_POINTS_MAX     512
#define EXPLAIN_PROCS_MAX      32
#define EXPLAIN_CANDIDATES_MAX 8
#define EXPLAIN_STR_MAX        256
#define EXPLAIN_PATH_MAX       1024
#define EXPLAIN_NOTES_MAX      6
#define EXPLAIN_NOTE_MAX       (EXPLAIN_PATH_MAX + 256)

enum explain_outcome {
        EXPLAIN_KILLED,      /* kill: cgmem killed the container */
        EXPLAIN_KILL_FAILED, /* kill_failed */
        EXPLAIN_WOULD_KILL,  /* a kill decision: dry run, or enforce.kill = no */
        EXPLAIN_OOM_KILLED,  /* oom_kill: the kernel killed one of its processes */
        _EXPLAIN_OUTCOME_MAX,
        _EXPLAIN_OUTCOME_INVALID = -EINVAL,
};
const char *explain_outcome_to_string(enum explain_outcome o);

/* What grew: story.kinds and grew_most. */
enum explain_kind {
        EXPLAIN_KIND_ANON,
        EXPLAIN_KIND_FILE,
        EXPLAIN_KIND_SHMEM,
        EXPLAIN_KIND_KERNEL,
        EXPLAIN_KIND_SWAP,
        _EXPLAIN_KIND_MAX,
        _EXPLAIN_KIND_INVALID = -EINVAL,
};
const char *explain_kind_to_string(enum explain_kind k);
enum explain_kind explain_kind_from_string(const char *s);

enum explain_source {
        EXPLAIN_SOURCE_NONE,
        EXPLAIN_SOURCE_RECORD,   /* the per-kill record file */
        EXPLAIN_SOURCE_EVENT,    /* the event's story.points / processes */
        EXPLAIN_SOURCE_EVIDENCE, /* the policy's last samples (details.evidence.samples) */
        _EXPLAIN_SOURCE_MAX,
        _EXPLAIN_SOURCE_INVALID = -EINVAL,
};
const char *explain_source_to_string(enum explain_source s);

/* Which memory.events counters rose since the previous point (record trajectories only). */
enum {
        EXPLAIN_ROSE_HIGH = 1 << 0,
        EXPLAIN_ROSE_MAX = 1 << 1,
        EXPLAIN_ROSE_OOM = 1 << 2,
        EXPLAIN_ROSE_OOM_KILL = 1 << 3,
};

struct explain_point {
        uint64_t ago_usec;
        uint64_t footprint_bytes;
        uint64_t current_bytes;
        unsigned rose;
};

struct explain_who {
        char cgroup[EXPLAIN_PATH_MAX];
        char runtime[32], id[72], name[EXPLAIN_STR_MAX], image[EXPLAIN_STR_MAX];
        char unit[EXPLAIN_STR_MAX], namespace[64], pod[EXPLAIN_STR_MAX], pod_uid[40], qos[16];
        char container[EXPLAIN_STR_MAX];
        char display[EXPLAIN_PATH_MAX]; /* the name text uses for it */
};

struct explain_numbers {
        uint64_t working_set_bytes, unreclaimable_bytes, swap_bytes;
        uint64_t max_bytes, high_bytes; /* CG_VALUE_MAX: max */
        double rate_bytes_per_sec;
        bool has_eta;
        uint64_t eta_usec;
        uint64_t high_events, max_events, oom_events, oom_kill_events;
        double psi_some_avg10, psi_full_avg10; /* < 0: unknown */
};

struct explain_evidence {
        uint64_t footprint_bytes, capacity_bytes, margin_bytes, window_usec, grown_bytes;
        uint64_t held_bytes; /* what reclaim could not take; the footprint in older events */
        uint64_t high_events, max_events, refaults;
        double psi_full_pct;
};

struct explain_node {
        char rule[16];
        uint64_t headroom_bytes, floor_bytes, mem_available_bytes, swap_free_bytes;
        double fall_bytes_per_sec;
        uint64_t falling_usec;
        bool has_eta;
        uint64_t eta_usec;
        double psi_full_avg10, psi_full_pct;
        uint64_t refaults;
        bool has_reclaim_scans; /* false: null (node.slice), or an event from an older agent */
        uint64_t reclaim_scans;
};

struct explain_candidate {
        char cgroup[EXPLAIN_PATH_MAX];
        char display[EXPLAIN_PATH_MAX];
        double score;
        uint64_t footprint_bytes, protected_bytes, swap_bytes; /* protected: CG_VALUE_MAX = none */
        double rate_bytes_per_sec;
        char mark[16], qos[24];
};

struct explain_victim {
        int pid;
        char comm[64];
        char task_memcg[EXPLAIN_PATH_MAX], oom_memcg[EXPLAIN_PATH_MAX];
        bool memcg_oom;
        uint64_t total_vm_bytes, anon_rss_bytes, file_rss_bytes, shmem_rss_bytes;
};

struct explain_story {
        uint64_t window_usec;
        bool has_began;
        uint64_t began_usec_ago;
        uint64_t grew_bytes;
        double rate_bytes_per_sec;
        uint64_t peak_bytes;
        int64_t kinds_bytes[_EXPLAIN_KIND_MAX];
        int grew_most; /* enum explain_kind, or -1 */
        uint64_t frees_bytes, stays_bytes, shmem_bytes;
};

struct explain_procs {
        enum explain_source source;
        uint64_t age_usec;
        uint64_t count;
        bool complete;
        struct proc_memory top[EXPLAIN_PROCS_MAX];
        size_t n_top;
};

struct explain {
        /* the event */
        uint64_t seq;
        unsigned run;
        size_t line_no;
        char time[EXPLAIN_TIME_MAX];
        char host[EXPLAIN_STR_MAX];
        char type[EXPLAIN_TYPE_MAX];
        struct explain_who who;

        /* who killed it, and why */
        enum explain_outcome outcome;
        char reason[32], signal[32];
        bool has_latency;
        uint64_t latency_usec;
        bool dry_run;    /* a decision under agent.dry_run */
        bool run_dry;    /* the agent's run was --dry-run (oom_kill) */
        int error_errno; /* kill_failed */
        char error[128];
        bool has_numbers;
        struct explain_numbers numbers;
        bool has_limits; /* memory.max/high: from numbers, else from earlier events */
        uint64_t max_bytes, high_bytes;
        bool has_evidence;
        struct explain_evidence evidence;
        bool has_node;
        struct explain_node node;
        struct explain_candidate candidates[EXPLAIN_CANDIDATES_MAX];
        size_t n_candidates;
        bool has_victim;
        struct explain_victim victim;

        /* the story and what to plot */
        bool has_story;
        struct explain_story story;
        enum explain_source plot_source;
        struct explain_point points[EXPLAIN_POINTS_MAX];
        size_t n_points;
        struct explain_procs procs;

        /* the record file */
        char record[EXPLAIN_PATH_MAX];      /* as the event names it, "" for null */
        char record_used[EXPLAIN_PATH_MAX]; /* where it was read, "" if not */

        /* what the reader should know about the input: a record not found, bad lines */
        char notes[EXPLAIN_NOTES_MAX][EXPLAIN_NOTE_MAX];
        size_t n_notes;

        /* the same container's other kills in the file */
        unsigned kills_in_file; /* this one included */
        bool has_previous;
        struct explain_entry previous;
};

/*
 * Fills ret from the event line (its entry and target from the scan). -EINVAL
 * when the line is not a kill-like event with a cgroup, -ENOMEM.
 */
int explain_from_event(const struct explain_scan *scan, const struct explain_entry *entry,
                       const char *line, struct explain *ret);

/*
 * Whether record (a parsed record file) belongs to the event ret holds: its
 * event has the same seq, time and cgroup.
 */
bool explain_record_matches(const struct explain *e, json_t *record);

/*
 * Takes the record's trajectory (for the plot) and its processes (up to 32)
 * over what the event had. -EINVAL when the record is not one (its note says why).
 */
int explain_apply_record(struct explain *e, json_t *record, char *why, size_t why_size);

_printf_(2, 3) void explain_add_note(struct explain *e, const char *fmt, ...);

/* One line: "api was killed by cgmem (runaway)". */
void explain_headline(const struct explain *e, char *buf, size_t size);

/* "runaway", "stuck at memory.high", "node memory pressure", ... */
const char *explain_reason_words(const char *reason);
