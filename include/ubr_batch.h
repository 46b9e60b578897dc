/* SPDX-License-Identifier: MIT */
/*
 * How long the reactor's next io_uring_enter waits, and for how many
 * completions: the adaptive batching policy, kept apart from the ring so
 * that a unit test can drive it with made-up turns.
 *
 * Under load, one enter should bring back many completions: the kernel's
 * min-wait (see ubr_compat.h) lets it wait up to min_wait_us for wait_nr
 * of them. At iodepth 1 that wait is pure added latency, and a turn cannot
 * tell "one request in flight" from "one of many arrived first". So the
 * policy looks at what turns reap:
 *  - unbatched (wait for 1, no min wait) by default;
 *  - a turn that reaps 2 or more completions shows concurrency: batch,
 *    asking for a little more than that turn reaped;
 *  - a batched turn that still reaps only one found no concurrency: stop;
 *  - after UBR_BATCH_PROBE_TURNS single-completion turns, batch one turn,
 *    in case completions arrive one at a time only because we are quick.
 * Turns that reap nothing (a timer, a signal) teach nothing.
 */
#ifndef UBR_BATCH_H
#define UBR_BATCH_H

#include <stdbool.h>

#define UBR_BATCH_WAIT_US 50	   /* default min wait of a batched enter */
#define UBR_BATCH_MAX_WAIT_US 10000
#define UBR_BATCH_PROBE_TURNS 64
#define UBR_BATCH_MAX_NR 256	   /* completions one enter waits for */

struct ubr_batch {
	unsigned min_wait_us; /* 0: never batch (kernel lacks it, or off) */
	bool on;	      /* the next enter batches */
	unsigned wait_nr;     /* completions it waits for */
	unsigned singles;     /* unbatched single-completion turns in a row */
};

void ubr_batch_init(struct ubr_batch *b, unsigned min_wait_us);
/* A turn is over: it reaped n completions. */
void ubr_batch_turn(struct ubr_batch *b, unsigned n);

static inline unsigned ubr_batch_wait_nr(const struct ubr_batch *b)
{
	return b->on ? b->wait_nr : 1;
}

static inline unsigned ubr_batch_wait_us(const struct ubr_batch *b)
{
	return b->on ? b->min_wait_us : 0;
}

#endif /* UBR_BATCH_H */
