/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ps.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exit-status.h"
#include "base/log.h"
#include "base/units.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/sample.h"
#include "names/display.h"
#include "names/names-json.h"
#include "names/names-session.h"
#include "registry/cgroot.h"
#include "view/table.h"

static void format_pct(double pct, char *buf, size_t size)
{
        if (pct < 0)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%.1f", pct);
}

static void print_header(void)
{
        printf("%7s %7s %7s %7s %5s %7s %7s %6s %6s %6s %5s  %-24s %s\n", "CURRENT", "WSET", "HIGH",
               "MAX", "%MAX", "ANON", "FILE", "KERN%", "SOME10", "FULL10", "OOMK", "NAME", "PATH");
}

/* "namespace/pod/container" in a pod, the runtime's name elsewhere, the short id until known. */
static void format_name(const struct container_identity *id, const struct container_meta *m,
                        char *buf, size_t size)
{
        size_t n = 0;

        if (m && m->pod_name) {
                names_display_pod(id, m, buf, size);
                n = strlen(buf);
                if (n + 1 < size)
                        buf[n++] = '/';
        }
        names_display_name(id, m, "-", buf + n, size - n);
}

static void print_row(struct names_session *names, const struct cgroup *row)
{
        struct container_identity id;
        const struct container_meta *m = names_session_meta(names, row->path, &id);
        char name[256];
        const struct memcg_sample *s = &row->sample;
        char cur[BYTES_STR_MAX], ws[BYTES_STR_MAX], high[BYTES_STR_MAX], max[BYTES_STR_MAX];
        char anon[BYTES_STR_MAX], file[BYTES_STR_MAX], pct[16], some[16], full[16];
        int has_psi = !!(s->have & MEMCG_HAVE_PSI);

        format_pct(memcg_usage_pct_of_max(s), pct, sizeof(pct));
        format_pct(has_psi ? view_psi_pct(s->psi.some.avg10) : -1, some, sizeof(some));
        format_pct(has_psi && s->psi.has_full ? view_psi_pct(s->psi.full.avg10) : -1, full,
                   sizeof(full));
        format_name(&id, m, name, sizeof(name));
        printf("%7s %7s %7s %7s %5s %7s %7s %6.1f %6s %6s %5llu  %-24s %s\n",
               format_bytes(s->current_bytes, cur), format_bytes(memcg_working_set_bytes(s), ws),
               format_bytes(s->high_bytes, high), format_bytes(s->max_bytes, max), pct,
               format_bytes(s->stat.anon, anon), format_bytes(s->stat.file, file),
               memcg_kernel_share_pct(s), some, full, (unsigned long long) s->events.oom_kill, name,
               row->path);
}

static int print_json_row(struct names_session *names, const struct cgroup *row)
{
        struct container_identity id;
        const struct container_meta *m = names_session_meta(names, row->path, &id);
        json_t *o = view_row_json(row);

        if (!o)
                return -ENOMEM;
        if (id.runtime != RUNTIME_UNKNOWN) {
                json_object_set_new(o, "container", names_container_json(&id, m, true));
                json_t *k8s = names_kubernetes_json(&id, m);
                if (k8s)
                        json_object_set_new(o, "kubernetes", k8s);
        }
        int r = json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(o);
        if (r < 0)
                return -EIO;
        putchar('\n');
        return 0;
}

/* Asks the runtimes about every row at once, then waits (bounded) for the answers. */
static void resolve_names(struct names_session *names, const struct view_table *t)
{
        struct container_identity id;

        for (size_t i = 0; i < t->n_rows; i++)
                names_session_meta(names, t->rows[i]->path, &id);
        names_session_wait(names);
}

static int print_table(struct names_session *names, const struct view_table *t, int json)
{
        if (names->names)
                resolve_names(names, t);
        if (!json)
                print_header();
        for (size_t i = 0; i < t->n_rows; i++) {
                if (!json)
                        print_row(names, t->rows[i]);
                else if (print_json_row(names, t->rows[i]) < 0)
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
               "  --no-names    do not ask the container runtimes for names\n"
               "  -c, --config PATH  where the runtimes' sockets are ([runtimes]; default\n"
               "                /etc/cgmem/cgmem.conf)\n"
               "  -h, --help    show this help\n");
}

static int parse_sort_key(const char *name, view_key_fn *ret)
{
        const struct view_sort_key *k = view_sort_key_find(name);
        if (!k) {
                log_error("unknown sort key \"%s\"; see cgmem ps --help", name);
                return -EINVAL;
        }
        *ret = k->value;
        return 0;
}

struct ps_options {
        const char *root;
        int json;
        int all;
        int no_names;
        const char *config;
        view_key_fn sort_key;
};

/* Returns 0 to go on, 1 when --help was shown, or -EINVAL. */
static int parse_ps_options(int argc, char *argv[], struct ps_options *o)
{
        static const struct option options[] = {
                {"root", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
                {"sort", required_argument, NULL, 's'}, {"all", no_argument, NULL, 'a'},
                {"no-names", no_argument, NULL, 'n'},   {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},       {0},
        };
        int c;

        *o = (struct ps_options){.sort_key = view_key_wset};
        while ((c = getopt_long(argc, argv, "hc:", options, NULL)) >= 0) {
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
                case 'n':
                        o->no_names = 1;
                        break;
                case 'c':
                        o->config = optarg;
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
        struct view_table t;

        int r = parse_ps_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        _cleanup_close_ int rootfd = cgroot_open(o.root);
        if (rootfd < 0)
                return EXIT_RUNTIME;
        if (view_table_init(&t, &(struct classify_rules){0}) < 0) {
                log_error("out of memory");
                return EXIT_RUNTIME;
        }

        t.all = o.all;
        r = view_table_refresh(&t, rootfd);
        if (r < 0)
                log_error("cannot walk the cgroup tree: %s", strerror(-r));
        else {
                view_rows_sort(t.rows, t.n_rows, o.sort_key);
                struct names_session names = {0};
                if (!o.no_names)
                        names_session_open(&names, o.config);
                r = print_table(&names, &t, o.json);
                names_session_close(&names);
                if (r < 0)
                        log_error("cannot write the table: %s", strerror(-r));
        }
        int failed = r < 0 || t.n_failed > 0;
        view_table_done(&t);
        return failed ? EXIT_RUNTIME : EXIT_OK;
}
