/* SPDX-License-Identifier: MIT */
/*
 * Per-device counters, cheap enough to keep on every request: a few adds and
 * one log2 bucket for the latency (from the moment the request reached the
 * daemon to the moment it was committed back).
 */
#ifndef UBR_STATS_H
#define UBR_STATS_H

#include <stdint.h>
#include <stdio.h>

#define UBR_LAT_BUCKETS 32 /* bucket b holds latencies in [2^b, 2^(b+1)) ns */

struct ubr_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;
	/* zero copy: requests the kernel could not register, we did */
	uint64_t buf_fallbacks;
	uint64_t lat_hist[UBR_LAT_BUCKETS];
};

/* CLOCK_MONOTONIC in nanoseconds: latencies and the stop's drain. */
uint64_t ubr_now_ns(void);
unsigned ubr_lat_bucket(uint64_t ns);
void ubr_stats_account(struct ubr_stats *s, unsigned op, int result,
		       uint64_t lat_ns);
uint64_t ubr_stats_percentile_ns(const struct ubr_stats *s, unsigned pct);

/* --- the `stats` command's output (src/admin/stats_report.c) ------------------ */

struct ubr_reactor_counters;

/* One device's counters, as `stats` shows them. */
struct ubr_stats_row {
	uint32_t id;
	const struct ubr_stats *s;
};

/* A table, one row per device, then one line for the reactor. */
void ubr_stats_print_text(FILE *f, const struct ubr_reactor_counters *c,
			  const struct ubr_stats_row *rows, unsigned n);
/* {"reactor": {...}, "devices": [...]}: see ublk-reactor(8). */
void ubr_stats_print_json(FILE *f, const struct ubr_reactor_counters *c,
			  const struct ubr_stats_row *rows, unsigned n);

#endif /* UBR_STATS_H */
