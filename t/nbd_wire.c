/* SPDX-License-Identifier: MIT */
/*
 * NBD transmission: request headers byte for byte, the cookie layout, and
 * every malformed reply shape: bad magic, a chunk without agreement, an
 * unknown cookie (reported, left to the caller), chunks outside their
 * request, lengths that do not fit, truncated headers and prefixes;
 * then every data chunk around a small read against a model.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nbd_be.h"
#include "nbd_wire.h"
#include "tap.h"

static const struct ubr_nbd_req rd = { 0, UBR_NBD_CMD_READ, 42, 4096, 8192 };

static void cookies(void)
{
	uint64_t c = ubr_nbd_cookie_make(0xabcd, 0x1234, 0x89abcdefU);
	struct ubr_nbd_cookie s = ubr_nbd_cookie_split(c);
	struct ubr_nbd_cookie m = ubr_nbd_cookie_split(UINT64_MAX);

	ok(c == 0x89abcdefabcd1234ULL, "cookie: seq | queue | tag, high to low");
	ok(s.queue == 0xabcd && s.tag == 0x1234 && s.seq == 0x89abcdefU,
	   "  and splits back");
	ok(m.queue == 0xffff && m.tag == 0xffff && m.seq == UINT32_MAX &&
		   ubr_nbd_cookie_make(0xffff, 0xffff, UINT32_MAX) == UINT64_MAX,
	   "  every bit belongs to a field");
}

static bool encodes(const struct ubr_nbd_req *req, const uint8_t *want)
{
	uint8_t out[UBR_NBD_REQUEST_LEN];

	return !ubr_nbd_req_encode(req, out) &&
	       !memcmp(out, want, UBR_NBD_REQUEST_LEN);
}

static void requests(void)
{
	static const uint8_t read_bytes[28] = {
		0x25, 0x60, 0x95, 0x13, 0, 0, 0, 0,
		0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67,
		0, 0, 0, 0x01, 0, 0, 0x02, 0,
		0, 0x10, 0, 0,
	};
	static const uint8_t write_fua[28] = {
		0x25, 0x60, 0x95, 0x13, 0, 1, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 7,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x02, 0,
	};
	static const uint8_t flush[28] = {
		0x25, 0x60, 0x95, 0x13, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 9,
	};
	struct ubr_nbd_req r = { 0, UBR_NBD_CMD_READ, 0x89abcdef01234567ULL,
				 0x100000200ULL, 1 << 20 };
	uint8_t out[UBR_NBD_REQUEST_LEN];
	const uint16_t bad_types[] = { 7, 8, 9, 0xffff };
	size_t i;
	bool none;

	ok(encodes(&r, read_bytes), "READ: magic, flags, type, cookie, offset, length");
	r = (struct ubr_nbd_req){ UBR_NBD_CMD_FLAG_FUA, UBR_NBD_CMD_WRITE, 7, 0,
				  512 };
	ok(encodes(&r, write_fua), "WRITE with FUA");
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_FLUSH, 9, 0, 0 };
	ok(encodes(&r, flush), "FLUSH: no offset, no length");
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_DISC, 0, 0, 0 };
	ok(!ubr_nbd_req_encode(&r, out) && ubr_nbd_get16(out + 6) == 2,
	   "DISC");
	r = (struct ubr_nbd_req){ UBR_NBD_CMD_FLAG_NO_HOLE,
				  UBR_NBD_CMD_WRITE_ZEROES, 1, 512, 4096 };
	ok(!ubr_nbd_req_encode(&r, out) && ubr_nbd_get16(out + 4) == 2 &&
		   ubr_nbd_get16(out + 6) == 6,
	   "WRITE_ZEROES with NO_HOLE");
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_TRIM, 1,
				  (uint64_t)INT64_MAX - 4096, 4096 };
	ok(!ubr_nbd_req_encode(&r, out), "TRIM ending exactly at 2^63 - 1");

	memset(out, 0x5a, sizeof(out));
	r.offset++;
	none = ubr_nbd_req_encode(&r, out) == -EINVAL;
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_READ, 1, 0, 0 };
	none = none && ubr_nbd_req_encode(&r, out) == -EINVAL;
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_READ, 1, UINT64_MAX - 1, 2 };
	none = none && ubr_nbd_req_encode(&r, out) == -EINVAL;
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_FLUSH, 1, 0, 512 };
	none = none && ubr_nbd_req_encode(&r, out) == -EINVAL;
	r = (struct ubr_nbd_req){ 0, UBR_NBD_CMD_DISC, 1, 512, 0 };
	none = none && ubr_nbd_req_encode(&r, out) == -EINVAL;
	for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		r = (struct ubr_nbd_req){ 0, bad_types[i], 1, 0, 512 };
		none = none && ubr_nbd_req_encode(&r, out) == -EINVAL;
	}
	for (i = 0; i < sizeof(out); i++)
		none = none && out[i] == 0x5a;
	ok(none, "refused, nothing written: past 2^63, no length, a flush or "
		 "disconnect with a range, unknown types");
}

static size_t simple_bytes(uint8_t *b, uint32_t magic, uint32_t error,
			   uint64_t cookie)
{
	ubr_nbd_put32(b, magic);
	ubr_nbd_put32(b + 4, error);
	ubr_nbd_put64(b + 8, cookie);
	return 16;
}

static size_t chunk_bytes(uint8_t *b, uint16_t flags, uint16_t type,
			  uint64_t cookie, uint32_t len)
{
	ubr_nbd_put32(b, UBR_NBD_STRUCTURED_REPLY_MAGIC);
	ubr_nbd_put16(b + 4, flags);
	ubr_nbd_put16(b + 6, type);
	ubr_nbd_put64(b + 8, cookie);
	ubr_nbd_put32(b + 16, len);
	return 20;
}

static void headers(void)
{
	struct ubr_nbd_reply r;
	char err[200] = "";
	uint8_t b[20];
	size_t n;
	bool again = true;

	simple_bytes(b, UBR_NBD_SIMPLE_REPLY_MAGIC, 28, 0x1122334455667788ULL);
	ok(ubr_nbd_reply_decode(b, 16, false, &r, err, sizeof(err)) == 16 &&
		   r.kind == UBR_NBD_REPLY_SIMPLE && r.error == 28 &&
		   r.cookie == 0x1122334455667788ULL,
	   "simple reply: error and cookie");
	ok(ubr_nbd_reply_decode(b, 16, true, &r, err, sizeof(err)) == 16,
	   "  also when structured replies were agreed");
	chunk_bytes(b, UBR_NBD_REPLY_FLAG_DONE, UBR_NBD_REPLY_TYPE_OFFSET_DATA,
		    0xfeedULL, 520);
	ok(ubr_nbd_reply_decode(b, 20, true, &r, err, sizeof(err)) == 20 &&
		   r.kind == UBR_NBD_REPLY_CHUNK && r.flags == 1 && r.type == 1 &&
		   r.cookie == 0xfeed && r.length == 520,
	   "chunk: flags, type, cookie, payload length");
	for (n = 0; n < 20; n++) {
		int rc = ubr_nbd_reply_decode(b, n, true, &r, err, sizeof(err));

		again = again && rc == -EAGAIN &&
			r.hdr_len == (n < 4 ? 16U : 20U);
	}
	ok(again, "truncated chunk header, 0..19 bytes: -EAGAIN, asking for 16 "
		  "then 20");
	simple_bytes(b, UBR_NBD_SIMPLE_REPLY_MAGIC, 0, 1);
	ok(ubr_nbd_reply_decode(b, 15, true, &r, err, sizeof(err)) == -EAGAIN &&
		   r.hdr_len == 16,
	   "truncated simple reply: -EAGAIN for 16");
	ok(ubr_nbd_reply_decode(b, 20, false, &r, err, sizeof(err)) == 16,
	   "a simple reply takes 16 bytes even when more are there");
	chunk_bytes(b, 0, 1, 1, 9);
	ok(ubr_nbd_reply_decode(b, 20, false, &r, err, sizeof(err)) == -EPROTO &&
		   strstr(err, "structured replies were not agreed"),
	   "chunk without agreement: %s", err);
	simple_bytes(b, 0x67446699, 0, 1);
	ok(ubr_nbd_reply_decode(b, 16, true, &r, err, sizeof(err)) == -EPROTO &&
		   strstr(err, "bad reply magic 0x67446699"),
	   "bad magic: %s", err);
	simple_bytes(b, UBR_NBD_REQUEST_MAGIC, 0, 1);
	ok(ubr_nbd_reply_decode(b, 4, true, &r, err, sizeof(err)) == -EPROTO,
	   "a request's magic is not a reply's, known from 4 bytes");
	/* An unknown cookie decodes fine: it is the caller's lookup that
	 * fails, and the split tells it which queue, tag and seq were named. */
	simple_bytes(b, UBR_NBD_SIMPLE_REPLY_MAGIC, 0,
		     ubr_nbd_cookie_make(3, 77, 1000));
	ok(ubr_nbd_reply_decode(b, 16, false, &r, err, sizeof(err)) == 16 &&
		   ubr_nbd_cookie_split(r.cookie).queue == 3 &&
		   ubr_nbd_cookie_split(r.cookie).tag == 77 &&
		   ubr_nbd_cookie_split(r.cookie).seq == 1000,
	   "unknown cookie: reported to the caller as queue 3 tag 77 seq 1000");
}

