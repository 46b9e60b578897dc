/* SPDX-License-Identifier: MIT */
/*
 * The reactor sleeps in io_uring with a poll on libev's epoll descriptor:
 * check that we find that descriptor and that it becomes readable exactly
 * when a libev watcher has an event, without running libev.
 */
#include "config.h"

#include <poll.h>
#include <unistd.h>

#include "tap.h"
#include "ubr_compat.h"

static int fired;

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char c;

	fired++;
	if (read(w->fd, &c, 1) != 1)
		fired = -100;
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int main(void)
{
	struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
	int fd, pipefd[2];
	ev_io w;

	plan(6);
	fd = ubr_ev_backend_fd(loop);
	ok(fd >= 0, "found libev's epoll descriptor (%d)", fd);
	if (pipe(pipefd))
		return 1;
	ev_io_init(&w, read_cb, pipefd[0], EV_READ);
	ev_io_start(loop, &w);
	ev_run(loop, EVRUN_NOWAIT); /* libev adds the fd to epoll now */
	ok(!readable(fd), "idle: the descriptor is not readable");
	if (write(pipefd[1], "x", 1) != 1)
		return 1;
	ok(readable(fd), "an event on a watched fd makes it readable");
	ok(fired == 0, "without running libev");
	ev_run(loop, EVRUN_NOWAIT);
	is_int(fired, 1, "running libev once handles the event");
	ok(!readable(fd), "and the descriptor is quiet again");
	ev_io_stop(loop, &w);
	ev_loop_destroy(loop);
	return done_testing();
}
