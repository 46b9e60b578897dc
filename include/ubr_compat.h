/* SPDX-License-Identifier: MIT */
/*
 * What leans on library internals or kernel quirks, in one place. Each
 * item says why it is here and when it can go. The two the hot path uses
 * are static inline, so that moving them here cost nothing.
 */
#ifndef UBR_COMPAT_H
#define UBR_COMPAT_H

#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <liburing.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* --- io_uring_enter with a timeout (kernel 5.11, liburing 2.8) ---------- */

/*
 * The raw io_uring_enter with IORING_ENTER_EXT_ARG: its sig argument points
 * to this struct (the kernel's io_uring_getevents_arg, written from the
 * documented ABI in include/uapi/linux/io_uring.h) and its size argument is
 * sizeof the struct. ts is a relative timeout. min_wait_usec, the kernel's
 * min wait (6.12), stays 0: it costs wake-ups under ublk (see
 * ubr_batch.h); "pad" in liburing 2.3.
 *
 * Can go, with ubr_sq_flush() and ubr_ring_enter() below, once the oldest
 * liburing we build with has io_uring_submit_and_wait_min_timeout() (2.8),
 * if its cost per turn measures the same (doc/PERFORMANCE.md); liburing
 * 2.3's io_uring_submit_and_wait_timeout() costs an extra enter to submit.
 */
struct ubr_getevents_arg {
	__u64 sigmask;	     /* sigset_t *, or 0 */
	__u32 sigmask_sz;
	__u32 min_wait_usec; /* "pad" in liburing 2.3's copy */
	__u64 ts;	     /* struct __kernel_timespec *, or 0 */
};

static_assert(sizeof(struct ubr_getevents_arg) ==
		      sizeof(struct io_uring_getevents_arg),
	      "io_uring_getevents_arg ABI");
/* A 32-bit build aligns __u64 to 4 only: ts is at 16 on every ABI. */
static_assert(offsetof(struct ubr_getevents_arg, ts) == 16,
	      "io_uring_getevents_arg ABI");

/*
 * Publish the SQEs queued since the last enter; how many the kernel has
 * yet to consume. liburing maps SQ slots to SQEs one to one when it sets
 * the ring up, so moving the tail is all a submission needs. This is
 * liburing's own bookkeeping (sqe_head, sqe_tail, ktail): we do it because
 * the raw enter below submits.
 */
static inline unsigned ubr_sq_flush(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;

	if (sq->sqe_head != sq->sqe_tail) {
		sq->sqe_head = sq->sqe_tail;
		io_uring_smp_store_release(sq->ktail, sq->sqe_tail);
	}
	return sq->sqe_tail - *sq->khead;
}

/*
 * Submit what is queued and wait for wait_nr completions, never past ts
 * (NULL: no bound): the raw io_uring_enter with the extended argument.
 * >= 0 or -errno.
 */
static inline int ubr_ring_enter(struct io_uring *ring, unsigned wait_nr,
				 const struct __kernel_timespec *ts)
{
	struct ubr_getevents_arg arg = {
		.ts = (uint64_t)(uintptr_t)ts,
	};
	unsigned n = ubr_sq_flush(ring);
	long ret;

	ret = syscall(__NR_io_uring_enter, ring->ring_fd, n, wait_nr,
		      IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
		      sizeof(arg));
	return ret < 0 ? -errno : (int)ret;
}

/* --- libev (src/core/compat.c) ------------------------------------------------ */

/*
 * libev's epoll descriptor, or -errno. libev has no accessor for it; we
 * read it from the ev_io inside an ev_embed, a member libev documents as
 * private. Can go if libev grows an accessor (ev_backend_fd()), or if the
 * loop moves off libev.
 */
int ubr_ev_backend_fd(struct ev_loop *loop);

/* --- kernel quirks (src/core/compat.c) ---------------------------------------- */

/*
 * Whether the ring releases a removed fixed file on its own (Linux 6.13):
 * a version test, as no feature flag tells. Can go when the oldest kernel
 * we support is 6.13.
 */
bool ubr_kernel_releases_fixed_files_alone(void);

/*
 * Whether requests on an in-memory backing file may be served inline on
 * this kernel, judged by ublk's QUIESCE feature as a proxy for "new enough"
 * (see src/core/compat.c). Can go when the oldest kernel we support has QUIESCE
 * (6.16), or when a run of t/kernel/recovery-stop.sh on 6.15 shows that
 * the oops was the cancel race fixed there.
 */
bool ubr_inline_io_safe(uint64_t ublk_features);

#endif /* UBR_COMPAT_H */