static void simple_replies(void)
{
	struct ubr_nbd_reply r = { .kind = UBR_NBD_REPLY_SIMPLE };
	struct ubr_nbd_req w = { 0, UBR_NBD_CMD_WRITE, 1, 0, 512 };
	char err[200] = "";

	ok(!ubr_nbd_simple_check(&r, &rd, false, err, sizeof(err)),
	   "simple read reply, simple replies: data follows");
	ok(ubr_nbd_simple_check(&r, &rd, true, err, sizeof(err)) == -EPROTO,
	   "simple read reply without error, structured: %s", err);
	r.error = UBR_NBD_EIO;
	ok(!ubr_nbd_simple_check(&r, &rd, true, err, sizeof(err)),
	   "simple read reply with an error, structured: fine");
	r.error = 0;
	ok(!ubr_nbd_simple_check(&r, &w, true, err, sizeof(err)),
	   "simple write reply, structured: fine");
}

struct shape {
	uint16_t flags, type;
	uint32_t length;
	const struct ubr_nbd_req *req;
	const char *why; /* NULL: accepted */
};

static const struct ubr_nbd_req wr = { 0, UBR_NBD_CMD_WRITE, 1, 0, 512 };
static const struct ubr_nbd_req fl = { 0, UBR_NBD_CMD_FLUSH, 1, 0, 0 };

