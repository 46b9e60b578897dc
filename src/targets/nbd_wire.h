/* SPDX-License-Identifier: MIT */
/*
 * NBD transmission: request headers out, reply headers and structured
 * reply chunks in, each checked against the request it answers before a
 * byte of payload lands anywhere. Pure code on byte arrays; every reply
 * check returns 0 or -EPROTO with a one-line reason, and a reply that
 * fails one means the connection can no longer be trusted (drop it and
 * reconnect).
 *
 * Reading a reply, as the target will:
 *   1. receive UBR_NBD_SIMPLE_REPLY_LEN (16) bytes; ubr_nbd_reply_decode()
 *      says simple reply or chunk, and asks for the 4 more bytes a chunk
 *      header has (-EAGAIN with hdr_len 20)
 *   2. look the cookie up (below); unknown: drop the connection
 *   3. simple: ubr_nbd_simple_check(); a successful READ's data follows,
 *      exactly the request's length
 *      chunk: ubr_nbd_chunk_check() on the header, then receive
 *      ubr_nbd_chunk_prefix_len() bytes and ubr_nbd_chunk_parse() them;
 *      an OFFSET_DATA chunk's data (chunk.length bytes) follows, for the
 *      request's buffer at chunk.offset - request offset
 *   4. the request is answered at a simple reply or a chunk with
 *      UBR_NBD_REPLY_FLAG_DONE.
 * What stays with the caller: that a read's chunks cover its range with
 * no gap and no overlap (the protocol lets chunks come in any order), and
 * the errno of a request whose reply had several error chunks.
 */
#ifndef UBR_NBD_WIRE_H
#define UBR_NBD_WIRE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nbd_proto.h"

/*
 * The cookie (the protocol's 64-bit "handle") names the request a reply
 * answers, as user_data names the request a completion belongs to:
 *
 *   63                          32 31            16 15             0
 *  +------------------------------+----------------+----------------+
 *  |        seq (32 bits)         |  queue (16)    |    tag (16)    |
 *  +------------------------------+----------------+----------------+
 *
 * The connection a reply came in on names the device (each connection
 * belongs to one), so the device is not in the cookie. queue and tag name
 * the ublk request: one connection may carry several queues' requests
 * (--connections below the queue count), and ublk's u16 q_id and tag fit
 * as they are. seq is the connection's count of requests sent, stored
 * with the request when it goes out; a reply whose seq differs from the
 * stored one is stale (a request resent after a reconnect, answered twice)
 * or invented, and is treated as an unknown cookie, never matched to
 * whatever request now holds that tag.
 */
#define UBR_NBD_COOKIE_TAG_BITS 16
#define UBR_NBD_COOKIE_QUEUE_BITS 16
#define UBR_NBD_COOKIE_SEQ_BITS 32
#define UBR_NBD_COOKIE_QUEUE_SHIFT UBR_NBD_COOKIE_TAG_BITS
#define UBR_NBD_COOKIE_SEQ_SHIFT \
	(UBR_NBD_COOKIE_TAG_BITS + UBR_NBD_COOKIE_QUEUE_BITS)
static_assert(UBR_NBD_COOKIE_TAG_BITS + UBR_NBD_COOKIE_QUEUE_BITS +
			      UBR_NBD_COOKIE_SEQ_BITS ==
		      64,
	      "the cookie's fields fill its 64 bits");

struct ubr_nbd_cookie {
	uint16_t tag;
	uint16_t queue;
	uint32_t seq;
};

static inline uint64_t ubr_nbd_cookie_make(uint16_t queue, uint16_t tag,
					   uint32_t seq)
{
	return (uint64_t)seq << UBR_NBD_COOKIE_SEQ_SHIFT |
	       (uint64_t)queue << UBR_NBD_COOKIE_QUEUE_SHIFT | tag;
}

static inline struct ubr_nbd_cookie ubr_nbd_cookie_split(uint64_t cookie)
{
	return (struct ubr_nbd_cookie){
		.tag = (uint16_t)cookie,
		.queue = (uint16_t)(cookie >> UBR_NBD_COOKIE_QUEUE_SHIFT),
		.seq = (uint32_t)(cookie >> UBR_NBD_COOKIE_SEQ_SHIFT),
	};
}

/* A request: what goes on the wire, and what its replies are checked
 * against. */
struct ubr_nbd_req {
	uint16_t flags; /* UBR_NBD_CMD_FLAG_* */
	uint16_t type;	/* UBR_NBD_CMD_* */
	uint64_t cookie;
	uint64_t offset;
	uint32_t length;
};

