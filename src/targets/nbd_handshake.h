/* SPDX-License-Identifier: MIT */
/*
 * The NBD client handshake as a byte-driven state machine: no sockets, no
 * clock, no globals, so the daemon can drive it from ring completions and
 * the tests from byte arrays. The caller loops:
 *
 *   SEND  ubr_nbd_hs_out() gives the bytes to send; ubr_nbd_hs_sent(n)
 *         when n of them went out
 *   RECV  ubr_nbd_hs_need() says how many bytes to receive next (the
 *         exact size of what the server is due to send, so nothing past
 *         the handshake is ever read); ubr_nbd_hs_feed() takes them
 *   DONE  ubr_nbd_hs_result(): the export's size, flags, block sizes and
 *         whether replies are structured
 *   FAILED ubr_nbd_hs_error(): one line, with the server's own text
 *
 * and calls ubr_nbd_hs_closed() when the server hangs up. A stall is the
 * caller's timer's business.
 *
 * What it speaks (doc/proto.md): fixed newstyle only, replying with
 * NBD_FLAG_C_FIXED_NEWSTYLE and NBD_FLAG_C_NO_ZEROES where offered; then
 * NBD_OPT_STRUCTURED_REPLY (any error reply just means simple replies);
 * then NBD_OPT_GO asking for NBD_INFO_BLOCK_SIZE. A server answering GO
 * with NBD_REP_ERR_UNSUP, or one without fixed newstyle (which may drop
 * the connection on any option it does not know), gets
 * NBD_OPT_EXPORT_NAME instead. The oldstyle handshake (no export names,
 * gone from nbd-server since 3.10) is refused.
 *
 * Option replies are bounded to UBR_NBD_OPT_REPLY_MAX bytes: the longest
 * legitimate one is a string of at most 4096 bytes (an error message, a
 * name or description info), so anything near the bound is a broken or
 * hostile server, and the bound keeps it from holding a connection busy
 * feeding us gigabytes. Only the first 4096 bytes of a reply are kept;
 * the rest is discarded as it arrives.
 */
#ifndef UBR_NBD_HANDSHAKE_H
#define UBR_NBD_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nbd_proto.h"

#define UBR_NBD_OPT_REPLY_MAX (64U << 10)
#define UBR_NBD_HS_MSG_MAX 512U
/* Client flags, then the largest option: NBD_OPT_GO with a full name and
 * one information request. */
#define UBR_NBD_HS_OUT_MAX \
	(4U + UBR_NBD_OPT_HDR_LEN + 4U + UBR_NBD_STRING_MAX + 2U + 2U)

/*
 * Block sizes when the server states none: the protocol's advice to
 * clients, 512-byte requests at least and reads and writes of at most
 * 32 MiB; 4 KiB preferred.
 */
#define UBR_NBD_DEFAULT_MIN_BLOCK 512U
#define UBR_NBD_DEFAULT_PREF_BLOCK 4096U
#define UBR_NBD_DEFAULT_MAX_BLOCK (32U << 20)

enum ubr_nbd_hs_status {
	UBR_NBD_HS_SEND,
	UBR_NBD_HS_RECV,
	UBR_NBD_HS_DONE,
	UBR_NBD_HS_FAILED,
};

/* What the handshake agreed: the device's parameters come from here. */
struct ubr_nbd_export_info {
	uint64_t size;	    /* bytes */
	uint16_t flags;	    /* UBR_NBD_FLAG_* transmission flags */
	uint32_t min_block; /* power of two, <= 64 KiB */
	uint32_t pref_block;
	uint32_t max_block;  /* a multiple of min_block, or 0xffffffff */
	bool block_from_server; /* else the defaults above */
	bool structured;	/* structured replies agreed */
	bool used_go;		/* NBD_OPT_GO, not NBD_OPT_EXPORT_NAME */
};

/* Internal: which message the received bytes belong to. */
enum ubr_nbd_hs_rx {
	UBR_NBD_RX_HELLO,
	UBR_NBD_RX_OPT_HDR,
	UBR_NBD_RX_OPT_DATA,
	UBR_NBD_RX_EXPORT,
};

/* One handshake's whole state, about 13 KiB; the caller owns it. */
struct ubr_nbd_hs {
	enum ubr_nbd_hs_status status;
	enum ubr_nbd_hs_rx rx;
	uint32_t rx_left; /* bytes of the current message still to come */
	uint32_t rx_have; /* of which kept in rx_buf */
	uint32_t opt;	  /* the option whose replies are being read */
	uint32_t rep_type, rep_len;
	uint16_t hflags;
	bool no_zeroes, got_export;
	int err;
	size_t out_len, out_off, name_len;
	struct ubr_nbd_export_info info;
	char name[UBR_NBD_STRING_MAX + 1];
	char msg[UBR_NBD_HS_MSG_MAX];
	uint8_t out[UBR_NBD_HS_OUT_MAX];
	uint8_t rx_buf[UBR_NBD_STRING_MAX];
};

/* Start a handshake for the export `name` (NUL-terminated, at most 4096
 * bytes: -ENAMETOOLONG otherwise). The server speaks first: RECV. */
int ubr_nbd_hs_init(struct ubr_nbd_hs *hs, const char *name);

enum ubr_nbd_hs_status ubr_nbd_hs_status(const struct ubr_nbd_hs *hs);

/* SEND: the bytes still to send (NULL and 0 in any other status). */
const uint8_t *ubr_nbd_hs_out(const struct ubr_nbd_hs *hs, size_t *len);

/* n bytes of ubr_nbd_hs_out() went out. -EINVAL if that is more than it
 * gave, or the status is not SEND. */
int ubr_nbd_hs_sent(struct ubr_nbd_hs *hs, size_t n);

/* RECV: how many bytes the server is due to send now (0 otherwise). */
size_t ubr_nbd_hs_need(const struct ubr_nbd_hs *hs);

/*
 * Received bytes: consumes as many as the machine takes while it stays in
 * RECV (never more than the server was due to send) and returns that
 * count, or -errno once the handshake fails (-EPROTO a protocol breach,
 * -EMSGSIZE a reply over the bound, -ENOENT/-EACCES/... the server's
 * refusal; see ubr_nbd_hs_error()). -EINVAL when not in RECV; after a
 * failure, that failure's -errno again.
 */
ssize_t ubr_nbd_hs_feed(struct ubr_nbd_hs *hs, const void *buf, size_t n);

/* The server closed the connection (a zero-length read): FAILED with a
 * message naming where; returns -ECONNRESET. */
int ubr_nbd_hs_closed(struct ubr_nbd_hs *hs);

/* FAILED: the one-line reason (empty otherwise). */
const char *ubr_nbd_hs_error(const struct ubr_nbd_hs *hs);

/* DONE: what was agreed (NULL otherwise). */
const struct ubr_nbd_export_info *
ubr_nbd_hs_result(const struct ubr_nbd_hs *hs);

#endif /* UBR_NBD_HANDSHAKE_H */
