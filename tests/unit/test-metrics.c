/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the metrics (supervisor/metrics/): label escaping, the
 * exposition of a made-up snapshot (whole and in pieces of any size), the
 * listen addresses, and the server over a unix socket: scrapes, a client that
 * stops reading while the loop goes on publishing, the textfile.
 */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroupfs/macro.h"
#include "cgroupfs/parse.h"
#include "supervisor/metrics/listen.h"
#include "supervisor/metrics/render.h"
#include "supervisor/metrics/server.h"
#include "supervisor/metrics/snapshot.h"

#define MiB (UINT64_C(1) << 20)

/* ---- helpers ---- */

static char *render_all(const struct metrics_snapshot *s, size_t chunk)
{
        struct metrics_cursor *c = malloc(sizeof(*c));
        size_t len = 0, cap = 1 << 16;
        char *out = malloc(cap);

        assert_non_null(c);
        assert_non_null(out);
        metrics_cursor_init(c);
        for (;;) {
                if (cap - len < chunk + 1) {
                        cap = 2 * cap + chunk;
                        out = realloc(out, cap);
                        assert_non_null(out);
                }
                size_t n = metrics_render(s, c, out + len, chunk);
                if (n == 0)
                        break;
                assert_true(n <= chunk);
                len += n;
        }
        out[len] = '\0';
        free(c);
        return out;
}

