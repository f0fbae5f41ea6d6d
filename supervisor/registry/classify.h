/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Which memory cgroups are containers: the ones cgmem reports on by default
 * and, later, enforces on. Pure: decided from the path alone.
 */

struct classify_rules {
        char *const *globs; /* NULL-terminated extra globs, fnmatch(3) with FNM_PATHNAME */
        int all;            /* every memory cgroup is a container */
};

/*
 * path is relative to the cgroup root without a leading slash; is_leaf says the
 * cgroup does not pass memory on to children. By default a container is:
 *   - a leaf under docker/ (Docker's cgroupfs driver),
 *   - a leaf under kubepods/ or kubepods.slice/ (the container cgroups of pods),
 *   - a direct child of system.slice named *.scope or *.service (Docker's and
 *     containerd's systemd driver scopes, and plain services),
 *   - a leaf under machine.slice/ (podman, systemd-nspawn, libvirt),
 *   - a leaf libpod-*.scope anywhere (rootless podman under user.slice),
 * but never the scopes of the runtimes' monitors (crio-conmon-*, libpod-conmon-*),
 *   - anything matching one of the extra globs.
 */
int classify_is_container(const char *path, int is_leaf, const struct classify_rules *rules);
