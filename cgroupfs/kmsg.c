/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/kmsg records and the kernel's OOM victim lines. The formats follow mm/oom_kill.c
 * dump_oom_summary() (renamed dump_oom_victim() in recent mainline) and __oom_kill_process(),
 * mm/memcontrol.c mem_cgroup_print_oom_context() and kernel/cgroup/cpuset.c
 * cpuset_print_current_mems_allowed(), unchanged between 5.15, 6.1 and 6.12, and real 6.1
 * output kept in tests/fixtures/kmsg/.
 */

#include "kmsg.h"

#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define STRLEN(s) (sizeof(s) - 1)

/* A piece of the input: never NUL-terminated. */
struct span {
        const char *p;
        size_t len;
};

static bool span_starts_with(const char *p, const char *end, const char *prefix, size_t n)
{
        return (size_t) (end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* First occurrence of needle in [p, end), or NULL. */
static const char *span_find(const char *p, const char *end, const char *needle, size_t n)
{
        for (; (size_t) (end - p) >= n; p++)
                if (memcmp(p, needle, n) == 0)
                        return p;
        return NULL;
}

/* Last occurrence of needle in [p, end), or NULL. */
static const char *span_rfind(const char *p, const char *end, const char *needle, size_t n)
{
        if ((size_t) (end - p) < n)
                return NULL;
        for (const char *q = end - n;; q--) {
                if (memcmp(q, needle, n) == 0)
                        return q;
                if (q == p)
                        return NULL;
        }
}

static int dec_u32(const char *s, size_t len, uint32_t *ret)
{
        uint64_t v;
        int r = parse_u64(s, len, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

/* The kernel prints pids with %d: non-negative, at most INT32_MAX. */
static int dec_pid(const char *s, size_t len, int32_t *ret)
{
        uint64_t v;
        int r = parse_u64(s, len, &v);
        if (r < 0)
                return r;
        if (v > INT32_MAX)
                return -ERANGE;
        *ret = (int32_t) v;
        return 0;
}

/* oom_score_adj is printed with %hd. */
static int dec_short(const char *s, size_t len, int32_t *ret)
{
        bool neg = len > 0 && s[0] == '-';
        uint64_t v;
        int r = parse_u64(s + neg, len - neg, &v);
        if (r < 0)
                return r;
        if (v > (neg ? (uint64_t) - (int64_t) INT16_MIN : (uint64_t) INT16_MAX))
                return -ERANGE;
        *ret = neg ? (int32_t) - (int64_t) v : (int32_t) v;
        return 0;
}

/* Copies a name check_name() accepted for a buffer of at least s.len + 1 bytes. */
static void name_copy(char *dst, struct span s)
{
        memcpy(dst, s.p, s.len);
        dst[s.len] = '\0';
}

/* A NUL cannot be carried by a C string and /dev/kmsg never shows one (it escapes it as
 * \x00), so it marks the input as malformed. */
static int check_name(struct span s, size_t size)
{
        if (s.len >= size)
                return -ENAMETOOLONG;
        if (memchr(s.p, '\0', s.len))
                return -EINVAL;
        return 0;
}

/* pr_cont_cgroup_path() prints "/" for the root and "/a/b" below it. */
static int check_cgroup_path(struct span s)
{
        if (s.len == 0 || s.p[0] != '/')
                return -EINVAL;
        return check_name(s, PATH_MAX);
}

/* ---- /dev/kmsg records ---- */

/* The next ','-separated field of the record prefix [*p, end). */
static struct span prefix_field(const char **p, const char *end)
{
        const char *comma = memchr(*p, ',', (size_t) (end - *p));
        struct span f = {*p, (size_t) ((comma ? comma : end) - *p)};
        *p = comma ? comma + 1 : end;
        return f;
}

/* Dictionary lines follow the message, each " KEY=value\n" (dev-kmsg ABI document). */
static int dict_check(const char *p, const char *end)
{
        while (p < end) {
                if (*p != ' ')
                        return -EINVAL;
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl)
                        return -EINVAL;
                p = nl + 1;
        }
        return 0;
}

struct kmsg_prefix {
        uint32_t prio;
        uint64_t seq;
        uint64_t usec;
        char flag;
};

/* "prio,seq,usec,flags[,more...]": fields after flags (e.g. caller=T1) are for the future. */
static int prefix_parse(const char *p, const char *end, struct kmsg_prefix *ret)
{
        struct span prio = prefix_field(&p, end);
        struct span seq = prefix_field(&p, end);
        struct span usec = prefix_field(&p, end);
        struct span flags = prefix_field(&p, end);
        struct kmsg_prefix x;
        int r;

        if ((r = dec_u32(prio.p, prio.len, &x.prio)) < 0 ||
            (r = parse_u64(seq.p, seq.len, &x.seq)) < 0 ||
            (r = parse_u64(usec.p, usec.len, &x.usec)) < 0)
                return r;
        if (flags.len != 1 || !memchr("-c+", flags.p[0], 3))
                return -EINVAL;
        x.flag = flags.p[0];
        *ret = x;
        return 0;
}

int kmsg_record_parse(const char *buf, size_t len, struct kmsg_record *ret)
{
        const char *end = buf + len;
        struct kmsg_prefix pfx;
        int r;

        const char *semi = memchr(buf, ';', len);
        if (!semi)
                return -EINVAL;
        r = prefix_parse(buf, semi, &pfx);
        if (r < 0)
                return r;

        /* Every record ends with a newline; the message itself has its newlines escaped. */
        const char *msg = semi + 1;
        const char *nl = memchr(msg, '\n', (size_t) (end - msg));
        if (!nl)
                return -EINVAL;
        r = dict_check(nl + 1, end);
        if (r < 0)
                return r;

        *ret = (struct kmsg_record){
                .level = pfx.prio & 7,
                .facility = pfx.prio >> 3,
                .seq = pfx.seq,
                .usec = pfx.usec,
                .flag = pfx.flag,
                .msg = msg,
                .msg_len = (size_t) (nl - msg),
                .dict = nl + 1 < end ? nl + 1 : NULL,
                .dict_len = (size_t) (end - (nl + 1)),
        };
        return 0;
}

/* ---- "oom-kill:" summary ---- */

static const char SUMMARY_PREFIX[] = "oom-kill:";

static const struct {
        const char *text;
        enum kmsg_oom_constraint constraint;
} constraints[] = {
        {"CONSTRAINT_NONE", KMSG_OOM_CONSTRAINT_NONE},
        {"CONSTRAINT_CPUSET", KMSG_OOM_CONSTRAINT_CPUSET},
        {"CONSTRAINT_MEMORY_POLICY", KMSG_OOM_CONSTRAINT_MEMORY_POLICY},
        {"CONSTRAINT_MEMCG", KMSG_OOM_CONSTRAINT_MEMCG},
};

/* Unknown names map to OTHER rather than failing: proposed BPF OOM handlers add their own
 * constraint text, and the victim is still worth reporting. */
static int constraint_parse(struct span s, enum kmsg_oom_constraint *ret)
{
        if (s.len == 0)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++)
                if (strlen(constraints[i].text) == s.len &&
                    memcmp(constraints[i].text, s.p, s.len) == 0) {
                        *ret = constraints[i].constraint;
                        return 0;
                }
        *ret = KMSG_OOM_CONSTRAINT_OTHER;
        return 0;
}

struct summary_spans {
        enum kmsg_oom_constraint constraint;
        bool global;
        struct span oom_memcg, task_memcg, comm;
        int32_t pid;
        uint32_t uid;
};

/*
 * ",task=%s,pid=%d,uid=%d" ends the line. The comm is any 15 bytes a process chose, so it
 * may itself contain ",pid=" or ",uid=": take the last ones, which the kernel wrote.
 */
static int summary_tail(const char *p, const char *end, struct summary_spans *s,
                        const char **ret_pid_key)
{
        const char *uid_key = span_rfind(p, end, ",uid=", STRLEN(",uid="));
        if (!uid_key)
                return -EINVAL;
        const char *pid_key = span_rfind(p, uid_key, ",pid=", STRLEN(",pid="));
        if (!pid_key)
                return -EINVAL;

        const char *uid = uid_key + STRLEN(",uid=");
        const char *pid = pid_key + STRLEN(",pid=");
        int r = dec_u32(uid, (size_t) (end - uid), &s->uid);
        if (r < 0)
                return r;
        r = dec_pid(pid, (size_t) (uid_key - pid), &s->pid);
        if (r < 0)
                return r;
        *ret_pid_key = pid_key;
        return 0;
}

/*
 * Between the constraint and ",pid=": ...,cpuset=<name>,mems_allowed=<list>
 * {,oom_memcg=<path>|,global_oom},task_memcg=<path>,task=<comm>. Cgroup paths are searched
 * forward (from the fixed text the kernel wrote before them) and the comm backward, so a comm
 * containing ",task=" cannot shift the paths; a cgroup *name* containing ",task=" or
 * ",task_memcg=" is genuinely ambiguous and is taken at its first occurrence.
 */
static int summary_middle(const char *p, const char *pid_key, struct summary_spans *s)
{
        const char *tm_key = span_find(p, pid_key, ",task_memcg=", STRLEN(",task_memcg="));
        if (!tm_key) /* no CONFIG_MEMCG: cgmem has nothing to attribute the kill to */
                return -EINVAL;
        const char *tm = tm_key + STRLEN(",task_memcg=");
        const char *task_key = span_find(tm, pid_key, ",task=", STRLEN(",task="));
        if (!task_key)
                return -EINVAL;
        const char *comm = task_key + STRLEN(",task=");
        s->task_memcg = (struct span){tm, (size_t) (task_key - tm)};
        s->comm = (struct span){comm, (size_t) (pid_key - comm)};

        const char *om_key = span_find(p, tm_key, ",oom_memcg=", STRLEN(",oom_memcg="));
        if (om_key) {
                const char *om = om_key + STRLEN(",oom_memcg=");
                s->global = false;
                s->oom_memcg = (struct span){om, (size_t) (tm_key - om)};
                return 0;
        }
        if ((size_t) (tm_key - p) < STRLEN(",global_oom") ||
            memcmp(tm_key - STRLEN(",global_oom"), ",global_oom", STRLEN(",global_oom")) != 0)
                return -EINVAL;
        s->global = true;
        s->oom_memcg = (struct span){tm_key, 0};
        return 0;
}

static int summary_spans_parse(const char *msg, size_t len, struct summary_spans *s)
{
        const char *end = msg + len;
        const char *p = msg + STRLEN(SUMMARY_PREFIX);
        const char *pid_key;
        int r;

        if (!span_starts_with(p, end, "constraint=", STRLEN("constraint=")))
                return -EINVAL;
        p += STRLEN("constraint=");
        const char *comma = memchr(p, ',', (size_t) (end - p));
        if (!comma)
                return -EINVAL;
        r = constraint_parse((struct span){p, (size_t) (comma - p)}, &s->constraint);
        if (r < 0)
                return r;

        r = summary_tail(comma, end, s, &pid_key);
        if (r < 0)
                return r;
        r = summary_middle(comma, pid_key, s);
        if (r < 0)
                return r;

        if (!s->global && (r = check_cgroup_path(s->oom_memcg)) < 0)
                return r;
        if ((r = check_cgroup_path(s->task_memcg)) < 0)
                return r;
        return check_name(s->comm, KMSG_COMM_MAX);
}

static int summary_parse(const char *msg, size_t len, struct kmsg_oom *ret)
{
        struct summary_spans s;
        int r = summary_spans_parse(msg, len, &s);
        if (r < 0)
                return r;

        /* Everything is validated: from here on *ret is written and nothing fails. */
        ret->kind = KMSG_OOM_SUMMARY;
        struct kmsg_oom_summary *o = &ret->summary;
        o->constraint = s.constraint;
        o->global = s.global;
        o->pid = s.pid;
        o->uid = s.uid;
        name_copy(o->oom_memcg, s.oom_memcg);
        name_copy(o->task_memcg, s.task_memcg);
        name_copy(o->comm, s.comm);
        return KMSG_OOM_SUMMARY;
}

/* ---- "Killed process" ---- */

/* The message argument of oom_kill_process() (mm/oom_kill.c out_of_memory()). */
static const struct {
        const char *text;
        size_t len;
        bool memcg;
} killed_prefixes[] = {
#define KP(s, m)                                                                                   \
        {                                                                                          \
                s, STRLEN(s), m                                                                    \
        }
        KP("Memory cgroup out of memory: Killed process ", true),
        KP("Out of memory: Killed process ", false),
        KP("Out of memory (oom_kill_allocating_task): Killed process ", false),
#undef KP
};

enum killed_field {
        KF_TOTAL_VM,
        KF_ANON_RSS,
        KF_FILE_RSS,
        KF_SHMEM_RSS,
        KF_UID,
        KF_PGTABLES,
        KF_OOM_SCORE_ADJ,
        _KF_MAX,
};

static const struct {
        const char *key;
        bool kb; /* value carries a "kB" suffix */
} killed_fields[_KF_MAX] = {
        [KF_TOTAL_VM] = {"total-vm", true},
        [KF_ANON_RSS] = {"anon-rss", true},
        [KF_FILE_RSS] = {"file-rss", true},
        [KF_SHMEM_RSS] = {"shmem-rss", true},
        [KF_UID] = {"UID", false},
        [KF_PGTABLES] = {"pgtables", true},
        [KF_OOM_SCORE_ADJ] = {"oom_score_adj", false},
};

static int killed_field_store(enum killed_field f, struct span v, struct kmsg_oom_killed *k)
{
        uint64_t *kb[_KF_MAX] = {
                [KF_TOTAL_VM] = &k->total_vm_kb, [KF_ANON_RSS] = &k->anon_rss_kb,
                [KF_FILE_RSS] = &k->file_rss_kb, [KF_SHMEM_RSS] = &k->shmem_rss_kb,
                [KF_PGTABLES] = &k->pgtables_kb,
        };

        if (f == KF_UID)
                return dec_u32(v.p, v.len, &k->uid);
        if (f == KF_OOM_SCORE_ADJ)
                return dec_short(v.p, v.len, &k->oom_score_adj);
        if (v.len < 2 || memcmp(v.p + v.len - 2, "kB", 2) != 0)
                return -EINVAL;
        return parse_u64(v.p, v.len - 2, kb[f]);
}

/* One "key:value" token, a trailing ',' already removed. Unknown keys are skipped so a field
 * added by a later kernel does not hide the kill; a known key twice is malformed. */
static int killed_token(struct span t, struct kmsg_oom_killed *k, unsigned *seen)
{
        const char *colon = memchr(t.p, ':', t.len);
        if (!colon || colon == t.p)
                return -EINVAL;
        size_t klen = (size_t) (colon - t.p);
        struct span v = {colon + 1, t.len - klen - 1};

        for (unsigned f = 0; f < _KF_MAX; f++) {
                if (strlen(killed_fields[f].key) != klen ||
                    memcmp(killed_fields[f].key, t.p, klen) != 0)
                        continue;
                if (*seen & (1u << f))
                        return -EINVAL;
                *seen |= 1u << f;
                return killed_field_store((enum killed_field) f, v, k);
        }
        return 0;
}

/* "total-vm:NkB, anon-rss:NkB, file-rss:NkB, shmem-rss:NkB, UID:N pgtables:NkB
 * oom_score_adj:N": tokens separated by single spaces, some followed by a comma. */
static int killed_fields_parse(const char *p, const char *end, struct kmsg_oom_killed *k)
{
        unsigned seen = 0;

        for (;;) {
                const char *sp = memchr(p, ' ', (size_t) (end - p));
                const char *tend = sp ? sp : end;
                struct span t = {p, (size_t) (tend - p)};
                if (sp && t.len > 0 && t.p[t.len - 1] == ',')
                        t.len--;
                if (t.len == 0)
                        return -EINVAL;
                int r = killed_token(t, k, &seen);
                if (r < 0)
                        return r;
                if (!sp)
                        break;
                p = sp + 1;
        }
        return seen == (1u << _KF_MAX) - 1 ? 0 : -EINVAL;
}

/*
 * "<pid> (<comm>) total-vm:...". The comm is printed raw between parentheses and may hold
 * spaces, parentheses, even ") total-vm:"; everything after the kernel's own ") total-vm:"
 * is numbers and fixed keys, so the last occurrence is the real one.
 */
static int killed_body(const char *p, const char *end, struct kmsg_oom_killed *k,
                       struct span *ret_comm)
{
        const char *open = memchr(p, ' ', (size_t) (end - p));
        if (!open || !span_starts_with(open, end, " (", 2))
                return -EINVAL;
        int r = dec_pid(p, (size_t) (open - p), &k->pid);
        if (r < 0)
                return r;

        const char *comm = open + 2;
        const char *close = span_rfind(comm, end, ") total-vm:", STRLEN(") total-vm:"));
        if (!close)
                return -EINVAL;
        *ret_comm = (struct span){comm, (size_t) (close - comm)};
        r = check_name(*ret_comm, KMSG_COMM_MAX);
        if (r < 0)
                return r;
        return killed_fields_parse(close + STRLEN(") "), end, k);
}

static int killed_parse(const char *msg, size_t len, size_t prefix_len, bool memcg,
                        struct kmsg_oom *ret)
{
        struct kmsg_oom_killed k = {.memcg = memcg};
        struct span comm;
        int r = killed_body(msg + prefix_len, msg + len, &k, &comm);
        if (r < 0)
                return r;

        name_copy(k.comm, comm);
        ret->kind = KMSG_OOM_KILLED;
        ret->killed = k;
        return KMSG_OOM_KILLED;
}

int kmsg_oom_parse(const char *msg, size_t len, struct kmsg_oom *ret)
{
        const char *end = msg + len;

        /* Nearly every kernel line lands here: a prefix compare settles it for them. */
        if (span_starts_with(msg, end, SUMMARY_PREFIX, STRLEN(SUMMARY_PREFIX)))
                return summary_parse(msg, len, ret);
        for (size_t i = 0; i < sizeof(killed_prefixes) / sizeof(killed_prefixes[0]); i++)
                if (span_starts_with(msg, end, killed_prefixes[i].text, killed_prefixes[i].len))
                        return killed_parse(msg, len, killed_prefixes[i].len,
                                            killed_prefixes[i].memcg, ret);
        return KMSG_OOM_NONE;
}

/* ---- /dev/kmsg ---- */

int kmsg_open(void)
{
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        /* SEEK_END on /dev/kmsg moves past the newest record (dev-kmsg ABI document): OOM
         * kills from before we started are history, not events. */
        if (lseek(fd, 0, SEEK_END) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int kmsg_read_record(int fd, char *buf, size_t size, size_t *ret_len)
{
        ssize_t n;

        if (size == 0)
                return -EINVAL;
        do
                n = read(fd, buf, size);
        while (n < 0 && errno == EINTR);

        if (n < 0)
                return -errno; /* EAGAIN: nothing new; EPIPE: records lost, read again */
        /* /dev/kmsg never returns 0; other files (tests feed pipes and files) do at EOF. */
        if (n == 0)
                return -EAGAIN;
        *ret_len = (size_t) n;
        return 0;
}
