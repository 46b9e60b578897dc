/* SPDX-License-Identifier: MIT */
/*
 * The daemon's half of a live upgrade: see include/ubr_upgrade.h.
 *
 * Why a child and not exec in place: Linux 6.12 remembers the task that
 * fetched a queue's requests, and START_USER_RECOVERY expects that task
 * to be exiting: after an exec in place it is not, and ublk_drv warns
 * (seen on 6.12.117, t/kernel/upgrade.sh). An old
 * daemon that exits and a new one in another process is the same path as
 * `stop` and `recover`, which every kernel supports. Under a service
 * manager the old daemon names the new one its main process (MAINPID).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_log.h"
#include "ubr_upgrade.h"
#include "ubr_util.h"

#define OLD_EXIT_WAIT_MS 30000

/* Tell the upgrade's client, on its connection, what went wrong. */
static void say(int conn, const char *fmt, ...) UBR_PRINTF(2, 3);

static void say(int conn, const char *fmt, ...)
{
	char text[512], buf[sizeof(struct ubr_admin_hdr) + sizeof(text)];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ubr_err("%s", text);
	n = ubr_admin_encode_frame(UBR_ADMIN_STDERR, 0, text,
				   strnlen(text, sizeof(text) - 1), buf,
				   sizeof(buf));
	if (n > 0 && send(conn, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		ubr_warn("upgrade: the client is gone: %s", strerror(errno));
}

/*
 * The child: the new binary; if it cannot be executed, this binary again
 * (from /proc/self/exe, which stays even if the file was replaced), which
 * takes the devices back and tells the client the upgrade failed.
 */
static void run_new(const struct ubr_upgrade_exec *x, int gone)
{
	char fds[80], *argv[12];
	int argc = 0;

	argv[argc++] = "ublk-reactor";
	argv[argc++] = "daemon";
	argv[argc++] = "--upgraded";
	argv[argc++] = fds;
	argv[argc++] = x->foreground ? "--foreground" : "--detach";
	if (x->config) {
		argv[argc++] = "--config";
		argv[argc++] = (char *)x->config;
	}
	if (x->verbose)
		argv[argc++] = "--verbose";
	argv[argc] = NULL;
	snprintf(fds, sizeof(fds), "%d:%d:%d:%d", x->fds.lock, x->fds.listen,
		 x->fds.conn, gone);
	execv(x->path, argv);
	say(x->fds.conn, "ublk-reactor: upgrade: cannot run %s: %s: the devices stay with ublk-reactor %s\n",
	    x->path, strerror(errno), PACKAGE_VERSION);
	snprintf(fds, sizeof(fds), "%d:%d:%d:%d:failed", x->fds.lock,
		 x->fds.listen, x->fds.conn, gone);
	execv("/proc/self/exe", argv);
	say(x->fds.conn, "ublk-reactor: upgrade: cannot run this daemon again: %s: the devices wait for recover\n",
	    strerror(errno));
	_exit(UBR_EXIT_FAIL);
}

int ubr_upgrade_handover(const struct ubr_upgrade_exec *x)
{
	int gone[2], err;
	pid_t pid;

	/* The child inherits the read end; the write end closes as we exit. */
	if (pipe2(gone, O_CLOEXEC) < 0 || fcntl(gone[0], F_SETFD, 0) < 0 ||
	    fcntl(x->fds.lock, F_SETFD, 0) < 0 ||
	    fcntl(x->fds.listen, F_SETFD, 0) < 0)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		run_new(x, gone[0]);
	close(gone[0]);
	if (x->foreground)
		ubr_sd_notify("MAINPID=%d", (int)pid);
	ubr_info("upgrade: pid %d runs %s and takes the devices", (int)pid,
		 x->path);
	return 0;
fail:
	err = errno;
	say(x->fds.conn, "ublk-reactor: upgrade: cannot start %s: %s: the devices wait for recover\n",
	    x->path, strerror(err));
	return -err;
}

/*
 * "L:S:C:G" or "L:S:C:G:failed", four descriptor numbers. Digits only,
 * not sscanf: sscanf brings a static musl's whole scanf, floats and all,
 * into the binary (12 KiB on x86-64).
 */
int ubr_upgrade_parse_fds(struct ubr_upgrade_fds *up, const char *s)
{
	int fd[4], i;
	uint64_t v;

	for (i = 0; i < 4; i++) {
		if ((i && *s++ != ':') || ubr_parse_digits(s, &s, &v) ||
		    v > INT_MAX)
			return -EINVAL;
		fd[i] = (int)v;
	}
	if (*s && strcmp(s, ":failed"))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (fd[i] < 3 || fcntl(fd[i], F_GETFD) < 0)
			return -EBADF;
	up->lock = fd[0];
	up->listen = fd[1];
	up->conn = fd[2];
	up->gone = fd[3];
	up->failed = *s != '\0';
	return 0;
}

void ubr_upgrade_wait_old(int gone_fd)
{
	struct pollfd p = { gone_fd, POLLIN, 0 };
	char c;
	int n;

	do
		n = poll(&p, 1, OLD_EXIT_WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		ubr_warn("upgrade: the old daemon has not exited after %d s",
			 OLD_EXIT_WAIT_MS / 1000);
	else if (read(gone_fd, &c, 1) > 0)
		ubr_warn("upgrade: unexpected data from the old daemon");
	close(gone_fd);
}
