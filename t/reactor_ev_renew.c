/* SPDX-License-Identifier: MIT */
/*
 * The reactor's loop on a real ring, after libev has replaced its epoll
 * descriptor. libev does that when epoll reports an event it cannot place:
 * here a pipe's read end, watched, then stopped (libev leaves it in epoll),
 * then closed while a dup keeps its file alive, as a ring request or a
 * client's copy of a passed socket keeps an nbd socket's. The poll the
 * reactor armed on the old descriptor is made quiet (the dup closed) before
 * a timer runs libev, which then replaces the descriptor. The timer starts
 * a watcher on a second pipe, which only the new descriptor knows (as an
 * nbd handshake or an admin connection that starts after the renewal);
 * an event there, written by a child a while later with nothing else to
 * wake the loop, must reach it, and the loop must sleep until then.
 * Without following the new descriptor, the loop polls the old number:
 * here libev's new descriptor takes the stale pipe's lower number, so the
 * old one is closed and its poll fails at once, a spin (counted in turns);
 * had the number been the same, the poll would sit on the old file and
 * the loop would sleep past the event (bounded by an alarm, so that the
 * bug fails the test instead of hanging it).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reactor_run.h"
#include "tap.h"
#include "ubr_reactor.h"
#include "ubr_user_data.h"

#define HANG_BOUND_S 20	       /* far past the child's write */
#define TICK_S 0.2	       /* the timer whose run of libev renews it */
#define CHILD_WRITE_US 1500000 /* well after the tick */
#define MAX_TURNS 50	       /* about 6 when it sleeps, thousands if not */

static struct ubr_reactor R;
static int stale[2], live[2], keep = -1;
static ev_io stale_w, live_w;
static ev_timer tick;
static bool triggered, released;
static uint64_t runs_at_trigger;
static int live_reads, stale_reads;

static void stale_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	stale_reads++;
}

static void live_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char c;

	(void)loop;
	(void)revents;
	if (read(w->fd, &c, 1) == 1)
		live_reads++;
	R.stopping = true; /* no devices: the loop ends */
}

/* Inside the run of libev that replaced its descriptor. */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	ubr_timer_stop(&R, w);
	ubr_io_start(&R, &live_w);
}

/*
 * A NOP's completion, the loop's first: stop the stale pipe's watcher
 * (libev keeps it in epoll), close its descriptor with its file kept, and
 * give epoll an event on it that libev cannot place.
 */
static void nop_cb(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	(void)cqe;
	ev_io_stop(r->loop, &stale_w);
	keep = dup(stale[0]);
	close(stale[0]);
	if (keep < 0 || write(stale[1], "x", 1) != 1) {
		diag("cannot set the stale pipe up: %s", strerror(errno));
		r->stopping = true;
	}
	runs_at_trigger = r->counters.ev_runs;
	triggered = true;
}

/*
 * The turn that ran libev on that event (libev marks itself for renewal
 * and returns) has armed the next poll on the old descriptor: make the old
 * descriptor quiet before the poll goes in, so that only the timer wakes
 * the loop, and libev renews inside that run.
 */
static void turn_end_cb(struct ubr_reactor *r)
{
	if (!triggered || released || r->counters.ev_runs == runs_at_trigger)
		return;
	close(keep);
	released = true;
}

int main(void)
{
	pid_t child;
	int ret, status;

	if (pipe(stale) || pipe(live))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		usleep(CHILD_WRITE_US);
		_exit(write(live[1], "y", 1) == 1 ? 0 : 1);
	}
	ret = ubr_reactor_init(&R, 0);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("1..0 # SKIP no io_uring here: %s\n", strerror(-ret));
		kill(child, SIGKILL);
		return 0;
	}
	plan(6);
	if (!ok(ret == 0, "reactor set up (%s)", ret ? strerror(-ret) : "ok"))
		return done_testing();
	ubr_reactor_handle(&R, UBR_UD_TARGET, nop_cb);
	R.turn_end = turn_end_cb;
	ev_io_init(&stale_w, stale_cb, stale[0], EV_READ);
	ubr_io_start(&R, &stale_w);
	ev_io_init(&live_w, live_cb, live[0], EV_READ);
	ev_timer_init(&tick, tick_cb, TICK_S, 0.);
	ubr_timer_start(&R, &tick);
	reactor_kick(&R);
	ret = reactor_run_bounded(&R, HANG_BOUND_S,
				  "not ok 2 - the loop slept past the event on the new descriptor\n");
	ok(released, "the stale descriptor's file was let go after libev saw its event");
	is_int(R.ev_gen, 1, "libev replaced its epoll descriptor once, and the reactor followed");
	ok(ret == 0 && live_reads == 1,
	   "the event on the new descriptor reached its watcher (run %d, %d read(s))",
	   ret, live_reads);
	is_int(stale_reads, 0, "the stopped watcher saw nothing");
	/* A poll on the old number, closed since, fails at once: a spin. */
	ok(R.counters.turns < MAX_TURNS,
	   "the loop slept while it waited (%llu turns)",
	   (unsigned long long)R.counters.turns);
	waitpid(child, &status, 0);
	ubr_reactor_deinit(&R);
	return done_testing();
}
