/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgmem explain: the last kill or OOM kill of a container, told in plain words
 * from the agent's events file and its per-kill records. This file is the
 * command line and the files; explain-scan.c chooses the event,
 * explain-model.c turns it into facts, explain-render.c and explain-json.c
 * tell them. It reads copies as well as the node's own files: nothing here
 * looks at the live system.
 */
#include "explain.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <libgen.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/exit-status.h"
#include "base/log.h"
#include "cgroupfs/macro.h"
#include "config/config.h"
#include "explain-model.h"
#include "explain-render.h"
#include "explain-scan.h"
#include "top-events.h"

struct explain_options {
        const char *events_file;
        const char *kills_dir;
        const char *config;
        const char *arg;
        bool container; /* arg is a container even when it is all digits */
        bool list;
        bool json;
        bool ascii;
        bool utc;
        int width; /* 0: from the terminal */
};

static void explain_help(void)
{
        printf("Usage: cgmem explain [OPTIONS] [CONTAINER | SEQ]\n"
               "\n"
               "Tells the last kill or OOM kill of a container in plain words: who, when, who\n"
               "killed it and why, how its memory grew (with a plot), its processes, and the\n"
               "numbers of the rule that fired. Reads the agent's events file and its per-kill\n"
               "records; works on copies taken from another machine.\n"
               "\n"
               "  (no argument)         the last kill or OOM kill in the file\n"
               "  CONTAINER             a cgroup path (exact, or a unique suffix or substring),\n"
               "                        a container id (4 hex digits or more), a container\n"
               "                        name or systemd unit, or namespace/pod[/container]\n"
               "  SEQ                   the event with that seq (the last one: an appended\n"
               "                        file holds several agent runs)\n"
               "\n"
               "      --events-file PATH  the events (default: [events] file of the\n"
               "                        configuration, else " TOP_EVENTS_FILE_DEFAULT ");\n"
               "                        - reads standard input (journalctl -o cat ...)\n"
               "      --kills-dir DIR   where the record files are (default: [events]\n"
               "                        kills_dir); a record is also looked for next to the\n"
               "                        events file and in its kills/ folder\n"
               "  -c, --config PATH     the configuration (default " CONFIG_DEFAULT_PATH ")\n"
               "      --container       the argument is a container even if it is all digits\n"
               "  -l, --list            list the kills in the file (of CONTAINER only, if given)\n"
               "      --json            one JSON object (with --list: one per line)\n"
               "  -w, --width N         wrap at N columns (default: the terminal, $COLUMNS, 80)\n"
               "      --ascii           draw the plot with ASCII characters\n"
               "      --utc             times in UTC (default: the local time zone)\n"
               "  -h, --help            show this help\n"
               "\n"
               "Exit status: 0 ok, 1 no such kill or an unreadable file, 2 usage error.\n");
}

