/* SPDX-License-Identifier: MIT */
/*
 * `recover [ID...]` and `stop [--delete]` as the daemon runs them.
 *
 * recover reads each device's record (its typed options; a version 1
 * record's add words are parsed again), opens
 * the recorded files itself (root recorded them; no client passes them)
 * and checks they are the same files (a socket-backed target connects to
 * its recorded address and checks the server), then reattaches it. Every
 * device is tried on its own: one that cannot be recovered is reported and
 * left as it is, the others recover.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_record.h"
#include "ubr_target.h"

/*
 * One `recover` for several devices: answered when the last is done, to
 * the client (rep), then to the daemon's start-up (done); either may be
 * missing.
 */
struct recover_batch {
	struct ubr_reply *rep;
	void (*done)(void *ctx);
	void *done_ctx;
	unsigned pending;
	bool failed;
	int status; /* the reply's when every device came back */
};

static void batch_put(struct recover_batch *b)
{
	if (--b->pending)
		return;
	if (b->rep)
		ubr_reply_finish(b->rep, b->failed ? UBR_EXIT_FAIL : b->status);
	if (b->done)
		b->done(b->done_ctx);
	free(b);
}

static void batch_fail(struct recover_batch *b, uint32_t id, const char *msg)
{
	b->failed = true;
	if (b->rep)
		ubr_reply_printf(b->rep, 2, "ublk-reactor: device %" PRIu32 ": %s: not recovered\n",
				 id, msg);
	else
		ubr_warn("dev %" PRIu32 ": %s: not recovered", id, msg);
}

static void recover_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct recover_batch *b = ctx;

	if (err < 0)
		batch_fail(b, id, msg && msg[0] ? msg : strerror(-err));
	else if (b->rep)
		ubr_reply_printf(b->rep, 1, "/dev/ublkb%" PRIu32 "\n", id);
	batch_put(b);
}

/*
 * Is each FILE still the file the device was made with? A socket-backed
 * target's FILE is an address: its new connection is another socket, and
 * the target's init checks the server still fits the device instead.
 */
static int check_files(const struct ubr_dev_opts *o,
		       const struct ubr_record *rec, char *err, size_t len)
{
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	struct stat st;
	unsigned i;

	if (o->nr_files != rec->nr_files) {
		snprintf(err, len, "the record names %u file(s), its words %u",
			 rec->nr_files, o->nr_files);
		return -EINVAL;
	}
	if (t && t->backing == UBR_BACKING_SOCKET)
		return 0;
	for (i = 0; i < o->nr_files; i++) {
		if (fstat(o->fds[i], &st) < 0) {
			snprintf(err, len, "cannot stat %s: %s", o->paths[i],
				 strerror(errno));
			return -errno;
		}
		if ((uint64_t)st.st_dev != rec->file_dev[i] ||
		    (uint64_t)st.st_ino != rec->file_ino[i]) {
			snprintf(err, len, "%s is not the file the device was made with (another device or inode)",
				 o->paths[i]);
			return -ESTALE;
		}
	}
	return 0;
}

/* The options of a record: its own (version 2), or its words parsed. */
static int record_opts(struct ubr_record *rec, struct ubr_dev_opts *o,
		       char *err, size_t len)
{
	char perr[256];
	int ret;

	if (rec->version == 2) {
		*o = rec->opts; /* taken: the record no longer owns them */
		ubr_dev_opts_init(&rec->opts);
		return 0;
	}
	ret = ubr_parse_add((int)rec->nr_words, rec->words, o, perr,
			    sizeof(perr));
	if (ret < 0)
		snprintf(err, len, "its record does not parse: %s", perr);
	return ret;
}

/* The record as add options with open, checked files; err says why not. */
static int record_to_opts(struct ubr_record *rec, struct ubr_dev_opts *o,
			  char *err, size_t len)
{
	int ret;

	ret = record_opts(rec, o, err, len);
	if (ret < 0)
		return ret;
	o->id = rec->id;
	ret = ubr_backing_open_all(o, false, err, len);
	if (!ret)
		ret = check_files(o, rec, err, len);
	if (ret < 0)
		ubr_dev_opts_release(o);
	return ret;
}

static void recover_one(struct ubr_reactor *r, uint32_t id,
			struct recover_batch *b)
{
	struct ubr_record rec;
	struct ubr_dev_opts opts;
	char err[400];
	int ret;

	ret = ubr_record_load(id, &rec, err, sizeof(err));
	if (ret == -ENOENT) {
		batch_fail(b, id, "no recovery record (never added with recovery, or deleted)");
		return;
	}
	if (ret < 0) {
		batch_fail(b, id, err);
		return;
	}
	ret = record_to_opts(&rec, &opts, err, sizeof(err));
	if (!ret) {
		b->pending++;
		ubr_dev_recover(r, &opts, rec.copy_mode, recover_done_cb, b);
	} else {
		batch_fail(b, id, err);
	}
	ubr_record_release(&rec);
}

/* `recover` without IDs: every record whose device we do not serve. */
static int all_ids(struct ubr_reactor *r, struct ubr_del_args *d)
{
	uint32_t *ids;
	unsigned n, i;
	int ret = ubr_record_ids(&ids, &n);

	if (ret < 0)
		return ret;
	d->nr_ids = 0;
	d->ids = ids;
	for (i = 0; i < n; i++)
		if (!ubr_dev_find(r, ids[i]))
			ids[d->nr_ids++] = ids[i];
	return 0;
}

