/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the /dev/kmsg record and OOM victim parsers (supervisor/kmsg.c). */

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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/kmsg.h"
#include "cgroupfs/macro.h"
#include "unit-util.h"

/* ---- helpers: every parser gets an exactly-sized buffer without a NUL ---- */

static int record_of(const char *s, struct kmsg_record *ret)
{
        size_t n = strlen(s);
        char *b = dup_exact(s, n);
        struct kmsg_record rec;
        int r = kmsg_record_parse(b, n, &rec);
        if (r == 0) {
                /* Turn the spans into offsets into s: b is freed below. */
                rec.msg = s + (rec.msg - b);
                rec.dict = rec.dict ? s + (rec.dict - b) : NULL;
                *ret = rec;
        }
        free(b);
        return r;
}

/* The union is large; tests keep one per call on the heap, filled with a sentinel. */
static struct kmsg_oom *oom_new(void)
{
        struct kmsg_oom *o = malloc(sizeof(*o));
        if (!o)
                abort();
        memset(o, 0xa5, sizeof(*o));
        return o;
}

static bool oom_untouched(const struct kmsg_oom *o)
{
        const unsigned char *p = (const unsigned char *) o;
        for (size_t i = 0; i < sizeof(*o); i++)
                if (p[i] != 0xa5)
                        return false;
        return true;
}

static int oom_of_len(const char *s, size_t n, struct kmsg_oom *ret)
{
        char *b = dup_exact(s, n);
        int r = kmsg_oom_parse(b, n, ret);
        free(b);
        return r;
}

static int oom_of(const char *s, struct kmsg_oom *ret)
{
        return oom_of_len(s, strlen(s), ret);
}

/* Expects s to be rejected with err (or be KMSG_OOM_NONE) and *ret left alone. */
static void expect_oom(const char *s, int err)
{
        struct kmsg_oom *o = oom_new();
        int r = oom_of(s, o);
        if (r != err)
                fail_msg("\"%s\": got %d, expected %d", s, r, err);
        assert_true(oom_untouched(o));
        free(o);
}

/* What one fixture holds: the OOM lines found in it, in order. */
#define MAX_FOUND 4
struct fixture_scan {
        size_t records;
        size_t n_summary, n_killed;
        struct kmsg_oom_summary summary[MAX_FOUND];
        struct kmsg_oom_killed killed[MAX_FOUND];
        struct kmsg_record killed_rec[MAX_FOUND];
};

/* A dump of /dev/kmsg reads: a record ends at a newline not followed by a dictionary line. */
static size_t next_record_len(const char *p, const char *end)
{
        const char *q = p;
        for (;;) {
                const char *nl = memchr(q, '\n', (size_t) (end - q));
                if (!nl)
                        fail_msg("fixture record without newline");
                q = nl + 1;
                if (q == end || *q != ' ')
                        return (size_t) (q - p);
        }
}

static void scan_record(const char *rec_buf, size_t n, struct fixture_scan *s)
{
        char *b = dup_exact(rec_buf, n);
        struct kmsg_record rec;
        assert_int_equal(kmsg_record_parse(b, n, &rec), 0);

        char *m = dup_exact(rec.msg, rec.msg_len);
        struct kmsg_oom *o = oom_new();
        int r = kmsg_oom_parse(m, rec.msg_len, o);
        assert_true(r >= 0);
        if (r == KMSG_OOM_SUMMARY) {
                assert_true(s->n_summary < MAX_FOUND);
                s->summary[s->n_summary++] = o->summary;
        } else if (r == KMSG_OOM_KILLED) {
                assert_true(s->n_killed < MAX_FOUND);
                s->killed_rec[s->n_killed] = rec;
                s->killed_rec[s->n_killed].msg = NULL;
                s->killed_rec[s->n_killed].dict = NULL;
                s->killed[s->n_killed++] = o->killed;
        } else {
                assert_true(oom_untouched(o));
        }
        s->records++;
        free(o);
        free(m);
        free(b);
}

static struct fixture_scan *scan_fixture(const char *name)
{
        char path[256];
        size_t len;
        snprintf(path, sizeof(path), FIXTURES "/kmsg/%s", name);
        char *buf = read_exact(path, &len);