static size_t count(const char *text, const char *needle)
{
        size_t n = 0;
        for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void assert_has(const char *text, const char *line)
{
        if (!strstr(text, line))
                fail_msg("no \"%s\" in:\n%s", line, text);
}

static void assert_lacks(const char *text, const char *line)
{
        if (strstr(text, line))
                fail_msg("\"%s\" should not be there", line);
}

static struct metrics_snapshot *snapshot_new(void)
{
        struct metrics_snapshot *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        return s;
}

/* A docker container with names, limits, PSI, swap and a kill; a bare systemd service. */
static struct metrics_snapshot *made_up(void)
{
        struct metrics_snapshot *s = snapshot_new();
        const char *docker[_METRICS_LABEL_MAX] = {
                [METRICS_LABEL_ID] = "/system.slice/docker-abc.scope",
                [METRICS_LABEL_CONTAINER_ID] = "abc",
                [METRICS_LABEL_NAME] = "web",
                [METRICS_LABEL_IMAGE] = "nginx:1.25",
                [METRICS_LABEL_NAMESPACE] = "",
        };
        const char *service[_METRICS_LABEL_MAX] = {[METRICS_LABEL_ID] =
                                                           "/system.slice/ssh.service"};

        struct metrics_container *r = metrics_snapshot_add(s, docker);
        assert_non_null(r);
        r->sample = (struct memcg_sample){
                .current_bytes = 100 * MiB,
                .min_bytes = 0,
                .low_bytes = 16 * MiB,
                .high_bytes = 240 * MiB,
                .max_bytes = 256 * MiB,
                .swap_current_bytes = 2 * MiB,
                .swap_max_bytes = CG_VALUE_MAX,
                .stat = {.anon = 60 * MiB,
                         .file = 30 * MiB,
                         .inactive_file = 20 * MiB,
                         .kernel = 10 * MiB,
                         .file_mapped = MiB,
                         .pgfault = 7,
                         .pgmajfault = 3},
                .events = {.high = 12, .max = 4, .oom = 2, .oom_kill = 1},
                .psi = {.some = {.total_usec = 1500000},
                        .full = {.total_usec = 250},
                        .has_full = 1},
                .have = MEMCG_HAVE_SWAP | MEMCG_HAVE_PSI | MEMCG_HAVE_STAT_KERNEL,
        };
        r->growth_bytes_per_sec = 1048576.0;
        r->throttled = true;
        r->actions[ACTION_GUARD][REASON_GUARD_BAND] = 1;
        r->actions[ACTION_KILL][REASON_RUNAWAY] = 1;

        r = metrics_snapshot_add(s, service);
        assert_non_null(r);
        r->sample = (struct memcg_sample){
                .current_bytes = 5 * MiB,
                .high_bytes = CG_VALUE_MAX,
                .max_bytes = CG_VALUE_MAX,
                .stat = {.anon = 4 * MiB, .kernel_stack = 16384, .pagetables = 4096},
        };

        s->node = (struct metrics_node){.meminfo_valid = true,
                                        .mem_total_bytes = 1024 * MiB,
                                        .mem_available_bytes = 512 * MiB,
                                        .headroom_bytes = 600 * MiB,
                                        .floor_bytes = 40 * MiB,
                                        .has_psi = true,
                                        .psi = {.some = {.total_usec = 3000001}, .has_full = 0}};
        s->agent.start_time_usec = UINT64_C(1700000000123456);
        s->agent.rounds = 42;
        metrics_histogram_observe(&s->agent.round_duration, 90);
        metrics_histogram_observe(&s->agent.round_duration, 3000);
        metrics_histogram_observe(&s->agent.round_duration, 5000000);
        s->agent.events_emitted = 99;
        s->agent.events_dropped[METRICS_SINK_FILE] = 5;
        s->agent.cgroups = 7;
        s->agent.containers = 2;
        s->agent.watches = 7;
        s->agent.psi_triggers = 1;
        s->agent.names_helper_restarts = 3;
        s->agent.actions[ACTION_KILL][REASON_RUNAWAY] = 4;
        s->agent.action_failures[ACTION_KILL] = 1;
        return s;
}

/* ---- labels ---- */

static void test_escape(void **state)
{
        (void) state;
        char buf[2 * METRICS_LABEL_VALUE_MAX + 1];
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"plain", "plain"},
                {"a\"b\\c\nd", "a\\\"b\\\\c\\nd"},
                {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3",
                 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"},
                {"bad\xff", "bad?"},
                {"overlong\xc0\x80", "overlong??"},
                {"surrogate\xed\xa0\x80", "surrogate???"},
                {"cut\xe2\x82", "cut??"},
                {"toobig\xf4\x90\x80\x80", "toobig????"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = metrics_escape_label_value(cases[i].in, buf);
                buf[n] = '\0';
                assert_string_equal(buf, cases[i].out);
        }
}

static void test_escape_cap(void **state)
{
        (void) state;
        char in[METRICS_LABEL_VALUE_MAX + 8], buf[2 * METRICS_LABEL_VALUE_MAX + 1];

        /* 1023 bytes and a two-byte character across the cap: the character goes whole. */
        memset(in, 'a', METRICS_LABEL_VALUE_MAX - 1);
        memcpy(in + METRICS_LABEL_VALUE_MAX - 1, "\xc3\xa9zz", 5);
        size_t n = metrics_escape_label_value(in, buf);
        assert_int_equal(n, METRICS_LABEL_VALUE_MAX - 1);
        assert_int_equal(buf[n - 1], 'a');

        /* Every byte escaped: twice the cap, and no more. */
        memset(in, '"', sizeof(in) - 1);
        in[sizeof(in) - 1] = '\0';
        assert_int_equal(metrics_escape_label_value(in, buf), 2 * METRICS_LABEL_VALUE_MAX);
}

static void test_labels(void **state)
{
        (void) state;
        struct metrics_snapshot *s = snapshot_new();
        const char *v[_METRICS_LABEL_MAX] = {
                [METRICS_LABEL_ID] = "/kubepods.slice/x", [METRICS_LABEL_CONTAINER_ID] = "",
                [METRICS_LABEL_NAMESPACE] = "default",    [METRICS_LABEL_POD] = "web-0",
                [METRICS_LABEL_CONTAINER] = "app\"1",
        };

        struct metrics_container *r = metrics_snapshot_add(s, v);
        assert_non_null(r);
        assert_string_equal(s->strings + r->labels,
                            "id=\"/kubepods.slice/x\",namespace=\"default\",pod=\"web-0\","
                            "container=\"app\\\"1\"");
        assert_int_equal(r->labels_len, strlen(s->strings + r->labels));
        /* Rows keep their labels as the arena grows. */
        for (int i = 0; i < 100; i++)
                assert_non_null(metrics_snapshot_add(s, v));
        assert_string_equal(s->strings + s->rows[0].labels, s->strings + s->rows[100].labels);
        metrics_snapshot_reset(s);
        assert_int_equal(s->n_rows, 0);
        assert_int_equal(s->strings_len, 0);
        metrics_snapshot_free(s);
}

static void test_histogram(void **state)
{
        (void) state;
        struct metrics_histogram h = {0};

        metrics_histogram_observe(&h, 0);
        metrics_histogram_observe(&h, 100);     /* le is inclusive */
        metrics_histogram_observe(&h, 101);     /* the next bucket */
        metrics_histogram_observe(&h, 1000000); /* the last finite one */
        metrics_histogram_observe(&h, 1000001); /* +Inf */
        assert_int_equal(h.counts[0], 2);
        assert_int_equal(h.counts[1], 1);
        assert_int_equal(h.counts[METRICS_ROUND_BUCKETS - 1], 1);
        assert_int_equal(h.counts[METRICS_ROUND_BUCKETS], 1);
        assert_int_equal(h.count, 5);
        assert_int_equal(h.sum_usec, 2000202);
}

/* ---- the exposition ---- */

static void test_render_containers(void **state)
{
        (void) state;
        struct metrics_snapshot *s = made_up();
        char *t = render_all(s, 1 << 20);
        const char *d = "{id=\"/system.slice/docker-abc.scope\",container_id=\"abc\",name=\"web\","
                        "image=\"nginx:1.25\"";
        char line[512];

#define HAS(fmt, ...)                                                                              \
        do {                                                                                       \
                snprintf(line, sizeof(line), fmt, __VA_ARGS__);                                    \
                assert_has(t, line);                                                               \
        } while (0)
        HAS("\ncontainer_memory_usage_bytes%s} 104857600\n", d);
        HAS("\ncontainer_memory_working_set_bytes%s} 83886080\n", d);
        HAS("\ncontainer_memory_rss%s} 62914560\n", d);
        HAS("\ncontainer_memory_cache%s} 31457280\n", d);
        HAS("\ncontainer_memory_kernel_usage%s} 10485760\n", d);
        HAS("\ncontainer_memory_swap%s} 2097152\n", d);
        HAS("\ncontainer_memory_failures_total%s,failure_type=\"pgmajfault\",scope=\"container\"} "
            "3\n",
            d);
        HAS("\ncontainer_memory_events_high_total%s} 12\n", d);
        HAS("\ncontainer_memory_events_max_total%s} 4\n", d);
        HAS("\ncontainer_oom_events_total%s} 1\n", d);
        HAS("\ncgmem_container_memory_events_oom_total%s} 2\n", d);
        HAS("\ncontainer_spec_memory_limit_bytes%s} 268435456\n", d);
        HAS("\ncontainer_spec_memory_reservation_limit_bytes%s} 16777216\n", d);
        HAS("\ncontainer_pressure_memory_waiting_seconds_total%s} 1.500000\n", d);
        HAS("\ncontainer_pressure_memory_stalled_seconds_total%s} 0.000250\n", d);
        HAS("\ncgmem_container_memory_limit_bytes%s,limit=\"high\"} 251658240\n", d);
        HAS("\ncgmem_container_memory_limit_bytes%s,limit=\"low\"} 16777216\n", d);
        HAS("\ncgmem_container_memory_footprint_bytes%s} %llu\n", d,
            (unsigned long long) (70 * MiB + 2 * MiB));
        HAS("\ncgmem_container_memory_kernel_share_ratio%s} 0.1\n", d);
        HAS("\ncgmem_container_memory_growth_bytes_per_second%s} 1.04858e+06\n", d);
        HAS("\ncgmem_container_throttled%s} 1\n", d);
        HAS("\ncgmem_container_actions_total%s,action=\"kill\",reason=\"runaway\"} 1\n", d);
        HAS("\ncgmem_container_actions_total%s,action=\"guard\",reason=\"guard_band\"} 1\n", d);
        /* Limits not set, swap not accounted, PSI not there: no series, not a made-up 0. */
        HAS("\ncgmem_container_memory_limit_bytes%s,limit=\"max\"} 268435456\n", d);
        assert_lacks(t, "limit=\"min\"");
        assert_lacks(t, "limit=\"swap_max\"");
        assert_lacks(t, "cgmem_container_memory_limit_bytes{id=\"/system.slice/ssh.service\"");
        assert_has(t, "\ncontainer_spec_memory_limit_bytes{id=\"/system.slice/ssh.service\"} 0\n");
        assert_lacks(t, "container_memory_swap{id=\"/system.slice/ssh.service\"");
        assert_lacks(t, "container_pressure_memory_waiting_seconds_total{id=\"/system.slice/ssh");
        assert_lacks(t, "cgmem_container_actions_total{id=\"/system.slice/ssh.service\"");
        /* Kernel memory before 5.18: the sum of its parts. */
        assert_has(t, "\ncontainer_memory_kernel_usage{id=\"/system.slice/ssh.service\"} 20480\n");
        free(t);
        metrics_snapshot_free(s);
}

static void test_render_node_and_agent(void **state)
{
        (void) state;
        struct metrics_snapshot *s = made_up();
        char *t = render_all(s, 1 << 20);

        assert_has(t, "\ncgmem_node_memory_total_bytes 1073741824\n");
        assert_has(t, "\ncgmem_node_memory_available_bytes 536870912\n");
        assert_has(t, "\ncgmem_node_memory_headroom_bytes 629145600\n");
        assert_has(t, "\ncgmem_node_memory_floor_bytes 41943040\n");
        assert_has(t, "\ncgmem_node_pressure_memory_waiting_seconds_total 3.000001\n");
        assert_lacks(t, "\ncgmem_node_pressure_memory_stalled_seconds_total ");
        assert_has(t, "\ncgmem_build_info{version=\"" CGMEM_VERSION "\"} 1\n");
        assert_has(t, "\ncgmem_start_time_seconds 1700000000.123456\n");
        assert_has(t, "\ncgmem_rounds_total 42\n");
        assert_has(t, "\ncgmem_round_duration_seconds_bucket{le=\"0.0001\"} 1\n");
        assert_has(t, "\ncgmem_round_duration_seconds_bucket{le=\"0.0025\"} 1\n");
        assert_has(t, "\ncgmem_round_duration_seconds_bucket{le=\"0.005\"} 2\n");
        assert_has(t, "\ncgmem_round_duration_seconds_bucket{le=\"1\"} 2\n");
        assert_has(t, "\ncgmem_round_duration_seconds_bucket{le=\"+Inf\"} 3\n");
        assert_has(t, "\ncgmem_round_duration_seconds_sum 5.003090\n");
        assert_has(t, "\ncgmem_round_duration_seconds_count 3\n");
        assert_has(t, "\ncgmem_events_emitted_total 99\n");
        assert_has(t, "\ncgmem_events_dropped_total{sink=\"file\"} 5\n");
        assert_has(t, "\ncgmem_events_dropped_total{sink=\"journal\"} 0\n");
        assert_has(t, "\ncgmem_cgroups 7\n");
        assert_has(t, "\ncgmem_containers 2\n");
        assert_has(t, "\ncgmem_watches 7\n");
        assert_has(t, "\ncgmem_psi_triggers 1\n");
        assert_has(t, "\ncgmem_names_helper_restarts_total 3\n");
        assert_has(t, "\ncgmem_actions_total{action=\"kill\",reason=\"runaway\"} 4\n");
        /* What has not happened yet is there at 0, so that increase() sees the first one. */
        assert_has(t, "\ncgmem_actions_total{action=\"kill\",reason=\"node_pressure\"} 0\n");
        assert_has(t, "\ncgmem_actions_total{action=\"yield\",reason=\"owner_high\"} 0\n");
        assert_lacks(t, "action=\"yield\",reason=\"runaway\"");
        assert_lacks(t, "action=\"none\"");
        assert_has(t, "\ncgmem_action_failures_total{action=\"kill\"} 1\n");
        assert_lacks(t, "cgmem_action_failures_total{action=\"yield\"}");
        free(t);
        metrics_snapshot_free(s);
}

/* Every family once, contiguous, HELP then TYPE; every sample line "name[{...}] value". */
static void test_render_format(void **state)
{
        (void) state;
        struct metrics_snapshot *s = made_up();
        char *t = render_all(s, 1 << 20), *save = NULL;
        char family[128] = "", type[32] = "";
        size_t families = 0;

        assert_true(t[strlen(t) - 1] == '\n');
        for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "# HELP ", 7) == 0) {
                        families++;
                        sscanf(line + 7, "%127s", family);
                        continue;
                }
                if (strncmp(line, "# TYPE ", 7) == 0) {
                        char name[128];
                        assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
                        assert_string_equal(name, family);
                        continue;
                }
                size_t n = strlen(family);
                assert_memory_equal(line, family, n);
                assert_true(line[n] == '{' || line[n] == ' ' || line[n] == '_');
                if (strcmp(type, "counter") == 0)
                        assert_non_null(strstr(family, "_total"));
                char *value = strrchr(line, ' ');
                assert_non_null(value);
                char *end;
                strtod(value + 1, &end);
                assert_true(*end == '\0');
        }
        assert_int_equal(families, 43);
        free(t);
        metrics_snapshot_free(s);
}

