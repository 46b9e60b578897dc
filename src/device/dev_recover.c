/* SPDX-License-Identifier: MIT */
/*
 * Reattaching a device the kernel kept after its daemon went away (user
 * recovery), as a chain of asynchronous control commands like an add:
 *
 *   GET_DEV_INFO (quiesced or failing I/O? same shape? still live with a
 *   dead server: ask again) -> GET_PARAMS (the
 *   size, which update-size may have changed) -> target init -> START_USER_
 *   RECOVERY (-EBUSY until the old daemon's descriptors are all gone: retry)
 *   -> open /dev/ublkcN, map queues -> FETCH every tag + END_USER_RECOVERY
 *   -> live
 *
 * Until START_USER_RECOVERY succeeds nothing changes in the kernel, so a
 * failure leaves the device waiting for another try. After it, a failure
 * takes the device down like a failed add: the kernel cannot be handed
 * back a half-recovered device.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_kdev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_record.h"
#include "ubr_target.h"

#define RETRY_INTERVAL 0.1 /* s between START_USER_RECOVERY tries */
#define RETRY_MAX 300	   /* the old process may take a while to go */
/*
 * A device stays live for a while after its server died: the kernel
 * quiesces it once it has cancelled the dead server's commands, which
 * 6.12 does from a worker after the process is gone (under TCG, seconds
 * later). A recover or a `daemon --config` that starts in that window
 * waits for it, up to 60 s, instead of refusing a device that is about to
 * become recoverable.
 */
#define LIVE_WAIT_MAX 600

struct recover_state {
	ev_timer retry_w;
	struct ubr_dev *dev;
	void (*retry)(struct ubr_dev *dev); /* what retry_w does */
	unsigned tries;
	unsigned live_waits;
	/*
	 * What the user asked for: dev->opts holds the device's copy mode and
	 * size while the target is set up to match the kernel's device, and
	 * these again after, so that reload compares what the user said.
	 */
	enum ubr_copy_mode asked_copy;
	uint64_t asked_size;
	struct ublk_params params; /* the kernel's, for the target's init */
};

static void recover_state_free(struct ubr_dev *dev)
{
	struct recover_state *st = dev->recover;

	if (!st)
		return;
	ubr_timer_stop(dev->r, &st->retry_w);
	free(st);
	dev->recover = NULL;
}

/* Before START_USER_RECOVERY: the kernel's device is left as it was. */
static void recover_refused(struct ubr_dev *dev, int err)
{
	if (!dev->err)
		dev->err = err;
	ubr_warn("%s", dev->err_msg);
	recover_state_free(dev);
	ubr_dev_finish(dev);
}

static void recover_failed(struct ubr_dev *dev, int err, const char *what)
{
	if (!dev->err) {
		dev->err = err;
		ubr_dev_set_err(dev, "dev %u: recovery failed at %s: %s: the device is deleted",
				dev->id, what, strerror(-err));
	}
	ubr_warn("%s", dev->err_msg);
	recover_state_free(dev);
	ubr_dev_teardown(dev);
}

static void end_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			int res)
{
	struct ubr_dev *dev = req->ctx;

	(void)r;
	if (res < 0) {
		recover_failed(dev, res, "END_USER_RECOVERY");
		return;
	}
	recover_state_free(dev);
	ubr_info("dev %u: recovered: serving /dev/ublkb%u again (%s, %s copy, recovery %s)",
		 dev->id, dev->id, dev->ops->name,
		 ubr_copy_mode_name(dev->copy_mode),
		 ubr_recovery_name(dev->recovery));
	ubr_dev_go_live(dev);
}

static void start_recovery(struct ubr_dev *dev);

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct recover_state *st = (struct recover_state *)w;

	(void)loop;
	(void)revents;
	ubr_timer_stop(st->dev->r, w);
	st->retry(st->dev);
}

