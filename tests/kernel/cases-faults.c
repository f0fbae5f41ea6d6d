/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Faults around the agent, each lasting while a runaway must still be killed
 * before the kernel does it: the events file on a full disk, moved, deleted
 * into a read-only directory; /dev/kmsg unreadable; journald absent and
 * crashing; the names helper killed in a loop; cgroupfs read-only, cgroup.kill
 * refused, cgroups removed while their band is written. Mount faults are made
 * in a mount namespace of the case's own (the agent is its child): they end
 * with the case.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "cgroupfs/io.h"
#include "kt-agent.h"
#include "kt.h"

#define AGENT_ARGS(glob) "--set", "cgroup.containers=" glob, "--interval", "250ms"
#define MAX_256M         "268435456"

/* ---- helpers ---- */

/* Mounts made from here on are the case's own and go away with it. */
static void private_mounts(void)
{
        KT_ASSERT(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %m");
        KT_ASSERT(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %m");
}

static void bind_read_only(const char *path)
{
        KT_ASSERT(mount(path, path, NULL, MS_BIND, NULL) == 0, "bind %s: %m", path);
        KT_ASSERT(mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0,
                  "remount %s read-only: %m", path);
}

static void make_dir(const char *path)
{
        KT_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
}

/* A bigger pipe for the agent's stdout: the case reads it only now and then. */
static void grow_stdout(struct kt_agent *a)
{
        KT_ASSERT(fcntl(a->out, F_SETPIPE_SZ, 1 << 20) > 0, "F_SETPIPE_SZ: %m");
}

/* memhog grows without end in child: cgmem must kill it before the kernel does. */
static void runaway_in(struct kt_agent *a, int child, const char *name)
{
        char path[256];

        kt_agent_cgroup(name, path, sizeof(path));
        uint64_t oom_before = kt_read_key(child, "memory.events", "oom_kill");
        pid_t hog = kt_spawn_in(child, (char *[]){"memhog", "--total", "1024", NULL});
        json_t *kill = kt_agent_expect(a, "kill", path, 20000);
        kt_log("%s killed for %s, %lld us after the %s signal", name, kt_json_str(kill, "reason"),
               (long long) kt_json_int(kill, "latency_usec"), kt_json_str(kill, "signal"));
        kt_assert_emptied(child, 2000);
        int status = kt_wait(hog, 5000);
        KT_ASSERT(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "hog status 0x%x", status);
        KT_ASSERT(kt_read_key(child, "memory.events", "oom_kill") == oom_before,
                  "the kernel OOM-killed %s before cgmem did", name);
}

/* A fresh guarded container with a runaway in it, killed on time. */
static void runaway_killed(struct kt_agent *a, int cg, const char *name)
{
        int child = kt_agent_limited_child(cg, name, MAX_256M, a);
        runaway_in(a, child, name);
        close(child);
}

/* The seq of the container_seen of a fresh child name of cg. */
static int64_t mark(struct kt_agent *a, int cg, const char *name)
{
        char path[256];

        close(kt_cgroup_child(cg, name));
        kt_agent_cgroup(name, path, sizeof(path));
        return kt_json_int(kt_agent_expect(a, "container_seen", path, 5000), "seq");
}

/* The events of a JSONL file once it holds seq (whole lines only); fails after timeout_ms. */
static json_t *file_with_seq(const char *file, int64_t seq, int timeout_ms)
{
        for (int waited = 0;; waited += 100) {
                if (access(file, F_OK) == 0) {
                        json_t *events = kt_read_jsonl(file);
                        json_t *last = json_array_get(events, json_array_size(events) - 1);
                        if (last && kt_json_int(last, "seq") >= seq)
                                return events;
                        json_decref(events);
                }
                KT_ASSERT(waited < timeout_ms, "%s does not hold seq %lld after %d ms", file,
                          (long long) seq, timeout_ms);
                kt_sleep_ms(100);
        }
}

static unsigned count_type(json_t *events, const char *type, const char *cgroup)
{
        unsigned n = 0;
        size_t i;
        json_t *e;

        json_array_foreach(events, i, e)
        {
                const char *c = kt_json_str(e, "cgroup");
                n += strcmp(kt_json_str(e, "type"), type) == 0 &&
                     (!cgroup || (c && strcmp(c, cgroup) == 0));
        }
        return n;
}

/* The "dropped" events of a stream: exactly one expected per outage. */
static void assert_dropped_reports(json_t *events, unsigned want, const char *sink)
{
        size_t i;
        json_t *e;

        KT_ASSERT(count_type(events, "dropped", NULL) == want, "%u dropped events, want %u",
                  count_type(events, "dropped", NULL), want);
        json_array_foreach(events, i, e) if (strcmp(kt_json_str(e, "type"), "dropped") == 0)
                KT_ASSERT(strcmp(kt_json_str(e, "sink"), sink) == 0, "dropped on sink %s",
                          kt_json_str(e, "sink"));
}

static void assert_alive(const struct kt_agent *a, const char *during)
{
        KT_ASSERT(kill(a->pid, 0) == 0 && waitpid(a->pid, NULL, WNOHANG) == 0, "the agent died %s",
                  during);
}

/* ---- the events file ---- */

#define FULL_DIR  "/tmp/kt-full"
#define FULL_FILE FULL_DIR "/events.jsonl"

/* Fills the file system of path: whole pages, then what is left byte by byte. */
static void fill_up(const char *path)
{
        char block[4096] = {0};
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        KT_ASSERT(fd >= 0, "open %s: %m", path);
        while (write(fd, block, sizeof(block)) > 0)
                ;
        while (write(fd, block, 1) > 0)
                ;
        KT_ASSERT(errno == ENOSPC, "filling %s: %m", path);
        close(fd);
}

/*
 * The events file on a 64 KiB tmpfs that fills up: enforcement goes on, the
 * file never holds half a line, and once space is freed it resumes with what
 * was queued and one "dropped" event counting exactly what it lost.
 */
void case_fault_events_disk_full(void)
{
        int cg = kt_cgroup_new("fault-full");
        struct kt_agent a;

        kt_delegate(cg);
        private_mounts();
        make_dir(FULL_DIR);
        KT_ASSERT(mount("tmpfs", FULL_DIR, "tmpfs", 0, "size=64k") == 0, "mount tmpfs: %m");
        kt_agent_start_ready(&a, "fault_events_disk_full",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-full/*"),
                                                   "--events-file", FULL_FILE, "--set",
                                                   "events.queue=32", NULL});
        grow_stdout(&a);
        json_decref(file_with_seq(FULL_FILE, 1, 2000)); /* stdout is written first */
        fill_up(FULL_DIR "/filler");

        kt_churn(cg, 3); /* about 120 events for a queue of 32 */
        runaway_killed(&a, cg, "hog");
        json_t *during = kt_read_jsonl(FULL_FILE); /* whole lines, or the case fails */
        int64_t last_during =
                kt_json_int(json_array_get(during, json_array_size(during) - 1), "seq");
        int64_t now = kt_json_int(json_array_get(a.events, json_array_size(a.events) - 1), "seq");
        kt_log("while full: the file holds up to seq %lld of %lld", (long long) last_during,
               (long long) now);
        KT_ASSERT(last_during < now - 32, "the file took everything: the disk was not full");
        assert_alive(&a, "while the disk was full");

        KT_ASSERT(unlink(FULL_DIR "/filler") == 0, "rm filler: %m");
        int64_t after = mark(&a, cg, "after");
        json_decref(file_with_seq(FULL_FILE, after, 5000));
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);

        json_t *file = kt_read_jsonl(FULL_FILE);
        int64_t lost = kt_assert_gaps_explained(file, 0);
        assert_dropped_reports(file, 1, "file");
        int64_t last = kt_json_int(json_array_get(file, json_array_size(file) - 1), "seq");
        KT_ASSERT(
                last == kt_json_int(json_array_get(a.events, json_array_size(a.events) - 1), "seq"),
                "the file ends at seq %lld, stdout later", (long long) last);
        kt_log("the file lost %lld events, reported by one dropped event", (long long) lost);
        KT_ASSERT(lost > 0, "nothing was lost: the case tested nothing");
        json_decref(during);
        json_decref(file);
        umount2(FULL_DIR, MNT_DETACH);
}

#define LOG_DIR   "/tmp/kt-evlog"
#define LOG_FILE  LOG_DIR "/events.jsonl"
#define LOG_FILE1 LOG_FILE ".1"

/* Creates containers m0, m1... until the file at path holds one; the seq of that one. */
static int64_t mark_until_in(struct kt_agent *a, int cg, const char *path)
{
        char name[32];

        for (unsigned i = 0; i < 20; i++) {
                snprintf(name, sizeof(name), "m%u", i);
                int64_t seq = mark(a, cg, name);
                kt_sleep_ms(300);
                if (access(path, F_OK) == 0) {
                        json_decref(file_with_seq(path, seq, 2000));
                        return seq;
                }
        }
        kt_fail(__FILE__, __LINE__, "%s was never opened again", path);
}

/*
 * logrotate without SIGHUP: the file moved away, then deleted with its
 * directory read-only. The agent follows the path, keeps enforcing while it
 * cannot open it, and the new file starts with what was queued, then one
 * "dropped" event with the exact count.
 */
void case_fault_events_file_moved_deleted(void)
{
        int cg = kt_cgroup_new("fault-evlog");
        struct kt_agent a;

        kt_delegate(cg);
        private_mounts();
        make_dir(LOG_DIR);
        unlink(LOG_FILE);
        unlink(LOG_FILE1);
        kt_agent_start_ready(&a, "fault_events_file_moved_deleted",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-evlog/*"),
                                                   "--events-file", LOG_FILE, "--set",
                                                   "events.queue=32", NULL});
        grow_stdout(&a);

        KT_ASSERT(rename(LOG_FILE, LOG_FILE1) == 0, "rename: %m");
        int64_t moved = mark_until_in(&a, cg, LOG_FILE);
        json_t *old = kt_read_jsonl(LOG_FILE1), *fresh = kt_read_jsonl(LOG_FILE);
        int64_t old_last = kt_json_int(json_array_get(old, json_array_size(old) - 1), "seq");
        KT_ASSERT(kt_json_int(json_array_get(fresh, 0), "seq") == old_last + 1,
                  "the new file starts at seq %lld, the moved one ends at %lld",
                  (long long) kt_json_int(json_array_get(fresh, 0), "seq"), (long long) old_last);
        kt_log("moved: the agent wrote to a new file from seq %lld (mark seq %lld)",
               (long long) old_last + 1, (long long) moved);

        KT_ASSERT(unlink(LOG_FILE) == 0, "rm: %m");
        bind_read_only(LOG_DIR);
        kt_sleep_ms(1100); /* the next event checks the path */
        kt_churn(cg, 3);
        runaway_killed(&a, cg, "hog");
        KT_ASSERT(access(LOG_FILE, F_OK) < 0 && errno == ENOENT,
                  "%s exists in a read-only directory", LOG_FILE);
        assert_alive(&a, "while its directory was read-only");

        KT_ASSERT(umount2(LOG_DIR, 0) == 0, "umount: %m");
        int64_t after = mark(&a, cg, "after");
        json_t *file = file_with_seq(LOG_FILE, after, 5000);
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
        json_decref(file);
        file = kt_read_jsonl(LOG_FILE);
        int64_t first = kt_json_int(json_array_get(file, 0), "seq");
        int64_t lost = kt_assert_gaps_explained(file, first - 1);
        assert_dropped_reports(file, 1, "file");
        KT_ASSERT(strcmp(kt_json_str(json_array_get(file, 32), "type"), "dropped") == 0,
                  "the new file does not start with the 32 queued events");
        kt_log("deleted: the new file starts at seq %lld; %lld events lost, reported once",
               (long long) first, (long long) lost);
        KT_ASSERT(lost > 0, "nothing was lost: the case tested nothing");
        json_decref(old);
        json_decref(fresh);
        json_decref(file);
}

/* ---- the kernel log ---- */

static void write_text(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        KT_ASSERT(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text),
                  "write %s to %s: %m", text, path);
        close(fd);
}

static void restore_dmesg_restrict(void)
{
        write_text("/proc/sys/kernel/dmesg_restrict", "0");
}

static json_t *started_features(struct kt_agent *a)
{
        json_t *started = json_array_get(a->events, 0);
        KT_ASSERT(started && strcmp(kt_json_str(started, "type"), "started") == 0,
                  "the first event is not started");
        return json_object_get(started, "features");
}

/* The kernel OOM-kills a process in the container oom (which cgmem protects): its event. */
static json_t *kernel_oom(struct kt_agent *a, int oom)
{
        char path[256];

        kt_agent_cgroup("oom", path, sizeof(path));
        pid_t pid = kt_spawn_in(oom, (char *[]){"memhog", "--total", "200", NULL});
        json_t *e = kt_agent_expect(a, "oom_kill", path, 30000);
        KT_ASSERT(kt_wait(pid, 10000) != -1, "the hog survived its OOM kill");
        return e;
}

/*
 * /dev/kmsg lost after the start (its fd stays good), /dev/null over it before
 * the start (it opens, but cannot be polled: the agent used to exit at once),
 * and not readable (dmesg_restrict without CAP_SYSLOG and CAP_SYS_ADMIN): the agent runs and
 * enforces; OOM kills are counted, named only while /dev/kmsg was readable.
 */
void case_fault_kmsg_unreadable(void)
{
        int cg = kt_cgroup_new("fault-kmsg");
        const char *const args[] = {AGENT_ARGS("cgmem-ktest/fault-kmsg/*"), "--set",
                                    "enforce.protect=cgmem-ktest/fault-kmsg/oom", NULL};
        struct kt_agent a;

        kt_delegate(cg);
        private_mounts();
        int oom = kt_cgroup_child(cg, "oom");
        kt_write(oom, "memory.max", "67108864");
        kt_write(oom, "memory.swap.max", "0");

        kt_agent_start_ready(&a, "fault_kmsg_lost_after_start", args);
        KT_ASSERT(json_is_true(json_object_get(started_features(&a), "kmsg")), "kmsg false");
        KT_ASSERT(mount("/dev/null", "/dev/kmsg", NULL, MS_BIND, NULL) == 0, "bind: %m");
        json_t *victim = json_object_get(kernel_oom(&a, oom), "victim");
        KT_ASSERT(json_is_object(victim) && strcmp(kt_json_str(victim, "comm"), "memhog") == 0,
                  "the victim is not named though /dev/kmsg was open before the fault");
        kt_agent_stop(&a);

        kt_agent_start_ready(&a, "fault_kmsg_dev_null", args);
        KT_ASSERT(json_is_false(json_object_get(started_features(&a), "kmsg")), "kmsg true");
        runaway_killed(&a, cg, "hog");
        KT_ASSERT(json_is_null(json_object_get(kernel_oom(&a, oom), "victim")),
                  "a victim named without /dev/kmsg");
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
        KT_ASSERT(umount2("/dev/kmsg", 0) == 0, "umount /dev/kmsg: %m");

        /* Last: the capabilities are gone for good from this process and its children. The
         * kernel lets CAP_SYS_ADMIN read a restricted log too. */
        atexit(restore_dmesg_restrict);
        write_text("/proc/sys/kernel/dmesg_restrict", "1");
        KT_ASSERT(prctl(PR_CAPBSET_DROP, CAP_SYSLOG, 0, 0, 0) == 0 &&
                          prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) == 0,
                  "drop CAP_SYSLOG, CAP_SYS_ADMIN: %m");
        kt_agent_start_ready(&a, "fault_kmsg_restricted", args);
        KT_ASSERT(json_is_false(json_object_get(started_features(&a), "kmsg")), "kmsg true");
        kt_agent_stop(&a);
}

/* ---- the journal ---- */

#define JOURNALD       "/lib/systemd/systemd-journald"
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static bool journal_listens(void)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET};
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;

        if (fd >= 0)
                close(fd);
        return ok;
}

