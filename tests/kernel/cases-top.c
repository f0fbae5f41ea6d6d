/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgmem top in a real terminal: tmux runs it on a pseudo-terminal in the guest
 * while two memhogs hold memory in cgroups of their own; the case reads the
 * screen with capture-pane, presses keys with send-keys (Enter opens a
 * container's processes, Esc goes back), and checks that the terminal is given
 * back when top quits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "kt.h"

#define TMUX "tmux -L cgmem-kt -f /dev/null"

static void tmux(const char *args)
{
        char cmd[1024];

        snprintf(cmd, sizeof(cmd), TMUX " %s", args);
        KT_ASSERT(system(cmd) == 0, "%s failed", cmd);
}

/* The visible pane, as text. */
static void capture(char *buf, size_t size)
{
        FILE *p = popen(TMUX " capture-pane -p -t top", "r");
        KT_ASSERT(p, "popen capture-pane: %m");
        size_t n = fread(buf, 1, size - 1, p);
        buf[n] = '\0';
        pclose(p);
}

/* Index of the row that shows name, or -1. */
static int row_of(const char *screen, const char *name)
{
        int row = 0;
        for (const char *line = screen; *line; row++) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) : strlen(line);
                if (len >= strlen(name) && strncmp(line, name, strlen(name)) == 0)
                        return row;
                if (!nl)
                        break;
                line = nl + 1;
        }
        return -1;
}

typedef int (*screen_pred)(const char *screen);

/* Captures until pred holds (TCG is slow: up to 15 s); fails with the last screen. */
static void wait_screen(screen_pred pred, const char *what, char *buf, size_t size)
{
        uint64_t deadline = kt_now_usec() + 15 * 1000000ull;
        do {
                capture(buf, size);
                if (pred(buf))
                        return;
                kt_sleep_ms(200);
        } while (kt_now_usec() < deadline);
        kt_fail(__FILE__, __LINE__, "the screen never showed %s; it shows:\n%s", what, buf);
}

static int both_rows_small_first(const char *s)
{
        int big = row_of(s, "hog-big"), small = row_of(s, "hog-small");
        return strstr(s, "cgmem top") && big > 0 && small > 0 && small < big;
}

static int big_first(const char *s)
{
        int big = row_of(s, "hog-big"), small = row_of(s, "hog-small");
        return strstr(s, "sort: current") && big > 0 && small > big;
}

static int filtered(const char *s)
{
        return strstr(s, "filter: hog-big") && row_of(s, "hog-big") > 0 &&
               row_of(s, "hog-small") < 0 && !strstr(s, "filter: hog-big_");
}

/* Enter on hog-big: its processes, memhog holding its 24 MiB of anon. */
static int procs_shown(const char *s)
{
        const char *row = strstr(s, " memhog ");
        const char *end = row ? strchr(row, '\n') : NULL;
        const char *anon = row ? strstr(row, " 24M ") : NULL;
        return strstr(s, "processes of hog-big") && strstr(s, "PID COMMAND") && anon &&
               (!end || anon < end);
}

static int exited(const char *s)
{
        return strstr(s, "EXITED 0") != NULL;
}

void case_top_in_tmux(void)
{
        const char *cgmem = getenv("KT_CGMEM");
        char screen[16384], cmd[1024];

        KT_ASSERT(cgmem, "KT_CGMEM is not set");
        KT_ASSERT(system("command -v tmux >/dev/null") == 0, "tmux is not installed on the host");
        int cg = kt_cgroup_new("top");
        kt_delegate(cg);
        int big = kt_cgroup_child(cg, "hog-big");
        int small = kt_cgroup_child(cg, "hog-small");
        kt_write(big, "memory.max", "134217728");
        kt_spawn_in(big, (char *[]){"memhog", "--total", "24", "--hold", NULL});
        kt_spawn_in(small, (char *[]){"memhog", "--total", "8", "--hold", NULL});

        /* The pane keeps its shell after top so the restored screen can be read. */
        snprintf(cmd, sizeof(cmd),
                 "new-session -d -s top -x 160 -y 40 \"sh -c '%s top --all --filter hog- "
                 "--sort name --reverse -d 0.5; echo EXITED \\$?; sleep 100'\"",
                 cgmem);
        tmux(cmd);

        wait_screen(both_rows_small_first, "both hogs, hog-small first (name, reversed)", screen,
                    sizeof(screen));
        KT_ASSERT(strstr(screen, "CONTAINER") && strstr(screen, "WSET") && strstr(screen, "%MAX"),
                  "no column header in:\n%s", screen);
        KT_ASSERT(strstr(screen, "2 shown"), "the header does not count 2 rows:\n%s", screen);
        const char *line = strstr(screen, "\nhog-big");
        KT_ASSERT(line && strstr(line, " 128M ") && strstr(line, " 128M ") < strchr(line + 1, '\n'),
                  "hog-big's row does not show its 128M limit:\n%s", screen);

        tmux("send-keys -t top M");
        wait_screen(big_first, "hog-big first after M", screen, sizeof(screen));

        tmux("send-keys -t top / b i g Enter");
        wait_screen(filtered, "only hog-big after filtering", screen, sizeof(screen));

        tmux("send-keys -t top Enter");
        wait_screen(procs_shown, "hog-big's processes after Enter", screen, sizeof(screen));
        tmux("send-keys -t top Escape");
        wait_screen(filtered, "the containers again after Esc", screen, sizeof(screen));

        tmux("send-keys -t top q");
        wait_screen(exited, "EXITED 0 after q", screen, sizeof(screen));
        KT_ASSERT(!strstr(screen, "cgmem top") && !strstr(screen, "CONTAINER"),
                  "top's screen is still shown after it quit:\n%s", screen);
        FILE *p = popen(TMUX " display-message -p -t top '#{alternate_on} #{cursor_flag}'", "r");
        KT_ASSERT(p, "popen display-message: %m");
        char flags[32] = "";
        KT_ASSERT(fgets(flags, sizeof(flags), p), "display-message printed nothing");
        pclose(p);
        KT_ASSERT(strncmp(flags, "0 1", 3) == 0,
                  "alternate screen / cursor not restored: alternate_on cursor_flag = %s", flags);
        kt_log("terminal restored: alternate_on cursor_flag = %.3s", flags);
        (void) !system(TMUX " kill-server");
}
