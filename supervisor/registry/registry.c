/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/list.h"
#include "cgroupfs/macro.h"
#include "cgroupfs/walk.h"

/*
 * Entries keep their files open while that leaves file descriptors for the
 * walk (a directory per level) and the rest: an entry may hold one per memory.*
 * file, and the agent a directory besides.
 */
static size_t holding_budget(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return SIZE_MAX;
        if (rl.rlim_cur < 256)
                return 0;
        return (size_t) (rl.rlim_cur - 128) / (_MEMCG_FILE_COUNT + 1);
}

int registry_init(struct registry *r, const struct classify_rules *rules, bool keep_dirfds)
{
        *r = (struct registry){
                .rules = *rules,
                .keep_dirfds = keep_dirfds,
                .keep_readers = true,
                .max_holding = holding_budget(),
        };
        r->by_path = hashmap_new_string();
        r->by_wd = hashmap_new_int();
        r->by_id = hashmap_new_string();
        if (!r->by_path || !r->by_wd || !r->by_id) {
                registry_done(r);
                return -ENOMEM;
        }
        return 0;
}

void registry_done(struct registry *r)
{
        while (r->head)
                registry_remove(r, r->head);
        hashmap_free(r->by_path);
        hashmap_free(r->by_wd);
        hashmap_free(r->by_id);
        read_buf_free(&r->buf);
        *r = (struct registry){0};
}

static bool is_container(const struct registry *r, const char *path, bool delegates_memory)
{
        return path[0] && classify_is_container(path, !delegates_memory, &r->rules);
}

struct cgroup *registry_add(struct registry *r, const char *path, unsigned depth,
                            bool delegates_memory, int dirfd)
{
        struct cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg || asprintf(&cg->path, "/%s", path) < 0) {
                free(cg);
                errno = ENOMEM;
                return NULL;
        }
        int e = hashmap_put_string(r->by_path, cg->path, cg);
        if (e < 0) {
                free(cg->path);
                free(cg);
                errno = -e;
                return NULL;
        }
        cg->depth = depth;
        cg->delegates_memory = delegates_memory;
        cg->dirfd = dirfd;
        cg->wd = cg->subtree_wd = -1;
        memcg_reader_init(&cg->reader);
        memcg_reader_share_buf(&cg->reader, &r->buf);
        cg->is_container = is_container(r, path, delegates_memory);
        identity_from_path(path, &cg->identity);
        if (cg->is_container) {
                if (cg->identity.id[0] && !hashmap_get_string(r->by_id, cg->identity.id))
                        hashmap_put_string(r->by_id, cg->identity.id, cg);
                r->n_containers++;
        }
        LIST_APPEND(r->head, r->tail, cg);
        r->n++;
        return cg;
}

void registry_remove(struct registry *r, struct cgroup *cg)
{
        if (cg->wd >= 0)
                hashmap_remove_int(r->by_wd, cg->wd);
        if (cg->subtree_wd >= 0)
                hashmap_remove_int(r->by_wd, cg->subtree_wd);
        hashmap_remove_string(r->by_path, cg->path);
        if (cg->identity.id[0] && hashmap_get_string(r->by_id, cg->identity.id) == cg)
                hashmap_remove_string(r->by_id, cg->identity.id);
        LIST_REMOVE_TAIL(r->head, r->tail, cg);
        r->n--;
        if (cg->is_container)
                r->n_containers--;
        if (cg->ext && r->ext_free)
                r->ext_free(cg);
        if (cg->holds_files)
                r->n_holding--;
        memcg_reader_close(&cg->reader);
        if (cg->dirfd >= 0)
                close(cg->dirfd);
        free(cg->path);
        free(cg);
}

struct cgroup *registry_by_path(const struct registry *r, const char *path)
{
        return hashmap_get_string(r->by_path, path);
}

struct cgroup *registry_by_wd(const struct registry *r, int wd)
{
        return hashmap_get_int(r->by_wd, wd);
}

struct cgroup *registry_by_id(const struct registry *r, const char *id)
{
        return id && id[0] ? hashmap_get_string(r->by_id, id) : NULL;
}

