/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the agent (names.c) and its cgmem-names helper (names-helper.c) say to each
 * other over their socketpair: one JSON object per SOCK_SEQPACKET datagram.
 *
 *   agent → helper   {"op":"track","seq":N,"runtime":"docker","id":ID}
 *                    {"op":"untrack","seq":N,"id":ID}
 *   helper → agent   {"op":"learned","id":ID,"meta":{container_meta_to_json()}}
 *                    {"op":"status","seq":N,"busy":K}: handled every message up to
 *                    seq N, K lookups queued or in flight
 *
 * Both ends are this program, so the format carries no version: an agent always
 * starts the helper of its own build.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cri/container-meta.h"
#include "cri/identity.h"

/* A datagram's largest size; a learned message that would be larger loses its
 * annotations, then its labels (names_msg_format). */
#define NAMES_WIRE_MAX (64 * 1024)

enum names_op {
        NAMES_OP_TRACK,
        NAMES_OP_UNTRACK,
        NAMES_OP_LEARNED,
        NAMES_OP_STATUS,
};

struct names_msg {
        enum names_op op;
        uint64_t seq;                   /* track, untrack, status */
        enum container_runtime runtime; /* track */
        char id[CONTAINER_ID_LEN + 1];  /* track, untrack, learned */
        unsigned busy;                  /* status */
        struct container_meta meta;     /* learned; owned once parsed */
};

void names_msg_done(struct names_msg *m);

/* Renders m into buf (NUL-terminated); returns its length, -E2BIG when it does not fit,
 * -ENOMEM. */
ssize_t names_msg_format(const struct names_msg *m, char *buf, size_t size);

/* Reads one datagram; -EBADMSG when it is not a message above, -ENOMEM. *ret is written
 * only on success; names_msg_done() frees what it holds. */
int names_msg_parse(const char *buf, size_t len, struct names_msg *ret);