        struct fixture_scan *s = calloc(1, sizeof(*s));
        if (!s)
                abort();
        for (const char *p = buf, *end = buf + len; p < end;) {
                size_t n = next_record_len(p, end);
                scan_record(p, n, s);
                p += n;
        }
        free(buf);
        return s;
}

static void assert_killed(const struct kmsg_oom_killed *k, bool memcg, int32_t pid,
                          const char *comm, uint64_t vm, uint64_t anon, uint64_t file,
                          uint64_t shmem, uint64_t pgtables, int32_t adj)
{
        assert_int_equal(k->memcg, memcg);
        assert_int_equal(k->pid, pid);
        assert_string_equal(k->comm, comm);
        assert_true(k->total_vm_kb == vm);
        assert_true(k->anon_rss_kb == anon);
        assert_true(k->file_rss_kb == file);
        assert_true(k->shmem_rss_kb == shmem);
        assert_int_equal(k->uid, 0);
        assert_true(k->pgtables_kb == pgtables);
        assert_int_equal(k->oom_score_adj, adj);
}

static void assert_summary(const struct kmsg_oom_summary *s, enum kmsg_oom_constraint c,
                           const char *oom_memcg, const char *task_memcg, const char *comm,
                           int32_t pid)
{
        assert_int_equal(s->constraint, c);
        assert_int_equal(s->global, oom_memcg == NULL);
        assert_string_equal(s->oom_memcg, oom_memcg ? oom_memcg : "");
        assert_string_equal(s->task_memcg, task_memcg);
        assert_string_equal(s->comm, comm);
        assert_int_equal(s->pid, pid);
        assert_int_equal(s->uid, 0);
}

/* ---- real 6.1 reports (Debian 6.1.0-56-amd64, captured with tests/vm/run) ---- */

static void test_fixture_memcg_oom(void **state)
{
        (void) state;
        struct fixture_scan *s = scan_fixture("6.1-memcg-oom");

        assert_int_equal(s->records, 46);
        assert_int_equal(s->n_summary, 1);
        assert_int_equal(s->n_killed, 1);
        assert_summary(&s->summary[0], KMSG_OOM_CONSTRAINT_MEMCG, "/t", "/t", "memhog", 137);
        assert_killed(&s->killed[0], true, 137, "memhog", 68080, 65288, 796, 0, 168, 0);
        assert_int_equal(s->killed_rec[0].level, 3);
        assert_int_equal(s->killed_rec[0].facility, 0);
        assert_true(s->killed_rec[0].seq == 442);
        assert_true(s->killed_rec[0].usec == 5826567);
        assert_int_equal(s->killed_rec[0].flag, '-');
        free(s);
}

static void test_fixture_nested_weird_comm(void **state)
{
        (void) state;
        struct fixture_scan *s = scan_fixture("6.1-memcg-oom-nested-weird-comm");

        assert_int_equal(s->n_summary, 1);
        assert_int_equal(s->n_killed, 1);
        /* The limit sits on the pod; the victim lives in a child whose name has a space. */
        assert_summary(&s->summary[0], KMSG_OOM_CONSTRAINT_MEMCG, "/pod", "/pod/ctr 1",
                       "my (weird) comm", 141);
        assert_killed(&s->killed[0], true, 141, "my (weird) comm", 68080, 65032, 796, 8, 172, 0);
        free(s);
}

static void test_fixture_escaped_comm(void **state)
{
        (void) state;
        struct fixture_scan *s = scan_fixture("6.1-memcg-oom-escaped-comm");

        /* prctl(PR_SET_NAME, "ev\x01il\\n\xffx"): kmsg escapes are kept as the log shows them. */
        assert_int_equal(s->n_summary, 1);
        assert_int_equal(s->n_killed, 1);
        assert_summary(&s->summary[0], KMSG_OOM_CONSTRAINT_MEMCG, "/esc", "/esc",
                       "ev\\x01il\\x5cn\\xffx", 143);
        assert_killed(&s->killed[0], true, 143, "ev\\x01il\\x5cn\\xffx", 219944, 65188, 5712, 0,
                      192, 0);
        free(s);
}

