/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "cgroupfs/psi.h"

/* Longer lines are a mistake (or not a config file): refuse them rather than guess. */
#define CONFIG_LINE_MAX 4096

/* Values are quoted in messages; a long one is cut so the key and the reason still fit. */
#define SHOWN "\"%.80s\""

#define DURATION_STR_MAX 32

enum key_type {
        KEY_BOOL,
        KEY_DURATION,
        KEY_UNSIGNED,
        KEY_FRACTION,
        KEY_PERCENT,
        KEY_PATH,
        KEY_GLOBS,
        KEY_STALL,
        KEY_MARKS,
        KEY_TYPE_MAX,
};

struct config_key {
        const char *section;
        const char *name;
        enum key_type type;
        size_t offset;
        const char *default_value; /* in the file's syntax: the one place defaults live */
};

/* Fails to compile when a field's C type does not match what its key type stores. */
#define FIELD_IS(field, ctype)                                                                     \
        __builtin_types_compatible_p(__typeof__(((struct cgmem_config *) 0)->field), ctype)
#define KEY(s, n, t, ctype, field, def)                                                            \
        {                                                                                          \
                s, n, t,                                                                           \
                        offsetof(struct cgmem_config, field) +                                     \
                                0 * sizeof(char[FIELD_IS(field, ctype) ? 1 : -1]),                 \
                        def                                                                        \
        }

