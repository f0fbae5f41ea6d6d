/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgmem ps against live cgroups in the guest, compared with the files it reports on. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#include "cases.h"
#include "cgroupfs/mount.h"
#include "kt.h"

#define MiB (UINT64_C(1) << 20)

struct ps_run {
        json_t *rows; /* array of the JSON lines */
        int status;
        char table[16384];
};

static void run_ps(const char *args, struct ps_run *out)
{
        char cmd[512], line[8192];
        const char *cgmem = getenv("KT_CGMEM");

        KT_ASSERT(cgmem, "KT_CGMEM is not set");
        snprintf(cmd, sizeof(cmd), "%s ps %s", cgmem, args);
        FILE *p = popen(cmd, "r");
        KT_ASSERT(p, "popen %s: %m", cmd);
        out->rows = json_array();
        size_t used = 0;
        while (fgets(line, sizeof(line), p)) {
                json_error_t err;
                json_t *row = strstr(args, "--json") ? json_loads(line, 0, &err) : NULL;
                if (strstr(args, "--json"))
                        KT_ASSERT(row, "not JSON: %s (%s)", line, err.text);
                if (row)
                        json_array_append_new(out->rows, row);
                else if (used + strlen(line) < sizeof(out->table))
                        used += (size_t) snprintf(out->table + used, sizeof(out->table) - used,
                                                  "%s", line);
        }
        out->status = pclose(p);
}

static json_t *find_row(json_t *rows, const char *path)
{
        size_t i;
        json_t *row;

        json_array_foreach(rows, i, row)
        {
                if (strcmp(json_string_value(json_object_get(row, "path")), path) == 0)
                        return row;
        }
        kt_fail(__FILE__, __LINE__, "cgmem ps has no row for %s", path);
}

static uint64_t row_u64(json_t *row, const char *key)
{
        json_t *v = json_object_get(row, key);
        KT_ASSERT(json_is_integer(v), "%s is not an integer", key);
        return (uint64_t) json_integer_value(v);
}

/* The cgroup's path as cgmem prints it: relative to the cgroup2 mount, with a leading slash. */
static void ps_path(const char *child, char *buf, size_t size)
{
        const char *abs = kt_cgroup_base();
        snprintf(buf, size, "%s/%s", abs + strlen(CG_DEFAULT_ROOT), child);
}

static void assert_row_matches(json_t *row, int cg, uint64_t hog_bytes)
{
        uint64_t before = kt_read_value(cg, "memory.current");
        uint64_t current = row_u64(row, "current_bytes");
        uint64_t wset = row_u64(row, "working_set_bytes");

        KT_ASSERT(current + MiB >= before && current <= before + MiB,
                  "current %llu vs memory.current %llu", (unsigned long long) current,
                  (unsigned long long) before);
        KT_ASSERT(wset <= current, "working set above current");
        KT_ASSERT(row_u64(row, "anon_bytes") >= hog_bytes, "anon below the hog's %llu",
                  (unsigned long long) hog_bytes);
        json_t *events = json_object_get(row, "events");
        KT_ASSERT(json_integer_value(json_object_get(events, "oom_kill")) ==
                          (json_int_t) kt_read_key(cg, "memory.events", "oom_kill"),
                  "oom_kill");
}

/*
 * memory.current at least min_bytes and still for 300 ms: a hog that printed
 * "ready" is still faulting its memory in, slowly under TCG.
 */
static void wait_settled(int cg, uint64_t min_bytes)
{
        uint64_t last = 0, now;

        for (int i = 0; i < 100; i++) {
                now = kt_read_value(cg, "memory.current");
                if (now >= min_bytes && now == last)
                        return;
                last = now;
                kt_sleep_ms(300);
        }
        KT_ASSERT(false, "memory.current did not settle above %llu (%llu)",
                  (unsigned long long) min_bytes, (unsigned long long) last);
}

void case_ps_lists_guest_cgroups(void)
{
        int cg = kt_cgroup_new("ps");
        char path[256];
        struct ps_run run;

        kt_delegate(cg);
        int limited = kt_cgroup_child(cg, "limited");
        int open_ended = kt_cgroup_child(cg, "open-ended");
        kt_write(limited, "memory.max", "67108864");
        kt_write(open_ended, "memory.high", "104857600");
        kt_spawn_in(limited, (char *[]){"memhog", "--total", "24", "--hold", NULL});
        kt_spawn_in(open_ended, (char *[]){"memhog", "--total", "8", "--hold", NULL});
        wait_settled(limited, 24 * MiB);
        wait_settled(open_ended, 8 * MiB);

        run_ps("--json --sort path", &run);
        KT_ASSERT(run.status == 0, "cgmem ps --json exited 0x%x", run.status);
        ps_path("limited", path, sizeof(path));
        json_t *row = find_row(run.rows, path);
        assert_row_matches(row, limited, 24 * MiB);
        KT_ASSERT(row_u64(row, "max_bytes") == 64 * MiB, "max_bytes");
        KT_ASSERT(json_is_null(json_object_get(row, "high_bytes")), "high is max: null");

        ps_path("open-ended", path, sizeof(path));
        row = find_row(run.rows, path);
        assert_row_matches(row, open_ended, 8 * MiB);
        KT_ASSERT(json_is_null(json_object_get(row, "max_bytes")), "max is max: null");
        KT_ASSERT(row_u64(row, "high_bytes") == 100 * MiB, "high_bytes");

        ps_path("", path, sizeof(path));
        path[strlen(path) - 1] = '\0';
        KT_ASSERT(json_array_size(run.rows) >= 2, "rows");
        size_t i;
        json_t *r;
        json_array_foreach(run.rows, i, r)
        {
                KT_ASSERT(strcmp(json_string_value(json_object_get(r, "path")), path) != 0,
                          "%s delegates memory: only --all lists it", path);
        }
        json_decref(run.rows);
}

void case_ps_on_pure_v2_needs_no_root(void)
{
        int cg = kt_cgroup_new("ps-table");
        char path[256];
        struct ps_run run;

        kt_write(cg, "memory.max", "33554432");
        kt_spawn_in(cg, (char *[]){"memhog", "--total", "4", "--hold", NULL});
        run_ps("--sort max", &run);
        KT_ASSERT(run.status == 0, "cgmem ps exited 0x%x", run.status);
        KT_ASSERT(strncmp(run.table, "CURRENT", 7) == 0 || strstr(run.table, " CURRENT "),
                  "no header in:\n%s", run.table);
        ps_path("", path, sizeof(path));
        path[strlen(path) - 1] = '\0';
        char *line = strstr(run.table, path);
        KT_ASSERT(line, "no row for %s in:\n%s", path, run.table);
        while (line > run.table && line[-1] != '\n')
                line--;
        KT_ASSERT(strstr(line, " 32M ") && strstr(line, " 32M ") < strstr(line, path),
                  "the 32 MiB limit is not shown as 32M in \"%.*s\"", (int) strcspn(line, "\n"),
                  line);
        json_decref(run.rows);
}