/* Any piece size gives the same text: a reader that takes 1 byte at a time loses nothing. */
static void test_render_in_pieces(void **state)
{
        (void) state;
        struct metrics_snapshot *s = made_up();
        char *whole = render_all(s, 1 << 20);
        static const size_t sizes[] = {1, 2, 7, 64, 333, 4096, 32768};

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                char *pieces = render_all(s, sizes[i]);
                assert_string_equal(pieces, whole);
                free(pieces);
        }
        free(whole);
        metrics_snapshot_free(s);
}

/* Labels at their longest, every byte escaped: the line still fits. */
static void test_render_longest_line(void **state)
{
        (void) state;
        struct metrics_snapshot *s = snapshot_new();
        char *v = malloc(METRICS_LABEL_VALUE_MAX + 100);
        const char *values[_METRICS_LABEL_MAX];

        assert_non_null(v);
        memset(v, '\\', METRICS_LABEL_VALUE_MAX + 99);
        v[METRICS_LABEL_VALUE_MAX + 99] = '\0';
        for (int i = 0; i < _METRICS_LABEL_MAX; i++)
                values[i] = v;
        struct metrics_container *r = metrics_snapshot_add(s, values);
        assert_non_null(r);
        r->actions[ACTION_RELEASE][REASON_LIMIT_REMOVED] = 1;
        char *t = render_all(s, 100);
        assert_true(count(t, "action=\"release\",reason=\"limit_removed\"} 1\n") == 1);
        assert_true(strlen(t) > (size_t) 2 * METRICS_LABEL_VALUE_MAX * _METRICS_LABEL_MAX);
        free(t);
        free(v);
        metrics_snapshot_free(s);
}

