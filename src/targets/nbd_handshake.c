/* SPDX-License-Identifier: MIT */
/* The NBD client handshake state machine (see nbd_handshake.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nbd_be.h"
#include "nbd_handshake.h"
#include "ubr_util.h"

/* NBDMAGIC, the style's magic, the 16-bit handshake flags. */
#define HELLO_LEN 18U
/* NBD_OPT_EXPORT_NAME's answer: size, transmission flags, then 124 zero
 * bytes unless both sides agreed to NBD_FLAG_NO_ZEROES. */
#define EXPORT_REPLY_LEN 10U
#define EXPORT_ZEROES 124U
/* NBD_INFO_EXPORT: type, size, flags; NBD_INFO_BLOCK_SIZE: type, 3 x 32. */
#define INFO_EXPORT_LEN 12U
#define INFO_BLOCK_SIZE_LEN 14U

__attribute__((format(printf, 3, 4))) static int fail(struct ubr_nbd_hs *hs,
						      int err, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hs->msg, sizeof(hs->msg), fmt, ap);
	va_end(ap);
	hs->status = UBR_NBD_HS_FAILED;
	hs->err = err;
	return err;
}

static const char *opt_name(uint32_t opt)
{
	switch (opt) {
	case UBR_NBD_OPT_STRUCTURED_REPLY:
		return "NBD_OPT_STRUCTURED_REPLY";
	case UBR_NBD_OPT_GO:
		return "NBD_OPT_GO";
	default:
		return "NBD_OPT_EXPORT_NAME";
	}
}

/* Expect `len` bytes of kind `rx`, keeping the first sizeof(rx_buf). */
static void expect(struct ubr_nbd_hs *hs, enum ubr_nbd_hs_rx rx, uint32_t len)
{
	hs->status = UBR_NBD_HS_RECV;
	hs->rx = rx;
	hs->rx_left = len;
	hs->rx_have = 0;
}

/* Queue an option (IHAVEOPT, option, length, data) behind what is queued. */
static uint8_t *queue_opt(struct ubr_nbd_hs *hs, uint32_t opt, uint32_t len)
{
	uint8_t *p = hs->out + hs->out_len;

	ubr_nbd_put64(p, UBR_NBD_OPTS_MAGIC);
	ubr_nbd_put32(p + 8, opt);
	ubr_nbd_put32(p + 12, len);
	hs->out_len += UBR_NBD_OPT_HDR_LEN + len;
	hs->status = UBR_NBD_HS_SEND;
	hs->opt = opt;
	return p + UBR_NBD_OPT_HDR_LEN;
}

static void queue_export_name(struct ubr_nbd_hs *hs)
{
	uint8_t *p = queue_opt(hs, UBR_NBD_OPT_EXPORT_NAME,
			       (uint32_t)hs->name_len);

	memcpy(p, hs->name, hs->name_len);
}

/* GO: name length, name, one information request (NBD_INFO_BLOCK_SIZE;
 * NBD_INFO_EXPORT comes unasked). */
static void queue_go(struct ubr_nbd_hs *hs)
{
	uint32_t len = 4U + (uint32_t)hs->name_len + 2U + 2U;
	uint8_t *p = queue_opt(hs, UBR_NBD_OPT_GO, len);

	ubr_nbd_put32(p, (uint32_t)hs->name_len);
	memcpy(p + 4, hs->name, hs->name_len);
	ubr_nbd_put16(p + 4 + hs->name_len, 1);
	ubr_nbd_put16(p + 6 + hs->name_len, UBR_NBD_INFO_BLOCK_SIZE);
}

static void reset_out(struct ubr_nbd_hs *hs)
{
	hs->out_len = 0;
	hs->out_off = 0;
}

