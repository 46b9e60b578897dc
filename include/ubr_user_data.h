/* SPDX-License-Identifier: MIT */
/*
 * What a completion belongs to, packed into the 64-bit io_uring user_data.
 *
 * Every SQE on the one shared ring carries one of these, so the reactor can
 * route a CQE with a single switch on the kind and array lookups, never a
 * pointer from the kernel's hands:
 *
 *   63      60 59          48 47      40 39         28 27                  0
 *  +----------+--------------+----------+-------------+---------------------+
 *  |   kind   |  dev slot    |  queue   |     tag     |     target data     |
 *  |  4 bits  |   12 bits    |  8 bits  |   12 bits   |       28 bits       |
 *  +----------+--------------+----------+-------------+---------------------+
 *
 * - kind: enum ubr_ud_kind. 0 is never used, so a zeroed SQE is caught.
 * - dev slot: the daemon's own index of the device (not the kernel's device
 *   id, which may be any 32-bit number).
 * - queue, tag: the ublk queue and request tag (depth <= 4096 = 2^12).
 * - target data: the target's own bits (e.g. which backing file), or the
 *   control-command slot for UBR_UD_CTRL.
 *
 * The reactor's poll on libev's epoll descriptor (UBR_UD_EVENT, target data
 * UBR_EVENT_LIBEV) carries in the tag field the generation of the epoll
 * descriptor it polls, modulo 4096: libev may replace that descriptor, and
 * a completion of the old one's poll must not count for the new one's.
 *
 * Batch I/O (UBLK_F_BATCH_IO) commands are a queue's, not a tag's: kind
 * UBR_UD_BATCH, the dev slot and queue as above, the command (enum
 * ubr_ud_batch_op) in the target data, and in the tag field which of the
 * queue's commit buffers a COMMIT carries (0 for PREP and FETCH):
 *
 *   kind 8 | dev slot | queue | commit buffer | PREP 0, COMMIT 1, FETCH 2
 *
 * A queue's FETCH picks its tag buffers from a provided buffer ring of
 * its own on the shared ring, named by a 16-bit buffer group id (bgid).
 * The bgid scheme: a batch device takes nr_queues consecutive group ids
 * when its queues are set up (first fit among UBR_MAX_BGIDS, the kernel's
 * whole 16-bit space), queue q uses base + q, and they go back when its
 * queues are freed. Group ids never appear in user_data: a completion
 * names its queue, and the queue knows its group.
 */
#ifndef UBR_USER_DATA_H
#define UBR_USER_DATA_H

#include <assert.h>
#include <stdint.h>

enum ubr_ud_kind {
	UBR_UD_INVALID = 0,
	UBR_UD_IO_CMD = 1, /* FETCH / COMMIT_AND_FETCH on /dev/ublkcN */
	UBR_UD_TARGET = 2, /* a target's backing I/O for one request */
	UBR_UD_CTRL = 3,   /* a control command on /dev/ublk-control */
	UBR_UD_EVENT = 4,  /* the reactor's own: libev poll, wake-ups */
	UBR_UD_IGNORE = 5, /* fire-and-forget (cancel, close): result unused */
	UBR_UD_COPY = 6,   /* user copy: request data to or from the kernel */
	UBR_UD_BUF = 7,	   /* zero copy: (un)register a request's pages */
	UBR_UD_BATCH = 8,  /* batch I/O: a queue's PREP, COMMIT or FETCH */
	UBR_UD_KIND_MAX = 15,
};

#define UBR_UD_KIND_BITS 4
#define UBR_UD_DEV_BITS 12
#define UBR_UD_QUEUE_BITS 8
#define UBR_UD_TAG_BITS 12
#define UBR_UD_DATA_BITS 28

#define UBR_UD_DATA_SHIFT 0
#define UBR_UD_TAG_SHIFT (UBR_UD_DATA_SHIFT + UBR_UD_DATA_BITS)
#define UBR_UD_QUEUE_SHIFT (UBR_UD_TAG_SHIFT + UBR_UD_TAG_BITS)
#define UBR_UD_DEV_SHIFT (UBR_UD_QUEUE_SHIFT + UBR_UD_QUEUE_BITS)
#define UBR_UD_KIND_SHIFT (UBR_UD_DEV_SHIFT + UBR_UD_DEV_BITS)