/* The real systemd-journald, on the case's own /run/systemd and /run/log. */
static pid_t start_journald(void)
{
        pid_t pid = fork();

        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int null = open("/dev/null", O_RDWR);
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                execl(JOURNALD, "systemd-journald", (char *) NULL);
                _exit(127);
        }
        for (int waited = 0; !journal_listens(); waited += 50) {
                KT_ASSERT(waited < 10000, "journald does not listen after 10 s");
                KT_ASSERT(waitpid(pid, NULL, WNOHANG) == 0, "journald exited");
                kt_sleep_ms(50);
        }
        return pid;
}

/* What the journal holds from cgmem, as events, once it holds seq. */
static json_t *journal_with_seq(int64_t seq)
{
        char line[20000];

        for (int waited = 0;; waited += 200) {
                json_t *events = json_array();
                FILE *p = popen("journalctl -q -D /run/log/journal -o cat SYSLOG_IDENTIFIER=cgmem",
                                "re");
                KT_ASSERT(p, "popen journalctl: %m");
                while (fgets(line, sizeof(line), p)) {
                        json_t *e = json_loads(line, 0, NULL);
                        KT_ASSERT(json_is_object(e), "the journal holds a non-JSON message: %s",
                                  line);
                        json_array_append_new(events, e);
                }
                pclose(p);
                json_t *last = json_array_get(events, json_array_size(events) - 1);
                if (last && kt_json_int(last, "seq") >= seq)
                        return events;
                json_decref(events);
                KT_ASSERT(waited < 10000, "the journal does not hold seq %lld", (long long) seq);
                kt_sleep_ms(200);
        }
}

