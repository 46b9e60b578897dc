/* SPDX-License-Identifier: MIT */
/*
 * The contract between the reactor and a target (src/targets/).
 *
 * A target sees requests, never the ring's internals: it completes a request
 * at once with ubr_io_complete(), or asks for SQEs with ubr_tgt_sqe() (their
 * completions come back to io_done with the target data it chose), and
 * completes the request when its last piece is done.
 */
#ifndef UBR_TARGET_H
#define UBR_TARGET_H

#include <liburing.h>

#include "ubr_dev.h"

/* The target never reads or writes request data (null). */
#define UBR_TGT_NO_DATA (1U << 0)
/* All its data moves through ubr_tgt_rw(), so zero copy works for it. */
#define UBR_TGT_ZERO_COPY (1U << 1)

struct ubr_target_ops {
	const char *name;
	unsigned flags; /* UBR_TGT_* */
	/*
	 * Check dev->opts, take what the target needs from it (the descriptor
	 * in opts.fds now belongs to the target), and fill dev->params: size,
	 * block sizes, attributes, discard limits. -errno with dev->err_msg set.
	 */
	int (*init)(struct ubr_dev *dev);
	void (*deinit)(struct ubr_dev *dev);
	/* Serve one request. */
	void (*queue_io)(struct ubr_queue *q, unsigned tag,
			 const struct ublksrv_io_desc *iod);
	/* One of this target's SQEs for `tag` completed. */
	void (*io_done)(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
			const struct io_uring_cqe *cqe);
	/*
	 * Optional, for a target whose flags depend on its options (fault
	 * stores nothing, or serves a file with --backing): the ops table to
	 * use for these options. Asked before anything else, since the copy
	 * mode is chosen from the flags before init runs.
	 */
	const struct ubr_target_ops *(*variant)(const struct ubr_dev_opts *o);
	/*
	 * Optional (NULL: the size is fixed). Can the target serve a device of
	 * `new_size` bytes (a multiple of the logical block size) from now on?
	 * Asked by update-size before the kernel is told; 0, or -errno with
	 * dev->err_msg set. The core records the size once the kernel agrees.
	 */
	int (*resize)(struct ubr_dev *dev, uint64_t new_size);
};

const struct ubr_target_ops *ubr_target_find(const char *name);
/* For --help and the man page test: "null, loop, ..." */
const char *ubr_target_names(void);

/* Services for targets (src/queue.c). */
struct io_uring_sqe *ubr_tgt_sqe(struct ubr_queue *q, unsigned tag,
				 uint32_t tgt_data);
/*
 * Move request data to or from a backing file, in whatever copy mode the
 * device uses: read `len` bytes of `fd` at `file_off` into the request's
 * data at `data_off` (write == false), or write them from there. Returns
 * the prepared SQE (the caller may add flags such as RWF_DSYNC in
 * sqe->rw_flags); its completion comes to io_done like any target SQE.
 */
struct io_uring_sqe *ubr_tgt_rw(struct ubr_queue *q, unsigned tag, bool write,
				int fd, uint64_t file_off, uint32_t data_off,
				uint32_t len, uint32_t tgt_data);
/*
 * The same, done right now by the reactor thread (pread/pwrite, rwf: e.g.
 * RWF_DSYNC): bytes moved or -errno, as a CQE would say. Only for files
 * that never wait for a device, and not in zero copy (-EOPNOTSUPP).
 */
int ubr_tgt_rw_now(struct ubr_queue *q, unsigned tag, bool write, int fd,
		   uint64_t file_off, uint32_t data_off, uint32_t len, int rwf);
void ubr_io_complete(struct ubr_queue *q, unsigned tag, int result);
/* The per-tag buffer in buffer copy mode, NULL otherwise. */
void *ubr_io_buf(struct ubr_queue *q, unsigned tag);
/* The descriptor to read/write request data with in user copy mode. */
int ubr_io_cdev_fd(struct ubr_queue *q);
/* Set the device's error message (shown to the user by `add`). */
void ubr_dev_set_err(struct ubr_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

extern const struct ubr_target_ops ubr_target_null;

/* What null does, for targets that act like it (src/targets/null.c). */
/* Check the size against the block size and fill dev->params. */
int ubr_null_params(struct ubr_dev *dev);
/* The result null gives a request: its length, 0, or -EOPNOTSUPP. */
int ubr_null_result(const struct ublksrv_io_desc *iod);

extern const struct ubr_target_ops ubr_target_fault;

#endif /* UBR_TARGET_H */