static const struct shape shapes[] = {
	{ 1, UBR_NBD_REPLY_TYPE_NONE, 0, &wr, NULL },
	{ 0, UBR_NBD_REPLY_TYPE_NONE, 0, &wr, "without the DONE flag" },
	{ 1, UBR_NBD_REPLY_TYPE_NONE, 4, &wr, "NONE chunk of 4 bytes" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 8 + 8192, &rd, NULL },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 9, &rd, NULL },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 8 + 8193, &rd,
	  "OFFSET_DATA chunk of 8201 bytes for a read of 8192" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 8, &rd, "of 8 bytes" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 0, &rd, "of 0 bytes" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, UINT32_MAX, &rd, "4294967295" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_DATA, 8 + 512, &wr,
	  "OFFSET_DATA chunk for a command of type 1" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_HOLE, 12, &rd, NULL },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_HOLE, 11, &rd, "of 11 bytes, not 12" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_HOLE, 13, &rd, "of 13 bytes, not 12" },
	{ 0, UBR_NBD_REPLY_TYPE_OFFSET_HOLE, 12, &fl, "for a command of type 3" },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR, 6, &fl, NULL },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR, 6 + 4096 + 8, &fl, NULL },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR, 5, &fl, "of 5 bytes, not 6 to 4110" },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR, 4111, &fl, "of 4111 bytes" },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 14, &rd, NULL },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 13, &rd, "not 14 to 4110" },
	{ 1, UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 14, &fl, "without a range" },
	{ 1, 0x8000 | 9, 6, &wr, NULL },
	{ 1, 0x8000 | 9, 3, &wr, "type 0x8009) of 3 bytes" },
	{ 1, 5, 12, &rd, "chunk of unknown type 5" },
	{ 1, 0x7fff, 0, &rd, "chunk of unknown type 32767" },
};

