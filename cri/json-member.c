/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-member.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int json_member_string(const json_t *object, const char *key, const char **ret)
{
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = json_string_value(v);
        return 0;
}

int json_member_object(const json_t *object, const char *key, json_t **ret)
{
        json_t *v = json_object_get(object, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int json_member_set_string(char **field, const char *s)
{
        char *c;

        if (!s || !*s)
                return 0;
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}
