/* SPDX-License-Identifier: MIT */
/*
 * stripe: 2 to 8 backing files, the device's chunks dealt round-robin to
 * them (RAID 0; the layout is in stripe_map.h). The device is
 * the smallest file rounded down to a whole chunk, times the number of
 * files. Requests go through the engine it shares with loop
 * (src/targets/file_io.c), split at chunk boundaries.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "ubr_target.h"
#include "ubr_util.h"
#include "files.h"
#include "stripe.h"
#include "targets.h"

#define STRIPE_MIN_FILES 2
#define STRIPE_DEFAULT_CHUNK (64U << 10)
#define STRIPE_MIN_CHUNK (4U << 10)
#define STRIPE_MAX_CHUNK (1U << 20)
/*
 * A request touches at most this many chunks (plus one when unaligned):
 * its pieces are all submitted at once, so this bounds what one request
 * puts on the shared ring (small chunks lower max_sectors).
 */
#define STRIPE_MAX_CHUNKS_PER_IO 128U

static int set_chunk(struct ubr_tgt_args *a, const char *val)
{
	struct ubr_stripe_opts *so = a->priv;
	uint64_t v;
	int ret = ubr_tgt_size(a, val, STRIPE_MIN_CHUNK, STRIPE_MAX_CHUNK,
			       4096, true, &v);

	if (!ret)
		so->chunk_size = (uint32_t)v;
	return ret;
}

static const struct ubr_tgt_opt stripe_opts[] = {
	UBR_FILES_OPT_BUFFERED,
	{ "chunk-size", 0, "SIZE",
	  "chunk size, a power of 2, 4K..1M (64K)", set_chunk },
	{ .name = NULL },
};

static int stripe_check_opts(struct ubr_dev *dev, uint32_t chunk)
{
	unsigned n = dev->opts.nr_files;

	if (n < STRIPE_MIN_FILES || n > UBR_MAX_FILES) {
		ubr_dev_set_err(dev, "target stripe needs %u to %u FILEs, got %u",
				STRIPE_MIN_FILES, UBR_MAX_FILES, n);
		return -EINVAL;
	}
	if (ubr_log2_exact(chunk) < 0 || chunk < STRIPE_MIN_CHUNK ||
	    chunk > STRIPE_MAX_CHUNK) {
		ubr_dev_set_err(dev, "invalid --chunk-size %u: must be a power of 2 from 4K to 1M",
				chunk);
		return -EINVAL;
	}
	return 0;
}

/* Every member must hold a chunk; the device is as big as they allow. */
static int stripe_capacity(struct ubr_dev *dev, const struct ubr_files *fs,
			   uint32_t chunk, uint64_t *cap)
{
	uint64_t sizes[UBR_MAX_FILES];
	char c[16];
	unsigned i;

	ubr_format_size(chunk, c, sizeof(c));
	for (i = 0; i < fs->geom.nr; i++) {
		sizes[i] = fs->f[i].size;
		if (sizes[i] < chunk) {
			ubr_dev_set_err(dev, "%s is smaller than one chunk (%s)",
					fs->f[i].path, c);
			return -EINVAL;
		}
	}
	*cap = ubr_stripe_capacity(&fs->geom, sizes);
	return 0;
}

static uint32_t stripe_max_io(const struct ubr_dev *dev, uint32_t chunk)
{
	uint32_t max = dev->opts.max_io_bytes;

	if (max > STRIPE_MAX_CHUNKS_PER_IO * chunk)
		max = STRIPE_MAX_CHUNKS_PER_IO * chunk;
	return max > UBR_FILES_MAX_IO ? UBR_FILES_MAX_IO : max;
}

static int stripe_setup(struct ubr_dev *dev, struct ubr_files *fs,
			uint32_t chunk)
{
	uint32_t lbs = ubr_files_lbs(dev, fs);
	char prefix[48], c[16];
	uint64_t cap, size;
	int ret;

	fs->geom.chunk_shift = (unsigned)ubr_log2_exact(chunk);
	if (chunk < lbs) {
		ubr_dev_set_err(dev, "--chunk-size %u is smaller than the logical block size %u",
				chunk, lbs);
		return -EINVAL;
	}
	ret = stripe_capacity(dev, fs, chunk, &cap);
	if (ret < 0)
		return ret;
	ret = ubr_files_size(dev, "the stripe", cap, lbs, &size);
	if (ret < 0)
		return ret;
	ubr_files_set_direct(dev, fs, lbs);
	ubr_files_set_inline(dev, fs);
	ubr_format_size(chunk, c, sizeof(c));
	snprintf(prefix, sizeof(prefix), "chunk %s: ", c);
	ret = ubr_files_desc(dev, fs, prefix);
	if (ret < 0)
		return ret;
	ubr_files_params(dev, fs, size, lbs, stripe_max_io(dev, chunk));
	return 0;
}

static int stripe_init(struct ubr_dev *dev)
{
	const struct ubr_stripe_opts *so = dev->opts.tgt_opts;
	uint32_t chunk = so && so->chunk_size ? so->chunk_size :
						STRIPE_DEFAULT_CHUNK;
	struct ubr_files *fs;
	int ret;

	ret = stripe_check_opts(dev, chunk);
	if (ret < 0)
		return ret;
	ret = ubr_files_take(dev, dev->opts.nr_files, &fs);
	if (ret < 0)
		return ret;
	ret = stripe_setup(dev, fs, chunk);
	if (ret < 0) {
		ubr_files_free(fs);
		return ret;
	}
	dev->tgt = fs;
	return 0;
}

static void stripe_deinit(struct ubr_dev *dev)
{
	ubr_files_free(dev->tgt);
	dev->tgt = NULL;
}

static const struct ubr_tgt_field stripe_fields[] = {
	UBR_FILES_FIELD_BUFFERED(struct ubr_stripe_opts, files),
	UBR_TGT_FIELD(UINT, struct ubr_stripe_opts, chunk_size, "chunk-size"),
	{ .key = NULL },
};

const struct ubr_target_ops ubr_target_stripe = {
	.name = "stripe",
	.flags = UBR_TGT_ZERO_COPY,
	.usage = "FILE FILE...",
	.description = "2 to 8 files, striped in chunks",
	.backing = UBR_BACKING_FILES,
	.min_files = STRIPE_MIN_FILES,
	.max_files = UBR_MAX_FILES,
	.opts = stripe_opts,
	.opts_size = sizeof(struct ubr_stripe_opts),
	.fields = stripe_fields,
	.init = stripe_init,
	.deinit = stripe_deinit,
	.queue_io = ubr_files_queue_io,
	.io_done = ubr_files_io_done,
	.resize = ubr_files_resize,
};
