/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Running the real agent (cgmem run) in a case: its stdout is a pipe the case
 * reads events from, each one kept (and copied to $KT_EVENTS_DIR for the schema
 * check that closes the suite).
 */

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

struct kt_agent {
        pid_t pid;
        int out;         /* read end of the agent's stdout */
        char buf[65536]; /* bytes read but not yet split into lines */
        size_t len;
        json_t *events; /* every event read so far, in order */
        FILE *copy;     /* $KT_EVENTS_DIR/<case>.jsonl */
};

/* Starts "cgmem run ARGS..." (NULL-terminated); name names the events copy. */
void kt_agent_start(struct kt_agent *a, const char *name, const char *const args[]);

/* The same in the cgroup cgfd (-1: where the case is), run through the command wrap
 * (NULL-terminated, absolute path first, e.g. unshare; NULL: none). */
void kt_agent_start_wrapped(struct kt_agent *a, const char *name, int cgfd,
                            const char *const wrap[], const char *const args[]);

/* Any command (argv[0] an absolute path) whose stdout is an event stream, in cgfd if >= 0:
 * `docker logs -f` of an agent in a container. */
void kt_agent_spawn(struct kt_agent *a, const char *name, int cgfd, const char *const argv[]);

/* Reads the next event; NULL after timeout_ms without one. The agent keeps the reference. */
json_t *kt_agent_next(struct kt_agent *a, int timeout_ms);

/* Reads until an event of type (and cgroup, if not NULL) arrives; fails the case on timeout. */
json_t *kt_agent_expect(struct kt_agent *a, const char *type, const char *cgroup, int timeout_ms);

/* kt_agent_expect, but an event already read counts too: one that may have come before
 * another the case waited for (a guard before the container's name). */
json_t *kt_agent_expect_any_time(struct kt_agent *a, const char *type, const char *cgroup,
                                 int timeout_ms);

/* kt_agent_start, then waits for its "started" event. */
void kt_agent_start_ready(struct kt_agent *a, const char *name, const char *const args[]);

/* SIGTERM, then waits for the "stopping" event and a clean exit. */
void kt_agent_stop(struct kt_agent *a);

/* Fails the case unless the seqs of all events read are consecutive. */
void kt_agent_assert_contiguous(const struct kt_agent *a);

/* The cgroup path of a case child as the agent prints it: "/cgmem-ktest/<case>/<child>". */
void kt_agent_cgroup(const char *child, char *buf, size_t size);

/*
 * A child of cg with memory.swap.max 0 and memory.max max, seen by the agent,
 * which must put its guard band on it; returns its dirfd.
 */
int kt_agent_limited_child(int cg, const char *name, const char *max, struct kt_agent *a);

/* Every line of a JSON Lines file, which must be whole ('\n'-ended) JSON objects. */
json_t *kt_read_jsonl(const char *file);

/*
 * Fails the case unless every seq after `after` in events is there or covered
 * by exactly one "dropped" event just before the next one; returns how many
 * the dropped events counted.
 */
int64_t kt_assert_gaps_explained(json_t *events, int64_t after);

int64_t kt_json_int(json_t *o, const char *path);
/* The array at a dotted path; fails the case if it is not one. */
json_t *kt_json_array(json_t *o, const char *path);
const char *kt_json_str(json_t *o, const char *path);
