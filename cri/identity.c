/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container identity from the cgroup path. Every shape below is one that a
 * runtime or systemd creates; the file that creates it is cited where the shape
 * is recognised. Anything else is RUNTIME_UNKNOWN with empty fields: a wrong
 * name in an event is worse than the raw path.
 *
 * What the path cannot tell: the pod's sandbox ("pause") container is a
 * container of its pod like any other, named cri-containerd-<id>.scope or
 * crio-<id>.scope just the same. Telling it apart needs the runtime's API
 * (CRI ListPodSandbox); so does every name and label.
 */
#include "identity.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

/* A piece of the path: not NUL-terminated. */
struct span {
        const char *p;
        size_t n;
};

/* The last components of the path, the cgroup's own name first: enough for the
 * deepest shape, kubepods/<qos>/pod<uid>/<id>. */
#define TAIL_MAX 4
struct path_tail {
        struct span c[TAIL_MAX];
        size_t n;
};

enum verdict {
        NO_MATCH, /* not this shape: try the next */
        MATCHED,  /* filled in */
        REJECTED, /* a runtime's naming with a malformed id: unknown, stop */
};

static bool span_eq(struct span s, const char *lit)
{
        size_t m = strlen(lit);
        return s.n == m && memcmp(s.p, lit, m) == 0;
}

static bool span_starts(struct span s, const char *prefix)
{
        size_t m = strlen(prefix);
        return s.n >= m && memcmp(s.p, prefix, m) == 0;
}

static bool span_ends(struct span s, const char *suffix)
{
        size_t m = strlen(suffix);
        return s.n >= m && memcmp(s.p + s.n - m, suffix, m) == 0;
}

/* The part of s between prefix and suffix, when s has both without overlap. */
static bool span_between(struct span s, const char *prefix, const char *suffix, struct span *ret)
{
        size_t a = strlen(prefix), b = strlen(suffix);

        if (s.n < a + b || !span_starts(s, prefix) || !span_ends(s, suffix))
                return false;
        *ret = (struct span){s.p + a, s.n - a - b};
        return true;
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_lower_hex_span(struct span s)
{
        for (size_t i = 0; i < s.n; i++)
                if (!is_lower_hex(s.p[i]))
                        return false;
        return true;
}

/* Docker, containerd, CRI-O and podman all name containers by a random 256-bit
 * id written as 64 lowercase hex digits (moby's stringid, containerd's CRI
 * util.GenerateID, CRI-O's and podman's stringid). Anything else is not theirs. */
static bool is_container_id(struct span s)
{
        return s.n == CONTAINER_ID_LEN && is_lower_hex_span(s);
}

/* Callers have checked that s fits in size. */
static void copy_span(char *dst, size_t size, struct span s)
{
        if (s.n >= size)
                return;
        memcpy(dst, s.p, s.n);
        dst[s.n] = '\0';
}

/*
 * Splits off the last TAIL_MAX components. The whole path is checked: an empty
 * component ("a//b", "a/"), "." or ".." is not a path the kernel or the walk
 * gives, so it is no shape at all. The empty path (the root) has no components.
 */
static bool path_tail_split(const char *path, size_t len, struct path_tail *ret)
{
        struct path_tail t = {.n = 0};
        size_t end = len;

        while (end > 0) {
                size_t start = end;
                while (start > 0 && path[start - 1] != '/')
                        start--;
                struct span c = {path + start, end - start};
                if (c.n == 0 || span_eq(c, ".") || span_eq(c, ".."))
                        return false;
                if (t.n < TAIL_MAX)
                        t.c[t.n++] = c;
                if (start == 0)
                        break;
                end = start - 1;
                if (end == 0)
                        return false; /* a second leading slash */
        }
        *ret = t;
        return true;
}

/*
 * Pod UIDs as kubelet writes them into cgroup names (pkg/kubelet/cm
 * pod_container_manager_linux.go: "pod" + UID): the API server's UUIDs,
 * 8-4-4-4-12 lowercase hex, or for static pods the md5 of the manifest as 32
 * hex digits (pkg/kubelet/config/common.go applyDefaults). sep is the dash as
 * it appears: '-' under the cgroupfs driver, '_' under the systemd driver, which
 * escapes every '-' of a name component (cgroup_manager_linux.go
 * escapeSystemdCgroupName) because '-' is systemd's slice separator.
 */
static bool parse_pod_uid(struct span s, char sep, char ret[static POD_UID_MAX + 1])
{
        char uid[POD_UID_MAX + 1];

        if (s.n == 32 && is_lower_hex_span(s)) {
                copy_span(ret, POD_UID_MAX + 1, s);
                return true;
        }
        if (s.n != POD_UID_MAX)
                return false;
        for (size_t i = 0; i < s.n; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s.p[i] != sep : !is_lower_hex(s.p[i]))
                        return false;
                uid[i] = dash ? '-' : s.p[i];
        }
        uid[POD_UID_MAX] = '\0';
        memcpy(ret, uid, sizeof(uid));
        return true;
}

