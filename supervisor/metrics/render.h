/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Prometheus text exposition format (version 0.0.4) of a snapshot, pure.
 * It is rendered in pieces of any size, as a slow reader takes them: the
 * cursor remembers where it stopped, so a scrape holds a few kilobytes
 * whatever the number of containers, and the text is never built whole.
 *
 * Per container: cAdvisor's names where the meaning is the same
 * (container_memory_working_set_bytes, ...), cgmem_container_* for what is
 * cgmem's; then the node (cgmem_node_*) and the agent (cgmem_*). README.md,
 * "Metrics", lists them all.
 */

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

/* The longest line: a metric name, a row's labels, one more label pair and a value. */
#define METRICS_LINE_MAX (METRICS_LABELS_MAX + 256)

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_cursor {
        unsigned family;
        size_t row;
        unsigned item;
        bool header_done;
        size_t line_len, line_off; /* the line being handed out */
        char line[METRICS_LINE_MAX];
};

void metrics_cursor_init(struct metrics_cursor *c);

/*
 * Writes the next bytes of the exposition of s into buf, at most size: whole
 * lines where they fit, the rest of a line at the next call. Returns the bytes
 * written; 0 once everything was.
 */
size_t metrics_render(const struct metrics_snapshot *s, struct metrics_cursor *c, char *buf,
                      size_t size);
