/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the agent's pipeline (supervisor/agent/pipeline.c) without a
 * VM: a container cgroup is a scratch directory of memory.* files the test
 * rewrites between wake-ups, the clock is the test's, the actuator records what
 * it is asked (and writes memory.high into the directory, as the kernel would),
 * and the events go through a real emitter into a pipe the test reads. What is
 * covered is the kill path: which decisions are taken, what protects a
 * container, that the kill comes before its event, and what the events say.
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
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/parse.h"
#include "supervisor/agent/pipeline.h"
#include "supervisor/agent/report.h"
#include "supervisor/base/time-util.h"
#include "supervisor/emit/emit.h"
#include "unit-util.h"

#define KiB        (UINT64_C(1) << 10)
#define MiB        (UINT64_C(1) << 20)
#define MAX_256M   (256 * MiB)
#define GUARD_256M UINT64_C(257695744)
#define ID         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PATH       "docker/" ID

/* What the scratch cgroup holds; written into its files by put(). */
struct cg_state {
        uint64_t anon, file, shmem;
        uint64_t max, high;
        uint64_t high_events, max_events, oom_kill;
        uint64_t psi_full_usec;
};

/* What the actuator was asked, in order. */
struct act_log {
        char log[64][48];
        unsigned n;
        uint64_t emitted_at_kill; /* events emitted when the kill came */
        int kill_result;
        unsigned kills; /* attempts */
        enum policy_mark mark;
        bool owner_writes_before_write; /* an owner's write lands between decision and write */
};

struct fixture {
        char dir[256];
        struct cg_state st;
        struct registry reg;
        struct cgroup *cg;
        struct container *c;
        struct cgmem_config config;
        struct policy_config policy;
        struct marks marks;
        struct actuator act;
        struct act_log rec;
        struct pipeline p;
        sd_event *loop;
        struct emitter *emitter;
        int pipe[2];
        json_t *events; /* every event read so far */
};

static uint64_t fake_now;

static uint64_t clock_now(void)
{
        return fake_now;
}

static void put_value(struct fixture *f, const char *name, uint64_t v)
{
        char text[32];
        if (v == CG_VALUE_MAX)
                snprintf(text, sizeof(text), "max\n");
        else
                snprintf(text, sizeof(text), "%" PRIu64 "\n", v);
        write_file_at(f->dir, name, text);
}

