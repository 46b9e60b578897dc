/* SPDX-License-Identifier: MIT */
/*
 * quiesce and resume: a live device stops taking requests and the daemon
 * lets go of it as if it had exited, then takes it up again through the
 * kernel's user-recovery path, without stopping (Linux 6.16, UBLK_F_QUIESCE):
 *
 *   quiesce: QUIESCE_DEV -> every idle fetch comes back aborted; requests
 *            being served are committed, and the fetches those commits
 *            carry are aborted by one more QUIESCE_DEV -> unmap and close
 *            /dev/ublkcN -> GET_DEV_INFO until the kernel says QUIESCED
 *   resume:  START_USER_RECOVERY -> open and map /dev/ublkcN -> FETCH every
 *            tag + END_USER_RECOVERY -> live
 *
 * While quiesced the kernel holds new requests (UBLK_F_USER_RECOVERY
 * without FAIL_IO requeues them): applications wait, nothing fails. No
 * request is left with the daemon when /dev/ublkcN closes, so none is
 * failed or reissued either.
 *
 * QUIESCE_DEV is allowed only on devices added with UBLK_F_QUIESCE, which
 * needs UBLK_F_USER_RECOVERY: ADD_DEV asks for both wherever the kernel
 * has QUIESCE and the device's recovery is on (the default; see
 * recovery_flags() in dev_lifecycle.c). Every step runs from a completion
 * or a timer in the reactor thread; the kernel's waits (QUIESCE_DEV waits
 * for idle requests, END_USER_RECOVERY for the fetches) happen on its own
 * workers.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"

/* -EBUSY answers before the caller is told (the daemon keeps trying). */
#define QUIESCE_BUSY_REPORT 6
/* Rounds that abort fetches re-armed by commits: a few suffice. */
#define QUIESCE_MAX_ROUNDS 64
/* Polls for the kernel's release of /dev/ublkcN, START_USER_RECOVERY. */
#define POLL_INTERVAL 0.02
#define POLL_MAX 250

enum wait_for {
	WAIT_RELEASED,	/* GET_DEV_INFO until state QUIESCED */
	WAIT_RECOVERY,	/* START_USER_RECOVERY until not -EBUSY */
};

struct ubr_quiesce {
	struct ubr_dev *dev;
	ev_timer timer;
	enum wait_for wait;
	unsigned polls;
	unsigned rounds;	/* QUIESCE_DEV sent in this quiesce */
	unsigned busy;		/* ... answered -EBUSY */
	bool ctrl_inflight;	/* a control command of ours is in flight */
	/* the admin request, answered once */
	ubr_dev_done_cb cb;
	void *ctx;
};

static void quiesce_round(struct ubr_quiesce *qs);

void ubr_dev_quiesce_free(struct ubr_dev *dev)
{
	struct ubr_quiesce *qs = dev->quiesce;

	if (!qs)
		return;
	ubr_timer_stop(dev->r, &qs->timer);
	free(qs);
	dev->quiesce = NULL;
}

/* --- answers ------------------------------------------------------------ */

static void answer(struct ubr_quiesce *qs, int err, const char *msg)
{
	ubr_dev_done_cb cb = qs->cb;

	qs->cb = NULL;
	if (cb)
		cb(qs->ctx, err, msg, qs->dev->id);
}

static void answer_err(struct ubr_quiesce *qs, int err, const char *fmt, ...)
	UBR_PRINTF(3, 4);

static void answer_err(struct ubr_quiesce *qs, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ubr_warn("%s", msg);
	answer(qs, err, msg);
}

/* The operation is over, in `state`: answer, and let a delete go ahead. */
static void finish(struct ubr_quiesce *qs, enum ubr_dev_state state)
{
	struct ubr_dev *dev = qs->dev;

	qs->dev->state = state;
	answer(qs, 0, NULL);
	ubr_dev_ctl_end(dev);
}

