/* SPDX-License-Identifier: MIT */
/*
 * loop: one backing file or block device, like losetup(8). The device is
 * the file's size (or --size, no larger), its blocks 512 bytes for a file or
 * the backing device's own. Requests go through the engine it shares with
 * stripe (src/targets/file_io.c), as a stripe of one member.
 */
#include "config.h"

#include <errno.h>

#include "files.h"
#include "targets.h"

static int loop_check_opts(struct ubr_dev *dev)
{
	if (dev->opts.nr_files != 1) {
		ubr_dev_set_err(dev, "target loop needs exactly one FILE, got %u",
				dev->opts.nr_files);
		return -EINVAL;
	}
	return 0;
}

int ubr_loop_setup(struct ubr_dev *dev, struct ubr_files **out)
{
	uint32_t max_io = dev->opts.max_io_bytes;
	struct ubr_files *fs;
	uint64_t size;
	uint32_t lbs;
	int ret;

	ret = ubr_files_take(dev, 1, &fs);
	if (ret < 0)
		return ret;
	fs->geom.chunk_shift = UBR_STRIPE_LINEAR_SHIFT;
	lbs = ubr_files_lbs(dev, fs);
	ret = ubr_files_size(dev, fs->f[0].path, fs->f[0].size, lbs,
			     &size);
	if (ret < 0)
		goto fail;
	ubr_files_set_direct(dev, fs, lbs);
	ubr_files_set_inline(dev, fs);
	ret = ubr_files_desc(dev, fs, "");
	if (ret < 0)
		goto fail;
	if (max_io > UBR_FILES_MAX_IO)
		max_io = UBR_FILES_MAX_IO;
	ubr_files_params(dev, fs, size, lbs, max_io);
	*out = fs;
	return 0;
fail:
	ubr_files_free(fs);
	return ret;
}

static int loop_init(struct ubr_dev *dev)
{
	struct ubr_files *fs;
	int ret;

	ret = loop_check_opts(dev);
	if (ret < 0)
		return ret;
	ret = ubr_loop_setup(dev, &fs);
	if (ret < 0)
		return ret;
	dev->tgt = fs;
	return 0;
}

static void loop_deinit(struct ubr_dev *dev)
{
	ubr_files_free(dev->tgt);
	dev->tgt = NULL;
}

static const struct ubr_tgt_opt loop_opts[] = {
	UBR_FILES_OPT_BUFFERED,
	{ .name = NULL },
};

static const struct ubr_tgt_field loop_fields[] = {
	UBR_TGT_FIELD(BOOL, struct ubr_files_opts, buffered, "buffered"),
	{ .key = NULL },
};

const struct ubr_target_ops ubr_target_loop = {
	.name = "loop",
	.flags = UBR_TGT_ZERO_COPY,
	.usage = "FILE",
	.description = "a regular file or a block device",
	.backing = UBR_BACKING_FILES,
	.min_files = 1,
	.max_files = 1,
	.opts = loop_opts,
	.opts_size = sizeof(struct ubr_files_opts),
	.fields = loop_fields,
	.init = loop_init,
	.deinit = loop_deinit,
	.queue_io = ubr_files_queue_io,
	.io_done = ubr_files_io_done,
	.resize = ubr_files_resize,
};