/*
 * No journald when the agent starts (it used to refuse to), then journald
 * comes, then it crashes and its socket is removed, then it comes back. Runaways
 * are killed on time in both outages; the journal gets one "dropped" event per
 * outage, with the exact count.
 */
void case_fault_journal_gone(void)
{
        int cg = kt_cgroup_new("fault-journal");
        struct kt_agent a;

        kt_delegate(cg);
        private_mounts();
        KT_ASSERT(access(JOURNALD, X_OK) == 0,
                  JOURNALD " is not installed (apt-get install systemd)");
        make_dir("/run/systemd");
        make_dir("/run/log");
        KT_ASSERT(mount("tmpfs", "/run/systemd", "tmpfs", 0, NULL) == 0, "mount: %m");
        KT_ASSERT(mount("tmpfs", "/run/log", "tmpfs", 0, NULL) == 0, "mount: %m");
        kt_agent_start_ready(&a, "fault_journal_gone",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-journal/*"),
                                                   "--journal", "--set", "events.queue=16", NULL});
        grow_stdout(&a);
        kt_churn(cg, 2);
        runaway_killed(&a, cg, "hog1");
        assert_alive(&a, "without a journal");

        pid_t journald = start_journald();
        int64_t first = mark(&a, cg, "mark1");
        json_decref(journal_with_seq(first));

        KT_ASSERT(kill(journald, SIGKILL) == 0, "kill journald: %m");
        KT_ASSERT(waitpid(journald, NULL, 0) == journald, "waitpid: %m");
        KT_ASSERT(unlink(JOURNAL_SOCKET) == 0, "rm the socket: %m");
        kt_churn(cg, 2);
        runaway_killed(&a, cg, "hog2");
        assert_alive(&a, "when journald went away");

        journald = start_journald();
        int64_t second = mark(&a, cg, "mark2");
        json_t *journal = journal_with_seq(second);
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
        while (json_array_size(journal) > 0 &&
               kt_json_int(json_array_get(journal, json_array_size(journal) - 1), "seq") > second)
                json_array_remove(journal, json_array_size(journal) - 1);
        int64_t lost = kt_assert_gaps_explained(journal, 0);
        assert_dropped_reports(journal, 2, "journal");
        kt_log("the journal lost %lld events in two outages, each reported once", (long long) lost);
        json_decref(journal);
        kill(journald, SIGTERM);
        waitpid(journald, NULL, 0);
}

/* ---- the names helper ---- */

#define MUTE_SOCK "/tmp/kt-fault-mute.sock"
#define HELPER    "cgmem-names"

/*
 * A child of parent named comm that is not a zombie (0: none); *zombies counts
 * the others. No assertion: the helper killer calls it in a child process.
 */
static pid_t find_child(pid_t parent, const char *comm, unsigned *zombies)
{
        char path[300], stat[512], name[64], state;
        pid_t found = 0;
        int pid, ppid;
        struct dirent *d;
        DIR *proc = opendir("/proc");

        while (proc && (d = readdir(proc))) {
                snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                bool ok = fgets(stat, sizeof(stat), f) &&
                          sscanf(stat, "%d (%63[^)]) %c %d", &pid, name, &state, &ppid) == 4;
                fclose(f);
                if (!ok || ppid != parent || strcmp(name, comm) != 0)
                        continue;
                if (state == 'Z')
                        (*zombies)++;
                else if (!found)
                        found = pid;
        }
        if (proc)
                closedir(proc);
        return found;
}

static pid_t wait_helper(pid_t agent, int timeout_ms)
{
        unsigned zombies = 0;

        for (int waited = 0;; waited += 50) {
                pid_t pid = find_child(agent, HELPER, &zombies);
                if (pid > 0)
                        return pid;
                KT_ASSERT(waited < timeout_ms, "no %s after %d ms", HELPER, timeout_ms);
                kt_sleep_ms(50);
        }
}

/* The agent's fds: all, and those of a names helper (its socket and pidfd). */
static unsigned count_fds(pid_t pid, unsigned *helper)
{
        char dir[64], link[320], target[128];
        unsigned all = 0;
        struct dirent *d;

        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int) pid);
        DIR *fds = opendir(dir);
        KT_ASSERT(fds, "opendir %s: %m", dir);
        *helper = 0;
        while ((d = readdir(fds))) {
                if (d->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                all++;
                *helper += strncmp(target, "socket:", 7) == 0 ||
                           strcmp(target, "anon_inode:[pidfd]") == 0;
        }
        closedir(fds);
        return all;
}

/* In a child: kills every helper of agent as soon as it shows, for ms; exits with the count. */
static pid_t start_helper_killer(pid_t agent, unsigned ms)
{
        pid_t pid = fork();

        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid > 0)
                return pid;
        unsigned kills = 0, zombies = 0;
        for (uint64_t end = kt_now_usec() + ms * 1000ull; kt_now_usec() < end;) {
                pid_t helper = find_child(agent, HELPER, &zombies);
                if (helper > 0 && kill(helper, SIGKILL) == 0)
                        kills++;
                kt_sleep_ms(20);
        }
        _exit(kills > 255 ? 255 : (int) kills);
}

