/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "display.h"

#include <stdio.h>

void names_display_name(const struct container_identity *id, const struct container_meta *m,
                        const char *fallback, char *buf, size_t size)
{
        const char *name = m ? (m->sandbox ? "(pod)" : m->k8s_container_name ?: m->name) : NULL;

        if (name)
                snprintf(buf, size, "%s", name);
        else if (id->id[0] && !id->monitor)
                snprintf(buf, size, "%.12s", id->id);
        else if (id->unit[0])
                snprintf(buf, size, "%s", id->unit);
        else
                snprintf(buf, size, "%s", fallback);
}

void names_display_pod(const struct container_identity *id, const struct container_meta *m,
                       char *buf, size_t size)
{
        if (m && m->pod_name)
                snprintf(buf, size, "%s/%s", m->pod_namespace ?: "?", m->pod_name);
        else if (id->pod_uid[0])
                snprintf(buf, size, "%.8s", id->pod_uid);
        else if (size > 0)
                buf[0] = '\0';
}
