/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgmem's exit statuses, documented in README.md and every --help. */
enum {
        EXIT_OK = 0,      /* done */
        EXIT_RUNTIME = 1, /* a runtime failure: no usable cgroup v2, unreadable files */
        EXIT_USAGE = 2,   /* bad command line or configuration */
};
