/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "top-render.h"
#include "base/array.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-util.h"
#include "base/units.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"

#define NAME_WIDTH_MAX 40
#define BAR_WIDTH      8

void top_screen_clear(struct top_screen *s)
{
        for (size_t i = 0; i < s->n_lines; i++)
                s->lines[i].len = 0;
        s->n_lines = 0;
        s->oom = 0;
}

void top_screen_free(struct top_screen *s)
{
        for (size_t i = 0; i < s->allocated; i++) {
                free(s->lines[i].text);
                free(s->lines[i].attr);
        }
        free(s->lines);
        *s = (struct top_screen){0};
}

struct top_line *top_screen_add(struct top_screen *s)
{
        static struct top_line scratch;

        size_t had = s->allocated;
        if (!GREEDY_REALLOC(s->lines, s->allocated, s->n_lines + 1)) {
                s->oom = 1;
                scratch.len = 0;
                return &scratch;
        }
        memset(s->lines + had, 0, (s->allocated - had) * sizeof(*s->lines));
        struct top_line *l = &s->lines[s->n_lines++];
        l->len = 0;
        return l;
}

static int line_reserve(struct top_line *l, size_t extra)
{
        if (l->len + extra + 1 <= l->size)
                return 0;
        size_t n = l->size ? l->size : 256;
        while (n < l->len + extra + 1)
                n *= 2;
        char *text = realloc(l->text, n);
        if (!text)
                return -ENOMEM;
        l->text = text;
        unsigned char *attr = realloc(l->attr, n);
        if (!attr)
                return -ENOMEM;
        l->attr = attr;
        l->size = n;
        return 0;
}

static void line_put(struct top_line *l, enum top_attr attr, const char *text, size_t n)
{
        if (line_reserve(l, n) < 0)
                return;
        memcpy(l->text + l->len, text, n);
        memset(l->attr + l->len, attr, n);
        l->len += n;
        l->text[l->len] = '\0';
}

