/* SPDX-License-Identifier: MIT */
/*
 * What the io_uring ABI has that the system's liburing (2.3 on Debian 12)
 * does not say: the min-wait of io_uring_enter (kernel 6.12). Written from
 * the kernel's documented ABI (include/uapi/linux/io_uring.h).
 *
 * With IORING_ENTER_EXT_ARG, io_uring_enter's sig argument points to this
 * struct and its size argument is sizeof the struct. The wait then:
 *  - returns as soon as min_complete completions are there;
 *  - once min_wait_usec have passed, returns if any completion is there;
 *  - else goes on waiting, until the first completion or ts (relative).
 * Without a ts the min wait ends the wait, completions or not, so a batched
 * wait always passes one. Kernels without IORING_FEAT_MIN_TIMEOUT read
 * min_wait_usec as padding: it must then be 0.
 */
#ifndef UBR_URING_EXT_H
#define UBR_URING_EXT_H

#include <assert.h>
#include <stddef.h>
#include <liburing.h>
#include <linux/types.h>

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#endif

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

#endif /* UBR_URING_EXT_H */
