/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the metrics show, as plain data. The agent's loop fills a snapshot after
 * each round (agent/exporter.c) and hands it over whole (server.h); a scrape
 * reads that copy on the server's thread and never the loop's own state, and
 * the renderer (render.h) is a pure function of it.
 *
 * Container labels are escaped once, when the snapshot is filled, into one
 * string arena: the renderer copies them into every series of the container.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/sample.h"
#include "policy/policy.h"

/*
 * The labels of a container's series. cAdvisor's and kubelet's names where the
 * meaning is the same: cAdvisor's "id" is the cgroup path and its "name" the
 * runtime's container name; namespace, pod and container are kubelet's.
 */
enum metrics_label {
        METRICS_LABEL_ID,           /* the cgroup path below the root: "/system.slice/x.scope" */
        METRICS_LABEL_CONTAINER_ID, /* the runtime's container id */
        METRICS_LABEL_NAME,         /* the runtime's container name */
        METRICS_LABEL_IMAGE,
        METRICS_LABEL_NAMESPACE, /* Kubernetes */
        METRICS_LABEL_POD,
        METRICS_LABEL_CONTAINER,
        _METRICS_LABEL_MAX,
};

/* Longer label values are cut (on a character boundary): a value is a name, not a document. */
#define METRICS_LABEL_VALUE_MAX 1024
/* The most one row's escaped label pairs take: every name, '="', the value escaped, '",'. */
#define METRICS_LABELS_MAX (_METRICS_LABEL_MAX * (16 + 2 * METRICS_LABEL_VALUE_MAX + 4))

/* One container as its series show it. */
struct metrics_container {
        struct memcg_sample sample;
        double growth_bytes_per_sec; /* the policy's smoothed growth of its footprint */
        bool throttled;              /* cgmem's guard band holds its memory.high */
        uint32_t actions[_ACTION_MAX][_REASON_MAX]; /* what cgmem did to it */
        size_t labels;                              /* offset in strings: escaped pairs */
        size_t labels_len;
};

/* The node: its memory and headroom as node-policy.h judges them, and the root's pressure. */
struct metrics_node {
        bool meminfo_valid;
        uint64_t mem_total_bytes;
        uint64_t mem_available_bytes;
        uint64_t headroom_bytes; /* MemAvailable plus free swap that does not live in RAM */
        uint64_t floor_bytes;    /* [node] mem_floor of MemTotal */
        bool has_psi;
        struct psi_stats psi;
};

/* Upper bounds (le) of the round duration histogram, in microseconds; +Inf follows. */
#define METRICS_ROUND_BUCKETS 11
extern const uint64_t metrics_round_bucket_usec[METRICS_ROUND_BUCKETS];

struct metrics_histogram {
        uint64_t counts[METRICS_ROUND_BUCKETS + 1]; /* per bucket, the last one +Inf */
        uint64_t count;
        uint64_t sum_usec;
};

void metrics_histogram_observe(struct metrics_histogram *h, uint64_t usec);

enum metrics_sink {
        METRICS_SINK_STDOUT,
        METRICS_SINK_FILE,
        METRICS_SINK_JOURNAL,
        _METRICS_SINK_MAX,
};

const char *metrics_sink_to_string(enum metrics_sink s);

/* The agent itself. */
struct metrics_agent {
        uint64_t start_time_usec; /* CLOCK_REALTIME, for cgmem_start_time_seconds */
        uint64_t rounds;
        struct metrics_histogram round_duration;
        uint64_t events_emitted;
        uint64_t events_dropped[_METRICS_SINK_MAX];
        uint64_t events_queued[_METRICS_SINK_MAX];
        uint64_t cgroups;    /* memory cgroups in the registry */
        uint64_t containers; /* of which containers */
        uint64_t watches;    /* inotify watches */
        bool watches_exhausted;
        uint64_t psi_triggers;
        uint64_t names_helper_restarts;
        uint64_t actions[_ACTION_MAX][_REASON_MAX];
        uint64_t action_failures[_ACTION_MAX];
};

struct metrics_snapshot {
        struct metrics_agent agent;
        struct metrics_node node;
        struct metrics_container *rows;
        size_t n_rows, rows_cap;
        char *strings; /* the escaped labels of every row */
        size_t strings_len, strings_cap;

        /* the server's bookkeeping (server.c) */
        unsigned refs;
        struct metrics_snapshot *next_free;
};

/* Empties s for a new round; what it allocated stays for the next fill. */
void metrics_snapshot_reset(struct metrics_snapshot *s);

/*
 * A new row, zeroed but for its labels: values[label] escaped (a NULL or empty
 * value leaves the label out, as Prometheus reads an empty one). NULL when out
 * of memory, and s is as it was.
 */
struct metrics_container *metrics_snapshot_add(struct metrics_snapshot *s,
                                               const char *const values[_METRICS_LABEL_MAX]);

void metrics_snapshot_free(struct metrics_snapshot *s);

/*
 * Appends value to buf as a label value: valid UTF-8 (a byte that is not
 * becomes '?'), at most METRICS_LABEL_VALUE_MAX bytes of it, with '\', '"' and
 * newline escaped. buf must have room for 2 * METRICS_LABEL_VALUE_MAX bytes;
 * returns the bytes written.
 */
size_t metrics_escape_label_value(const char *value, char *buf);