/* The order here is the order config_write() prints. */
static const struct config_key config_keys[] = {
        KEY("cgroup", "root", KEY_PATH, char *, root, "/sys/fs/cgroup"),
        KEY("cgroup", "containers", KEY_GLOBS, char **, container_globs, ""),
        KEY("cgroup", "all", KEY_BOOL, int, all, "no"),
        KEY("sampling", "interval", KEY_DURATION, uint64_t, interval_usec, "1s"),
        KEY("sampling", "rescan", KEY_DURATION, uint64_t, rescan_interval_usec, "30s"),
        KEY("psi", "stall", KEY_STALL, enum psi_stall, psi_stall, "some"),
        KEY("psi", "threshold", KEY_DURATION, uint64_t, psi_threshold_usec, "150ms"),
        KEY("psi", "window", KEY_DURATION, uint64_t, psi_window_usec, "1s"),
        KEY("psi", "usage_fraction", KEY_FRACTION, double, psi_usage_fraction, "0.5"),
        KEY("psi", "max_triggers", KEY_UNSIGNED, unsigned, psi_max_triggers, "256"),
        KEY("events", "stdout", KEY_BOOL, int, events_stdout, "yes"),
        KEY("events", "file", KEY_PATH, char *, events_file, ""),
        KEY("events", "journal", KEY_BOOL, int, events_journal, "no"),
        KEY("events", "queue", KEY_UNSIGNED, unsigned, events_queue, "4096"),
        KEY("events", "kernel_memory_interval", KEY_DURATION, uint64_t, kernel_memory_interval_usec,
            "60s"),
        KEY("events", "kernel_memory_threshold", KEY_PERCENT, double, kernel_memory_threshold_pct,
            "20"),
        KEY("events", "kernel_memory_change", KEY_PERCENT, double, kernel_memory_change_pct, "5"),
        KEY("events", "episode_quiet", KEY_DURATION, uint64_t, episode_quiet_usec, "1min"),
        KEY("events", "episode_summary", KEY_DURATION, uint64_t, episode_summary_usec, "15min"),
        KEY("events", "kills_dir", KEY_PATH, char *, kills_dir, "/var/lib/cgmem/kills"),
        KEY("events", "kills_keep", KEY_UNSIGNED, unsigned, kills_keep, "100"),
        KEY("enforce", "enabled", KEY_BOOL, int, enforce, "yes"),
        KEY("enforce", "kill", KEY_BOOL, int, enforce_kill, "yes"),
        KEY("enforce", "protect", KEY_GLOBS, char **, protect_globs,
            "init.scope system.slice/*.service"),
        KEY("enforce", "guard_fraction", KEY_FRACTION, double, guard_fraction, "0.04"),
        KEY("enforce", "limit_margin", KEY_FRACTION, double, limit_margin_fraction, "0.004"),
        KEY("enforce", "settle", KEY_DURATION, uint64_t, settle_usec, "100ms"),
        KEY("enforce", "release_page_cache", KEY_BOOL, int, release_page_cache, "yes"),
        KEY("enforce", "stuck_after", KEY_DURATION, uint64_t, stuck_after_usec, "2s"),
        KEY("enforce", "stuck_psi_full", KEY_PERCENT, double, stuck_psi_full_pct, "40"),
        KEY("enforce", "stuck_kill", KEY_BOOL, int, stuck_kill, "yes"),
        KEY("enforce", "namespaces", KEY_MARKS, char **, namespace_marks, ""),
        KEY("node", "slice", KEY_PATH, char *, node_slice, ""),
        KEY("node", "mem_floor", KEY_PERCENT, double, node_mem_floor_pct, "4"),
        KEY("node", "swap_floor", KEY_PERCENT, double, node_swap_floor_pct, "10"),
        KEY("node", "sustain", KEY_DURATION, uint64_t, node_sustain_usec, "5s"),
        KEY("node", "horizon", KEY_DURATION, uint64_t, node_horizon_usec, "2min"),
        KEY("node", "pressure_full", KEY_PERCENT, double, node_pressure_full_pct, "60"),
        KEY("node", "pressure_duration", KEY_DURATION, uint64_t, node_pressure_duration_usec,
            "30s"),
        KEY("node", "post_kill_delay", KEY_DURATION, uint64_t, node_post_kill_delay_usec, "2s"),
        KEY("node", "fast_interval", KEY_DURATION, uint64_t, node_fast_interval_usec, "100ms"),
        KEY("runtimes", "docker_socket", KEY_PATH, char *, docker_socket, "/var/run/docker.sock"),
        KEY("runtimes", "podman_socket", KEY_PATH, char *, podman_socket,
            "/run/podman/podman.sock"),
        KEY("runtimes", "containerd_socket", KEY_PATH, char *, containerd_socket,
            "/run/containerd/containerd.sock"),
        KEY("runtimes", "crio_socket", KEY_PATH, char *, crio_socket, "/var/run/crio/crio.sock"),
        KEY("runtimes", "timeout", KEY_DURATION, uint64_t, runtime_timeout_usec, "2s"),
        KEY("runtimes", "names_ttl", KEY_DURATION, uint64_t, names_ttl_usec, "60min"),
        KEY("runtimes", "retry_max", KEY_DURATION, uint64_t, names_retry_max_usec, "1min"),
        KEY("agent", "dry_run", KEY_BOOL, int, dry_run, "no"),
        KEY("agent", "mlock", KEY_BOOL, int, mlock, "yes"),
};

/* ---- errors ---- */