static void test_render_empty(void **state)
{
        (void) state;
        struct metrics_snapshot *s = snapshot_new();
        char *t = render_all(s, 4096);

        assert_has(t, "# TYPE container_memory_working_set_bytes gauge\n");
        assert_lacks(t, "\ncontainer_memory_working_set_bytes{");
        assert_lacks(t, "cgmem_node_memory_total_bytes 0");
        assert_has(t, "\ncgmem_containers 0\n");
        free(t);
        metrics_snapshot_free(s);
}

/* ---- listen addresses ---- */

static void test_listen_parse(void **state)
{
        (void) state;
        struct metrics_listen l;
        const char *why;

        assert_int_equal(metrics_listen_parse("127.0.0.1:9847", &l, &why), 0);
        assert_int_equal(l.addr.sa.sa_family, AF_INET);
        assert_int_equal(ntohs(l.addr.in.sin_port), 9847);
        assert_int_equal(ntohl(l.addr.in.sin_addr.s_addr), 0x7f000001);
        assert_int_equal(metrics_listen_parse("0.0.0.0:1", &l, &why), 0);
        assert_int_equal(metrics_listen_parse("[::1]:65535", &l, &why), 0);
        assert_int_equal(l.addr.sa.sa_family, AF_INET6);
        assert_int_equal(ntohs(l.addr.in6.sin6_port), 65535);
        assert_int_equal(metrics_listen_parse("[::]:9847", &l, &why), 0);
        assert_int_equal(metrics_listen_parse("unix:/run/cgmem/metrics.sock", &l, &why), 0);
        assert_int_equal(l.addr.sa.sa_family, AF_UNIX);
        assert_string_equal(l.addr.un.sun_path, "/run/cgmem/metrics.sock");

        static const char *const bad[] = {
                "",
                "9847",
                ":9847",
                "127.0.0.1:",
                "127.0.0.1:0",
                "127.0.0.1:65536",
                "127.0.0.1:+80",
                "127.0.0.1:80x",
                "127.1:80",
                "localhost:9847",
                "::1:9847",
                "[::1:9847",
                "[127.0.0.1]:9847",
                "unix:",
                "unix:relative.sock",
                "unix:/"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "a"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                why = NULL;
                if (metrics_listen_parse(bad[i], &l, &why) != -EINVAL || !why)
                        fail_msg("\"%s\" was taken", bad[i]);
        }
}

