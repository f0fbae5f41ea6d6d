/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgmem top: options, the terminal and the loop. Plain ANSI on the alternate
 * screen, like systemd-cgtop: the frame is built as text with attributes
 * (top-render.c), so batch frames, golden files and the terminal share one
 * renderer, and no terminal library is needed on a node.
 */
#include "top.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/exit-status.h"
#include "base/fdlimit.h"
#include "base/log.h"
#include "base/time-util.h"
#include "cgroupfs/macro.h"
#include "names/names-session.h"
#include "registry/cgroot.h"
#include "top-events.h"
#include "top-model.h"
#include "top-procs-read.h"
#include "top-procs.h"
#include "top-render.h"

#define EVENTS_MAX      64
#define EVENT_PANE_ROWS 6
#define GLOBS_MAX       32

struct top_options {
        const char *root;
        int no_names;
        double delay_sec;
        int batch;
        long iterations; /* -1: until interrupted */
        int json;
        int all;
        int tree;
        int sort_col;
        int reverse;
        const char *filter;
        const char *events_file;
        const char *processes; /* --processes CGROUP: that container's processes view */
        char *globs[GLOBS_MAX + 1];
        size_t n_globs;
};

static void top_help(void)
{
        printf("Usage: cgmem top [OPTIONS]\n"
               "\n"
               "A live view of every container's memory: usage against its limits, working set,\n"
               "kernel share, pressure, events, cgmem's throttling, growth and time to "
               "memory.max.\n"
               "Full-screen on a terminal (press ? for the keys); batch frames otherwise.\n"
               "\n"
               "  --root DIR          cgroup v2 tree to read (default: the host's cgroup2 mount)\n"
               "  -d, --delay SEC     refresh interval in seconds (default 2)\n"
               "  -b, --batch         plain-text frames on stdout, no keys (default without a "
               "tty)\n"
               "  -n, --iterations N  stop after N frames (default: until interrupted)\n"
               "      --json          batch frames as JSON Lines: one object per row, with "
               "\"frame\"\n"
               "  -s, --sort KEY      name, pod, current, wset (default), high, max, pct, anon,\n"
               "                      file, kernel, swap, some, full, high-events, max-events,\n"
               "                      oom-kills, throttle, growth, eta\n"
               "  -r, --reverse       reverse the order\n"
               "  -a, --all           every memory cgroup, not only containers\n"
               "      --no-names      do not ask the container runtimes for names\n"
               "  -m, --match GLOB    cgroups matching GLOB are containers too (repeatable)\n"
               "  -t, --tree          the tree view: slices, pods, containers\n"
               "  -f, --filter TEXT   only rows whose path or name contains TEXT\n"
               "      --events-file F the agent's event file for the events pane\n"
               "                      (default " TOP_EVENTS_FILE_DEFAULT " if it exists)\n"
               "  -p, --processes CG  the processes of the cgroup CG (its path, as the table\n"
               "                      and the events show it); on a terminal, Enter on a\n"
               "                      container opens them and Esc goes back; with --json,\n"
               "                      one object per process and frame\n"
               "  -h, --help          show this help\n"
               "\n"
               "Colour only on a terminal, never when NO_COLOR is set.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

static int parse_options(int argc, char *argv[], struct top_options *o)
{
        enum { OPT_JSON = 0x100, OPT_ROOT, OPT_EVENTS_FILE };
        static const struct option options[] = {
                {"root", required_argument, NULL, OPT_ROOT},
                {"delay", required_argument, NULL, 'd'},
                {"batch", no_argument, NULL, 'b'},
                {"iterations", required_argument, NULL, 'n'},
                {"json", no_argument, NULL, OPT_JSON},
                {"sort", required_argument, NULL, 's'},
                {"reverse", no_argument, NULL, 'r'},
                {"all", no_argument, NULL, 'a'},
                {"no-names", no_argument, NULL, 'N'},
                {"match", required_argument, NULL, 'm'},
                {"tree", no_argument, NULL, 't'},
                {"filter", required_argument, NULL, 'f'},
                {"events-file", required_argument, NULL, OPT_EVENTS_FILE},
                {"processes", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        char *end;
        int c;

        *o = (struct top_options){.delay_sec = 2.0, .iterations = -1, .sort_col = TOP_COL_WSET};
        while ((c = getopt_long(argc, argv, "d:bn:s:ram:tf:p:h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        o->root = optarg;
                        break;
                case 'd':
                        errno = 0;
                        o->delay_sec = strtod(optarg, &end);
                        if (errno || end == optarg || *end || !isfinite(o->delay_sec) ||
                            o->delay_sec < 0.01 || o->delay_sec > 86400) {
                                log_error("-d wants seconds between 0.01 and 86400, not \"%s\"",
                                          optarg);
                                return -EINVAL;
                        }
                        break;
                case 'b':
                        o->batch = 1;
                        break;
                case 'n':
                        errno = 0;
                        o->iterations = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || o->iterations < 1) {
                                log_error("-n wants a positive number of frames, not \"%s\"",
                                          optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_JSON:
                        o->json = 1;
                        break;
                case 's':
                        o->sort_col = top_col_from_name(optarg);
                        if (o->sort_col < 0) {
                                log_error("unknown sort key \"%s\"; see cgmem top --help", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'r':
                        o->reverse = 1;
                        break;
                case 'a':
                        o->all = 1;
                        break;
                case 'N':
                        o->no_names = 1;
                        break;
                case 'm':
                        if (o->n_globs == GLOBS_MAX) {
                                log_error("at most %d --match globs", GLOBS_MAX);
                                return -EINVAL;
                        }
                        o->globs[o->n_globs++] = optarg;
                        break;
                case 't':
                        o->tree = 1;
                        break;
                case 'f':
                        o->filter = optarg;
                        break;
                case OPT_EVENTS_FILE:
                        o->events_file = optarg;
                        break;
                case 'p':
                        o->processes = optarg;
                        break;
                case 'h':
                        top_help();
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument \"%s\"; see cgmem top --help", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static void setup_model(struct top_model *m, struct top_options *o)
{
        m->rules.all = o->all;
        m->rules.globs = o->n_globs ? o->globs : NULL;
        m->sort_col = (enum top_col) o->sort_col;
        m->reverse = o->reverse;
        m->tree = o->tree;
        if (o->filter)
                snprintf(m->filter, sizeof(m->filter), "%s", o->filter);
}

static void sleep_sec(double sec)
{
        struct timespec ts = {.tv_sec = (time_t) sec,
                              .tv_nsec = (long) ((sec - (double) (time_t) sec) * 1e9)};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* cgmem top -b --processes CGROUP: frames of one container's processes. */
static int run_batch_procs(int rootfd, const struct top_options *o)
{
        struct top_procs p;
        struct top_screen s = {0};
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = top_procs_open(rootfd, o->processes);
        int r = 0;

        if (fd < 0 || proc_fd < 0) {
                log_error("cannot open %s: %s", fd < 0 ? o->processes : "/proc",
                          strerror(fd < 0 ? -fd : errno));
                return EXIT_RUNTIME;
        }
        if (top_procs_init(&p, o->processes) < 0)
                return EXIT_RUNTIME;
        for (long i = 0; o->iterations < 0 || i < o->iterations; i++) {
                if (i > 0)
                        sleep_sec(o->delay_sec);
                top_procs_read(&p, fd, proc_fd, now_usec());
                if (o->json)
                        r = p.error < 0 ? 0 : top_print_procs_json(&p, (unsigned) i + 1, stdout);
                else {
                        top_screen_clear(&s);
                        if (i > 0)
                                top_screen_add(&s);
                        top_render_procs(&p, o->processes, &(struct top_frame){0}, &s);
                        r = s.oom ? -ENOMEM : top_screen_print_plain(&s, stdout);
                }
                if (r >= 0 && (fflush(stdout) != 0 || ferror(stdout)))
                        r = -EIO;
                if (r < 0 || p.error < 0)
                        break;
        }
        if (p.error < 0)
                log_error("cannot read the processes of %s: %s", o->processes, strerror(-p.error));
        top_screen_free(&s);
        top_procs_done(&p);
        return r < 0 || p.error < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int run_batch(struct top_model *m, int rootfd, const struct top_options *o)
{
        struct top_screen s = {0};
        int r = 0;

        for (long i = 0; o->iterations < 0 || i < o->iterations; i++) {
                if (i > 0)
                        sleep_sec(o->delay_sec);
                r = top_model_refresh(m, rootfd, now_usec());
                if (r < 0) {
                        log_error("cannot walk the cgroup tree: %s", strerror(-r));
                        break;
                }
                if (m->names) {
                        /* Batch output is read by scripts: give the runtimes their (bounded) say.
                         */
                        names_session_wait(m->names);
                        top_model_apply_names(m);
                }
                r = top_model_build_view(m);
                if (r < 0)
                        break;
                if (o->json)
                        r = top_print_json_frame(m, (unsigned) i + 1, stdout);
                else {
                        struct top_frame f = {0};
                        top_screen_clear(&s);
                        if (i > 0)
                                top_screen_add(&s);
                        top_render_batch_frame(m, &f, &s);
                        r = s.oom ? -ENOMEM : top_screen_print_plain(&s, stdout);
                }
                if (r >= 0 && (fflush(stdout) != 0 || ferror(stdout)))
                        r = -EIO;
                if (r < 0) {
                        log_error("cannot write the frame: %s", strerror(-r));
                        break;
                }
        }
        top_screen_free(&s);
        if (r >= 0 && m->table.n_failed > 0)
                return EXIT_RUNTIME;
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* ---- the terminal ---------------------------------------------------------------------- */

#define TERM_ENTER "\033[?1049h\033[?25l\033[H\033[2J"
#define TERM_LEAVE "\033[0m\033[?25h\033[?1049l"

static struct termios saved_termios;
static volatile sig_atomic_t term_active;
static int signal_pipe[2] = {-1, -1};

/* Async-signal-safe: write(2) and tcsetattr(3) only. */
static void term_restore(void)
{
        if (!term_active)
                return;
        term_active = 0;
        (void) !write(STDOUT_FILENO, TERM_LEAVE, sizeof(TERM_LEAVE) - 1);
        (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
}

static int term_enter(void)
{
        struct termios raw = saved_termios;

        raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO | IEXTEN);
        raw.c_iflag &= ~(tcflag_t) (IXON | ICRNL);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
                return -errno;
        term_active = 1;
        (void) !write(STDOUT_FILENO, TERM_ENTER, sizeof(TERM_ENTER) - 1);
        return 0;
}

static void on_crash(int sig)
{
        /* Leave the terminal usable, then die of the same signal (SA_RESETHAND). */
        term_restore();
        raise(sig);
}

static void on_stop(int sig)
{
        int saved = errno;
        term_restore();
        signal(SIGTSTP, SIG_DFL);
        raise(sig == SIGTSTP ? SIGTSTP : SIGSTOP);
        errno = saved;
}

static void on_signal(int sig)
{
        int saved = errno;
        unsigned char c = (unsigned char) sig;
        (void) !write(signal_pipe[1], &c, 1);
        errno = saved;
}

static void install_signals(void)
{
        static const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
        static const int loop[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCONT};
        struct sigaction sa = {0};

        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_crash;
        sa.sa_flags = (int) SA_RESETHAND | SA_NODEFER;
        for (size_t i = 0; i < ELEMENTSOF(crash); i++)
                sigaction(crash[i], &sa, NULL);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        for (size_t i = 0; i < ELEMENTSOF(loop); i++)
                sigaction(loop[i], &sa, NULL);
        sa.sa_handler = on_stop;
        sigaction(SIGTSTP, &sa, NULL);
}

static void term_size(int *width, int *height)
{
        struct winsize ws;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
                *width = ws.ws_col;
                *height = ws.ws_row;
        } else {
                *width = 80;
                *height = 24;
        }
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

enum mode { MODE_VIEW, MODE_FILTER, MODE_HELP, MODE_PROCS };

struct ui {
        struct top_model *m;
        const struct top_options *o;
        int rootfd;
        int width, height;
        int color;
        enum mode mode;
        int quit;
        int redraw_full;
        int refresh_now;
        size_t first_row;
        size_t table_rows;
        size_t selected; /* the cursor, an index into the view */
        /* MODE_PROCS: the processes of one container */
        struct top_procs procs;
        char procs_name[TOP_NAME_MAX];
        int procs_fd, proc_fd;
        size_t procs_first_row;
        int events_pane;
        const char *events_path;
        struct top_event events[EVENTS_MAX];
        int n_events; /* < 0: -errno reading the file */
        struct top_screen screen;
        struct top_rendered shown;
        char status[128];
};

static void load_events(struct ui *u)
{
        if (!u->events_path) {
                u->n_events = -ENOENT;
                return;
        }
        u->n_events = top_events_tail(u->events_path, u->events, EVENTS_MAX);
}

/* The last line: the status, or the keys of the mode. */
static void status_line(struct ui *u, const char *keys, size_t first, size_t shown, size_t n)
{
        struct top_line *l = top_screen_add(&u->screen);

        if (u->status[0])
                top_line_printf(l, TOP_ATTR_YELLOW, "%s", u->status);
        else
                top_line_printf(l, TOP_ATTR_DIM, "%s  rows %zu-%zu of %zu", keys, n ? first + 1 : 0,
                                first + shown < n ? first + shown : n, n);
}

static void build_procs_screen(struct ui *u, const char *clock)
{
        struct top_screen *s = &u->screen;
        int avail = u->height - 3 - 1;
        size_t rows = avail > 1 ? (size_t) avail : 1;

        if (u->procs.n_rows <= rows)
                u->procs_first_row = 0;
        else if (u->procs_first_row > u->procs.n_rows - rows)
                u->procs_first_row = u->procs.n_rows - rows;
        struct top_frame f = {.clock = clock,
                              .interval_sec = u->o->delay_sec,
                              .first_row = u->procs_first_row,
                              .max_rows = rows};
        top_render_procs(&u->procs, u->procs_name, &f, s);
        while (s->n_lines < (size_t) u->height - 1)
                top_screen_add(s);
        status_line(u, "Esc back  q quit  M A F S W P U G N I sort  R reverse", u->procs_first_row,
                    rows, u->procs.n_rows);
}

static void build_screen(struct ui *u)
{
        struct top_screen *s = &u->screen;
        char clock[16];
        time_t t = time(NULL);
        struct tm tm;
        char note[512];

        strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&t, &tm));
        top_screen_clear(s);
        if (u->mode == MODE_HELP) {
                top_render_help(s);
                return;
        }
        if (u->mode == MODE_PROCS) {
                build_procs_screen(u, clock);
                return;
        }
        size_t pane = u->events_pane ? EVENT_PANE_ROWS + 1 : 0;
        int avail = u->height - 2 - 1 - 1 - (int) pane;
        u->table_rows = avail > 1 ? (size_t) avail : 1;
        if (u->m->n_items <= u->table_rows)
                u->first_row = 0;
        else if (u->first_row > u->m->n_items - u->table_rows)
                u->first_row = u->m->n_items - u->table_rows;

        if (u->m->n_items == 0)
                u->selected = 0;
        else if (u->selected >= u->m->n_items)
                u->selected = u->m->n_items - 1;
        if (u->selected < u->first_row)
                u->first_row = u->selected;
        else if (u->selected >= u->first_row + u->table_rows)
                u->first_row = u->selected - u->table_rows + 1;
        struct top_frame f = {
                .clock = clock,
                .interval_sec = u->o->delay_sec,
                .first_row = u->first_row,
                .max_rows = u->table_rows,
                .has_selected = u->m->n_items > 0,
                .selected = u->selected,
                .width = u->width,
                .events = u->events,
                .n_events = u->n_events > 0 ? (size_t) u->n_events : 0,
                .events_rows = EVENT_PANE_ROWS,
        };
        top_render_header(u->m, &f, s);
        top_render_table(u->m, &f, s);
        if (u->events_pane) {
                /* pad so the pane sits at the bottom */
                while (s->n_lines < (size_t) u->height - 1 - pane)
                        top_screen_add(s);
                if (u->n_events < 0) {
                        snprintf(note, sizeof(note), "no events: %s%s%s",
                                 u->events_path ? u->events_path : "no event file",
                                 u->events_path ? ": " : " (--events-file PATH)",
                                 u->events_path ? strerror(-u->n_events) : "");
                        f.events_note = note;
                } else if (u->n_events == 0) {
                        snprintf(note, sizeof(note), "no events yet in %s", u->events_path);
                        f.events_note = note;
                }
                top_render_events(&f, s);
        }
        while (s->n_lines < (size_t) u->height - 1)
                top_screen_add(s);
        if (u->mode == MODE_FILTER)
                top_line_printf(top_screen_add(s), TOP_ATTR_BOLD,
                                "filter: %s_  (Enter: apply, Esc: clear)", u->m->filter);
        else
                status_line(u,
                            "q quit  ? help  Enter processes  M P K % G sort  / filter  t tree  "
                            "e events",
                            u->first_row, u->table_rows, u->m->n_items);
}

static int draw(struct ui *u)
{
        char *out = NULL;
        size_t len = 0;

        build_screen(u);
        int r = top_screen_ansi(&u->screen, u->width, u->height, u->color, &u->shown,
                                u->redraw_full, &out, &len);
        if (r < 0)
                return r;
        u->redraw_full = 0;
        r = write_all(STDOUT_FILENO, out, len);
        free(out);
        return r;
}

static void set_sort(struct ui *u, enum top_col c)
{
        if (u->m->sort_col == c)
                u->m->reverse = !u->m->reverse;
        else {
                u->m->sort_col = c;
                u->m->reverse = 0;
        }
        u->first_row = 0;
}

static void handle_filter_key(struct ui *u, int key)
{
        size_t n = strlen(u->m->filter);

        if (key == '\r' || key == '\n')
                u->mode = MODE_VIEW;
        else if (key == 27) { /* Esc */
                u->m->filter[0] = '\0';
                u->mode = MODE_VIEW;
        } else if (key == 127 || key == 8) {
                if (n > 0)
                        u->m->filter[n - 1] = '\0';
        } else if (key >= 32 && key < 127 && n + 1 < sizeof(u->m->filter)) {
                u->m->filter[n] = (char) key;
                u->m->filter[n + 1] = '\0';
        }
        u->first_row = 0;
}

enum { KEY_UP = 1000, KEY_DOWN, KEY_PGUP, KEY_PGDN, KEY_HOME, KEY_END };

static int close_fd(int fd)
{
        if (fd >= 0)
                close(fd);
        return -1;
}

static void close_procs(struct ui *u)
{
        top_procs_done(&u->procs);
        u->procs_fd = close_fd(u->procs_fd);
        u->mode = MODE_VIEW;
}

/* Enter: the processes of the container under the cursor, read at once. */
static void open_procs(struct ui *u)
{
        if (u->m->n_items == 0 || u->proc_fd < 0)
                return;
        const struct cgroup *row = u->m->items[u->selected].row;
        int fd = top_procs_open(u->rootfd, row->path);
        if (fd < 0 || top_procs_init(&u->procs, row->path) < 0) {
                snprintf(u->status, sizeof(u->status), "cannot open %s: %s", row->path,
                         strerror(fd < 0 ? -fd : ENOMEM));
                close_fd(fd);
                return;
        }
        snprintf(u->procs_name, sizeof(u->procs_name), "%s", top_state(row)->name);
        u->procs_fd = fd;
        u->procs_first_row = 0;
        u->mode = MODE_PROCS;
        top_procs_read(&u->procs, u->procs_fd, u->proc_fd, now_usec());
}

/* The sort keys of the processes view, and the rest of its keys. */
static void handle_procs_key(struct ui *u, int key)
{
        static const struct {
                int key;
                enum top_proc_col col;
        } sorts[] = {
                {'M', TOP_PROC_RSS},   {'A', TOP_PROC_ANON},   {'F', TOP_PROC_FILE},
                {'S', TOP_PROC_SHMEM}, {'W', TOP_PROC_SWAP},   {'P', TOP_PROC_PSS},
                {'U', TOP_PROC_USS},   {'G', TOP_PROC_GROWTH}, {'N', TOP_PROC_COMM},
                {'I', TOP_PROC_PID},
        };
        size_t page = u->height > 5 ? (size_t) u->height - 5 : 1;

        for (size_t i = 0; i < ELEMENTSOF(sorts); i++)
                if (key == sorts[i].key) {
                        top_procs_set_sort(&u->procs, sorts[i].col);
                        return;
                }
        switch (key) {
        case 27: /* Esc */
        case 127:
        case 8:
                close_procs(u);
                break;
        case 'q':
        case 'Q':
                u->quit = 1;
                break;
        case 'R':
                u->procs.reverse = !u->procs.reverse;
                top_procs_sort(&u->procs);
                break;
        case '<':
        case '>':
                top_procs_set_sort(&u->procs,
                                   (enum top_proc_col)((u->procs.sort_col + (key == '<' ? -1 : 1) +
                                                        _TOP_PROC_COL_MAX) %
                                                       _TOP_PROC_COL_MAX));
                break;
        case ' ':
                u->refresh_now = 1;
                break;
        case KEY_UP:
                if (u->procs_first_row > 0)
                        u->procs_first_row--;
                break;
        case KEY_DOWN:
                u->procs_first_row++;
                break;
        case KEY_PGUP:
                u->procs_first_row = u->procs_first_row > page ? u->procs_first_row - page : 0;
                break;
        case KEY_PGDN:
                u->procs_first_row += page;
                break;
        case KEY_HOME:
                u->procs_first_row = 0;
                break;
        case KEY_END:
                u->procs_first_row = u->procs.n_rows;
                break;
        default:
                snprintf(u->status, sizeof(u->status), "unknown key; Esc goes back");
        }
}

static void handle_key(struct ui *u, int key)
{
        u->status[0] = '\0';
        if (u->mode == MODE_HELP) {
                u->mode = MODE_VIEW;
                return;
        }
        if (u->mode == MODE_FILTER) {
                handle_filter_key(u, key);
                return;
        }
        if (u->mode == MODE_PROCS) {
                handle_procs_key(u, key);
                return;
        }
        switch (key) {
        case 'q':
        case 'Q':
                u->quit = 1;
                break;
        case '?':
        case 'h':
                u->mode = MODE_HELP;
                break;
        case 'M':
                set_sort(u, TOP_COL_CURRENT);
                break;
        case 'W':
                set_sort(u, TOP_COL_WSET);
                break;
        case 'P':
                set_sort(u, TOP_COL_SOME);
                break;
        case 'K':
                set_sort(u, TOP_COL_KERNEL);
                break;
        case '%':
                set_sort(u, TOP_COL_PCT);
                break;
        case 'G':
                set_sort(u, TOP_COL_GROWTH);
                break;
        case 'E':
                set_sort(u, TOP_COL_ETA);
                break;
        case 'N':
                set_sort(u, TOP_COL_NAME);
                break;
        case '<':
                if (u->m->sort_col > 0)
                        set_sort(u, u->m->sort_col - 1);
                break;
        case '>':
                if (u->m->sort_col + 1 < _TOP_COL_COUNT)
                        set_sort(u, u->m->sort_col + 1);
                break;
        case 'R':
                u->m->reverse = !u->m->reverse;
                break;
        case '/':
                u->mode = MODE_FILTER;
                break;
        case 't':
                u->m->tree = !u->m->tree;
                u->first_row = 0;
                break;
        case 'e':
                u->events_pane = !u->events_pane;
                if (u->events_pane)
                        load_events(u);
                break;
        case ' ':
                u->refresh_now = 1;
                break;
        case 12: /* ^L */
                u->redraw_full = 1;
                break;
        case '\r':
        case '\n':
                open_procs(u);
                break;
        case KEY_UP:
                if (u->selected > 0)
                        u->selected--;
                break;
        case KEY_DOWN:
                u->selected++;
                break;
        case KEY_PGUP:
                u->selected = u->selected > u->table_rows ? u->selected - u->table_rows : 0;
                break;
        case KEY_PGDN:
                u->selected += u->table_rows;
                break;
        case KEY_HOME:
                u->selected = 0;
                break;
        case KEY_END:
                u->selected = u->m->n_items;
                break;
        default:
                snprintf(u->status, sizeof(u->status), "unknown key; ? shows the keys");
        }
}

/* Splits what one read(2) returned into keys; CSI sequences become KEY_*. */
static void handle_input(struct ui *u, const unsigned char *buf, size_t n)
{
        for (size_t i = 0; i < n && !u->quit; i++) {
                if (buf[i] == 27 && i + 2 < n + 0 && (buf[i + 1] == '[' || buf[i + 1] == 'O')) {
                        unsigned char c = buf[i + 2];
                        int key = 0;
                        size_t used = 2;
                        if (c == 'A')
                                key = KEY_UP;
                        else if (c == 'B')
                                key = KEY_DOWN;
                        else if (c == 'H')
                                key = KEY_HOME;
                        else if (c == 'F')
                                key = KEY_END;
                        else if ((c == '5' || c == '6' || c == '1' || c == '4') && i + 3 < n &&
                                 buf[i + 3] == '~') {
                                key = c == '5'   ? KEY_PGUP
                                      : c == '6' ? KEY_PGDN
                                      : c == '1' ? KEY_HOME
                                                 : KEY_END;
                                used = 3;
                        }
                        i += used;
                        if (key && (u->mode == MODE_VIEW || u->mode == MODE_PROCS))
                                handle_key(u, key);
                        else if (u->mode == MODE_HELP)
                                u->mode = MODE_VIEW;
                        continue;
                }
                handle_key(u, buf[i]);
        }
}

static int handle_signals(struct ui *u)
{
        unsigned char sigs[16];
        ssize_t n = read(signal_pipe[0], sigs, sizeof(sigs));

        for (ssize_t i = 0; i < n; i++) {
                switch (sigs[i]) {
                case SIGWINCH:
                        term_size(&u->width, &u->height);
                        u->redraw_full = 1;
                        break;
                case SIGCONT:
                        if (!term_active && term_enter() < 0)
                                return -EIO;
                        install_signals();
                        term_size(&u->width, &u->height);
                        u->redraw_full = 1;
                        break;
                default:
                        u->quit = 1;
                }
        }
        return 0;
}

static int color_wanted(void)
{
        const char *no_color = getenv("NO_COLOR");
        const char *term = getenv("TERM");

        if (no_color && *no_color)
                return 0;
        return !(term && strcmp(term, "dumb") == 0);
}

static int run_interactive(struct top_model *m, int rootfd, const struct top_options *o)
{
        struct ui u = {.m = m, .o = o, .rootfd = rootfd, .redraw_full = 1, .procs_fd = -1};
        int r = 0;

        u.color = color_wanted();
        u.proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        u.events_path = o->events_file;
        if (!u.events_path && access(TOP_EVENTS_FILE_DEFAULT, R_OK) == 0)
                u.events_path = TOP_EVENTS_FILE_DEFAULT;
        if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return EXIT_RUNTIME;
        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0) {
                log_error("cannot read the terminal's settings: %m");
                return EXIT_RUNTIME;
        }
        m->table.quiet = 1; /* stderr is our screen */
        install_signals();
        if (term_enter() < 0) {
                log_error("cannot set up the terminal: %m");
                return EXIT_RUNTIME;
        }
        atexit(term_restore);
        term_size(&u.width, &u.height);

        uint64_t next = 0, interval = (uint64_t) (o->delay_sec * 1e6);
        while (!u.quit) {
                uint64_t now = now_usec();
                if (now >= next || u.refresh_now) {
                        r = top_model_refresh(m, rootfd, now);
                        if (r < 0) {
                                term_restore();
                                log_error("cannot walk the cgroup tree: %s", strerror(-r));
                                break;
                        }
                        if (u.events_pane)
                                load_events(&u);
                        if (u.mode == MODE_PROCS)
                                top_procs_read(&u.procs, u.procs_fd, u.proc_fd, now);
                        next = now + interval;
                        u.refresh_now = 0;
                }
                r = top_model_build_view(m);
                if (r >= 0)
                        r = draw(&u);
                if (r < 0) {
                        term_restore();
                        log_error("cannot draw: %s", strerror(-r));
                        break;
                }
                now = now_usec();
                int timeout = next > now ? (int) ((next - now + 999) / 1000) : 0;
                struct pollfd p[3] = {
                        {.fd = STDIN_FILENO, .events = POLLIN},
                        {.fd = signal_pipe[0], .events = POLLIN},
                        {.fd = m->names ? names_session_fd(m->names) : -1, .events = POLLIN}};
                int n = poll(p, 3, timeout);
                if (n < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (n > 0 && (p[2].revents & POLLIN)) {
                        names_session_dispatch(m->names);
                        top_model_apply_names(m);
                }
                if (n > 0 && (p[1].revents & POLLIN) && handle_signals(&u) < 0)
                        break;
                if (n > 0 && p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        unsigned char buf[64];
                        ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
                        if (got <= 0 && errno != EINTR && errno != EAGAIN)
                                u.quit = 1; /* the terminal went away */
                        else if (got > 0)
                                handle_input(&u, buf, (size_t) got);
                }
        }
        term_restore();
        if (u.procs_fd >= 0)
                close_procs(&u);
        close_fd(u.proc_fd);
        top_screen_free(&u.screen);
        top_rendered_free(&u.shown);
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int verb_top(int argc, char *argv[])
{
        struct top_options o;
        struct top_model m;

        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        _cleanup_close_ int rootfd = cgroot_open(o.root);
        if (rootfd < 0)
                return EXIT_RUNTIME;
        raise_fd_limit();
        if (top_model_init(&m) < 0) {
                log_error("out of memory");
                return EXIT_RUNTIME;
        }
        setup_model(&m, &o);
        struct names_session names = {0};
        if (!o.no_names) {
                names_session_open(&names, NULL);
                m.names = names.names ? &names : NULL;
        }
        int interactive = !o.batch && !o.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
        if (o.processes && !interactive)
                r = run_batch_procs(rootfd, &o);
        else if (interactive)
                r = run_interactive(&m, rootfd, &o);
        else
                r = run_batch(&m, rootfd, &o);
        top_model_done(&m);
        names_session_close(&names);
        return r;
}