static _printf_(2, 3) int fail(struct config_error *err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* Every value error says which key it is about: "[psi] window: ...". */
static _printf_(3, 4) int key_fail(struct config_error *err, const struct config_key *k,
                                   const char *fmt, ...)
{
        char why[sizeof(err->message)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        return fail(err, "[%s] %s: %.200s", k->section, k->name, why);
}

static _printf_(2, 3) void set_where(struct config_error *err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err->where, sizeof(err->where), fmt, ap);
        va_end(ap);
}

static int io_fail(struct config_error *err, const char *path, int r)
{
        set_where(err, "%s", path);
        snprintf(err->message, sizeof(err->message), "%s", strerror(-r));
        return r;
}

/* ---- value parsers: each writes *field only on success ---- */

static int parse_bool_word(const char *v)
{
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static int parse_bool(const char *v, void *field, const struct config_key *k,
                      struct config_error *err)
{
        int b = parse_bool_word(v);

        if (b < 0)
                return key_fail(
                        err, k,
                        SHOWN " is not a boolean (use yes, no, true, false, on, off, 1 or 0)", v);
        *(int *) field = b;
        return 0;
}

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        /* Largest first: format_duration() picks the first that divides exactly. */
        {"min", USEC_PER_MIN},
        {"s", USEC_PER_SEC},
        {"ms", USEC_PER_MSEC},
        {"us", 1},
};

static uint64_t duration_unit_find(const char *suffix)
{
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                if (strcmp(suffix, duration_units[i].suffix) == 0)
                        return duration_units[i].usec;
        return 0;
}

/*
 * The usec in frac (the digits after the point) of one unit, exactly. Digits that name
 * less than a microsecond are refused rather than rounded: "1.5us" is not a time we can
 * honour. Trailing zeros say nothing; after them, more than 9 digits can never be exact
 * for units up to a minute (60e6 = 2^8 * 3 * 5^7), and 9 keep the product in range.
 */
static int fraction_usec(const char *frac, uint64_t unit, uint64_t *ret)
{
        size_t k = strlen(frac);
        uint64_t n, pow10 = 1;

        if (k == 0 || strspn(frac, "0123456789") != k)
                return -EINVAL;
        while (k > 0 && frac[k - 1] == '0')
                k--;
        if (k > 9)
                return -EDOM;
        if (k == 0) {
                *ret = 0;
                return 0;
        }
        if (parse_u64(frac, k, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < k; i++)
                pow10 *= 10;
        if (n * unit % pow10 != 0)
                return -EDOM;
        *ret = n * unit / pow10;
        return 0;
}

/* "150ms", "1.5s", "2min": a decimal number and one unit, no space, computed exactly. */
static int duration_from_string(const char *v, uint64_t *ret)
{
        size_t num_len = strspn(v, "0123456789.");
        uint64_t unit = duration_unit_find(v + num_len), whole, frac_usec = 0;
        const char *dot = memchr(v, '.', num_len);
        size_t whole_len = dot ? (size_t) (dot - v) : num_len;
        int r;

        if (num_len > 0 && v[num_len] == '\0')
                return -ENOMSG; /* a bare number */
        if (num_len == 0 || unit == 0)
                return -EINVAL;
        r = parse_u64(v, whole_len, &whole);
        if (r < 0)
                return r;
        if (dot) {
                _cleanup_free_ char *frac = strndup(dot + 1, num_len - whole_len - 1);
                if (!frac)
                        return -ENOMEM;
                r = fraction_usec(frac, unit, &frac_usec);
                if (r < 0)
                        return r;
        }
        if (whole > (UINT64_MAX - frac_usec) / unit)
                return -ERANGE;
        *ret = whole * unit + frac_usec;
        return 0;
}

static int parse_duration(const char *v, void *field, const struct config_key *k,
                          struct config_error *err)
{
        uint64_t usec;
        int r = duration_from_string(v, &usec);

        switch (r) {
        case 0:
                *(uint64_t *) field = usec;
                return 0;
        case -ENOMEM:
                return r;
        case -ENOMSG:
                return key_fail(err, k, SHOWN " has no unit (use us, ms, s or min)", v);
        case -EDOM:
                return key_fail(err, k, SHOWN " is not a whole number of microseconds", v);
        case -ERANGE:
                return key_fail(err, k, SHOWN " is too long (at most %" PRIu64 "us)", v,
                                UINT64_MAX);
        default:
                return key_fail(err, k,
                                SHOWN " is not a duration (a number and one of the units us, ms, "
                                      "s, min, e.g. 150ms or 1.5s)",
                                v);
        }
}

static int parse_unsigned(const char *v, void *field, const struct config_key *k,
                          struct config_error *err)
{
        uint64_t u;
        int r = parse_u64(v, strlen(v), &u);

        if (r == -ERANGE || (r == 0 && u > UINT_MAX))
                return key_fail(err, k, SHOWN " is out of range (at most %u)", v, UINT_MAX);
        if (r < 0)
                return key_fail(err, k, SHOWN " is not an unsigned integer", v);
        *(unsigned *) field = (unsigned) u;
        return 0;
}

/* strtod, but only plain decimals: no sign, space, hex, nan or inf, and the whole token. */
static int decimal_from_string(const char *v, double *ret)
{
        char *end;
        double d;

        if (!isdigit((unsigned char) v[0]) || strspn(v, "0123456789.eE+-") != strlen(v))
                return -EINVAL;
        d = strtod(v, &end);
        if (*end != '\0' || !isfinite(d))
                return -EINVAL;
        *ret = d;
        return 0;
}

static int parse_fraction(const char *v, void *field, const struct config_key *k,
                          struct config_error *err)
{
        double d;

        if (decimal_from_string(v, &d) < 0 || !(d > 0 && d <= 1))
                return key_fail(err, k,
                                SHOWN " is not a fraction (a decimal above 0 and at most 1, "
                                      "e.g. 0.5)",
                                v);
        *(double *) field = d;
        return 0;
}

static int parse_percent(const char *v, void *field, const struct config_key *k,
                         struct config_error *err)
{
        double d;

        if (decimal_from_string(v, &d) < 0 || !(d >= 0 && d <= 100))
                return key_fail(err, k,
                                SHOWN " is not a percentage (a decimal from 0 to 100, e.g. 20)", v);
        *(double *) field = d;
        return 0;
}

/* A control character (a newline from --set) would not survive config_write(). */
static int has_control_char(const char *s)
{
        for (; *s; s++)
                if (iscntrl((unsigned char) *s))
                        return 1;
        return 0;
}

/* Paths are absolute: the agent's working directory is nobody's business. Empty is "none". */
static int parse_path(const char *v, void *field, const struct config_key *k,
                      struct config_error *err)
{
        char *copy;

        if (v[0] != '\0' && v[0] != '/')
                return key_fail(err, k, SHOWN " is not an absolute path (or empty)", v);
        if (has_control_char(v))
                return key_fail(err, k, SHOWN " contains a control character", v);
        copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        free(*(char **) field);
        *(char **) field = copy;
        return 0;
}

static void strv_free(char **l)
{
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

static const char WHITESPACE[] = " \t\n\r\f\v";

/* The whitespace-separated words of s as a NULL-terminated array; empty s gives {NULL}. */
static char **strv_split(const char *s)
{
        size_t n = 0;
        char **l;

        for (const char *p = s + strspn(s, WHITESPACE); *p; p += strspn(p, WHITESPACE), n++)
                p += strcspn(p, WHITESPACE);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return NULL;
        n = 0;
        for (const char *p = s + strspn(s, WHITESPACE); *p; p += strspn(p, WHITESPACE)) {
                size_t len = strcspn(p, WHITESPACE);
                l[n] = strndup(p, len);
                if (!l[n++]) {
                        strv_free(l);
                        return NULL;
                }
                p += len;
        }
        return l;
}

/*
 * fnmatch() has no syntax check and matches a broken pattern literally, which would
 * silently match nothing: catch the two ways a pattern can be broken.
 */
static const char *glob_problem(const char *g)
{
        for (const char *p = g; *p; p++) {
                if (*p == '\\') {
                        if (!*++p)
                                return "ends in a lone \"\\\"";
                } else if (*p == '[') {
                        const char *q = p + 1;
                        q += (*q == '!' || *q == '^');
                        q += (*q == ']'); /* a leading ']' is a member, not the end */
                        q = strchr(q, ']');
                        if (!q)
                                return "has an unterminated \"[\"";
                        p = q;
                }
        }
        return NULL;
}

static int parse_globs(const char *v, void *field, const struct config_key *k,
                       struct config_error *err)
{
        char **l = strv_split(v);

        if (!l)
                return -ENOMEM;
        for (char **g = l; *g; g++) {
                const char *problem = glob_problem(*g);
                if (problem || has_control_char(*g)) {
                        int r = key_fail(err, k, "glob " SHOWN " %s", *g,
                                         problem ?: "contains a control character");
                        strv_free(l);
                        return r;
                }
        }
        strv_free(*(char ***) field);
        *(char ***) field = l;
        return 0;
}

/* A Kubernetes namespace name: a DNS label (RFC 1123), at most 63 characters. */
static bool namespace_name_valid(const char *s, size_t n)
{
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

/* "NAMESPACE=MARK ...": the mark of a pod's containers when neither they nor the pod carry one. */
static int parse_marks(const char *v, void *field, const struct config_key *k,
                       struct config_error *err)
{
        char **l = strv_split(v);

        if (!l)
                return -ENOMEM;
        for (char **m = l; *m; m++) {
                const char *eq = strchr(*m, '=');
                if (!eq || !namespace_name_valid(*m, (size_t) (eq - *m)) ||
                    (strcmp(eq + 1, "prefer") != 0 && strcmp(eq + 1, "avoid") != 0 &&
                     strcmp(eq + 1, "protect") != 0)) {
                        int r = key_fail(err, k, SHOWN " is not NAMESPACE=prefer|avoid|protect",
                                         *m);
                        strv_free(l);
                        return r;
                }
        }
        strv_free(*(char ***) field);
        *(char ***) field = l;
        return 0;
}

static int parse_stall(const char *v, void *field, const struct config_key *k,
                       struct config_error *err)
{
        if (strcmp(v, "some") == 0)
                *(enum psi_stall *) field = PSI_STALL_SOME;
        else if (strcmp(v, "full") == 0)
                *(enum psi_stall *) field = PSI_STALL_FULL;
        else
                return key_fail(err, k, SHOWN " is not a stall kind (use some or full)", v);
        return 0;
}

/* ---- value printers: " value" in the file's syntax, nothing for an empty value ---- */

static void print_bool(const void *field, FILE *f)
{
        fputs(*(const int *) field ? " yes" : " no", f);
}

/* The largest unit that is exact, so the text parses back to the same usec. */
static const char *format_duration(uint64_t usec, char buf[static DURATION_STR_MAX])
{
        size_t i = 0;

        if (usec == 0) {
                snprintf(buf, DURATION_STR_MAX, "0s");
                return buf;
        }
        while (usec % duration_units[i].usec != 0)
                i++;
        snprintf(buf, DURATION_STR_MAX, "%" PRIu64 "%s", usec / duration_units[i].usec,
                 duration_units[i].suffix);
        return buf;
}

static void print_duration(const void *field, FILE *f)
{
        char buf[DURATION_STR_MAX];

        fprintf(f, " %s", format_duration(*(const uint64_t *) field, buf));
}

static void print_unsigned(const void *field, FILE *f)
{
        fprintf(f, " %u", *(const unsigned *) field);
}

/* The shortest of %.15g and %.17g that reads back as the same double. */
static void print_double(const void *field, FILE *f)
{
        double d = *(const double *) field;
        char buf[32];

        snprintf(buf, sizeof(buf), "%.15g", d);
        if (strtod(buf, NULL) != d)
                snprintf(buf, sizeof(buf), "%.17g", d);
        fprintf(f, " %s", buf);
}

static void print_path(const void *field, FILE *f)
{
        const char *s = *(char *const *) field;

        if (s && *s)
                fprintf(f, " %s", s);
}

static void print_globs(const void *field, FILE *f)
{
        for (char *const *g = *(char **const *) field; g && *g; g++)
                fprintf(f, " %s", *g);
}

static void print_stall(const void *field, FILE *f)
{
        fputs(*(const enum psi_stall *) field == PSI_STALL_FULL ? " full" : " some", f);
}

/* ---- owned values ---- */

static void release_path(void *field)
{
        free(*(char **) field);
        *(char **) field = NULL;
}

static void release_globs(void *field)
{
        strv_free(*(char ***) field);
        *(char ***) field = NULL;
}

static int dup_path(void *dst, const void *src)
{
        const char *s = *(char *const *) src;

        *(char **) dst = s ? strdup(s) : NULL;
        return !s || *(char **) dst ? 0 : -ENOMEM;
}

static int dup_globs(void *dst, const void *src)
{
        char *const *from = *(char **const *) src;
        size_t n = 0;
        char **l;

        while (from && from[n])
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(from[i]);
                if (!l[i]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *(char ***) dst = l;
        return 0;
}

struct key_ops {
        int (*parse)(const char *v, void *field, const struct config_key *k,
                     struct config_error *err);
        void (*print)(const void *field, FILE *f);
        void (*release)(void *field);           /* NULL: nothing owned */
        int (*dup)(void *dst, const void *src); /* NULL: a plain copy will do */
};

static const struct key_ops key_ops[KEY_TYPE_MAX] = {
        [KEY_BOOL] = {parse_bool, print_bool, NULL, NULL},
        [KEY_DURATION] = {parse_duration, print_duration, NULL, NULL},
        [KEY_UNSIGNED] = {parse_unsigned, print_unsigned, NULL, NULL},
        [KEY_FRACTION] = {parse_fraction, print_double, NULL, NULL},
        [KEY_PERCENT] = {parse_percent, print_double, NULL, NULL},
        [KEY_PATH] = {parse_path, print_path, release_path, dup_path},
        [KEY_GLOBS] = {parse_globs, print_globs, release_globs, dup_globs},
        [KEY_STALL] = {parse_stall, print_stall, NULL, NULL},
        [KEY_MARKS] = {parse_marks, print_globs, release_globs, dup_globs},
};

static void *field_of(struct cgmem_config *c, const struct config_key *k)
{
        return (char *) c + k->offset;
}

static const void *const_field_of(const struct cgmem_config *c, const struct config_key *k)
{
        return (const char *) c + k->offset;
}

/* ---- keys and sections ---- */

/* The table's own spelling of a section, so a parse state can point at it. */
static const char *section_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, name) == 0)
                        return config_keys[i].section;
        return NULL;
}

static const struct config_key *key_find(const char *section, const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, section) == 0 &&
                    strcmp(config_keys[i].name, name) == 0)
                        return &config_keys[i];
        return NULL;
}