void top_line_printf(struct top_line *l, enum top_attr attr, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        line_put(l, attr, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

/* A cell: text right-aligned (or left for text columns) in width, then one blank. */
static void cell(struct top_line *l, enum top_attr attr, int width, int left, const char *text)
{
        top_line_printf(l, attr, left ? "%-*s" : "%*s", width, text);
        top_line_printf(l, TOP_ATTR_NORMAL, " ");
}

void top_format_rate(double rate, char *buf, size_t size)
{
        char b[BYTES_STR_MAX];
        double a = rate < 0 ? -rate : rate;

        if (a < 1024) {
                snprintf(buf, size, "0/s");
                return;
        }
        snprintf(buf, size, "%c%s/s", rate < 0 ? '-' : '+',
                 format_bytes(a >= 9.2e18 ? UINT64_MAX - 1 : (uint64_t) a, b));
}

void top_format_eta(double sec, char *buf, size_t size)
{
        if (sec < 0) {
                snprintf(buf, size, "-");
                return;
        }
        unsigned long s = sec > 8.64e8 ? 864000000ul : (unsigned long) (sec + 0.5);
        if (s < 60)
                snprintf(buf, size, "%lus", s);
        else if (s < 3600)
                snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
        else
                snprintf(buf, size, "%lud", s / 86400);
}

void top_format_events(uint64_t count, uint64_t delta, char *buf, size_t size)
{
        if (delta)
                snprintf(buf, size, "%llu+%llu", (unsigned long long) count,
                         (unsigned long long) delta);
        else
                snprintf(buf, size, "%llu", (unsigned long long) count);
}

static void format_pct1(double pct, char *buf, size_t size)
{
        if (pct < 0)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%.1f", pct);
}

static enum top_attr pct_attr(double pct)
{
        if (pct < 0)
                return TOP_ATTR_NORMAL;
        return pct >= 90 ? TOP_ATTR_RED : pct >= 75 ? TOP_ATTR_YELLOW : TOP_ATTR_GREEN;
}

static enum top_attr psi_attr(int has, double pct)
{
        return !has || pct < 5 ? TOP_ATTR_NORMAL : pct < 20 ? TOP_ATTR_YELLOW : TOP_ATTR_RED;
}

static const char *view_name(const struct top_model *m)
{
        return m->tree ? "tree" : "flat";
}

void top_render_header(const struct top_model *m, const struct top_frame *f, struct top_screen *s)
{
        struct top_line *l = top_screen_add(s);

        top_line_printf(l, TOP_ATTR_BOLD, "cgmem top");
        if (f->clock)
                top_line_printf(l, TOP_ATTR_NORMAL, " - %s", f->clock);
        top_line_printf(l, TOP_ATTR_NORMAL,
                        "  %zu shown, %zu containers, %zu memory cgroups  sort: %s%s  view: %s",
                        m->n_items, m->n_containers, m->table.n_rows, top_col_name(m->sort_col),
                        m->reverse ? " (reversed)" : "", view_name(m));
        if (m->filter[0])
                top_line_printf(l, TOP_ATTR_YELLOW, "  filter: %s", m->filter);
        if (f->interval_sec > 0)
                top_line_printf(l, TOP_ATTR_NORMAL, "  every %gs", f->interval_sec);

        l = top_screen_add(s);
        top_line_printf(l, TOP_ATTR_NORMAL, "node memory pressure (avg10/60/300): ");
        if (!m->have_root_psi) {
                top_line_printf(l, TOP_ATTR_DIM, "unknown");
                return;
        }
        const struct psi_stats *p = &m->root_psi;
        top_line_printf(l, psi_attr(1, view_psi_pct(p->some.avg10)), "some %.2f %.2f %.2f",
                        view_psi_pct(p->some.avg10), view_psi_pct(p->some.avg60),
                        view_psi_pct(p->some.avg300));
        if (p->has_full)
                top_line_printf(l, psi_attr(1, view_psi_pct(p->full.avg10)),
                                "  full %.2f %.2f %.2f", view_psi_pct(p->full.avg10),
                                view_psi_pct(p->full.avg60), view_psi_pct(p->full.avg300));
        if (f->root)
                top_line_printf(l, TOP_ATTR_NORMAL, "  root: %s", f->root);
}

struct col_spec {
        enum top_col col;
        const char *title;
        int width;
};

static const struct col_spec columns[] = {
        {TOP_COL_CURRENT, "CURRENT", 7},   {TOP_COL_WSET, "WSET", 6},
        {TOP_COL_HIGH, "HIGH", 6},         {TOP_COL_MAX, "MAX", 6},
        {TOP_COL_PCT, "%MAX", 5},          {TOP_COL_ANON, "ANON", 6},
        {TOP_COL_FILE, "FILE", 6},         {TOP_COL_KERNEL, "KERN%", 5},
        {TOP_COL_SWAP, "SWAP", 6},         {TOP_COL_SOME, "SOME10", 6},
        {TOP_COL_FULL, "FULL10", 6},       {TOP_COL_EV_HIGH, "HIGHEV", 9},
        {TOP_COL_EV_MAX, "MAXEV", 7},      {TOP_COL_EV_OOMK, "OOMK", 5},
        {TOP_COL_THROTTLE, "THROTTLE", 8}, {TOP_COL_GROWTH, "GROWTH", 8},
        {TOP_COL_ETA, "ETA", 6},
};

struct widths {
        int name;
        int pod;
};

static void compute_widths(const struct top_model *m, const struct top_frame *f, struct widths *w)
{
        w->name = (int) strlen(m->tree ? "CGROUP" : "CONTAINER");
        w->pod = 3;
        for (size_t i = 0; i < m->n_items; i++) {
                const struct top_row_state *st = top_state(m->items[i].row);
                int n = (int) (strlen(st->name) + 2 * m->items[i].indent);
                int p = (int) strlen(st->pod);
                if (n > w->name)
                        w->name = n;
                if (p > w->pod)
                        w->pod = p;
        }
        if (w->name > NAME_WIDTH_MAX)
                w->name = NAME_WIDTH_MAX;
        if (w->pod > NAME_WIDTH_MAX / 2)
                w->pod = NAME_WIDTH_MAX / 2;
        (void) f;
}

static enum top_attr title_attr(const struct top_model *m, enum top_col c)
{
        return m->sort_col == c ? TOP_ATTR_SORTED : TOP_ATTR_HEADER;
}

static void render_column_header(const struct top_model *m, const struct widths *w,
                                 struct top_line *l)
{
        top_line_printf(l, title_attr(m, TOP_COL_NAME), "%-*s", w->name,
                        m->tree ? "CGROUP" : "CONTAINER");
        top_line_printf(l, TOP_ATTR_HEADER, " ");
        top_line_printf(l, title_attr(m, TOP_COL_POD), "%-*s", w->pod, "POD");
        top_line_printf(l, TOP_ATTR_HEADER, " ");
        for (size_t i = 0; i < ELEMENTSOF(columns); i++) {
                top_line_printf(l, title_attr(m, columns[i].col), "%*s", columns[i].width,
                                columns[i].title);
                top_line_printf(l, TOP_ATTR_HEADER, " ");
                if (columns[i].col == TOP_COL_PCT)
                        top_line_printf(l, TOP_ATTR_HEADER, "%-*s ", BAR_WIDTH + 2, "");
        }
}

/* "[#####     ]" for a percentage; blank without a limit. */
static void render_bar(struct top_line *l, double pct)
{
        char bar[BAR_WIDTH + 3];

        if (pct < 0) {
                top_line_printf(l, TOP_ATTR_NORMAL, "%*s ", BAR_WIDTH + 2, "");
                return;
        }
        int n = (int) (pct / 100.0 * BAR_WIDTH + 0.5);
        if (n > BAR_WIDTH)
                n = BAR_WIDTH;
        bar[0] = '[';
        for (int i = 0; i < BAR_WIDTH; i++)
                bar[1 + i] = i < n ? '#' : ' ';
        bar[BAR_WIDTH + 1] = ']';
        bar[BAR_WIDTH + 2] = '\0';
        top_line_printf(l, TOP_ATTR_NORMAL, "[");
        line_put(l, pct_attr(pct), bar + 1, BAR_WIDTH);
        top_line_printf(l, TOP_ATTR_NORMAL, "] ");
}

static void render_name(struct top_line *l, const struct top_item *it, int width)
{
        const struct top_row_state *st = top_state(it->row);
        char buf[NAME_WIDTH_MAX * 2 + TOP_NAME_MAX];
        int n = snprintf(buf, sizeof(buf), "%*s%s", (int) (2 * it->indent), "", st->name);

        if (n > width && width > 1) {
                buf[width - 1] = '~'; /* cut: the full path is in --json and the filter */
                buf[width] = '\0';
        }
        top_line_printf(l, !it->row->delegates_memory ? TOP_ATTR_NORMAL : TOP_ATTR_BOLD, "%-*s",
                        width, buf);
        top_line_printf(l, TOP_ATTR_NORMAL, " ");
}

static void render_row(const struct top_model *m, const struct top_item *it, const struct widths *w,
                       struct top_line *l)
{
        const struct cgroup *row = it->row;
        const struct memcg_sample *s = &row->sample;
        const struct top_row_state *st = top_state(row);
        char b[64];
        double pct = memcg_usage_pct_of_max(s), rate = 0, eta = -1;
        int has_psi = !!(s->have & MEMCG_HAVE_PSI);
        int has_rate = growth_rate(&st->growth, &rate);

        (void) m;
        render_name(l, it, w->name);
        cell(l, TOP_ATTR_NORMAL, w->pod, 1, st->pod[0] ? st->pod : "-");
        cell(l, TOP_ATTR_NORMAL, 7, 0, format_bytes(s->current_bytes, b));
        cell(l, TOP_ATTR_BOLD, 6, 0, format_bytes(memcg_working_set_bytes(s), b));
        cell(l, TOP_ATTR_NORMAL, 6, 0, format_bytes(s->high_bytes, b));
        cell(l, TOP_ATTR_NORMAL, 6, 0, format_bytes(s->max_bytes, b));
        format_pct1(pct, b, sizeof(b));
        cell(l, pct_attr(pct), 5, 0, b);
        render_bar(l, pct);
        cell(l, TOP_ATTR_NORMAL, 6, 0, format_bytes(s->stat.anon, b));
        cell(l, TOP_ATTR_NORMAL, 6, 0, format_bytes(s->stat.file, b));
        snprintf(b, sizeof(b), "%.1f", memcg_kernel_share_pct(s));
        cell(l, TOP_ATTR_NORMAL, 5, 0, b);
        if (s->have & MEMCG_HAVE_SWAP)
                format_bytes(s->swap_current_bytes, b);
        else
                snprintf(b, sizeof(b), "-");
        cell(l, TOP_ATTR_NORMAL, 6, 0, b);
        double some = has_psi ? view_psi_pct(s->psi.some.avg10) : -1;
        double full = has_psi && s->psi.has_full ? view_psi_pct(s->psi.full.avg10) : -1;
        format_pct1(some, b, sizeof(b));
        cell(l, psi_attr(some >= 0, some), 6, 0, b);
        format_pct1(full, b, sizeof(b));
        cell(l, psi_attr(full >= 0, full), 6, 0, b);

        uint64_t d = top_event_delta(s->events.high, st->start_events.high);
        top_format_events(s->events.high, d, b, sizeof(b));
        cell(l, d ? TOP_ATTR_YELLOW : TOP_ATTR_NORMAL, 9, 0, b);
        d = top_event_delta(s->events.max, st->start_events.max);
        top_format_events(s->events.max, d, b, sizeof(b));
        cell(l, d ? TOP_ATTR_RED : TOP_ATTR_NORMAL, 7, 0, b);
        d = top_event_delta(s->events.oom_kill, st->start_events.oom_kill);
        top_format_events(s->events.oom_kill, d, b, sizeof(b));
        cell(l, d ? TOP_ATTR_RED : TOP_ATTR_NORMAL, 5, 0, b);

        if (view_row_of(row)->throttle[0]) {
                uint64_t v;
                char o[BYTES_STR_MAX];
                if (parse_single_value(view_row_of(row)->throttle,
                                       strlen(view_row_of(row)->throttle), 1, &v) >= 0)
                        snprintf(b, sizeof(b), "on:%s", format_bytes(v, o));
                else
                        snprintf(b, sizeof(b), "on");
        } else
                snprintf(b, sizeof(b), "-");
        cell(l, view_row_of(row)->throttle[0] ? TOP_ATTR_YELLOW : TOP_ATTR_NORMAL, 8, 0, b);

        if (has_rate)
                top_format_rate(rate, b, sizeof(b));
        else
                snprintf(b, sizeof(b), "-");
        cell(l, has_rate && rate >= 1024 ? TOP_ATTR_YELLOW : TOP_ATTR_NORMAL, 8, 0, b);
        if (has_rate)
                eta = top_eta_sec(s->max_bytes, top_footprint_bytes(s), rate);
        top_format_eta(eta, b, sizeof(b));
        cell(l, eta >= 0 && eta < 60 ? TOP_ATTR_RED : TOP_ATTR_NORMAL, 6, 0, b);
}

void top_render_table(const struct top_model *m, const struct top_frame *f, struct top_screen *s)
{
        struct widths w;

        compute_widths(m, f, &w);
        render_column_header(m, &w, top_screen_add(s));
        size_t end = m->n_items;
        if (f->max_rows && f->first_row + f->max_rows < end)
                end = f->first_row + f->max_rows;
        for (size_t i = f->first_row; i < end; i++) {
                struct top_line *l = top_screen_add(s);
                render_row(m, &m->items[i], &w, l);
                if (f->has_selected && f->selected == i)
                        memset(l->attr, TOP_ATTR_HEADER, l->len);
        }
        if (m->n_items == 0)
                top_line_printf(top_screen_add(s), TOP_ATTR_DIM, "%s",
                                m->filter[0] ? "(no container matches the filter)"
                                             : "(no containers; --all shows every memory cgroup)");
}

void top_render_events(const struct top_frame *f, struct top_screen *s)
{
        struct top_line *l = top_screen_add(s);

        top_line_printf(l, TOP_ATTR_HEADER, "%-8s %-22s %s", "TIME", "EVENT", "CGROUP");
        if (f->events_note) {
                top_line_printf(top_screen_add(s), TOP_ATTR_DIM, "%s", f->events_note);
                return;
        }
        size_t first = f->n_events > f->events_rows ? f->n_events - f->events_rows : 0;
        for (size_t i = first; i < f->n_events; i++) {
                const struct top_event *e = &f->events[i];
                enum top_attr a = strstr(e->type, "kill") ? TOP_ATTR_RED
                                  : strstr(e->type, "throttle") || strstr(e->type, "pressure")
                                          ? TOP_ATTR_YELLOW
                                          : TOP_ATTR_NORMAL;
                top_line_printf(top_screen_add(s), a, "%-8s %-22s %s", e->time, e->type, e->cgroup);
        }
}

/* ---- the processes view ---- */

static const struct {
        enum top_proc_col col;
        const char *title;
        int width;
} proc_columns[] = {
        {TOP_PROC_RSS, "RSS", 7},     {TOP_PROC_ANON, "ANON", 7},     {TOP_PROC_FILE, "FILE", 7},
        {TOP_PROC_SHMEM, "SHMEM", 7}, {TOP_PROC_SWAP, "SWAP", 7},     {TOP_PROC_PSS, "PSS", 7},
        {TOP_PROC_USS, "USS", 7},     {TOP_PROC_GROWTH, "GROWTH", 8},
};

static enum top_attr proc_title_attr(const struct top_procs *p, enum top_proc_col c)
{
        return p->sort_col == c ? TOP_ATTR_SORTED : TOP_ATTR_HEADER;
}

static void render_procs_title(const struct top_procs *p, const char *name,
                               const struct top_frame *f, struct top_screen *s)
{
        struct top_line *l = top_screen_add(s);

        top_line_printf(l, TOP_ATTR_BOLD, "cgmem top");
        if (f->clock)
                top_line_printf(l, TOP_ATTR_NORMAL, " - %s", f->clock);
        top_line_printf(l, TOP_ATTR_NORMAL, "  processes of ");
        top_line_printf(l, TOP_ATTR_BOLD, "%s", name);
        top_line_printf(l, TOP_ATTR_NORMAL, "  sort: %s%s", top_proc_col_to_string(p->sort_col),
                        p->reverse ? " (reversed)" : "");
        if (f->interval_sec > 0)
                top_line_printf(l, TOP_ATTR_NORMAL, "  every %gs", f->interval_sec);
        l = top_screen_add(s);
        if (p->error < 0) {
                top_line_printf(l, TOP_ATTR_RED, "%s: %s", p->cgroup,
                                p->error == -ENOENT || p->error == -ENODEV ? "the cgroup is gone"
                                                                           : strerror(-p->error));
                return;
        }
        if (strcmp(name, p->cgroup) != 0)
                top_line_printf(l, TOP_ATTR_NORMAL, "%s: ", p->cgroup);
        top_line_printf(l, TOP_ATTR_NORMAL, "%zu process%s", p->n_procs,
                        p->n_procs == 1 ? "" : "es");
        if (p->n_rows < p->n_procs)
                top_line_printf(l, p->complete ? TOP_ATTR_NORMAL : TOP_ATTR_YELLOW, ", %zu read%s",
                                p->n_rows, p->complete ? " (the largest)" : " in the time allowed");
        top_line_printf(l, TOP_ATTR_DIM, "; PSS and USS read for %zu", p->n_smaps);
}

static void render_proc_row(const struct top_proc_row *r, struct top_line *l)
{
        const struct proc_memory *m = &r->m;
        uint64_t v[] = {proc_rss_bytes(m), m->rss_anon_bytes, m->rss_file_bytes, m->rss_shmem_bytes,
                        m->swap_bytes,     m->pss_bytes,      m->uss_bytes};
        char b[32];

        top_line_printf(l, TOP_ATTR_NORMAL, "%8d %-15s ", (int) m->pid, m->comm);
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                cell(l, TOP_ATTR_NORMAL, proc_columns[i].width, 0,
                     v[i] == PROC_VALUE_UNKNOWN ? "-" : format_bytes(v[i], b));
        if (r->has_growth)
                top_format_rate(r->growth_bytes_per_sec, b, sizeof(b));
        else
                snprintf(b, sizeof(b), "-");
        cell(l,
             r->has_growth && r->growth_bytes_per_sec >= 1024 ? TOP_ATTR_YELLOW : TOP_ATTR_NORMAL,
             8, 0, b);
}

void top_render_procs(const struct top_procs *p, const char *name, const struct top_frame *f,
                      struct top_screen *s)
{
        render_procs_title(p, name, f, s);
        struct top_line *l = top_screen_add(s);
        top_line_printf(l, proc_title_attr(p, TOP_PROC_PID), "%8s", "PID");
        top_line_printf(l, TOP_ATTR_HEADER, " ");
        top_line_printf(l, proc_title_attr(p, TOP_PROC_COMM), "%-15s", "COMMAND");
        top_line_printf(l, TOP_ATTR_HEADER, " ");
        for (size_t i = 0; i < ELEMENTSOF(proc_columns); i++) {
                top_line_printf(l, proc_title_attr(p, proc_columns[i].col), "%*s",
                                proc_columns[i].width, proc_columns[i].title);
                top_line_printf(l, TOP_ATTR_HEADER, " ");
        }
        size_t end = p->n_rows;
        if (f->max_rows && f->first_row + f->max_rows < end)
                end = f->first_row + f->max_rows;
        for (size_t i = f->first_row; i < end; i++)
                render_proc_row(&p->rows[i], top_screen_add(s));
        if (p->n_rows == 0 && p->error == 0)
                top_line_printf(top_screen_add(s), TOP_ATTR_DIM, "%s",
                                p->n_refreshes ? "(no processes in this cgroup itself)"
                                               : "(reading)");
}

void top_render_help(struct top_screen *s)
{
        static const char *const lines[] = {
                "cgmem top: keys",
                "",
                "  M  sort by memory (current)      W  sort by working set",
                "  P  sort by pressure (some avg10) K  sort by kernel share",
                "  %  sort by % of memory.max        G  sort by growth rate",
                "  E  sort by time to memory.max    N  sort by name",
                "  <  >  sort by the column left/right of the current one",
                "  R  reverse the order",
                "  /  filter (text in the path or name; Enter applies, Esc clears)",
                "  t  tree (slices, pods, containers) or flat list",
                "  e  recent cgmem events pane (--events-file)",
                "  Up Down PgUp PgDn Home End  move the cursor",
                "  Enter  the processes of the container under the cursor: RSS, anon,",
                "         file, shmem, swap, PSS/USS (read for the largest while cheap),",
                "         growth; M A F S W P U G N I sort, R reverse, Esc back",
                "  space  refresh now    q  quit    ?  this help (any key closes it)",
                "",
                "Columns: WSET = current - inactive_file (what cannot be reclaimed);",
                "%MAX = current / memory.max; KERN% = kernel memory / current;",
                "SOME10/FULL10 = memory.pressure avg10; HIGHEV MAXEV OOMK = memory.events",
                "(+N: since top started); THROTTLE = set by cgmem (was: the original",
                "memory.high); GROWTH = working set per second (EWMA); ETA = until",
                "memory.max at that rate.",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                top_line_printf(top_screen_add(s), i == 0 ? TOP_ATTR_BOLD : TOP_ATTR_NORMAL, "%s",
                                lines[i]);
}

void top_render_batch_frame(const struct top_model *m, const struct top_frame *f,
                            struct top_screen *s)
{
        top_render_header(m, f, s);
        top_screen_add(s);
        top_render_table(m, f, s);
}

int top_screen_print_plain(const struct top_screen *s, FILE *out)
{
        for (size_t i = 0; i < s->n_lines; i++) {
                const struct top_line *l = &s->lines[i];
                size_t n = l->len;
                while (n > 0 && l->text[n - 1] == ' ')
                        n--;
                if (n)
                        fwrite(l->text, 1, n, out);
                fputc('\n', out);
        }
        return ferror(out) ? -EIO : 0;
}

static const char *sgr(enum top_attr a);

int top_screen_print_color(const struct top_screen *s, FILE *out)
{
        for (size_t i = 0; i < s->n_lines; i++) {
                const struct top_line *l = &s->lines[i];
                size_t n = l->len;
                int cur = TOP_ATTR_NORMAL;
                while (n > 0 && l->text[n - 1] == ' ')
                        n--;
                for (size_t j = 0; j < n; j++) {
                        if (l->attr[j] != cur) {
                                cur = l->attr[j];
                                fputs(sgr((enum top_attr) cur), out);
                        }
                        fputc(l->text[j], out);
                }
                if (cur != TOP_ATTR_NORMAL)
                        fputs("\033[0m", out);
                fputc('\n', out);
        }
        return ferror(out) ? -EIO : 0;
}

void top_rendered_free(struct top_rendered *r)
{
        for (size_t i = 0; i < r->n_lines; i++)
                free(r->lines[i]);
        free(r->lines);
        *r = (struct top_rendered){0};
}

static const char *sgr(enum top_attr a)
{
        switch (a) {
        case TOP_ATTR_BOLD:
                return "\033[0;1m";
        case TOP_ATTR_HEADER:
                return "\033[0;7m";
        case TOP_ATTR_SORTED:
                return "\033[0;1;4;7m";
        case TOP_ATTR_GREEN:
                return "\033[0;32m";
        case TOP_ATTR_YELLOW:
                return "\033[0;33m";
        case TOP_ATTR_RED:
                return "\033[0;1;31m";
        case TOP_ATTR_DIM:
                return "\033[0;2m";
        default:
                return "\033[0m";
        }
}

struct sbuf {
        char *data;
        size_t len, size;
        int oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
        if (b->oom)
                return;
        if (!GREEDY_REALLOC(b->data, b->size, b->len + n + 1)) {
                b->oom = 1;
                return;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
        sb_put(b, s, strlen(s));
}

/* One line as the terminal gets it: cut at width, attributes as SGR when color. */
static char *render_line(const struct top_line *l, int width, int color)
{
        struct sbuf b = {0};
        size_t n = l->len < (size_t) width ? l->len : (size_t) width;
        int cur = -1;

        sb_puts(&b, "");
        for (size_t i = 0; i < n; i++) {
                if (color && l->attr[i] != cur) {
                        cur = l->attr[i];
                        sb_puts(&b, sgr((enum top_attr) cur));
                }
                sb_put(&b, &l->text[i], 1);
        }
        if (color && cur > 0)
                sb_puts(&b, "\033[0m");
        if (b.oom) {
                free(b.data);
                return NULL;
        }
        return b.data;
}

int top_screen_ansi(const struct top_screen *s, int width, int height, int color,
                    struct top_rendered *prev, int full, char **ret, size_t *ret_len)
{
        struct sbuf b = {0};
        size_t n = s->n_lines < (size_t) height ? s->n_lines : (size_t) height;
        char **lines = calloc(n ? n : 1, sizeof(*lines));
        char pos[32];

        if (!lines)
                return -ENOMEM;
        if (full || !prev->lines)
                sb_puts(&b, "\033[0m\033[H\033[2J");
        for (size_t i = 0; i < n; i++) {
                lines[i] = render_line(&s->lines[i], width, color);
                if (!lines[i])
                        goto oom;
                if (!full && prev->lines && i < prev->n_lines && prev->lines[i] &&
                    strcmp(prev->lines[i], lines[i]) == 0)
                        continue;
                /* Erase first: erasing after a full-width line would eat its last column. */
                snprintf(pos, sizeof(pos), "\033[%zu;1H\033[2K", i + 1);
                sb_puts(&b, pos);
                sb_puts(&b, lines[i]);
        }
        for (size_t i = n; !full && prev->lines && i < prev->n_lines; i++) {
                snprintf(pos, sizeof(pos), "\033[%zu;1H\033[2K", i + 1);
                sb_puts(&b, pos);
        }
        if (b.oom)
                goto oom;
        top_rendered_free(prev);
        prev->lines = lines;
        prev->n_lines = n;
        *ret = b.data ? b.data : strdup("");
        *ret_len = b.len;
        return *ret ? 0 : -ENOMEM;
oom:
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
        free(lines);
        free(b.data);
        return -ENOMEM;
}

static json_t *row_top_json(const struct cgroup *row, unsigned frame)
{
        const struct memcg_sample *s = &row->sample;
        const struct top_row_state *st = top_state(row);
        double rate = 0;
        int has_rate = growth_rate(&st->growth, &rate);
        double eta = has_rate ? top_eta_sec(s->max_bytes, memcg_working_set_bytes(s), rate) : -1;
        json_t *o = view_row_json(row);

        if (!o)
                return NULL;
        if (json_object_set_new(o, "frame", json_integer(frame)) < 0 ||
            json_object_set_new(o, "name", json_string(st->name)) < 0 ||
            json_object_set_new(o, "pod", st->pod[0] ? json_string(st->pod) : json_null()) < 0 ||
            json_object_set_new(o, "throttle",
                                view_row_of(row)->throttle[0]
                                        ? json_string(view_row_of(row)->throttle)
                                        : json_null()) < 0 ||
            json_object_set_new(
                    o, "events_since_start",
                    json_pack("{s:o, s:o, s:o}", "high",
                              json_u64(top_event_delta(s->events.high, st->start_events.high)),
                              "max", json_u64(top_event_delta(s->events.max, st->start_events.max)),
                              "oom_kill",
                              json_u64(top_event_delta(s->events.oom_kill,
                                                       st->start_events.oom_kill)))) < 0 ||
            json_object_set_new(o, "growth_bytes_per_sec",
                                has_rate ? json_integer((json_int_t) rate) : json_null()) < 0 ||
            json_object_set_new(o, "eta_sec", eta >= 0 ? json_real(eta) : json_null()) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* One object as one line; takes the reference. */
static int print_json_line(json_t *o, FILE *out)
{
        if (!o)
                return -ENOMEM;
        int r = json_dumpf(o, out, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(o);
        if (r < 0)
                return -EIO;
        fputc('\n', out);
        return 0;
}

int top_print_json_frame(const struct top_model *m, unsigned frame, FILE *out)
{
        for (size_t i = 0; i < m->n_items; i++) {
                int r = print_json_line(row_top_json(m->items[i].row, frame), out);
                if (r < 0)
                        return r;
        }
        return ferror(out) ? -EIO : 0;
}

static json_t *optional_bytes(uint64_t v)
{
        return v == PROC_VALUE_UNKNOWN ? json_null() : json_u64(v);
}

static json_t *proc_row_json(const struct top_procs *p, const struct top_proc_row *r,
                             unsigned frame)
{
        const struct proc_memory *m = &r->m;

        return JSON_OBJECT({"frame", json_integer(frame)}, {"cgroup", json_string(p->cgroup)},
                           {"pid", json_integer(m->pid)}, {"comm", json_string(m->comm)},
                           {"rss_bytes", json_u64(proc_rss_bytes(m))},
                           {"rss_anon_bytes", json_u64(m->rss_anon_bytes)},
                           {"rss_file_bytes", json_u64(m->rss_file_bytes)},
                           {"rss_shmem_bytes", json_u64(m->rss_shmem_bytes)},
                           {"swap_bytes", json_u64(m->swap_bytes)},
                           {"pss_bytes", optional_bytes(m->pss_bytes)},
                           {"uss_bytes", optional_bytes(m->uss_bytes)},
                           {"growth_bytes_per_sec",
                            r->has_growth ? json_real(r->growth_bytes_per_sec) : json_null()});
}

int top_print_procs_json(const struct top_procs *p, unsigned frame, FILE *out)
{
        for (size_t i = 0; i < p->n_rows; i++) {
                int r = print_json_line(proc_row_json(p, &p->rows[i], frame), out);
                if (r < 0)
                        return r;
        }
        return ferror(out) ? -EIO : 0;
}
