/* SPDX-License-Identifier: MIT */
/*
 * The nbd target's reconnect rules (nbd_retry.h): the backoff's sequence
 * and bound, and when a request that lost its connection gives up.
 */
#include "config.h"

#include "nbd_retry.h"
#include "tap.h"

static void backoff(void)
{
	unsigned w = 0, i, prev = 0, steps = 0;
	bool doubling = true;

	ok(ubr_nbd_backoff_next(0) == UBR_NBD_BACKOFF_MIN_MS,
	   "backoff: the first wait is the minimum");
	w = ubr_nbd_backoff_next(0);
	for (i = 0; i < 64; i++) {
		prev = w;
		w = ubr_nbd_backoff_next(w);
		if (w < UBR_NBD_BACKOFF_MAX_MS && w != 2 * prev)
			doubling = false;
		if (w != prev)
			steps++;
	}
	ok(doubling, "  each wait doubles the last below the bound");
	ok(w == UBR_NBD_BACKOFF_MAX_MS && ubr_nbd_backoff_next(w) == w,
	   "  and stays at the bound");
	ok(steps == 6, "  100 ms to 5 s in 6 steps (got %u)", steps);
	ok(ubr_nbd_backoff_next(UBR_NBD_BACKOFF_MAX_MS - 1) ==
		   UBR_NBD_BACKOFF_MAX_MS,
	   "  never past the bound");
}

static void giving_up(void)
{
	uint64_t lost = 0;

	ok(!ubr_nbd_loss_gives_up(&lost, 1000, 3000) && lost == 1000,
	   "first loss: resent, its time kept");
	ok(!ubr_nbd_loss_gives_up(&lost, 3999, 3000) && lost == 1000,
	   "a loss within the timeout of the first: resent, time unchanged");
	ok(ubr_nbd_loss_gives_up(&lost, 4000, 3000),
	   "a loss at the timeout after the first: fails");
	lost = 0;
	ok(!ubr_nbd_loss_gives_up(&lost, 5, 0) && ubr_nbd_loss_gives_up(&lost, 5, 0),
	   "timeout 0: resent once, fails at the next loss");
}

int main(void)
{
	plan(9);
	backoff();
	giving_up();
	return done_testing();
}