/* "cgroup, sampling, ..." (section NULL) or the keys of one section, for messages. */
static const char *known_names(const char *section, char *buf, size_t size)
{
        const char *last = NULL;
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(config_keys) && len < size; i++) {
                const struct config_key *k = &config_keys[i];
                const char *name = section ? k->name : k->section;
                if ((section && strcmp(k->section, section) != 0) ||
                    (last && strcmp(name, last) == 0))
                        continue;
                len += (size_t) snprintf(buf + len, size - len, "%s%s", last ? ", " : "", name);
                last = name;
        }
        return buf;
}

static int unknown_section(struct config_error *err, const char *name)
{
        char known[128];

        return fail(err, "unknown section \"[%.80s]\" (known: %s)", name,
                    known_names(NULL, known, sizeof(known)));
}

static int config_assign(struct cgmem_config *c, const char *section, const char *name,
                         const char *value, struct config_error *err)
{
        const struct config_key *k;
        char known[128];

        if (name[0] == '\0')
                return fail(err, "no key before \"=\" in [%s]", section);
        k = key_find(section, name);
        if (!k)
                return fail(err, "unknown key \"%.80s\" in [%s] (known: %s)", name, section,
                            known_names(section, known, sizeof(known)));
        return key_ops[k->type].parse(value, field_of(c, k), k, err);
}