/* Kubelet's QoS cgroups are the lowercased class names (qos_container_manager_linux.go);
 * guaranteed pods have none and sit directly under kubepods. */
static enum pod_qos qos_from_name(struct span s)
{
        if (span_eq(s, "burstable"))
                return POD_QOS_BURSTABLE;
        if (span_eq(s, "besteffort"))
                return POD_QOS_BESTEFFORT;
        return POD_QOS_NONE;
}

enum kubepods_level {
        KUBEPODS_ROOT, /* kubepods itself: every class */
        KUBEPODS_QOS,  /* a QoS class's cgroup */
        KUBEPODS_POD,  /* a pod's cgroup */
};

struct kubepods_place {
        enum kubepods_level level;
        enum pod_qos qos;
        char pod_uid[POD_UID_MAX + 1];
};

/* Where the "kubepods" token of a systemd slice name ends: the token starts the
 * name, or follows the non-empty prefix kubelet's --cgroup-root adds and a dash
 * ("kubelet-kubepods-…" on kind); it ends the name or is followed by a dash. */
static bool find_kubepods_token(struct span s, size_t *ret_end)
{
        static const char token[] = "kubepods";
        size_t m = sizeof(token) - 1;

        for (size_t i = 0; i + m <= s.n; i++) {
                bool starts_token = i == 0 || (i >= 2 && s.p[i - 1] == '-');
                bool ends_token = i + m == s.n || s.p[i + m] == '-';
                if (starts_token && ends_token && memcmp(s.p + i, token, m) == 0) {
                        *ret_end = i + m;
                        return true;
                }
        }
        return false;
}

/*
 * A kubepods slice under kubelet's systemd driver: the abstract name
 * {kubepods, burstable, pod<uid>} becomes "kubepods-burstable-pod<uid_>.slice"
 * (cgroup_manager_linux.go CgroupName.ToSystemd: components joined by '-', each
 * with '-' escaped to '_'), the guaranteed pod "kubepods-pod<uid_>.slice".
 */
static bool parse_kubepods_slice(struct span name, struct kubepods_place *ret)
{
        struct kubepods_place p = {.level = KUBEPODS_ROOT, .qos = POD_QOS_NONE};
        struct span s, uid;
        size_t end;

        if (!span_between(name, "", ".slice", &s) || !find_kubepods_token(s, &end))
                return false;
        if (end == s.n) {
                *ret = p;
                return true;
        }
        s = (struct span){s.p + end + 1, s.n - end - 1}; /* after "kubepods-" */
        const char *dash = memchr(s.p, '-', s.n);
        struct span first = {s.p, dash ? (size_t) (dash - s.p) : s.n};
        p.qos = qos_from_name(first);
        if (p.qos != POD_QOS_NONE && !dash) {
                p.level = KUBEPODS_QOS;
                *ret = p;
                return true;
        }
        if (p.qos != POD_QOS_NONE)
                s = (struct span){dash + 1, s.n - first.n - 1};
        else
                p.qos = POD_QOS_GUARANTEED;
        if (!span_between(s, "pod", "", &uid) || !parse_pod_uid(uid, '_', p.pod_uid))
                return false;
        p.level = KUBEPODS_POD;
        *ret = p;
        return true;
}