static int parse_width(const char *s, int *ret)
{
        char *end;
        long v = strtol(s, &end, 10);

        if (end == s || *end || v < EXPLAIN_WIDTH_MIN || v > 1000)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

/* Returns 0 to go on, 1 when --help was shown, or -EINVAL. */
static int parse_options(int argc, char *argv[], struct explain_options *o)
{
        enum { OPT_EVENTS = 0x100, OPT_KILLS, OPT_CONTAINER, OPT_JSON, OPT_ASCII, OPT_UTC };
        static const struct option options[] = {
                {"events-file", required_argument, NULL, OPT_EVENTS},
                {"kills-dir", required_argument, NULL, OPT_KILLS},
                {"config", required_argument, NULL, 'c'},
                {"container", no_argument, NULL, OPT_CONTAINER},
                {"list", no_argument, NULL, 'l'},
                {"json", no_argument, NULL, OPT_JSON},
                {"width", required_argument, NULL, 'w'},
                {"ascii", no_argument, NULL, OPT_ASCII},
                {"utc", no_argument, NULL, OPT_UTC},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;

        *o = (struct explain_options){0};
        while ((c = getopt_long(argc, argv, "c:lw:h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_EVENTS:
                        o->events_file = optarg;
                        break;
                case OPT_KILLS:
                        o->kills_dir = optarg;
                        break;
                case 'c':
                        o->config = optarg;
                        break;
                case OPT_CONTAINER:
                        o->container = true;
                        break;
                case 'l':
                        o->list = true;
                        break;
                case OPT_JSON:
                        o->json = true;
                        break;
                case 'w':
                        if (parse_width(optarg, &o->width) < 0) {
                                log_error("--width wants columns from %d to 1000, not \"%s\"",
                                          EXPLAIN_WIDTH_MIN, optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_ASCII:
                        o->ascii = true;
                        break;
                case OPT_UTC:
                        o->utc = true;
                        break;
                case 'h':
                        explain_help();
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                o->arg = argv[optind++];
        if (optind < argc) {
                log_error("unexpected argument \"%s\"; see cgmem explain --help", argv[optind]);
                return -EINVAL;
        }
        if (o->container && !o->arg) {
                log_error("--container wants a CONTAINER argument");
                return -EINVAL;
        }
        return 0;
}

/* ---- the files ----------------------------------------------------------------------------- */

struct paths {
        char *events_file; /* "-": stdin */
        char *kills_dir;   /* from the configuration; NULL: none */
        bool events_default;
};

static int resolve_paths(const struct explain_options *o, struct paths *p)
{
        struct cgmem_config c;
        struct config_error err;

        config_init_defaults(&c);
        int r = config_load_file(&c, o->config ?: CONFIG_DEFAULT_PATH, !!o->config, &err);
        if (r < 0) {
                log_error("%s: %s", err.where, err.message);
                config_free(&c);
                return r;
        }
        *p = (struct paths){0};
        if (o->events_file)
                p->events_file = strdup(o->events_file);
        else if (c.events_file && c.events_file[0])
                p->events_file = strdup(c.events_file);
        else {
                p->events_file = strdup(TOP_EVENTS_FILE_DEFAULT);
                p->events_default = true;
        }
        if (c.kills_dir && c.kills_dir[0])
                p->kills_dir = strdup(c.kills_dir);
        config_free(&c);
        return p->events_file ? 0 : -ENOMEM;
}

static int scan_file(const char *path, bool is_default, struct explain_scan *scan)
{
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t n;
        int r = 0;

        if (strcmp(path, "-") == 0)
                f = fdopen(dup(STDIN_FILENO), "re");
        else
                f = fopen(path, "re");
        if (!f) {
                log_error("cannot read the events file %s: %m%s", path,
                          is_default && errno == ENOENT
                                  ? " (the agent writes one with [events] file = PATH; "
                                    "--events-file reads another)"
                                  : "");
                return -errno;
        }
        while (r >= 0 && (n = getline(&line, &size, f)) >= 0)
                r = explain_scan_line(scan, line,
                                      (size_t) n && line[n - 1] == '\n' ? (size_t) n - 1
                                                                        : (size_t) n);
        if (r >= 0 && ferror(f)) {
                log_error("cannot read the events file %s: %m", path);
                return -EIO;
        }
        if (r < 0)
                log_error("out of memory reading %s", path);
        return r;
}

/* ---- choosing the event -------------------------------------------------------------------- */

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

static void list_candidates(const struct explain_scan *scan, const struct explain_match_result *m)
{
        char name[EXPLAIN_STR_MAX];

        for (size_t i = 0; i < m->n_candidates; i++) {
                const struct explain_target *t = m->candidates[i];
                const struct explain_entry *x = &scan->entries[t->last];
                explain_target_display(t, name, sizeof(name));
                fprintf(stderr, "  %-16s %s  (last: %s, event %llu of run %u)\n", name, t->cgroup,
                        x->type, (unsigned long long) x->seq, x->run);
        }
        if (m->n_matched > m->n_candidates)
                fprintf(stderr, "  ... and %zu more\n", m->n_matched - m->n_candidates);
}

static int choose_by_container(const struct explain_scan *scan, const char *arg, const char *path,
                               const struct explain_entry **ret_entry, const char **ret_line)
{
        struct explain_match_result m;

        explain_match(scan, arg, &m);
        switch (m.match) {
        case EXPLAIN_MATCH_ONE:
                *ret_entry = &scan->entries[m.target->last];
                *ret_line = m.target->last_line;
                return 0;
        case EXPLAIN_MATCH_NO_KILL:
                log_error("%s (%s) was never killed in %s: no kill or oom_kill event names it", arg,
                          m.target->cgroup, path);
                return -ENOENT;
        case EXPLAIN_MATCH_AMBIGUOUS:
                log_error("\"%s\" names %zu killed containers in %s; say which (a longer name, an "
                          "id, the cgroup path, or the event's seq):",
                          arg, m.n_matched, path);
                list_candidates(scan, &m);
                return -EINVAL;
        default:
                log_error("no container in %s is called \"%s\" (cgmem explain --list shows the "
                          "kills)",
                          path, arg);
                return -ENOENT;
        }
}

static int choose_by_seq(const struct explain_scan *scan, const char *path,
                         const struct explain_entry **ret_entry, const char **ret_line)
{
        unsigned long long seq = (unsigned long long) scan->want_seq;

        if (!scan->seq_line) {
                log_error("no event in %s has seq %llu", path, seq);
                return -ENOENT;
        }
        if (scan->seq_truncated) {
                log_error("event %llu (run %u, line %zu) of %s was truncated to its envelope: "
                          "there is nothing left to explain",
                          seq, scan->seq_run, scan->seq_line_no, path);
                return -ENOENT;
        }
        const struct explain_entry *x = explain_entry_at(scan, scan->seq_line_no);
        if (!x || !x->target) {
                log_error("event %llu (run %u, line %zu) of %s is a %s, not a kill: explain takes "
                          "kill, kill_failed, a kill decision and oom_kill",
                          seq, scan->seq_run, scan->seq_line_no, path, scan->seq_type);
                return -ENOENT;
        }
        *ret_entry = x;
        *ret_line = scan->seq_line;
        return 0;
}

static int choose(const struct explain_scan *scan, const struct explain_options *o,
                  const char *path, const struct explain_entry **ret_entry, const char **ret_line)
{
        if (scan->want_seq)
                return choose_by_seq(scan, path, ret_entry, ret_line);
        if (o->arg)
                return choose_by_container(scan, o->arg, path, ret_entry, ret_line);
        const struct explain_entry *x = explain_last_kill(scan);
        if (!x) {
                log_error("no kill or OOM kill in %s (%zu lines read)", path, scan->n_lines);
                return -ENOENT;
        }
        *ret_entry = x;
        *ret_line = x->target->last_line;
        return 0;
}

/* ---- the record file ----------------------------------------------------------------------- */

#define RECORD_PLACES 5

static size_t record_places(const struct explain *e, const struct explain_options *o,
                            const struct paths *p, char places[RECORD_PLACES][EXPLAIN_PATH_MAX])
{
        _cleanup_free_ char *copy = strdup(e->record), *events = strdup(p->events_file);
        const char *base = copy ? basename(copy) : NULL;
        size_t n = 0;

        if (!base || !*base || !events)
                return 0;
        if (o->kills_dir)
                snprintf(places[n++], EXPLAIN_PATH_MAX, "%s/%s", o->kills_dir, base);
        snprintf(places[n++], EXPLAIN_PATH_MAX, "%s", e->record);
        if (!o->kills_dir && p->kills_dir)
                snprintf(places[n++], EXPLAIN_PATH_MAX, "%s/%s", p->kills_dir, base);
        if (strcmp(p->events_file, "-") != 0) {
                const char *dir = dirname(events);
                snprintf(places[n++], EXPLAIN_PATH_MAX, "%s/%s", dir, base);
                snprintf(places[n++], EXPLAIN_PATH_MAX, "%s/kills/%s", dir, base);
        }
        return n;
}

/* 1: taken, 0: not there, < 0: there but not usable (a note says why). */
static int try_record(struct explain *e, const char *place)
{
        json_error_t err;
        char why[256];

        if (access(place, F_OK) < 0)
                return 0;
        json_t *record = json_load_file(place, 0, &err);
        if (!record) {
                explain_add_note(e, "The record %s cannot be read: %s (line %d).", place, err.text,
                                 err.line);
                return -EINVAL;
        }
        int r = -EINVAL;
        if (!explain_record_matches(e, record))
                explain_add_note(e, "The record %s belongs to another event: not used.", place);
        else if (explain_apply_record(e, record, why, sizeof(why)) < 0)
                explain_add_note(e, "The record %s was not used: %s.", place, why);
        else {
                snprintf(e->record_used, sizeof(e->record_used), "%.*s",
                         (int) sizeof(e->record_used) - 1, place);
                r = 1;
        }
        json_decref(record);
        return r;
}

static void load_record(struct explain *e, const struct explain_options *o, const struct paths *p)
{
        char places[RECORD_PLACES][EXPLAIN_PATH_MAX], looked[RECORD_PLACES * 64];
        size_t n, used = 0;

        if (!e->record[0])
                return;
        n = record_places(e, o, p, places);
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen = seen || strcmp(places[i], places[j]) == 0;
                if (!seen && try_record(e, places[i]) > 0)
                        return;
        }
        looked[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                char *slash = strrchr(places[i], '/');
                bool seen = false;
                if (slash)
                        *slash = '\0'; /* the folder */
                for (size_t j = 0; j < i; j++)
                        seen = seen || strcmp(places[i], places[j]) == 0;
                if (seen)
                        continue;
                int k = snprintf(looked + used, sizeof(looked) - used, "%s%s", used ? ", " : "",
                                 slash ? places[i] : ".");
                used += k > 0 && (size_t) k < sizeof(looked) - used ? (size_t) k : 0;
        }
        explain_add_note(e,
                         "Its record file %s was not found (looked in %s): the plot and the "
                         "processes come from the event alone.",
                         e->record, looked);
}

static void add_input_notes(struct explain *e, const struct explain_scan *scan, const char *path)
{
        char lines[128] = "";
        size_t used = 0;

        for (size_t i = 0; i < scan->n_malformed && i < EXPLAIN_BAD_LINES; i++) {
                int k = snprintf(lines + used, sizeof(lines) - used, "%s%zu", i ? ", " : "",
                                 scan->bad_lines[i]);
                used += k > 0 && (size_t) k < sizeof(lines) - used ? (size_t) k : 0;
        }
        if (scan->n_malformed)
                explain_add_note(
                        e, "%zu line%s of %s %s not an event and %s skipped (line%s %s%s).",
                        scan->n_malformed, scan->n_malformed == 1 ? "" : "s", path,
                        scan->n_malformed == 1 ? "is" : "are",
                        scan->n_malformed == 1 ? "was" : "were", scan->n_malformed == 1 ? "" : "s",
                        lines, scan->n_malformed > EXPLAIN_BAD_LINES ? ", ..." : "");
        if (scan->n_truncated_kills)
                explain_add_note(e,
                                 "%zu kill event%s of %s %s truncated (longer than a line may be) "
                                 "and cannot be explained.",
                                 scan->n_truncated_kills, scan->n_truncated_kills == 1 ? "" : "s",
                                 path, scan->n_truncated_kills == 1 ? "was" : "were");
}

/* ---- output -------------------------------------------------------------------------------- */

static void output_style(const struct explain_options *o, struct explain_style *st)
{
        struct winsize ws;
        const char *columns = getenv("COLUMNS");
        int w = 0;

        *st = (struct explain_style){.width = EXPLAIN_WIDTH_DEFAULT, .utc = o->utc};
        if (o->width)
                st->width = o->width;
        else if (columns && parse_width(columns, &w) == 0)
                st->width = w;
        else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= EXPLAIN_WIDTH_MIN)
                st->width = ws.ws_col;
        if (st->width > 160)
                st->width = 160; /* prose longer than that is hard to read */
        st->unicode =
                !o->ascii && setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

static bool color_wanted(void)
{
        const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

        return isatty(STDOUT_FILENO) && !(no_color && *no_color) &&
               !(term && strcmp(term, "dumb") == 0);
}

static int print_screen(const struct top_screen *s)
{
        if (s->oom)
                return -ENOMEM;
        int r = color_wanted() ? top_screen_print_color(s, stdout)
                               : top_screen_print_plain(s, stdout);
        return r < 0 || fflush(stdout) != 0 ? -EIO : 0;
}

static int print_explain(const struct explain *e, const struct explain_options *o)
{
        struct explain_style st;
        struct top_screen s = {0};

        if (o->json) {
                json_t *j = explain_to_json(e);
                if (!j)
                        return -ENOMEM;
                int r = json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
                json_decref(j);
                putchar('\n');
                return r < 0 || fflush(stdout) != 0 ? -EIO : 0;
        }
        output_style(o, &st);
        explain_render_text(e, &st, &s);
        int r = print_screen(&s);
        top_screen_free(&s);
        return r;
}

static int print_list(const struct explain_scan *scan, const struct explain_options *o,
                      const char *path)
{
        const struct explain_target *target = NULL;
        struct explain_style st;
        struct top_screen s = {0};

        if (o->arg) {
                struct explain_match_result m;
                explain_match(scan, o->arg, &m);
                if (m.match == EXPLAIN_MATCH_NONE) {
                        log_error("no container in %s is called \"%s\"", path, o->arg);
                        return -ENOENT;
                }
                if (m.match == EXPLAIN_MATCH_AMBIGUOUS) {
                        log_error("\"%s\" names %zu killed containers in %s:", o->arg, m.n_matched,
                                  path);
                        list_candidates(scan, &m);
                        return -EINVAL;
                }
                target = m.target;
        }
        if (o->json)
                return explain_print_list_json(scan, target, stdout) < 0 ? -EIO : 0;
        output_style(o, &st);
        explain_render_list(scan, target, &st, &s);
        int r = print_screen(&s);
        top_screen_free(&s);
        return r;
}

static int explain_run(const struct explain_options *o, const struct paths *p,
                       struct explain_scan *scan)
{
        const struct explain_entry *entry;
        const char *line;

        int r = scan_file(p->events_file, p->events_default, scan);
        if (r < 0)
                return EXIT_RUNTIME;
        if (o->list)
                return print_list(scan, o, p->events_file) < 0 ? EXIT_RUNTIME : EXIT_OK;
        if (choose(scan, o, p->events_file, &entry, &line) < 0)
                return EXIT_RUNTIME;
        _cleanup_free_ struct explain *e = malloc(sizeof(*e));
        if (!e) {
                log_error("out of memory");
                return EXIT_RUNTIME;
        }
        if (explain_from_event(scan, entry, line, e) < 0) {
                log_error("event %llu (line %zu) of %s is not a kill event cgmem understands",
                          (unsigned long long) entry->seq, entry->line_no, p->events_file);
                return EXIT_RUNTIME;
        }
        load_record(e, o, p);
        add_input_notes(e, scan, p->events_file);
        r = print_explain(e, o);
        if (r < 0) {
                log_error("cannot write the explanation: %s", strerror(-r));
                return EXIT_RUNTIME;
        }
        return EXIT_OK;
}

int verb_explain(int argc, char *argv[])
{
        struct explain_options o;
        struct explain_scan scan;
        struct paths p;

        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        uint64_t seq = 0;
        if (o.arg && !o.container && !o.list && all_digits(o.arg)) {
                seq = strtoull(o.arg, NULL, 10);
                if (seq == 0) {
                        log_error("event seqs start at 1, not \"%s\"", o.arg);
                        return EXIT_USAGE;
                }
        }
        if (resolve_paths(&o, &p) < 0)
                return EXIT_USAGE;
        if (explain_scan_init(&scan, seq) < 0) {
                log_error("out of memory");
                r = EXIT_RUNTIME;
        } else
                r = explain_run(&o, &p, &scan);
        explain_scan_done(&scan);
        free(p.events_file);
        free(p.kills_dir);
        return r;
}
