/* SPDX-License-Identifier: MIT */
/*
 * A device's options from the words of an `add` (src/device/dev_opts_parse.c).
 * One parser for every place those words come from: the client, which
 * parses first so that usage errors need no daemon; the daemon's `add`,
 * which trusts nothing that comes over the socket; the config file's
 * lines; and the recovery records. It also serves the targets' option
 * setters (ubr_tgt_say() and the others, include/ubr_target.h).
 */
#ifndef UBR_DEV_OPTS_PARSE_H
#define UBR_DEV_OPTS_PARSE_H

#include <stddef.h>

#include "ubr_dev.h"

/*
 * Bounds of `add` options. The queue bound comes from the kernel: it
 * silently clamps nr_hw_queues to nr_cpu_ids (the device-id bound is in
 * ubr_dev.h).
 */
#define UBR_MIN_DEPTH 1
#define UBR_MAX_DEPTH_OPT 4096
#define UBR_MIN_IO_BYTES 4096U
#define UBR_MAX_IO_BYTES (1U << 20)

/* The kernel's nr_cpu_ids: the highest possible CPU + 1. */
unsigned ubr_nr_cpu_ids(void);
/* The most queues `add` accepts: nr_cpu_ids, capped by user_data's field. */
unsigned ubr_max_queues(void);

/*
 * Parse `add TARGET [OPTIONS] [FILE...]` (argv[0] is "add") into o, which is
 * initialised here. o->paths get copies of the FILE words as given; when
 * file_argi is not NULL, file_argi[i] is the argv index of FILE i, so that
 * the client can send resolved paths in their place. Reentrant: no global
 * state. Returns 0, -EINVAL (usage: err says why) or -ENOMEM.
 */
int ubr_parse_add(int argc, char **argv, struct ubr_dev_opts *o, char *err,
		  size_t errlen);
int ubr_parse_add_at(int argc, char **argv, struct ubr_dev_opts *o,
		     int *file_argi, char *err, size_t errlen);

#endif /* UBR_DEV_OPTS_PARSE_H */
