/* SPDX-License-Identifier: MIT */
/*
 * The user-facing half of ublk-reactor: command-line parsing, the admin
 * socket protocol between the CLI and the daemon, the client, the daemon's
 * start-up, and the admin server inside the reactor.
 *
 * The CLI and the daemon parse the same words with the same functions: the
 * client parses first, so usage errors never need a daemon, and the daemon
 * parses again, because it trusts nothing that comes over the socket.
 */
#ifndef UBR_CLI_H
#define UBR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ubr_backing.h"
#include "ubr_dev.h"
#include "ubr_features.h"
#include "ubr_log.h"
#include "ubr_util.h"

struct ubr_reactor;

/* --- parsing (src/admin/cli_parse.c) ------------------------------------------ */

/* `add`'s words are a device's options: include/ubr_dev_opts_parse.h. */

/*
 * `del [--force] ID|NAME...` or `del --all` (argv[0] is "del"); also
 * `recover [ID...]`, where no ID means all (d->all).
 */
struct ubr_del_args {
	bool all;
	bool force; /* del: also devices another live process serves */
	unsigned nr_ids;
	uint32_t *ids; /* malloc'ed, duplicates removed, in command order */
	unsigned nr_names;
	const char **names; /* malloc'ed, pointing into argv; deduplicated */
};
int ubr_parse_del(int argc, char **argv, struct ubr_del_args *d, char *err,
		  size_t errlen);
void ubr_del_args_release(struct ubr_del_args *d);

/* A device ID word, 0..UBR_MAX_DEV_ID: 0 or -EINVAL (err says why). */
int ubr_parse_dev_id(const char *arg, uint32_t *id, char *err, size_t errlen);
/* `quiesce ID`, `resume ID` (argv[0] is the command): one ID, no option. */
int ubr_parse_id_cmd(int argc, char **argv, uint32_t *id, char *err,
		     size_t errlen);
/* `update-size ID SIZE`: SIZE as for add --size, a multiple of 512. */
int ubr_parse_update_size(int argc, char **argv, uint32_t *id,
			  uint64_t *size, char *err, size_t errlen);

/* `list [--json]` and `features` take only flags: --json for list. */
int ubr_parse_list(int argc, char **argv, bool *json, char *err,
		   size_t errlen);
int ubr_parse_no_args(int argc, char **argv, char *err, size_t errlen);
/* `stop [--delete]`. */
int ubr_parse_stop(int argc, char **argv, bool *delete_devs, char *err,
		   size_t errlen);

/* `stats [--json] [ID...]` (argv[0] is "stats"); no ID: every device. */
struct ubr_stats_args {
	bool json;
	unsigned nr_ids;
	uint32_t *ids; /* malloc'ed, duplicates removed, in command order */
};
int ubr_parse_stats(int argc, char **argv, struct ubr_stats_args *a,
		    char *err, size_t errlen);
void ubr_stats_args_release(struct ubr_stats_args *a);

/* --- admin protocol (src/admin/admin_proto.c) --------------------------------- */

/*
 * One request is one SOCK_SEQPACKET message: a header, then `count`
 * NUL-terminated words (the command line after "ublk-reactor"), with the
 * client's descriptors as SCM_RIGHTS. Replies are frames with the same
 * header: STDOUT/STDERR carry text, EXIT carries the status in `count` and
 * is always last. Fields are in host order: both ends are on one machine.
 */
#define UBR_ADMIN_MAGIC 0x55425241U /* "UBRA" */
#define UBR_ADMIN_VERSION 1
#define UBR_ADMIN_MAX_ARGS 64
#define UBR_ADMIN_MAX_MSG (64U << 10)
#define UBR_ADMIN_MAX_TEXT (16U << 10) /* text bytes in one reply frame */
#define UBR_ADMIN_MAX_FDS UBR_MAX_FILES

enum ubr_admin_type {
	UBR_ADMIN_REQUEST = 1,
	UBR_ADMIN_STDOUT = 2,
	UBR_ADMIN_STDERR = 3,
	UBR_ADMIN_EXIT = 4,
};

struct ubr_admin_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;	/* enum ubr_admin_type */
	uint32_t count; /* REQUEST: number of words; EXIT: the status */
	uint32_t len;	/* bytes after the header */
};

