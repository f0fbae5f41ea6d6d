/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * gRPC over HTTP/2, the parts that are not HTTP/2: the length-prefixed message
 * framing of request and response bodies, and the grpc-status / grpc-message
 * values a server answers with in its headers or trailers. Pure: no I/O.
 *
 * The wire format is gRPC's "PROTOCOL-HTTP2" document: every message in a body
 * is one byte Compressed-Flag (0 or 1), four bytes Message-Length (unsigned,
 * big-endian), then the message. cgmem never asks for compression (it sends no
 * grpc-accept-encoding), so a compressed response is refused.
 */

#include <stddef.h>
#include <stdint.h>

#define GRPC_FRAME_HEADER_SIZE 5
/* Larger than any CRI list answer on a big node; gRPC's own default is 4 MiB. */
#define GRPC_MESSAGE_MAX (16U * 1024U * 1024U)

/* The canonical status codes (grpc/doc/statuscodes.md). */
enum grpc_status {
        GRPC_STATUS_OK = 0,
        GRPC_STATUS_CANCELLED = 1,
        GRPC_STATUS_UNKNOWN = 2,
        GRPC_STATUS_INVALID_ARGUMENT = 3,
        GRPC_STATUS_DEADLINE_EXCEEDED = 4,
        GRPC_STATUS_NOT_FOUND = 5,
        GRPC_STATUS_ALREADY_EXISTS = 6,
        GRPC_STATUS_PERMISSION_DENIED = 7,
        GRPC_STATUS_RESOURCE_EXHAUSTED = 8,
        GRPC_STATUS_FAILED_PRECONDITION = 9,
        GRPC_STATUS_ABORTED = 10,
        GRPC_STATUS_OUT_OF_RANGE = 11,
        GRPC_STATUS_UNIMPLEMENTED = 12,
        GRPC_STATUS_INTERNAL = 13,
        GRPC_STATUS_UNAVAILABLE = 14,
        GRPC_STATUS_DATA_LOSS = 15,
        GRPC_STATUS_UNAUTHENTICATED = 16,
};
#define GRPC_STATUS_MAX GRPC_STATUS_UNAUTHENTICATED

/*
 * Frames len bytes of msg (NULL allowed when len is 0) as one uncompressed gRPC
 * message: a malloc'd buffer of GRPC_FRAME_HEADER_SIZE + len bytes, ready to be a
 * request body. Returns 0, -EMSGSIZE above GRPC_MESSAGE_MAX, -EINVAL for NULL
 * arguments, -ENOMEM.
 */
int grpc_frame(const void *msg, size_t len, uint8_t **ret, size_t *ret_len);

/*
 * The one message of a unary response body: *ret_msg points into buf (no copy),
 * *ret_msg_len may be 0 (an all-defaults protobuf message). Returns 0;
 * -ENODATA for an empty body (the server sent no message: an error status is in
 * the trailers); -EBADMSG when the body is shorter than its header says, has
 * bytes after the message (a second message is not a unary answer), or the flag
 * byte is neither 0 nor 1; -ENOTSUP when the message is compressed; -EMSGSIZE
 * when the header announces more than GRPC_MESSAGE_MAX (checked before the
 * length, so a reader may stop early); -EINVAL for NULL arguments.
 */
int grpc_unframe(const uint8_t *buf, size_t len, const uint8_t **ret_msg, size_t *ret_msg_len);

/*
 * The value of a grpc-status header or trailer: a decimal code 0..16, nothing
 * else (no sign, no spaces, no leading zeros: trim HTTP whitespace before).
 * Returns 0, -EINVAL when malformed, -ERANGE for a well-formed number outside
 * 0..16 (a newer code: the caller may treat it as UNKNOWN, as the gRPC spec does).
 */
int grpc_status_parse(const char *value, size_t len, int *ret);

/*
 * The value of a grpc-message trailer, percent-decoded into a malloc'd string.
 * gRPC's spec says a receiver must not reject or drop a badly encoded message,
 * so a '%' not followed by two hex digits is kept as it is, and so is "%00" (a
 * NUL would end the C string). Returns 0, -EINVAL for NULL arguments or a raw NUL
 * byte (no header value has one), -ENOMEM.
 */
int grpc_message_decode(const char *value, size_t len, char **ret);

/* "OK", "CANCELLED", ... "UNAUTHENTICATED"; NULL for a code outside 0..16. */
const char *grpc_status_to_string(int code);

/*
 * A gRPC status as -errno, for callers that speak errno:
 *   OK                  0
 *   CANCELLED           -ECANCELED
 *   INVALID_ARGUMENT    -EINVAL
 *   DEADLINE_EXCEEDED   -ETIMEDOUT
 *   NOT_FOUND           -ENOENT       (the container or pod is gone: the normal race)
 *   ALREADY_EXISTS      -EEXIST
 *   PERMISSION_DENIED   -EACCES
 *   UNAUTHENTICATED     -EACCES
 *   RESOURCE_EXHAUSTED  -ENOBUFS      (also a response over the server's size limit)
 *   UNIMPLEMENTED       -EOPNOTSUPP   (the runtime does not serve this API version)
 *   UNAVAILABLE         -ECONNREFUSED (the runtime, or its CRI plugin, is not there now)
 *   UNKNOWN, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, INTERNAL, DATA_LOSS and
 *   any code outside 0..16: -EPROTO
 */
int grpc_status_to_errno(int code);
