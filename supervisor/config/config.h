/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgmem's configuration: /etc/cgmem/cgmem.conf, an INI file like systemd's own
 * *.conf files ("[section]" headers, "key = value" lines, "#" comments), every
 * key also settable with --set section.key=value. Errors name file:line.
 */

#include <stdint.h>
#include <stdio.h>

#include "cgroupfs/psi.h"

#define CONFIG_DEFAULT_PATH "/etc/cgmem/cgmem.conf"

struct cgmem_config {
        /* [cgroup] */
        char *root;             /* root = /sys/fs/cgroup (empty: discover the cgroup2 mount) */
        char **container_globs; /* containers = GLOB... : more paths that are containers */
        int all;                /* all = no : every memory cgroup is a container */

        /* [sampling] */
        uint64_t interval_usec;        /* interval = 1s : the backstop sample round */
        uint64_t rescan_interval_usec; /* rescan = 30s : the backstop full walk */

        /* [psi] */
        enum psi_stall psi_stall;    /* stall = some */
        uint64_t psi_threshold_usec; /* threshold = 150ms */
        uint64_t psi_window_usec;    /* window = 1s */
        double psi_usage_fraction;   /* usage_fraction = 0.5 : arm above this share of limit */
        unsigned psi_max_triggers;   /* max_triggers = 256 : psimon threads are not free */

        /* [events] */
        int events_stdout;     /* stdout = yes */
        char *events_file;     /* file = PATH (empty: none) */
        int events_journal;    /* journal = no */
        unsigned events_queue; /* queue = 4096 : events held per blocked sink */
        uint64_t
                kernel_memory_interval_usec; /* kernel_memory_interval = 60s : at most this often */
        double kernel_memory_threshold_pct;  /* kernel_memory_threshold = 20 : % of current */
        double kernel_memory_change_pct;     /* kernel_memory_change = 5 : points of share */
        uint64_t episode_quiet_usec;         /* episode_quiet = 1min : an episode ended */
        uint64_t episode_summary_usec;       /* episode_summary = 15min */
        char *kills_dir;                     /* kills_dir = /var/lib/cgmem/kills; "": none */
        unsigned kills_keep;                 /* kills_keep = 100 */

        /* [enforce]: see supervisor/policy.h for what each threshold does */
        int enforce;                  /* enabled = yes : the global switch for every action */
        int enforce_kill;             /* kill = yes : no: guard and release only */
        char **protect_globs;         /* protect = GLOB... : never killed, see cgmem.conf */
        double guard_fraction;        /* guard_fraction = 0.04 : memory.high this far below max */
        double limit_margin_fraction; /* limit_margin = 0.004 : this close to max: at the limit */
        uint64_t settle_usec;         /* settle = 100ms : a new limit is its owner's this long */
        int release_page_cache;       /* release_page_cache = yes : no band for page cache only */
        uint64_t stuck_after_usec;    /* stuck_after = 2s */
        double stuck_psi_full_pct;    /* stuck_psi_full = 40 : over stuck_after */
        int stuck_kill;               /* stuck_kill = yes : no: release and let the kernel decide */
        char **namespace_marks; /* namespaces = NAMESPACE=MARK... : a default mark per namespace */

        /* [node]: the whole node (or a slice) short of memory; see supervisor/node-policy.h */
        char *node_slice;              /* slice = (the root) : "/kubepods.slice" */
        double node_mem_floor_pct;     /* mem_floor = 4 : headroom below it, falling: act */
        double node_swap_floor_pct;    /* swap_floor = 10 : free swap below it, memory short */
        uint64_t node_sustain_usec;    /* sustain = 5s : a fall this long ... */
        uint64_t node_horizon_usec;    /* horizon = 2min : ... gone within this: act */
        double node_pressure_full_pct; /* pressure_full = 60 : full avg10, as systemd-oomd */
        uint64_t node_pressure_duration_usec; /* pressure_duration = 30s, as systemd-oomd */
        uint64_t node_post_kill_delay_usec;   /* post_kill_delay = 2s : for a kill to show */
        uint64_t node_fast_interval_usec;     /* fast_interval = 100ms : while the node is short */

        /* [runtimes]: where container names come from ("" : do not ask that runtime) */
        char *docker_socket;           /* docker_socket = /var/run/docker.sock */
        char *podman_socket;           /* podman_socket = /run/podman/podman.sock */
        char *containerd_socket;       /* containerd_socket = /run/containerd/containerd.sock */
        char *crio_socket;             /* crio_socket = /var/run/crio/crio.sock */
        uint64_t runtime_timeout_usec; /* timeout = 2s : one API request */
        uint64_t names_ttl_usec;       /* names_ttl = 60min : then asked again */
        uint64_t names_retry_max_usec; /* retry_max = 1min : an unknown id, asked again */

        /* [agent] */
        int dry_run; /* dry_run = no */
        int mlock;   /* mlock = yes */
};

struct config_error {
        char where[512]; /* "FILE:LINE" or "--set" */
        char message[256];
};

void config_init_defaults(struct cgmem_config *c);
void config_free(struct cgmem_config *c);

/*
 * Loads path over what c holds. A missing file is not an error unless
 * must_exist. On failure returns -EINVAL (or -errno for I/O) and fills *err.
 */
int config_load_file(struct cgmem_config *c, const char *path, int must_exist,
                     struct config_error *err);

/* Applies "section.key=value" as the file would. */
int config_set(struct cgmem_config *c, const char *assignment, struct config_error *err);

/* Checks values that only make sense together (threshold <= window, ...). */
int config_validate(const struct cgmem_config *c, struct config_error *err);

/* Writes the effective configuration in the file's own format, every key. */
int config_write(const struct cgmem_config *c, FILE *f);
