/* SPDX-License-Identifier: MIT */
/*
 * `stop`: the daemon ends and leaves its recoverable devices to the kernel
 * for a later `recover` (to upgrade the binary, say). Where the kernel has
 * QUIESCE, each device is quiesced first: the requests we hold finish and
 * new ones wait in the kernel, so nothing is in flight when we go. Without
 * it the kernel treats our exit like a crash, and the device's recovery
 * mode says what happens to the requests in flight (reissue: none is lost).
 * Devices without recovery are deleted as by `del`.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ubr_ctrl.h"
#include "ubr_log.h"
#include "ubr_reactor.h"

#define QUIESCE_TIMEOUT_MS 30000

static void detached(struct ubr_dev *dev)
{
	dev->detached = true;
	dev->r->nr_detached++;
	ubr_info("dev %u: left for recovery (%s)", dev->id,
		 ubr_recovery_name(dev->opts.recovery));
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

static void dev_detach(struct ubr_dev *dev)
{
	/* quiesce already let go of it: the kernel holds its I/O. */
	if (dev->state == UBR_DEV_QUIESCED ||
	    !(dev->info.flags & UBLK_F_QUIESCE) ||
	    !ubr_ctrl_submit(dev->r, UBLK_U_CMD_QUIESCE_DEV, dev->id,
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
		    dev->opts.recovery != UBR_RECOVERY_OFF && dev->recorded)
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
