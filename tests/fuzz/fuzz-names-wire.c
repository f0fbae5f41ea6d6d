/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: names_msg_parse(), what the agent reads from its cgmem-names
 * helper and the helper from the agent. Whatever the input, the answer is
 * -EBADMSG/-ENOMEM with the output untouched, or a message that formats and
 * parses back to the same thing.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "supervisor/names/names-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
        if (!ok)
                abort();
}

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool pairs_eq(const struct meta_label *a, size_t na, const struct meta_label *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!str_eq(a[i].key, b[i].key) || !str_eq(a[i].value, b[i].value))
                        return false;
        return true;
}

static bool meta_eq(const struct container_meta *a, const struct container_meta *b)
{
        return str_eq(a->id, b->id) && str_eq(a->name, b->name) && str_eq(a->image, b->image) &&
               a->sandbox == b->sandbox && str_eq(a->pod_name, b->pod_name) &&
               str_eq(a->pod_namespace, b->pod_namespace) && str_eq(a->pod_uid, b->pod_uid) &&
               str_eq(a->pod_sandbox_id, b->pod_sandbox_id) &&
               str_eq(a->k8s_container_name, b->k8s_container_name) &&
               pairs_eq(a->labels, a->n_labels, b->labels, b->n_labels) &&
               pairs_eq(a->annotations, a->n_annotations, b->annotations, b->n_annotations);
}

static char out[NAMES_WIRE_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *in = fuzz_exact_copy(data, size);
        struct names_msg m, again;

        if (!in)
                return 0;
        memset(&m, 0xa5, sizeof(m));
        int r = names_msg_parse(in, size, &m);
        free(in);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOMEM);
                check(((unsigned char *) &m)[0] == 0xa5);
                return 0;
        }
        check(m.op <= NAMES_OP_STATUS && m.seq <= INT64_MAX);
        ssize_t len = names_msg_format(&m, out, sizeof(out));
        check(len > 0 && (size_t) len < sizeof(out));
        check(names_msg_parse(out, (size_t) len, &again) == 0);
        check(again.op == m.op && again.seq == m.seq && again.busy == m.busy);
        if (m.op == NAMES_OP_TRACK)
                check(again.runtime == m.runtime);
        if (m.op != NAMES_OP_STATUS)
                check(strcmp(again.id, m.id) == 0);
        /* Input under 8 KiB never needs shedding. */
        if (m.op == NAMES_OP_LEARNED && size < 8192)
                check(meta_eq(&m.meta, &again.meta));
        names_msg_done(&again);
        names_msg_done(&m);
        return 0;
}
