/* SPDX-License-Identifier: MIT */
/* The stripe target's options (dev->opts.tgt_opts), for it and its tests. */
#ifndef UBR_TGT_STRIPE_H
#define UBR_TGT_STRIPE_H

#include <stdint.h>

#include "files.h"

/* What `add stripe` says beyond the common options; zero: defaults. */
struct ubr_stripe_opts {
	struct ubr_files_opts files; /* first: --buffered */
	uint32_t chunk_size;	     /* 0: the default */
};

#endif /* UBR_TGT_STRIPE_H */
