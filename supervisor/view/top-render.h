/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The screen of cgmem top: lines of text with one attribute per character,
 * built from the model, then either printed plain (batch, golden files) or
 * turned into ANSI for a terminal: only the lines that changed are rewritten,
 * cut at the terminal's width, coloured when asked to.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cgroupfs/macro.h"
#include "top-model.h"
#include "top-procs.h"

enum top_attr {
        TOP_ATTR_NORMAL,
        TOP_ATTR_BOLD,
        TOP_ATTR_HEADER, /* the column header: reverse video */
        TOP_ATTR_SORTED, /* the sorted column's header */
        TOP_ATTR_GREEN,
        TOP_ATTR_YELLOW,
        TOP_ATTR_RED,
        TOP_ATTR_DIM,
};

struct top_line {
        char *text;
        unsigned char *attr;
        size_t len;
        size_t size;
};

struct top_screen {
        struct top_line *lines;
        size_t n_lines;
        size_t allocated;
        int oom; /* an allocation failed: the screen is incomplete */
};

void top_screen_clear(struct top_screen *s);
void top_screen_free(struct top_screen *s);
/* A new empty line at the end (a scratch line on allocation failure). */
struct top_line *top_screen_add(struct top_screen *s);
_printf_(3, 4) void top_line_printf(struct top_line *l, enum top_attr attr, const char *fmt, ...);

/* One line of the events pane. */
struct top_event {
        char time[16]; /* "23:59:42" (UTC, from the event's time) */
        char type[32];
        char cgroup[256];
};

struct top_frame {
        const char *clock;   /* "12:34:56" in the interactive header, NULL in batch */
        const char *root;    /* shown in the header when not NULL */
        double interval_sec; /* shown when > 0 */
        size_t first_row;    /* scrolling: the first item shown */
        size_t max_rows;     /* rows of the table; 0: all */
        int width;           /* the terminal's columns, to fit the name column; 0: no limit */
        const struct top_event *events; /* the events pane, when not NULL */
        size_t n_events;
        const char *events_note; /* instead of events: why there are none */
        size_t events_rows;
        bool has_selected; /* the interactive cursor: Enter opens its processes */
        size_t selected;   /* an index into the view's items */
};

/* The two header lines: what is shown and the node's pressure. */
void top_render_header(const struct top_model *m, const struct top_frame *f, struct top_screen *s);
/* The column header and the rows of the view. */
void top_render_table(const struct top_model *m, const struct top_frame *f, struct top_screen *s);
void top_render_events(const struct top_frame *f, struct top_screen *s);

/*
 * The processes view of one container (name: how the table shows it): its
 * header line, the column header and the rows from f->first_row, at most
 * f->max_rows of them.
 */
void top_render_procs(const struct top_procs *p, const char *name, const struct top_frame *f,
                      struct top_screen *s);
void top_render_help(struct top_screen *s);

/* A whole batch frame: header, blank line, table. */
void top_render_batch_frame(const struct top_model *m, const struct top_frame *f,
                            struct top_screen *s);

/* Prints the lines as plain text, trailing blanks removed. */
int top_screen_print_plain(const struct top_screen *s, FILE *out);
/* The same with the attributes as ANSI colours (a terminal that is not full-screen). */
int top_screen_print_color(const struct top_screen *s, FILE *out);

/*
 * The ANSI for a terminal of width x height: the lines that differ from prev
 * (all when prev is NULL) are rewritten in place, the rest of the screen is
 * cleared. Returns a malloc'd buffer in *ret and its length, or -ENOMEM.
 * *prev_rendered keeps each line's rendering for the next call.
 */
struct top_rendered {
        char **lines;
        size_t n_lines;
};
void top_rendered_free(struct top_rendered *r);
int top_screen_ansi(const struct top_screen *s, int width, int height, int color,
                    struct top_rendered *prev, int full, char **ret, size_t *ret_len);

/* One JSON object per process, as cgmem top --json --processes prints it (a line each). */
int top_print_procs_json(const struct top_procs *p, unsigned frame, FILE *out);

/* One JSON object per row of the view, as cgmem top --json prints it (a line each). */
int top_print_json_frame(const struct top_model *m, unsigned frame, FILE *out);

/* Formatters shared with the tests. */
void top_format_rate(double bytes_per_sec, char *buf, size_t size);
void top_format_eta(double sec, char *buf, size_t size);
void top_format_events(uint64_t count, uint64_t delta, char *buf, size_t size);