/* The cgroup's files as the kernel would show st. */
static void put(struct fixture *f)
{
        const struct cg_state *s = &f->st;
        char text[2048];

        put_value(f, "memory.current", s->anon + s->file + s->shmem);
        snprintf(text, sizeof(text),
                 "anon %" PRIu64 "\nfile %" PRIu64 "\nkernel 0\nshmem %" PRIu64
                 "\nactive_anon %" PRIu64 "\ninactive_anon 0\nactive_file 0\ninactive_file %" PRIu64
                 "\nslab_reclaimable 0\nworkingset_refault_anon 0\nworkingset_refault_file 0\n",
                 s->anon, s->file + s->shmem, s->shmem, s->anon, s->file);
        write_file_at(f->dir, "memory.stat", text);
        snprintf(text, sizeof(text),
                 "low 0\nhigh %" PRIu64 "\nmax %" PRIu64 "\noom 0\noom_kill %" PRIu64
                 "\noom_group_kill 0\n",
                 s->high_events, s->max_events, s->oom_kill);
        write_file_at(f->dir, "memory.events", text);
        snprintf(text, sizeof(text),
                 "some avg10=0.00 avg60=0.00 avg300=0.00 total=%" PRIu64
                 "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=%" PRIu64 "\n",
                 s->psi_full_usec, s->psi_full_usec);
        write_file_at(f->dir, "memory.pressure", text);
        put_value(f, "memory.max", s->max);
        put_value(f, "memory.high", s->high);
        put_value(f, "memory.min", 0);
        put_value(f, "memory.low", 0);
        put_value(f, "memory.peak", s->anon + s->file + s->shmem);
        put_value(f, "memory.swap.current", 0);
        put_value(f, "memory.swap.max", 0);
        write_file_at(f->dir, "memory.swap.events", "high 0\nmax 0\nfail 0\n");
        write_file_at(f->dir, "memory.events.local", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
}

static uint64_t read_high(struct fixture *f)
{
        char path[512];
        size_t len;
        uint64_t v;
        snprintf(path, sizeof(path), "%s/memory.high", f->dir);
        char *text = read_exact(path, &len);
        assert_int_equal(parse_single_value(text, len, 1, &v), 0);
        free(text);
        return v;
}

static void record(struct fixture *f, const char *what)
{
        if (f->rec.n < 64)
                snprintf(f->rec.log[f->rec.n++], sizeof(f->rec.log[0]), "%s", what);
}

static int rec_write_high(void *userdata, struct cgroup *cg, uint64_t value, uint64_t expect)
{
        struct fixture *f = userdata;
        char what[48];

        if (f->rec.owner_writes_before_write) {
                f->st.high = 192 * MiB;
                put_value(f, "memory.high", f->st.high);
                f->rec.owner_writes_before_write = false;
        }
        if (read_high(f) != expect)
                return -EAGAIN;
        snprintf(what, sizeof(what), "write_high %" PRIu64, value);
        record(f, what);
        f->st.high = value;
        put_value(f, "memory.high", value);
        cg->sample.high_bytes = value;
        return 0;
}

static int rec_kill(void *userdata, struct cgroup *cg)
{
        struct fixture *f = userdata;
        struct emitter_stats st;

        (void) cg;
        emitter_get_stats(f->emitter, &st);
        f->rec.emitted_at_kill = st.emitted;
        record(f, "kill");
        f->rec.kills++;
        return f->rec.kill_result;
}

static void rec_reclaim(void *userdata, struct cgroup *cg)
{
        (void) cg;
        record(userdata, "reclaim");
}

static int rec_save_band(void *userdata, struct cgroup *cg, uint64_t owner, uint64_t band)
{
        (void) cg;
        (void) owner;
        (void) band;
        record(userdata, "save_band");
        return 0;
}

static void rec_drop_band(void *userdata, struct cgroup *cg)
{
        (void) cg;
        record(userdata, "drop_band");
}

static bool rec_read_band(void *userdata, struct cgroup *cg, uint64_t *ret_owner,
                          uint64_t *ret_band, bool *ret_has_band)
{
        (void) userdata;
        (void) cg;
        (void) ret_owner;
        (void) ret_band;
        (void) ret_has_band;
        return false;
}

static enum policy_mark rec_read_mark(void *userdata, struct cgroup *cg)
{
        struct fixture *f = userdata;
        (void) cg;
        return f->rec.mark;
}

static int setup(void **state)
{
        static char *protect[] = {"system.slice/*.service", NULL};
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/cgmem-test-pipeline-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->st = (struct cg_state){.max = MAX_256M, .high = CG_VALUE_MAX};
        put(f);
        config_init_defaults(&f->config);
        policy_config_defaults(&f->policy);
        f->marks = (struct marks){.protect_globs = protect,
                                  .self_cgroup = "system.slice/cgmem.service"};
        f->act = (struct actuator){rec_write_high, rec_kill,      rec_reclaim,   rec_save_band,
                                   rec_drop_band,  rec_read_band, rec_read_mark, f};
        assert_int_equal(registry_init(&f->reg, &(struct classify_rules){.all = 1}, true), 0);
        f->reg.ext_free = container_free;
        f->cg = registry_add(&f->reg, PATH, 2, false, open(f->dir, O_RDONLY | O_DIRECTORY));
        assert_non_null(f->cg);
        assert_int_equal(pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(sd_event_new(&f->loop), 0);
        struct emitter_options eo = {.stdout_fd = f->pipe[1], .queue_max = 64, .hostname = "t"};
        assert_int_equal(emitter_new(f->loop, &eo, &f->emitter), 0);
        f->p = (struct pipeline){
                .config = &f->config,
                .policy = &f->policy,
                .marks = &f->marks,
                .actuator = &f->act,
                .registry = &f->reg,
                .emitter = f->emitter,
                .now = clock_now,
                .realtime_now = clock_now,
                .proc_fd = -1,
                .hot_files = HOT_FILES,
        };
        f->events = json_array();
        fake_now = UINT64_C(1000000000);
        f->c = container_new(f->cg, &f->p, fake_now);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[300];

        registry_done(&f->reg);
        emitter_free(f->emitter);
        sd_event_unref(f->loop);
        close(f->pipe[0]);
        close(f->pipe[1]);
        json_decref(f->events);
        config_free(&f->config);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* Reads what the emitter wrote since last time into f->events; returns how many. */
static size_t drain_events(struct fixture *f)
{
        static char buf[1 << 20];
        static size_t held;
        size_t before = json_array_size(f->events);
        ssize_t n;

        while ((n = read(f->pipe[0], buf + held, sizeof(buf) - held)) > 0)
                held += (size_t) n;
        char *start = buf;
        for (char *nl; (nl = memchr(start, '\n', held - (size_t) (start - buf)));) {
                json_t *e = json_loadb(start, (size_t) (nl - start), 0, NULL);
                assert_non_null(e);
                json_array_append_new(f->events, e);
                start = nl + 1;
        }
        held -= (size_t) (start - buf);
        memmove(buf, start, held);
        return json_array_size(f->events) - before;
}

static json_t *last_of(struct fixture *f, const char *type)
{
        drain_events(f);
        for (size_t i = json_array_size(f->events); i-- > 0;) {
                json_t *e = json_array_get(f->events, i);
                if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0)
                        return e;
        }
        return NULL;
}

static bool logged(const struct fixture *f, const char *what)
{
        for (unsigned i = 0; i < f->rec.n; i++)
                if (strcmp(f->rec.log[i], what) == 0)
                        return true;
        return false;
}

static void wake(struct fixture *f, enum wake why)
{
        put(f);
        assert_int_equal(pipeline_run(&f->p, f->c, why, fake_now), 0);
}

/* Found, with a limit written long ago: container_seen, then the band, written and said. */
static void test_discovery_guards(void **state)
{
        struct fixture *f = *state;

        wake(f, WAKE_DISCOVERY);
        assert_non_null(last_of(f, "container_seen"));
        json_t *g = last_of(f, "guard");
        assert_non_null(g);
        assert_int_equal(json_integer_value(json_object_get(g, "high_after_bytes")), GUARD_256M);
        assert_string_equal(json_string_value(json_object_get(g, "signal")), "discovery");
        assert_true(logged(f, "save_band"));
        assert_int_equal(read_high(f), GUARD_256M);
        assert_true(f->c->policy.owns_high);
}

/*
 * A runaway crawls through the band, the kernel counting high events at every
 * notification: killed within the margin, the kill before its event, the event
 * with the evidence, and memory.high given back to its owner.
 */
static void crawl_from_band(struct fixture *f)
{
        f->st.anon = GUARD_256M;
        for (int i = 0; i < 600 && !f->c->killed; i++) {
                fake_now += 10000;
                f->st.anon += 20 * KiB;
                f->st.high_events += 2;
                f->st.psi_full_usec += 6000;
                wake(f, WAKE_MEMORY_EVENTS);
        }
}

static void crawl_to_limit(struct fixture *f)
{
        wake(f, WAKE_DISCOVERY);
        crawl_from_band(f);
}

static void test_runaway_killed(void **state)
{
        struct fixture *f = *state;
        struct emitter_stats st;

        crawl_to_limit(f);
        assert_true(f->c->killed);
        assert_true(logged(f, "kill"));
        emitter_get_stats(f->emitter, &st);
        assert_int_equal(st.emitted, f->rec.emitted_at_kill + 1); /* the kill event came after */
        assert_true(f->st.anon + UINT64_C(1073741) >= MAX_256M);  /* within the 0.4 % margin */
        json_t *k = last_of(f, "kill");
        assert_non_null(k);
        assert_string_equal(json_string_value(json_object_get(k, "reason")), "runaway");
        assert_string_equal(json_string_value(json_object_get(k, "signal")), "memory.events");
        json_t *ev = json_object_get(json_object_get(k, "details"), "evidence");
        assert_int_equal(json_integer_value(json_object_get(ev, "capacity_bytes")), MAX_256M);
        assert_true(json_integer_value(json_object_get(ev, "high_events")) > 300);
        assert_true(json_array_size(json_object_get(ev, "samples")) >= 10);
        /* Its story: anon grew, and the kill frees it all (no shmem, no page cache). */
        json_t *story = json_object_get(k, "story");
        assert_string_equal(json_string_value(json_object_get(story, "grew_most")), "anon");
        assert_true(json_integer_value(json_object_get(story, "frees_bytes")) >=
                    (json_int_t) (MAX_256M - 2 * MiB));
        assert_int_equal(json_integer_value(json_object_get(story, "stays_bytes")), 0);
        assert_true(json_array_size(json_object_get(story, "points")) >= 2);
        /* No /proc here and no record directory: said, not guessed. */
        assert_true(json_is_null(json_object_get(k, "processes")));
        assert_true(json_is_null(json_object_get(k, "record")));
        /* The band went back to its owner ("max"), and the memory is reclaimed after. */
        assert_int_equal(read_high(f), CG_VALUE_MAX);
        assert_true(logged(f, "reclaim"));
}

/* The same runaway, protected by the configuration: no band, no kill. */
static void test_protected_by_config(void **state)
{
        struct fixture *f = *state;
        static char *all[] = {"docker/*", NULL};

        f->marks.protect_globs = all;
        crawl_to_limit(f);
        assert_false(f->c->killed);
        assert_false(logged(f, "kill"));
        assert_null(last_of(f, "guard"));
}

/* ... by its xattr (user.cgmem.policy=protect). */
static void test_protected_by_xattr(void **state)
{
        struct fixture *f = *state;

        f->rec.mark = MARK_PROTECT;
        crawl_to_limit(f);
        assert_false(logged(f, "kill"));
}

/* ... by its xattr set after the container was seen (the volume benchmark's oom container). */
static void test_protected_later(void **state)
{
        struct fixture *f = *state;

        wake(f, WAKE_DISCOVERY);
        f->rec.mark = MARK_PROTECT;
        crawl_from_band(f);
        assert_false(f->c->killed);
        assert_false(logged(f, "kill"));
}

/* ... and the agent's own cgroup, whatever the configuration says. */
static void test_agent_protects_itself(void **state)
{
        struct fixture *f = *state;

        f->marks.protect_globs = NULL;
        f->marks.self_cgroup = PATH;
        crawl_to_limit(f);
        assert_false(logged(f, "kill"));
}

/* A workload that fills to 99 % and holds is never killed, high events or not. */
static void test_fill_and_hold(void **state)
{
        struct fixture *f = *state;

        wake(f, WAKE_DISCOVERY);
        for (int i = 0; i < 300; i++) {
                fake_now += 100000;
                f->st.anon = i < 20 ? GUARD_256M + (uint64_t) i * 256 * KiB : 253 * MiB;
                f->st.high_events += 1;
                wake(f, WAKE_MEMORY_EVENTS);
        }
        assert_false(logged(f, "kill"));
}

/*
 * No band of cgmem's (the owner's memory.high, 192 MiB) and 10 MiB of anon: a
 * change of memory.events may wait 55 ms for its look; at the band's line not at
 * all, nor when cgmem does not enforce.
 */
static void test_events_wait_until(void **state)
{
        struct fixture *f = *state;

        f->st.high = 192 * MiB;
        f->st.anon = 10 * MiB;
        wake(f, WAKE_DISCOVERY);
        assert_false(f->c->policy.owns_high);
        assert_int_equal(f->c->events_wait_until_usec, fake_now + 55070);
        /* A look at the limits alone (an older footprint) does not lengthen the wait. */
        fake_now += 10000;
        wake(f, WAKE_LIMITS);
        assert_int_equal(f->c->events_wait_until_usec, fake_now - 10000 + 55070);
        fake_now += 100000;
        f->st.anon = 236 * MiB;
        f->st.max_events++;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(f->c->events_wait_until_usec, 0);
        fake_now += 100000;
        f->st.anon = 10 * MiB;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(f->c->events_wait_until_usec, fake_now + 55070);
        f->config.enforce = false;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(f->c->events_wait_until_usec, 0);
}

/*
 * While its look was put off, nothing told of its files: the look after reads
 * its limits along and takes an owner's write as one (settling starts), once.
 */
static void test_limits_read_after_wait(void **state)
{
        struct fixture *f = *state;

        f->st.high = 192 * MiB;
        wake(f, WAKE_DISCOVERY);
        fake_now += 100000;
        f->st.max = 512 * MiB;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(f->c->cg->sample.max_bytes, MAX_256M); /* not read: told of apart */
        f->c->limits_unwatched = true;
        fake_now += 100000;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(f->c->cg->sample.max_bytes, 512 * MiB);
        assert_int_equal(f->c->limits_written_usec, fake_now);
        assert_false(f->c->limits_unwatched);
}

/* memory.high written 1 ms after memory.max is its owner's: the band never goes on. */
static void test_owner_high_after_max(void **state)
{
        struct fixture *f = *state;

        f->st.max = CG_VALUE_MAX;
        wake(f, WAKE_DISCOVERY);
        f->st.max = MAX_256M;
        wake(f, WAKE_LIMITS);
        assert_false(logged(f, "write_high 257695744"));
        fake_now += 1000;
        f->st.high = 192 * MiB;
        wake(f, WAKE_LIMITS);
        fake_now += 200000; /* the settling time is over */
        wake(f, WAKE_LIMITS);
        assert_null(last_of(f, "guard"));
        assert_int_equal(read_high(f), 192 * MiB);
}

/* The owner writes between the decision and the write: cgmem does not overwrite it. */
static void test_owner_write_wins_race(void **state)
{
        struct fixture *f = *state;

        f->rec.owner_writes_before_write = true;
        wake(f, WAKE_DISCOVERY);
        assert_int_equal(read_high(f), 192 * MiB);
        assert_null(last_of(f, "guard"));
        assert_true(logged(f, "drop_band"));
        assert_false(f->c->policy.owns_high);
}

/* A dry run says what it would do and does nothing. */
static void test_dry_run(void **state)
{
        struct fixture *f = *state;

        f->config.dry_run = 1;
        crawl_to_limit(f);
        assert_int_equal(f->rec.n, 0);
        drain_events(f);
        unsigned guards = 0, kills = 0;
        for (size_t i = 0; i < json_array_size(f->events); i++) {
                json_t *e = json_array_get(f->events, i);
                const char *action = json_string_value(json_object_get(e, "action"));
                assert_string_not_equal(json_string_value(json_object_get(e, "type")), "kill");
                guards += action && strcmp(action, "guard") == 0;
                kills += action && strcmp(action, "kill") == 0;
        }
        assert_int_equal(guards, 1); /* decided once, not again for the same limit */
        assert_true(kills > 0);
        assert_int_equal(read_high(f), CG_VALUE_MAX);
}

/* A kill the kernel refuses: kill_failed with the errno, and the container still judged. */
static void test_kill_failed(void **state)
{
        struct fixture *f = *state;

        f->rec.kill_result = -EPERM;
        crawl_to_limit(f);
        json_t *k = last_of(f, "kill_failed");
        assert_non_null(k);
        assert_int_equal(json_integer_value(json_object_get(k, "errno")), EPERM);
        assert_false(f->c->killed);
}

static size_t count_of(struct fixture *f, const char *type)
{
        size_t n = 0;

        drain_events(f);
        for (size_t i = 0; i < json_array_size(f->events); i++)
                n += strcmp(json_string_value(
                                    json_object_get(json_array_get(f->events, i), "type")),
                            type) == 0;
        return n;
}

/* A runaway one step from the limit, growing: every wake-up decides the kill. */
static void push_at_limit(struct fixture *f, unsigned wakes)
{
        for (unsigned i = 0; i < wakes; i++) {
                fake_now += 10000;
                f->st.high_events += 2;
                f->st.psi_full_usec += 6000;
                f->st.anon += 4 * KiB;
                wake(f, WAKE_MEMORY_EVENTS);
        }
}

/*
 * A kill that keeps failing is tried at every verdict but reported once per 10 s
 * and per error; once the fault passes, the next verdict kills.
 */
static void test_kill_failed_repeated(void **state)
{
        struct fixture *f = *state;

        f->rec.kill_result = -EROFS;
        crawl_to_limit(f);
        unsigned first = f->rec.kills;
        push_at_limit(f, 100); /* 1 s */
        assert_true(f->rec.kills >= first + 90);
        assert_int_equal(count_of(f, "kill_failed"), 1);
        f->rec.kill_result = -EACCES; /* another error: said at once */
        push_at_limit(f, 1);
        assert_int_equal(count_of(f, "kill_failed"), 2);
        push_at_limit(f, 1000); /* 10 s more, still failing: said again */
        assert_int_equal(count_of(f, "kill_failed"), 3);
        assert_int_equal(json_integer_value(json_object_get(last_of(f, "kill_failed"), "errno")),
                         EACCES);
        f->rec.kill_result = 0;
        push_at_limit(f, 1);
        assert_true(f->c->killed);
        assert_non_null(last_of(f, "kill"));
}

static json_t *ranking_details(const void *ctx)
{
        (void) ctx;
        return json_pack("{s:s}", "rule", "floor");
}

/* A kill the node ranking asks for: its details, built after the kill. */
static void test_node_kill(void **state)
{
        struct fixture *f = *state;

        f->st.max = CG_VALUE_MAX;
        f->st.anon = 100 * MiB;
        wake(f, WAKE_DISCOVERY);
        pipeline_kill(&f->p, f->c,
                      &(struct kill_order){.reason = REASON_NODE_PRESSURE,
                                           .signal = WAKE_NODE,
                                           .signal_usec = fake_now,
                                           .rate_bytes_per_sec = 32.0 * MiB,
                                           .details = ranking_details});
        json_t *k = last_of(f, "kill");
        assert_non_null(k);
        assert_string_equal(json_string_value(json_object_get(k, "reason")), "node_pressure");
        assert_string_equal(json_string_value(json_object_get(k, "signal")), "node_pressure");
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(k, "details"), "rule")), "floor");
        /* The growth it was ranked by, not the policy's (a container without a limit). */
        double rate = json_number_value(
                json_object_get(json_object_get(k, "numbers"), "rate_bytes_per_sec"));
        assert_true(fabs(rate - 32.0 * MiB) < 1e-5 * 32.0 * MiB); /* 6 significant digits */
}

