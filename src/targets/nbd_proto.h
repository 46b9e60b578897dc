/* SPDX-License-Identifier: MIT */
/*
 * NBD protocol constants, written from the protocol specification
 * (doc/proto.md of the NetworkBlockDevice/nbd repository). Every number
 * on the wire is big-endian. Only what the client side needs; names follow
 * the specification's, with an UBR_ prefix so they never clash with a
 * system <linux/nbd.h>.
 */
#ifndef UBR_NBD_PROTO_H
#define UBR_NBD_PROTO_H

#include <stdint.h>

/* Handshake: the server's first eight bytes, then the style's magic. */
#define UBR_NBD_INIT_MAGIC 0x4e42444d41474943ULL /* "NBDMAGIC" */
#define UBR_NBD_OPTS_MAGIC 0x49484156454f5054ULL /* "IHAVEOPT": newstyle */
#define UBR_NBD_OLDSTYLE_MAGIC 0x0000420281861253ULL
#define UBR_NBD_REP_MAGIC 0x0003e889045565a9ULL /* option replies */

/* Handshake flags (16 bits, server) and client flags (32 bits). */
#define UBR_NBD_FLAG_FIXED_NEWSTYLE (1U << 0)
#define UBR_NBD_FLAG_NO_ZEROES (1U << 1)
#define UBR_NBD_FLAG_C_FIXED_NEWSTYLE (1U << 0)
#define UBR_NBD_FLAG_C_NO_ZEROES (1U << 1)

/* Transmission flags (16 bits): what the export supports. */
#define UBR_NBD_FLAG_HAS_FLAGS (1U << 0)
#define UBR_NBD_FLAG_READ_ONLY (1U << 1)
#define UBR_NBD_FLAG_SEND_FLUSH (1U << 2)
#define UBR_NBD_FLAG_SEND_FUA (1U << 3)
#define UBR_NBD_FLAG_ROTATIONAL (1U << 4)
#define UBR_NBD_FLAG_SEND_TRIM (1U << 5)
#define UBR_NBD_FLAG_SEND_WRITE_ZEROES (1U << 6)
#define UBR_NBD_FLAG_SEND_DF (1U << 7)
#define UBR_NBD_FLAG_CAN_MULTI_CONN (1U << 8)
#define UBR_NBD_FLAG_SEND_RESIZE (1U << 9)
#define UBR_NBD_FLAG_SEND_CACHE (1U << 10)
#define UBR_NBD_FLAG_SEND_FAST_ZERO (1U << 11)

/* Options the client sends (after IHAVEOPT). */
#define UBR_NBD_OPT_EXPORT_NAME 1U
#define UBR_NBD_OPT_ABORT 2U
#define UBR_NBD_OPT_LIST 3U
#define UBR_NBD_OPT_STARTTLS 5U
#define UBR_NBD_OPT_INFO 6U
#define UBR_NBD_OPT_GO 7U
#define UBR_NBD_OPT_STRUCTURED_REPLY 8U

/* Option reply types; bit 31 marks an error. */
#define UBR_NBD_REP_ACK 1U
#define UBR_NBD_REP_SERVER 2U
#define UBR_NBD_REP_INFO 3U
#define UBR_NBD_REP_FLAG_ERROR (1U << 31)
#define UBR_NBD_REP_ERR_UNSUP (UBR_NBD_REP_FLAG_ERROR | 1U)
#define UBR_NBD_REP_ERR_POLICY (UBR_NBD_REP_FLAG_ERROR | 2U)
#define UBR_NBD_REP_ERR_INVALID (UBR_NBD_REP_FLAG_ERROR | 3U)
#define UBR_NBD_REP_ERR_PLATFORM (UBR_NBD_REP_FLAG_ERROR | 4U)
#define UBR_NBD_REP_ERR_TLS_REQD (UBR_NBD_REP_FLAG_ERROR | 5U)
#define UBR_NBD_REP_ERR_UNKNOWN (UBR_NBD_REP_FLAG_ERROR | 6U)
#define UBR_NBD_REP_ERR_SHUTDOWN (UBR_NBD_REP_FLAG_ERROR | 7U)
#define UBR_NBD_REP_ERR_BLOCK_SIZE_REQD (UBR_NBD_REP_FLAG_ERROR | 8U)
#define UBR_NBD_REP_ERR_TOO_BIG (UBR_NBD_REP_FLAG_ERROR | 9U)

/* Information types in NBD_REP_INFO (and requested in NBD_OPT_GO). */
#define UBR_NBD_INFO_EXPORT 0U
#define UBR_NBD_INFO_NAME 1U
#define UBR_NBD_INFO_DESCRIPTION 2U
#define UBR_NBD_INFO_BLOCK_SIZE 3U

/* Transmission: request and reply magics. */
#define UBR_NBD_REQUEST_MAGIC 0x25609513U
#define UBR_NBD_SIMPLE_REPLY_MAGIC 0x67446698U
#define UBR_NBD_STRUCTURED_REPLY_MAGIC 0x668e33efU

/* Command types. */
#define UBR_NBD_CMD_READ 0U
#define UBR_NBD_CMD_WRITE 1U
#define UBR_NBD_CMD_DISC 2U
#define UBR_NBD_CMD_FLUSH 3U
#define UBR_NBD_CMD_TRIM 4U
#define UBR_NBD_CMD_CACHE 5U
#define UBR_NBD_CMD_WRITE_ZEROES 6U

/* Command flags (16 bits). */
#define UBR_NBD_CMD_FLAG_FUA (1U << 0)
#define UBR_NBD_CMD_FLAG_NO_HOLE (1U << 1)
#define UBR_NBD_CMD_FLAG_DF (1U << 2)
#define UBR_NBD_CMD_FLAG_FAST_ZERO (1U << 4)

/* Structured reply chunks: flags, and types (bit 15 marks an error). */
#define UBR_NBD_REPLY_FLAG_DONE (1U << 0)
#define UBR_NBD_REPLY_TYPE_NONE 0U
#define UBR_NBD_REPLY_TYPE_OFFSET_DATA 1U
#define UBR_NBD_REPLY_TYPE_OFFSET_HOLE 2U
#define UBR_NBD_REPLY_TYPE_IS_ERR (1U << 15)
#define UBR_NBD_REPLY_TYPE_ERROR (UBR_NBD_REPLY_TYPE_IS_ERR | 1U)
#define UBR_NBD_REPLY_TYPE_ERROR_OFFSET (UBR_NBD_REPLY_TYPE_IS_ERR | 2U)

/* Error values on the wire (they happen to equal Linux's). */
#define UBR_NBD_EPERM 1U
#define UBR_NBD_EIO 5U
#define UBR_NBD_ENOMEM 12U
#define UBR_NBD_EINVAL 22U
#define UBR_NBD_ENOSPC 28U
#define UBR_NBD_EOVERFLOW 75U
#define UBR_NBD_ENOTSUP 95U
#define UBR_NBD_ESHUTDOWN 108U

/* The IANA port, and the specification's longest string (names, messages). */
#define UBR_NBD_DEFAULT_PORT 10809U
#define UBR_NBD_STRING_MAX 4096U

/* Fixed sizes on the wire. */
#define UBR_NBD_REQUEST_LEN 28U
#define UBR_NBD_SIMPLE_REPLY_LEN 16U
#define UBR_NBD_CHUNK_HDR_LEN 20U
#define UBR_NBD_OPT_HDR_LEN 16U	      /* IHAVEOPT, option, length */
#define UBR_NBD_OPT_REPLY_HDR_LEN 20U /* magic, option, type, length */

#endif /* UBR_NBD_PROTO_H */
