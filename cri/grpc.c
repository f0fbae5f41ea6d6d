/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gRPC message framing and status values (grpc.h). Pure: no I/O, no logging.
 */

#include "grpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"

int grpc_frame(const void *msg, size_t len, uint8_t **ret, size_t *ret_len)
{
        if ((!msg && len > 0) || !ret || !ret_len)
                return -EINVAL;
        if (len > GRPC_MESSAGE_MAX)
                return -EMSGSIZE;

        uint8_t *buf = malloc(GRPC_FRAME_HEADER_SIZE + len);
        if (!buf)
                return -ENOMEM;
        buf[0] = 0; /* not compressed */
        buf[1] = (uint8_t) (len >> 24);
        buf[2] = (uint8_t) (len >> 16);
        buf[3] = (uint8_t) (len >> 8);
        buf[4] = (uint8_t) len;
        if (len > 0)
                memcpy(buf + GRPC_FRAME_HEADER_SIZE, msg, len);

        *ret = buf;
        *ret_len = GRPC_FRAME_HEADER_SIZE + len;
        return 0;
}

int grpc_unframe(const uint8_t *buf, size_t len, const uint8_t **ret_msg, size_t *ret_msg_len)
{
        if ((!buf && len > 0) || !ret_msg || !ret_msg_len)
                return -EINVAL;
        if (len == 0)
                return -ENODATA;
        if (buf[0] > 1)
                return -EBADMSG;
        if (len < GRPC_FRAME_HEADER_SIZE)
                return -EBADMSG;

        uint32_t n = (uint32_t) buf[1] << 24 | (uint32_t) buf[2] << 16 | (uint32_t) buf[3] << 8 |
                     (uint32_t) buf[4];
        if (n > GRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        if (len - GRPC_FRAME_HEADER_SIZE != n)
                return -EBADMSG;
        /* Checked last: a truncated or oversized body says more than "compressed". */
        if (buf[0] == 1)
                return -ENOTSUP;

        *ret_msg = buf + GRPC_FRAME_HEADER_SIZE;
        *ret_msg_len = n;
        return 0;
}

int grpc_status_parse(const char *value, size_t len, int *ret)
{
        if ((!value && len > 0) || !ret)
                return -EINVAL;
        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (value[i] < '0' || value[i] > '9')
                        return -EINVAL;
        if (len > 1 && value[0] == '0')
                return -EINVAL;
        /* Digits only, no leading zero: more than two of them is out of range. */
        if (len > 2)
                return -ERANGE;

        int code = 0;
        for (size_t i = 0; i < len; i++)
                code = code * 10 + (value[i] - '0');
        if (code > GRPC_STATUS_MAX)
                return -ERANGE;

        *ret = code;
        return 0;
}

static int unhex(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int grpc_message_decode(const char *value, size_t len, char **ret)
{
        if ((!value && len > 0) || !ret)
                return -EINVAL;
        if (len > 0 && memchr(value, '\0', len))
                return -EINVAL;

        /* Decoding only ever shortens. */
        _cleanup_free_ char *s = malloc(len + 1);
        if (!s)
                return -ENOMEM;

        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                if (value[i] == '%' && len - i >= 3) {
                        int hi = unhex(value[i + 1]), lo = unhex(value[i + 2]);
                        if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                                s[n++] = (char) (hi << 4 | lo);
                                i += 2;
                                continue;
                        }
                }
                s[n++] = value[i];
        }
        s[n] = '\0';

        *ret = TAKE_PTR(s);
        return 0;
}

static const char *const status_names[] = {
        [GRPC_STATUS_OK] = "OK",
        [GRPC_STATUS_CANCELLED] = "CANCELLED",
        [GRPC_STATUS_UNKNOWN] = "UNKNOWN",
        [GRPC_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
        [GRPC_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
        [GRPC_STATUS_NOT_FOUND] = "NOT_FOUND",
        [GRPC_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
        [GRPC_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
        [GRPC_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
        [GRPC_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
        [GRPC_STATUS_ABORTED] = "ABORTED",
        [GRPC_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
        [GRPC_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
        [GRPC_STATUS_INTERNAL] = "INTERNAL",
        [GRPC_STATUS_UNAVAILABLE] = "UNAVAILABLE",
        [GRPC_STATUS_DATA_LOSS] = "DATA_LOSS",
        [GRPC_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *grpc_status_to_string(int code)
{
        if (code < 0 || (size_t) code >= ELEMENTSOF(status_names))
                return NULL;
        return status_names[code];
}

int grpc_status_to_errno(int code)
{
        switch (code) {
        case GRPC_STATUS_OK:
                return 0;
        case GRPC_STATUS_CANCELLED:
                return -ECANCELED;
        case GRPC_STATUS_INVALID_ARGUMENT:
                return -EINVAL;
        case GRPC_STATUS_DEADLINE_EXCEEDED:
                return -ETIMEDOUT;
        case GRPC_STATUS_NOT_FOUND:
                return -ENOENT;
        case GRPC_STATUS_ALREADY_EXISTS:
                return -EEXIST;
        case GRPC_STATUS_PERMISSION_DENIED:
        case GRPC_STATUS_UNAUTHENTICATED:
                return -EACCES;
        case GRPC_STATUS_RESOURCE_EXHAUSTED:
                return -ENOBUFS;
        case GRPC_STATUS_UNIMPLEMENTED:
                return -EOPNOTSUPP;
        case GRPC_STATUS_UNAVAILABLE:
                return -ECONNREFUSED;
        default:
                return -EPROTO;
        }
}