int ubr_nbd_hs_init(struct ubr_nbd_hs *hs, const char *name)
{
	size_t len = strnlen(name, UBR_NBD_STRING_MAX + 1);

	memset(hs, 0, sizeof(*hs));
	if (len > UBR_NBD_STRING_MAX)
		return fail(hs, -ENAMETOOLONG,
			    "export name longer than %u bytes",
			    UBR_NBD_STRING_MAX);
	memcpy(hs->name, name, len);
	hs->name_len = len;
	hs->info.min_block = UBR_NBD_DEFAULT_MIN_BLOCK;
	hs->info.pref_block = UBR_NBD_DEFAULT_PREF_BLOCK;
	hs->info.max_block = UBR_NBD_DEFAULT_MAX_BLOCK;
	expect(hs, UBR_NBD_RX_HELLO, HELLO_LEN);
	return 0;
}

/* Server hello: magics and handshake flags; answer with client flags and,
 * on a fixed-newstyle server, the first option, in one send. */
static int on_hello(struct ubr_nbd_hs *hs)
{
	uint64_t magic = ubr_nbd_get64(hs->rx_buf);
	uint64_t style = ubr_nbd_get64(hs->rx_buf + 8);
	uint32_t cflags = 0;

	if (magic != UBR_NBD_INIT_MAGIC)
		return fail(hs, -EPROTO,
			    "not an NBD server (greeting 0x%016llx, not NBDMAGIC)",
			    (unsigned long long)magic);
	if (style == UBR_NBD_OLDSTYLE_MAGIC)
		return fail(hs, -EPROTO,
			    "server speaks the oldstyle handshake, which is not supported");
	if (style != UBR_NBD_OPTS_MAGIC)
		return fail(hs, -EPROTO,
			    "bad handshake magic 0x%016llx (not IHAVEOPT)",
			    (unsigned long long)style);
	hs->hflags = ubr_nbd_get16(hs->rx_buf + 16);
	if (hs->hflags & UBR_NBD_FLAG_FIXED_NEWSTYLE)
		cflags |= UBR_NBD_FLAG_C_FIXED_NEWSTYLE;
	if (hs->hflags & UBR_NBD_FLAG_NO_ZEROES) {
		cflags |= UBR_NBD_FLAG_C_NO_ZEROES;
		hs->no_zeroes = true;
	}
	reset_out(hs);
	ubr_nbd_put32(hs->out, cflags);
	hs->out_len = 4;
	if (cflags & UBR_NBD_FLAG_C_FIXED_NEWSTYLE)
		queue_opt(hs, UBR_NBD_OPT_STRUCTURED_REPLY, 0);
	else
		queue_export_name(hs);
	return 0;
}

static int on_opt_hdr(struct ubr_nbd_hs *hs)
{
	uint64_t magic = ubr_nbd_get64(hs->rx_buf);
	uint32_t opt = ubr_nbd_get32(hs->rx_buf + 8);

	hs->rep_type = ubr_nbd_get32(hs->rx_buf + 12);
	hs->rep_len = ubr_nbd_get32(hs->rx_buf + 16);
	if (magic != UBR_NBD_REP_MAGIC)
		return fail(hs, -EPROTO,
			    "bad option reply magic 0x%016llx during %s",
			    (unsigned long long)magic, opt_name(hs->opt));
	if (opt != hs->opt)
		return fail(hs, -EPROTO,
			    "reply to option %u during %s, which is option %u",
			    opt, opt_name(hs->opt), hs->opt);
	if (hs->rep_len > UBR_NBD_OPT_REPLY_MAX)
		return fail(hs, -EMSGSIZE,
			    "%s reply of %u bytes, over the %u-byte bound",
			    opt_name(hs->opt), hs->rep_len,
			    UBR_NBD_OPT_REPLY_MAX);
	expect(hs, UBR_NBD_RX_OPT_DATA, hs->rep_len);
	return 0;
}