/*
 * The same places under kubelet's cgroupfs driver: plain directories
 * kubepods/burstable/pod<uid>, kubepods/besteffort/pod<uid>, kubepods/pod<uid>
 * (CgroupName.ToCgroupfs). t->c[i] is the candidate; its ancestors must fit.
 */
static bool parse_kubepods_cgroupfs(const struct path_tail *t, size_t i, struct kubepods_place *ret)
{
        struct kubepods_place p = {.level = KUBEPODS_POD};
        struct span uid;

        if (i >= t->n)
                return false;
        if (span_eq(t->c[i], "kubepods")) {
                *ret = (struct kubepods_place){.level = KUBEPODS_ROOT};
                return true;
        }
        if (i + 1 >= t->n)
                return false;
        p.qos = qos_from_name(t->c[i]);
        if (p.qos != POD_QOS_NONE) {
                if (!span_eq(t->c[i + 1], "kubepods"))
                        return false;
                *ret = (struct kubepods_place){.level = KUBEPODS_QOS, .qos = p.qos};
                return true;
        }
        if (!span_between(t->c[i], "pod", "", &uid) || !parse_pod_uid(uid, '-', p.pod_uid))
                return false;
        if (span_eq(t->c[i + 1], "kubepods"))
                p.qos = POD_QOS_GUARANTEED;
        else if (i + 2 < t->n && span_eq(t->c[i + 2], "kubepods"))
                p.qos = qos_from_name(t->c[i + 1]);
        if (p.qos == POD_QOS_NONE)
                return false;
        *ret = p;
        return true;
}

/* The pod a container cgroup sits in, from its parent, either driver. */
static bool pod_of_parent(const struct path_tail *t, struct kubepods_place *ret)
{
        struct kubepods_place p;

        if (t->n < 2)
                return false;
        if (!parse_kubepods_slice(t->c[1], &p) && !parse_kubepods_cgroupfs(t, 1, &p))
                return false;
        if (p.level != KUBEPODS_POD)
                return false;
        *ret = p;
        return true;
}

static void set_pod(struct container_identity *id, const struct kubepods_place *p)
{
        id->qos = p->qos;
        memcpy(id->pod_uid, p->pod_uid, sizeof(id->pod_uid));
}

static void set_container(struct container_identity *id, enum container_runtime runtime,
                          struct span cid, bool monitor)
{
        id->runtime = runtime;
        copy_span(id->id, sizeof(id->id), cid);
        id->monitor = monitor;
}

struct runtime_prefix {
        const char *prefix;
        enum container_runtime runtime;
        bool monitor;
};

/*
 * Scopes made through systemd: runc's (and crun's) systemd driver turns the
 * cgroupsPath "slice:prefix:id" into the unit "<prefix>-<id>.scope" inside that
 * slice (runc libcontainer/cgroups/systemd getUnitName). The prefixes:
 *   docker          moby daemon/oci_linux.go ("<parent>:docker:<id>", parent
 *                   system.slice, user.slice when rootless)
 *   cri-containerd  containerd internal/cri getCgroupsPath ("<pod slice>:cri-containerd:<id>")
 *   crio            CRI-O internal/config/cgmgr/systemd.go ("crio-<id>.scope"),
 *                   and conmon's own scope "crio-conmon-<id>.scope" (MoveConmonToCgroup)
 *   libpod          podman: "libpod-<id>.scope" in machine.slice (rootful) or the
 *                   user manager's user.slice (rootless), conmon in "libpod-conmon-<id>.scope"
 * The longer conmon prefixes come first: "crio-" is a prefix of "crio-conmon-".
 */