/* ---- the file ---- */

static char *strip(char *s)
{
        size_t n;

        s += strspn(s, WHITESPACE);
        n = strlen(s);
        while (n > 0 && strchr(WHITESPACE, s[n - 1]))
                s[--n] = '\0';
        return s;
}

static int parse_section_header(char *s, const char **section, struct config_error *err)
{
        size_t n = strlen(s);
        const char *found;

        if (n < 3 || s[n - 1] != ']')
                return fail(err, "malformed section header " SHOWN " (expected [name])", s);
        s[n - 1] = '\0';
        found = section_find(s + 1);
        if (!found)
                return unknown_section(err, s + 1);
        *section = found;
        return 0;
}

static int parse_line(struct cgmem_config *c, char *line, const char **section,
                      struct config_error *err)
{
        char *s = strip(line), *eq;
        const char *name;

        if (*s == '\0' || *s == '#' || *s == ';')
                return 0;
        if (*s == '[')
                return parse_section_header(s, section, err);
        eq = strchr(s, '=');
        if (!eq)
                return fail(err, "line has no \"=\": " SHOWN, s);
        *eq = '\0';
        name = strip(s);
        if (!*section)
                return fail(err, "key \"%.80s\" outside of any section (put a [section] above it)",
                            name);
        return config_assign(c, *section, name, strip(eq + 1), err);
}