static void start_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			  int res)
{
	struct ubr_dev *dev = req->ctx;
	struct recover_state *st = dev->recover;
	int ret;

	if (res == -EBUSY && ++st->tries < RETRY_MAX && !r->stopping) {
		/* The old daemon's /dev/ublkcN is not released yet. */
		st->retry = start_recovery;
		ubr_timer_start(r, &st->retry_w);
		return;
	}
	if (res < 0) {
		ubr_dev_set_err(dev, "dev %u: START_USER_RECOVERY: %s%s", dev->id,
				strerror(-res), res == -EBUSY ?
				" (is another process still serving it?)" : "");
		recover_refused(dev, res);
		return;
	}
	/* From here the device is ours: a failure deletes it. */
	dev->state = UBR_DEV_RECOVERING;
	dev->recorded = true;
	ubr_dev_names_publish(dev);
	ret = ubr_dev_open_cdev(dev);
	if (!ret)
		ret = ubr_queues_setup(dev);
	if (ret < 0) {
		recover_failed(dev, ret, "queue setup");
		return;
	}
	ubr_queues_fetch_all(dev);
	if (!ubr_ctrl_submit(r, UBLK_U_CMD_END_USER_RECOVERY, dev->id, getpid(),
			     end_done_cb, dev))
		recover_failed(dev, -ENOMEM, "END_USER_RECOVERY");
}

static void start_recovery(struct ubr_dev *dev)
{
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_START_USER_RECOVERY, dev->id, 0,
			     start_done_cb, dev)) {
		ubr_dev_set_err(dev, "dev %u: out of memory", dev->id);
		recover_refused(dev, -ENOMEM);
	}
}

/* The recovery mode the kernel's device was added with (check_info: it has one). */
static enum ubr_recovery kernel_recovery(uint64_t flags)
{
	if (flags & UBLK_F_USER_RECOVERY_FAIL_IO)
		return UBR_RECOVERY_FAIL_IO;
	if (flags & UBLK_F_USER_RECOVERY_REISSUE)
		return UBR_RECOVERY_REISSUE;
	return UBR_RECOVERY_QUEUE;
}

/* The target is ready to serve the kernel's device (or not). */
static void recover_prepared(struct ubr_dev *dev, int ret)
{
	struct recover_state *st = dev->recover;

	dev->recover_params = NULL;
	dev->opts.size = st->asked_size;
	dev->opts.copy_mode = st->asked_copy;
	dev->recovery = kernel_recovery(dev->info.flags);
	dev->state = UBR_DEV_ADDING;
	if (ret < 0) {
		recover_refused(dev, ret);
		return;
	}
	start_recovery(dev);
}

static void params_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			   int res)
{
	struct ubr_dev *dev = req->ctx;
	struct recover_state *st = dev->recover;

	(void)r;
	if (res < 0) {
		ubr_dev_set_err(dev, "dev %u: GET_PARAMS: %s", dev->id,
				strerror(-res));
		recover_refused(dev, res);
		return;
	}
	/* The target serves the kernel's size: update-size may have changed it. */
	dev->opts.size = req->buf.params.basic.dev_sectors << 9;
	/* Kept here: the target's init may outlive this request. */
	st->params = req->buf.params;
	dev->recover_params = &st->params;
	ubr_dev_prepare(dev, recover_prepared);
}

static const char *kernel_state_name(unsigned s)
{
	switch (s) {
	case UBLK_S_DEV_DEAD: return "dead (not started)";
	case UBLK_S_DEV_LIVE: return "live";
	case UBLK_S_DEV_QUIESCED: return "quiesced";
	case UBLK_S_DEV_FAIL_IO: return "failing I/O";
	}
	return "unknown";
}

/*
 * No server, a dead one, or our own pid: an upgrade executed this binary
 * in the process of the daemon before it (src/admin/cmd_upgrade.c).
 */
static bool server_gone(const struct ublksrv_ctrl_dev_info *i)
{
	return i->ublksrv_pid == getpid() || !ubr_pid_alive(i->ublksrv_pid);
}

bool ubr_dev_info_recoverable(const struct ublksrv_ctrl_dev_info *i)
{
	if (!(i->flags & UBLK_F_USER_RECOVERY))
		return false;
	if (i->state == UBLK_S_DEV_QUIESCED || i->state == UBLK_S_DEV_FAIL_IO)
		return true;
	return i->state == UBLK_S_DEV_LIVE && server_gone(i);
}

/*
 * Was the kernel's device added in the recorded copy mode? Zero copy
 * devices carry SUPPORT_ZERO_COPY too where the kernel had it (for the
 * fallback registrations), so that bit alone tells only zero-explicit;
 * and USER_COPY too for a socket target (UBR_TGT_ZERO_COPY_SOCKET).
 */
