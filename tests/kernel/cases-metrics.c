/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metrics as an operator gets them: Debian's Prometheus scrapes cgmem run
 * every second while a runaway is killed, and its HTTP API is asked for a
 * container's working set and for the kill counters; promtool checks a scrape.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "kt-agent.h"
#include "kt.h"

#define MiB             (1024ull * 1024)
#define PROMETHEUS      "/usr/bin/prometheus"
#define PROMTOOL        "/usr/bin/promtool"
#define CGMEM_PORT      19847
#define PROMETHEUS_PORT 19090
#define PROM_DIR        "/tmp/kt-prometheus"

/* ---- a plain HTTP/1.0 GET on loopback: enough for a test, not the product's ---- */

struct answer {
        int status;
        char *body; /* malloc'd */
        size_t len;
};

static int http_get(uint16_t port, const char *path, struct answer *ret)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        char req[4096], *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        KT_ASSERT(fd >= 0 && mem, "socket: %m");
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = -errno;
                close(fd);
                fclose(mem);
                free(buf);
                return e;
        }
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
        KT_ASSERT(write(fd, req, (size_t) n) == n, "write: %m");
        char chunk[65536];
        ssize_t got;
        while ((got = read(fd, chunk, sizeof(chunk))) > 0)
                fwrite(chunk, 1, (size_t) got, mem);
        close(fd);
        fclose(mem);
        char *body = strstr(buf, "\r\n\r\n");
        KT_ASSERT(body && sscanf(buf, "HTTP/1.%*d %d", &ret->status) == 1,
                  "not an HTTP answer from port %u: %.200s", port, buf);
        body += 4;
        ret->len = len - (size_t) (body - buf);
        ret->body = strdup(body);
        free(buf);
        return 0;
}