/* A delete (or the daemon's stop) was asked for: give up on the rest. */
static bool abandon(struct ubr_quiesce *qs, enum ubr_dev_state state)
{
	struct ubr_dev *dev = qs->dev;

	if (!dev->del_queued && !dev->r->stopping)
		return false;
	answer_err(qs, -ECANCELED, "device %u is being deleted", dev->id);
	finish(qs, state);
	return true;
}

static void poll_later(struct ubr_quiesce *qs, enum wait_for what)
{
	qs->wait = what;
	ev_timer_set(&qs->timer, POLL_INTERVAL, 0.);
	ubr_timer_start(qs->dev->r, &qs->timer);
}

/* --- quiesce ------------------------------------------------------------ */

static bool dev_cmds_out(const struct ubr_dev *dev)
{
	unsigned i;

	for (i = 0; i < dev->opts.nr_queues; i++)
		if (dev->queues[i].cmds_inflight)
			return true;
	return false;
}

static void info_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			 int res)
{
	struct ubr_quiesce *qs = req->ctx;
	struct ubr_dev *dev = qs->dev;

	qs->ctrl_inflight = false;
	if (res == 0)
		dev->info.state = req->buf.info.state;
	if (res == 0 && dev->info.state == UBLK_S_DEV_QUIESCED) {
		ubr_info("dev %u: quiesced", dev->id);
		finish(qs, UBR_DEV_QUIESCED);
		return;
	}
	if (++qs->polls < POLL_MAX) {
		poll_later(qs, WAIT_RELEASED);
		return;
	}
	/* Resume retries START_USER_RECOVERY until the kernel is ready. */
	answer_err(qs, res < 0 ? res : -ETIMEDOUT,
		   "device %u: the kernel did not report it quiesced (state %u)",
		   dev->id, dev->info.state);
	finish(qs, UBR_DEV_QUIESCED);
}

static void ask_state(struct ubr_quiesce *qs)
{
	struct ubr_dev *dev = qs->dev;

	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_GET_DEV_INFO, dev->id, 0,
			     info_done_cb, qs)) {
		poll_later(qs, WAIT_RELEASED);
		return;
	}
	qs->ctrl_inflight = true;
}

/*
 * Every command is back and nothing is served: close /dev/ublkcN. The
 * kernel then requeues new requests and marks the device QUIESCED (from a
 * work item on 7.x).
 */
static void quiesce_close(struct ubr_quiesce *qs)
{
	ubr_dev_release_cdev(qs->dev, true);
	qs->polls = 0;
	ask_state(qs);
}

void ubr_dev_quiesce_step(struct ubr_dev *dev)
{
	struct ubr_quiesce *qs = dev->quiesce;

	if (!qs || qs->ctrl_inflight || dev->cdev_fd < 0 ||
	    ubr_queues_serving(dev))
		return;
	if (dev_cmds_out(dev))
		quiesce_round(qs); /* fetches re-armed by commits */
	else
		quiesce_close(qs);
}

static void quiesce_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			    int res)
{
	struct ubr_quiesce *qs = req->ctx;
	struct ubr_dev *dev = qs->dev;

	qs->ctrl_inflight = false;
	if (abandon(qs, UBR_DEV_LIVE))
		return;
	if (res == -EBUSY) {
		/* Requests kept every tag busy; the kernel holds new ones. */
		if (++qs->busy == QUIESCE_BUSY_REPORT)
			answer_err(qs, res, "device %u: cannot quiesce: its requests stay busy (still trying)",
				   dev->id);
		quiesce_round(qs);
		return;
	}
	if (res < 0) {
		answer_err(qs, res, "device %u: QUIESCE_DEV failed: %s",
			   dev->id, strerror(-res));
		finish(qs, UBR_DEV_LIVE);
		return;
	}
	ubr_dev_quiesce_step(dev);
}