/* The server's text for an error reply, printable and on one line. */
static void server_text(const struct ubr_nbd_hs *hs, char *out, size_t len)
{
	size_t i, n = hs->rx_have < len - 1 ? hs->rx_have : len - 1;

	for (i = 0; i < n; i++) {
		uint8_t c = hs->rx_buf[i];

		out[i] = c < ' ' || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

struct rep_error {
	uint32_t type;
	int err;
	const char *name;
};

static const struct rep_error rep_errors[] = {
	{ UBR_NBD_REP_ERR_UNSUP, -EOPNOTSUPP, "unsupported" },
	{ UBR_NBD_REP_ERR_POLICY, -EACCES, "forbidden by policy" },
	{ UBR_NBD_REP_ERR_INVALID, -EINVAL, "invalid" },
	{ UBR_NBD_REP_ERR_PLATFORM, -EOPNOTSUPP, "not on this platform" },
	{ UBR_NBD_REP_ERR_TLS_REQD, -EOPNOTSUPP, "TLS required" },
	{ UBR_NBD_REP_ERR_UNKNOWN, -ENOENT, "unknown export" },
	{ UBR_NBD_REP_ERR_SHUTDOWN, -ESHUTDOWN, "server shutting down" },
	{ UBR_NBD_REP_ERR_BLOCK_SIZE_REQD, -EOPNOTSUPP,
	  "block size required" },
	{ UBR_NBD_REP_ERR_TOO_BIG, -EMSGSIZE, "request too big" },
};

/* GO refused: one line with the export, the error's meaning and the
 * server's own words. */
static int refused(struct ubr_nbd_hs *hs)
{
	const struct rep_error *e = NULL;
	char text[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rep_errors); i++)
		if (rep_errors[i].type == hs->rep_type)
			e = &rep_errors[i];
	server_text(hs, text, sizeof(text));
	if (e)
		return fail(hs, e->err, "server refused export '%.64s': %s%s%s",
			    hs->name, e->name, text[0] ? ": " : "", text);
	return fail(hs, -EPROTO,
		    "server refused export '%.64s': error 0x%08x%s%s", hs->name,
		    hs->rep_type, text[0] ? ": " : "", text);
}

static int on_sr_reply(struct ubr_nbd_hs *hs)
{
	if (hs->rep_type == UBR_NBD_REP_ACK) {
		if (hs->rep_len)
			return fail(hs, -EPROTO,
				    "NBD_OPT_STRUCTURED_REPLY acknowledged with %u bytes of data",
				    hs->rep_len);
		hs->info.structured = true;
	} else if (!(hs->rep_type & UBR_NBD_REP_FLAG_ERROR)) {
		return fail(hs, -EPROTO,
			    "reply type %u to NBD_OPT_STRUCTURED_REPLY",
			    hs->rep_type);
	}
	/* Refused: simple replies then, and go on. */
	reset_out(hs);
	queue_go(hs);
	return 0;
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int on_block_size(struct ubr_nbd_hs *hs)
{
	uint32_t min = ubr_nbd_get32(hs->rx_buf + 2);
	uint32_t pref = ubr_nbd_get32(hs->rx_buf + 6);
	uint32_t max = ubr_nbd_get32(hs->rx_buf + 10);

	if (!pow2(min) || min > (64U << 10) || !pow2(pref) || pref < min ||
	    max < min || (max % min && max != UINT32_MAX))
		return fail(hs, -EPROTO,
			    "bad block sizes: minimum %u, preferred %u, maximum %u",
			    min, pref, max);
	hs->info.min_block = min;
	hs->info.pref_block = pref;
	hs->info.max_block = max;
	hs->info.block_from_server = true;
	return 0;
}

/* A server that leaves NBD_FLAG_HAS_FLAGS clear promises no feature. */
static void set_export(struct ubr_nbd_hs *hs, const uint8_t *p)
{
	uint16_t flags = ubr_nbd_get16(p + 8);

	hs->info.size = ubr_nbd_get64(p);
	hs->info.flags = flags & UBR_NBD_FLAG_HAS_FLAGS ? flags : 0;
	hs->got_export = true;
}

static int on_info(struct ubr_nbd_hs *hs)
{
	uint16_t type;

	if (hs->rep_len < 2)
		return fail(hs, -EPROTO, "NBD_REP_INFO of %u bytes",
			    hs->rep_len);
	type = ubr_nbd_get16(hs->rx_buf);
	if (type == UBR_NBD_INFO_EXPORT) {
		if (hs->rep_len != INFO_EXPORT_LEN)
			return fail(hs, -EPROTO,
				    "NBD_INFO_EXPORT of %u bytes, not %u",
				    hs->rep_len, INFO_EXPORT_LEN);
		set_export(hs, hs->rx_buf + 2);
	} else if (type == UBR_NBD_INFO_BLOCK_SIZE) {
		if (hs->rep_len != INFO_BLOCK_SIZE_LEN)
			return fail(hs, -EPROTO,
				    "NBD_INFO_BLOCK_SIZE of %u bytes, not %u",
				    hs->rep_len, INFO_BLOCK_SIZE_LEN);
		return on_block_size(hs);
	}
	/* Names, descriptions, later kinds: not needed, ignored. */
	return 0;
}

static int on_go_reply(struct ubr_nbd_hs *hs)
{
	int rc;

	if (hs->rep_type == UBR_NBD_REP_INFO) {
		rc = on_info(hs);
		if (!rc)
			expect(hs, UBR_NBD_RX_OPT_HDR,
			       UBR_NBD_OPT_REPLY_HDR_LEN);
		return rc;
	}
	if (hs->rep_type == UBR_NBD_REP_ERR_UNSUP) {
		reset_out(hs); /* a server from before GO: the old way */
		queue_export_name(hs);
		return 0;
	}
	if (hs->rep_type & UBR_NBD_REP_FLAG_ERROR)
		return refused(hs);
	if (hs->rep_type != UBR_NBD_REP_ACK)
		return fail(hs, -EPROTO, "reply type %u to NBD_OPT_GO",
			    hs->rep_type);
	if (hs->rep_len)
		return fail(hs, -EPROTO,
			    "NBD_OPT_GO acknowledged with %u bytes of data",
			    hs->rep_len);
	if (!hs->got_export)
		return fail(hs, -EPROTO,
			    "NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
	hs->info.used_go = true;
	hs->status = UBR_NBD_HS_DONE;
	return 0;
}

static int on_export_reply(struct ubr_nbd_hs *hs)
{
	set_export(hs, hs->rx_buf);
	hs->status = UBR_NBD_HS_DONE;
	return 0;
}

/* A whole message arrived: act on it. */
static int on_message(struct ubr_nbd_hs *hs)
{
	switch (hs->rx) {
	case UBR_NBD_RX_HELLO:
		return on_hello(hs);
	case UBR_NBD_RX_OPT_HDR:
		return on_opt_hdr(hs);
	case UBR_NBD_RX_OPT_DATA:
		return hs->opt == UBR_NBD_OPT_GO ? on_go_reply(hs) :
						   on_sr_reply(hs);
	case UBR_NBD_RX_EXPORT:
		return on_export_reply(hs);
	}
	return fail(hs, -EPROTO, "internal: unknown receive state");
}

enum ubr_nbd_hs_status ubr_nbd_hs_status(const struct ubr_nbd_hs *hs)
{
	return hs->status;
}

const uint8_t *ubr_nbd_hs_out(const struct ubr_nbd_hs *hs, size_t *len)
{
	if (hs->status != UBR_NBD_HS_SEND) {
		*len = 0;
		return NULL;
	}
	*len = hs->out_len - hs->out_off;
	return hs->out + hs->out_off;
}

/* All sent: what the server answers next. */
static void await_answer(struct ubr_nbd_hs *hs)
{
	if (hs->opt == UBR_NBD_OPT_EXPORT_NAME)
		expect(hs, UBR_NBD_RX_EXPORT,
		       EXPORT_REPLY_LEN + (hs->no_zeroes ? 0 : EXPORT_ZEROES));
	else
		expect(hs, UBR_NBD_RX_OPT_HDR, UBR_NBD_OPT_REPLY_HDR_LEN);
}

int ubr_nbd_hs_sent(struct ubr_nbd_hs *hs, size_t n)
{
	if (hs->status != UBR_NBD_HS_SEND || n > hs->out_len - hs->out_off)
		return -EINVAL;
	hs->out_off += n;
	if (hs->out_off == hs->out_len)
		await_answer(hs);
	return 0;
}

size_t ubr_nbd_hs_need(const struct ubr_nbd_hs *hs)
{
	return hs->status == UBR_NBD_HS_RECV ? hs->rx_left : 0;
}

/* Take up to n bytes of the current message; keep what fits rx_buf. */
static size_t take(struct ubr_nbd_hs *hs, const uint8_t *p, size_t n)
{
	size_t len = n < hs->rx_left ? n : hs->rx_left;
	size_t room = sizeof(hs->rx_buf) - hs->rx_have;
	size_t keep = len < room ? len : room;

	if (keep)
		memcpy(hs->rx_buf + hs->rx_have, p, keep);
	hs->rx_have += (uint32_t)keep;
	hs->rx_left -= (uint32_t)len;
	return len;
}

ssize_t ubr_nbd_hs_feed(struct ubr_nbd_hs *hs, const void *buf, size_t n)
{
	/* (NULL, 0) is a fine call; NULL + 0 is not fine C. */
	const uint8_t *p = n ? buf : (const uint8_t *)"";
	size_t used = 0;
	int rc;

	if (hs->status != UBR_NBD_HS_RECV)
		return hs->status == UBR_NBD_HS_FAILED ? hs->err : -EINVAL;
	while (hs->status == UBR_NBD_HS_RECV && (used < n || !hs->rx_left)) {
		used += take(hs, p + used, n - used);
		if (hs->rx_left)
			break;
		rc = on_message(hs);
		if (rc)
			return rc;
	}
	return (ssize_t)used;
}

static const char *waiting_for(const struct ubr_nbd_hs *hs)
{
	switch (hs->rx) {
	case UBR_NBD_RX_HELLO:
		return "the server's greeting";
	case UBR_NBD_RX_EXPORT:
		return "the NBD_OPT_EXPORT_NAME reply";
	default:
		return hs->opt == UBR_NBD_OPT_GO ?
			       "the NBD_OPT_GO reply" :
			       "the NBD_OPT_STRUCTURED_REPLY reply";
	}
}

/* An old server answers an unknown export name by hanging up: say so. */
int ubr_nbd_hs_closed(struct ubr_nbd_hs *hs)
{
	bool recv = hs->status == UBR_NBD_HS_RECV;

	if (hs->status == UBR_NBD_HS_FAILED)
		return hs->err;
	if (recv && (hs->rx_have || hs->rx == UBR_NBD_RX_OPT_DATA))
		return fail(hs, -ECONNRESET,
			    "server closed the connection in the middle of %s",
			    waiting_for(hs));
	return fail(hs, -ECONNRESET,
		    "server closed the connection while the client waited for %s%s",
		    recv ? waiting_for(hs) : "nothing (a send was due)",
		    recv && hs->rx == UBR_NBD_RX_EXPORT ?
			    " (an unknown export?)" :
			    "");
}

const char *ubr_nbd_hs_error(const struct ubr_nbd_hs *hs)
{
	return hs->status == UBR_NBD_HS_FAILED ? hs->msg : "";
}

const struct ubr_nbd_export_info *
ubr_nbd_hs_result(const struct ubr_nbd_hs *hs)
{
	return hs->status == UBR_NBD_HS_DONE ? &hs->info : NULL;
}
