/* SPDX-License-Identifier: MIT */
/* Batch I/O command buffers: every byte the kernel reads, and results. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "ubr_batch_io.h"

static void sizes(void)
{
	is_int(ubr_bio_elem_bytes(0), 8, "header only: 8 bytes");
	is_int(ubr_bio_elem_bytes(UBLK_BATCH_F_AUTO_BUF_REG_FALLBACK), 8,
	       "fallback adds no field");
	is_int(ubr_bio_elem_bytes(UBLK_BATCH_F_HAS_BUF_ADDR), 16,
	       "a buffer address: 16 bytes");
	is_int(ubr_bio_elem_bytes(UBLK_BATCH_F_HAS_BUF_ADDR |
				  UBLK_BATCH_F_HAS_ZONE_LBA),
	       24, "both optional fields: 24 bytes");
}

/* The layout the kernel reads: tag, buf_index, result, then buf_addr. */
static void element_bytes(void)
{
	unsigned char buf[48];
	struct ubr_bio_elem e = { .tag = 0x1234, .buf_index = 0xabcd,
				  .result = -5,
				  .buf_addr = 0x1122334455667788ULL };
	struct ubr_bio_elem back;
	struct ublk_elem_header h;
	uint64_t addr;

	memset(buf, 0xee, sizeof(buf));
	ubr_bio_elem_put(buf, 1, UBLK_BATCH_F_HAS_BUF_ADDR, &e);
	is_int(buf[15], 0xee, "element 1 starts at 16");
	memcpy(&h, buf + 16, sizeof(h));
	ok(h.tag == 0x1234 && h.buf_index == 0xabcd && h.result == -5,
	   "header fields in place");
	memcpy(&addr, buf + 24, sizeof(addr));
	ok(addr == 0x1122334455667788ULL, "buffer address after the header");
	is_int(buf[32], 0xee, "nothing written past the element");
	ubr_bio_elem_get(buf, 1, UBLK_BATCH_F_HAS_BUF_ADDR, &back);
	ok(!memcmp(&back, &e, sizeof(e)), "read back as written");

	memset(buf, 0xee, sizeof(buf));
	ubr_bio_elem_put(buf, 2, 0, &e);
	memcpy(&h, buf + 16, sizeof(h));
	ok(h.tag == 0x1234 && h.result == -5 && buf[15] == 0xee &&
		   buf[24] == 0xee,
	   "an 8-byte element 2 is bytes 16..23, no address");
	ubr_bio_elem_get(buf, 2, 0, &back);
	ok(back.buf_addr == 0 && back.tag == 0x1234,
	   "no address read from an 8-byte element");
}

static void header(void)
{
	unsigned char area[80];
	struct ublk_batch_io c;

	memset(area, 0xee, sizeof(area));
	ubr_bio_cmd_fill(area, 7, UBLK_BATCH_F_HAS_BUF_ADDR, 128, 16);
	memcpy(&c, area, sizeof(c));
	ok(c.q_id == 7 && c.flags == UBLK_BATCH_F_HAS_BUF_ADDR &&
		   c.nr_elem == 128 && c.elem_bytes == 16 && !c.reserved &&
		   !c.reserved2,
	   "command header fields, reserved zero");
	is_int(area[16], 0xee, "header is 16 bytes");
}

static void commit_results(void)
{
	bool failed;

	is_int(ubr_bio_commit_result(64, 8, 8, &failed), 8, "all 8 committed");
	ok(!failed, "and none failed");
	is_int(ubr_bio_commit_result(24, 8, 8, &failed), 3, "3 of 8 committed");
	ok(failed, "the 4th failed");
	is_int(ubr_bio_commit_result(-22, 8, 16, &failed), 0,
	       "an error: none committed");
	ok(failed, "the first failed");
	is_int(ubr_bio_commit_result(20, 8, 16, &failed), 0,
	       "not a whole element: taken as none");
	ok(failed, "and failed");
	is_int(ubr_bio_commit_result(160, 8, 16, &failed), 0,
	       "more than sent: taken as none");
	is_int(ubr_bio_commit_result(0, 0, 8, &failed), 0, "an empty commit");
	ok(!failed, "fails nothing");
}

static void fetch_tags(void)
{
	uint16_t in[4] = { 3, 0, 4095, 17 }, out[4] = { 0 };

	is_int(ubr_bio_fetch_tags(in, 8, out, 4), 4, "8 bytes: 4 tags");
	ok(!memcmp(in, out, sizeof(in)), "in the kernel's order");
	is_int(ubr_bio_fetch_tags(in, 8, out, 2), 2, "never past max");
	is_int(ubr_bio_fetch_tags(in, 0, out, 4), 0, "0 bytes: no tag");
	is_int(ubr_bio_fetch_tags(in, -105, out, 4), 0, "an error: no tag");
	is_int(ubr_bio_fetch_tags(in, 5, out, 4), 2, "an odd byte is ignored");
}

int main(void)
{
	sizes();
	element_bytes();
	header();
	commit_results();
	fetch_tags();
	return done_testing();
}