static void quiesce_round(struct ubr_quiesce *qs)
{
	struct ubr_dev *dev = qs->dev;

	/* Neither should happen; the device is left to a delete. */
	if (++qs->rounds > QUIESCE_MAX_ROUNDS) {
		answer_err(qs, -EIO, "device %u: fetches keep coming back after %u QUIESCE_DEV",
			   dev->id, QUIESCE_MAX_ROUNDS);
		finish(qs, UBR_DEV_LIVE);
		return;
	}
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_QUIESCE_DEV, dev->id,
			     UBR_QUIESCE_WAIT_MS, quiesce_done_cb, qs)) {
		answer_err(qs, -ENOMEM, "device %u: cannot queue QUIESCE_DEV: out of memory",
			   dev->id);
		finish(qs, UBR_DEV_LIVE);
		return;
	}
	qs->ctrl_inflight = true;
}

/* --- resume ------------------------------------------------------------- */

static void end_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			int res)
{
	struct ubr_quiesce *qs = req->ctx;
	struct ubr_dev *dev = qs->dev;

	qs->ctrl_inflight = false;
	if (res < 0) {
		/* Our fetches are with the kernel: quiesce takes them back. */
		answer_err(qs, res, "device %u: END_USER_RECOVERY failed: %s",
			   dev->id, strerror(-res));
		dev->state = UBR_DEV_QUIESCING;
		qs->rounds = qs->busy = 0;
		quiesce_round(qs);
		return;
	}
	dev->info.state = UBLK_S_DEV_LIVE;
	ubr_info("dev %u: resumed", dev->id);
	finish(qs, UBR_DEV_LIVE);
}

static void resume_failed(struct ubr_quiesce *qs, int err, const char *what)
{
	struct ubr_dev *dev = qs->dev;

	ubr_dev_release_cdev(dev, true);
	answer_err(qs, err, "device %u: cannot resume: %s: %s", dev->id, what,
		   dev->err_msg[0] ? dev->err_msg : strerror(-err));
	finish(qs, UBR_DEV_QUIESCED);
}

/* The kernel waits for a fetch on every tag; END_USER_RECOVERY too. */
static void recovery_fetch(struct ubr_quiesce *qs)
{
	struct ubr_dev *dev = qs->dev;
	int ret;

	dev->err_msg[0] = '\0';
	ret = ubr_dev_open_cdev(dev);
	if (!ret)
		ret = ubr_queues_map(dev);
	if (ret < 0) {
		resume_failed(qs, ret, "open /dev/ublkcN");
		return;
	}
	ubr_queues_fetch_all(dev);
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_END_USER_RECOVERY, dev->id,
			     getpid(), end_done_cb, qs)) {
		/* The fetches are queued: take them back as a quiesce does. */
		answer_err(qs, -ENOMEM, "device %u: cannot queue END_USER_RECOVERY",
			   dev->id);
		dev->state = UBR_DEV_QUIESCING;
		quiesce_round(qs);
		return;
	}
	qs->ctrl_inflight = true;
}

static void recovery_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			     int res)
{
	struct ubr_quiesce *qs = req->ctx;

	qs->ctrl_inflight = false;
	if (abandon(qs, UBR_DEV_QUIESCED))
		return;
	/* The kernel may still be releasing /dev/ublkcN (a work item). */
	if (res == -EBUSY && ++qs->polls < POLL_MAX) {
		poll_later(qs, WAIT_RECOVERY);
		return;
	}
	if (res < 0) {
		qs->dev->err_msg[0] = '\0';
		resume_failed(qs, res, "START_USER_RECOVERY");
		return;
	}
	recovery_fetch(qs);
}

static void recovery_start(struct ubr_quiesce *qs)
{
	struct ubr_dev *dev = qs->dev;

	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_START_USER_RECOVERY, dev->id,
			     0, recovery_done_cb, qs)) {
		dev->err_msg[0] = '\0';
		resume_failed(qs, -ENOMEM, "START_USER_RECOVERY");
		return;
	}
	qs->ctrl_inflight = true;
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_quiesce *qs = (struct ubr_quiesce *)
		((char *)w - offsetof(struct ubr_quiesce, timer));

	ubr_timer_stop(qs->dev->r, w);
	if (qs->wait == WAIT_RELEASED)
		ask_state(qs);
	else
		recovery_start(qs);
}