/* A received request; argv points into buf. */
struct ubr_admin_req {
	int argc;
	char *argv[UBR_ADMIN_MAX_ARGS + 1];
	int fds[UBR_ADMIN_MAX_FDS];
	unsigned nfds;
	char *buf;
};

/* Pure encoding, for the socket functions and the unit tests. */
ssize_t ubr_admin_encode_req(int argc, char *const *argv, char *buf,
			     size_t len);
int ubr_admin_decode_req(char *buf, size_t len, struct ubr_admin_req *req,
			 char *err, size_t errlen);
ssize_t ubr_admin_encode_frame(enum ubr_admin_type type, uint32_t count,
			       const void *text, size_t textlen, char *buf,
			       size_t len);

int ubr_admin_send_req(int sock, int argc, char *const *argv, const int *fds,
		       unsigned nfds);
/*
 * Receive one request. Returns 1 (req filled: release it), 0 (the peer
 * closed), -EAGAIN, -EBADMSG (malformed: err says why, every descriptor
 * that came with it is closed) or another -errno.
 */
int ubr_admin_recv_req(int sock, struct ubr_admin_req *req, char *err,
		       size_t errlen);
void ubr_admin_req_release(struct ubr_admin_req *req);

/* A received reply frame; text points into buf (NUL-terminated). */
struct ubr_admin_frame {
	enum ubr_admin_type type;
	uint32_t count;
	size_t len;
	char text[UBR_ADMIN_MAX_TEXT + 1];
};
/* 1: frame, 0: the peer closed, -EBADMSG (err set) or another -errno. */
int ubr_admin_recv_frame(int sock, struct ubr_admin_frame *f, char *err,
			 size_t errlen);

/* --- socket and lock file names (src/admin/admin_proto.c) -------------------- */

#define UBR_SOCK_NAME "ublk-reactor.sock"
#define UBR_LOCK_NAME "ublk-reactor.lock"

/* The pid the running daemon wrote into its lock file, or 0. */
int ubr_lock_read_pid(int lock_fd);

/* --- admin server, in the daemon (src/admin/admin_server.c) ------------------- */

struct ubr_daemon_ctx;
/* Serve listen_fd; dc->server is set. */
int ubr_admin_server_init(struct ubr_daemon_ctx *dc, int listen_fd);
void ubr_admin_server_deinit(struct ubr_daemon_ctx *dc);

/* --- edges: the processes (src/admin/client.c, src/admin/daemon.c) ------------------ */

/* add, del, list, features: argv[0] is the command word. Exit status. */
int ubr_client_main(int argc, char **argv);
/* The one line a failed command prints ("ublk-reactor: ..."); status. */
int ubr_client_error(int status, const char *fmt, ...) UBR_PRINTF(2, 3);
/*
 * list and del when no daemon runs (src/admin/client_local.c): the kernel's
 * devices, found and deleted by the client itself. Exit status, or
 * -ENOENT: nothing for them to do without a daemon (the caller says that
 * the daemon is not running, as when the kernel has no device).
 */
int ubr_local_list(bool json);
int ubr_local_del(int argc, char **argv);
/* daemon [--foreground] [--config FILE]: argv[0] is "daemon". Exit status. */
int ubr_daemon_main(int argc, char **argv);
/*
 * Start a detached daemon and wait until it serves (or says why it cannot).
 * With notes, tell the user which devices it can recover (`recover`, which
 * says that itself, passes false). Returns 0, -EALREADY (one already
 * runs), or -errno with err set.
 */
int ubr_daemon_spawn(bool notes, char *err, size_t errlen);
/* Tell the user that devices wait for `recover` (stderr). */
void ubr_recoverable_note(const char *ids);
/*
 * The same with `daemon --config FILE` (NULL: the default file, which may
 * be missing) and --verbose. The configuration's errors, which do not stop
 * the daemon, are printed on stderr.
 */
int ubr_daemon_spawn_with(const char *config, bool verbose, bool notes,
			  char *err, size_t errlen);
/*
 * Tell the service manager (systemd's $NOTIFY_SOCKET) "READY=1",
 * "STATUS=...", and the like: 0 (also when there is none to tell), or
 * -errno (src/admin/sd_notify.c).
 */
int ubr_sd_notify(const char *fmt, ...) UBR_PRINTF(1, 2);
/* Why ubr_reactor_init() failed, for a user: "ublk_drv is not loaded..." */
void ubr_reactor_init_strerror(int err, char *buf, size_t len);

#endif /* UBR_CLI_H */