static const struct runtime_prefix scope_prefixes[] = {
        {"docker-", RUNTIME_DOCKER, false},             /* moby */
        {"cri-containerd-", RUNTIME_CONTAINERD, false}, /* containerd CRI */
        {"crio-conmon-", RUNTIME_CRIO, true},           /* CRI-O's conmon */
        {"crio-", RUNTIME_CRIO, false},                 /* CRI-O */
        {"libpod-conmon-", RUNTIME_PODMAN, true},       /* podman's conmon */
        {"libpod-", RUNTIME_PODMAN, false},             /* podman */
};

/* name is <prefix><id><suffix> for one of the prefixes: MATCHED with a valid id,
 * REJECTED with anything else in the id's place. */
static enum verdict match_prefixed_id(struct span name, const struct runtime_prefix *table,
                                      size_t n, const char *suffix,
                                      const struct runtime_prefix **ret_prefix, struct span *ret_id)
{
        struct span cid;

        for (size_t i = 0; i < n; i++) {
                if (!span_between(name, table[i].prefix, suffix, &cid))
                        continue;
                if (!is_container_id(cid))
                        return REJECTED;
                *ret_prefix = &table[i];
                *ret_id = cid;
                return MATCHED;
        }
        return NO_MATCH;
}

/* A runtime's scope, wherever it sits; in a pod when its parent is a pod slice
 * (CRI runtimes, and Docker under the old dockershim). */
static enum verdict identify_runtime_scope(const struct path_tail *t, struct container_identity *id)
{
        const struct runtime_prefix *rp;
        struct kubepods_place pod;
        struct span cid;
        enum verdict v = match_prefixed_id(t->c[0], scope_prefixes,
                                           sizeof(scope_prefixes) / sizeof(scope_prefixes[0]),
                                           ".scope", &rp, &cid);

        if (v != MATCHED)
                return v;
        set_container(id, rp->runtime, cid, rp->monitor);
        copy_span(id->unit, sizeof(id->unit), t->c[0]);
        if (pod_of_parent(t, &pod))
                set_pod(id, &pod);
        return MATCHED;
}

/*
 * "<slice>:<prefix>:<id>" as a literal directory name. It is the systemd form
 * of the OCI cgroupsPath, and becomes a directory when the OCI runtime uses its
 * cgroupfs driver while the CRI runtime was set up for systemd (seen with
 * youki under k3s, containerd/runwasi#821: /sys/fs/cgroup/kubepods-besteffort-
 * pod<uid>.slice:cri-containerd:<id>). Not a unit: systemd never saw it.
 */
static const struct runtime_prefix colon_prefixes[] = {
        {"docker", RUNTIME_DOCKER, false},
        {"cri-containerd", RUNTIME_CONTAINERD, false},
        {"crio", RUNTIME_CRIO, false},
};

static enum verdict identify_colon_form(const struct path_tail *t, struct container_identity *id)
{
        struct span name = t->c[0];
        const char *first = memchr(name.p, ':', name.n);
        struct kubepods_place pod;

        if (!first)
                return NO_MATCH;
        struct span slice = {name.p, (size_t) (first - name.p)};
        struct span rest = {first + 1, name.n - slice.n - 1};
        const char *second = memchr(rest.p, ':', rest.n);
        struct span slice_name;
        if (!second || !span_between(slice, "", ".slice", &slice_name) || slice_name.n == 0)
                return NO_MATCH;
        struct span prefix = {rest.p, (size_t) (second - rest.p)};
        struct span cid = {second + 1, rest.n - prefix.n - 1};
        for (size_t i = 0; i < sizeof(colon_prefixes) / sizeof(colon_prefixes[0]); i++) {
                if (!span_eq(prefix, colon_prefixes[i].prefix))
                        continue;
                if (!is_container_id(cid))
                        return REJECTED;
                set_container(id, colon_prefixes[i].runtime, cid, false);
                if (parse_kubepods_slice(slice, &pod) && pod.level == KUBEPODS_POD)
                        set_pod(id, &pod);
                return MATCHED;
        }
        return NO_MATCH;
}