static void scratch_path(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "/tmp/cgmem-test-metrics-%d-%s", (int) getpid(), name);
}

static void test_listen_open_unix(void **state)
{
        (void) state;
        struct metrics_listen l;
        const char *why;
        char path[108], arg[128];
        struct stat st;

        scratch_path(path, sizeof(path), "sock");
        snprintf(arg, sizeof(arg), "unix:%s", path);
        assert_int_equal(metrics_listen_parse(arg, &l, &why), 0);
        int fd = metrics_listen_open(&l);
        assert_true(fd >= 0);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0660);
        close(fd);
        /* An earlier agent's socket is replaced ... */
        fd = metrics_listen_open(&l);
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
        /* ... anything else at the path is left alone. */
        int file = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(file >= 0);
        close(file);
        assert_int_equal(metrics_listen_open(&l), -EEXIST);
        unlink(path);
}

/* ---- the server ---- */

static int connect_unix(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

/* Sends request, reads to EOF (HTTP/1.0: the server closes); the whole answer. */
static char *http(const char *path, const char *request)
{
        int fd = connect_unix(path);
        size_t len = 0, cap = 1 << 16;
        char *out = malloc(cap);

        assert_non_null(out);
        assert_int_equal(write(fd, request, strlen(request)), (ssize_t) strlen(request));
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                assert_int_equal(poll(&p, 1, 5000), 1);
                if (cap - len < 4096) {
                        cap *= 2;
                        out = realloc(out, cap);
                        assert_non_null(out);
                }
                ssize_t n = read(fd, out + len, cap - len - 1);
                assert_true(n >= 0);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        out[len] = '\0';
        close(fd);
        return out;
}

struct fixture {
        char sock[108], dir[108];
        struct metrics_server *server;
};

static int server_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char listen[128], err[256] = "";

        scratch_path(f->sock, sizeof(f->sock), "server.sock");
        scratch_path(f->dir, sizeof(f->dir), "textfile");
        if (mkdir(f->dir, 0700) < 0)
                return -1;
        snprintf(listen, sizeof(listen), "unix:%s", f->sock);
        struct metrics_server_options o = {
                .listen = listen,
                .textfile_dir = f->dir,
                .textfile_interval_usec = 1000000,
        };
        if (metrics_server_new(&o, &f->server, err, sizeof(err)) < 0 ||
            metrics_server_start(f->server, err, sizeof(err)) < 0) {
                fprintf(stderr, "server: %s\n", err);
                return -1;
        }
        *state = f;
        return 0;
}

