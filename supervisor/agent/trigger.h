/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

struct agent;
struct cgroup;

/* A PSI trigger on a cgroup's memory.pressure, as the loop holds it (pressure.c). */
struct psi_trigger {
        int fd; /* -1: not armed */
        sd_event_source *source;
        struct agent *agent;
        struct cgroup *cg;
};
