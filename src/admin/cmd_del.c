/* SPDX-License-Identifier: MIT */
/*
 * `del [--force] ID|NAME...` and `del --all` as the daemon runs them.
 *
 * The daemon's own devices go through their teardown; a device it left
 * for `recover` (it has a record) is deleted as it is. Any other device
 * the kernel has is looked at first (GET_DEV_INFO on the shared ring):
 * one whose server is gone (a daemon killed with --recovery off leaves it
 * DEAD) is deleted like a recorded one; one a live process serves only
 * with --force. --all takes the daemon's devices and the dead ones.
 *
 * Without --force a device whose disk is open (mounted, held by dm or
 * md, opened by a process) is not deleted (src/device/dev_safe_del.c): the
 * whole del is refused, naming the holder, exit 1.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_dev.h"
#include "ubr_kdev.h"
#include "ubr_reactor.h"
#include "ubr_record.h"
#include "ubr_util.h"

/* One `del` for several devices: answered when the last one is gone. */
struct del_batch {
	struct ubr_reply *rep;
	unsigned pending;
	bool failed;
};

static void del_batch_put(struct del_batch *b)
{
	if (--b->pending)
		return;
	ubr_reply_finish(b->rep, b->failed ? UBR_EXIT_FAIL : UBR_EXIT_OK);
	free(b);
}

/* Refused because the disk is open (src/device/dev_safe_del.c), not for a race. */
static bool in_use_msg(int err, const char *msg)
{
	return err == -EBUSY && msg && ubr_strstr(msg, " is in use: ");
}

static void del_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct del_batch *b = ctx;

	(void)id;
	if (err < 0) {
		b->failed = true;
		ubr_reply_printf(b->rep, 2, "ublk-reactor: %s%s\n",
				 msg && msg[0] ? msg : strerror(-err),
				 in_use_msg(err, msg) ? " (use --force)" : "");
	}
	del_batch_put(b);
}

static void del_fail(struct ubr_reply *rep, const char *msg)
{
	ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", msg);
	ubr_reply_finish(rep, UBR_EXIT_FAIL);
}

/* In the table with this ID, whatever its state (an add in progress too). */
static bool in_table(struct ubr_reactor *r, uint32_t id)
{
	unsigned slot, slots = ubr_dev_slots(r);

	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev && dev->id_known && dev->id == id)
			return true;
	}
	return false;
}

/* What the scan found about the device id, if the kernel has it. */
static const struct ubr_kdev *kdev_find(const struct ubr_kdev *k,
					unsigned nk, uint32_t id)
{
	unsigned i;

	for (i = 0; i < nk; i++)
		if (k[i].id == id)
			return &k[i];
	return NULL;
}

/* The scan's answer, kept for the checks and the deletes. */
struct del_req {
	struct ubr_reply *rep;
	struct ubr_del_args d;
	/* names of adds still preparing (no ID yet): cancel_preparing */
	unsigned nr_cancel;
	char **cancel;
	const struct ubr_kdev *k;
	unsigned nk;
};

/* A device of the kernel's that is not ours: may this del remove it? */
static int check_foreign(const struct del_req *q, uint32_t id, char *msg,
			 size_t len)
{
	const struct ubr_kdev *kd = kdev_find(q->k, q->nk, id);
	const char *none = q->d.nr_ids > 1 ? " (nothing deleted)" : "";

	if (!kd || kd->owner == UBR_KDEV_OURS) {
		snprintf(msg, len, "no device %u%s", id, none);
		return -ENOENT;
	}
	if (kd->owner == UBR_KDEV_OTHER && !q->d.force) {
		if (kd->err < 0)
			snprintf(msg, len, "device %u: GET_DEV_INFO: %s: not deleted without --force%s",
				 id, strerror(-kd->err), none);
		else
			snprintf(msg, len, "device %u is served by another process, pid %d (%s): not deleted without --force%s",
				 id, kd->info.ublksrv_pid,
				 kd->comm[0] ? kd->comm : "?", none);
		return -EBUSY;
	}
	return 0;
}