/* The limits the layout imposes on the rest of the daemon. */
#define UBR_MAX_DEVS (1U << UBR_UD_DEV_BITS)
#define UBR_MAX_QUEUES (1U << UBR_UD_QUEUE_BITS)
#define UBR_MAX_DEPTH (1U << UBR_UD_TAG_BITS)
#define UBR_MAX_TGT_DATA ((1U << UBR_UD_DATA_BITS) - 1)

static_assert(UBR_UD_KIND_SHIFT + UBR_UD_KIND_BITS == 64,
	      "user_data fields must fill 64 bits exactly");
static_assert(UBR_UD_KIND_MAX < (1U << UBR_UD_KIND_BITS), "kind fits");
static_assert(UBR_MAX_DEPTH == 4096, "tag holds UBLK_MAX_QUEUE_DEPTH tags");

struct ubr_ud {
	enum ubr_ud_kind kind;
	uint16_t dev;
	uint16_t queue;
	uint16_t tag;
	uint32_t data;
};

static inline uint64_t ubr_ud_field(uint64_t v, unsigned bits, unsigned shift)
{
	return (v & ((1ULL << bits) - 1)) << shift;
}

/* Values wider than their field are truncated: callers check limits. */
static inline uint64_t ubr_ud_encode(enum ubr_ud_kind kind, unsigned dev,
				     unsigned queue, unsigned tag, uint32_t data)
{
	return ubr_ud_field(kind, UBR_UD_KIND_BITS, UBR_UD_KIND_SHIFT) |
	       ubr_ud_field(dev, UBR_UD_DEV_BITS, UBR_UD_DEV_SHIFT) |
	       ubr_ud_field(queue, UBR_UD_QUEUE_BITS, UBR_UD_QUEUE_SHIFT) |
	       ubr_ud_field(tag, UBR_UD_TAG_BITS, UBR_UD_TAG_SHIFT) |
	       ubr_ud_field(data, UBR_UD_DATA_BITS, UBR_UD_DATA_SHIFT);
}

static inline unsigned ubr_ud_get(uint64_t ud, unsigned bits, unsigned shift)
{
	return (unsigned)((ud >> shift) & ((1ULL << bits) - 1));
}

static inline struct ubr_ud ubr_ud_decode(uint64_t ud)
{
	struct ubr_ud d = {
		.kind = ubr_ud_get(ud, UBR_UD_KIND_BITS, UBR_UD_KIND_SHIFT),
		.dev = ubr_ud_get(ud, UBR_UD_DEV_BITS, UBR_UD_DEV_SHIFT),
		.queue = ubr_ud_get(ud, UBR_UD_QUEUE_BITS, UBR_UD_QUEUE_SHIFT),
		.tag = ubr_ud_get(ud, UBR_UD_TAG_BITS, UBR_UD_TAG_SHIFT),
		.data = ubr_ud_get(ud, UBR_UD_DATA_BITS, UBR_UD_DATA_SHIFT),
	};
	return d;
}

/* A batch command's user_data (see the layout above). */
enum ubr_ud_batch_op {
	UBR_UD_BATCH_PREP = 0,
	UBR_UD_BATCH_COMMIT = 1,
	UBR_UD_BATCH_FETCH = 2,
};

#define UBR_MAX_BGIDS (1U << 16) /* io_uring's buffer group ids: __u16 */

static inline uint64_t ubr_ud_batch(unsigned dev, unsigned queue,
				    enum ubr_ud_batch_op op, unsigned buf)
{
	return ubr_ud_encode(UBR_UD_BATCH, dev, queue, buf, op);
}

static inline enum ubr_ud_kind ubr_ud_kind_of(uint64_t ud)
{
	return ubr_ud_get(ud, UBR_UD_KIND_BITS, UBR_UD_KIND_SHIFT);
}

#endif /* UBR_USER_DATA_H */
