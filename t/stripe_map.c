/* SPDX-License-Identifier: MIT */
/*
 * The stripe map: hand-worked examples, then every (offset, length) of a
 * small device checked against a byte-by-byte model of the layout.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "stripe_map.h"

#define K 1024ULL

/* The layout, one byte at a time: where device byte `off` lives. */
static void model(const struct ubr_stripe_geom *g, uint64_t off,
		  unsigned *member, uint64_t *moff)
{
	uint64_t chunk = 1ULL << g->chunk_shift, c = off / chunk;

	*member = (unsigned)(c % g->nr);
	*moff = c / g->nr * chunk + off % chunk;
}

static void examples(void)
{
	struct ubr_stripe_geom g = { 3, 16 }; /* 64K chunks on 3 files */
	struct ubr_stripe_piece p;
	uint64_t start, len;

	ubr_stripe_piece_at(&g, 0, 200 * K, &p);
	ok(p.member == 0 && p.member_off == 0 && p.len == 64 * K,
	   "chunk 0: member 0 at 0, cut at the chunk end");
	ubr_stripe_piece_at(&g, 64 * K, 136 * K, &p);
	ok(p.member == 1 && p.member_off == 0 && p.len == 64 * K,
	   "chunk 1: member 1 at 0");
	ubr_stripe_piece_at(&g, 192 * K, 8 * K, &p);
	ok(p.member == 0 && p.member_off == 64 * K && p.len == 8 * K,
	   "chunk 3: back on member 0, one chunk further, cut at the request end");
	ubr_stripe_piece_at(&g, 60 * K, 8 * K, &p);
	ok(p.member == 0 && p.member_off == 60 * K && p.len == 4 * K,
	   "a request across a boundary: first piece up to the boundary");
	ubr_stripe_piece_at(&g, 320 * K + 512, 4096, &p);
	ok(p.member == 2 && p.member_off == 64 * K + 512 && p.len == 4096,
	   "chunk 5 at an odd sector: member 2, second chunk there");
	is_int(ubr_stripe_nr_pieces(&g, 60 * K, 8 * K), 2, "8K across a boundary: 2 pieces");
	is_int(ubr_stripe_nr_pieces(&g, 0, 1024 * K), 16, "1M aligned: 16 pieces");
	is_int(ubr_stripe_nr_pieces(&g, 512, 1024 * K), 17, "1M unaligned: 17 pieces");
	is_int(ubr_stripe_nr_pieces(&g, 512, 0), 0, "nothing: no pieces");

	/* chunks 0..5 of [32K, 352K): m0 gets 0 (half) and 3; m1 1 and 4;
	 * m2 2 and 5 (half). */
	ok(ubr_stripe_member_range(&g, 32 * K, 320 * K, 0, &start, &len) &&
		   start == 32 * K && len == 96 * K,
	   "member 0's share: from mid chunk 0 to the end of chunk 3");
	ok(ubr_stripe_member_range(&g, 32 * K, 320 * K, 2, &start, &len) &&
		   start == 0 && len == 96 * K,
	   "member 2's share: chunk 2 and half of chunk 5");
	ok(!ubr_stripe_member_range(&g, 0, 64 * K, 1, &start, &len),
	   "a range within chunk 0 has nothing on member 1");
	ok(!ubr_stripe_member_range(&g, 0, 64 * K, 3, &start, &len),
	   "no member 3 in a 3-way stripe");
}

static void linear(void)
{
	struct ubr_stripe_geom g = { 1, UBR_STRIPE_LINEAR_SHIFT };
	struct ubr_stripe_piece p;
	uint64_t start, len;

	ubr_stripe_piece_at(&g, 123 * 512, 1U << 20, &p);
	ok(p.member == 0 && p.member_off == 123 * 512 && p.len == 1U << 20,
	   "linear (loop): one piece, offset unchanged");
	is_int(ubr_stripe_nr_pieces(&g, (1ULL << 40) - 512, 1U << 20), 1,
	       "linear: one piece even past 1 TiB");
	ok(ubr_stripe_member_range(&g, 4096, 1ULL << 35, 0, &start, &len) &&
		   start == 4096 && len == 1ULL << 35,
	   "linear: a 32 GiB discard is one range");
}

