/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ps.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroot.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/sample.h"
#include "cgroupfs/walk.h"
#include "exit-status.h"
#include "json-util.h"
#include "log.h"
#include "units.h"

struct ps_row {
        char *path; /* "/system.slice/foo.service" */
        struct memcg_sample sample;
};

struct ps_table {
        struct ps_row *rows;
        size_t n_rows;
        size_t allocated;
        int all;           /* every memory cgroup, not only leaves */
        unsigned n_failed; /* cgroups that could not be read */
};

/* A numeric sort key; larger values sort first. */
typedef double (*ps_key_fn)(const struct memcg_sample *s);

static double key_current(const struct memcg_sample *s)
{
        return (double) s->current_bytes;
}
static double key_wset(const struct memcg_sample *s)
{
        return (double) memcg_working_set_bytes(s);
}
static double key_high(const struct memcg_sample *s)
{
        return (double) s->high_bytes;
}
static double key_max(const struct memcg_sample *s)
{
        return (double) s->max_bytes;
}
static double key_pct(const struct memcg_sample *s)
{
        return memcg_usage_pct_of_max(s);
}
static double key_anon(const struct memcg_sample *s)
{
        return (double) s->stat.anon;
}
static double key_file(const struct memcg_sample *s)
{
        return (double) s->stat.file;
}
static double key_kernel(const struct memcg_sample *s)
{
        return memcg_kernel_share_pct(s);
}
static double key_some(const struct memcg_sample *s)
{
        return s->psi.some.avg10;
}
static double key_full(const struct memcg_sample *s)
{
        return s->psi.full.avg10;
}
static double key_oom(const struct memcg_sample *s)
{
        return (double) s->events.oom_kill;
}

static const struct {
        const char *name;
        ps_key_fn value; /* NULL: by path, ascending */
} sort_keys[] = {
        {"path", NULL},         {"current", key_current}, {"wset", key_wset}, {"high", key_high},
        {"max", key_max},       {"pct", key_pct},         {"anon", key_anon}, {"file", key_file},
        {"kernel", key_kernel}, {"some", key_some},       {"full", key_full}, {"oom", key_oom},
};

static ps_key_fn sort_key; /* qsort has no context argument */

static int compare_rows(const void *a, const void *b)
{
        const struct ps_row *x = a, *y = b;

        if (sort_key) {
                double vx = sort_key(&x->sample), vy = sort_key(&y->sample);
                if (vx != vy)
                        return vx < vy ? 1 : -1;
        }
        return strcmp(x->path, y->path);
}

static int table_append(struct ps_table *t, const char *path, const struct memcg_sample *s)
{
        if (t->n_rows == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 64;
                struct ps_row *rows = reallocarray(t->rows, n, sizeof(*rows));
                if (!rows)
                        return -ENOMEM;
                t->rows = rows;
                t->allocated = n;
        }
        char *copy = NULL;
        if (asprintf(&copy, "/%s", path) < 0)
                return -ENOMEM;
        t->rows[t->n_rows++] = (struct ps_row){.path = copy, .sample = *s};
        return 0;
}

static void table_free(struct ps_table *t)
{
        for (size_t i = 0; i < t->n_rows; i++)
                free(t->rows[i].path);
        free(t->rows);
}

static int collect_row(const struct cg_walk_entry *e, void *userdata)
{
        struct ps_table *t = userdata;
        struct memcg_sample s;
        const char *file = NULL;

        if (e->delegates_memory && !t->all)
                return 0;
        int r = memcg_sample_read_once(e->dirfd, &s, &file);
        if (errno_is_gone(r) && !cg_alive(e->dirfd))
                return 0; /* removed between listing and reading: not an error */
        if (r < 0) {
                log_warning("/%s/%s: %s", e->path, file ? file : "?", strerror(-r));
                t->n_failed++;
                return 0;
        }
        return table_append(t, e->path, &s);
}

/* PSI averages are kept in hundredths of a percent. */
static double psi_pct(uint32_t hundredths)
{
        return hundredths / 100.0;
}

static void format_pct(double pct, char *buf, size_t size)
{
        if (pct < 0)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%.1f", pct);
}

static void print_header(void)
{
        printf("%7s %7s %7s %7s %5s %7s %7s %6s %6s %6s %5s  %s\n", "CURRENT", "WSET", "HIGH",
               "MAX", "%MAX", "ANON", "FILE", "KERN%", "SOME10", "FULL10", "OOMK", "PATH");
}

static void print_row(const struct ps_row *row)
{
        const struct memcg_sample *s = &row->sample;
        char cur[BYTES_STR_MAX], ws[BYTES_STR_MAX], high[BYTES_STR_MAX], max[BYTES_STR_MAX];
        char anon[BYTES_STR_MAX], file[BYTES_STR_MAX], pct[16], some[16], full[16];
        int has_psi = !!(s->have & MEMCG_HAVE_PSI);

        format_pct(memcg_usage_pct_of_max(s), pct, sizeof(pct));
        format_pct(has_psi ? psi_pct(s->psi.some.avg10) : -1, some, sizeof(some));
        format_pct(has_psi && s->psi.has_full ? psi_pct(s->psi.full.avg10) : -1, full,
                   sizeof(full));
        printf("%7s %7s %7s %7s %5s %7s %7s %6.1f %6s %6s %5llu  %s\n",
               format_bytes(s->current_bytes, cur), format_bytes(memcg_working_set_bytes(s), ws),
               format_bytes(s->high_bytes, high), format_bytes(s->max_bytes, max), pct,
               format_bytes(s->stat.anon, anon), format_bytes(s->stat.file, file),
               memcg_kernel_share_pct(s), some, full, (unsigned long long) s->events.oom_kill,
               row->path);
}

