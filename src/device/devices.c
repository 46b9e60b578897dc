/* SPDX-License-Identifier: MIT */
/*
 * The device layer on a reactor: /dev/ublk-control, the kernel's
 * features, the completion handlers of control commands, ublk I/O
 * commands, target I/O and user copies, and the zero-copy buffer table.
 * The reactor below knows none of these: it calls what is registered here.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_kernel_ops.h"
#include "ubr_log.h"
#include "ubr_reactor.h"

/*
 * Zero copy (AUTO_BUF_REG) needs the kernel to put each request's pages
 * in the registered-buffer slot its FETCH names, on this very ring;
 * explicit zero copy (SUPPORT_ZERO_COPY) puts them there itself. The
 * table holds at most 16K slots, shared by every zero-copy device; where
 * it cannot be had, zero copy is simply not offered.
 */
#define ZERO_COPY_SLOTS 16384

/* At deinit, once the ring is gone: nothing of ours is in the kernel. */
static void devices_exit(struct ubr_reactor *r)
{
	unsigned i;

	ubr_reactor_forget_detached(r);
	for (i = 0; i < r->nr_ctrl; i++)
		free(r->ctrl[i]);
	free(r->ctrl);
	free(r->devs);
	if (r->ctrl_fd >= 0)
		close(r->ctrl_fd);
}

int ubr_devices_init(struct ubr_reactor *r, unsigned sq_entries)
{
	int ret = ubr_reactor_init(r, sq_entries);

	if (ret < 0)
		return ret;
	ubr_reactor_at_exit(r, devices_exit); /* the first: cannot fail */
	ubr_reactor_handle(r, UBR_UD_CTRL, ubr_ctrl_done);
	ubr_reactor_handle(r, UBR_UD_IO_CMD, ubr_queue_cmd_done);
	ubr_reactor_handle(r, UBR_UD_TARGET, ubr_queue_tgt_done);
	ubr_reactor_handle(r, UBR_UD_COPY, ubr_queue_copy_done);
	ubr_reactor_handle(r, UBR_UD_BUF, ubr_queue_buf_done);
	ubr_reactor_handle(r, UBR_UD_BATCH, ubr_queue_batch_done);
	r->ctrl_fd = ubr_kernel_open_control();
	ret = r->ctrl_fd < 0 ? r->ctrl_fd :
			       ubr_kernel_get_features(r, &r->features);
	if (ret < 0) {
		ubr_reactor_deinit(r);
		return ret;
	}
	r->features_known = true;
	if ((r->features & (UBLK_F_AUTO_BUF_REG | UBLK_F_SUPPORT_ZERO_COPY)) &&
	    ubr_reactor_buf_table(r, ZERO_COPY_SLOTS) < 0)
		ubr_warn("no registered-buffer table: zero copy disabled");
	return 0;
}

void ubr_devices_deinit(struct ubr_reactor *r)
{
	ubr_reactor_deinit(r);
}
