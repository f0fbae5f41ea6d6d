/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names-wire.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "cgroupfs/macro.h"

static const char *const op_names[] = {
        [NAMES_OP_TRACK] = "track",
        [NAMES_OP_UNTRACK] = "untrack",
        [NAMES_OP_LEARNED] = "learned",
        [NAMES_OP_STATUS] = "status",
};

void names_msg_done(struct names_msg *m)
{
        container_meta_done(&m->meta);
}

static json_t *msg_to_json(const struct names_msg *m)
{
        const char *op = op_names[m->op];

        switch (m->op) {
        case NAMES_OP_TRACK:
                return json_pack("{sssIssss}", "op", op, "seq", (json_int_t) m->seq, "runtime",
                                 container_runtime_to_string(m->runtime) ?: "", "id", m->id);
        case NAMES_OP_UNTRACK:
                return json_pack("{sssIss}", "op", op, "seq", (json_int_t) m->seq, "id", m->id);
        case NAMES_OP_LEARNED:
                return json_pack("{ssssso}", "op", op, "id", m->id, "meta",
                                 container_meta_to_json(&m->meta));
        case NAMES_OP_STATUS:
        default:
                return json_pack("{sssIsI}", "op", op, "seq", (json_int_t) m->seq, "busy",
                                 (json_int_t) m->busy);
        }
}

/* What a learned message can do without when it is too large, in the order it is given up. */
static bool shed_extra(json_t *msg)
{
        json_t *meta = json_object_get(msg, "meta");

        return json_object_del(meta, "annotations") == 0 || json_object_del(meta, "labels") == 0;
}

ssize_t names_msg_format(const struct names_msg *m, char *buf, size_t size)
{
        json_t *o = msg_to_json(m);
        size_t n;

        if (!o)
                return -ENOMEM;
        while ((n = json_dumpb(o, buf, size, JSON_COMPACT)) >= size)
                if (m->op != NAMES_OP_LEARNED || !shed_extra(o)) {
                        json_decref(o);
                        return -E2BIG;
                }
        json_decref(o);
        if (n == 0)
                return -ENOMEM;
        buf[n] = '\0';
        return (ssize_t) n;
}

static int parse_op(const json_t *o, enum names_op *ret)
{
        const char *op = json_string_value(json_object_get(o, "op"));

        for (size_t i = 0; op && i < ELEMENTSOF(op_names); i++)
                if (strcmp(op, op_names[i]) == 0) {
                        *ret = (enum names_op) i;
                        return 0;
                }
        return -EBADMSG;
}

static int parse_u64(const json_t *o, const char *key, uint64_t max, uint64_t *ret)
{
        const json_t *v = json_object_get(o, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (uint64_t) json_integer_value(v) > max)
                return -EBADMSG;
        *ret = (uint64_t) json_integer_value(v);
        return 0;
}

static int parse_id(const json_t *o, char id[static CONTAINER_ID_LEN + 1])
{
        const char *s = json_string_value(json_object_get(o, "id"));

        if (!container_id_valid(s))
                return -EBADMSG;
        memcpy(id, s, CONTAINER_ID_LEN + 1);
        return 0;
}

static int parse_fields(const json_t *o, struct names_msg *m)
{
        uint64_t busy = 0;
        int r;

        if (m->op == NAMES_OP_LEARNED) {
                r = parse_id(o, m->id);
                return r < 0 ? r : container_meta_from_json(json_object_get(o, "meta"), &m->meta);
        }
        r = parse_u64(o, "seq", INT64_MAX, &m->seq);
        if (r < 0)
                return r;
        if (m->op == NAMES_OP_STATUS) {
                r = parse_u64(o, "busy", UINT32_MAX, &busy);
                m->busy = (unsigned) busy;
                return r;
        }
        if (m->op == NAMES_OP_TRACK) {
                m->runtime = container_runtime_from_string(
                        json_string_value(json_object_get(o, "runtime")));
                if (m->runtime == RUNTIME_UNKNOWN)
                        return -EBADMSG;
        }
        return parse_id(o, m->id);
}

int names_msg_parse(const char *buf, size_t len, struct names_msg *ret)
{
        struct names_msg m = {};
        json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        int r = -EBADMSG;

        if (json_is_object(o) && parse_op(o, &m.op) >= 0)
                r = parse_fields(o, &m);
        json_decref(o);
        if (r < 0) {
                names_msg_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}