static void chunk_shapes(void)
{
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct ubr_nbd_reply r = { UBR_NBD_REPLY_CHUNK, 20, 1, 0,
					   s->flags, s->type, s->length };
		char err[200] = "";
		int rc = ubr_nbd_chunk_check(&r, s->req, err, sizeof(err));

		if (s->why)
			ok(rc == -EPROTO && strstr(err, s->why),
			   "chunk type 0x%04x, %u bytes, for command %u: %s",
			   s->type, s->length, s->req->type, err);
		else
			ok(rc == 0 && ubr_nbd_chunk_prefix_len(&r) <=
						  UBR_NBD_CHUNK_PREFIX_MAX,
			   "chunk type 0x%04x, %u bytes, for command %u: fine",
			   s->type, s->length, s->req->type);
	}
}

/* A parsed prefix, from its bytes. */
static int parse(uint16_t type, uint32_t length, const uint8_t *p, size_t n,
		 const struct ubr_nbd_req *req, struct ubr_nbd_chunk *c,
		 char *err)
{
	struct ubr_nbd_reply r = { UBR_NBD_REPLY_CHUNK, 20, 1, 0, 0, type,
				   length };

	if (ubr_nbd_chunk_check(&r, req, err, 200))
		return -1000;
	return ubr_nbd_chunk_parse(&r, req, p, n, c, err, 200);
}

static void prefixes(void)
{
	struct ubr_nbd_chunk c;
	char err[200] = "";
	uint8_t p[64];

	ubr_nbd_put64(p, 4096 + 512);
	ok(!parse(1, 8 + 1024, p, 8, &rd, &c, err) && c.offset == 4608 &&
		   c.length == 1024,
	   "OFFSET_DATA inside the read: offset and data length");
	ubr_nbd_put64(p, 4096 + 8192 - 1024);
	ok(!parse(1, 8 + 1024, p, 8, &rd, &c, err),
	   "OFFSET_DATA ending exactly at the read's end");
	ubr_nbd_put64(p, 4096 + 8192 - 1023);
	ok(parse(1, 8 + 1024, p, 8, &rd, &c, err) == -EPROTO &&
		   strstr(err, "outside the read of 8192 bytes at 4096"),
	   "OFFSET_DATA one byte past the end: %s", err);
	ubr_nbd_put64(p, 4095);
	ok(parse(1, 8 + 1, p, 8, &rd, &c, err) == -EPROTO,
	   "OFFSET_DATA one byte before the start: %s", err);
	ubr_nbd_put64(p, UINT64_MAX - 100);
	ok(parse(1, 8 + 1024, p, 8, &rd, &c, err) == -EPROTO,
	   "OFFSET_DATA near 2^64 (an overflow attempt): %s", err);
	ok(parse(1, 8 + 1024, p, 7, &rd, &c, err) == -EPROTO &&
		   strstr(err, "prefix of 7 bytes, not 8"),
	   "a prefix cut short: %s", err);

	ubr_nbd_put64(p, 4096);
	ubr_nbd_put32(p + 8, 8192);
	ok(!parse(2, 12, p, 12, &rd, &c, err) && c.offset == 4096 &&
		   c.length == 8192,
	   "OFFSET_HOLE covering the whole read");
	ubr_nbd_put32(p + 8, 8193);
	ok(parse(2, 12, p, 12, &rd, &c, err) == -EPROTO,
	   "OFFSET_HOLE one byte too long: %s", err);
	ubr_nbd_put32(p + 8, 0);
	ok(parse(2, 12, p, 12, &rd, &c, err) == -EPROTO &&
		   strstr(err, "OFFSET_HOLE of 0 bytes"),
	   "OFFSET_HOLE of nothing: %s", err);
}

