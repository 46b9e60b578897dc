/* SPDX-License-Identifier: MIT */
/*
 * null: a device that stores nothing. Reads return whatever the request's
 * pages held, writes are dropped; every request completes at once, in the
 * same loop turn that received it. In user-copy mode it owns no buffers.
 */
#include "config.h"

#include <errno.h>

#include "targets.h"

/* Nothing is stored, so any size will do: this one unless --size. */
#define NULL_DEFAULT_SIZE (250ULL << 30)

int ubr_null_params(struct ubr_dev *dev)
{
	struct ublk_param_basic *b = &dev->params.basic;
	uint64_t size = dev->opts.size ? dev->opts.size : NULL_DEFAULT_SIZE;
	unsigned shift = dev->opts.logical_bs == 4096 ? 12 : 9;

	if (size % dev->opts.logical_bs) {
		ubr_dev_set_err(dev, "size %llu is not a multiple of the block size %u",
				(unsigned long long)size, dev->opts.logical_bs);
		return -EINVAL;
	}
	dev->params.types = UBLK_PARAM_TYPE_BASIC;
	b->attrs = dev->opts.read_only ? UBLK_ATTR_READ_ONLY : 0;
	b->logical_bs_shift = (__u8)shift;
	b->physical_bs_shift = 12;
	b->io_opt_shift = 12;
	b->io_min_shift = (__u8)shift;
	b->max_sectors = dev->opts.max_io_bytes >> 9;
	b->dev_sectors = size >> 9;
	return 0;
}

static int null_init(struct ubr_dev *dev)
{
	int ret;

	if (dev->opts.nr_files) {
		ubr_dev_set_err(dev, "target null takes no files");
		return -EINVAL;
	}
	ret = ubr_null_params(dev);
	if (ret < 0)
		return ret;
	dev->tgt = dev; /* no state of its own */
	return 0;
}

static void null_deinit(struct ubr_dev *dev)
{
	dev->tgt = NULL;
}

int ubr_null_result(const struct ublksrv_io_desc *iod)
{
	switch (ubr_iod_op(iod)) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		return (int)(iod->nr_sectors << 9);
	case UBLK_IO_OP_FLUSH:
	case UBLK_IO_OP_DISCARD:
	case UBLK_IO_OP_WRITE_ZEROES:
		return 0;
	}
	return -EOPNOTSUPP;
}

static void null_queue_io(struct ubr_queue *q, unsigned tag,
			  const struct ublksrv_io_desc *iod)
{
	ubr_io_complete(q, tag, ubr_null_result(iod));
}

/* Any size: nothing is stored. */
static int null_resize(struct ubr_dev *dev, uint64_t new_size)
{
	return 0;
}

static void null_io_done(struct ubr_queue *q, unsigned tag, uint32_t data,
			 const struct io_uring_cqe *cqe)
{
	/* null queues no SQEs */
}

const struct ubr_target_ops ubr_target_null = {
	.name = "null",
	.flags = UBR_TGT_NO_DATA,
	.usage = "",
	.description = "stores nothing: writes are dropped, reads return no data",
	.backing = UBR_BACKING_NONE,
	.init = null_init,
	.deinit = null_deinit,
	.queue_io = null_queue_io,
	.io_done = null_io_done,
	.resize = null_resize,
};
