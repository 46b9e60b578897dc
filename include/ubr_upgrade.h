/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of a live upgrade (src/admin/daemon_upgrade.c; the
 * command is src/admin/cmd_upgrade.c). The old daemon, its devices left
 * to the kernel, forks a child that executes the new binary with the
 * lock, the listening socket, the client's connection and a pipe, and
 * exits; the new daemon waits for the pipe to close (the old one is gone,
 * so the kernel lets its devices go), recovers them and answers.
 */
#ifndef UBR_UPGRADE_H
#define UBR_UPGRADE_H

#include <stdbool.h>

/* What the old daemon hands over: `daemon --upgraded L:S:C:G[:failed]`. */
struct ubr_upgrade_fds {
	int lock, listen, conn, gone; /* -1: not an upgrade */
	bool failed; /* the binary asked for would not run: this is the old */
};

/* How the new daemon runs: the old one's options. */
struct ubr_upgrade_exec {
	const char *path;
	struct ubr_upgrade_fds fds; /* without gone: handover makes it */
	bool foreground;
	bool verbose;
	const char *config; /* NULL: the default */
};

/*
 * In the old daemon, its loop ended and every device with the kernel:
 * start the new one. 0 once it is started (the caller exits), -errno if
 * not (the devices then wait for `recover`; the client is told).
 */
int ubr_upgrade_handover(const struct ubr_upgrade_exec *x);
/* "L:S:C:G[:failed]": 0, or -EINVAL / -EBADF. */
int ubr_upgrade_parse_fds(struct ubr_upgrade_fds *up, const char *s);
/* In the new daemon: until the old one has exited (30 s at most). */
void ubr_upgrade_wait_old(int gone_fd);

#endif /* UBR_UPGRADE_H */
