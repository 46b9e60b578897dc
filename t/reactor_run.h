/* SPDX-License-Identifier: MIT */
/*
 * For the tests that run the reactor's loop on a real ring: its first
 * step (a NOP, whose completion goes to the test's UBR_UD_TARGET handler
 * inside the loop), and a run that must end: past a bound, the test prints
 * its failed check and exits, so that a bug that hangs the loop fails the
 * test instead of hanging it.
 */
#ifndef T_REACTOR_RUN_H
#define T_REACTOR_RUN_H

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ubr_reactor.h"
#include "ubr_user_data.h"

static const char *hang_line;
static size_t hang_len;

static void hang_cb(int sig)
{
	(void)sig;
	if (write(1, hang_line, hang_len) < 0)
		_exit(2);
	_exit(1);
}

/* The loop's first completion: a NOP for the UBR_UD_TARGET handler. */
static inline void reactor_kick(struct ubr_reactor *r)
{
	struct io_uring_sqe *sqe = ubr_reactor_sqe(r);

	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, ubr_ud_encode(UBR_UD_TARGET, 0, 0, 0, 0));
}

/*
 * ubr_reactor_run(), or after secs the TAP line not_ok_line
 * ("not ok N - ...\n") and exit 1.
 */
static inline int reactor_run_bounded(struct ubr_reactor *r, unsigned secs,
				      const char *not_ok_line)
{
	int ret;

	hang_line = not_ok_line;
	hang_len = strlen(not_ok_line);
	signal(SIGALRM, hang_cb);
	alarm(secs);
	ret = ubr_reactor_run(r);
	alarm(0);
	return ret;
}

#endif
