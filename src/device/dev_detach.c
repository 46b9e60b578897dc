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
#include <stdlib.h>
#include <string.h>

#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

/* QUIESCE_DEV rounds before `stop` leaves a busy device anyway (30 s). */
#define STOP_QUIESCE_ROUNDS 3
#define DRAIN_QUIET_MS 200   /* no request for this long: none is coming */
#define DRAIN_MAX_MS 10000   /* a writer that never stops: go anyway */
#define DRAIN_TICK 0.05	     /* seconds between checks */
#define NS_PER_MS 1000000ULL

/* A device's drain, from drain_start() to drain_done(). */
struct ubr_drain {
	struct ubr_dev *dev;
	ev_timer tick;
	uint64_t start_ns;	  /* for DRAIN_MAX_MS */
	uint64_t last_arrival_ns; /* for DRAIN_QUIET_MS */
	unsigned nr_held;	  /* requests held for the kernel */
};

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

	if (res == -EBUSY && ++dev->stop_quiesces < STOP_QUIESCE_ROUNDS &&
	    ubr_ctrl_submit(r, UBLK_U_CMD_QUIESCE_DEV, dev->id,
			    UBR_QUIESCE_WAIT_MS, quiesce_done_cb, dev))
		return;
	if (res < 0)
		ubr_warn("dev %u: QUIESCE_DEV: %s: requests in flight are left to recovery",
			 dev->id, strerror(-res));
	detached(dev);
}

void ubr_dev_hold_request(struct ubr_queue *q, unsigned tag)
{
	struct ubr_drain *d = q->dev->drain;

	q->tags[tag].state = UBR_TAG_HELD;
	d->nr_held++;
	d->last_arrival_ns = ubr_now_ns();
}

void ubr_dev_drain_free(struct ubr_dev *dev)
{
	if (!dev->drain)
		return;
	ubr_timer_stop(dev->r, &dev->drain->tick);
	free(dev->drain);
	dev->drain = NULL;
}

unsigned ubr_dev_drain_held(const struct ubr_dev *dev)
{
	return dev->drain ? dev->drain->nr_held : 0;
}

static void drain_done(struct ubr_dev *dev, bool overdue)
{
	if (overdue)
		ubr_warn("dev %u: requests still arrive after %u s: leaving anyway",
			 dev->id, DRAIN_MAX_MS / 1000);
	ubr_info("dev %u: drained, %u request(s) held for the kernel", dev->id,
		 dev->drain->nr_held);
	ubr_dev_drain_free(dev);
	detached(dev);
}

static void drain_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_drain *d = container_of(w, struct ubr_drain, tick);
	uint64_t now = ubr_now_ns();

	(void)loop;
	(void)revents;
	if (!ubr_queues_serving(d->dev) &&
	    now - d->last_arrival_ns >= DRAIN_QUIET_MS * NS_PER_MS)
		drain_done(d->dev, false);
	else if (now - d->start_ns >= DRAIN_MAX_MS * NS_PER_MS)
		drain_done(d->dev, true);
}

/*
 * Each device drains on its own timer; `stop` starts them all in one
 * turn, so they share DRAIN_MAX_MS's start as when one timer served all.
 */
static void drain_start(struct ubr_dev *dev)
{
	struct ubr_drain *d = calloc(1, sizeof(*d));

	if (!d) {
		/* Out of memory: leave undrained, as before the drain existed. */
		ubr_err("dev %u: out of memory for the drain: leaving at once",
			dev->id);
		detached(dev);
		return;
	}
	ubr_info("dev %u: no QUIESCE: holding new requests until none arrives",
		 dev->id);
	d->dev = dev;
	d->start_ns = d->last_arrival_ns = ubr_now_ns();
	ev_timer_init(&d->tick, drain_tick_cb, DRAIN_TICK, DRAIN_TICK);
	dev->drain = d;
	ubr_timer_start(dev->r, &d->tick);
}

/*
 * A batch I/O device is drained, not quiesced: the kernel's QUIESCE_DEV
 * cancels a batch queue's fetches as a stop does (7.2's
 * ublk_batch_cancel_queue() sets force_abort), so every request that
 * arrives until the queue is prepared again fails with EIO instead of
 * waiting (t/kernel/batch-io.sh saw fio's reads fail). Our exit cancels
 * the fetch the way a crash does, which leaves new requests queued.
 */
static void dev_detach(struct ubr_dev *dev)
{
	/* quiesce already let go of it: the kernel holds its I/O. */
	if (dev->state == UBR_DEV_QUIESCED)
		detached(dev);
	else if (!(dev->info.flags & UBLK_F_QUIESCE) || ubr_dev_batch_io(dev))
		drain_start(dev);
	else if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_QUIESCE_DEV, dev->id,
				  UBR_QUIESCE_WAIT_MS, quiesce_done_cb, dev))
		detached(dev);
}

/*
 * A device whose target is still getting ready (a server's handshake) has
 * nothing in the kernel yet, or nothing changed there (a recovery): it
 * ends here, at once, rather than holding the daemon up to a timeout.
 */
static bool cancel_prepare(struct ubr_dev *dev)
{
	if (dev->state != UBR_DEV_PREPARING)
		return false;
	ubr_dev_prepare_cancel(dev, -ESHUTDOWN, "the daemon is shutting down");
	return true;
}

void ubr_reactor_stop(struct ubr_reactor *r, int exit_status)
{
	unsigned slot;

	if (r->stopping)
		return;
	r->stopping = true;
	r->exit_status = exit_status;
	ubr_info("stopping: deleting %u device(s)", r->nr_devs);
	for (slot = 0; slot < r->nr_slots; slot++)
		if (r->devs[slot] && !cancel_prepare(r->devs[slot]))
			ubr_dev_del(r, r->devs[slot]->id, NULL, NULL);
}

bool ubr_dev_detachable(const struct ubr_dev *dev)
{
	return (dev->state == UBR_DEV_LIVE || dev->state == UBR_DEV_QUIESCED) &&
	       dev->recovery != UBR_RECOVERY_OFF && dev->recorded;
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
		if (cancel_prepare(dev))
			continue;
		if (ubr_dev_detachable(dev))
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
