/* SPDX-License-Identifier: MIT */
/* Latency buckets, percentiles, and what `stats` prints from them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ublk_abi.h"
#include "ubr_reactor.h"
#include "ubr_stats.h"

static void test_buckets(void)
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
}

/* The 99th percentile sits on the 99th of 100 requests, not the 100th. */
static void test_percentile_edges(void)
{
	struct ubr_stats s = { 0 };
	int i;

	for (i = 0; i < 99; i++)
		ubr_stats_account(&s, UBLK_IO_OP_READ, 512, 3000);
	ubr_stats_account(&s, UBLK_IO_OP_READ, 512, 5000000);
	is_int((long long)ubr_stats_percentile_ns(&s, 99), 4096,
	       "99 of 100 in [2048, 4096): p99 is 4096");
	is_int((long long)ubr_stats_percentile_ns(&s, 100), 1 << 23,
	       "p100 is the slow one's bucket");
	memset(&s, 0, sizeof(s));
	ubr_stats_account(&s, UBLK_IO_OP_FLUSH, 0, ~0ULL);
	ok(ubr_stats_percentile_ns(&s, 50) == 1ULL << UBR_LAT_BUCKETS,
	   "the last bucket's bound is finite");
	is_int((long long)s.flushes, 1, "flush counted");
}

/* Whatever a print function wrote, as one string (the caller frees it). */
static char *render(bool json, const struct ubr_reactor_counters *c,
		    const struct ubr_stats_row *rows, unsigned n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (json)
		ubr_stats_print_json(f, c, rows, n);
	else
		ubr_stats_print_text(f, c, rows, n);
	fclose(f);
	return text;
}

static const char json_one[] =
	"{\"reactor\": {\"enters\": 30, \"cqes\": 130, \"io_cqes\": 100, "
	"\"turns\": 29, \"submits\": 1, \"ev_runs\": 4, \"batched\": 0},\n"
	" \"devices\": [\n"
	"  {\"id\": 7, \"reads\": 2, \"writes\": 1, \"flushes\": 0, "
	"\"discards\": 1, \"write_zeroes\": 0, \"bytes_read\": 1048576, "
	"\"bytes_written\": 4096, \"errors\": 1, \"buf_fallbacks\": 0, \"lat_p50_ns\": 2048, "
	"\"lat_p99_ns\": 16384, \"lat_hist\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
	"3, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}\n"
	"]}\n";

static const char text_one[] =
	"ID           READS     WRITES   READ_MiB  WRITE_MiB  ERRORS   P50_us   P99_us\n"
	"7                2          1        1.0        0.0       1      2.0     16.4\n"
	"0                0          0        0.0        0.0       0        -        -\n"
	"reactor: 29 loop turns, 30 io_uring_enter calls, 130 CQEs, 100 I/O CQEs, "
	"0.30 enters per I/O\n";

static void test_render(void)
{
	struct ubr_reactor_counters c = { .enters = 30, .submits = 1,
					  .cqes = 130, .io_cqes = 100,
					  .ev_runs = 4, .turns = 29 };
	struct ubr_stats s = { 0 }, idle = { 0 };
	struct ubr_stats_row rows[2] = { { 7, &s }, { 0, &idle } };
	char *out;

	ubr_stats_account(&s, UBLK_IO_OP_READ, 512 << 10, 1500);
	ubr_stats_account(&s, UBLK_IO_OP_READ, 512 << 10, 2047);
	ubr_stats_account(&s, UBLK_IO_OP_WRITE, 4096, 3000);
	ubr_stats_account(&s, UBLK_IO_OP_DISCARD, 0, 1024);
	ubr_stats_account(&s, UBLK_IO_OP_READ, -5, 16000);

	out = render(true, &c, rows, 1);
	is_str(out, json_one, "json: the documented fields, in order");
	free(out);
	out = render(true, &c, rows, 0);
	ok(out && strstr(out, "\"devices\": []}\n"), "json: no devices");
	free(out);
	out = render(false, &c, rows, 2);
	is_str(out, text_one, "text: a row per device, then the reactor");
	free(out);
	memset(&c, 0, sizeof(c));
	out = render(false, &c, rows, 0);
	ok(out && strstr(out, "0 I/O CQEs, - enters per I/O\n"),
	   "text: no I/O yet, no ratio");
	free(out);
}

int main(void)
{
	test_buckets();
	test_percentile_edges();
	test_render();
	return done_testing();
}
