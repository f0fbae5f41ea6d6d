/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/array.h"
#include "base/json-util.h"
#include "base/log.h"
#include "cgroupfs/macro.h"
#include "events.h"

#define RECORD_PROCESSES 32
#define KiB              UINT64_C(1024)
#define USEC_PER_DS      UINT64_C(100000)

static const char *const trajectory_columns[] = {
        "ago_usec",     "current_bytes", "anon_bytes",     "file_bytes",     "shmem_bytes",
        "kernel_bytes", "swap_bytes",    "psi_some_avg10", "psi_full_avg10", "high",
        "max",          "oom",           "oom_kill",
};

/* mkdir -p: the default /var/lib/cgmem may not exist yet on a fresh install. */
static int make_directory(const char *dir)
{
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s", dir);

        if (n <= 0 || (size_t) n >= sizeof(path))
                return -ENAMETOOLONG;
        for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *slash = '/';
        }
        return mkdir(path, 0750) < 0 && errno != EEXIST ? -errno : 0;
}

int kill_records_open(struct kill_records *kr, const char *dir, unsigned keep)
{
        *kr = (struct kill_records){.dirfd = -1, .keep = keep};
        if (!dir || !dir[0])
                return 0;
        int r = make_directory(dir);
        if (r < 0)
                return r;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        kr->dir = strdup(dir);
        if (!kr->dir) {
                close(fd);
                return -ENOMEM;
        }
        kr->dirfd = fd;
        return 0;
}

void kill_records_close(struct kill_records *kr)
{
        if (kr->dirfd >= 0)
                close(kr->dirfd);
        free(kr->dir);
        *kr = (struct kill_records){.dirfd = -1};
}

bool kill_records_path(const struct kill_records *kr, uint64_t seq, uint64_t realtime_usec,
                       char *buf, size_t size)
{
        time_t t = (time_t) (realtime_usec / 1000000);
        struct tm tm;
        char stamp[32];

        if (!kr->dir || !gmtime_r(&t, &tm) ||
            strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
                return false;
        int n = snprintf(buf, size, "%s/%s-%llu.json", kr->dir, stamp, (unsigned long long) seq);
        return n > 0 && (size_t) n < size;
}

static json_t *row_json(const struct recorder *rec, const struct recorder_point *p, uint64_t now)
{
        uint64_t at = rec->epoch_usec + p->t_ds * USEC_PER_DS;
        uint64_t values[] = {
                now > at ? now - at : 0,       (uint64_t) p->current_kib * KiB,
                (uint64_t) p->anon_kib * KiB,  (uint64_t) p->file_kib * KiB,
                (uint64_t) p->shmem_kib * KiB, (uint64_t) p->kernel_kib * KiB,
                (uint64_t) p->swap_kib * KiB,
        };
        json_t *row = json_array();

        for (size_t i = 0; row && i < ELEMENTSOF(values); i++)
                json_array_append_new(row, json_u64(values[i]));
        json_array_append_new(row, json_real(p->some_avg10 / 100.0));
        json_array_append_new(row, json_real(p->full_avg10 / 100.0));
        json_array_append_new(row, json_u64(p->high));
        json_array_append_new(row, json_u64(p->max));
        json_array_append_new(row, json_u64(p->oom));
        json_array_append_new(row, json_u64(p->oom_kill));
        return row;
}

static json_t *trajectory_json(const struct recorder *rec, const struct memcg_sample *s,
                               uint64_t now)
{
        struct recorder_point p[RECORDER_FINE + RECORDER_COARSE + 1];
        size_t n = recorder_points(rec, p, ELEMENTSOF(p) - 1);
        json_t *columns = json_array(), *rows = json_array();

        p[n++] = recorder_point_of(rec, s, now);
        for (size_t i = 0; columns && i < ELEMENTSOF(trajectory_columns); i++)
                json_array_append_new(columns, json_string(trajectory_columns[i]));
        for (size_t i = 0; rows && i < n; i++)
                json_array_append_new(rows, row_json(rec, &p[i], now));
        return JSON_OBJECT({"columns", columns}, {"rows", rows});
}

/* The record's text: the event line spliced in as it was emitted. */
static char *record_text(const char *event_line, json_t *trajectory, json_t *processes)
{
        _cleanup_free_ char *t = json_dumps(trajectory, JSON_COMPACT);
        _cleanup_free_ char *p = json_dumps(processes, JSON_COMPACT);
        char *text = NULL;

        if (!t || !p ||
            asprintf(&text, "{\"schema\":2,\"event\":%s,\"trajectory\":%s,\"processes\":%s}\n",
                     event_line, t, p) < 0)
                return NULL;
        return text;
}

static int write_atomically(int dirfd, const char *name, const char *text)
{
        char tmp[300];
        size_t len = strlen(text);

        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, text, len);
        int r = n == (ssize_t) len ? 0 : n < 0 ? -errno : -ENOSPC;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Removes the oldest records (names sort by time) beyond keep. */
static void prune(struct kill_records *kr)
{
        _cleanup_(closedirp) DIR *d = fdopendir(dup(kr->dirfd));
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;

        if (!d)
                return;
        rewinddir(d); /* the dup shares its offset with the last listing's */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                if (!GREEDY_REALLOC(names, cap, n + 1))
                        break;
                names[n] = strdup(de->d_name);
                if (names[n])
                        n++;
        }
        qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                if (i + kr->keep < n)
                        unlinkat(kr->dirfd, names[i], 0);
                free(names[i]);
        }
        free(names);
}

int kill_records_write(struct kill_records *kr, const char *path, const char *event_line,
                       const struct recorder *rec, const struct memcg_sample *now_sample,
                       uint64_t now_usec, const struct procs_snapshot *procs,
                       uint64_t procs_age_usec)
{
        const char *name = strrchr(path, '/');
        json_t *trajectory = trajectory_json(rec, now_sample, now_usec);
        json_t *processes = event_processes_json(procs, procs_age_usec, RECORD_PROCESSES);
        _cleanup_free_ char *text =
                event_line ? record_text(event_line, trajectory, processes) : NULL;
        int r = text ? write_atomically(kr->dirfd, name ? name + 1 : path, text) : -ENOMEM;

        json_decref(trajectory);
        json_decref(processes);
        if (r < 0 && !kr->warned) {
                log_warning("cannot write %s: %s; kills are told without their record file", path,
                            strerror(-r));
                kr->warned = true;
        }
        if (r >= 0)
                prune(kr);
        return r;
}