/* seconds of a cache-heavy container at memory.max: max events every second, a round after. */
static void at_limit_for(struct fixture *f, unsigned seconds)
{
        for (unsigned i = 0; i < seconds; i++) {
                fake_now += USEC_PER_SEC;
                f->st.max_events += 40;
                wake(f, WAKE_MEMORY_EVENTS);
                wake(f, WAKE_ROUND);
        }
}

static void quiet_for(struct fixture *f, unsigned seconds)
{
        for (unsigned i = 0; i < seconds; i++) {
                fake_now += USEC_PER_SEC;
                wake(f, WAKE_ROUND);
        }
}

/*
 * 40 minutes at the limit are one episode: its memory_event, a summary every
 * 15 minutes, and its end a quiet minute after; the counters of the summaries
 * span the episode.
 */
static void test_episode_at_limit(void **state)
{
        struct fixture *f = *state;

        f->st.anon = 100 * MiB;
        f->st.file = 150 * MiB;
        f->st.high = 250 * MiB; /* its owner's: no band, nothing to release */
        wake(f, WAKE_DISCOVERY);
        at_limit_for(f, 40 * 60);
        assert_int_equal(count_of(f, "memory_event"), 1);
        assert_int_equal(count_of(f, "episode"), 2);
        json_t *e = last_of(f, "episode");
        assert_string_equal(json_string_value(json_object_get(e, "phase")), "ongoing");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "after"), "max")),
                         40 * (30 * 60 + 1)); /* the summary at 30:01 */
        quiet_for(f, 59);
        assert_int_equal(count_of(f, "episode"), 2);
        quiet_for(f, 1);
        e = last_of(f, "episode");
        assert_string_equal(json_string_value(json_object_get(e, "phase")), "end");
        assert_int_equal(json_integer_value(json_object_get(e, "duration_usec")),
                         (40 * 60 + 60 - 1) * USEC_PER_SEC);
        assert_int_equal(
                json_integer_value(json_object_get(e, "episode")),
                json_integer_value(json_object_get(last_of(f, "memory_event"), "episode")));
        /* The next time at the limit is a new episode, told again. */
        at_limit_for(f, 1);
        assert_int_equal(count_of(f, "memory_event"), 2);
}