/*
 * The names helper SIGKILLed as soon as it shows, for 8 s: the agent kills a
 * runaway on time meanwhile, restarts the helper with its back-off, leaks no
 * fd and leaves no zombie.
 */
void case_fault_names_helper_killed(void)
{
        int cg = kt_cgroup_new("fault-names");
        struct kt_agent a;
        char name[128];
        unsigned helper_before, helper_after, zombies = 0;

        kt_delegate(cg);
        pid_t mute = kt_mute_socket(MUTE_SOCK);
        kt_agent_start_ready(&a, "fault_names_helper_killed",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-names/*"), "--set",
                                                   "runtimes.docker_socket=" MUTE_SOCK, NULL});
        for (unsigned i = 1; i <= 5; i++) {
                snprintf(name, sizeof(name), "docker-%064x.scope", i);
                close(kt_cgroup_child(cg, name)); /* lookups the helper holds, hanging */
        }
        int hog = kt_agent_limited_child(cg, "hog", MAX_256M, &a);
        wait_helper(a.pid, 5000);
        unsigned fds_before = count_fds(a.pid, &helper_before);

        pid_t killer = start_helper_killer(a.pid, 8000);
        kt_sleep_ms(500);
        runaway_in(&a, hog, "hog");
        int status;
        KT_ASSERT(waitpid(killer, &status, 0) == killer && WIFEXITED(status), "the killer");
        unsigned kills = (unsigned) WEXITSTATUS(status);
        kt_log("%u helpers killed in 8 s", kills);
        KT_ASSERT(kills >= 3, "only %u helpers killed: not restarted with its back-off", kills);
        assert_alive(&a, "while its helper was killed");

        pid_t helper = wait_helper(a.pid, 20000);
        kt_sleep_ms(1000);
        KT_ASSERT(kill(helper, 0) == 0, "the restarted helper died");
        KT_ASSERT(find_child(a.pid, HELPER, &zombies) == helper && zombies == 0,
                  "%u zombie helpers", zombies);
        unsigned fds_after = count_fds(a.pid, &helper_after);
        kt_log("agent fds %u before, %u after; helper fds %u, %u", fds_before, fds_after,
               helper_before, helper_after);
        KT_ASSERT(helper_after == helper_before, "helper fds %u, then %u", helper_before,
                  helper_after);
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);
        close(hog);
        kill(mute, SIGKILL);
        waitpid(mute, NULL, 0);
}