/* wd indexed to cg and kept in *slot, one of cg's watch descriptors. */
static int index_wd(struct registry *r, struct cgroup *cg, int wd, int *slot)
{
        int e = hashmap_put_int(r->by_wd, wd, cg);
        if (e >= 0)
                *slot = wd;
        return e;
}

int registry_set_wd(struct registry *r, struct cgroup *cg, int wd)
{
        return index_wd(r, cg, wd, &cg->wd);
}

int registry_set_subtree_wd(struct registry *r, struct cgroup *cg, int wd)
{
        return index_wd(r, cg, wd, &cg->subtree_wd);
}

/* Out of file descriptors: from now on every entry opens and closes its files. */
static void stop_holding(struct registry *r, struct cgroup *cg)
{
        r->keep_readers = false;
        memcg_reader_close(&cg->reader);
        cg->holds_files = false;
        r->n_holding--;
}

int registry_sample(struct registry *r, struct cgroup *cg, int dirfd, unsigned mask,
                    const char **ret_file)
{
        if (!cg->holds_files && (!r->keep_readers || r->n_holding >= r->max_holding))
                return memcg_sample_update_once(dirfd, mask, &cg->sample, ret_file);
        if (!cg->holds_files) {
                cg->holds_files = true;
                r->n_holding++;
        }
        int e = memcg_sample_update(&cg->reader, dirfd, mask, &cg->sample, ret_file);
        if (e == -EMFILE || e == -ENFILE) {
                stop_holding(r, cg);
                e = memcg_sample_update_once(dirfd, mask, &cg->sample, ret_file);
        }
        return e;
}

struct scan {
        struct registry *r;
        const struct registry_scan_ops *ops;
        void *userdata;
        struct cgroup *head, *tail; /* the entries seen, in walk order */
};

static int scan_visit(const struct cg_walk_entry *e, void *userdata)
{
        struct scan *s = userdata;
        struct registry *r = s->r;
        char path[PATH_MAX + 2];

        snprintf(path, sizeof(path), "/%s", e->path);
        struct cgroup *cg = registry_by_path(r, path);
        bool added = !cg;

        if (added) {
                int fd = -1;
                if (r->keep_dirfds && (fd = fcntl(e->dirfd, F_DUPFD_CLOEXEC, 3)) < 0)
                        return -errno;
                cg = registry_add(r, e->path, e->depth, e->delegates_memory, fd);
                if (!cg) {
                        int saved = errno;
                        if (fd >= 0)
                                close(fd);
                        return -saved;
                }
        }
        cg->generation = r->generation;
        cg->depth = e->depth;
        cg->delegates_memory = e->delegates_memory;
        /* Re-threaded in walk order: the views draw trees from it. */
        LIST_REMOVE_TAIL(r->head, r->tail, cg);
        LIST_APPEND(s->head, s->tail, cg);
        return s->ops->visit ? s->ops->visit(r, cg, e->dirfd, added, s->userdata) : 0;
}

int registry_scan(struct registry *r, int rootfd, const struct registry_scan_ops *ops,
                  void *userdata)
{
        struct scan s = {.r = r, .ops = ops, .userdata = userdata};

        r->generation++;
        int e = cg_walk(rootfd, scan_visit, &s);
        /* What the walk did not see (and the root, never walked) stays in front. */
        if (s.head) {
                if (r->tail) {
                        r->tail->next = s.head;
                        s.head->prev = r->tail;
                } else {
                        r->head = s.head;
                }
                r->tail = s.tail;
        }
        /* Gone, or dropped by visit (generation 0); after a failed walk, nothing is gone. */
        for (struct cgroup *cg = r->head, *next; cg; cg = next) {
                next = cg->next;
                if (cg->path[1] && cg->generation != r->generation && (e >= 0 || !cg->generation)) {
                        if (ops->gone)
                                ops->gone(r, cg, userdata);
                        registry_remove(r, cg);
                }
        }
        return e < 0 ? e : 0;
}
