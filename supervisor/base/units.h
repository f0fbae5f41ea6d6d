/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BYTES_STR_MAX 16

/* "512B", "4.0K", "64.0M", "512M", "1.5G"; "max" for CG_VALUE_MAX. Returns buf. */
const char *format_bytes(uint64_t bytes, char buf[static BYTES_STR_MAX]);