void ubr_cmd_recover(struct ubr_reactor *r, int argc, char **argv, int *fds,
		     unsigned nfds, struct ubr_reply *rep)
{
	struct recover_batch *b;
	struct ubr_del_args d;
	char err[256];
	unsigned i;
	int ret;

	(void)fds;
	(void)nfds;
	ret = ubr_parse_del(argc, argv, &d, err, sizeof(err));
	if (!ret && d.all) {
		ubr_del_args_release(&d);
		ret = all_ids(r, &d);
		snprintf(err, sizeof(err), "cannot list the records: %s",
			 strerror(-ret));
	}
	b = ret ? NULL : calloc(1, sizeof(*b));
	if (!b) {
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n",
				 ret ? err : "out of memory");
		ubr_reply_finish(rep, ret == -EINVAL ? UBR_EXIT_USAGE : UBR_EXIT_FAIL);
		ubr_del_args_release(&d);
		return;
	}
	b->rep = rep;
	b->pending = 1; /* ours, until every device has been started */
	for (i = 0; i < d.nr_ids; i++)
		recover_one(r, d.ids[i], b);
	if (!d.nr_ids)
		ubr_reply_printf(rep, 2, "ublk-reactor: no device to recover\n");
	ubr_del_args_release(&d);
	batch_put(b);
}

/*
 * stop --delete is refused as a whole while one of the devices is in use
 * (src/device/dev_safe_del.c): the daemon serves on, nothing is deleted, and the
 * admin unmounts, or deletes that device with del --force, or stops
 * without --delete (which leaves it recoverable). 1 if refused.
 */
static int stop_refuse_in_use(struct ubr_reactor *r, struct ubr_reply *rep)
{
	unsigned slot, slots = ubr_dev_slots(r);
	char msg[320];

	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (!dev || !dev->id_known ||
		    !ubr_dev_in_use(dev->id, msg, sizeof(msg)))
			continue;
		ubr_reply_printf(rep, 2,
				 "ublk-reactor: %s: not stopped (unmount it, or del --force %u first)\n",
				 msg, dev->id);
		ubr_reply_finish(rep, UBR_EXIT_FAIL);
		return 1;
	}
	return 0;
}

void ubr_cmd_stop(struct ubr_reactor *r, int argc, char **argv, int *fds,
		  unsigned nfds, struct ubr_reply *rep)
{
	bool delete_devs;
	char err[128];

	(void)fds;
	(void)nfds;
	if (ubr_parse_stop(argc, argv, &delete_devs, err, sizeof(err)) < 0) {
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", err);
		ubr_reply_finish(rep, UBR_EXIT_USAGE);
		return;
	}
	if (delete_devs && stop_refuse_in_use(r, rep))
		return;
	ubr_reply_finish(rep, UBR_EXIT_OK);
	if (delete_devs)
		ubr_reactor_stop(r, 0);
	else
		ubr_reactor_detach(r);
}

void ubr_recover_all(struct ubr_reactor *r, struct ubr_reply *rep, int status,
		     void (*done)(void *ctx), void *ctx)
{
	struct recover_batch *b = calloc(1, sizeof(*b));
	struct ubr_del_args d = { 0 };
	unsigned i;

	if (!b || all_ids(r, &d) < 0) {
		ubr_warn("cannot recover the waiting devices: out of memory");
		free(b);
		if (rep) {
			ubr_reply_printf(rep, 2, "ublk-reactor: out of memory: the devices wait for recover\n");
			ubr_reply_finish(rep, UBR_EXIT_FAIL);
		}
		if (done)
			done(ctx);
		return;
	}
	b->rep = rep;
	b->status = status;
	b->done = done;
	b->done_ctx = ctx;
	b->pending = 1;
	for (i = 0; i < d.nr_ids; i++)
		recover_one(r, d.ids[i], b);
	ubr_del_args_release(&d);
	batch_put(b);
}

/* At start-up: forget records of devices that are gone, list the rest. */
void ubr_records_scan(struct ubr_reactor *r, char *list, size_t len)
{
	struct ubr_ctrl_req req;
	uint32_t *ids;
	unsigned n, i;
	size_t used = 0;
	int ret;

	list[0] = '\0';
	if (ubr_record_ids(&ids, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		ret = ubr_ctrl_sync(r, &req, UBLK_U_CMD_GET_DEV_INFO, ids[i]);
		if (ret == -ENODEV) {
			ubr_info("dev %" PRIu32 ": no longer exists: its recovery record is removed",
				 ids[i]);
			ubr_record_remove(ids[i]);
			continue;
		}
		/*
		 * A device still live after its daemon was killed counts:
		 * left out, a `daemon --config` started at once would add its
		 * name again as a new device.
		 */
		if (ret < 0 || !ubr_dev_info_recoverable(&req.buf.info))
			continue;
		ret = snprintf(list + used, len - used, "%s%" PRIu32,
			       used ? " " : "", ids[i]);
		if (ret < 0 || (size_t)ret >= len - used)
			break;
		used += (size_t)ret;
	}
	free(ids);
	if (used)
		ubr_info("device(s) %s can be recovered: ublk-reactor recover",
			 list);
}
