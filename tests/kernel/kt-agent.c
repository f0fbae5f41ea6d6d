/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kt-agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroupfs/io.h"
#include "cgroupfs/mount.h"
#include "kt.h"

static void open_copy(struct kt_agent *a, const char *name)
{
        const char *dir = getenv("KT_EVENTS_DIR");
        char path[512];

        if (!dir)
                return;
        snprintf(path, sizeof(path), "%s/%s.jsonl", dir, name);
        a->copy = fopen(path, "we");
        KT_ASSERT(a->copy, "open %s: %m", path);
}

void kt_agent_spawn(struct kt_agent *a, const char *name, int cgfd, const char *const argv[])
{
        int p[2];

        *a = (struct kt_agent){.events = json_array()};
        open_copy(a, name);
        KT_ASSERT(pipe2(p, O_CLOEXEC) == 0, "pipe: %m");
        a->pid = fork();
        KT_ASSERT(a->pid >= 0, "fork: %m");
        if (a->pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(p[1], STDOUT_FILENO);
                if (cgfd >= 0 && cg_write_at(cgfd, "cgroup.procs", "0") < 0)
                        _exit(126);
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        close(p[1]);
        a->out = p[0];
}

void kt_agent_start_wrapped(struct kt_agent *a, const char *name, int cgfd,
                            const char *const wrap[], const char *const args[])
{
        const char *cgmem = getenv("KT_CGMEM");
        const char *argv[48];
        size_t n = 0;

        KT_ASSERT(cgmem, "KT_CGMEM is not set");
        for (; wrap && wrap[n] && n < 8; n++)
                argv[n] = wrap[n];
        argv[n++] = cgmem;
        argv[n++] = "run";
        for (size_t i = 0; args[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        kt_agent_spawn(a, name, cgfd, argv);
}

void kt_agent_start(struct kt_agent *a, const char *name, const char *const args[])
{
        kt_agent_start_wrapped(a, name, -1, NULL, args);
}

/* Splits one complete line off the buffer, or returns NULL. */
static json_t *take_line(struct kt_agent *a)
{
        char *nl = memchr(a->buf, '\n', a->len);
        json_error_t err;

        if (!nl)
                return NULL;
        *nl = '\0';
        json_t *event = json_loads(a->buf, 0, &err);
        KT_ASSERT(event && json_is_object(event), "the agent printed a non-JSON line: %s (%s)",
                  a->buf, err.text);
        if (a->copy) {
                fprintf(a->copy, "%s\n", a->buf);
                fflush(a->copy);
        }
        size_t used = (size_t) (nl - a->buf) + 1;
        memmove(a->buf, nl + 1, a->len - used);
        a->len -= used;
        json_array_append_new(a->events, event);
        return event;
}

json_t *kt_agent_next(struct kt_agent *a, int timeout_ms)
{
        uint64_t deadline = kt_now_usec() + (uint64_t) timeout_ms * 1000;

        for (;;) {
                json_t *event = take_line(a);
                if (event)
                        return event;
                uint64_t now = kt_now_usec();
                if (now >= deadline)
                        return NULL;
                struct pollfd p = {.fd = a->out, .events = POLLIN};
                int n = poll(&p, 1, (int) ((deadline - now) / 1000) + 1);
                KT_ASSERT(n >= 0, "poll: %m");
                if (n == 0)
                        continue;
                KT_ASSERT(a->len < sizeof(a->buf), "an event line longer than 64 KiB");
                ssize_t r = read(a->out, a->buf + a->len, sizeof(a->buf) - a->len);
                KT_ASSERT(r > 0, "the agent's stdout closed (did it exit?)");
                a->len += (size_t) r;
        }
}

/* The member at a dotted path ("details.evidence.window_usec"), or NULL. */
static json_t *json_at(json_t *o, const char *path)
{
        char key[128];

        while (o && *path) {
                size_t n = strcspn(path, ".");
                snprintf(key, sizeof(key), "%.*s", (int) n, path);
                o = json_object_get(o, key);
                path += n + (path[n] == '.');
        }
        return o;
}

const char *kt_json_str(json_t *o, const char *path)
{
        json_t *v = json_at(o, path);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *kt_json_array(json_t *o, const char *path)
{
        json_t *v = json_at(o, path);
        KT_ASSERT(json_is_array(v), "%s is not an array", path);
        return v;
}

void kt_agent_start_ready(struct kt_agent *a, const char *name, const char *const args[])
{
        kt_agent_start(a, name, args);
        kt_agent_expect(a, "started", NULL, 10000);
}

int64_t kt_json_int(json_t *o, const char *path)
{
        json_t *v = json_at(o, path);
        KT_ASSERT(json_is_integer(v), "%s is not an integer", path);
        return json_integer_value(v);
}

json_t *kt_agent_expect(struct kt_agent *a, const char *type, const char *cgroup, int timeout_ms)
{
        uint64_t deadline = kt_now_usec() + (uint64_t) timeout_ms * 1000;

        for (;;) {
                uint64_t now = kt_now_usec();
                KT_ASSERT(now < deadline, "no %s event for %s within %d ms", type,
                          cgroup ? cgroup : "any cgroup", timeout_ms);
                json_t *e = kt_agent_next(a, (int) ((deadline - now) / 1000) + 1);
                if (!e)
                        continue;
                const char *t = kt_json_str(e, "type"), *c = kt_json_str(e, "cgroup");
                if (strcmp(t, type) == 0 && (!cgroup || (c && strcmp(c, cgroup) == 0)))
                        return e;
        }
}

json_t *kt_agent_expect_any_time(struct kt_agent *a, const char *type, const char *cgroup,
                                 int timeout_ms)
{
        size_t i;
        json_t *e;

        json_array_foreach(a->events, i, e)
        {
                const char *t = kt_json_str(e, "type"), *c = kt_json_str(e, "cgroup");
                if (strcmp(t, type) == 0 && (!cgroup || (c && strcmp(c, cgroup) == 0)))
                        return e;
        }
        return kt_agent_expect(a, type, cgroup, timeout_ms);
}

void kt_agent_stop(struct kt_agent *a)
{
        KT_ASSERT(kill(a->pid, SIGTERM) == 0, "kill: %m");
        kt_agent_expect(a, "stopping", NULL, 5000);
        int status = kt_wait(a->pid, 5000);
        KT_ASSERT(status != -1, "the agent did not exit within 5 s of SIGTERM");
        KT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "agent exit status 0x%x", status);
        while (kt_agent_next(a, 0))
                ;
        if (a->copy)
                fclose(a->copy);
        close(a->out);
}

void kt_agent_assert_contiguous(const struct kt_agent *a)
{
        size_t i;
        json_t *e;
        int64_t prev = 0;

        json_array_foreach(a->events, i, e)
        {
                int64_t seq = kt_json_int(e, "seq");
                KT_ASSERT(seq == prev + 1, "seq %lld follows %lld", (long long) seq,
                          (long long) prev);
                prev = seq;
        }
}

void kt_agent_cgroup(const char *child, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", kt_cgroup_base() + strlen(CG_DEFAULT_ROOT), child);
}

int kt_agent_limited_child(int cg, const char *name, const char *max, struct kt_agent *a)
{
        char path[256];
        int child = kt_cgroup_child(cg, name);

        kt_agent_cgroup(name, path, sizeof(path));
        kt_agent_expect(a, "container_seen", path, 5000);
        kt_write(child, "memory.swap.max", "0");
        kt_write(child, "memory.max", max);
        json_t *guard = kt_agent_expect(a, "guard", path, 5000);
        uint64_t high = kt_read_value(child, "memory.high");
        KT_ASSERT((int64_t) high == kt_json_int(guard, "high_after_bytes"),
                  "memory.high %llu is not the guard band the event names",
                  (unsigned long long) high);
        KT_ASSERT(high < kt_read_value(child, "memory.max"), "the guard band is not below max");
        return child;
}

json_t *kt_read_jsonl(const char *file)
{
        json_t *events = json_array();
        char line[20000];
        json_error_t err;
        FILE *f = fopen(file, "re");

        KT_ASSERT(f, "open %s: %m", file);
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                size_t len = strlen(line);
                KT_ASSERT(len > 0 && line[len - 1] == '\n', "%s: line %u is cut short: %s", file, n,
                          line);
                json_t *e = json_loads(line, 0, &err);
                KT_ASSERT(json_is_object(e), "%s: line %u is not a JSON object: %s", file, n,
                          err.text);
                json_array_append_new(events, e);
        }
        fclose(f);
        return events;
}

int64_t kt_assert_gaps_explained(json_t *events, int64_t after)
{
        size_t i;
        json_t *e;
        int64_t prev = after, dropped = 0;

        json_array_foreach(events, i, e)
        {
                int64_t seq = kt_json_int(e, "seq");
                if (strcmp(kt_json_str(e, "type"), "dropped") == 0) {
                        KT_ASSERT(kt_json_int(e, "first_seq") == prev + 1,
                                  "dropped first_seq %lld after seq %lld",
                                  (long long) kt_json_int(e, "first_seq"), (long long) prev);
                        KT_ASSERT(kt_json_int(e, "count") == seq - prev,
                                  "dropped count %lld, gap %lld",
                                  (long long) kt_json_int(e, "count"), (long long) (seq - prev));
                        dropped += seq - prev;
                } else {
                        KT_ASSERT(seq == prev + 1, "unexplained gap: %lld after %lld",
                                  (long long) seq, (long long) prev);
                }
                prev = seq;
        }
        return dropped;
}
