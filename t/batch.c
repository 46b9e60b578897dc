/* SPDX-License-Identifier: MIT */
/* The adaptive polling policy, driven by made-up turns. */
#include "config.h"

#include "tap.h"
#include "ubr_batch.h"
#include "ubr_reactor.h"

/* iodepth 1: every turn reaps one completion, and a poll never pays. */
static void test_single(void)
{
	struct ubr_batch b;
	unsigned i, polled = 0, in_a_row = 0, worst = 0;

	ubr_batch_init(&b, 50, false);
	is_int(ubr_batch_poll_us(&b), 0, "starts without polling");
	for (i = 0; i < 6500; i++) {
		bool polls = ubr_batch_poll_us(&b) != 0;

		if (polls) {
			polled++;
			in_a_row++;
			worst = in_a_row > worst ? in_a_row : worst;
		} else {
			in_a_row = 0;
		}
		ubr_batch_turn(&b, 1, !polls);
	}
	is_int(polled, 6500 / (UBR_BATCH_PROBE_TURNS + 1),
	       "one probe every PROBE_TURNS + 1 turns");
	is_int(worst, 1, "a probe that finds nothing is not repeated");
}

static void test_load(void)
{
	struct ubr_batch b;
	unsigned i;

	ubr_batch_init(&b, 50, false);
	ubr_batch_turn(&b, 8, true);
	is_int(ubr_batch_poll_us(&b), 50, "8 completions in a turn: poll");
	ubr_batch_turn(&b, 0, false);
	is_int(ubr_batch_poll_us(&b), 50, "an empty turn (a timer) changes nothing");
	for (i = 0; i < 1000; i++)
		ubr_batch_turn(&b, 1 + i % 2, true);
	is_int(ubr_batch_poll_us(&b), 50,
	       "polls that find work go on polling, a single completion between");
	ubr_batch_turn(&b, 5, false);
	is_int(ubr_batch_poll_us(&b), 0, "a poll that found nothing: stop");
	ubr_batch_turn(&b, 1, true);
	is_int(ubr_batch_poll_us(&b), 0, "one completion does not restart it");
	ubr_batch_turn(&b, 2, true);
	is_int(ubr_batch_poll_us(&b), 50, "two at once: poll again");
}

/*
 * iodepth 1 with a round trip shorter than the window: every poll finds
 * the next request, one at a time. Polling must not become the rule.
 */
static void test_quick_single(void)
{
	struct ubr_batch b;
	unsigned i, polled = 0;

	ubr_batch_init(&b, 50, false);
	for (i = 0; i < UBR_BATCH_PROBE_TURNS; i++)
		ubr_batch_turn(&b, 1, true);
	is_int(ubr_batch_poll_us(&b), 50, "PROBE_TURNS single turns: probe");
	for (i = 1; i < UBR_BATCH_POLL_SINGLES; i++)
		ubr_batch_turn(&b, 1, true);
	is_int(ubr_batch_poll_us(&b), 50, "found work: polls on for a while");
	ubr_batch_turn(&b, 1, true);
	is_int(ubr_batch_poll_us(&b), 0,
	       "POLL_SINGLES polled turns of one completion: stop");
	ubr_batch_init(&b, 50, false);
	for (i = 0; i < 6500; i++) {
		polled += ubr_batch_poll_us(&b) != 0;
		ubr_batch_turn(&b, 1, true);
	}
	ok(polled <= 6500 / UBR_BATCH_PROBE_TURNS * UBR_BATCH_POLL_SINGLES,
	   "at most POLL_SINGLES polled turns per probe (%u of 6500)", polled);
}

static void test_off(void)
{
	struct ubr_batch b;
	unsigned i, polled = 0;

	ubr_batch_init(&b, 0, false);
	for (i = 0; i < 1000; i++) {
		polled += ubr_batch_poll_us(&b) != 0;
		ubr_batch_turn(&b, i % 7, i % 3 == 0);
	}
	is_int(polled, 0, "poll window 0: never polls");
}

/*
 * Busy polling: iodepth 1, where the adaptive policy sleeps, polls after
 * every completion, even when the last poll had to give up; an idle
 * daemon (turns that reap nothing) changes nothing.
 */
static void test_busy(void)
{
	struct ubr_batch b;
	unsigned i, polled = 0;

	ubr_batch_init(&b, 50, true);
	is_int(ubr_batch_poll_us(&b), 0, "busy: starts without polling");
	for (i = 0; i < 1000; i++) {
		ubr_batch_turn(&b, 1, i % 2 == 0);
		polled += ubr_batch_poll_us(&b) != 0;
	}
	is_int(polled, 1000, "busy: every turn after a completion polls");
	ubr_batch_turn(&b, 0, false);
	is_int(ubr_batch_poll_us(&b), 50, "busy: an empty turn changes nothing");

	ubr_batch_init(&b, 0, true);
	ubr_batch_turn(&b, 4, true);
	is_int(ubr_batch_poll_us(&b), 0, "busy with window 0: never polls");
}

/*
 * A batch fetch brings several requests in one completion: the turn that
 * reaps it counts each (reap() adds turn_extra to its completions).
 */