/* getline() takes NULs and any length; the format takes neither. */
static int check_line(const char *line, size_t len, struct config_error *err)
{
        if (memchr(line, '\0', len))
                return fail(err, "line contains a NUL byte");
        if (len > 0 && line[len - 1] == '\n')
                len--;
        if (len > CONFIG_LINE_MAX)
                return fail(err, "line is longer than %d bytes", CONFIG_LINE_MAX);
        return 0;
}

static int parse_stream(struct cgmem_config *c, FILE *f, const char *path, struct config_error *err)
{
        _cleanup_free_ char *line = NULL;
        const char *section = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        ssize_t n;

        while ((n = getline(&line, &cap, f)) >= 0) {
                int r;
                lineno++;
                r = check_line(line, (size_t) n, err);
                if (r >= 0)
                        r = parse_line(c, line, &section, err);
                if (r < 0) {
                        set_where(err, "%s:%u", path, lineno);
                        return r;
                }
        }
        if (ferror(f))
                return io_fail(err, path, errno > 0 ? -errno : -EIO);
        return 0;
}

/* A deep copy, so a file that fails halfway leaves the caller's config as it was. */
static int config_copy(struct cgmem_config *dst, const struct cgmem_config *src)
{
        *dst = *src;
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (key_ops[config_keys[i].type].dup)
                        *(void **) field_of(dst, &config_keys[i]) = NULL;
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const struct config_key *k = &config_keys[i];
                if (key_ops[k->type].dup &&
                    key_ops[k->type].dup(field_of(dst, k), const_field_of(src, k)) < 0) {
                        config_free(dst);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* ---- public ---- */

void config_init_defaults(struct cgmem_config *c)
{
        struct config_error err;

        *c = (struct cgmem_config){0};
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const struct config_key *k = &config_keys[i];
                /* Only a few bytes at startup can fail here, and the API has no way to say so. */
                if (key_ops[k->type].parse(k->default_value, field_of(c, k), k, &err) < 0)
                        abort();
        }
}

void config_free(struct cgmem_config *c)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (key_ops[config_keys[i].type].release)
                        key_ops[config_keys[i].type].release(field_of(c, &config_keys[i]));
}

