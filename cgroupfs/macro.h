/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Ownership helpers in the style of systemd and crun: a variable declared with
 * _cleanup_free_ or _cleanup_close_ is released when it goes out of scope, and
 * TAKE_PTR/TAKE_FD hand it over without releasing it.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
        free(*(void **) p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_(f)    __attribute__((cleanup(f)))
#define _cleanup_free_  _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _unused_        __attribute__((unused))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))
#define _warn_unused_   __attribute__((warn_unused_result))

/*
 * One cleanup function per type, as systemd's DEFINE_TRIVIAL_CLEANUP_FUNC: funcp(&x)
 * calls func(x) unless x is NULL. For _cleanup_(funcp) on a type * variable.
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _taken = (p);                                                        \
                (p) = NULL;                                                                        \
                _taken;                                                                            \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _taken = (fd);                                                                 \
                (fd) = -1;                                                                         \
                _taken;                                                                            \
        })

/* A cgroup that vanished under us answers ENOENT on open and ENODEV on read. */
static inline int errno_is_gone(int r)
{
        return r == -ENOENT || r == -ENODEV;
}
