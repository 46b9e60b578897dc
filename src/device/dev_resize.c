/* SPDX-License-Identifier: MIT */
/*
 * update-size: a live device takes a new size (UBLK_U_CMD_UPDATE_SIZE,
 * Linux 6.16; the kernel wants the size in 512-byte sectors in data[0] and
 * tells the disk's users at once).
 *
 * The target says first whether it can serve the new size (one served by
 * files looks at them again, so that a file grown a moment ago counts). The kernel is told only then, and the device's
 * recorded size (`list`, recovery) follows the kernel's answer. A refusal
 * changes nothing: the device keeps serving at its old size.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_util.h"

struct resize_op {
	struct ubr_dev *dev;
	uint64_t size;
	ubr_dev_done_cb cb;
	void *ctx;
};

/* 0 if `size` suits the device now, else -errno with dev->err_msg set. */
static int resize_check(struct ubr_dev *dev, uint64_t size)
{
	uint32_t lbs = 1U << dev->params.basic.logical_bs_shift;
	char s[16];

	ubr_format_size(size, s, sizeof(s));
	if (!(dev->r->features & UBLK_F_UPDATE_SIZE)) {
		ubr_dev_set_err(dev, "update-size is not available: the kernel lacks UBLK_F_UPDATE_SIZE");
		return -EOPNOTSUPP;
	}
	if (dev->state != UBR_DEV_LIVE || dev->ctl_busy || dev->del_cb) {
		ubr_dev_set_err(dev, "device %u is busy (%s%s)", dev->id,
				dev->del_cb ? "being deleted, " : "",
				ubr_dev_state_name(dev->state));
		return -EBUSY;
	}
	if (!size || size % lbs) {
		ubr_dev_set_err(dev, "invalid size %s: must be a multiple of the device's logical block size (%u)",
				s, lbs);
		return -EINVAL;
	}
	if (!dev->ops->resize) {
		ubr_dev_set_err(dev, "target %s cannot change size",
				dev->ops->name);
		return -EOPNOTSUPP;
	}
	return dev->ops->resize(dev, size);
}

static void resize_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			   int res)
{
	struct resize_op *op = req->ctx;
	struct ubr_dev *dev = op->dev;
	char msg[128] = "", s[16];

	ubr_format_size(op->size, s, sizeof(s));
	if (res < 0) {
		snprintf(msg, sizeof(msg), "device %u: the kernel refused size %s: %s",
			 dev->id, s, strerror(-res));
		ubr_warn("%s", msg);
	} else {
		/* What the device became; opts.size stays what was asked. */
		dev->params.basic.dev_sectors = op->size >> 9;
		ubr_info("dev %u: size now %s", dev->id, s);
		if (dev->recorded)
			ubr_dev_record_save(dev);
	}
	if (op->cb)
		op->cb(op->ctx, res, msg, dev->id);
	free(op);
	ubr_dev_ctl_end(dev);
}

int ubr_dev_update_size(struct ubr_reactor *r, uint32_t id, uint64_t size,
			ubr_dev_done_cb cb, void *ctx)
{
	struct ubr_dev *dev = ubr_dev_find(r, id);
	struct resize_op *op;
	char msg[64];
	int ret;

	if (!dev) {
		snprintf(msg, sizeof(msg), "no device %u", id);
		if (cb)
			cb(ctx, -ENOENT, msg, id);
		return -ENOENT;
	}
	dev->err_msg[0] = '\0';
	ret = resize_check(dev, size);
	op = ret < 0 ? NULL : calloc(1, sizeof(*op));
	if (op) {
		*op = (struct resize_op){ dev, size, cb, ctx };
		if (ubr_ctrl_submit(r, UBLK_U_CMD_UPDATE_SIZE, dev->id,
				    size >> 9, resize_done_cb, op)) {
			dev->ctl_busy = true;
			return 0;
		}
		free(op);
	}
	if (!ret) {
		ret = -ENOMEM;
		ubr_dev_set_err(dev, "out of memory");
	}
	if (cb)
		cb(ctx, ret, dev->err_msg, id);
	return ret;
}
