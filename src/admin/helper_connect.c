/* SPDX-License-Identifier: MIT */
/*
 * helper-connect TARGET WORD (include/ubr_helper.h): the daemon's own
 * connection to a socket-backed target's address, for `recover` and the
 * config file. It runs in a process of its own because a name lookup, or
 * a server that neither accepts nor refuses, can each take seconds that
 * the daemon's loop must spend serving its other devices
 * (src/device/backing_connect.c waits for it from the loop). The target's
 * connect hook does the work, as it does in the client for an add; the
 * socket goes back over standard output, or the reason it could not be
 * made.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ubr_fd_pass.h"
#include "ubr_helper.h"
#include "ubr_target.h"

int ubr_helper_connect(int argc, char **argv)
{
	const struct ubr_target_ops *t;
	char why[256] = "";
	int fd = -1, ret;

	if (argc != 3)
		return EINVAL;
	t = ubr_target_find(argv[1]);
	if (!t || t->backing != UBR_BACKING_SOCKET || !t->connect)
		return EINVAL;
	ret = t->connect(argv[2], &fd, why, sizeof(why));
	if (ret < 0) {
		ubr_fd_send(STDOUT_FILENO, -1, why);
		return ubr_helper_errno_status(-ret);
	}
	ret = ubr_fd_send(STDOUT_FILENO, fd, NULL);
	close(fd);
	return ret < 0 ? EIO : 0;
}
