/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Node-wide memory pressure: the glue between the node's files and the pure
 * rules of policy/node-policy.h. Every round, every PSI trigger on the root (or
 * the configured slice), and every fast_interval while the node is short, it
 * reads /proc/meminfo, the refaults of /proc/vmstat and the pressure of the
 * root, and when a rule fires it has the pipeline kill the container the
 * ranking puts first, if killing it gives back enough to matter; otherwise it
 * reports (node_pressure) what uses the memory.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cgroupfs/io.h"
#include "cgroupfs/meminfo.h"
#include "config/config.h"
#include "emit/episode.h"
#include "policy/node-policy.h"
#include "registry/registry.h"
#include "trigger.h"

struct pipeline;

struct node {
        /* what it works with */
        const struct cgmem_config *cgmem_config;
        struct node_config config;
        struct registry *registry;
        struct pipeline *pipeline;
        sd_event *loop; /* NULL: no fast timer (--once) */

        /* the node's files, opened at start (a path literal stays in run.c) */
        int meminfo_fd, vmstat_fd, swaps_fd;
        struct read_buf buf;
        struct meminfo meminfo;
        bool meminfo_valid;
        bool swap_in_ram;   /* every swap device is zram: its free space frees no RAM */
        uint64_t swaps_for; /* the SwapTotal swap_in_ram was read for */
        /* /proc/vmstat as last read: the refaults counted while the node reclaimed, its scans */
        bool vmstat_read;
        uint64_t vm_refaults, vm_scans, node_refaults;

        /* the rules' state, and the loop's */
        struct node_state state;
        struct psi_trigger trigger;          /* on the root or the slice */
        sd_event_source *fast_timer;         /* while the node is short of memory */
        struct victim_candidate *candidates; /* room for every container */
        size_t candidates_cap;
        uint64_t reported_usec; /* the last node_pressure report */
        struct episode episode; /* the slice's pressure, told as one */
};

/* Whether cg is the cgroup whose pressure stands for the node ([node] slice, or the root). */
bool node_is_slice(const struct node *n, const struct cgroup *cg);

/* Re-reads /proc/meminfo; returns the hot files the containers' samples need (swap or not). */
unsigned node_memory_update(struct node *n);

/* Judges the node (or its slice) by the rules; when one fires, kills or reports. */
void node_check(struct node *n, struct cgroup *slice, uint64_t now);

/* The slice's PSI trigger fired: its pressure event, and a check. */
void node_triggered(struct node *n, struct cgroup *slice, uint64_t now);

/* The backstop round on the slice: its pressure episode, then node_check. */
void node_round(struct node *n, struct cgroup *slice, uint64_t now);

/* Makes room for a candidate per container: called as containers are found, not when killing. */
void node_reserve_candidates(struct node *n, size_t n_containers);

/* The rules' thresholds from the [node] section. */
void node_config_from(const struct cgmem_config *c, struct node_config *ret);

void node_stop(struct node *n);
