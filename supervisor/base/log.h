/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Diagnostics for people, on stderr, prefixed with the program name. */

#include "cgroupfs/macro.h"

/* "cgmem" unless set; name must outlive the program (argv[0]'s basename, a literal). */
void log_set_program(const char *name);

_printf_(1, 2) void log_error(const char *fmt, ...);
_printf_(1, 2) void log_warning(const char *fmt, ...);
_printf_(1, 2) void log_info(const char *fmt, ...);
