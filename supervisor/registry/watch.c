/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/list.h"

int watch_table_init(struct watch_table *t)
{
        *t = (struct watch_table){0};
        t->by_path = hashmap_new_string();
        t->by_wd = hashmap_new_int();
        t->by_id = hashmap_new_string();
        if (!t->by_path || !t->by_wd || !t->by_id) {
                watch_table_done(t);
                return -ENOMEM;
        }
        return 0;
}

void watch_table_done(struct watch_table *t)
{
        while (t->head)
                watch_table_remove(t, t->head);
        hashmap_free(t->by_path);
        hashmap_free(t->by_wd);
        hashmap_free(t->by_id);
        read_buf_free(&t->buf);
        *t = (struct watch_table){0};
}

struct watch *watch_table_add(struct watch_table *t, const char *path, int dirfd)
{
        struct watch *w = calloc(1, sizeof(*w));
        if (!w || !(w->path = strdup(path))) {
                free(w);
                errno = ENOMEM;
                return NULL;
        }
        int r = hashmap_put_string(t->by_path, w->path, w);
        if (r < 0) {
                free(w->path);
                free(w);
                errno = -r;
                return NULL;
        }
        w->dirfd = dirfd;
        w->wd = -1;
        w->psi_fd = -1;
        w->high_written_bytes = HIGH_WRITTEN_NONE;
        memcg_reader_init(&w->reader);
        memcg_reader_share_buf(&w->reader, &t->buf);
        LIST_APPEND(t->head, t->tail, w);
        return w;
}

void watch_table_remove(struct watch_table *t, struct watch *w)
{
        if (w->wd >= 0)
                hashmap_remove_int(t->by_wd, w->wd);
        hashmap_remove_string(t->by_path, w->path);
        if (w->identity.id[0] && hashmap_get_string(t->by_id, w->identity.id) == w)
                hashmap_remove_string(t->by_id, w->identity.id);
        LIST_REMOVE_TAIL(t->head, t->tail, w);
        if (w->is_container)
                t->n_containers--;
        sd_event_source_disable_unref(w->recheck_source);
        if (w->psi_source) {
                sd_event_source_disable_unref(w->psi_source);
                t->n_triggers--;
        }
        if (w->psi_fd >= 0)
                close(w->psi_fd);
        memcg_reader_close(&w->reader);
        close(w->dirfd);
        free(w->path);
        free(w);
}

struct watch *watch_table_by_path(const struct watch_table *t, const char *path)
{
        return hashmap_get_string(t->by_path, path);
}

struct watch *watch_table_by_wd(const struct watch_table *t, int wd)
{
        return hashmap_get_int(t->by_wd, wd);
}

struct watch *watch_table_by_id(const struct watch_table *t, const char *id)
{
        return hashmap_get_string(t->by_id, id);
}

int watch_table_index_id(struct watch_table *t, struct watch *w)
{
        if (!w->identity.id[0] || w->identity.monitor)
                return 0;
        int r = hashmap_put_string(t->by_id, w->identity.id, w);
        return r == -EEXIST ? 0 : r;
}

int watch_table_set_wd(struct watch_table *t, struct watch *w, int wd)
{
        /* inotify returns the same wd for an inode watched twice (a re-added path). */
        struct watch *other = hashmap_get_int(t->by_wd, wd);
        if (other && other != w)
                return -EEXIST;
        if (!other) {
                int r = hashmap_put_int(t->by_wd, wd, w);
                if (r < 0)
                        return r;
        }
        w->wd = wd;
        return 0;
}

const char *watch_display_path(const struct watch *w, char *buf, size_t size)
{
        snprintf(buf, size, "/%s", w->path);
        return buf;
}