static int server_teardown(void **state)
{
        struct fixture *f = *state;
        char path[256];
        struct stat st;

        metrics_server_free(f->server);
        /* The socket and the textfile go with the server. */
        snprintf(path, sizeof(path), "%s/cgmem.prom", f->dir);
        if (stat(f->sock, &st) == 0 || stat(path, &st) == 0)
                return -1;
        rmdir(f->dir);
        free(f);
        return 0;
}

/* Publishes rows copies of the made-up docker container, as round rounds. */
static void publish_made_up(struct metrics_server *server, uint64_t rounds, size_t rows)
{
        struct metrics_snapshot *s = metrics_server_acquire(server), *m = made_up();
        const char *v[_METRICS_LABEL_MAX] = {[METRICS_LABEL_ID] = "/c"};

        assert_non_null(s);
        assert_int_equal(s->n_rows, 0);
        for (size_t i = 0; i < rows; i++) {
                struct metrics_container *r = metrics_snapshot_add(s, v);
                assert_non_null(r);
                r->sample = m->rows[0].sample;
        }
        s->agent = m->agent;
        s->agent.rounds = rounds;
        metrics_server_publish(server, s);
        metrics_snapshot_free(m);
}

static void test_server_scrape(void **state)
{
        struct fixture *f = *state;

        char *answer = http(f->sock, "GET /metrics HTTP/1.0\r\n\r\n");
        assert_non_null(strstr(answer, " 503 "));
        free(answer);

        publish_made_up(f->server, 1, 1);
        answer = http(f->sock, "GET /metrics HTTP/1.0\r\n\r\n");
        assert_non_null(strstr(answer, " 200 OK\r\n"));
        assert_non_null(strstr(answer, "Content-Type: " METRICS_CONTENT_TYPE "\r\n"));
        assert_non_null(strstr(answer, "\ncgmem_rounds_total 1\n"));
        assert_non_null(strstr(answer, "\ncontainer_memory_usage_bytes{id=\"/c\"} 104857600\n"));
        assert_non_null(strstr(answer, "\ncgmem_action_failures_total{action=\"kill\"} 1\n"));
        free(answer);

        answer = http(f->sock, "GET / HTTP/1.0\r\n\r\n");
        assert_non_null(strstr(answer, " 404 "));
        free(answer);
        answer = http(f->sock, "DELETE /metrics HTTP/1.0\r\n\r\n");
        assert_non_null(strstr(answer, " 405 "));
        assert_non_null(strstr(answer, "Allow: GET, HEAD"));
        free(answer);
        /* A body is no scrape: hung up on. */
        answer = http(f->sock, "POST /metrics HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody");
        assert_null(strstr(answer, "200 OK"));
        free(answer);
}

