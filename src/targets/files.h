/* SPDX-License-Identifier: MIT */
/*
 * What the loop and stripe targets share: backing files handed over by the
 * client (src/targets/backing.c) and the request engine that maps a request
 * onto them through the stripe map (src/targets/file_io.c). loop is a
 * one-member stripe whose chunk is larger than any device.
 */
#ifndef UBR_TGT_FILES_H
#define UBR_TGT_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ubr_dev.h"
#include "ubr_target.h"
#include "stripe_map.h"

struct io_uring_cqe;

/* The largest read or write the engine takes (max_sectors is capped to it). */
#define UBR_FILES_MAX_IO (1U << 20)
/*
 * The low bits of an SQE's target data the engine uses (file_io.c has the
 * layout): a target that wraps the engine (fault) may mark its own SQEs
 * with the bits above.
 */
#define UBR_FILES_DATA_BITS 25

/* One backing file (or block device). */
struct ubr_backing {
	int fd;		    /* ours once taken from dev->opts.fds */
	const char *path;   /* dev->opts.paths[i], for messages */
	uint64_t size;	    /* bytes */
	uint32_t lbs;	    /* logical block size (block devices), else 0 */
	uint32_t pbs;	    /* physical block size, or 4096 for files */
	uint32_t dio_align; /* file offset alignment O_DIRECT needs (0: ask fcntl) */
	bool dio_never;	    /* the file system says: no O_DIRECT at all */
	bool is_blk;
	bool direct;	    /* O_DIRECT set on fd */
	/* Read and written by the reactor itself: see ubr_files_set_inline(). */
	bool inline_io;
	/* FALLOC_FL_ZERO_RANGE was refused once: punch holes instead. */
	bool zero_by_punch;
};

/* A loop or stripe device's private state (dev->tgt). */
struct ubr_files {
	struct ubr_stripe_geom geom;
	time_t err_logged_at;	/* backing errors: logged once a second */
	unsigned errs_unlogged;
	void *outer; /* the state of a target that wraps the engine (fault) */
	struct ubr_backing f[UBR_MAX_FILES];
};

/* --- options (src/targets/file_opts.c) -------------------------------------- */

/*
 * What every target served by files takes: its options struct begins with
 * this one, so that the shared setter and the setup below find it.
 */
struct ubr_files_opts {
	bool buffered; /* --buffered: never O_DIRECT */
};

int ubr_files_set_buffered(struct ubr_tgt_args *a, const char *val);
/* The --buffered entry of a target's option table. */
#define UBR_FILES_OPT_BUFFERED                                          \
	{ "buffered", 0, NULL, "no O_DIRECT on the files",              \
	  ubr_files_set_buffered }
/* The --buffered field, for a target's field table. */
#define UBR_FILES_FIELD_BUFFERED(type, member)                          \
	UBR_TGT_FIELD(BOOL, type, member.buffered, "buffered")
/* dev's files options (the start of its target's), defaults if none. */
const struct ubr_files_opts *ubr_files_opts(const struct ubr_dev *dev);

/* --- setup (src/targets/backing.c) ---------------------------------------- */

/* Allocate dev->tgt with geom.nr = n files taken from dev->opts and checked. */
int ubr_files_take(struct ubr_dev *dev, unsigned n, struct ubr_files **out);
void ubr_files_free(struct ubr_files *fs);
/* The logical block size: the option, raised to any backing device's. */
uint32_t ubr_files_lbs(const struct ubr_dev *dev, const struct ubr_files *fs);
/* Check (and default) the size against `capacity` bytes of `what`. */
int ubr_files_size(struct ubr_dev *dev, const char *what, uint64_t capacity,
		   uint32_t lbs, uint64_t *size);
/* O_DIRECT on every file that can do it for blocks of lbs (unless --buffered). */
void ubr_files_set_direct(struct ubr_dev *dev, struct ubr_files *fs,
			  uint32_t lbs);
/*
 * Mark the files the reactor reads and writes itself (inline_io): those in
 * memory (tmpfs, ramfs) that take no nonblocking I/O. io_uring would hand
 * every request on them to a worker thread, though it is only a memory
 * copy that never waits for a device; the hop costs more than the copy.
 * Not with zero copy: the request's pages are the kernel's, not ours;
 * nor on kernels without QUIESCE (before 6.16), which it crashed.
 */
void ubr_files_set_inline(const struct ubr_dev *dev, struct ubr_files *fs);
/*
 * dev->params for a device of `size` bytes: attributes, block sizes,
 * io_min/io_opt hints, request and discard limits.
 */
void ubr_files_params(struct ubr_dev *dev, const struct ubr_files *fs,
		      uint64_t size, uint32_t lbs, uint32_t max_bytes);
/* Discard and write-zeroes limits for a device of lbs blocks. */
void ubr_files_discard_params(struct ubr_dev *dev, uint32_t lbs);
/*
 * update-size: can the files hold a device of new_size bytes now? Their
 * sizes are read again (a file may have grown); the stripe map does not
 * depend on the device's size, so nothing else changes.
 */
int ubr_files_resize(struct ubr_dev *dev, uint64_t new_size);
/* dev->tgt_desc: prefix then "PATH (direct|buffered)" per file. */
int ubr_files_desc(struct ubr_dev *dev, const struct ubr_files *fs,
		   const char *prefix);

/*
 * The loop target's setup (src/targets/loop.c): take dev->opts' one file,
 * size the device, pick O_DIRECT, describe it and fill dev->params.
 */
int ubr_loop_setup(struct ubr_dev *dev, struct ubr_files **out);

/* --- requests (src/targets/file_io.c) --------------------------------------- */

void ubr_files_queue_io(struct ubr_queue *q, unsigned tag,
			const struct ublksrv_io_desc *iod);
void ubr_files_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		       const struct io_uring_cqe *cqe);

#endif /* UBR_TGT_FILES_H */