static void capacity(void)
{
	struct ubr_stripe_geom g = { 3, 16 };
	uint64_t sizes[3] = { 1000 * K, 200 * K + 5, 300 * K };

	is_int((long long)ubr_stripe_capacity(&g, sizes), 3 * 192 * K,
	       "capacity: smallest rounded down to a chunk, times 3");
	sizes[1] = 60 * K;
	is_int((long long)ubr_stripe_capacity(&g, sizes), 0,
	       "a member smaller than a chunk: no capacity");
	is_int(ubr_log2_exact(65536), 16, "log2 of 64K");
	is_int(ubr_log2_exact(3), -1, "3 is not a power of 2");
	is_int(ubr_log2_exact(0), -1, "0 is not a power of 2");
}

/* Pieces of [off, off + len) tile it, each matching the model. */
static bool pieces_match(const struct ubr_stripe_geom *g, uint64_t off,
			 uint32_t len)
{
	struct ubr_stripe_piece p;
	uint64_t pos = off, moff, b;
	unsigned n = 0, member;

	while (pos < off + len) {
		ubr_stripe_piece_at(g, pos, (uint32_t)(off + len - pos), &p);
		if (!p.len)
			return false;
		for (b = 0; b < p.len; b += 512) {
			model(g, pos + b, &member, &moff);
			if (member != p.member || moff != p.member_off + b)
				return false;
		}
		/* A piece never crosses a chunk boundary. */
		if ((pos >> g->chunk_shift) !=
		    ((pos + p.len - 1) >> g->chunk_shift))
			return false;
		pos += p.len;
		n++;
	}
	return pos == off + len && n == ubr_stripe_nr_pieces(g, off, len);
}

/* A member's share of a range is exactly the bytes the model puts there. */
static bool ranges_match(const struct ubr_stripe_geom *g, uint64_t off,
			 uint64_t len)
{
	uint64_t lo[8], hi[8], count[8] = { 0 }, start, mlen, b, moff;
	unsigned m, member;
	bool has;

	for (b = off; b < off + len; b += 512) {
		model(g, b, &member, &moff);
		if (!count[member] || moff < lo[member])
			lo[member] = moff;
		if (!count[member] || moff + 512 > hi[member])
			hi[member] = moff + 512;
		count[member] += 512;
	}
	for (m = 0; m < g->nr; m++) {
		has = ubr_stripe_member_range(g, off, len, m, &start, &mlen);
		if (has != (count[m] != 0))
			return false;
		if (has && (start != lo[m] || mlen != count[m] ||
			    hi[m] - lo[m] != count[m]))
			return false;
	}
	return true;
}

static void exhaustive(unsigned nr, unsigned shift)
{
	struct ubr_stripe_geom g = { nr, shift };
	uint64_t dev = (uint64_t)nr * 4 << shift, off, len;
	unsigned bad_p = 0, bad_r = 0, cases = 0;

	for (off = 0; off < dev; off += 512)
		for (len = 512; off + len <= dev; len += 512) {
			cases++;
			if (!pieces_match(&g, off, (uint32_t)len))
				bad_p++;
			if (!ranges_match(&g, off, len))
				bad_r++;
		}
	ok(!bad_p, "%u members, %llu-byte chunks: pieces of all %u ranges match the layout (%u bad)",
	   nr, 1ULL << shift, cases, bad_p);
	ok(!bad_r, "%u members, %llu-byte chunks: member shares of all %u ranges match (%u bad)",
	   nr, 1ULL << shift, cases, bad_r);
}

int main(void)
{
	examples();
	linear();
	capacity();
	exhaustive(2, 12);
	exhaustive(3, 12);
	exhaustive(8, 12);
	return done_testing();
}
