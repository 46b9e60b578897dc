/* SPDX-License-Identifier: MIT */
/*
 * Safe delete: a device whose disk is open (mounted, held by dm or md,
 * opened by a process) is not deleted without --force.
 *
 * Two checks, because neither alone is enough on every kernel:
 * - the holder scan (src/device/disk_holders.c) before the delete starts: it
 *   names the holder, and on kernels without TRY_STOP_DEV (before 7.0)
 *   it is the only check. A process that opens the disk after the scan
 *   is not seen there.
 * - with UBLK_F_SAFE_STOP_DEV, the stop is TRY_STOP_DEV
 *   (src/device/dev_lifecycle.c): the kernel stops the disk only if it has no
 *   opener at that moment, and blocks new opens from then on, so no
 *   window is left. Its -EBUSY sends the device back to serving.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ubr_dev.h"
#include "ubr_disk_holders.h"
#include "ubr_log.h"
#include "ubr_reactor.h"

int ubr_dev_in_use(uint32_t id, char *msg, size_t len)
{
	char who[256];
	int ret = ubr_disk_holder(id, who, sizeof(who));

	if (ret < 0)
		ubr_warn("dev %u: cannot tell who holds the disk: %s", id,
			 strerror(-ret));
	if (ret <= 0)
		return 0;
	snprintf(msg, len, "device %u is in use: %s", id, who);
	return 1;
}

int ubr_dev_del_safe(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		     void *ctx)
{
	struct ubr_dev *dev = ubr_dev_find(r, id);
	char msg[320];

	if (dev && ubr_dev_in_use(id, msg, sizeof(msg))) {
		if (cb)
			cb(ctx, -EBUSY, msg, id);
		return -EBUSY;
	}
	/* Not a delete already going: its stop may have been sent. */
	if (dev && !ubr_dev_going_away(dev))
		dev->safe_stop = !!(r->features & UBLK_F_SAFE_STOP_DEV);
	return ubr_dev_del(r, id, cb, ctx);
}
