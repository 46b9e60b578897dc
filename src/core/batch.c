/* SPDX-License-Identifier: MIT */
/* The adaptive batching policy: see include/ubr_batch.h. */
#include "config.h"

#include "ubr_batch.h"

void ubr_batch_init(struct ubr_batch *b, unsigned min_wait_us)
{
	b->min_wait_us = min_wait_us;
	b->on = false;
	b->wait_nr = 1;
	b->singles = 0;
}

static void batch_start(struct ubr_batch *b, unsigned nr)
{
	b->on = true;
	b->wait_nr = nr < UBR_BATCH_MAX_NR ? nr : UBR_BATCH_MAX_NR;
	b->singles = 0;
}

void ubr_batch_turn(struct ubr_batch *b, unsigned n)
{
	if (!b->min_wait_us || !n)
		return;
	if (n >= 2) {
		/* Room to grow: the turn reaps whatever is there by then. */
		batch_start(b, n + n / 4 + 1);
		return;
	}
	if (b->on) {
		b->on = false;
		b->singles = 0;
		return;
	}
	if (++b->singles >= UBR_BATCH_PROBE_TURNS)
		batch_start(b, 2);
}
