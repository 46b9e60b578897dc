/* SPDX-License-Identifier: MIT */
/* The options every target served by files shares (src/targets/files.h). */
#include "config.h"

#include <stddef.h>

#include "files.h"

int ubr_files_set_buffered(struct ubr_tgt_args *a, const char *val)
{
	struct ubr_files_opts *fo = a->priv;

	fo->buffered = true;
	return 0;
}

const struct ubr_files_opts *ubr_files_opts(const struct ubr_dev *dev)
{
	static const struct ubr_files_opts defaults;

	return dev->opts.tgt_opts ? dev->opts.tgt_opts : &defaults;
}
