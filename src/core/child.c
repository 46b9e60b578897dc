/* SPDX-License-Identifier: MIT */
/*
 * Helper processes of this binary (include/ubr_child.h).
 *
 * Why a process: some kernel calls wait uninterruptibly until the
 * requests in flight on a disk are served: writing a disk's
 * queue/scheduler freezes its queue and waits for them, STOP_DEV deletes
 * the disk and waits for them (src/admin/helper_cmds.c). If the daemon
 * made such a call itself (in its thread, or on one of its io_uring
 * workers) and were killed meanwhile, its exit would wait for that call,
 * the call for the requests, and the requests for the daemon: it would
 * never die, /dev/ublkcN would never be released, and the kernel would
 * never abort those requests (seen on Linux 7.2: the device stayed live,
 * the daemon unkillable). A separate process breaks the cycle only if it
 * holds nothing that keeps the daemon's devices open: a fork()ed child
 * would share the mapping of /dev/ublkcN and the ring until it exec()s.
 * posix_spawn() runs the child on the parent's memory until exec (no copy
 * of the mappings), points 0-2 at /dev/null and execs /proc/self/exe;
 * every other descriptor of ours is close-on-exec (made so just before,
 * see spawn_self()), so the child owns nothing of ours.
 * The parent waits for the exec only; the binary is the one running. The
 * child gets a session of its own: a Ctrl-C meant for a foreground daemon
 * must not end a STOP_DEV half-way.
 *
 * The exit is collected through a pidfd watched by the reactor's libev
 * loop (not libev's default loop, so ev_child cannot be used; the daemon
 * handles no SIGCHLD, so nothing else reaps our children).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ubr_child.h"

/* From linux/close_range.h, which the C libraries' headers may lack. */
#define UBR_CLOSE_RANGE_CLOEXEC (1U << 2)
#ifndef SYS_close_range
#define SYS_close_range 436 /* the same on every architecture */
#endif
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

struct ubr_child {
	ev_io w; /* on the pidfd: readable once the child has exited */
	pid_t pid;
	ubr_child_cb cb;
	void *ctx;
	struct ubr_child *next;
};

extern char **environ;

static void child_unlink(struct ubr_reactor *r, struct ubr_child *c)
{
	struct ubr_child **p;

	for (p = &r->children; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
}

static void child_free(struct ubr_reactor *r, struct ubr_child *c)
{
	ev_io_stop(r->loop, &c->w);
	close(c->w.fd);
	child_unlink(r, c);
	free(c);
}

static int exit_result(int status)
{
	if (WIFSIGNALED(status))
		return -EINTR;
	return -WEXITSTATUS(status);
}

static void child_exit_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ubr_reactor *r = ev_userdata(loop);
	struct ubr_child *c = (struct ubr_child *)w;
	ubr_child_cb cb = c->cb;
	void *ctx = c->ctx;
	int status;
	pid_t got;

	(void)revents;
	got = waitpid(c->pid, &status, WNOHANG);
	if (got == 0)
		return; /* not yet: the pidfd said so early */
	if (got < 0)
		status = EXIT_FAILURE << 8; /* cannot happen: it is ours */
	ubr_dbg("helper %d ended: status 0x%x", (int)c->pid, status);
	child_free(r, c);
	if (cb)
		cb(ctx, exit_result(status));
}

/*
 * Default signals, none blocked (the daemon blocks its own for its
 * signalfd), in a new session.
 */
static int spawn_attr_init(posix_spawnattr_t *attr)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawnattr_init(attr))
		return -ENOMEM;
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &all);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETSID);
	return 0;
}

/* 0-2 on /dev/null in the child, or 1 on out if out >= 0. */
static int spawn_files_init(posix_spawn_file_actions_t *fa, int out)
{
	if (posix_spawn_file_actions_init(fa))
		return -ENOMEM;
	if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR, 0) ||
	    posix_spawn_file_actions_adddup2(fa, out >= 0 ? out : 0, 1) ||
	    posix_spawn_file_actions_adddup2(fa, 0, 2)) {
		posix_spawn_file_actions_destroy(fa);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Every descriptor from 3 up close-on-exec, in one call (close_range(2),
 * Linux 5.11): ours all are already, but one opened without the flag
 * would keep a device or the ring alive in the helper. The file action
 * that would close them in the child (addclosefrom_np) is glibc's only:
 * musl, the static build's C library, has none. Nothing opens a
 * descriptor between this and the spawn: one thread.
 */
static int all_close_on_exec(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, UBR_CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static int spawn_self(char *const argv[], int out, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int ret;

	ret = all_close_on_exec();
	if (ret < 0)
		return ret;
	ret = spawn_files_init(&fa, out);
	if (ret < 0)
		return ret;
	ret = spawn_attr_init(&attr);
	if (ret < 0)
		goto destroy_fa;
	ret = -posix_spawn(pid, "/proc/self/exe", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
destroy_fa:
	posix_spawn_file_actions_destroy(&fa);
	return ret;
}

int ubr_child_spawn_out(struct ubr_reactor *r, char *const argv[], int out,
			ubr_child_cb cb, void *ctx)
{
	struct ubr_child *c = calloc(1, sizeof(*c));
	long long t0 = ubr_mono_ns();
	int ret, fd;

	if (!c)
		return -ENOMEM;
	ret = spawn_self(argv, out, &c->pid);
	if (ret < 0)
		goto free_c;
	/*
	 * Nobody else reaps it, so the pid still names our child. A pidfd is
	 * close-on-exec: the next helper does not inherit it.
	 */
	fd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (fd < 0) {
		ret = -errno;
		ubr_err("helper %d: pidfd_open: %s (left to run unwatched)",
			(int)c->pid, strerror(errno));
		goto free_c;
	}
	c->cb = cb;
	c->ctx = ctx;
	ev_io_init(&c->w, child_exit_cb, fd, EV_READ);
	ubr_io_start(r, &c->w);
	c->next = r->children;
	r->children = c;
	/* The time this thread stood still for it (see spawn_self). */
	ubr_dbg("helper %d: %s, started in %lld us", (int)c->pid, argv[1],
		(ubr_mono_ns() - t0) / 1000);
	return 0;
free_c:
	free(c);
	return ret;
}

int ubr_child_spawn(struct ubr_reactor *r, char *const argv[], ubr_child_cb cb,
		    void *ctx)
{
	return ubr_child_spawn_out(r, argv, -1, cb, ctx);
}

void ubr_child_cancel(struct ubr_reactor *r, void *ctx)
{
	struct ubr_child *c;

	for (c = r->children; c; c = c->next) {
		if (c->cb == NULL || c->ctx != ctx)
			continue;
		/* Our child, not yet reaped: the pid is still its. Reaped
		 * as any other when it has gone, without a callback. */
		kill(c->pid, SIGKILL);
		ubr_dbg("helper %d: cancelled", (int)c->pid);
		c->cb = NULL;
		c->ctx = NULL;
	}
}

void ubr_children_forget(struct ubr_reactor *r)
{
	while (r->children) {
		ubr_dbg("helper %d still running: left to finish alone",
			(int)r->children->pid);
		child_free(r, r->children);
	}
}
