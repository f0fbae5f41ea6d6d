/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Diagnostics for people, on stderr, prefixed with the program name. */

#include "cgroupfs/macro.h"

_printf_(1, 2) void log_error(const char *fmt, ...);
_printf_(1, 2) void log_warning(const char *fmt, ...);
_printf_(1, 2) void log_info(const char *fmt, ...);
