/* SPDX-License-Identifier: MIT */
/*
 * Whether the reactor's next turn polls for work before it sleeps: the
 * adaptive policy, kept apart from the ring so that a unit test can drive
 * it with made-up turns.
 *
 * Under load, a turn that sleeps costs two context switches and a wake-up,
 * and the requests that arrive meanwhile wait for it. A turn that polls
 * (submits, then looks at the ring for up to poll_us without sleeping)
 * finds them at once, but at iodepth 1 the poll is CPU spent for nothing:
 * the next request comes a whole round trip later. And a turn cannot tell
 * "one request in flight" from "one of many arrived first". So the policy
 * looks at what turns reap and whether polls pay:
 *  - no poll (sleep until the first completion) by default;
 *  - a turn that reaps 2 or more completions shows concurrency: poll;
 *  - a poll that found nothing in poll_us (the turn slept) stops it, and
 *    so do UBR_BATCH_POLL_SINGLES polled turns in a row that reaped one
 *    completion each (iodepth 1 with a quick round trip: the poll finds
 *    the next request, but only by spinning through the round trip);
 *  - after UBR_BATCH_PROBE_TURNS single-completion turns, poll one turn,
 *    in case completions arrive one at a time only because we are quick.
 * Turns that reap nothing (a timer, a signal) teach nothing.
 *
 * Busy polling (UBLK_REACTOR_POLL=busy) trades CPU for latency: every
 * turn that reaps a completion polls the next, so at iodepth 1 the loop
 * spins through a request's round trip instead of sleeping and being woken
 * for its reply and for the next request. An idle daemon still sleeps:
 * after its last completion it polls one window, finds nothing, and waits.
 *
 * Gathering: a polling turn that sees work may go on looking for a while
 * (the gather, 2/5 of the poll window) before it enters, so that one enter
 * brings several arrivals instead of the first alone. With one device at
 * iodepth 64 the daemon outruns the arrivals: a turn reaped 1.6 requests,
 * and polled turns of one request each kept switching polling off, so the
 * daemon slept and was woken about once per four requests. Gathering
 * lifts that, but in a closed loop it only pays when enough requests are
 * in flight: at iodepth 4 the gather is time in which nothing more can
 * come (doc/PERFORMANCE.md, "Gathering"). Whether it pays cannot be seen
 * from the ring, so it is measured: while polling, the policy serves
 * UBR_BATCH_PROBE_MS without gathering, then as long with it, and keeps
 * gathering for UBR_BATCH_HOLD_MS only if that served UBR_BATCH_GAIN_PCT
 * more requests per second; then it measures again. Busy polling, which
 * is for latency, never gathers.
 *
 * Why not the kernel's min wait (io_uring_enter's min_wait_usec): ublk
 * queues a new request's command as task work that wakes a sleeping
 * waiter at once, whatever the wait asked for, so a wait for N
 * completions slept and woke once per arrival until it had them
 * (measured: doc/PERFORMANCE.md).
 */
#ifndef UBR_BATCH_H
#define UBR_BATCH_H

#include <stdbool.h>

/*
 * The default poll window. Tuned in the benchmark's TCG guest, where time
 * runs about ten times slower than on hardware: 50 (the old min wait)
 * still slept about once per ten I/O at qd64, 500 matched kublk's rate
 * (doc/PERFORMANCE.md). A window only costs its whole length when a poll
 * fails, and a failed poll stops polling.
 */
#define UBR_BATCH_WAIT_US 500
#define UBR_BATCH_MAX_WAIT_US 10000
#define UBR_BATCH_PROBE_TURNS 64
#define UBR_BATCH_POLL_SINGLES 2
#define UBR_BATCH_PROBE_MS 100
#define UBR_BATCH_HOLD_MS 3000
#define UBR_BATCH_GAIN_PCT 5

/* The gathering probe: which phase, since when, and what it measured. */
enum ubr_gather_phase {
	UBR_GATHER_IDLE,  /* not polling: nothing measured */
	UBR_GATHER_WITHOUT, /* measuring turns that do not gather */
	UBR_GATHER_WITH,    /* measuring turns that gather */
	UBR_GATHER_HOLD,    /* keeping the verdict for UBR_BATCH_HOLD_MS */
};

struct ubr_gather {
	enum ubr_gather_phase phase;
	bool on;		/* polled turns gather */
	long long start_ns;	/* of the phase */
	unsigned long long n;	/* requests reaped in the phase so far */
	/* The phase without gathering: its requests, in how long. */
	unsigned long long without_n, without_ns;
};

struct ubr_batch {
	unsigned poll_us; /* 0: never poll */
	bool on;	  /* the next turn polls */
	bool busy;	  /* poll after every turn that reaped something */
	unsigned singles; /* single-completion turns in a row, this state */
	struct ubr_gather gather;
};

void ubr_batch_init(struct ubr_batch *b, unsigned poll_us, bool busy);
/*
 * A turn is over: it reaped n completions, a batch fetch counted once per
 * request it brought (the reactor's reap()); found: its poll (if it
 * polled) saw work before the window ended.
 */
void ubr_batch_turn(struct ubr_batch *b, unsigned n, bool found);

/*
 * The same turn, for the gathering probe, at monotonic time now_ns (a
 * separate call so that the turn tests above need no clock).
 */
void ubr_batch_clock(struct ubr_batch *b, unsigned n, long long now_ns);

/* How long the next turn polls, in microseconds (0: it sleeps at once). */
static inline unsigned ubr_batch_poll_us(const struct ubr_batch *b)
{
	return b->on ? b->poll_us : 0;
}

/* How long a polling turn that sees work goes on looking (0: enter at once). */
static inline unsigned ubr_batch_gather_us(const struct ubr_batch *b)
{
	return b->on && b->gather.on ? b->poll_us * 2 / 5 : 0;
}

#endif /* UBR_BATCH_H */