/* Reads fd until what was read ends with end (a chunked answer's last chunk). */
static char *read_until(int fd, const char *end)
{
        size_t len = 0, cap = 1 << 20, n_end = strlen(end);
        char *out = malloc(cap);

        assert_non_null(out);
        while (len < n_end || memcmp(out + len - n_end, end, n_end) != 0) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                assert_int_equal(poll(&p, 1, 5000), 1);
                if (cap - len < 65536) {
                        cap *= 2;
                        out = realloc(out, cap);
                        assert_non_null(out);
                }
                ssize_t n = read(fd, out + len, cap - len - 1);
                assert_true(n > 0);
                len += (size_t) n;
        }
        out[len] = '\0';
        return out;
}

/* The body of a chunked answer, de-chunked in place. */
static char *dechunk(char *answer)
{
        char *in = strstr(answer, "\r\n\r\n"), *out;

        assert_non_null(in);
        in += 4;
        out = in;
        for (;;) {
                char *end;
                unsigned long n = strtoul(in, &end, 16);
                assert_true(end[0] == '\r' && end[1] == '\n');
                if (n == 0)
                        break;
                memmove(out, end + 2, n);
                out += n;
                in = end + 2 + n + 2;
        }
        *out = '\0';
        return answer;
}

/*
 * Clients that ask and stop reading hold the snapshot they started on, a few
 * megabytes more than the sockets take: the loop goes on publishing without
 * waiting, other scrapes get the newest, and the stalled ones, read at last,
 * get theirs whole and unchanged.
 */
