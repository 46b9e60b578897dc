/* SPDX-License-Identifier: MIT */
/* Stripe arithmetic (see stripe_map.h for the layout). */
#include "config.h"

#include "stripe_map.h"

static uint64_t chunk_of(const struct ubr_stripe_geom *g, uint64_t off)
{
	return off >> g->chunk_shift;
}

static uint64_t chunk_mask(const struct ubr_stripe_geom *g)
{
	return (1ULL << g->chunk_shift) - 1;
}

/* Member offset of device offset `off`. */
static uint64_t member_off(const struct ubr_stripe_geom *g, uint64_t off)
{
	return ((chunk_of(g, off) / g->nr) << g->chunk_shift) |
	       (off & chunk_mask(g));
}

void ubr_stripe_piece_at(const struct ubr_stripe_geom *g, uint64_t off,
			 uint32_t left, struct ubr_stripe_piece *p)
{
	uint64_t to_boundary = (chunk_mask(g) + 1) - (off & chunk_mask(g));

	p->member = (unsigned)(chunk_of(g, off) % g->nr);
	p->member_off = member_off(g, off);
	p->len = to_boundary < left ? (uint32_t)to_boundary : left;
}

unsigned ubr_stripe_nr_pieces(const struct ubr_stripe_geom *g, uint64_t off,
			      uint64_t len)
{
	if (!len)
		return 0;
	return (unsigned)(chunk_of(g, off + len - 1) - chunk_of(g, off) + 1);
}

bool ubr_stripe_member_range(const struct ubr_stripe_geom *g, uint64_t off,
			     uint64_t len, unsigned member, uint64_t *start,
			     uint64_t *mlen)
{
	uint64_t end = off + len, c0, c1, first, last, dstart, dend;

	*start = *mlen = 0;
	if (!len || member >= g->nr)
		return false;
	c0 = chunk_of(g, off);
	c1 = chunk_of(g, end - 1);
	/* The first and last chunks of the range that live on member. */
	first = c0 + (member + g->nr - c0 % g->nr) % g->nr;
	if (first > c1)
		return false;
	last = c1 - (c1 % g->nr + g->nr - member) % g->nr;
	dstart = first == c0 ? off : first << g->chunk_shift;
	dend = last == c1 ? end : (last + 1) << g->chunk_shift;
	*start = member_off(g, dstart);
	*mlen = member_off(g, dend - 1) + 1 - *start;
	return true;
}

uint64_t ubr_stripe_capacity(const struct ubr_stripe_geom *g,
			     const uint64_t *member_sizes)
{
	uint64_t min = member_sizes[0];
	unsigned i;

	for (i = 1; i < g->nr; i++)
		if (member_sizes[i] < min)
			min = member_sizes[i];
	return (min & ~chunk_mask(g)) * g->nr;
}

int ubr_log2_exact(uint64_t v)
{
	int n = 0;

	if (!v || (v & (v - 1)))
		return -1;
	while (v >>= 1)
		n++;
	return n;
}
