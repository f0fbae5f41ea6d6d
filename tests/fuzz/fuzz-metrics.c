/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: what the metrics take from outside, as text: a [metrics]
 * listen address (metrics_listen_parse) and a label value, which comes from a
 * cgroup path or a runtime's answer (metrics_escape_label_value).
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "supervisor/metrics/listen.h"
#include "supervisor/metrics/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_listen(const char *s)
{
        struct metrics_listen l, again;
        const char *why = NULL;

        memset(&l, 0xa5, sizeof(l));
        int r = metrics_listen_parse(s, &l, &why);
        if (r == 0) {
                int f = l.addr.sa.sa_family;
                if ((f != AF_INET && f != AF_INET6 && f != AF_UNIX) ||
                    metrics_listen_parse(s, &again, &why) != 0 || again.len != l.len ||
                    memcmp(&again.addr, &l.addr, l.len) != 0)
                        abort();
        } else if (r != -EINVAL || !why) {
                abort();
        }
}

/* The escaped value: no raw quote, backslash only before \, " or n, no newline, in bounds. */
static void check_escape(const char *s)
{
        char *out = malloc(2 * METRICS_LABEL_VALUE_MAX + 1);
        if (!out)
                return;
        size_t n = metrics_escape_label_value(s, out);
        if (n > 2 * METRICS_LABEL_VALUE_MAX)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (out[i] == '\n' || out[i] == '"' || out[i] == '\0')
                        abort();
                if (out[i] == '\\') {
                        if (i + 1 >= n ||
                            (out[i + 1] != '\\' && out[i + 1] != '"' && out[i + 1] != 'n'))
                                abort();
                        i++;
                }
        }
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Both take NUL-terminated strings: the input up to its first NUL. */
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        check_listen(s);
        check_escape(s);
        free(s);
        return 0;
}