/* An OOM kill inside an episode is told at once, with the episode it happened in. */
static void test_episode_oom_at_once(void **state)
{
        struct fixture *f = *state;

        f->st.high = 250 * MiB;
        wake(f, WAKE_DISCOVERY);
        at_limit_for(f, 30);
        f->st.oom_kill = 1;
        wake(f, WAKE_MEMORY_EVENTS);
        assert_int_equal(count_of(f, "oom_kill"), 1);
        assert_int_equal(count_of(f, "memory_event"), 2);
        json_t *m = last_of(f, "memory_event");
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(m, "after"), "oom_kill")), 1);
        assert_int_equal(json_integer_value(json_object_get(m, "episode")), 1);
}

/* A trigger firing every second: one pressure event; it is the first of an episode's. */
static void test_episode_pressure(void **state)
{
        struct fixture *f = *state;

        f->st.high = 250 * MiB;
        wake(f, WAKE_DISCOVERY);
        at_limit_for(f, 10);
        for (unsigned i = 0; i < 120; i++) {
                fake_now += USEC_PER_SEC;
                f->st.psi_full_usec += 500000;
                wake(f, WAKE_PSI_TRIGGER);
                wake(f, WAKE_ROUND);
        }
        assert_int_equal(count_of(f, "pressure"), 1);
        assert_int_equal(
                json_integer_value(json_object_get(last_of(f, "pressure"), "episode")),
                json_integer_value(json_object_get(last_of(f, "memory_event"), "episode")));
        quiet_for(f, 60);
        json_t *e = last_of(f, "episode");
        assert_string_equal(json_string_value(json_object_get(e, "phase")), "end");
        assert_int_equal(json_integer_value(json_object_get(e, "pressure_signals")), 120);
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(e, "stalled_usec"), "full")),
                60 * USEC_PER_SEC);
}

/* Gone while in an episode: it ends, before container_gone would be said. */
static void test_episode_gone(void **state)
{
        struct fixture *f = *state;

        f->st.high = 250 * MiB;
        wake(f, WAKE_DISCOVERY);
        at_limit_for(f, 5);
        report_gone(&f->p, f->c, fake_now);
        assert_string_equal(json_string_value(json_object_get(last_of(f, "episode"), "phase")),
                            "end");
        report_gone(&f->p, f->c, fake_now);
        assert_int_equal(count_of(f, "episode"), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_discovery_guards, setup, teardown),
                cmocka_unit_test_setup_teardown(test_runaway_killed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_protected_by_config, setup, teardown),
                cmocka_unit_test_setup_teardown(test_protected_by_xattr, setup, teardown),
                cmocka_unit_test_setup_teardown(test_protected_later, setup, teardown),
                cmocka_unit_test_setup_teardown(test_agent_protects_itself, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fill_and_hold, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events_wait_until, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits_read_after_wait, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owner_high_after_max, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owner_write_wins_race, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_failed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_failed_repeated, setup, teardown),
                cmocka_unit_test_setup_teardown(test_node_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_episode_at_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_episode_oom_at_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_episode_pressure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_episode_gone, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
