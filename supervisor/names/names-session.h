/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Container names for the commands that are not the agent (cgmem ps, cgmem top):
 * the runtimes' sockets from the configuration file, a loop of their own, and a
 * wait bounded by the lookup timeout, so a hung runtime delays ps by at most
 * that and never hides its numbers.
 */

#include <stdint.h>

#include "config/config.h"
#include "names.h"

struct names_session {
        sd_event *loop;
        struct names *names;
        struct cgmem_config config;
};

/* The [runtimes] section as names_new() takes it; the strings stay c's. */
struct names_config names_config_of(const struct cgmem_config *c);

/*
 * config_path NULL: /etc/cgmem/cgmem.conf if there is one. Never fails the
 * command: without names (or with a broken config) s->names is NULL.
 */
void names_session_open(struct names_session *s, const char *config_path);
void names_session_close(struct names_session *s);

/* Runs the loop until every lookup answered or the configured timeout passed. */
void names_session_wait(struct names_session *s);

/* For a poll() loop of the caller's own: the fd to watch, and what to do when it is readable. */
int names_session_fd(const struct names_session *s);
void names_session_dispatch(struct names_session *s);

/* The display name of the container at path: runtime name, else the short id, else "". */
const struct container_meta *names_session_meta(struct names_session *s, const char *path,
                                                struct container_identity *ret_id);
