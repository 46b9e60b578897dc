/* SPDX-License-Identifier: MIT */
/*
 * Where the bytes of a striped device live: pure arithmetic, no I/O, unit
 * tested in t/stripe_map.c.
 *
 * The device is cut into chunks of 2^chunk_shift bytes, dealt round-robin
 * to nr members: chunk c lives on member c % nr, at member offset
 * (c / nr) << chunk_shift. The loop target is the same map with one member
 * and a chunk larger than any device (UBR_STRIPE_LINEAR_SHIFT), so both
 * targets share one request engine.
 */
#ifndef UBR_TGT_STRIPE_MAP_H
#define UBR_TGT_STRIPE_MAP_H

#include <stdbool.h>
#include <stdint.h>

/* A chunk of 2^62 bytes: offsets map to themselves on member 0. */
#define UBR_STRIPE_LINEAR_SHIFT 62

struct ubr_stripe_geom {
	unsigned nr;	      /* members, 1..UBR_MAX_FILES */
	unsigned chunk_shift; /* log2 of the chunk size in bytes */
};

/* A run of bytes contiguous both on the device and on one member. */
struct ubr_stripe_piece {
	unsigned member;
	uint64_t member_off;
	uint32_t len;
};

/*
 * The piece starting at device offset `off`: it ends at the next chunk
 * boundary or after `left` bytes, whichever comes first.
 */
void ubr_stripe_piece_at(const struct ubr_stripe_geom *g, uint64_t off,
			 uint32_t left, struct ubr_stripe_piece *p);

/* How many pieces [off, off + len) is cut into. */
unsigned ubr_stripe_nr_pieces(const struct ubr_stripe_geom *g, uint64_t off,
			      uint64_t len);

/*
 * The bytes of [off, off + len) that live on `member` form one contiguous
 * range of that member (its chunks there are adjacent on it): store it in
 * *start / *mlen and return true, or return false if it holds none.
 * Discard and write-zeroes use this: one fallocate per member.
 */
bool ubr_stripe_member_range(const struct ubr_stripe_geom *g, uint64_t off,
			     uint64_t len, unsigned member, uint64_t *start,
			     uint64_t *mlen);

/*
 * Device capacity for members of the given sizes: the smallest rounded
 * down to a whole chunk, times the number of members.
 */
uint64_t ubr_stripe_capacity(const struct ubr_stripe_geom *g,
			     const uint64_t *member_sizes);

/* log2 of v if v is a power of two, else -1. */
int ubr_log2_exact(uint64_t v);

#endif /* UBR_TGT_STRIPE_MAP_H */
