/* SPDX-License-Identifier: MIT */
/*
 * NBD transmission replies as the target will read them: any bytes as
 * what a server sends for one request. The first 16 bytes pick the
 * request (type, offset, length, structured or not); the rest is the
 * server's stream, walked header by header until the request is answered,
 * a check refuses the stream, or the bytes run out. Every data byte lands
 * in a buffer exactly the request's size, so a check that lets a chunk
 * outside the request through is an ASan report, not a quiet overwrite.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nbd_be.h"
#include "nbd_wire.h"

/* Request lengths up to this: room for every shape of chunk, and small
 * enough that a run is not spent in the allocator. */
#define MAX_LEN (16U << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct stream {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct stream *s, size_t n)
{
	const uint8_t *p = s->p;

	if (s->left < n)
		return NULL;
	s->p += n;
	s->left -= n;
	return p;
}

/* One chunk's payload; returns true when the request is answered. */
static bool chunk(struct stream *s, const struct ubr_nbd_reply *r,
		  const struct ubr_nbd_req *req, uint8_t *buf, bool *stop)
{
	struct ubr_nbd_chunk c;
	const uint8_t *pre, *d;
	uint32_t n;
	char err[256];

	if (ubr_nbd_chunk_check(r, req, err, sizeof(err)))
		return *stop = true;
	n = ubr_nbd_chunk_prefix_len(r);
	if (n > UBR_NBD_CHUNK_PREFIX_MAX)
		abort(); /* the check let an unbounded prefix through */
	pre = take(s, n);
	if (!pre || ubr_nbd_chunk_parse(r, req, pre, n, &c, err, sizeof(err)))
		return *stop = true;
	if (c.msg_len && (size_t)c.msg_off + c.msg_len > n)
		abort(); /* a message outside the prefix */
	if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA) {
		d = take(s, c.length);
		if (!d)
			return *stop = true;
		memcpy(buf + (c.offset - req->offset), d, c.length);
	} else if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_HOLE) {
		memset(buf + (c.offset - req->offset), 0, c.length);
	}
	return r->flags & UBR_NBD_REPLY_FLAG_DONE;
}

static void walk(struct stream *s, const struct ubr_nbd_req *req,
		 bool structured, uint8_t *buf)
{
	struct ubr_nbd_reply r;
	const uint8_t *h, *d;
	char err[256];
	bool stop = false;
	int rc;

	while (!stop) {
		h = s->p;
		/* Written only when the decoder refuses: "" otherwise. */
		err[0] = '\0';
		rc = ubr_nbd_reply_decode(h, s->left, structured, &r, err,
					  sizeof(err));
		if (strchr(err, '\n'))
			abort(); /* a refusal's message is one line */
		if (rc < 0 || !take(s, (size_t)rc))
			return;
		if (r.kind == UBR_NBD_REPLY_CHUNK) {
			if (chunk(s, &r, req, buf, &stop))
				return;
			continue;
		}
		if (ubr_nbd_simple_check(&r, req, structured, err, sizeof(err)))
			return;
		if (req->type == UBR_NBD_CMD_READ && !r.error) {
			d = take(s, req->length);
			if (d)
				memcpy(buf, d, req->length);
		}
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ubr_nbd_req req;
	struct stream s;
	uint8_t out[UBR_NBD_REQUEST_LEN], *buf;
	bool structured;

	if (size < 16)
		return 0;
	req.type = data[0] % 8;
	structured = data[1] & 1;
	req.flags = ubr_nbd_get16(data + 2);
	req.cookie = 1;
	req.offset = ubr_nbd_get64(data + 4);
	req.length = ubr_nbd_get32(data + 12) % (MAX_LEN + 1);
	if (ubr_nbd_req_encode(&req, out))
		return 0; /* a request never sent gets no reply */
	buf = malloc(req.length ? req.length : 1);
	if (!buf)
		return 0;
	s = (struct stream){ data + 16, size - 16 };
	walk(&s, &req, structured, buf);
	free(buf);
	return 0;
}
