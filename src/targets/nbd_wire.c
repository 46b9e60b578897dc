/* SPDX-License-Identifier: MIT */
/* NBD transmission headers and reply checks (see nbd_wire.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nbd_be.h"
#include "nbd_wire.h"
#include "ubr_util.h"

#define ERR_HDR_LEN 6U	/* error value, message length */
#define HOLE_LEN 12U	/* offset, hole size */
#define OFFSET_LEN 8U

/* A malformed reply: the connection cannot go on. */
#define fail(err, errlen, ...) ubr_errf(-EPROTO, err, errlen, __VA_ARGS__)

static bool has_range(uint16_t type)
{
	return type == UBR_NBD_CMD_READ || type == UBR_NBD_CMD_WRITE ||
	       type == UBR_NBD_CMD_TRIM || type == UBR_NBD_CMD_CACHE ||
	       type == UBR_NBD_CMD_WRITE_ZEROES;
}

int ubr_nbd_req_encode(const struct ubr_nbd_req *req,
		       uint8_t out[UBR_NBD_REQUEST_LEN])
{
	if (has_range(req->type)) {
		if (!req->length || req->offset > (uint64_t)INT64_MAX ||
		    req->length > (uint64_t)INT64_MAX - req->offset)
			return -EINVAL;
	} else if (req->type == UBR_NBD_CMD_DISC ||
		   req->type == UBR_NBD_CMD_FLUSH) {
		if (req->length || req->offset)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	ubr_nbd_put32(out, UBR_NBD_REQUEST_MAGIC);
	ubr_nbd_put16(out + 4, req->flags);
	ubr_nbd_put16(out + 6, req->type);
	ubr_nbd_put64(out + 8, req->cookie);
	ubr_nbd_put64(out + 16, req->offset);
	ubr_nbd_put32(out + 24, req->length);
	return 0;
}

int ubr_nbd_reply_decode(const uint8_t *buf, size_t len, bool structured,
			 struct ubr_nbd_reply *r, char *err, size_t errlen)
{
	uint32_t magic;

	memset(r, 0, sizeof(*r));
	r->hdr_len = UBR_NBD_SIMPLE_REPLY_LEN; /* the shorter: read first */
	if (len < 4)
		return -EAGAIN;
	magic = ubr_nbd_get32(buf);
	if (magic == UBR_NBD_STRUCTURED_REPLY_MAGIC) {
		if (!structured)
			return fail(err, errlen,
				    "structured reply chunk, but structured replies were not agreed");
		r->kind = UBR_NBD_REPLY_CHUNK;
		r->hdr_len = UBR_NBD_CHUNK_HDR_LEN;
	} else if (magic != UBR_NBD_SIMPLE_REPLY_MAGIC) {
		return fail(err, errlen, "bad reply magic 0x%08x", magic);
	}
	if (len < r->hdr_len)
		return -EAGAIN;
	if (r->kind == UBR_NBD_REPLY_SIMPLE) {
		r->error = ubr_nbd_get32(buf + 4);
		r->cookie = ubr_nbd_get64(buf + 8);
	} else {
		r->flags = ubr_nbd_get16(buf + 4);
		r->type = ubr_nbd_get16(buf + 6);
		r->cookie = ubr_nbd_get64(buf + 8);
		r->length = ubr_nbd_get32(buf + 16);
	}
	return (int)r->hdr_len;
}

int ubr_nbd_simple_check(const struct ubr_nbd_reply *r,
			 const struct ubr_nbd_req *req, bool structured,
			 char *err, size_t errlen)
{
	if (structured && req->type == UBR_NBD_CMD_READ && !r->error)
		return fail(err, errlen,
			    "simple reply without error to a read of %u bytes at %llu, after structured replies were agreed",
			    req->length, (unsigned long long)req->offset);
	return 0;
}

static int check_error_chunk(const struct ubr_nbd_reply *r,
			     const struct ubr_nbd_req *req, char *err,
			     size_t errlen)
{
	uint32_t least = ERR_HDR_LEN;

	if (r->type == UBR_NBD_REPLY_TYPE_ERROR_OFFSET) {
		if (!has_range(req->type))
			return fail(err, errlen,
				    "ERROR_OFFSET chunk for a command without a range (type %u)",
				    req->type);
		least += OFFSET_LEN;
	}
	if (r->length < least || r->length > UBR_NBD_CHUNK_PREFIX_MAX)
		return fail(err, errlen,
			    "error chunk (type 0x%04x) of %u bytes, not %u to %u",
			    r->type, r->length, least,
			    UBR_NBD_CHUNK_PREFIX_MAX);
	return 0;
}

static int check_read_chunk(const struct ubr_nbd_reply *r,
			    const struct ubr_nbd_req *req, char *err,
			    size_t errlen)
{
	const char *name = r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA ?
				   "OFFSET_DATA" :
				   "OFFSET_HOLE";

	if (req->type != UBR_NBD_CMD_READ)
		return fail(err, errlen, "%s chunk for a command of type %u",
			    name, req->type);
	if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_HOLE && r->length != HOLE_LEN)
		return fail(err, errlen, "OFFSET_HOLE chunk of %u bytes, not %u",
			    r->length, HOLE_LEN);
	if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA &&
	    (r->length <= OFFSET_LEN || r->length - OFFSET_LEN > req->length))
		return fail(err, errlen,
			    "OFFSET_DATA chunk of %u bytes for a read of %u (8 + 1 to %u)",
			    r->length, req->length, req->length);
	return 0;
}

