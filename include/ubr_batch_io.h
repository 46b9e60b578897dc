/* SPDX-License-Identifier: MIT */
/*
 * The buffers of ublk's batch commands (UBLK_F_BATCH_IO, see ublk_abi.h):
 * pure encoders and decoders, kept apart from the queue so that a unit
 * test checks every byte the kernel reads (t/batch_io.c).
 *
 * An element is a struct ublk_elem_header (tag, buf_index, result), then
 * buf_addr when the command's flags have UBLK_BATCH_F_HAS_BUF_ADDR. The
 * zone-append LBA is never sent: the daemon serves no zoned device.
 */
#ifndef UBR_BATCH_IO_H
#define UBR_BATCH_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ublk_abi.h"

/* What one element carries besides the tag and result. */
struct ubr_bio_elem {
	uint16_t tag;
	uint16_t buf_index; /* zero copy (auto registration): the tag's slot */
	int32_t result;	    /* COMMIT only; 0 in a PREP */
	uint64_t buf_addr;  /* buffer copy: the tag's buffer */
};

/* Bytes of one element under the command's UBLK_BATCH_F_* flags. */
unsigned ubr_bio_elem_bytes(uint16_t flags);

/* Write element i of a buffer of elements of this flags' size. */
void ubr_bio_elem_put(void *buf, unsigned i, uint16_t flags,
		      const struct ubr_bio_elem *e);
/* Read element i back (a failed commit's rest is sent again). */
void ubr_bio_elem_get(const void *buf, unsigned i, uint16_t flags,
		      struct ubr_bio_elem *e);

/* The command header in an SQE's command area (16 bytes, zeroed first). */
void ubr_bio_cmd_fill(void *cmd_area, uint16_t q_id, uint16_t flags,
		      uint16_t nr_elem, uint8_t elem_bytes);

/*
 * A COMMIT_IO_CMDS result for nr elements of elem_bytes: how many were
 * committed; *failed is true when element (that count) failed and the
 * rest after it were not tried. A result the kernel cannot give (not a
 * whole number of elements, or more than sent) counts as all failed.
 */
unsigned ubr_bio_commit_result(int res, unsigned nr, unsigned elem_bytes,
			       bool *failed);

/* Tags in a FETCH_IO_CMDS completion of res bytes at buf: at most max. */
unsigned ubr_bio_fetch_tags(const void *buf, int res, uint16_t *tags,
			    unsigned max);

#endif /* UBR_BATCH_IO_H */
