/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A container's mark (prefer, avoid, protect: policy_mark), from whoever has a
 * say, the operator's word first: the configuration ([enforce] protect, and the
 * agent's own cgroup), the user.cgmem.policy xattr on the cgroup, the
 * io.cgmem.policy label on the container or its pod, the namespace's default
 * ([enforce] namespaces).
 */

#include "actuator.h"
#include "policy/policy.h"
#include "registry/registry.h"

struct names;

struct marks {
        char *const *protect_globs;   /* on the path below the root, fnmatch FNM_PATHNAME */
        char *const *namespace_marks; /* "namespace=mark" */
        const char *self_cgroup;      /* the agent's own, "a/b"; it and its parents are protected */
};

enum policy_mark marks_of(const struct marks *m, const struct actuator *act, struct names *names,
                          struct cgroup *cg);