int config_load_file(struct cgmem_config *c, const char *path, int must_exist,
                     struct config_error *err)
{
        _cleanup_(fclosep) FILE *f = NULL;
        struct config_error ignored;
        struct cgmem_config next;
        int r;

        if (!err)
                err = &ignored;
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT && !must_exist ? 0 : io_fail(err, path, -errno);
        r = config_copy(&next, c);
        if (r < 0)
                return io_fail(err, path, r);
        r = parse_stream(&next, f, path, err);
        if (r < 0) {
                config_free(&next);
                return r == -ENOMEM ? io_fail(err, path, r) : r;
        }
        config_free(c);
        *c = next;
        return 0;
}

static int set_assignment(struct cgmem_config *c, char *s, struct config_error *err)
{
        char *eq = strchr(s, '='), *name, *dot;
        const char *section;

        if (!eq)
                return fail(err, SHOWN " has no \"=\" (use section.key=value)", s);
        *eq = '\0';
        name = strip(s);
        dot = strchr(name, '.');
        if (!dot)
                return fail(err,
                            "\"%.80s\" has no section (use section.key=value, e.g. "
                            "psi.window=2s)",
                            name);
        *dot = '\0';
        section = section_find(name);
        if (!section)
                return unknown_section(err, name);
        return config_assign(c, section, dot + 1, strip(eq + 1), err);
}