static bool copy_flags_match(enum ubr_copy_mode m, uint64_t flags)
{
	uint64_t f = flags & (UBLK_F_USER_COPY | UBLK_F_AUTO_BUF_REG |
			      UBLK_F_SUPPORT_ZERO_COPY);
	uint64_t z = f & ~UBLK_F_USER_COPY;

	switch (m) {
	case UBR_COPY_USER: return f == UBLK_F_USER_COPY;
	case UBR_COPY_ZERO: return (z & ~UBLK_F_SUPPORT_ZERO_COPY) ==
				   UBLK_F_AUTO_BUF_REG;
	case UBR_COPY_ZERO_EXPLICIT: return z == UBLK_F_SUPPORT_ZERO_COPY;
	default: return f == 0;
	}
}

/* Does the kernel's device look like the one the record describes? */
static int check_info(struct ubr_dev *dev, const struct ublksrv_ctrl_dev_info *i)
{

	if (i->state == UBLK_S_DEV_LIVE && !server_gone(i)) {
		ubr_dev_set_err(dev, "device %u is live, served by process %d",
				dev->id, i->ublksrv_pid);
		return -EBUSY;
	}
	if (i->state == UBLK_S_DEV_LIVE && (i->flags & UBLK_F_USER_RECOVERY)) {
		ubr_dev_set_err(dev, "device %u is still live though its server (process %d) is gone",
				dev->id, i->ublksrv_pid);
		return -EAGAIN; /* see LIVE_WAIT_MAX */
	}
	if (!(i->flags & UBLK_F_USER_RECOVERY)) {
		ubr_dev_set_err(dev, "device %u was added without recovery: it cannot be recovered",
				dev->id);
		return -EINVAL;
	}
	if (i->state != UBLK_S_DEV_QUIESCED && i->state != UBLK_S_DEV_FAIL_IO) {
		ubr_dev_set_err(dev, "device %u is not in a recoverable state (%s)",
				dev->id, kernel_state_name(i->state));
		return -EINVAL;
	}
	if (!copy_flags_match(dev->opts.copy_mode, i->flags) ||
	    i->nr_hw_queues != dev->opts.nr_queues ||
	    i->queue_depth != dev->opts.depth) {
		ubr_dev_set_err(dev, "device %u does not match its record (queues, depth or copy mode differ)",
				dev->id);
		return -EINVAL;
	}
	return 0;
}

static void ask_info(struct ubr_dev *dev);

static void info_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			 int res)
{
	struct ubr_dev *dev = req->ctx;
	struct recover_state *st = dev->recover;
	struct ubr_ctrl_req *p;
	int ret;

	if (res == -ENODEV) {
		ubr_dev_set_err(dev, "device %u no longer exists", dev->id);
		recover_refused(dev, res);
		return;
	}
	if (res < 0) {
		ubr_dev_set_err(dev, "dev %u: GET_DEV_INFO: %s", dev->id,
				strerror(-res));
		recover_refused(dev, res);
		return;
	}
	dev->info = req->buf.info;
	ret = check_info(dev, &dev->info);
	if (ret == -EAGAIN && ++st->live_waits < LIVE_WAIT_MAX && !r->stopping) {
		if (st->live_waits == 1)
			ubr_info("dev %u: still live after its server died: waiting for the kernel to quiesce it",
				 dev->id);
		st->retry = ask_info;
		ubr_timer_start(r, &st->retry_w);
		return;
	}
	if (ret < 0) {
		recover_refused(dev, ret);
		return;
	}
	p = ubr_ctrl_submit(r, UBLK_U_CMD_GET_PARAMS, dev->id, 0,
			    params_done_cb, dev);
	if (!p) {
		ubr_dev_set_err(dev, "dev %u: out of memory", dev->id);
		recover_refused(dev, -ENOMEM);
	}
}

static void ask_info(struct ubr_dev *dev)
{
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_GET_DEV_INFO, dev->id, 0,
			     info_done_cb, dev)) {
		ubr_dev_set_err(dev, "dev %u: out of memory", dev->id);
		recover_refused(dev, -ENOMEM);
	}
}