int ubr_nbd_chunk_check(const struct ubr_nbd_reply *r,
			const struct ubr_nbd_req *req, char *err,
			size_t errlen)
{
	if (r->type & UBR_NBD_REPLY_TYPE_IS_ERR)
		return check_error_chunk(r, req, err, errlen);
	switch (r->type) {
	case UBR_NBD_REPLY_TYPE_NONE:
		if (r->length || !(r->flags & UBR_NBD_REPLY_FLAG_DONE))
			return fail(err, errlen,
				    "NONE chunk of %u bytes%s", r->length,
				    r->flags & UBR_NBD_REPLY_FLAG_DONE ?
					    "" :
					    " without the DONE flag");
		return 0;
	case UBR_NBD_REPLY_TYPE_OFFSET_DATA:
	case UBR_NBD_REPLY_TYPE_OFFSET_HOLE:
		return check_read_chunk(r, req, err, errlen);
	}
	return fail(err, errlen, "chunk of unknown type %u", r->type);
}

uint32_t ubr_nbd_chunk_prefix_len(const struct ubr_nbd_reply *r)
{
	if (r->type & UBR_NBD_REPLY_TYPE_IS_ERR)
		return r->length; /* bounded by ubr_nbd_chunk_check() */
	if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA)
		return OFFSET_LEN;
	if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_HOLE)
		return HOLE_LEN;
	return 0;
}

/* [off, off + len) inside the request's range (no overflow: req is
 * bounded by ubr_nbd_req_encode(), off and len are checked first). */
static bool inside(const struct ubr_nbd_req *req, uint64_t off, uint64_t len)
{
	return off >= req->offset && off - req->offset <= req->length &&
	       len <= req->length - (off - req->offset);
}

static int parse_error(const struct ubr_nbd_reply *r,
		       const struct ubr_nbd_req *req, const uint8_t *p,
		       struct ubr_nbd_chunk *c, char *err, size_t errlen)
{
	bool with_off = r->type == UBR_NBD_REPLY_TYPE_ERROR_OFFSET;
	uint32_t room = r->length - ERR_HDR_LEN - (with_off ? OFFSET_LEN : 0);

	c->error = ubr_nbd_get32(p);
	c->msg_len = ubr_nbd_get16(p + 4);
	c->msg_off = ERR_HDR_LEN;
	if (!c->error)
		return fail(err, errlen, "error chunk with error 0");
	if (c->msg_len > room ||
	    (c->msg_len != room && (r->type == UBR_NBD_REPLY_TYPE_ERROR ||
				    with_off)))
		return fail(err, errlen,
			    "error chunk's message of %u bytes in %u bytes of payload",
			    c->msg_len, r->length);
	if (!with_off)
		return 0;
	c->offset = ubr_nbd_get64(p + ERR_HDR_LEN + c->msg_len);
	if (!inside(req, c->offset, 0) || c->offset == req->offset + req->length)
		return fail(err, errlen,
			    "ERROR_OFFSET at %llu, outside the request's %u bytes at %llu",
			    (unsigned long long)c->offset, req->length,
			    (unsigned long long)req->offset);
	return 0;
}

int ubr_nbd_chunk_parse(const struct ubr_nbd_reply *r,
			const struct ubr_nbd_req *req, const uint8_t *prefix,
			size_t len, struct ubr_nbd_chunk *c, char *err,
			size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (len != ubr_nbd_chunk_prefix_len(r))
		return fail(err, errlen, "chunk prefix of %zu bytes, not %u",
			    len, ubr_nbd_chunk_prefix_len(r));
	if (r->type & UBR_NBD_REPLY_TYPE_IS_ERR)
		return parse_error(r, req, prefix, c, err, errlen);
	if (r->type == UBR_NBD_REPLY_TYPE_NONE)
		return 0;
	c->offset = ubr_nbd_get64(prefix);
	c->length = r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA ?
			    r->length - OFFSET_LEN :
			    ubr_nbd_get32(prefix + OFFSET_LEN);
	if (!c->length)
		return fail(err, errlen, "OFFSET_HOLE of 0 bytes");
	if (!inside(req, c->offset, c->length))
		return fail(err, errlen,
			    "%s of %u bytes at %llu, outside the read of %u bytes at %llu",
			    r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA ?
				    "OFFSET_DATA" :
				    "OFFSET_HOLE",
			    c->length, (unsigned long long)c->offset,
			    req->length, (unsigned long long)req->offset);
	return 0;
}

int ubr_nbd_errno(uint32_t nbd_error)
{
	switch (nbd_error) {
	case 0:
		return 0;
	case UBR_NBD_EPERM:
		return -EPERM;
	case UBR_NBD_ENOMEM:
		return -ENOMEM;
	case UBR_NBD_EINVAL:
		return -EINVAL;
	case UBR_NBD_ENOSPC:
		return -ENOSPC;
	case UBR_NBD_EOVERFLOW:
		return -EOVERFLOW;
	case UBR_NBD_ENOTSUP:
		return -EOPNOTSUPP;
	case UBR_NBD_ESHUTDOWN:
		return -ESHUTDOWN;
	default: /* EIO itself, and every value the protocol does not name */
		return -EIO;
	}
}
