/* SPDX-License-Identifier: MIT */
/* The adaptive batching policy, driven by made-up turns. */
#include "config.h"

#include "tap.h"
#include "ubr_batch.h"

/* iodepth 1: every turn reaps one completion. */
static void test_single(void)
{
	struct ubr_batch b;
	unsigned i, batched = 0, in_a_row = 0, worst = 0;

	ubr_batch_init(&b, 50);
	is_int(ubr_batch_wait_nr(&b), 1, "starts unbatched: wait for 1");
	is_int(ubr_batch_wait_us(&b), 0, "and no min wait");
	for (i = 0; i < 6500; i++) {
		if (ubr_batch_wait_us(&b)) {
			batched++;
			in_a_row++;
			worst = in_a_row > worst ? in_a_row : worst;
		} else {
			in_a_row = 0;
		}
		ubr_batch_turn(&b, 1);
	}
	is_int(batched, 6500 / (UBR_BATCH_PROBE_TURNS + 1),
	       "one probe every PROBE_TURNS + 1 turns");
	is_int(worst, 1, "a probe that finds one completion is not repeated");
}

static void test_load(void)
{
	struct ubr_batch b;

	ubr_batch_init(&b, 50);
	ubr_batch_turn(&b, 8);
	ok(ubr_batch_wait_us(&b) == 50 && ubr_batch_wait_nr(&b) == 11,
	   "8 completions in a turn: batch, waiting for 8 + 8/4 + 1");
	ubr_batch_turn(&b, 0);
	is_int(ubr_batch_wait_nr(&b), 11, "an empty turn (a timer) changes nothing");
	ubr_batch_turn(&b, 40);
	is_int(ubr_batch_wait_nr(&b), 51, "the batch follows the load up");
	ubr_batch_turn(&b, 3);
	is_int(ubr_batch_wait_nr(&b), 4, "and down");
	ubr_batch_turn(&b, 100000);
	is_int(ubr_batch_wait_nr(&b), UBR_BATCH_MAX_NR, "capped");
	ubr_batch_turn(&b, 1);
	ok(ubr_batch_wait_nr(&b) == 1 && ubr_batch_wait_us(&b) == 0,
	   "a batched turn that reaps one: unbatched again");
	ubr_batch_turn(&b, 2);
	is_int(ubr_batch_wait_us(&b), 50, "two at once: batched again");
}

static void test_off(void)
{
	struct ubr_batch b;
	unsigned i, batched = 0;

	ubr_batch_init(&b, 0);
	for (i = 0; i < 1000; i++) {
		batched += ubr_batch_wait_us(&b) != 0 || ubr_batch_wait_nr(&b) != 1;
		ubr_batch_turn(&b, i % 7);
	}
	is_int(batched, 0, "no min wait (old kernel): never batched");
}

int main(void)
{
	test_single();
	test_load();
	test_off();
	return done_testing();
}