int config_set(struct cgmem_config *c, const char *assignment, struct config_error *err)
{
        _cleanup_free_ char *copy = strdup(assignment);
        struct config_error ignored;
        int r;

        if (!err)
                err = &ignored;
        if (!copy)
                return -ENOMEM;
        r = set_assignment(c, copy, err);
        if (r < 0)
                set_where(err, "--set");
        return r;
}

/* ---- validation ---- */

#define INTERVAL_MIN_USEC (10 * USEC_PER_MSEC)
#define QUEUE_MIN         16
#define MAX_TRIGGERS_MAX  10000

static int validate_psi(const struct cgmem_config *c, struct config_error *err)
{
        char a[DURATION_STR_MAX], b[DURATION_STR_MAX];

        if (c->psi_window_usec < PSI_WINDOW_MIN_USEC || c->psi_window_usec > PSI_WINDOW_MAX_USEC)
                return fail(err,
                            "[psi] window: %s is outside 500ms..10s, the kernel's limits for a "
                            "PSI trigger",
                            format_duration(c->psi_window_usec, a));
        if (c->psi_threshold_usec == 0 || c->psi_threshold_usec > c->psi_window_usec)
                return fail(err,
                            "[psi] threshold: %s must be above 0 and at most [psi] window (%s)",
                            format_duration(c->psi_threshold_usec, a),
                            format_duration(c->psi_window_usec, b));
        if (c->psi_max_triggers > MAX_TRIGGERS_MAX)
                return fail(err,
                            "[psi] max_triggers: %u is above %d (each trigger costs a kernel "
                            "psimon thread per cgroup)",
                            c->psi_max_triggers, MAX_TRIGGERS_MAX);
        return 0;
}

static int validate_sampling(const struct cgmem_config *c, struct config_error *err)
{
        char a[DURATION_STR_MAX], b[DURATION_STR_MAX];

        if (c->interval_usec < INTERVAL_MIN_USEC)
                return fail(err, "[sampling] interval: %s is below 10ms",
                            format_duration(c->interval_usec, a));
        if (c->rescan_interval_usec < c->interval_usec)
                return fail(err, "[sampling] rescan: %s is below [sampling] interval (%s)",
                            format_duration(c->rescan_interval_usec, a),
                            format_duration(c->interval_usec, b));
        return 0;
}

static int validate_events(const struct cgmem_config *c, struct config_error *err)
{
        if (c->events_queue < QUEUE_MIN)
                return fail(err, "[events] queue: %u is below %d", c->events_queue, QUEUE_MIN);
        if (c->kernel_memory_interval_usec == 0)
                return fail(err, "[events] kernel_memory_interval: 0s is not an interval");
        return 0;
}

int config_validate(const struct cgmem_config *c, struct config_error *err)
{
        struct config_error ignored;
        int r;

        if (!err)
                err = &ignored;
        r = validate_sampling(c, err);
        if (r >= 0)
                r = validate_psi(c, err);
        if (r >= 0)
                r = validate_events(c, err);
        if (r < 0)
                set_where(err, "configuration");
        return r;
}

int config_write(const struct cgmem_config *c, FILE *f)
{
        const char *section = NULL;

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const struct config_key *k = &config_keys[i];
                if (!section || strcmp(k->section, section) != 0)
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                section = k->section;
                fprintf(f, "%s =", k->name);
                key_ops[k->type].print(const_field_of(c, k), f);
                fputc('\n', f);
        }
        if (fflush(f) != 0 || ferror(f))
                return errno > 0 ? -errno : -EIO;
        return 0;
}