/* A PromQL query, percent-encoded into /api/v1/query. */
static void query_path(const char *promql, char *buf, size_t size)
{
        size_t n = (size_t) snprintf(buf, size, "/api/v1/query?query=");
        for (const unsigned char *p = (const unsigned char *) promql; *p && n + 4 < size; p++)
                n += (size_t) snprintf(buf + n, size - n,
                                       (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                                       (*p >= '0' && *p <= '9') || *p == '_'
                                               ? "%c"
                                               : "%%%02X",
                                       *p);
}

/* The value of an instant query with one series; -1 while it has none. */
static double query_one(const char *promql)
{
        char path[2048];
        struct answer a;
        json_error_t err;

        query_path(promql, path, sizeof(path));
        KT_OK(http_get(PROMETHEUS_PORT, path, &a));
        json_t *o = json_loads(a.body, 0, &err);
        KT_ASSERT(a.status == 200 && o, "%s: status %d: %s", promql, a.status, a.body);
        KT_ASSERT(strcmp(kt_json_str(o, "status"), "success") == 0, "%s: %s", promql, a.body);
        json_t *result = json_object_get(json_object_get(o, "data"), "result");
        double v = -1;
        KT_ASSERT(json_array_size(result) <= 1, "%s: more than one series: %s", promql, a.body);
        if (json_array_size(result) == 1)
                v = strtod(json_string_value(json_array_get(
                                   json_object_get(json_array_get(result, 0), "value"), 1)),
                           NULL);
        json_decref(o);
        free(a.body);
        return v;
}

/* Polls the query until its value is at least min; fails the case after timeout_ms. */
static double query_until(const char *promql, double min, int timeout_ms)
{
        uint64_t deadline = kt_now_usec() + (uint64_t) timeout_ms * 1000;
        double v;

        while ((v = query_one(promql)) < min) {
                KT_ASSERT(kt_now_usec() < deadline, "%s is %g after %d ms, not >= %g", promql, v,
                          timeout_ms, min);
                kt_sleep_ms(250);
        }
        return v;
}

/* ---- Prometheus ---- */

static pid_t prometheus_start(void)
{
        char config[256];
        FILE *f;

        KT_ASSERT(access(PROMETHEUS, X_OK) == 0 && access(PROMTOOL, X_OK) == 0,
                  "%s or %s is missing: install Debian's prometheus (make deps)", PROMETHEUS,
                  PROMTOOL);
        KT_ASSERT(system("rm -rf " PROM_DIR " && mkdir -p " PROM_DIR) == 0, "mkdir " PROM_DIR);
        snprintf(config, sizeof(config), "%s/prometheus.yml", PROM_DIR);
        f = fopen(config, "we");
        KT_ASSERT(f, "%s: %m", config);
        fprintf(f,
                "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1m}\n"
                "scrape_configs:\n"
                "  - job_name: cgmem\n"
                "    static_configs: [{targets: ['127.0.0.1:%d']}]\n",
                CGMEM_PORT);
        fclose(f);
        pid_t pid = fork();
        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int log = open(PROM_DIR "/log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                dup2(log, STDOUT_FILENO);
                dup2(log, STDERR_FILENO);
                execl(PROMETHEUS, PROMETHEUS, "--config.file=" PROM_DIR "/prometheus.yml",
                      "--storage.tsdb.path=" PROM_DIR "/data",
                      "--web.listen-address=127.0.0.1:19090", "--log.level=warn", (char *) NULL);
                _exit(127);
        }
        return pid;
}

/* Until /-/ready answers 200; returns how long it took. */
static uint64_t prometheus_wait_ready(pid_t pid)
{
        uint64_t start = kt_now_usec(), deadline = start + 60 * 1000000ull;
        struct answer a;

        for (;;) {
                KT_ASSERT(waitpid(pid, NULL, WNOHANG) == 0, "prometheus exited; see %s/log",
                          PROM_DIR);
                if (http_get(PROMETHEUS_PORT, "/-/ready", &a) == 0) {
                        free(a.body);
                        if (a.status == 200)
                                return kt_now_usec() - start;
                }
                KT_ASSERT(kt_now_usec() < deadline, "prometheus not ready after 60 s");
                kt_sleep_ms(200);
        }
}

/* ---- the case ---- */

/* cgmem's own answer: 200, and the text once it holds want, or once it no longer does when
 * !present (a round publishes it). */
static struct answer scrape_until(const char *want, bool present, int timeout_ms)
{
        uint64_t deadline = kt_now_usec() + (uint64_t) timeout_ms * 1000;
        struct answer a;

        for (;;) {
                KT_OK(http_get(CGMEM_PORT, "/metrics", &a));
                KT_ASSERT(a.status == 200, "cgmem answered %d", a.status);
                if (!strstr(a.body, want) == !present)
                        return a;
                free(a.body);
                KT_ASSERT(kt_now_usec() < deadline, "every scrape %s %s for %d ms",
                          present ? "lacked" : "still held", want, timeout_ms);
                kt_sleep_ms(100);
        }
}

static void promtool_check(const struct answer *a)
{
        FILE *p = popen(PROMTOOL " check metrics >" PROM_DIR "/promtool.txt 2>&1", "w");

        KT_ASSERT(p, "popen promtool: %m");
        fwrite(a->body, 1, a->len, p);
        int status = pclose(p);
        if (status != 0 && system("sed 's/^/# promtool: /' " PROM_DIR "/promtool.txt | head") != 0)
                kt_log("cannot show %s/promtool.txt", PROM_DIR);
        KT_ASSERT(status == 0, "promtool check metrics failed on a %zu-byte scrape", a->len);
        kt_log("scrape: %zu bytes, promtool check metrics: ok", a->len);
}

static int limited_child(int cg, const char *name, const char *max)
{
        int child = kt_cgroup_child(cg, name);

        kt_write(child, "memory.swap.max", "0");
        kt_write(child, "memory.max", max);
        return child;
}

void case_metrics_scraped_by_prometheus(void)
{
        int cg = kt_cgroup_new("metrics");
        struct kt_agent a;
        char hog_path[256], steady_path[256], promql[512], want[512];

        kt_delegate(cg);
        pid_t prom = prometheus_start();
        kt_agent_start_ready(&a, "metrics_scraped_by_prometheus",
                             (const char *const[]){"--set",
                                                   "cgroup.containers=cgmem-ktest/metrics/*",
                                                   "--interval", "250ms", "--set",
                                                   "metrics.listen=127.0.0.1:19847", NULL});
        kt_agent_cgroup("hog", hog_path, sizeof(hog_path));
        kt_agent_cgroup("steady", steady_path, sizeof(steady_path));
        int steady = limited_child(cg, "steady", "268435456");
        kt_spawn_in(steady, (char *[]){"memhog", "--total", "48", "--hold", NULL});
        int hog = limited_child(cg, "hog", "134217728");
        kt_agent_expect(&a, "guard", hog_path, 5000);
        kt_log("prometheus ready %.1f s after its start",
               (double) prometheus_wait_ready(prom) / 1e6);

        pid_t hog_pid = kt_spawn_in(hog, (char *[]){"memhog", "--total", "512", NULL});
        json_t *killed = kt_agent_expect(&a, "kill", hog_path, 20000);
        const char *reason = kt_json_str(killed, "reason");
        kt_log("hog killed for %s", reason);

        /* cgmem's own answer counts the kill (from the round after it) and passes promtool. */
        snprintf(want, sizeof(want),
                 "\ncgmem_container_actions_total{id=\"%s\",action=\"kill\",reason=\"%s\"} 1\n",
                 hog_path, reason);
        struct answer scrape = scrape_until(want, true, 5000);
        promtool_check(&scrape);
        free(scrape.body);

        /* Prometheus has it: the kill counters and the steady container's working set. */
        snprintf(promql, sizeof(promql), "sum(cgmem_actions_total{action=\"kill\"})");
        double kills = query_until(promql, 1, 15000);
        snprintf(promql, sizeof(promql),
                 "cgmem_container_actions_total{id=\"%s\",action=\"kill\",reason=\"%s\"}", hog_path,
                 reason);
        query_until(promql, 1, 15000);
        snprintf(promql, sizeof(promql), "container_memory_working_set_bytes{id=\"%s\"}",
                 steady_path);
        double wset = query_until(promql, 48.0 * MiB, 15000);
        uint64_t current = kt_read_value(steady, "memory.current");
        uint64_t kernel = current - kt_read_key(steady, "memory.stat", "inactive_file");
        kt_log("prometheus: %g kills, working set of steady %.1f MiB (the kernel's now: %.1f MiB)",
               kills, wset / MiB, (double) kernel / MiB);
        KT_ASSERT(kills == 1, "%g kills counted, one happened", kills);
        KT_ASSERT(wset <= (double) current && wset >= 0.9 * (double) kernel,
                  "Prometheus has %.0f bytes, the kernel %llu (memory.current %llu)", wset,
                  (unsigned long long) kernel, (unsigned long long) current);
        KT_ASSERT(query_one("up{job=\"cgmem\"}") == 1, "the target is not up");

        /* The cardinality is bounded: a container that is gone leaves the output. */
        KT_ASSERT(kt_wait(hog_pid, 10000) != -1, "the hog outlived its kill");
        KT_ASSERT(unlinkat(cg, "hog", AT_REMOVEDIR) == 0, "rmdir hog: %m");
        kt_agent_expect(&a, "container_gone", hog_path, 5000);
        snprintf(want, sizeof(want), "id=\"%s\"", hog_path);
        scrape = scrape_until(want, false, 5000);
        snprintf(want, sizeof(want), "id=\"%s\"", steady_path);
        KT_ASSERT(strstr(scrape.body, want), "the scrape lost the steady container too");
        free(scrape.body);

        kill(prom, SIGTERM);
        KT_ASSERT(kt_wait(prom, 20000) != -1, "prometheus did not stop");
        kt_agent_stop(&a);
}