static void error_prefixes(void)
{
	struct ubr_nbd_chunk c;
	char err[200] = "";
	uint8_t p[64];

	ubr_nbd_put32(p, UBR_NBD_ENOSPC);
	ubr_nbd_put16(p + 4, 4);
	memcpy(p + 6, "full", 4);
	ok(!parse(UBR_NBD_REPLY_TYPE_ERROR, 10, p, 10, &wr, &c, err) &&
		   c.error == UBR_NBD_ENOSPC && c.msg_off == 6 &&
		   c.msg_len == 4 && !memcmp(p + c.msg_off, "full", 4),
	   "ERROR: error value and message");
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR, 11, p, 11, &wr, &c, err) == -EPROTO &&
		   strstr(err, "message of 4 bytes in 11 bytes"),
	   "ERROR whose message leaves payload over: %s", err);
	ubr_nbd_put16(p + 4, 5);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR, 10, p, 10, &wr, &c, err) == -EPROTO &&
		   strstr(err, "message of 5 bytes in 10 bytes"),
	   "ERROR whose message runs past its payload: %s", err);
	ubr_nbd_put16(p + 4, 0xffff);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR, 10, p, 10, &wr, &c, err) == -EPROTO,
	   "ERROR claiming a 65535-byte message: %s", err);
	ubr_nbd_put16(p + 4, 2);
	ok(!parse(0x8000 | 9, 10, p, 10, &wr, &c, err) && c.msg_len == 2,
	   "an unknown error type may carry more after its message");
	ubr_nbd_put32(p, 0);
	ubr_nbd_put16(p + 4, 0);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR, 6, p, 6, &wr, &c, err) == -EPROTO &&
		   strstr(err, "error 0"),
	   "an error chunk with error 0: %s", err);

	ubr_nbd_put32(p, UBR_NBD_EIO);
	ubr_nbd_put16(p + 4, 2);
	memcpy(p + 6, "io", 2);
	ubr_nbd_put64(p + 8, 4096 + 8191);
	ok(!parse(UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 16, p, 16, &rd, &c, err) &&
		   c.offset == 4096 + 8191 && c.error == UBR_NBD_EIO,
	   "ERROR_OFFSET at the read's last byte");
	ubr_nbd_put64(p + 8, 4096 + 8192);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 16, p, 16, &rd, &c, err) ==
			   -EPROTO &&
		   strstr(err, "outside the request"),
	   "ERROR_OFFSET just past the read: %s", err);
	ubr_nbd_put64(p + 8, 0);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 16, p, 16, &rd, &c, err) ==
		   -EPROTO,
	   "ERROR_OFFSET before the read: %s", err);
	ubr_nbd_put16(p + 4, 3);
	ok(parse(UBR_NBD_REPLY_TYPE_ERROR_OFFSET, 16, p, 16, &rd, &c, err) ==
		   -EPROTO && strstr(err, "message of 3 bytes"),
	   "ERROR_OFFSET whose message eats its offset: %s", err);
}

/* Every data chunk around a 100-byte read at 1000, against the model:
 * accepted exactly when it lies inside [1000, 1100). */
static void data_chunks_model(void)
{
	struct ubr_nbd_req r = { 0, UBR_NBD_CMD_READ, 1, 1000, 100 };
	struct ubr_nbd_chunk c;
	char err[200];
	uint8_t p[8];
	unsigned off, len, wrong = 0, tried = 0;

	for (off = 980; off <= 1120; off++)
		for (len = 1; len <= 130; len++) {
			struct ubr_nbd_reply h = { UBR_NBD_REPLY_CHUNK, 20, 1,
						   0, 0, 1, 8 + len };
			bool model = off >= 1000 && off + len <= 1100;
			bool got;

			ubr_nbd_put64(p, off);
			got = !ubr_nbd_chunk_check(&h, &r, err, sizeof(err)) &&
			      !ubr_nbd_chunk_parse(&h, &r, p, 8, &c, err,
						   sizeof(err));
			wrong += got != model;
			tried++;
		}
	ok(!wrong, "%u data chunks around a read: %u judged unlike the model",
	   tried, wrong);
}

static void errnos(void)
{
	static const struct {
		uint32_t nbd;
		int err;
	} map[] = {
		{ 0, 0 },
		{ 1, -EPERM },
		{ 5, -EIO },
		{ 12, -ENOMEM },
		{ 22, -EINVAL },
		{ 28, -ENOSPC },
		{ 75, -EOVERFLOW },
		{ 95, -EOPNOTSUPP },
		{ 108, -ESHUTDOWN },
		{ 2, -EIO },
		{ 13, -EIO },
		{ 0xffffffffU, -EIO },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ok(ubr_nbd_errno(map[i].nbd) == map[i].err,
		   "NBD error %u -> %d", map[i].nbd, map[i].err);
}

int main(void)
{
	cookies();
	requests();
	headers();
	simple_replies();
	chunk_shapes();
	prefixes();
	error_prefixes();
	data_chunks_model();
	errnos();
	return done_testing();
}
