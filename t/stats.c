/* SPDX-License-Identifier: MIT */
/* Latency buckets and percentiles of the per-device counters. */
#include "tap.h"
#include "ublk_abi.h"
#include "ubr_stats.h"

int main(void)
{
	struct ubr_stats s = { 0 };
	int i;

	is_int(ubr_lat_bucket(0), 0, "0 ns is bucket 0");
	is_int(ubr_lat_bucket(1), 0, "1 ns is bucket 0");
	is_int(ubr_lat_bucket(1023), 9, "1023 ns is bucket 9");
	is_int(ubr_lat_bucket(1024), 10, "1024 ns is bucket 10");
	is_int(ubr_lat_bucket(~0ULL), UBR_LAT_BUCKETS - 1, "huge clamps to last");
	is_int((long long)ubr_stats_percentile_ns(&s, 50), 0, "empty: p50 is 0");

	for (i = 0; i < 90; i++)
		ubr_stats_account(&s, UBLK_IO_OP_READ, 4096, 1000);
	for (i = 0; i < 10; i++)
		ubr_stats_account(&s, UBLK_IO_OP_WRITE, 8192, 100000);
	ubr_stats_account(&s, UBLK_IO_OP_WRITE, -5, 10);
	is_int((long long)s.reads, 90, "reads counted");
	is_int((long long)s.bytes_written, 81920, "bytes written counted");
	is_int((long long)s.errors, 1, "error counted, not as a write");
	is_int((long long)ubr_stats_percentile_ns(&s, 50), 1024, "p50 bound");
	is_int((long long)ubr_stats_percentile_ns(&s, 99), 131072, "p99 bound");
	return done_testing();
}