int ubr_dev_recover(struct ubr_reactor *r, const struct ubr_dev_opts *opts,
		    enum ubr_copy_mode copy_mode, ubr_dev_done_cb cb,
		    void *ctx)
{
	struct ubr_dev *dev = ubr_dev_new(r, opts);
	struct recover_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!dev || !st) {
		free(dev);
		free(st);
		if (cb)
			cb(ctx, -ENOMEM, "out of memory", opts->id);
		return -ENOMEM;
	}
	st->asked_copy = opts->copy_mode;
	st->asked_size = opts->size;
	dev->opts.copy_mode = copy_mode; /* until prepared: see recover_state */
	dev->id_known = true;
	if (r->stopping) {
		free(st);
		ubr_dev_set_err(dev, "the daemon is shutting down");
		return ubr_dev_refused(dev, -ESHUTDOWN, cb, ctx);
	}
	if (ubr_dev_find(r, opts->id)) {
		free(st);
		ubr_dev_set_err(dev, "device %u is already served by this daemon",
				opts->id);
		return ubr_dev_refused(dev, -EEXIST, cb, ctx);
	}
	if (ubr_dev_find_name(r, opts->name)) {
		free(st);
		return ubr_dev_refused(dev, ubr_dev_name_in_use(dev, opts->name),
				       cb, ctx);
	}
	ret = ubr_dev_slot_alloc(r, dev);
	if (ret < 0) {
		free(st);
		ubr_dev_set_err(dev, "too many devices (at most %u)", r->max_devs);
		return ubr_dev_refused(dev, ret, cb, ctx);
	}
	st->dev = dev;
	ev_timer_init(&st->retry_w, retry_cb, RETRY_INTERVAL, 0.);
	dev->recover = st;
	dev->add_cb = cb;
	dev->add_ctx = ctx;
	dev->state = UBR_DEV_ADDING;
	ask_info(dev);
	return 0;
}

/* --- deleting a device no daemon serves ---------------------------------- */

struct unserved_del {
	uint32_t id;
	bool recorded; /* waiting for recovery, else dead (src/admin/cmd_del.c) */
	ubr_dev_done_cb cb;
	void *ctx;
};

static void unserved_finish(struct unserved_del *u, int res, const char *what)
{
	char msg[160];

	if (res < 0)
		snprintf(msg, sizeof(msg), "device %u: %s: %s", u->id, what,
			 strerror(-res));
	else if (u->recorded)
		ubr_record_remove(u->id);
	if (res >= 0)
		ubr_info("dev %u: deleted (%s)", u->id, u->recorded ?
			 "it was waiting for recovery" : "no process served it");
	if (u->cb)
		u->cb(u->ctx, res < 0 ? res : 0, res < 0 ? msg : NULL, u->id);
	free(u);
}

static void unserved_del_done_cb(struct ubr_reactor *r,
				 struct ubr_ctrl_req *req, int res)
{
	(void)r;
	unserved_finish(req->ctx, res == -ENODEV ? 0 : res, "DEL_DEV");
}

static void unserved_stop_done_cb(struct ubr_reactor *r,
				  struct ubr_ctrl_req *req, int res)
{
	struct unserved_del *u = req->ctx;

	if (res < 0 && res != -ENODEV)
		ubr_warn("dev %u: STOP_DEV: %s", u->id, strerror(-res));
	if (!ubr_ctrl_submit(r, UBLK_U_CMD_DEL_DEV, u->id, 0,
			     unserved_del_done_cb, u))
		unserved_finish(u, -ENOMEM, "DEL_DEV");
}

/*
 * On our ring, unlike a served device's STOP_DEV (src/device/dev_lifecycle.c):
 * no request of this device waits for us, the kernel fails those it holds.
 */
int ubr_dev_del_unserved(struct ubr_reactor *r, uint32_t id,
			 ubr_dev_done_cb cb, void *ctx)
{
	struct unserved_del *u = calloc(1, sizeof(*u));

	if (!u) {
		if (cb)
			cb(ctx, -ENOMEM, "out of memory", id);
		return -ENOMEM;
	}
	u->id = id;
	u->recorded = ubr_record_exists(id);
	u->cb = cb;
	u->ctx = ctx;
	if (!ubr_ctrl_submit(r, UBLK_U_CMD_STOP_DEV, id, 0,
			     unserved_stop_done_cb, u)) {
		unserved_finish(u, -ENOMEM, "STOP_DEV");
		return -ENOMEM;
	}
	return 0;
}
