/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "classify.h"

#include <fnmatch.h>
#include <string.h>

#include "cri/identity.h"

static int has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *last_component(const char *path)
{
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

static int is_system_unit(const char *path)
{
        if (!has_prefix(path, "system.slice/"))
                return 0;
        const char *unit = path + strlen("system.slice/");
        return !strchr(unit, '/') && (has_suffix(unit, ".scope") || has_suffix(unit, ".service"));
}

/* The runtimes' monitor processes (conmon) get scopes of their own: identity tells them. */
static int is_monitor(const char *path)
{
        struct container_identity id;
        return identity_from_path(path, &id) >= 0 && id.monitor;
}

/* podman's cgroupfs manager (no systemd): libpod_parent/libpod-<id>; conmon is not one. */
static int is_podman_cgroupfs(const char *path)
{
        struct container_identity id;
        return has_prefix(path, "libpod_parent/") && identity_from_path(path, &id) >= 0 &&
               id.runtime == RUNTIME_PODMAN && !id.monitor;
}

static int is_runtime_leaf(const char *path)
{
        static const char *const prefixes[] = {"docker/", "kubepods/", "kubepods.slice/",
                                               "machine.slice/"};

        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
                if (has_prefix(path, prefixes[i]))
                        return 1;
        const char *name = last_component(path);
        return (has_prefix(name, "libpod-") && has_suffix(name, ".scope")) ||
               is_podman_cgroupfs(path);
}

static int matches_glob(const char *path, char *const *globs)
{
        for (; globs && *globs; globs++)
                if (fnmatch(*globs, path, FNM_PATHNAME) == 0)
                        return 1;
        return 0;
}

int classify_is_container(const char *path, int is_leaf, const struct classify_rules *rules)
{
        if (rules->all || matches_glob(path, rules->globs))
                return 1;
        if (is_system_unit(path))
                return 1;
        return is_leaf && is_runtime_leaf(path) && !is_monitor(path);
}