/*
 * All or nothing: every ID must name a device that can be deleted before
 * any is. Returns 0, or -errno with the reason in msg.
 */
static int del_check_ids(struct ubr_reactor *r, const struct del_req *q,
			 char *msg, size_t len)
{
	const struct ubr_del_args *d = &q->d;
	struct ubr_dev *dev;
	unsigned i;
	int ret;

	for (i = 0; i < d->nr_ids; i++) {
		if (!d->force && ubr_dev_in_use(d->ids[i], msg, len)) {
			snprintf(msg + strlen(msg), len - strlen(msg),
				 " (use --force%s)",
				 d->nr_ids > 1 ? "; nothing deleted" : "");
			return -EBUSY;
		}
		dev = ubr_dev_find(r, d->ids[i]);
		/* Left unrecovered: it has a record, and we can delete it. */
		if (!dev && ubr_record_exists(d->ids[i]))
			continue;
		if (!dev && !in_table(r, d->ids[i])) {
			ret = check_foreign(q, d->ids[i], msg, len);
			if (ret < 0)
				return ret;
			continue;
		}
		if (!dev || ubr_dev_going_away(dev)) {
			snprintf(msg, len, dev ? "device %u is already being deleted%s" :
						 "no device %u%s",
				 d->ids[i], d->nr_ids > 1 ? " (nothing deleted)" : "");
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * Snapshot of the IDs first (a delete may finish, and free, at once): the
 * daemon's devices, then the dead ones. Devices waiting for `recover`
 * and those another process serves are left, as before dead ones were.
 */
static int del_collect_all(struct ubr_reactor *r, struct del_req *q)
{
	unsigned i, n = 0, slots = ubr_dev_slots(r);
	uint32_t *ids = calloc(slots + q->nk + 1, sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < slots; i++) {
		struct ubr_dev *dev = ubr_dev_at(r, i);

		if (dev && dev->id_known && !ubr_dev_going_away(dev))
			ids[n++] = dev->id;
	}
	for (i = 0; i < q->nk; i++)
		if (q->k[i].owner == UBR_KDEV_DEAD && !in_table(r, q->k[i].id))
			ids[n++] = q->k[i].id;
	free(q->d.ids);
	q->d.ids = ids;
	q->d.nr_ids = n;
	return 0;
}

/* Names become IDs; the parser left room in ids[] for one per word. */
static int del_resolve_names(struct ubr_reactor *r, struct del_req *q,
			     char *msg, size_t len)
{
	struct ubr_del_args *d = &q->d;
	struct ubr_dev *dev;
	unsigned i, j;

	for (i = 0; i < d->nr_names; i++) {
		dev = ubr_dev_find_name(r, d->names[i]);
		if (dev && !dev->id_known && dev->state == UBR_DEV_PREPARING) {
			/* An add not in the kernel yet: cancel_preparing. */
			if (!q->cancel)
				q->cancel = calloc(d->nr_names, sizeof(char *));
			if (!q->cancel ||
			    !(q->cancel[q->nr_cancel] = strdup(d->names[i]))) {
				snprintf(msg, len, "out of memory");
				return -ENOMEM;
			}
			q->nr_cancel++;
			continue;
		}
		if (!dev || !dev->id_known) {
			snprintf(msg, len, "no device named '%s'%s", d->names[i],
				 d->nr_ids + d->nr_names > 1 ?
					 " (nothing deleted)" : "");
			return -ENOENT;
		}
		for (j = 0; j < d->nr_ids && d->ids[j] != dev->id; j++)
			;
		if (j == d->nr_ids)
			d->ids[d->nr_ids++] = dev->id;
	}
	return 0;
}

static int del_prepare(struct ubr_reactor *r, struct del_req *q, char *msg,
		       size_t len)
{
	if (q->d.all && del_collect_all(r, q) < 0) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	return del_check_ids(r, q, msg, len);
}

static bool del_names(const struct del_req *q, const struct ubr_dev *dev)
{
	unsigned i;

	if (dev->id_known) {
		for (i = 0; i < q->d.nr_ids; i++)
			if (q->d.ids[i] == dev->id)
				return true;
		return false;
	}
	for (i = 0; dev->opts.name[0] && i < q->nr_cancel; i++)
		if (!strcmp(q->cancel[i], dev->opts.name))
			return true;
	return false;
}

/*
 * A device still preparing (its target's handshake, a helper's connect)
 * is not in the kernel yet, or a recovery has not touched the kernel's
 * device yet: its add or recover fails now, and a recovery's device is
 * then deleted as one nobody serves.
 */
static void cancel_preparing(struct ubr_reactor *r, const struct del_req *q)
{
	unsigned slot, slots = ubr_dev_slots(r);
	struct ubr_dev *dev;

	for (slot = 0; slot < slots; slot++) {
		dev = ubr_dev_at(r, slot);
		if (dev && dev->state == UBR_DEV_PREPARING &&
		    (q->d.all || del_names(q, dev)))
			ubr_dev_prepare_cancel(dev, -ECANCELED,
					       "deleted before it was served");
	}
}

static void del_start(struct ubr_reactor *r, struct del_req *q)
{
	struct del_batch *b;
	char err[256];
	unsigned i;
	int ret;

	ret = del_prepare(r, q, err, sizeof(err));
	b = ret < 0 ? NULL : calloc(1, sizeof(*b));
	if (!b) {
		del_fail(q->rep, ret < 0 ? err : "out of memory");
		return;
	}
	b->rep = q->rep;
	b->pending = 1; /* held until every delete is started */
	cancel_preparing(r, q);
	for (i = 0; i < q->d.nr_ids; i++) {
		b->pending++;
		if (ubr_dev_find(r, q->d.ids[i]) && !q->d.force)
			ubr_dev_del_safe(r, q->d.ids[i], del_done_cb, b);
		else if (ubr_dev_find(r, q->d.ids[i]))
			ubr_dev_del(r, q->d.ids[i], del_done_cb, b);
		else
			ubr_dev_del_unserved(r, q->d.ids[i], del_done_cb, b);
	}
	del_batch_put(b);
}

static void del_req_free(struct del_req *q)
{
	while (q->nr_cancel)
		free(q->cancel[--q->nr_cancel]);
	free(q->cancel);
	ubr_del_args_release(&q->d);
	free(q);
}

static void del_scanned_cb(struct ubr_reactor *r, struct ubr_kdev *k,
			   unsigned nk, void *ctx)
{
	struct del_req *q = ctx;

	q->k = k;
	q->nk = nk;
	if (r->stopping)
		del_fail(q->rep, "the daemon is shutting down");
	else
		del_start(r, q);
	del_req_free(q);
}

void ubr_cmd_del(struct ubr_reactor *r, int argc, char **argv, int *fds,
		 unsigned nfds, struct ubr_reply *rep)
{
	struct del_req *q = calloc(1, sizeof(*q));
	char err[256];
	int ret;

	(void)fds;
	(void)nfds;
	if (!q) {
		del_fail(rep, "out of memory");
		return;
	}
	q->rep = rep;
	ret = ubr_parse_del(argc, argv, &q->d, err, sizeof(err));
	if (ret < 0) {
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", err);
		ubr_reply_finish(rep, ret == -EINVAL ? UBR_EXIT_USAGE :
						      UBR_EXIT_FAIL);
		free(q);
		return;
	}
	/*
	 * Names now, while argv (the request's buffer, where the names
	 * point) is alive: the scan below answers after this returns.
	 */
	ret = del_resolve_names(r, q, err, sizeof(err));
	q->d.nr_names = 0;
	if (ret < 0) {
		del_fail(rep, err);
		del_req_free(q);
		return;
	}
	/* The kernel's devices first: the checks need to know who serves them. */
	ret = ubr_kdev_scan(r, del_scanned_cb, q);
	if (ret < 0) {
		snprintf(err, sizeof(err), "cannot find the kernel's ublk devices: %s",
			 strerror(-ret));
		del_fail(rep, err);
		del_req_free(q);
	}
}