/* ---- cgroupfs ---- */

#define RO_ROOT "/tmp/kt-rocg"

/*
 * cgroupfs read-only for the agent (a unit's ProtectSystem= without
 * ReadWritePaths=/sys/fs/cgroup, a container's read-only /sys/fs/cgroup): the
 * band and the kill fail with EROFS, each said once, the kernel OOM-kills the
 * runaway. Once cgroupfs is writable again the band comes back without a
 * restart and the next runaway is killed by cgmem.
 */
void case_fault_cgroupfs_read_only(void)
{
        int cg = kt_cgroup_new("fault-rocg");
        struct kt_agent a;
        char path[256];

        kt_delegate(cg);
        private_mounts();
        make_dir(RO_ROOT);
        KT_ASSERT(mount("/sys/fs/cgroup", RO_ROOT, NULL, MS_BIND, NULL) == 0, "bind: %m");
        KT_ASSERT(mount(NULL, RO_ROOT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0,
                  "remount read-only: %m");
        kt_agent_start_ready(&a, "fault_cgroupfs_read_only",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-rocg/*"), "--root",
                                                   RO_ROOT, NULL});
        int hog = kt_cgroup_child(cg, "hog");
        kt_agent_cgroup("hog", path, sizeof(path));
        kt_agent_expect(&a, "container_seen", path, 5000);
        kt_write(hog, "memory.swap.max", "0");
        kt_write(hog, "memory.max", MAX_256M);
        json_t *failed = kt_agent_expect(&a, "action_failed", path, 5000);
        KT_ASSERT(kt_json_int(failed, "errno") == EROFS &&
                          strcmp(kt_json_str(failed, "error"), strerror(EROFS)) == 0,
                  "action_failed errno %lld", (long long) kt_json_int(failed, "errno"));

        pid_t pid = kt_spawn_in(hog, (char *[]){"memhog", "--total", "1024", NULL});
        json_t *kill_failed = kt_agent_expect(&a, "kill_failed", path, 20000);
        KT_ASSERT(kt_json_int(kill_failed, "errno") == EROFS, "kill_failed errno %lld",
                  (long long) kt_json_int(kill_failed, "errno"));
        if (count_type(a.events, "oom_kill", path) == 0)
                kt_agent_expect(&a, "oom_kill", path, 20000);
        KT_ASSERT(kt_wait(pid, 10000) != -1, "the kernel did not OOM-kill the runaway");
        while (kt_agent_next(&a, 500))
                ;
        KT_ASSERT(count_type(a.events, "kill_failed", path) == 1, "%u kill_failed events",
                  count_type(a.events, "kill_failed", path));
        assert_alive(&a, "on a read-only cgroupfs");

        KT_ASSERT(mount(NULL, RO_ROOT, NULL, MS_REMOUNT | MS_BIND, NULL) == 0, "remount rw: %m");
        uint64_t t0 = kt_now_usec();
        kt_agent_expect(&a, "guard", path, 30000);
        kt_log("the band came back %llu ms after the remount",
               (unsigned long long) (kt_now_usec() - t0) / 1000);
        runaway_in(&a, hog, "hog");
        kt_agent_stop(&a);
        close(hog);
}

/*
 * cgroup.kill refused while memory.high works (a read-only bind over that one
 * file, as a security module refusing the write would): the runaway crawls in
 * its band, the kill fails with a clear kill_failed, once; once the fault
 * passes the next verdict kills it, before the kernel.
 */
void case_fault_cgroup_kill_refused(void)
{
        int cg = kt_cgroup_new("fault-kill");
        struct kt_agent a;
        char path[256], kill_file[512];

        kt_delegate(cg);
        private_mounts();
        kt_agent_start_ready(&a, "fault_cgroup_kill_refused",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-kill/*"), NULL});
        int hog = kt_agent_limited_child(cg, "hog", MAX_256M, &a);
        kt_agent_cgroup("hog", path, sizeof(path));
        snprintf(kill_file, sizeof(kill_file), "%s/hog/cgroup.kill", kt_cgroup_base());
        bind_read_only(kill_file);

        pid_t pid = kt_spawn_in(hog, (char *[]){"memhog", "--total", "1024", NULL});
        json_t *failed = kt_agent_expect(&a, "kill_failed", path, 20000);
        KT_ASSERT(kt_json_int(failed, "errno") == EROFS &&
                          strcmp(kt_json_str(failed, "error"), strerror(EROFS)) == 0,
                  "kill_failed errno %lld", (long long) kt_json_int(failed, "errno"));
        KT_ASSERT(umount2(kill_file, 0) == 0, "umount: %m");

        json_t *killed = kt_agent_expect(&a, "kill", path, 10000);
        kt_log("killed once cgroup.kill was writable again (%s)", kt_json_str(killed, "reason"));
        kt_assert_emptied(hog, 2000);
        KT_ASSERT(kt_wait(pid, 5000) != -1, "the runaway survived");
        KT_ASSERT(kt_read_key(hog, "memory.events", "oom_kill") == 0,
                  "the kernel OOM-killed the runaway first");
        KT_ASSERT(count_type(a.events, "kill_failed", path) == 1, "%u kill_failed events",
                  count_type(a.events, "kill_failed", path));
        kt_agent_stop(&a);
        close(hog);
}

#define RACE_ROUNDS 80

/*
 * In a child: r0, r1... created, given a limit and removed 0 to 18 ms later,
 * about when the band is written. No assertion there (it would run the case's exit handlers): a
 * failure is the exit status, the round's number.
 */
static pid_t start_racer(int cg)
{
        char name[32];
        pid_t pid = fork();

        KT_ASSERT(pid >= 0, "fork: %m");
        if (pid > 0)
                return pid;
        for (unsigned i = 0; i < RACE_ROUNDS; i++) {
                snprintf(name, sizeof(name), "r%u", i);
                int fd = mkdirat(cg, name, 0755) < 0 ? -errno : cg_open_dir(cg, name);
                if (fd < 0 || cg_write_at(fd, "memory.max", MAX_256M) < 0)
                        _exit(1 + (int) i);
                close(fd);
                /* A cgroup found with its limit already written gets its band at once: within
                 * the few ms inotify and the sampling take. */
                kt_sleep_ms((i % 10) * 2);
                int r;
                while ((r = unlinkat(cg, name, AT_REMOVEDIR)) < 0 && errno == EBUSY)
                        kt_sleep_ms(5);
                if (r < 0)
                        _exit(1 + (int) i);
        }
        _exit(0);
}

/*
 * Cgroups removed around the moment their band is written: no error reported
 * for a cgroup gone, every one seen is reported gone, and a runaway next to
 * them is killed on time.
 */
void case_fault_cgroup_removed_mid_write(void)
{
        int cg = kt_cgroup_new("fault-race");
        struct kt_agent a;
        char path[256];
        unsigned guarded = 0, seen_any = 0;

        kt_delegate(cg);
        kt_agent_start_ready(&a, "fault_cgroup_removed_mid_write",
                             (const char *const[]){AGENT_ARGS("cgmem-ktest/fault-race/*"), NULL});
        grow_stdout(&a);
        int hog = kt_agent_limited_child(cg, "hog", MAX_256M, &a);
        pid_t racer = start_racer(cg);
        runaway_in(&a, hog, "hog");
        int status;
        KT_ASSERT(waitpid(racer, &status, 0) == racer && WIFEXITED(status) &&
                          WEXITSTATUS(status) == 0,
                  "the racer failed (0x%x)", status);
        /* Removals are noticed in order: once "last" is gone, so are the racer's. */
        mark(&a, cg, "last");
        KT_ASSERT(unlinkat(cg, "last", AT_REMOVEDIR) == 0, "rmdir last: %m");
        kt_agent_cgroup("last", path, sizeof(path));
        kt_agent_expect(&a, "container_gone", path, 5000);
        kt_agent_stop(&a);
        kt_agent_assert_contiguous(&a);

        for (unsigned i = 0; i < RACE_ROUNDS; i++) {
                char name[32];
                snprintf(name, sizeof(name), "r%u", i);
                kt_agent_cgroup(name, path, sizeof(path));
                unsigned seen = count_type(a.events, "container_seen", path);
                KT_ASSERT(seen == count_type(a.events, "container_gone", path),
                          "%s seen %u times, gone %u", name, seen,
                          count_type(a.events, "container_gone", path));
                KT_ASSERT(count_type(a.events, "action_failed", path) == 0,
                          "an action_failed for %s, removed", name);
                guarded += count_type(a.events, "guard", path);
                seen_any += seen > 0;
        }
        kt_log("%u of %u seen, %u banded before their removal", seen_any, RACE_ROUNDS, guarded);
        KT_ASSERT(guarded > 0 && guarded < RACE_ROUNDS,
                  "the removals did not straddle the band's write: the case tested nothing");
        close(hog);
}
