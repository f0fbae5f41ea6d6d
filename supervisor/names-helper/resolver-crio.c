/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CRI-O's info endpoint on its socket: GET /containers/ID answers with the container's JSON. */
#include <stdio.h>
#include <string.h>

#include "cri/crio.h"
#include "resolver-internal.h"

static int crio_lookup(struct runtime_api *rt, const char *id)
{
        char path[128];

        snprintf(path, sizeof(path), "/containers/%s", id);
        return lookup_json(rt, id, path, crio_parse_container_info);
}

const struct runtime_ops crio_ops = {
        .lookup = crio_lookup,
};
