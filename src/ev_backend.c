/* SPDX-License-Identifier: MIT */
/*
 * The descriptor libev's epoll backend sleeps on.
 *
 * The reactor polls it through the ring, so that libev is run only when it
 * has work. libev has no accessor for it, but embedding a loop makes libev
 * watch exactly that descriptor with an ev_io inside the public ev_embed
 * struct: embed the loop into a throwaway loop, read the descriptor, undo.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ubr_reactor.h"

static void embed_cb(struct ev_loop *loop, ev_embed *w, int revents)
{
}

/* Is fd an epoll instance? */
static bool is_epoll_fd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventpoll]");
}

int ubr_ev_backend_fd(struct ev_loop *loop)
{
	struct ev_loop *outer;
	ev_embed w;
	int fd;

	if (!(ev_backend(loop) & ev_embeddable_backends()))
		return -EOPNOTSUPP;
	outer = ev_loop_new(EVBACKEND_SELECT | EVFLAG_NOENV);
	if (!outer)
		return -ENOMEM;
	ev_embed_init(&w, embed_cb, loop);
	ev_embed_start(outer, &w);
	fd = w.io.fd;
	ev_embed_stop(outer, &w);
	ev_loop_destroy(outer);
	return fd >= 0 && is_epoll_fd(fd) ? fd : -EBADF;
}
