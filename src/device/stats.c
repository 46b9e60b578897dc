/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <time.h>

#include "ublk_abi.h"
#include "ubr_stats.h"

uint64_t ubr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

unsigned ubr_lat_bucket(uint64_t ns)
{
	unsigned b = ns ? 63 - (unsigned)__builtin_clzll(ns) : 0;

	return b < UBR_LAT_BUCKETS ? b : UBR_LAT_BUCKETS - 1;
}

void ubr_stats_account(struct ubr_stats *s, unsigned op, int result,
		       uint64_t lat_ns)
{
	s->lat_hist[ubr_lat_bucket(lat_ns)]++;
	if (result < 0) {
		s->errors++;
		return;
	}
	switch (op) {
	case UBLK_IO_OP_READ:
		s->reads++;
		s->bytes_read += (unsigned)result;
		break;
	case UBLK_IO_OP_WRITE:
		s->writes++;
		s->bytes_written += (unsigned)result;
		break;
	case UBLK_IO_OP_FLUSH:
		s->flushes++;
		break;
	case UBLK_IO_OP_DISCARD:
		s->discards++;
		break;
	case UBLK_IO_OP_WRITE_ZEROES:
		s->write_zeroes++;
		break;
	}
}

/* Upper bound of the bucket holding the pct-th percentile, 0 if empty. */
uint64_t ubr_stats_percentile_ns(const struct ubr_stats *s, unsigned pct)
{
	uint64_t total = 0, seen = 0;
	unsigned b;

	for (b = 0; b < UBR_LAT_BUCKETS; b++)
		total += s->lat_hist[b];
	if (!total)
		return 0;
	for (b = 0; b < UBR_LAT_BUCKETS; b++) {
		seen += s->lat_hist[b];
		if (seen * 100 >= total * pct)
			break;
	}
	return b + 1 < 64 ? (1ULL << (b + 1)) : UINT64_MAX;
}