static void test_arrivals(void)
{
	static struct ubr_reactor r;
	struct ubr_batch b;

	ubr_reactor_count_arrivals(&r, 1);
	ubr_reactor_count_arrivals(&r, 0);
	is_int(r.turn_extra, 0, "a fetch of one request, or none, adds nothing");
	ubr_reactor_count_arrivals(&r, 8);
	is_int(r.turn_extra, 7, "a fetch of 8 requests adds 7 to its completion");
	ubr_batch_init(&b, 50, false);
	ubr_batch_turn(&b, 1 + r.turn_extra, true);
	ok(ubr_batch_poll_us(&b) != 0,
	   "a turn that reaped one fetch of 8 requests polls the next");
}

/*
 * Turns of n requests every step_us from *t_ns for ms milliseconds, each
 * seen by the policy as a polled turn that found work.
 */
static void turns(struct ubr_batch *b, long long *t_ns, unsigned n,
		  unsigned step_us, unsigned ms)
{
	long long end = *t_ns + ms * 1000000LL;

	while (*t_ns < end) {
		*t_ns += step_us * 1000LL;
		ubr_batch_turn(b, n, true);
		ubr_batch_clock(b, n, *t_ns);
	}
}

/* A gather that serves more requests per second is kept, for a while. */
static void test_gather_pays(void)
{
	struct ubr_batch b;
	long long t = 1000000000LL;

	ubr_batch_init(&b, 500, false);
	is_int(ubr_batch_gather_us(&b), 0, "gathering: off at first");
	turns(&b, &t, 2, 100, UBR_BATCH_PROBE_MS / 2);
	is_int(ubr_batch_gather_us(&b), 0, "off while measuring without it");
	turns(&b, &t, 2, 100, UBR_BATCH_PROBE_MS / 2 + 1);
	is_int(ubr_batch_gather_us(&b), 200,
	       "then on, to measure it: 2/5 of the poll window");
	turns(&b, &t, 4, 100, UBR_BATCH_PROBE_MS + 1);
	is_int(ubr_batch_gather_us(&b), 200, "twice the requests per second: kept");
	turns(&b, &t, 2, 100, UBR_BATCH_HOLD_MS / 2);
	is_int(ubr_batch_gather_us(&b), 200, "kept for the hold, unmeasured");
	turns(&b, &t, 2, 100, UBR_BATCH_HOLD_MS / 2 + 1);
	is_int(ubr_batch_gather_us(&b), 0, "after the hold: measured again");

	/* A hold that ends while the daemon does not poll. */
	turns(&b, &t, 2, 100, UBR_BATCH_PROBE_MS);
	turns(&b, &t, 4, 100, UBR_BATCH_PROBE_MS + 1);
	is_int(ubr_batch_gather_us(&b), 200, "kept again");
	b.on = false;
	t += UBR_BATCH_HOLD_MS * 1000000LL;
	ubr_batch_clock(&b, 1, t);
	b.on = true;
	is_int(ubr_batch_gather_us(&b), 0,
	       "a hold that ended unpolled leaves no gathering behind");
	b.on = false;
	b.gather.on = true;
	is_int(ubr_batch_gather_us(&b), 0, "a turn that does not poll never gathers");
}

/* Rates measured without, then with gathering: is it kept? */
static bool kept(unsigned without, unsigned with)
{
	struct ubr_batch b;
	long long t = 0;

	ubr_batch_init(&b, 500, false);
	turns(&b, &t, without, 100, UBR_BATCH_PROBE_MS + 1);
	turns(&b, &t, with, 100, UBR_BATCH_PROBE_MS + 1);
	return ubr_batch_gather_us(&b) != 0;
}

static void test_gather_verdict(void)
{
	ok(!kept(100, 100), "the same rate with gathering: dropped");
	ok(!kept(100, 30), "a third of the rate (iodepth 4): dropped");
	ok(!kept(100, 100 + UBR_BATCH_GAIN_PCT - 1), "less than the gain: dropped");
	ok(kept(100, 100 + UBR_BATCH_GAIN_PCT + 1), "more than the gain: kept");
}

/* An idle gap in a phase, busy polling, no window: nothing gathers. */
static void test_gather_never(void)
{
	struct ubr_batch b;
	long long t = 0;

	ubr_batch_init(&b, 500, false);
	turns(&b, &t, 2, 100, UBR_BATCH_PROBE_MS - 1);
	t += 10 * UBR_BATCH_PROBE_MS * 1000000LL;
	ubr_batch_turn(&b, 2, true);
	ubr_batch_clock(&b, 2, t);
	is_int(b.gather.phase, UBR_GATHER_IDLE,
	       "a phase with an idle gap in it: measured again, no verdict");
	is_int(ubr_batch_gather_us(&b), 0, "and no gathering meanwhile");

	ubr_batch_init(&b, 500, true);
	turns(&b, &t, 1, 100, 3 * UBR_BATCH_PROBE_MS);
	is_int(b.gather.phase, UBR_GATHER_IDLE, "busy polling never probes");
	is_int(ubr_batch_gather_us(&b), 0, "nor gathers");

	ubr_batch_init(&b, 0, false);
	turns(&b, &t, 8, 100, 3 * UBR_BATCH_PROBE_MS);
	is_int(ubr_batch_gather_us(&b), 0, "poll window 0: never gathers");
}

int main(void)
{
	test_single();
	test_load();
	test_quick_single();
	test_off();
	test_busy();
	test_arrivals();
	test_gather_pays();
	test_gather_verdict();
	test_gather_never();
	return done_testing();
}