static json_t *row_psi_json(const struct memcg_sample *s)
{
        if (!(s->have & MEMCG_HAVE_PSI))
                return json_null();
        return json_pack("{s:f, s:o}", "some_avg10", psi_pct(s->psi.some.avg10), "full_avg10",
                         s->psi.has_full ? json_real(psi_pct(s->psi.full.avg10)) : json_null());
}

static json_t *row_json(const struct ps_row *row)
{
        const struct memcg_sample *s = &row->sample;

        return json_pack(
                "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:o, s:o, "
                "s:o, s:o}",
                "path", row->path, "current_bytes", json_u64(s->current_bytes), "peak_bytes",
                s->have & MEMCG_HAVE_PEAK ? json_u64(s->peak_bytes) : json_null(),
                "working_set_bytes", json_u64(memcg_working_set_bytes(s)), "min_bytes",
                json_u64(s->min_bytes), "low_bytes", json_u64(s->low_bytes), "high_bytes",
                json_u64(s->high_bytes), "max_bytes", json_u64(s->max_bytes), "max_pct",
                json_pct(memcg_usage_pct_of_max(s)), "anon_bytes", json_u64(s->stat.anon),
                "file_bytes", json_u64(s->stat.file), "kernel_bytes",
                json_u64(memcg_kernel_bytes(s)), "kernel_share_pct", memcg_kernel_share_pct(s),
                "sock_bytes", json_u64(s->stat.sock), "swap_current_bytes",
                s->have & MEMCG_HAVE_SWAP ? json_u64(s->swap_current_bytes) : json_null(), "psi",
                row_psi_json(s), "events", json_memcg_events(&s->events));
}

static int print_json_row(const struct ps_row *row)
{
        json_t *o = row_json(row);
        if (!o)
                return -ENOMEM;
        int r = json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(o);
        if (r < 0)
                return -EIO;
        putchar('\n');
        return 0;
}

static int print_table(const struct ps_table *t, int json)
{
        if (!json)
                print_header();
        for (size_t i = 0; i < t->n_rows; i++) {
                if (!json)
                        print_row(&t->rows[i]);
                else if (print_json_row(&t->rows[i]) < 0)
                        return -ENOMEM;
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

static void ps_help(void)
{
        printf("Usage: cgmem ps [OPTIONS]\n"
               "\n"
               "Show the memory of every container cgroup once.\n"
               "\n"
               "  --root DIR    cgroup v2 tree to read (default: the host's cgroup2 mount)\n"
               "  --json        one JSON object per cgroup per line, byte values as integers\n"
               "  --sort KEY    path, current, wset (default), high, max, pct, anon, file,\n"
               "                kernel, some, full, oom; numbers sort largest first\n"
               "  --all         every cgroup with the memory controller, not only leaves\n"
               "  -h, --help    show this help\n");
}

static int parse_sort_key(const char *name, ps_key_fn *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(sort_keys); i++)
                if (strcmp(name, sort_keys[i].name) == 0) {
                        *ret = sort_keys[i].value;
                        return 0;
                }
        log_error("unknown sort key \"%s\"; see cgmem ps --help", name);
        return -EINVAL;
}

struct ps_options {
        const char *root;
        int json;
        int all;
        ps_key_fn sort_key;
};

/* Returns 0 to go on, 1 when --help was shown, or -EINVAL. */
static int parse_ps_options(int argc, char *argv[], struct ps_options *o)
{
        static const struct option options[] = {
                {"root", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
                {"sort", required_argument, NULL, 's'}, {"all", no_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},       {0},
        };
        int c;

        *o = (struct ps_options){.sort_key = key_wset};
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        o->root = optarg;
                        break;
                case 'j':
                        o->json = 1;
                        break;
                case 's':
                        if (parse_sort_key(optarg, &o->sort_key) < 0)
                                return -EINVAL;
                        break;
                case 'a':
                        o->all = 1;
                        break;
                case 'h':
                        ps_help();
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument \"%s\"; see cgmem ps --help", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int verb_ps(int argc, char *argv[])
{
        struct ps_options o;
        struct ps_table t = {0};

        int r = parse_ps_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        _cleanup_close_ int rootfd = cgroot_open(o.root);
        if (rootfd < 0)
                return EXIT_RUNTIME;

        t.all = o.all;
        r = cg_walk(rootfd, collect_row, &t);
        if (r < 0)
                log_error("cannot walk the cgroup tree: %s", strerror(-r));
        else {
                sort_key = o.sort_key;
                qsort(t.rows, t.n_rows, sizeof(*t.rows), compare_rows);
                r = print_table(&t, o.json);
                if (r < 0)
                        log_error("cannot write the table: %s", strerror(-r));
        }
        int failed = r < 0 || t.n_failed > 0;
        table_free(&t);
        return failed ? EXIT_RUNTIME : EXIT_OK;
}
