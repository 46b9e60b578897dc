/* SPDX-License-Identifier: MIT */
/*
 * `stop`: the daemon ends and leaves its recoverable devices to the kernel
 * for a later `recover` (to upgrade the binary, say). Where the kernel has
 * QUIESCE, each device is quiesced first: the requests we hold finish and
 * new ones wait in the kernel, so nothing is in flight when we go. Without
 * it the kernel treats our exit like a crash, and the device's recovery
 * mode says what happens to the requests in flight (reissue: none is lost).
 * Devices without recovery are deleted as by `del`.
 *
 * Without QUIESCE the device is drained first, because of a kernel race:
 * before Linux 6.15 (commit f40139fde527, "ublk: fix race between
 * io_uring_cmd_complete_in_task and ublk_cancel_cmd"), a request handed to
 * us while the kernel cancels our commands at exit completes its command
 * twice. Debian's 6.12.107 lacks the fix: a `stop` under fio crashed it
 * (refcount underflow, NULL dereferences) within three runs each time
 * (t/kernel/recovery-stop.sh; SIGKILL under fio, where the exit cancels,
 * not a ring closed by a live process, survived 30 of 30). Draining makes
 * nothing arrive then: requests the target has finish and are committed,
 * requests that arrive are held (their writers wait for them, so the flow
 * stops), and once none has come for DRAIN_QUIET_MS we go. The kernel
 * takes the held requests back as it does a crash's: reissued after
 * `recover`, or failed, by the recovery mode.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ubr_ctrl.h"
#include "ubr_log.h"
#include "ubr_reactor.h"

#define QUIESCE_TIMEOUT_MS 30000
#define DRAIN_QUIET_MS 200   /* no request for this long: none is coming */
#define DRAIN_MAX_MS 10000   /* a writer that never stops: go anyway */
#define DRAIN_TICK 0.05	     /* seconds between checks */
#define NS_PER_MS 1000000ULL

static void detached(struct ubr_dev *dev)
{
	dev->detached = true;
	dev->r->nr_detached++;
	ubr_info("dev %u: left for recovery (%s)", dev->id,
		 ubr_recovery_name(dev->recovery));
}

static void quiesce_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			    int res)
{
	struct ubr_dev *dev = req->ctx;

	(void)r;
	if (res < 0)
		ubr_warn("dev %u: QUIESCE_DEV: %s: requests in flight are left to recovery",
			 dev->id, strerror(-res));
	detached(dev);
}

void ubr_dev_hold_request(struct ubr_queue *q, unsigned tag)
{
	struct ubr_dev *dev = q->dev;

	q->tags[tag].state = UBR_TAG_HELD;
	dev->nr_held++;
	dev->last_arrival_ns = ubr_now_ns();
}

static void drain_done(struct ubr_dev *dev, bool overdue)
{
	struct ubr_reactor *r = dev->r;

	if (overdue)
		ubr_warn("dev %u: requests still arrive after %u s: leaving anyway",
			 dev->id, DRAIN_MAX_MS / 1000);
	ubr_info("dev %u: drained, %u request(s) held for the kernel", dev->id,
		 dev->nr_held);
	dev->draining = false;
	if (--r->nr_draining == 0)
		ubr_timer_stop(r, &r->drain_timer);
	detached(dev);
}

static void drain_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_reactor *r = ev_userdata(loop);
	uint64_t now = ubr_now_ns();
	bool overdue = now - r->drain_start_ns >= DRAIN_MAX_MS * NS_PER_MS;
	struct ubr_dev *dev;
	unsigned slot;

	(void)w;
	(void)revents;
	for (slot = 0; slot < r->nr_slots; slot++) {
		dev = r->devs[slot];
		if (!dev || !dev->draining)
			continue;
		if (!ubr_queues_serving(dev) &&
		    now - dev->last_arrival_ns >= DRAIN_QUIET_MS * NS_PER_MS)
			drain_done(dev, false);
		else if (overdue)
			drain_done(dev, true);
	}
}

static void drain_start(struct ubr_dev *dev)
{
	struct ubr_reactor *r = dev->r;

	ubr_info("dev %u: no QUIESCE: holding new requests until none arrives",
		 dev->id);
	dev->draining = true;
	dev->last_arrival_ns = ubr_now_ns();
	if (r->nr_draining++ == 0) {
		r->drain_start_ns = dev->last_arrival_ns;
		ev_timer_init(&r->drain_timer, drain_tick_cb, DRAIN_TICK,
			      DRAIN_TICK);
		ubr_timer_start(r, &r->drain_timer);
	}
}

static void dev_detach(struct ubr_dev *dev)
{
	/* quiesce already let go of it: the kernel holds its I/O. */
	if (dev->state == UBR_DEV_QUIESCED)
		detached(dev);
	else if (!(dev->info.flags & UBLK_F_QUIESCE))
		drain_start(dev);
	else if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_QUIESCE_DEV, dev->id,
				  QUIESCE_TIMEOUT_MS, quiesce_done_cb, dev))
		detached(dev);
}

void ubr_reactor_detach(struct ubr_reactor *r)
{
	struct ubr_dev *dev;
	unsigned slot;

	if (r->stopping)
		return;
	r->stopping = true;
	r->exit_status = 0;
	for (slot = 0; slot < r->nr_slots; slot++) {
		dev = r->devs[slot];
		if (!dev)
			continue;
		if ((dev->state == UBR_DEV_LIVE ||
		     dev->state == UBR_DEV_QUIESCED) &&
		    dev->recovery != UBR_RECOVERY_OFF && dev->recorded)
			dev_detach(dev);
		else
			ubr_dev_del(r, dev->id, NULL, NULL);
	}
}

void ubr_reactor_forget_detached(struct ubr_reactor *r)
{
	unsigned slot;

	for (slot = 0; slot < r->nr_slots; slot++) {
		if (r->devs[slot] && r->devs[slot]->detached) {
			ubr_dev_free(r->devs[slot]);
			r->devs[slot] = NULL;
		}
	}
}