/*
 * The 28-byte request header (a WRITE's data follows it). -EINVAL, with
 * nothing written, for what no server may be sent: an unknown type, a
 * range past 2^63 (the protocol's offsets are signed on many servers), a
 * length on DISC or FLUSH, or none on anything else.
 */
int ubr_nbd_req_encode(const struct ubr_nbd_req *req,
		       uint8_t out[UBR_NBD_REQUEST_LEN]);

enum ubr_nbd_reply_kind {
	UBR_NBD_REPLY_SIMPLE,
	UBR_NBD_REPLY_CHUNK,
};

/* A decoded reply header. */
struct ubr_nbd_reply {
	enum ubr_nbd_reply_kind kind;
	unsigned hdr_len; /* 16 simple, 20 chunk */
	uint64_t cookie;
	uint32_t error;	  /* simple: the NBD error value, 0 = success */
	uint16_t flags;	  /* chunk: UBR_NBD_REPLY_FLAG_* */
	uint16_t type;	  /* chunk: UBR_NBD_REPLY_TYPE_* */
	uint32_t length;  /* chunk: payload bytes after the header */
};

/*
 * Decode the reply header at buf. Returns its length (16 or 20) when all
 * of it is there; -EAGAIN with r->hdr_len set to the bytes needed when
 * not; -EPROTO for a magic that is neither, or a chunk when structured
 * replies were not agreed.
 */
int ubr_nbd_reply_decode(const uint8_t *buf, size_t len, bool structured,
			 struct ubr_nbd_reply *r, char *err, size_t errlen);

/*
 * A simple reply against its request. Once structured replies are agreed
 * a read's data comes in chunks, so a simple reply to a READ must carry an
 * error (else where its data would be is ambiguous): -EPROTO.
 */
int ubr_nbd_simple_check(const struct ubr_nbd_reply *r,
			 const struct ubr_nbd_req *req, bool structured,
			 char *err, size_t errlen);

/*
 * Longest prefix a chunk can ask for: an error chunk's whole payload,
 * error value, message length, a 4096-byte message and an offset.
 */
#define UBR_NBD_CHUNK_PREFIX_MAX (4U + 2U + UBR_NBD_STRING_MAX + 8U)

/*
 * A chunk's header against its request, before any payload is read: a
 * type the request can have, a payload length that fits (OFFSET_DATA at
 * most the request's length of data, OFFSET_HOLE exactly 12, NONE 0 and
 * only as the last chunk, an error chunk at most UBR_NBD_CHUNK_PREFIX_MAX).
 */
int ubr_nbd_chunk_check(const struct ubr_nbd_reply *r,
			const struct ubr_nbd_req *req, char *err,
			size_t errlen);

/* Payload bytes to receive before ubr_nbd_chunk_parse() (after a
 * successful ubr_nbd_chunk_check(); at most UBR_NBD_CHUNK_PREFIX_MAX). */
uint32_t ubr_nbd_chunk_prefix_len(const struct ubr_nbd_reply *r);

/* A parsed chunk. */
struct ubr_nbd_chunk {
	uint64_t offset;  /* OFFSET_DATA, OFFSET_HOLE, ERROR_OFFSET */
	uint32_t length;  /* OFFSET_DATA: data bytes following; HOLE: size */
	uint32_t error;	  /* error chunks: the NBD error value (not 0) */
	uint16_t msg_off; /* error chunks: the message, in the prefix */
	uint16_t msg_len;
};

/*
 * The chunk's prefix (prefix_len bytes) against its request: data or a
 * hole inside the request's range, an error chunk's error not zero and
 * its message inside the payload (exactly filling it for ERROR and
 * ERROR_OFFSET), ERROR_OFFSET's offset inside the range.
 */
int ubr_nbd_chunk_parse(const struct ubr_nbd_reply *r,
			const struct ubr_nbd_req *req, const uint8_t *prefix,
			size_t len, struct ubr_nbd_chunk *c, char *err,
			size_t errlen);

/*
 * An NBD error value as -errno, as the protocol defines them: EPERM, EIO,
 * ENOMEM, EINVAL, ENOSPC, EOVERFLOW, ENOTSUP, ESHUTDOWN; anything else is
 * -EIO (the protocol asks clients to treat unknown values so); 0 is 0.
 */
int ubr_nbd_errno(uint32_t nbd_error);

#endif /* UBR_NBD_WIRE_H */
