/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *program = "cgmem";

void log_set_program(const char *name)
{
        program = name;
}

static void log_va(const char *level, const char *fmt, va_list ap)
{
        fprintf(stderr, "%s: %s", program, level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va("", fmt, ap);
        va_end(ap);
}

void log_warning(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va("warning: ", fmt, ap);
        va_end(ap);
}

void log_info(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va("", fmt, ap);
        va_end(ap);
}
