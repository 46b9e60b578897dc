/* SPDX-License-Identifier: MIT */
/*
 * What leans on library internals or kernel quirks (include/ubr_compat.h
 * says why and when each can go).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ublk_abi.h"
#include "ubr_compat.h"
#include "ubr_util.h"

/* --- libev's epoll descriptor --------------------------------------------- */

/*
 * The reactor polls the descriptor libev's epoll backend sleeps on through
 * the ring, so that libev is run only when it has work. Embedding a loop
 * makes libev watch exactly that descriptor with the ev_io inside the
 * ev_embed struct: embed the loop into a throwaway loop, read the
 * descriptor, undo. The throwaway loop never runs, so its backend does not
 * matter: epoll, the one the static build's libev has.
 */

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
	outer = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
	if (!outer)
		return -ENOMEM;
	ev_embed_init(&w, embed_cb, loop);
	ev_embed_start(outer, &w);
	fd = w.io.fd;
	ev_embed_stop(outer, &w);
	ev_loop_destroy(outer);
	return fd >= 0 && is_epoll_fd(fd) ? fd : -EBADF;
}

/* --- kernel quirks ------------------------------------------------------- */

/*
 * Fixed files save a reference count per command, but before 6.13 the
 * ring drops a removed fixed file only once every request submitted before
 * the removal has completed: the idle FETCHes of the other devices never
 * do, so the file, and DEL_DEV with it, would wait forever. Since 6.13 each
 * fixed file is released on its own.
 */
bool ubr_kernel_releases_fixed_files_alone(void)
{
	struct utsname u;
	uint64_t major, minor;
	const char *dot, *end;

	/* Digits, not sscanf, which brings a static musl's whole scanf. */
	if (uname(&u))
		return false;
	if (ubr_parse_digits(u.release, &dot, &major) || *dot != '.')
		return false;
	if (ubr_parse_digits(dot + 1, &end, &minor))
		return false;
	return major > 6 || (major == 6 && minor >= 13);
}

/*
 * Only on kernels with QUIESCE (Linux 6.16+). On 6.12.107, `stop` under
 * fio, after a recover, oopsed the kernel in 1 of 2-5 runs when tmpfs was
 * served inline (a task refcount underflow in io_uring's cancel at the
 * daemon's exit), and in 0 of 13 with the I/O on the ring: the inline
 * turnaround keeps every fetch command armed as blk-mq dispatches to it,
 * which looks like that ublk_drv's cancel-versus-dispatch race (see
 * src/device/dev_detach.c). QUIESCE stands for "new enough": no feature bit or
 * version names the fix.
 */
bool ubr_inline_io_safe(uint64_t ublk_features)
{
	return ublk_features & UBLK_F_QUIESCE;
}