/* About 2 MB of text per answer, hundreds of times what the sockets hold, and still read
 * whole by a sanitizer build well within the server's 10 s cut-off of a client that
 * makes no progress (each stalled client is, while the ones before it are read). */
#define STALLED_ROWS 1000

static void test_server_stalled_reader(void **state)
{
        struct fixture *f = *state;
        const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        int stalled[3];

        publish_made_up(f->server, 1, STALLED_ROWS);
        for (size_t i = 0; i < ELEMENTSOF(stalled); i++) {
                int size = 4096;
                stalled[i] = connect_unix(f->sock);
                setsockopt(stalled[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
                assert_int_equal(write(stalled[i], req, strlen(req)), (ssize_t) strlen(req));
        }
        usleep(200000);
        for (uint64_t round = 2; round < 50; round++)
                publish_made_up(f->server, round, round == 49 ? 1 : STALLED_ROWS);
        char *answer = http(f->sock, "GET /metrics HTTP/1.0\r\n\r\n");
        assert_non_null(strstr(answer, "\ncgmem_rounds_total 49\n"));
        free(answer);
        for (size_t i = 0; i < ELEMENTSOF(stalled); i++) {
                answer = dechunk(read_until(stalled[i], "\r\n0\r\n\r\n"));
                assert_non_null(strstr(answer, "\ncgmem_rounds_total 1\n"));
                assert_int_equal(count(answer, "\ncontainer_memory_working_set_bytes{id=\"/c\"} "),
                                 STALLED_ROWS);
                free(answer);
                close(stalled[i]);
        }
}

static void test_server_textfile(void **state)
{
        struct fixture *f = *state;
        char path[256], buf[1 << 16];

        publish_made_up(f->server, 7, 1);
        snprintf(path, sizeof(path), "%s/cgmem.prom", f->dir);
        ssize_t n = -1;
        for (int i = 0; i < 200 && n <= 0; i++) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        n = read(fd, buf, sizeof(buf) - 1);
                        close(fd);
                } else {
                        usleep(10000);
                }
        }
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "\ncgmem_rounds_total 7\n"));
        assert_true(buf[n - 1] == '\n');
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_escape_cap),
                cmocka_unit_test(test_labels),
                cmocka_unit_test(test_histogram),
                cmocka_unit_test(test_render_containers),
                cmocka_unit_test(test_render_node_and_agent),
                cmocka_unit_test(test_render_format),
                cmocka_unit_test(test_render_in_pieces),
                cmocka_unit_test(test_render_longest_line),
                cmocka_unit_test(test_render_empty),
                cmocka_unit_test(test_listen_parse),
                cmocka_unit_test(test_listen_open_unix),
                cmocka_unit_test_setup_teardown(test_server_scrape, server_setup, server_teardown),
                cmocka_unit_test_setup_teardown(test_server_stalled_reader, server_setup,
                                                server_teardown),
                cmocka_unit_test_setup_teardown(test_server_textfile, server_setup,
                                                server_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
