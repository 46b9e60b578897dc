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
	b->gather = (struct ubr_gather){ .phase = UBR_GATHER_IDLE };
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

static void phase_begin(struct ubr_gather *g, enum ubr_gather_phase phase,
			long long now_ns)
{
	g->phase = phase;
	g->on = phase == UBR_GATHER_WITH;
	g->start_ns = now_ns;
	g->n = 0;
}

void ubr_batch_clock(struct ubr_batch *b, unsigned n, long long now_ns)
{
	struct ubr_gather *g = &b->gather;
	long long ns = now_ns - g->start_ns;
	bool pays;

	if (!b->poll_us || b->busy)
		return; /* busy polling is for latency: it never gathers */
	if (g->phase == UBR_GATHER_HOLD) {
		if (ns < UBR_BATCH_HOLD_MS * 1000000LL)
			return;
		phase_begin(g, UBR_GATHER_IDLE, now_ns);
	}
	if (g->phase == UBR_GATHER_IDLE) {
		/* Polling is what shows requests come several at a time. */
		if (b->on)
			phase_begin(g, UBR_GATHER_WITHOUT, now_ns);
		return;
	}
	g->n += n;
	if (ns < UBR_BATCH_PROBE_MS * 1000000LL)
		return;
	/* A phase that outlasted the probe by far had idle time in it. */
	if (ns > 4 * UBR_BATCH_PROBE_MS * 1000000LL) {
		phase_begin(g, UBR_GATHER_IDLE, now_ns);
		return;
	}
	if (g->phase == UBR_GATHER_WITHOUT) {
		g->without_n = g->n;
		g->without_ns = ns;
		phase_begin(g, UBR_GATHER_WITH, now_ns);
		return;
	}
	/* Rates compared without a division: n / ns against without's. */
	pays = g->n * g->without_ns * 100 >
	       g->without_n * ns * (100 + UBR_BATCH_GAIN_PCT);
	phase_begin(g, UBR_GATHER_HOLD, now_ns);
	g->on = pays;
}
