/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The agent's own cgroup, as a path below the root it supervises, so that it
 * never throttles or kills itself.
 *
 * /proc/self/cgroup shows the path relative to the reader's cgroup namespace
 * (Documentation/admin-guide/cgroup-v2.rst, "Namespace"): in a container with
 * a private cgroup namespace, as Docker and containerd give on cgroup v2, it
 * reads "0::/" while the host's hierarchy mounted at /sys/fs/cgroup (a DaemonSet's
 * hostPath) has the agent at /kubepods.slice/.../cri-containerd-<id>.scope. The
 * namespaced path is tried first; when it does not hold the agent, the tree is
 * searched for the cgroup whose cgroup.procs lists the agent's pid. The kernel
 * prints the pids of cgroup.procs as the reader's pid namespace numbers them (and
 * 0 for a process outside it), so getpid() is the number to look for, in a pid
 * namespace or not.
 */

#include <stddef.h>
#include <sys/types.h>

/*
 * The path of the cgroup v2 line ("0::/a/b") of a /proc/PID/cgroup text, without
 * its leading slash ("a/b"; "" for the namespace's root). A path outside the
 * namespace ("/../x", when the process was moved above its namespace root) is
 * "": it says nothing. -ENOENT without a v2 line, -EINVAL for a path the kernel
 * would not print ("//", "a/./b", a trailing slash), -ENAMETOOLONG if it does not fit.
 */
int self_cgroup_parse(const char *text, size_t len, char *ret, size_t size);

/* 1 if a cgroup.procs text lists pid, 0 if not, -EINVAL for a line that is no pid. */
int procs_list_pid(const char *text, size_t len, pid_t pid);

/*
 * The cgroup below rootfd that holds pid, relative ("" for the root itself):
 * ns_path (from self_cgroup_parse) if it does, else the first cgroup of the tree
 * whose path ends in ns_path and whose cgroup.procs lists pid. -ESRCH if none
 * does (the root cgmem supervises does not contain the agent).
 */
int self_cgroup_find(int rootfd, const char *ns_path, pid_t pid, char *ret, size_t size);
