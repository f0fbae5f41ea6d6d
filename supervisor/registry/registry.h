/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The registry: one entry per memory cgroup of the tree, the same for the agent,
 * cgmem ps and cgmem top. An entry is found by path, by inotify watch descriptor
 * and by container id; it holds the cgroup's identity (from its path), its open
 * memory.* files and its latest sample, and the user's own state (ext).
 *
 * A scan walks the tree: it adds the cgroups it has not seen, calls visit for
 * every one in walk order (parents before children), and removes those that went
 * away. The agent keeps each cgroup's directory open (keep_dirfds) to watch it;
 * the views sample during the walk and keep only the files.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cgroupfs/sample.h"
#include "cri/identity.h"
#include "registry/classify.h"

struct cgroup {
        struct cgroup *prev, *next; /* walk order, as of the last scan */
        char *path;     /* "/a/b" below the root, as the kernel and events show it; "/": the root */
        unsigned depth; /* 0 for the root, 1 for its children */
        bool delegates_memory; /* memory in cgroup.subtree_control: not a leaf */
        bool is_container;
        struct container_identity identity; /* from the path alone */
        int dirfd;                          /* -1 unless the registry keeps directories */
        int wd;                             /* inotify watch descriptor, -1 if none */
        int subtree_wd; /* a watch on its cgroup.subtree_control alone, -1 if none */
        struct memcg_reader reader;
        bool holds_files;           /* reader has files open */
        struct memcg_sample sample; /* the latest successful sample */
        bool sampled;
        unsigned generation; /* the scan that last saw it */
        void *ext;           /* the user's state, released by registry.ext_free */
};

struct registry {
        struct cgroup *head, *tail;
        struct hashmap *by_path, *by_wd, *by_id;
        size_t n, n_containers;
        unsigned generation;
        struct classify_rules rules;
        bool keep_dirfds;    /* each cgroup's directory stays open (the agent) */
        bool keep_readers;   /* each cgroup's files stay open, while file descriptors last */
        size_t n_holding;    /* entries whose files are open */
        size_t max_holding;  /* from RLIMIT_NOFILE */
        struct read_buf buf; /* one read buffer for every reader */
        void (*ext_free)(struct cgroup *cg);
};

int registry_init(struct registry *r, const struct classify_rules *rules, bool keep_dirfds);
void registry_done(struct registry *r);

/*
 * Adds path ("a/b", relative to the root; "" for the root itself), taking dirfd,
 * which may be -1; NULL with errno set, EEXIST if known. Classifies it and, for a
 * container, reads its identity and indexes its id.
 */
struct cgroup *registry_add(struct registry *r, const char *path, unsigned depth,
                            bool delegates_memory, int dirfd);
void registry_remove(struct registry *r, struct cgroup *cg);

/* By "/a/b" ("/": the root). */
struct cgroup *registry_by_path(const struct registry *r, const char *path);
struct cgroup *registry_by_wd(const struct registry *r, int wd);
/* The first container found with that id (its runtime names it by id). */
struct cgroup *registry_by_id(const struct registry *r, const char *id);
int registry_set_wd(struct registry *r, struct cgroup *cg, int wd);
int registry_set_subtree_wd(struct registry *r, struct cgroup *cg, int wd);

/*
 * Re-reads the files in mask (MEMCG_FILE_BIT()s) of cg, whose directory is dirfd
 * (cg->dirfd, or the walk's), into cg->sample. Keeps the files open while the
 * registry may; out of file descriptors all the same, it falls back to opening
 * and closing them each time for good (slower, never wrong). Returns as
 * memcg_sample_update().
 */
int registry_sample(struct registry *r, struct cgroup *cg, int dirfd, unsigned mask,
                    const char **ret_file);

struct registry_scan_ops {
        /* Called for every cgroup of the walk, new ones first added; < 0 stops the scan. */
        int (*visit)(struct registry *r, struct cgroup *cg, int dirfd, bool added, void *userdata);
        /* Called for a cgroup the walk no longer found, before it is removed. */
        void (*gone)(struct registry *r, struct cgroup *cg, void *userdata);
};

/* Walks the tree under rootfd (the root itself is never an entry of a scan). */
int registry_scan(struct registry *r, int rootfd, const struct registry_scan_ops *ops,
                  void *userdata);

/* The path relative to the root, without the leading slash: "a/b", "" for the root. */
static inline const char *cgroup_rel_path(const struct cgroup *cg)
{
        return cg->path + 1;
}
