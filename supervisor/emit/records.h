/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A file per kill (cgmem's or the kernel's): the event as it was emitted, the
 * container's whole recorded trajectory and its largest processes, for cgmem
 * explain and for whoever looks later, on this machine or a copy of the files.
 * In [events] kills_dir, named <UTC yyyymmddThhmmssZ>-<seq>.json so that names
 * sort by time; the oldest beyond kills_keep are removed. Each is written to a
 * temporary name and renamed, so a reader never sees half a file. Written
 * after the kill and its event, never before.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/procs.h"
#include "recorder/recorder.h"

struct kill_records {
        char *dir; /* NULL: none kept */
        int dirfd;
        unsigned keep;
        bool warned; /* said once that one could not be written */
};

/* Creates dir if it has to (mode 0750) and opens it; dir NULL or "": none kept. */
int kill_records_open(struct kill_records *kr, const char *dir, unsigned keep);
void kill_records_close(struct kill_records *kr);

/* The path the record of event seq, emitted at realtime_usec, gets; false when none is kept. */
bool kill_records_path(const struct kill_records *kr, uint64_t seq, uint64_t realtime_usec,
                       char *buf, size_t size);

/*
 * Writes the record at path (from kill_records_path): the event's line as
 * emitted, the recorder's points to now, and the processes (up to 32). Then
 * removes the oldest records beyond keep. Logs a failure once; -errno.
 */
int kill_records_write(struct kill_records *kr, const char *path, const char *event_line,
                       const struct recorder *rec, const struct memcg_sample *now_sample,
                       uint64_t now_usec, const struct procs_snapshot *procs,
                       uint64_t procs_age_usec);