static void test_fixture_global_oom(void **state)
{
        (void) state;
        struct fixture_scan *s = scan_fixture("6.1-global-oom");

        assert_int_equal(s->n_summary, 1);
        assert_int_equal(s->n_killed, 1);
        assert_summary(&s->summary[0], KMSG_OOM_CONSTRAINT_NONE, NULL, "/g", "memhog", 144);
        assert_killed(&s->killed[0], false, 144, "memhog", 430576, 426976, 0, 0, 888, 1000);
        free(s);
}

static void test_fixture_group_oom(void **state)
{
        (void) state;
        struct fixture_scan *s = scan_fixture("6.1-memcg-oom-group");

        /* memory.oom.group: one summary, then a "Killed process" line per member. */
        assert_int_equal(s->n_summary, 1);
        assert_int_equal(s->n_killed, 3);
        assert_summary(&s->summary[0], KMSG_OOM_CONSTRAINT_MEMCG, "/grp", "/grp", "memhog", 143);
        assert_killed(&s->killed[0], true, 143, "memhog", 59888, 56836, 812, 0, 160, 0);
        assert_killed(&s->killed[1], true, 141, "memhog", 43504, 41056, 1004, 0, 120, 0);
        assert_killed(&s->killed[2], true, 144, "memhog", 59888, 56852, 1464, 0, 160, 0);
        free(s);
}

static void test_fixture_dictionary(void **state)
{
        (void) state;
        size_t len;
        char *buf = read_exact(FIXTURES "/kmsg/6.1-records-dict", &len);
        const char *p = buf, *end = buf + len;
        struct kmsg_record rec;

        /* Third record: device printk with SUBSYSTEM/DEVICE lines; its message has a ';'. */
        for (int i = 0; i < 3; i++)
                p += next_record_len(p, end);
        size_t n = next_record_len(p, end);
        char *b = dup_exact(p, n);
        assert_int_equal(kmsg_record_parse(b, n, &rec), 0);
        assert_true(rec.seq == 192);
        assert_true(rec.usec == 624250);
        assert_int_equal(rec.level, 6);
        const char *msg = "acpi PNP0A03:00: _OSC: not requesting OS control; OS requires "
                          "[ExtendedConfig ASPM ClockPM MSI]";
        assert_int_equal(rec.msg_len, strlen(msg));
        assert_memory_equal(rec.msg, msg, rec.msg_len);
        const char *dict = " SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n";
        assert_int_equal(rec.dict_len, strlen(dict));
        assert_memory_equal(rec.dict, dict, rec.dict_len);
        free(b);
        free(buf);
}

/* ---- record prefix ---- */

static void test_record_fields(void **state)
{
        (void) state;
        struct kmsg_record r;

        assert_int_equal(record_of("30,7,123456789,-;systemd[1]: hello\n", &r), 0);
        assert_int_equal(r.facility, 3);
        assert_int_equal(r.level, 6);
        assert_true(r.seq == 7 && r.usec == 123456789);
        assert_int_equal(r.msg_len, strlen("systemd[1]: hello"));
        assert_null(r.dict);
        assert_int_equal(r.dict_len, 0);

        /* Extra prefix fields (CONFIG_PRINTK_CALLER's caller=) and old continuation flags. */
        assert_int_equal(record_of("6,1,2,c,caller=T1;x\n", &r), 0);
        assert_int_equal(r.flag, 'c');
        assert_int_equal(r.msg_len, 1);
        assert_int_equal(record_of("6,1,2,+;\n", &r), 0);
        assert_int_equal(r.msg_len, 0);
        assert_int_equal(record_of("0,18446744073709551615,0,-;x\n", &r), 0);
        assert_true(r.seq == UINT64_MAX);
}

