/* SPDX-License-Identifier: MIT */
/*
 * Shared plumbing for the cgmem test workload helpers: strict argument parsing, parent-death
 * handling, the ready line and CLOCK_MONOTONIC arithmetic. Header-only (static inline) so every
 * helper stays a single translation unit that a test can build with one compiler call.
 */
#ifndef CGMEM_HELPER_COMMON_H
#define CGMEM_HELPER_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC UINT64_C(1000000000)
#define KIB          UINT64_C(1024)
#define MIB          (KIB * KIB)

/* Exit codes shared by all helpers; tests rely on 2 meaning "you called me wrong". */
#define EXIT_USAGE 2

static const char *helper_name = "helper";

__attribute__((format(printf, 1, 2), noreturn)) static inline void usage_error(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", helper_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry '%s --help'.\n", helper_name);
        exit(EXIT_USAGE);
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void fatal(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", helper_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

/*
 * Plain decimal digits only: strtoull() alone would accept leading blanks, a sign ("-1" wraps to
 * a huge value), hex with base 0, and stop silently at trailing garbage.
 */
static inline uint64_t parse_u64(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
        char *end;
        unsigned long long v;

        if (arg[0] < '0' || arg[0] > '9')
                usage_error("--%s: '%s' is not a non-negative decimal integer", opt, arg);
        errno = 0;
        v = strtoull(arg, &end, 10);
        if (errno == ERANGE || *end != '\0')
                usage_error("--%s: '%s' is not a valid integer", opt, arg);
        if (v < min || v > max)
                usage_error("--%s: %llu is out of range [%" PRIu64 ", %" PRIu64 "]", opt, v, min,
                            max);
        return (uint64_t) v;
}

/*
 * Seconds as "N" or "N.FFFFFFFFF" (at most nanosecond precision), returned in nanoseconds.
 * Hand-rolled because strtod() also takes "inf", "nan", hex floats and exponents.
 */
static inline uint64_t parse_duration_ns(const char *opt, const char *arg)
{
        const uint64_t max_sec = UINT64_C(10) * 365 * 24 * 3600;
        const char *p = arg;
        uint64_t sec = 0, frac = 0, scale = NSEC_PER_SEC;

        if (*p < '0' || *p > '9')
                usage_error("--%s: '%s' is not a number of seconds", opt, arg);
        for (; *p >= '0' && *p <= '9'; p++) {
                sec = sec * 10 + (uint64_t) (*p - '0');
                if (sec > max_sec)
                        usage_error("--%s: '%s' is too large", opt, arg);
        }
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        usage_error("--%s: '%s' needs digits after '.'", opt, arg);
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (scale == 1)
                                usage_error("--%s: '%s' has more than 9 decimals", opt, arg);
                        scale /= 10;
                        frac += (uint64_t) (*p - '0') * scale;
                }
        }
        if (*p != '\0')
                usage_error("--%s: '%s' is not a number of seconds", opt, arg);
        if (sec == 0 && frac == 0)
                usage_error("--%s: must be greater than 0 (omit it to run without a limit)", opt);
        return sec * NSEC_PER_SEC + frac;
}

/*
 * getopt_long() error, with opterr = 0 and an optstring starting with ':' so a missing argument
 * (':') can be told apart from an unknown option ('?').
 */
__attribute__((noreturn)) static inline void bad_option(int c, char **argv, int optind_after)
{
        if (c == ':')
                usage_error("option '%s' needs an argument", argv[optind_after - 1]);
        usage_error("unknown or malformed option '%s'", argv[optind_after - 1]);
}

/* getopt_long leaves operands behind; none of the helpers takes any. */
static inline void reject_operands(int argc, char **argv, int optind_after)
{
        if (optind_after < argc)
                usage_error("unexpected argument '%s'", argv[optind_after]);
}

/*
 * The pid our parent had when it forked us, if the launcher told us (CGMEM_PARENT_PID, set by the
 * parent to its own pid before fork), else our parent now. Only the launcher can know the first:
 * if it dies between fork and our exec, getppid() at startup already names the reaper.
 */
static inline pid_t expected_parent(void)
{
        const char *env = getenv("CGMEM_PARENT_PID");
        char *end;
        long pid;

        if (env == NULL)
                return getppid();
        errno = 0;
        pid = strtol(env, &end, 10);
        if (env[0] < '1' || env[0] > '9' || *end != '\0' || errno == ERANGE || pid > INT32_MAX)
                usage_error("CGMEM_PARENT_PID='%s' is not a pid", env);
        return (pid_t) pid;
}

/*
 * Die with the parent so a crashed test cannot leak a workload into the next one. The getppid()
 * check after prctl() closes the window where the parent died before the death signal was armed
 * (we would have been reparented already and never get the signal).
 */
static inline void die_with_parent(void)
{
        pid_t parent = expected_parent();

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
                fatal("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
        if (getppid() != parent) {
                fprintf(stderr, "%s: parent %ld is gone, exiting\n", helper_name, (long) parent);
                _exit(EXIT_FAILURE);
        }
}

static inline void print_ready(void)
{
        printf("ready pid=%ld\n", (long) getpid());
        fflush(stdout);
}

static inline uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static inline struct timespec ns_to_timespec(uint64_t ns)
{
        struct timespec ts = {
                .tv_sec = (time_t) (ns / NSEC_PER_SEC),
                .tv_nsec = (long) (ns % NSEC_PER_SEC),
        };
        return ts;
}

/* Absolute deadline, so a late wakeup never pushes later deadlines back (no drift). */
static inline void sleep_until_ns(uint64_t deadline_ns)
{
        struct timespec ts = ns_to_timespec(deadline_ns);

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

#endif /* CGMEM_HELPER_COMMON_H */
