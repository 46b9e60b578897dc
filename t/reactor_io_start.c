/* SPDX-License-Identifier: MIT */
/*
 * The reactor's loop on a real ring: a helper process spawned from a
 * ring completion handler (as a device stopped by another process spawns
 * its STOP_DEV helper from an aborted FETCH) is seen to exit, with no
 * timer and nothing else to wake the loop. Its pidfd's ev_io is started
 * outside libev's callbacks: the loop must run libev once before it
 * sleeps, or the watcher never reaches epoll and the loop sleeps forever
 * (src/core/reactor.c, ubr_io_start()). The wait is bounded by an alarm,
 * so that the bug fails the test instead of hanging it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reactor_run.h"
#include "tap.h"
#include "ubr_child.h"
#include "ubr_reactor.h"

#define HANG_BOUND_S 20	     /* far past the helper's 0.2 s */
#define HELPER_SLEEP_US 200000 /* exits after the loop has gone to sleep */

static struct ubr_reactor R;
static int helper_res = 1;
static int helper_calls;

static void helper_done_cb(void *ctx, int res)
{
	(void)ctx;
	helper_calls++;
	helper_res = res;
	R.stopping = true; /* no devices: the loop ends */
}

/* A NOP's completion: spawn the helper from here, inside reap(). */
static void nop_cb(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	char *argv[] = { "reactor-io-start", "helper", NULL };
	int ret;

	(void)cqe;
	ret = ubr_child_spawn(r, argv, helper_done_cb, NULL);
	if (ret < 0) {
		diag("spawn: %s", strerror(-ret));
		r->stopping = true;
	}
}

int main(int argc, char **argv)
{
	int ret;

	if (argc > 1 && !strcmp(argv[1], "helper")) {
		usleep(HELPER_SLEEP_US);
		return 0;
	}
	ret = ubr_reactor_init(&R, 0);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("1..0 # SKIP no io_uring here: %s\n", strerror(-ret));
		return 0;
	}
	plan(3);
	if (!ok(ret == 0, "reactor set up (%s)", ret ? strerror(-ret) : "ok"))
		return done_testing();
	ubr_reactor_handle(&R, UBR_UD_TARGET, nop_cb);
	reactor_kick(&R);
	ret = reactor_run_bounded(&R, HANG_BOUND_S,
				  "not ok 2 - the loop slept past the helper's exit\n");
	ok(ret == 0 && helper_calls == 1,
	   "the loop saw the helper exit (run %d, %d call(s))", ret,
	   helper_calls);
	is_int(helper_res, 0, "the helper's status");
	ubr_reactor_deinit(&R);
	return done_testing();
}