/*
 * Plain directories made by cgroupfs drivers:
 *   docker/<id>              moby daemon/oci_linux.go (parent "/docker")
 *   pod<uid>/<id>            containerd's CRI getCgroupsPath (parent/<id>)
 *   pod<uid>/crio-<id>       CRI-O cgroupfs.go ContainerCgroupPath, and its
 *   pod<uid>/crio-conmon-<id> conmon cgroup
 *   libpod_parent/libpod-<id> podman's cgroupfs manager
 * A bare id in a pod is containerd's shape; cri-dockerd (Docker as the CRI
 * runtime) makes the same one, and only the runtime API can tell them apart.
 */
static const struct runtime_prefix crio_cgroupfs_prefixes[] = {
        {"crio-conmon-", RUNTIME_CRIO, true},
        {"crio-", RUNTIME_CRIO, false},
};
static const struct runtime_prefix podman_cgroupfs_prefixes[] = {
        {"libpod-", RUNTIME_PODMAN, false},
};

static enum verdict identify_cgroupfs_container(const struct path_tail *t,
                                                struct container_identity *id)
{
        const struct runtime_prefix *rp;
        struct kubepods_place pod;
        struct span cid;
        enum verdict v;

        if (t->n < 2)
                return NO_MATCH;
        if (span_eq(t->c[1], "docker") && is_container_id(t->c[0])) {
                set_container(id, RUNTIME_DOCKER, t->c[0], false);
                return MATCHED;
        }
        if (span_eq(t->c[1], "libpod_parent")) {
                v = match_prefixed_id(t->c[0], podman_cgroupfs_prefixes, 1, "", &rp, &cid);
                if (v == MATCHED)
                        set_container(id, rp->runtime, cid, rp->monitor);
                return v;
        }
        if (!parse_kubepods_cgroupfs(t, 1, &pod) || pod.level != KUBEPODS_POD)
                return NO_MATCH;
        if (is_container_id(t->c[0])) {
                set_container(id, RUNTIME_CONTAINERD, t->c[0], false);
                set_pod(id, &pod);
                return MATCHED;
        }
        v = match_prefixed_id(t->c[0], crio_cgroupfs_prefixes, 2, "", &rp, &cid);
        if (v == MATCHED) {
                set_container(id, rp->runtime, cid, rp->monitor);
                set_pod(id, &pod);
        }
        return v;
}

/*
 * systemd unit names: letters, digits, ":-_.\" and '@' before an instance, at
 * most 255 bytes, ending in the unit type (systemd src/basic/unit-name.c
 * unit_name_is_valid). Only types that own a cgroup count.
 */
static bool is_unit_name(struct span s)
{
        static const char *const types[] = {".service", ".scope", ".slice",
                                            ".socket",  ".mount", ".swap"};
        bool typed = false;

        if (s.n > UNIT_NAME_MAX)
                return false;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                typed = typed || (span_ends(s, types[i]) && s.n > strlen(types[i]));
        if (!typed)
                return false;
        for (size_t i = 0; i < s.n; i++) {
                char c = s.p[i];
                bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                          (c >= 'A' && c <= 'Z') || strchr(":-_.\\@", c) != NULL;
                if (!ok)
                        return false;
        }
        return true;
}

/* Units sit at the root, in a slice, or in a user manager (user@<uid>.service,
 * which holds its own init.scope and slices): where systemd creates them. */
static bool is_unit_place(const struct path_tail *t)
{
        if (t->n < 2)
                return true;
        return span_ends(t->c[1], ".slice") ||
               (span_starts(t->c[1], "user@") && span_ends(t->c[1], ".service"));
}

/* kubepods slices themselves, either driver: the pod's uid and class, no container. */
static enum verdict identify_kubepods(const struct path_tail *t, struct container_identity *id)
{
        struct kubepods_place p;

        if (parse_kubepods_slice(t->c[0], &p)) {
                if (is_unit_name(t->c[0]))
                        copy_span(id->unit, sizeof(id->unit), t->c[0]);
        } else if (!parse_kubepods_cgroupfs(t, 0, &p)) {
                return NO_MATCH;
        }
        set_pod(id, &p);
        return MATCHED;
}

