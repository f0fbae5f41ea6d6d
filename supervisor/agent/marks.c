/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "marks.h"

#include <fnmatch.h>
#include <string.h>

#include "base/xattrs.h"
#include "names/names.h"

/* namespace=mark; the words were checked when the configuration was read. */
static enum policy_mark namespace_mark(const struct marks *m, const char *ns)
{
        size_t n = ns ? strlen(ns) : 0;

        for (char *const *e = m->namespace_marks; n && e && *e; e++)
                if (strncmp(*e, ns, n) == 0 && (*e)[n] == '=')
                        return policy_mark_from_string(*e + n + 1);
        return MARK_NONE;
}

/* What the runtime says: the container's (or its pod's) label, else its namespace's default. */
static enum policy_mark runtime_mark(const struct marks *m, struct names *names,
                                     const struct cgroup *cg)
{
        const struct container_meta *meta = names ? names_get(names, cg->identity.id) : NULL;

        if (!meta)
                return MARK_NONE;
        enum policy_mark mark = policy_mark_from_string(container_meta_label(meta, LABEL_POLICY));
        return mark != MARK_NONE ? mark : namespace_mark(m, meta->pod_namespace);
}

static bool protected_by_config(const struct marks *m, const char *path)
{
        const char *self = m->self_cgroup ? m->self_cgroup : "";

        if (!path[0] || strcmp(path, self) == 0)
                return true;
        /* The agent's own cgroup and everything above it hold the agent. */
        size_t n = strlen(path);
        if (strncmp(self, path, n) == 0 && self[n] == '/')
                return true;
        for (char *const *g = m->protect_globs; g && *g; g++)
                if (fnmatch(*g, path, FNM_PATHNAME) == 0)
                        return true;
        return false;
}

enum policy_mark marks_of(const struct marks *m, const struct actuator *act, struct names *names,
                          struct cgroup *cg)
{
        if (protected_by_config(m, cgroup_rel_path(cg)))
                return MARK_PROTECT;
        enum policy_mark mark = act->read_mark(act->userdata, cg);
        return mark != MARK_NONE ? mark : runtime_mark(m, names, cg);
}
