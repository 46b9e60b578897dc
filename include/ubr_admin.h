/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of an admin request: a command line (the same words the
 * user typed after `ublk-reactor`) and the descriptors the client opened,
 * answered with stdout/stderr text and an exit status, possibly later (an
 * `add` is answered when the device serves I/O).
 */
#ifndef UBR_ADMIN_H
#define UBR_ADMIN_H

#include <stdio.h>

#include "ubr_exit.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

struct ubr_admin_server;
struct ubr_config_ctl;
struct ubr_reply;

/*
 * The daemon: the reactor it drives, and what the admin layer keeps beside
 * it (src/admin/daemon.c owns one). The reactor knows neither the admin server
 * nor the config file; the commands reach them from the reactor they are
 * given with ubr_daemon_of(), which is why only ubr_daemon_dispatch() may
 * call them.
 */
struct ubr_daemon_ctx {
	struct ubr_reactor r;
	struct ubr_admin_server *server; /* src/admin/admin_server.c */
	struct ubr_config_ctl *config;	 /* src/config/config_apply.c, or NULL */
	/* upgrade: the binary to execute once the loop ends, the client's line */
	char *upgrade_path;
	int upgrade_conn;
};

static inline struct ubr_daemon_ctx *ubr_daemon_of(struct ubr_reactor *r)
{
	return container_of(r, struct ubr_daemon_ctx, r);
}

/* Append text to the client's stdout (fd 1) or stderr (fd 2). */
void ubr_reply_printf(struct ubr_reply *rep, int fd, const char *fmt, ...)
	UBR_PRINTF(3, 4);
/* Send the exit status and end the request; rep is gone afterwards. */
void ubr_reply_finish(struct ubr_reply *rep, int status);

/*
 * Execute one admin command in the daemon. Takes ownership of fds. Must end
 * with ubr_reply_finish(), now or from a later completion.
 */
void ubr_daemon_dispatch(struct ubr_daemon_ctx *dc, int argc, char **argv,
			 int *fds, unsigned nfds, struct ubr_reply *rep);

/* Text that fn writes with stdio, appended to stdout: 0 or -ENOMEM. */
int ubr_reply_stream(struct ubr_reply *rep, void (*fn)(FILE *f, void *arg),
		     void *arg);

/* list (src/admin/cmd_list.c) and del (src/admin/cmd_del.c), same contract as the above. */
void ubr_cmd_list(struct ubr_reactor *r, int argc, char **argv, int *fds,
		  unsigned nfds, struct ubr_reply *rep);
void ubr_cmd_del(struct ubr_reactor *r, int argc, char **argv, int *fds,
		 unsigned nfds, struct ubr_reply *rep);

/* recover and stop (src/admin/cmd_recover.c), same contract as the above. */
void ubr_cmd_recover(struct ubr_reactor *r, int argc, char **argv, int *fds,
		     unsigned nfds, struct ubr_reply *rep);
void ubr_cmd_stop(struct ubr_reactor *r, int argc, char **argv, int *fds,
		  unsigned nfds, struct ubr_reply *rep);
/*
 * At start-up, before the loop: remove the records of devices the kernel
 * no longer has; list ("1 3") those waiting to be recovered.
 */
void ubr_records_scan(struct ubr_reactor *r, char *list, size_t len);
/*
 * Recover every device that waits, as `recover` does, then answer rep
 * (status if all came back; rep may be NULL) and call done (may be NULL):
 * a service (daemon --config) takes its devices back before it applies
 * its file, which then finds them unchanged instead of adding them again.
 */
void ubr_recover_all(struct ubr_reactor *r, struct ubr_reply *rep, int status,
		     void (*done)(void *ctx), void *ctx);

/*
 * upgrade PATH (src/admin/cmd_upgrade.c): checks that every device can be
 * handed over, keeps the client's connection for the new daemon, and
 * detaches every device; the daemon then executes PATH (daemon.c).
 */
void ubr_cmd_upgrade(struct ubr_reactor *r, int argc, char **argv, int *fds,
		     unsigned nfds, struct ubr_reply *rep);
/* The connection's descriptor, duplicated (not close-on-exec), or -errno. */
int ubr_reply_dup_fd(struct ubr_reply *rep);
/*
 * A connection inherited over an upgrade, whose request the old daemon
 * took: its reply, to write and finish as usual. NULL: out of memory.
 */
struct ubr_reply *ubr_admin_adopt(struct ubr_daemon_ctx *dc, int fd);

#endif /* UBR_ADMIN_H */
