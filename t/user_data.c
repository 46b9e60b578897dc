/* SPDX-License-Identifier: MIT */
/* user_data layout: round trips, field limits, and no field bleeding. */
#include "config.h"

#include <stdint.h>

#include "tap.h"
#include "ubr_user_data.h"

static void round_trip(enum ubr_ud_kind k, unsigned dev, unsigned q,
		       unsigned tag, uint32_t data)
{
	struct ubr_ud d = ubr_ud_decode(ubr_ud_encode(k, dev, q, tag, data));

	ok(d.kind == k && d.dev == dev && d.queue == q && d.tag == tag &&
		   d.data == data,
	   "round trip kind %d dev %u q %u tag %u data %u", k, dev, q, tag,
	   data);
}

static void field_isolation(void)
{
	uint64_t all = ubr_ud_encode(UBR_UD_KIND_MAX, UBR_MAX_DEVS - 1,
				     UBR_MAX_QUEUES - 1, UBR_MAX_DEPTH - 1,
				     UBR_MAX_TGT_DATA);

	is_int((long long)(all == UINT64_MAX), 1, "all fields at max fill 64 bits");
	is_int(ubr_ud_decode(ubr_ud_encode(UBR_UD_IO_CMD, 0, 0, 0, UBR_MAX_TGT_DATA))
		       .tag,
	       0, "max target data does not reach the tag");
	is_int(ubr_ud_decode(ubr_ud_encode(UBR_UD_IO_CMD, 0, 0, UBR_MAX_DEPTH - 1, 0))
		       .queue,
	       0, "max tag does not reach the queue");
	is_int(ubr_ud_decode(ubr_ud_encode(UBR_UD_IO_CMD, 0, UBR_MAX_QUEUES - 1, 0, 0))
		       .dev,
	       0, "max queue does not reach the device");
	is_int(ubr_ud_kind_of(ubr_ud_encode(UBR_UD_CTRL, UBR_MAX_DEVS - 1, 0, 0, 0)),
	       UBR_UD_CTRL, "max device does not reach the kind");
	is_int(ubr_ud_decode(ubr_ud_encode(UBR_UD_TARGET, UBR_MAX_DEVS, 0, 0, 0)).dev,
	       0, "an oversized device slot is truncated, not spilled");
	is_int((long long)ubr_ud_encode(UBR_UD_INVALID, 0, 0, 0, 0), 0,
	       "kind 0 with zero fields is user_data 0");
	ok(ubr_ud_kind_of(UINT64_MAX) != UBR_UD_IO_CMD &&
		   ubr_ud_kind_of(UINT64_MAX) != UBR_UD_TARGET,
	   "liburing's internal -1 user_data is not a kind we dispatch");
}

/* Batch commands: the queue's, with the op in data and the buffer in tag. */
static void batch_layout(void)
{
	struct ubr_ud d = ubr_ud_decode(ubr_ud_batch(UBR_MAX_DEVS - 1,
						     UBR_MAX_QUEUES - 1,
						     UBR_UD_BATCH_COMMIT, 1));

	ok(d.kind == UBR_UD_BATCH && d.dev == UBR_MAX_DEVS - 1 &&
		   d.queue == UBR_MAX_QUEUES - 1 && d.tag == 1 &&
		   d.data == UBR_UD_BATCH_COMMIT,
	   "a batch COMMIT names dev, queue, buffer and op");
	d = ubr_ud_decode(ubr_ud_batch(3, 2, UBR_UD_BATCH_FETCH, 0));
	ok(d.kind == UBR_UD_BATCH && d.dev == 3 && d.queue == 2 &&
		   d.tag == 0 && d.data == UBR_UD_BATCH_FETCH,
	   "a batch FETCH names dev and queue");
	is_int(ubr_ud_decode(ubr_ud_batch(0, 0, UBR_UD_BATCH_PREP, 0)).data,
	       UBR_UD_BATCH_PREP, "PREP is op 0");
	ok(ubr_ud_batch(0, 0, UBR_UD_BATCH_PREP, 0) != 0,
	   "a batch PREP is never a zero user_data");
	ok(UBR_UD_BATCH <= UBR_UD_KIND_MAX, "the batch kind fits");
	is_int(UBR_MAX_BGIDS, 65536, "group ids: the kernel's 16 bits");
}

int main(void)
{
	unsigned dev, q;

	round_trip(UBR_UD_IO_CMD, 0, 0, 0, 0);
	round_trip(UBR_UD_TARGET, 1, 2, 3, 4);
	round_trip(UBR_UD_CTRL, 0, 0, 0, 12345);
	round_trip(UBR_UD_EVENT, 0, 0, 0, 1);
	round_trip(UBR_UD_EVENT, 0, 0, UBR_MAX_DEPTH - 1, 1); /* a generation */
	round_trip(UBR_UD_IO_CMD, UBR_MAX_DEVS - 1, UBR_MAX_QUEUES - 1,
		   UBR_MAX_DEPTH - 1, UBR_MAX_TGT_DATA);
	for (dev = 1; dev < UBR_MAX_DEVS; dev <<= 3)
		for (q = 1; q < UBR_MAX_QUEUES; q <<= 3)
			round_trip(UBR_UD_TARGET, dev, q, dev % UBR_MAX_DEPTH,
				   dev * q);
	field_isolation();
	batch_layout();
	is_int(UBR_MAX_DEVS, 4096, "4096 device slots");
	is_int(UBR_MAX_QUEUES, 256, "256 queues per device");
	is_int(UBR_MAX_DEPTH, 4096, "depth up to UBLK_MAX_QUEUE_DEPTH");
	return done_testing();
}