/*
 * machined's scopes "machine-<escaped name>.scope" (systemd src/machine/machine.c
 * machine_start_scope: nspawn without a unit of its own, libvirt's
 * "machine-qemu\x2d1\x2dvm1.scope") and systemd-nspawn@<name>.service
 * (units/systemd-nspawn@.service.in), both in machine.slice.
 */
static enum verdict identify_machine(const struct path_tail *t, struct container_identity *id)
{
        struct span name = t->c[0], inner;

        if (t->n < 2 || !span_eq(t->c[1], "machine.slice") || !is_unit_name(name))
                return NO_MATCH;
        if (!span_between(name, "machine-", ".scope", &inner) &&
            !span_between(name, "systemd-nspawn@", ".service", &inner))
                return NO_MATCH;
        if (inner.n == 0)
                return NO_MATCH;
        id->runtime = RUNTIME_MACHINE;
        copy_span(id->unit, sizeof(id->unit), name);
        return MATCHED;
}

/* Any other unit: services and scopes are workloads; slices, sockets, mounts
 * and swaps keep their unit name but run nothing of their own. */
static enum verdict identify_unit(const struct path_tail *t, struct container_identity *id)
{
        struct span name = t->c[0];

        if (!is_unit_name(name) || !is_unit_place(t))
                return NO_MATCH;
        if (span_ends(name, ".service") || span_ends(name, ".scope"))
                id->runtime = RUNTIME_SYSTEMD;
        copy_span(id->unit, sizeof(id->unit), name);
        return MATCHED;
}

typedef enum verdict (*identify_fn)(const struct path_tail *t, struct container_identity *id);

/* Most specific first: a runtime's scope is also a unit, libpod scopes sit in
 * machine.slice, a kubepods slice is also a slice. */
static const identify_fn identifiers[] = {
        identify_runtime_scope, identify_colon_form, identify_cgroupfs_container,
        identify_kubepods,      identify_machine,    identify_unit,
};

int identity_from_path(const char *path, struct container_identity *ret)
{
        struct container_identity id = {.runtime = RUNTIME_UNKNOWN, .qos = POD_QOS_NONE};
        struct path_tail t;

        if (!path || !ret)
                return -EINVAL;
        size_t len = strnlen(path, PATH_MAX);
        if (len >= PATH_MAX)
                return -EINVAL;
        if (len > 0 && path[0] == '/') {
                path++;
                len--;
        }
        if (path_tail_split(path, len, &t) && t.n > 0) {
                for (size_t i = 0; i < sizeof(identifiers) / sizeof(identifiers[0]); i++) {
                        struct container_identity found = id;
                        enum verdict v = identifiers[i](&t, &found);
                        if (v == MATCHED)
                                id = found;
                        if (v != NO_MATCH)
                                break;
                }
        }
        *ret = id;
        return 0;
}

const char *container_runtime_to_string(enum container_runtime r)
{
        switch (r) {
        case RUNTIME_DOCKER:
                return "docker";
        case RUNTIME_CONTAINERD:
                return "containerd";
        case RUNTIME_CRIO:
                return "cri-o";
        case RUNTIME_PODMAN:
                return "podman";
        case RUNTIME_SYSTEMD:
                return "systemd";
        case RUNTIME_MACHINE:
                return "machine";
        case RUNTIME_UNKNOWN:
        default:
                return NULL;
        }
}

enum container_runtime container_runtime_from_string(const char *s)
{
        for (enum container_runtime r = RUNTIME_DOCKER; r <= RUNTIME_MACHINE; r++)
                if (s && strcmp(s, container_runtime_to_string(r)) == 0)
                        return r;
        return RUNTIME_UNKNOWN;
}

const char *pod_qos_to_string(enum pod_qos q)
{
        switch (q) {
        case POD_QOS_GUARANTEED:
                return "guaranteed";
        case POD_QOS_BURSTABLE:
                return "burstable";
        case POD_QOS_BESTEFFORT:
                return "besteffort";
        case POD_QOS_NONE:
        default:
                return NULL;
        }
}