static void test_record_malformed(void **state)
{
        (void) state;
        struct kmsg_record r;
        static const char *const bad[] = {
                "",
                "6,1,2,-",
                "6,1,2,-;no newline",
                "6,1,2;x\n",
                "6,1,2,;x\n",
                "6,1,2,--;x\n",
                "6,1,2,x;x\n",
                ",1,2,-;x\n",
                "6,,2,-;x\n",
                "6,1,,-;x\n",
                "-6,1,2,-;x\n",
                "6,1,2 ,-;x\n",
                "6,1,2,-;x\nSUBSYSTEM=acpi\n",
                "6,1,2,-;x\n SUBSYSTEM=acpi",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (record_of(bad[i], &r) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(record_of("6,18446744073709551616,2,-;x\n", &r), -ERANGE);
        assert_int_equal(record_of("4294967296,1,2,-;x\n", &r), -ERANGE);
}

/* ---- format variants ---- */

/* The same text in 5.15 (dump_oom_summary) and 6.12 (dump_oom_victim); a systemd host. */
static void test_summary_variants(void **state)
{
        (void) state;
        struct kmsg_oom *o = oom_new();

        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                                "mems_allowed=0,oom_memcg=/test/x,task_memcg=/test/x,task=python3,"
                                "pid=1234,uid=0",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_int_equal(o->kind, KMSG_OOM_SUMMARY);
        assert_summary(&o->summary, KMSG_OOM_CONSTRAINT_MEMCG, "/test/x", "/test/x", "python3",
                       1234);

        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
                                "cpuset=cri-containerd-0123abcd.scope,mems_allowed=0-1,"
                                "oom_memcg=/kubepods.slice/kubepods-burstable.slice/"
                                "kubepods-burstable-pod11aa.slice,task_memcg=/kubepods.slice/"
                                "kubepods-burstable.slice/kubepods-burstable-pod11aa.slice/"
                                "cri-containerd-0123abcd.scope,task=java,pid=4242,uid=1000",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_string_equal(o->summary.oom_memcg, "/kubepods.slice/kubepods-burstable.slice/"
                                                  "kubepods-burstable-pod11aa.slice");
        assert_string_equal(o->summary.task_memcg,
                            "/kubepods.slice/kubepods-burstable.slice/"
                            "kubepods-burstable-pod11aa.slice/cri-containerd-0123abcd.scope");
        assert_int_equal(o->summary.uid, 1000);

        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_CPUSET,nodemask=0-1,cpuset=rt,"
                                "mems_allowed=1,global_oom,task_memcg=/,task=a,pid=1,uid=0",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_summary(&o->summary, KMSG_OOM_CONSTRAINT_CPUSET, NULL, "/", "a", 1);

        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_MEMORY_POLICY,nodemask=1,"
                                "cpuset=/,mems_allowed=0-1,global_oom,task_memcg=/u,task=b,"
                                "pid=2,uid=3",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_int_equal(o->summary.constraint, KMSG_OOM_CONSTRAINT_MEMORY_POLICY);
        assert_int_equal(o->summary.uid, 3);

        /* Proposed BPF OOM handlers print a constraint of their own: still a kill to report. */
        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_BPF,nodemask=(null),cpuset=/,"
                                "mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=c,pid=5,"
                                "uid=0",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_int_equal(o->summary.constraint, KMSG_OOM_CONSTRAINT_OTHER);
        free(o);
}

static void test_killed_variants(void **state)
{
        (void) state;
        struct kmsg_oom *o = oom_new();

        assert_int_equal(oom_of("Memory cgroup out of memory: Killed process 1234 (python3) "
                                "total-vm:215432kB, anon-rss:65012kB, file-rss:4kB, "
                                "shmem-rss:0kB, UID:0 pgtables:188kB oom_score_adj:0",
                                o),
                         KMSG_OOM_KILLED);
        assert_int_equal(o->kind, KMSG_OOM_KILLED);
        assert_killed(&o->killed, true, 1234, "python3", 215432, 65012, 4, 0, 188, 0);

        assert_int_equal(oom_of("Out of memory: Killed process 9 (x) total-vm:1kB, anon-rss:2kB, "
                                "file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB "
                                "oom_score_adj:-1000",
                                o),
                         KMSG_OOM_KILLED);
        assert_killed(&o->killed, false, 9, "x", 1, 2, 3, 4, 5, -1000);

        assert_int_equal(oom_of("Out of memory (oom_kill_allocating_task): Killed process 9 (x) "
                                "total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, "
                                "UID:4294967295 pgtables:5kB oom_score_adj:32767",
                                o),
                         KMSG_OOM_KILLED);
        assert_false(o->killed.memcg);
        assert_true(o->killed.uid == UINT32_MAX);
        assert_int_equal(o->killed.oom_score_adj, 32767);

        /* A field added by a later kernel, anywhere, is skipped. */
        assert_int_equal(oom_of("Out of memory: Killed process 9 (x) total-vm:1kB, anon-rss:2kB, "
                                "file-rss:3kB, shmem-rss:4kB, swapents:7, UID:0 pgtables:5kB "
                                "oom_score_adj:0 new:1",
                                o),
                         KMSG_OOM_KILLED);
        assert_killed(&o->killed, false, 9, "x", 1, 2, 3, 4, 5, 0);
        free(o);
}

/* ---- rejection ---- */

static void test_unrelated_lines(void **state)
{
        (void) state;
        static const char *const lines[] = {
                "",
                "oom-kill",
                "Out of memory",
                ("oom_reaper: reaped process 137 (memhog), now anon-rss:0kB, file-rss:0kB, "
                 "shmem-rss:0kB"),
                "memhog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
                "Out of memory and no killable processes...",
                "Memory cgroup out of memory: Kill process 1 (x) score 1 or sacrifice child",
                "Tasks in /grp are going to be killed due to memory.oom.group set",
                "[    137]     0   137    17020    16521   172032        0             0 memhog",
                " oom-kill:constraint=CONSTRAINT_MEMCG",
                "Killed process 1 (x) total-vm:1kB",
        };

        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                expect_oom(lines[i], KMSG_OOM_NONE);
}

static void test_summary_malformed(void **state)
{
        (void) state;
        static const char *const bad[] = {
                "oom-kill:",
                "oom-kill:constraint=",
                "oom-kill:constraint=CONSTRAINT_MEMCG",
                "oom-kill:constraint=,nodemask=(null),oom_memcg=/a,task_memcg=/a,task=x,pid=1,"
                "uid=0",
                "oom-kill:nodemask=(null),oom_memcg=/a,task_memcg=/a,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid=1",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid=1,"
                "uid=0,",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid=1,"
                "uid=0 ",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid=-1,"
                "uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid=,"
                "uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,pid= 1,"
                "uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/a,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=a,task_memcg=/a,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=,task_memcg=/a,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=,task=x,pid=1,uid=0",
                "oom-kill:constraint=CONSTRAINT_NONE,global_oo,task_memcg=/a,task=x,pid=1,uid=0",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_oom(bad[i], -EINVAL);
        expect_oom("oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,"
                   "pid=2147483648,uid=0",
                   -ERANGE);
        expect_oom("oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a,task_memcg=/a,task=x,"
                   "pid=1,uid=4294967296",
                   -ERANGE);
}

#define KILLED_TAIL                                                                                \
        "total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB "             \
        "oom_score_adj:0"

static void test_killed_malformed(void **state)
{
        (void) state;
        static const char *const bad[] = {
                "Out of memory: Killed process ",
                "Out of memory: Killed process 1",
                "Out of memory: Killed process 1 (x)",
                "Out of memory: Killed process 1 (x) ",
                "Out of memory: Killed process (x) " KILLED_TAIL,
                "Out of memory: Killed process x (x) " KILLED_TAIL,
                "Out of memory: Killed process -1 (x) " KILLED_TAIL,
                "Out of memory: Killed process 1  (x) " KILLED_TAIL,
                "Out of memory: Killed process 1 x) " KILLED_TAIL,
                "Out of memory: Killed process 1 (x)total-vm:1kB",
                "Out of memory: Killed process 1 (x) " KILLED_TAIL " ",
                "Out of memory: Killed process 1 (x) " KILLED_TAIL ",",
                "Out of memory: Killed process 1 (x) total-vm:1kB,  anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0",
                "Out of memory: Killed process 1 (x) total-vm:1, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0",
                "Out of memory: Killed process 1 (x) total-vm:kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0",
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0kB pgtables:5kB oom_score_adj:0",
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:-",
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:+1",
                /* a required field missing, or twice */
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 oom_score_adj:0",
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0 UID:0",
                "Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB, "
                "shmem-rss:4kB, UID:0 pgtables:5kB :0",
                "Memory cgroup out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, "
                "file-rss:3kB, shmem-rss:4kB",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_oom(bad[i], -EINVAL);
        expect_oom("Out of memory: Killed process 1 (x) total-vm:18446744073709551616kB, "
                   "anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB "
                   "oom_score_adj:0",
                   -ERANGE);
        expect_oom("Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:2kB, "
                   "file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:-32769",
                   -ERANGE);
        expect_oom("Out of memory: Killed process 4294967296 (x) " KILLED_TAIL, -ERANGE);
}

/* ---- hostile comms and names ---- */

static void test_weird_comm(void **state)
{
        (void) state;
        struct kmsg_oom *o = oom_new();

        /* The kernel's ") total-vm:" is the last one: a comm may contain the same text. */
        assert_int_equal(oom_of("Out of memory: Killed process 7 (a) total-vm:9) " KILLED_TAIL, o),
                         KMSG_OOM_KILLED);
        assert_string_equal(o->killed.comm, "a) total-vm:9");
        assert_true(o->killed.total_vm_kb == 1);

        assert_int_equal(oom_of("Out of memory: Killed process 7 () " KILLED_TAIL, o),
                         KMSG_OOM_KILLED);
        assert_string_equal(o->killed.comm, "");
        assert_int_equal(oom_of("Out of memory: Killed process 7 ((() " KILLED_TAIL, o),
                         KMSG_OOM_KILLED);
        assert_string_equal(o->killed.comm, "((");

        /* pid and uid are taken from the end, the paths from the front. */
        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                                "mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=x,pid=1,uid=2,"
                                "pid=77,uid=0",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_summary(&o->summary, KMSG_OOM_CONSTRAINT_MEMCG, "/a", "/a/b", "x,pid=1,uid=2", 77);
        assert_int_equal(oom_of("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                                "mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=,task=q,"
                                "pid=77,uid=0",
                                o),
                         KMSG_OOM_SUMMARY);
        assert_string_equal(o->summary.task_memcg, "/a/b");
        assert_string_equal(o->summary.comm, ",task=q");
        free(o);
}

static void test_comm_length(void **state)
{
        (void) state;
        struct kmsg_oom *o = oom_new();
        char line[512];
        char comm[80];

        /* 15 escaped bytes are 60 characters: the longest the kernel prints. */
        comm[0] = '\0';
        for (int i = 0; i < 15; i++)
                strcat(comm, "\\xff");
        snprintf(line, sizeof(line), "Out of memory: Killed process 3 (%s) " KILLED_TAIL, comm);
        assert_int_equal(oom_of(line, o), KMSG_OOM_KILLED);
        assert_string_equal(o->killed.comm, comm);

        memset(comm, 'c', 63);
        comm[63] = '\0';
        snprintf(line, sizeof(line), "Out of memory: Killed process 3 (%s) " KILLED_TAIL, comm);
        assert_int_equal(oom_of(line, o), KMSG_OOM_KILLED);
        assert_string_equal(o->killed.comm, comm);
        snprintf(line, sizeof(line),
                 "oom-kill:constraint=CONSTRAINT_NONE,global_oom,task_memcg=/,task=%s,pid=3,uid=0",
                 comm);
        assert_int_equal(oom_of(line, o), KMSG_OOM_SUMMARY);
        assert_string_equal(o->summary.comm, comm);
        free(o);

        strcat(comm, "c");
        snprintf(line, sizeof(line), "Out of memory: Killed process 3 (%s) " KILLED_TAIL, comm);
        expect_oom(line, -ENAMETOOLONG);
        snprintf(line, sizeof(line),
                 "oom-kill:constraint=CONSTRAINT_NONE,global_oom,task_memcg=/,task=%s,pid=3,uid=0",
                 comm);
        expect_oom(line, -ENAMETOOLONG);
}

/* A NUL cannot come from /dev/kmsg (it is escaped) and cannot be carried by a C string. */
static void test_nul_in_name(void **state)
{
        (void) state;
        static const char killed[] = "Out of memory: Killed process 3 (a\0b) " KILLED_TAIL;
        static const char summary[] = "oom-kill:constraint=CONSTRAINT_NONE,global_oom,"
                                      "task_memcg=/\0x,task=a,pid=3,uid=0";
        struct kmsg_oom *o = oom_new();

        assert_int_equal(oom_of_len(killed, sizeof(killed) - 1, o), -EINVAL);
        assert_int_equal(oom_of_len(summary, sizeof(summary) - 1, o), -EINVAL);
        assert_true(oom_untouched(o));
        free(o);
}

static char *summary_with_path(size_t path_len)
{
        const char *head = "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                           "mems_allowed=0,oom_memcg=";
        const char *tail = ",task_memcg=/a,task=x,pid=1,uid=0";
        size_t hl = strlen(head), tl = strlen(tail);
        char *s = malloc(hl + path_len + tl + 1);
        if (!s)
                abort();
        memcpy(s, head, hl);
        s[hl] = '/';
        memset(s + hl + 1, 'p', path_len - 1);
        memcpy(s + hl + path_len, tail, tl + 1);
        return s;
}

static void test_long_path(void **state)
{
        (void) state;
        struct kmsg_oom *o = oom_new();

        char *s = summary_with_path(PATH_MAX - 1);
        assert_int_equal(oom_of(s, o), KMSG_OOM_SUMMARY);
        assert_int_equal(strlen(o->summary.oom_memcg), PATH_MAX - 1);
        free(s);
        free(o);

        s = summary_with_path(PATH_MAX);
        expect_oom(s, -ENAMETOOLONG);
        free(s);
}

/* ---- reading ---- */

static void test_read_record_pipe(void **state)
{
        (void) state;
        int p[2];
        char buf[KMSG_RECORD_MAX];
        size_t n = 12345;
        const char *rec = "6,1,2,-;hello\n";

        assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(kmsg_read_record(p[0], buf, sizeof(buf), &n), -EAGAIN);
        assert_int_equal(n, 12345);
        assert_int_equal(write(p[1], rec, strlen(rec)), (ssize_t) strlen(rec));
        assert_int_equal(kmsg_read_record(p[0], buf, sizeof(buf), &n), 0);
        assert_int_equal(n, strlen(rec));
        assert_memory_equal(buf, rec, n);
        assert_int_equal(kmsg_read_record(p[0], buf, 0, &n), -EINVAL);
        close(p[1]);
        assert_int_equal(kmsg_read_record(p[0], buf, sizeof(buf), &n), -EAGAIN);
        close(p[0]);
        assert_int_equal(kmsg_read_record(p[0], buf, sizeof(buf), &n), -EBADF);
}

/* Only where /dev/kmsg is readable (root, or kernel.dmesg_restrict=0). */
static void test_kmsg_open(void **state)
{
        (void) state;
        int fd = kmsg_open();
        if (fd == -EPERM || fd == -EACCES || fd == -ENOENT) {
                print_message("skipped: /dev/kmsg cannot be opened here (%s); the VM cases "
                              "read it for real\n",
                              strerror(-fd));
                skip();
                return;
        }
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_memcg_oom),
                cmocka_unit_test(test_fixture_nested_weird_comm),
                cmocka_unit_test(test_fixture_escaped_comm),
                cmocka_unit_test(test_fixture_global_oom),
                cmocka_unit_test(test_fixture_group_oom),
                cmocka_unit_test(test_fixture_dictionary),
                cmocka_unit_test(test_record_fields),
                cmocka_unit_test(test_record_malformed),
                cmocka_unit_test(test_summary_variants),
                cmocka_unit_test(test_killed_variants),
                cmocka_unit_test(test_unrelated_lines),
                cmocka_unit_test(test_summary_malformed),
                cmocka_unit_test(test_killed_malformed),
                cmocka_unit_test(test_weird_comm),
                cmocka_unit_test(test_comm_length),
                cmocka_unit_test(test_nul_in_name),
                cmocka_unit_test(test_long_path),
                cmocka_unit_test(test_read_record_pipe),
                cmocka_unit_test(test_kmsg_open),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
