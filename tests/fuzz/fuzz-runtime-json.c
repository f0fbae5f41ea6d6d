/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the runtime API's JSON parsers. The first byte picks the
 * parser (its value modulo 4: the seeds use '0'..'3'), the rest is the body:
 *   0  docker_negotiate_version()   GET /version
 *   1  docker_parse_inspect()       GET /containers/{id}/json
 *   2  docker_parse_event()         a line of GET /events
 *   3  crio_parse_container_info()  CRI-O's GET /containers/{id}
 * Whatever the input, an answer is one of the documented errors with the output
 * untouched, or a result that keeps the promises of the headers.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/container-meta.h"
#include "cri/crio.h"
#include "cri/docker.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CRIO_ID "a18bfabd3cf1d74d0267b59ef276e9c1c94d4e31a9fb482340d884a4c4275b94"

static void check(bool ok)
{
        if (!ok)
                abort();
}

static bool poisoned(const void *p, size_t n)
{
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++)
                if (b[i] != 0xa5)
                        return false;
        return true;
}

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool nonempty_or_null(const char *s)
{
        return !s || *s;
}

static void check_meta(const struct container_meta *m)
{
        struct container_meta c;

        check(container_id_valid(m->id));
        check(nonempty_or_null(m->name) && nonempty_or_null(m->image));
        check(nonempty_or_null(m->pod_name) && nonempty_or_null(m->pod_namespace));
        check(nonempty_or_null(m->pod_uid) && nonempty_or_null(m->k8s_container_name));
        check(nonempty_or_null(m->pod_sandbox_id));
        check(m->n_labels == 0 || m->labels);
        check(m->n_annotations == 0 || m->annotations);
        for (size_t i = 0; i < m->n_labels; i++) {
                check(m->labels[i].key && m->labels[i].value);
                /* Every label can be found, and finds the first of its key. */
                const char *v = container_meta_label(m, m->labels[i].key);
                check(v != NULL);
        }
        for (size_t i = 0; i < m->n_annotations; i++)
                check(m->annotations[i].key && m->annotations[i].value);
        /* The Kubernetes fields came from the labels. */
        if (m->pod_name)
                check(str_eq(m->pod_name, container_meta_label(m, "io.kubernetes.pod.name")));
        if (m->pod_uid)
                check(str_eq(m->pod_uid, container_meta_label(m, "io.kubernetes.pod.uid")));

        /* A copy is equal, and independent. */
        if (container_meta_copy(m, &c) == 0) {
                check(str_eq(c.id, m->id) && str_eq(c.name, m->name) && str_eq(c.image, m->image));
                check(str_eq(c.pod_sandbox_id, m->pod_sandbox_id) && c.sandbox == m->sandbox);
                check(c.n_labels == m->n_labels && c.n_annotations == m->n_annotations);
                for (size_t i = 0; i < c.n_labels; i++)
                        check(str_eq(c.labels[i].key, m->labels[i].key) &&
                              str_eq(c.labels[i].value, m->labels[i].value));
                check(c.id != m->id);
                container_meta_done(&c);
        }
}

static void fuzz_version(const char *buf, size_t len)
{
        char v[16];
        memset(v, 0xa5, sizeof(v));
        int r = docker_negotiate_version(buf, len, v);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOTSUP);
                check(poisoned(v, sizeof(v)));
                return;
        }
        /* "major.minor", no higher than ours, no lower than our minimum. */
        size_t n = strnlen(v, sizeof(v));
        check(n >= 3 && n < sizeof(v));
        const char *dot = strchr(v, '.');
        check(dot && dot > v && dot[1] != '\0');
        check(strspn(v, "0123456789") == (size_t) (dot - v));
        check(strspn(dot + 1, "0123456789") == strlen(dot + 1));
        char *end;
        unsigned long major = strtoul(v, &end, 10), minor = strtoul(dot + 1, &end, 10);
        unsigned long min_minor = strtoul(strchr(DOCKER_API_VERSION_MIN, '.') + 1, NULL, 10);
        unsigned long max_minor = strtoul(strchr(DOCKER_API_VERSION_MAX, '.') + 1, NULL, 10);
        check(major == 1 && minor >= min_minor && minor <= max_minor);
}

static void fuzz_inspect(const char *buf, size_t len)
{
        struct container_meta m;
        memset(&m, 0xa5, sizeof(m));
        int r = docker_parse_inspect(buf, len, &m);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOMEM);
                check(poisoned(&m, sizeof(m)));
                return;
        }
        check_meta(&m);
        if (m.sandbox)
                check(str_eq(m.pod_sandbox_id, m.id));
        if (m.n_annotations > 0)
                check(container_meta_label(&m, "io.kubernetes.docker.type") != NULL);
        container_meta_done(&m);
}

static void fuzz_event(const char *buf, size_t len)
{
        struct docker_event ev;
        memset(&ev, 0xa5, sizeof(ev));
        int r = docker_parse_event(buf, len, &ev);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOMSG);
                check(poisoned(&ev, sizeof(ev)));
                return;
        }
        check(container_id_valid(ev.id));
        check(docker_event_action_to_string(ev.action) != NULL);
}

static void fuzz_crio(const char *buf, size_t len)
{
        struct container_meta m;
        memset(&m, 0xa5, sizeof(m));
        int r = crio_parse_container_info(CRIO_ID, buf, len, &m);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOMEM);
                check(poisoned(&m, sizeof(m)));
                return;
        }
        check_meta(&m);
        check(strcmp(m.id, CRIO_ID) == 0);
        container_meta_done(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        char *buf = fuzz_exact_copy(data + 1, size - 1);
        if (!buf)
                return 0;
        switch (data[0] % 4) {
        case 0:
                fuzz_version(buf, size - 1);
                break;
        case 1:
                fuzz_inspect(buf, size - 1);
                break;
        case 2:
                fuzz_event(buf, size - 1);
                break;
        default:
                fuzz_crio(buf, size - 1);
                break;
        }
        free(buf);
        return 0;
}