/* --- entry points ------------------------------------------------------- */

/*
 * The device with `id`, able to start a quiesce or resume now; else NULL,
 * with the caller answered.
 */
static struct ubr_dev *ctl_dev(struct ubr_reactor *r, uint32_t id,
			       ubr_dev_done_cb cb, void *ctx)
{
	struct ubr_dev *dev = ubr_dev_find(r, id);
	char msg[160];

	if (!dev)
		snprintf(msg, sizeof(msg), "no device %u", id);
	else if (!(r->features & UBLK_F_QUIESCE))
		snprintf(msg, sizeof(msg),
			 "quiesce and resume are not available: the kernel lacks UBLK_F_QUIESCE");
	else if (ubr_dev_batch_io(dev))
		/* See dev_detach(): QUIESCE_DEV fails a batch queue's new I/O. */
		snprintf(msg, sizeof(msg),
			 "device %u uses batch I/O: it cannot be quiesced (the kernel fails its I/O while quiesced)",
			 id);
	else if (!(dev->info.flags & UBLK_F_QUIESCE))
		snprintf(msg, sizeof(msg),
			 "device %u was added with --recovery off: it cannot be quiesced",
			 id);
	else if (dev->ctl_busy || dev->del_cb ||
		 (dev->state != UBR_DEV_LIVE && dev->state != UBR_DEV_QUIESCED))
		snprintf(msg, sizeof(msg), "device %u is busy (%s%s)", id,
			 dev->del_cb ? "being deleted, " : "",
			 ubr_dev_state_name(dev->state));
	else
		return dev;
	if (cb)
		cb(ctx, -EBUSY, msg, id);
	return NULL;
}

static struct ubr_quiesce *ctl_begin(struct ubr_dev *dev, ubr_dev_done_cb cb,
				     void *ctx)
{
	struct ubr_quiesce *qs = dev->quiesce;

	if (!qs) {
		qs = calloc(1, sizeof(*qs));
		if (!qs) {
			if (cb)
				cb(ctx, -ENOMEM, "out of memory", dev->id);
			return NULL;
		}
		qs->dev = dev;
		dev->quiesce = qs;
	}
	ev_timer_init(&qs->timer, timer_cb, POLL_INTERVAL, 0.);
	qs->cb = cb;
	qs->ctx = ctx;
	qs->rounds = qs->busy = qs->polls = 0;
	dev->ctl_busy = true;
	return qs;
}

/*
 * Quiesce or resume: a device already in the state `done` is answered at
 * once; otherwise `state` is set and `first` runs the first step.
 */
static int ctl_run(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		   void *ctx, enum ubr_dev_state done, enum ubr_dev_state state,
		   void (*first)(struct ubr_quiesce *qs))
{
	struct ubr_dev *dev = ctl_dev(r, id, cb, ctx);
	struct ubr_quiesce *qs;

	if (!dev)
		return -EBUSY;
	if (dev->state == done) {
		if (cb)
			cb(ctx, 0, NULL, id); /* nothing to do */
		return 0;
	}
	qs = ctl_begin(dev, cb, ctx);
	if (!qs)
		return -ENOMEM;
	dev->state = state;
	first(qs);
	return 0;
}

int ubr_dev_quiesce(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		    void *ctx)
{
	return ctl_run(r, id, cb, ctx, UBR_DEV_QUIESCED, UBR_DEV_QUIESCING,
		       quiesce_round);
}

int ubr_dev_resume(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		   void *ctx)
{
	return ctl_run(r, id, cb, ctx, UBR_DEV_LIVE, UBR_DEV_RESUMING,
		       recovery_start);
}
