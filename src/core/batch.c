/* SPDX-License-Identifier: MIT */
/* The adaptive polling policy: see include/ubr_batch.h. */
#include "config.h"

#include "ubr_batch.h"

void ubr_batch_init(struct ubr_batch *b, unsigned poll_us, bool busy)
{
	b->poll_us = poll_us;
	b->on = false;
	b->singles = 0;
	b->busy = busy;
}

void ubr_batch_turn(struct ubr_batch *b, unsigned n, bool found)
{
	if (!b->poll_us || !n)
		return;
	if (b->busy) {
		b->on = true;
		return;
	}
	if (b->on) {
		/* A poll that had to give up and sleep: nothing to gain. */
		if (!found || (n == 1 && ++b->singles >= UBR_BATCH_POLL_SINGLES)) {
			b->on = false;
			b->singles = 0;
		} else if (n >= 2) {
			b->singles = 0;
		}
		return;
	}
	if (n >= 2 || ++b->singles >= UBR_BATCH_PROBE_TURNS) {
		b->on = true;
		b->singles = 0;
	}
}
