/* SPDX-License-Identifier: MIT */
/*
 * ublk's batch command buffers, byte by byte (include/ubr_batch_io.h).
 * In the machine's byte order, which is what the kernel reads: fields
 * are copied through the ABI's structs, never laid out by hand.
 */
#include "config.h"

#include <string.h>

#include "ubr_batch_io.h"

unsigned ubr_bio_elem_bytes(uint16_t flags)
{
	unsigned n = sizeof(struct ublk_elem_header);

	if (flags & UBLK_BATCH_F_HAS_BUF_ADDR)
		n += sizeof(uint64_t);
	if (flags & UBLK_BATCH_F_HAS_ZONE_LBA)
		n += sizeof(uint64_t);
	return n;
}

void ubr_bio_elem_put(void *buf, unsigned i, uint16_t flags,
		      const struct ubr_bio_elem *e)
{
	unsigned size = ubr_bio_elem_bytes(flags);
	char *p = (char *)buf + (size_t)i * size;
	struct ublk_elem_header h = {
		.tag = e->tag,
		.buf_index = e->buf_index,
		.result = e->result,
	};

	memset(p, 0, size);
	memcpy(p, &h, sizeof(h));
	if (flags & UBLK_BATCH_F_HAS_BUF_ADDR)
		memcpy(p + sizeof(h), &e->buf_addr, sizeof(e->buf_addr));
}

void ubr_bio_elem_get(const void *buf, unsigned i, uint16_t flags,
		      struct ubr_bio_elem *e)
{
	unsigned size = ubr_bio_elem_bytes(flags);
	const char *p = (const char *)buf + (size_t)i * size;
	struct ublk_elem_header h;

	memcpy(&h, p, sizeof(h));
	e->tag = h.tag;
	e->buf_index = h.buf_index;
	e->result = h.result;
	e->buf_addr = 0;
	if (flags & UBLK_BATCH_F_HAS_BUF_ADDR)
		memcpy(&e->buf_addr, p + sizeof(h), sizeof(e->buf_addr));
}

void ubr_bio_cmd_fill(void *cmd_area, uint16_t q_id, uint16_t flags,
		      uint16_t nr_elem, uint8_t elem_bytes)
{
	struct ublk_batch_io c = {
		.q_id = q_id,
		.flags = flags,
		.nr_elem = nr_elem,
		.elem_bytes = elem_bytes,
	};

	memcpy(cmd_area, &c, sizeof(c));
}

unsigned ubr_bio_commit_result(int res, unsigned nr, unsigned elem_bytes,
			       bool *failed)
{
	unsigned done;

	*failed = true;
	if (res < 0 || !elem_bytes || (unsigned)res % elem_bytes ||
	    (unsigned)res / elem_bytes > nr)
		return 0;
	done = (unsigned)res / elem_bytes;
	*failed = done < nr;
	return done;
}

unsigned ubr_bio_fetch_tags(const void *buf, int res, uint16_t *tags,
			    unsigned max)
{
	unsigned n;

	if (res <= 0)
		return 0;
	n = (unsigned)res / sizeof(uint16_t);
	if (n > max)
		n = max;
	memcpy(tags, buf, n * sizeof(uint16_t));
	return n;
}
