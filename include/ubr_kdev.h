/* SPDX-License-Identifier: MIT */
/*
 * Every ublk device the kernel has, whoever made it: what `list` shows next
 * to the daemon's own devices, and what `del` may remove when no process
 * serves it any more (a daemon killed with --recovery off leaves its
 * /dev/ublkcN behind, DEAD, until someone sends DEL_DEV).
 *
 * src/device/kdev.c is pure (names, judgement, rows: unit-tested); src/device/kdev_scan.c
 * reads sysfs and /proc and asks the kernel (GET_DEV_INFO), synchronously
 * in a client that found no daemon, on the shared ring in the daemon.
 */
#ifndef UBR_KDEV_H
#define UBR_KDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ublk_abi.h"

struct ubr_reactor;

/* Who serves a kernel device that is not in this daemon's table. */
enum ubr_kdev_owner {
	UBR_KDEV_OURS,	  /* this daemon (being added, or its pid) */
	UBR_KDEV_DEAD,	  /* no live server, cannot get one: deletable */
	UBR_KDEV_ORPHAN,  /* no live server, but another's recovery could
			   * take it back: `del ID` only, not --all */
	UBR_KDEV_OTHER,	  /* a live process: deleted only with --force */
	UBR_KDEV_WAITING, /* has our recovery record: waits for `recover` */
};

#define UBR_COMM_MAX 16 /* TASK_COMM_LEN, with the NUL */

struct ubr_kdev {
	uint32_t id;
	int err; /* GET_DEV_INFO's -errno, 0 when info holds its answer */
	struct ublksrv_ctrl_dev_info info;
	bool has_disk; /* /dev/ublkbN exists (a DEAD device has none) */
	enum ubr_kdev_owner owner;
	char comm[UBR_COMM_MAX]; /* UBR_KDEV_OTHER: the server's name */
};

/* "ublkc12" -> 12: 0, or -EINVAL for any other name. */
int ubr_kdev_parse_name(const char *name, uint32_t *id);
/* "LIVE", "DEAD", "QUIESCED", "FAIL_IO", or "?". */
const char *ubr_kdev_state_name(unsigned state);
/* Does process pid exist (pid > 0)? */
bool ubr_pid_alive(int pid);
/*
 * The owner of a device with this info: recorded (a recovery record of
 * ours names it) wins, then ours (its pid is this process), then a live
 * server pid (server_alive); else an orphan if it was added with user
 * recovery and is not DEAD, dead otherwise.
 */
enum ubr_kdev_owner ubr_kdev_classify(const struct ublksrv_ctrl_dev_info *info,
				      int self_pid, bool server_alive,
				      bool recorded);
const char *ubr_kdev_owner_name(enum ubr_kdev_owner o);
/* One line for the user: "not ours: dead, no server", ... */
void ubr_kdev_describe(const struct ubr_kdev *k, char *buf, size_t len);
/* Why `add --id ID` found ID taken, in one line for the user. */
void ubr_kdev_in_use_msg(const struct ubr_kdev *k, char *buf, size_t len);

/*
 * `list` rows: the header and a device this daemon does not serve, in the
 * columns of the daemon's own rows (UBR_LIST_FMT); JSON: one object.
 */
#define UBR_LIST_FMT "%-4s %-13s %-7s %-9s %6s %5s %7s %-6s %7s %-10s  %s\n"
void ubr_list_header(FILE *f);
void ubr_kdev_text_row(FILE *f, const struct ubr_kdev *k);
void ubr_kdev_json_row(FILE *f, const struct ubr_kdev *k);
/* A JSON string: quotes, backslashes and control characters escaped. */
void ubr_json_str(FILE *f, const char *s);

/* --- src/device/kdev_scan.c ------------------------------------------------------ */

/* The IDs of /sys/class/ublk-char/ublkc*, sorted; *ids malloc'ed. */
int ubr_kdev_ids(uint32_t **ids, unsigned *n);
/*
 * After GET_DEV_INFO answered into k->info (or failed into k->err): look
 * at /dev/ublkbN, the server's pid and name, and our records.
 */
void ubr_kdev_judge(struct ubr_kdev *k);
/*
 * Every kernel device, judged, with GET_DEV_INFO sent and waited for on
 * r's ring right here: only where nothing else uses the ring (a client
 * without a daemon). Devices gone meanwhile are left out. *out malloc'ed.
 */
int ubr_kdev_scan_sync(struct ubr_reactor *r, struct ubr_kdev **out,
		       unsigned *n);
/* STOP_DEV then DEL_DEV, waited for, as ubr_kdev_scan_sync(): 0 or -errno. */
int ubr_kdev_delete_sync(struct ubr_reactor *r, uint32_t id);

/*
 * In the daemon: every kernel device, judged, with GET_DEV_INFO on the
 * shared ring; cb gets them (freed after it returns) from a later
 * completion, or at once when there is none. -ENOMEM: cb is not called.
 * The daemon's own devices are among them: look them up in r's table
 * first (the pid of one being recovered is not ours yet).
 */
typedef void (*ubr_kdev_scan_cb)(struct ubr_reactor *r, struct ubr_kdev *k,
				 unsigned n, void *ctx);
int ubr_kdev_scan(struct ubr_reactor *r, ubr_kdev_scan_cb cb, void *ctx);

#endif /* UBR_KDEV_H */
