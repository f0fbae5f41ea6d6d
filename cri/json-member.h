/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading the members of the runtimes' JSON answers (Docker, CRI-O): a missing member
 * and JSON null are the same, a member of another type is -EBADMSG. */

#include <jansson.h>

/* *ret = the string member key, or NULL when it is missing or null. */
int json_member_string(const json_t *object, const char *key, const char **ret);

/* *ret = the object member key (borrowed), or NULL when it is missing or null. */
int json_member_object(const json_t *object, const char *key, json_t **ret);

/* *field = a copy of s, the old value freed; NULL and "" say nothing and leave *field as
 * it was. Returns 0 or -ENOMEM. */
int json_member_set_string(char **field, const char *s);
