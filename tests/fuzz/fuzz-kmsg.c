/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: kmsg_record_parse() on a raw /dev/kmsg read, then kmsg_oom_parse() on its
 * message and on the whole input, checking the contracts the supervisor relies on.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/kmsg.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool untouched(const struct kmsg_oom *o)
{
        const unsigned char *p = (const unsigned char *) o;
        for (size_t i = 0; i < sizeof(*o); i++)
                if (p[i] != 0xa5)
                        abort();
        return true;
}

/* A C string of fewer than size bytes, no NUL before its end. */
static void check_name(const char *s, size_t size)
{
        if (!memchr(s, '\0', size))
                abort();
}

static void check_oom(const char *msg, size_t len)
{
        static struct kmsg_oom o; /* 8 KiB: keep it off the fuzzer's stack */
        memset(&o, 0xa5, sizeof(o));

        int r = kmsg_oom_parse(msg, len, &o);
        switch (r) {
        case KMSG_OOM_NONE:
        case -EINVAL:
        case -ERANGE:
        case -ENAMETOOLONG:
                untouched(&o);
                break;
        case KMSG_OOM_SUMMARY:
                if (o.kind != KMSG_OOM_SUMMARY || o.summary.pid < 0)
                        abort();
                check_name(o.summary.oom_memcg, sizeof(o.summary.oom_memcg));
                check_name(o.summary.task_memcg, sizeof(o.summary.task_memcg));
                check_name(o.summary.comm, sizeof(o.summary.comm));
                if (o.summary.task_memcg[0] != '/' ||
                    (o.summary.global != (o.summary.oom_memcg[0] == '\0')))
                        abort();
                break;
        case KMSG_OOM_KILLED:
                if (o.kind != KMSG_OOM_KILLED || o.killed.pid < 0 ||
                    o.killed.oom_score_adj < INT16_MIN || o.killed.oom_score_adj > INT16_MAX)
                        abort();
                check_name(o.killed.comm, sizeof(o.killed.comm));
                break;
        default:
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Exactly sized, no NUL: ASan catches a read past len. */
        char *buf = fuzz_exact_copy(data, size);
        if (!buf)
                return 0;

        struct kmsg_record rec;
        int r = kmsg_record_parse(buf, size, &rec);
        if (r == 0) {
                const char *end = buf + size;
                if (rec.msg < buf || rec.msg + rec.msg_len >= end || rec.msg[rec.msg_len] != '\n' ||
                    memchr(rec.msg, '\n', rec.msg_len) || rec.level > 7)
                        abort();
                if (rec.dict && (rec.dict != rec.msg + rec.msg_len + 1 ||
                                 rec.dict + rec.dict_len != end || rec.dict[0] != ' '))
                        abort();
                if (!rec.dict && rec.msg + rec.msg_len + 1 != end)
                        abort();
                /* The message alone, exactly sized again. */
                char *msg = malloc(rec.msg_len ? rec.msg_len : 1);
                if (msg) {
                        memcpy(msg, rec.msg, rec.msg_len);
                        check_oom(msg, rec.msg_len);
                        free(msg);
                }
        } else if (r != -EINVAL && r != -ERANGE) {
                abort();
        }

        /* And the raw input as a message, so the OOM parser is fuzzed without a prefix. */
        check_oom(buf, size);
        free(buf);
        return 0;
}
