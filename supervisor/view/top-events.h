/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The events pane of cgmem top: the last lines of the agent's JSON Lines event file. */

#include <stddef.h>

#include "top-render.h"

/* Where cgmem run writes its events when configured as in deploy/cgmem.conf. */
#define TOP_EVENTS_FILE_DEFAULT "/var/log/cgmem/events.jsonl"

/* Parses one event line; -EINVAL when it is not a JSON object with a "type". */
int top_event_parse(const char *line, size_t len, struct top_event *ret);

/*
 * Reads the newest events of path (at most max, from its last 64 KiB), oldest
 * first, into events. Returns their number or -errno.
 */
int top_events_tail(const char *path, struct top_event *events, size_t max);
