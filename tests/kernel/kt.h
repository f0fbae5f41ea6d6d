/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A small framework for the kernel-facing cases that run as root inside the
 * test VM: each case runs in its own process (ktest CASE) with its own cgroup
 * subtree under $KT_CGROUP_BASE, which is killed and removed when it exits.
 * A failed assertion prints its place and reason and exits 1.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "cgroupfs/macro.h"

struct kt_case {
        const char *name;
        void (*run)(void);
};

_printf_(3, 4) _Noreturn void kt_fail(const char *file, int line, const char *fmt, ...);
_printf_(4, 5) _Noreturn void kt_assert_failed(const char *file, int line, const char *cond,
                                               const char *fmt, ...);

#define KT_ASSERT(cond, ...)                                                                       \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        kt_assert_failed(__FILE__, __LINE__, #cond, __VA_ARGS__);                  \
        } while (0)

/* Asserts r >= 0 for a -errno returning call. */
#define KT_OK(expr)                                                                                \
        do {                                                                                       \
                int _r = (expr);                                                                   \
                if (_r < 0)                                                                        \
                        kt_fail(__FILE__, __LINE__, "%s failed: %s", #expr, strerror(-_r));        \
        } while (0)

/* Prints a diagnostic line ("# ...") that the runner keeps in the case log. */
_printf_(1, 2) void kt_log(const char *fmt, ...);

/* Creates the case cgroup $KT_CGROUP_BASE/<name> (removed at exit); returns its dirfd. */
int kt_cgroup_new(const char *name);

/* Passes memory and pids on to the children of cg (then cg itself holds no process). */
void kt_delegate(int cg);

/* Creates a child cgroup of parentfd; returns its dirfd. */
int kt_cgroup_child(int parentfd, const char *name);

/* The case cgroup's absolute path, for tools that want one (cgmem ps). */
const char *kt_cgroup_base(void);

/* Writes a value to a cgroup file, failing the case if the kernel refuses. */
void kt_write(int dirfd, const char *file, const char *value);

/* Reads a single-value file with stdio, independently of cgroupfs/, for cross-checks. */
uint64_t kt_read_value(int dirfd, const char *file);

/* Reads one key of a flat-keyed file with stdio; fails the case if the key is absent. */
uint64_t kt_read_key(int dirfd, const char *file, const char *key);

/*
 * Starts argv[0] (a program in the helpers dir, $KT_HELPERS, or an absolute path)
 * inside the cgroup dirfd and waits up to 10 s for its "ready" line. The child
 * dies with this process.
 */
pid_t kt_spawn_in(int dirfd, char *const argv[]);

/* kt_spawn_in, and *ret_out gets the read end of its stdout, past the ready line. */
pid_t kt_spawn_reading(int dirfd, char *const argv[], int *ret_out);

/*
 * Reads fd to EOF (at most timeout_ms) and returns the value of the last "key=N"
 * the output holds (helpers print "passes=12 read_mib=30" lines); fails the case
 * if there is none.
 */
uint64_t kt_read_last_value(int fd, const char *key, int timeout_ms);

/* Waits for the cgroup dirfd to have no process left; fails the case after timeout_ms. */
void kt_assert_emptied(int cg, unsigned timeout_ms);

/* Waits for pid to exit; returns its wait status, or -1 after timeout_ms. */
int kt_wait(pid_t pid, int timeout_ms);

/* Creates and removes children c0, c1... of cg for seconds, about 20 a second. */
void kt_churn(int cg, unsigned seconds);

/* A unix socket at path that accepts every connection and never says a word: a hung runtime.
 * Returns the pid that holds it (kill it with SIGKILL). */
pid_t kt_mute_socket(const char *path);

/* Microseconds of CLOCK_MONOTONIC. */
uint64_t kt_now_usec(void);

void kt_sleep_ms(unsigned ms);

/* Runs a shell command; returns its stdout (malloc'd), trailing newlines cut. Fails the case
 * if the command fails. */
_printf_(1, 2) char *kt_run(const char *fmt, ...);

/* tests/kernel/runtimes, where the scripts that start Docker, containerd and podman are. */
const char *kt_runtimes_dir(void);
