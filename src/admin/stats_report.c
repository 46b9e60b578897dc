/* SPDX-License-Identifier: MIT */
/*
 * What `stats` prints: pure functions of the counters, so that the unit
 * tests see exactly the daemon's output. The JSON field names are an
 * interface (the benchmark reads them): add fields, never rename.
 */
#include "config.h"

#include <inttypes.h>

#include "ubr_reactor.h"
#include "ubr_stats.h"

#define TEXT_FMT "%-7s %10s %10s %10s %10s %7s %8s %8s\n"

static void mib(char *buf, size_t len, uint64_t bytes)
{
	snprintf(buf, len, "%.1f", (double)bytes / (1024.0 * 1024.0));
}

/* A percentile in microseconds, "-" before the first request. */
static void lat_us(char *buf, size_t len, const struct ubr_stats *s,
		   unsigned pct)
{
	uint64_t ns = ubr_stats_percentile_ns(s, pct);

	if (ns)
		snprintf(buf, len, "%.1f", (double)ns / 1000.0);
	else
		snprintf(buf, len, "-");
}

static void text_row(FILE *f, const struct ubr_stats_row *row)
{
	const struct ubr_stats *s = row->s;
	char id[16], rd[24], wr[24], rmib[24], wmib[24], err[24], p50[24],
		p99[24];

	snprintf(id, sizeof(id), "%" PRIu32, row->id);
	snprintf(rd, sizeof(rd), "%" PRIu64, s->reads);
	snprintf(wr, sizeof(wr), "%" PRIu64, s->writes);
	mib(rmib, sizeof(rmib), s->bytes_read);
	mib(wmib, sizeof(wmib), s->bytes_written);
	snprintf(err, sizeof(err), "%" PRIu64, s->errors);
	lat_us(p50, sizeof(p50), s, 50);
	lat_us(p99, sizeof(p99), s, 99);
	fprintf(f, TEXT_FMT, id, rd, wr, rmib, wmib, err, p50, p99);
}

static void text_reactor(FILE *f, const struct ubr_reactor_counters *c)
{
	fprintf(f,
		"reactor: %" PRIu64 " loop turns, %" PRIu64
		" io_uring_enter calls, %" PRIu64 " CQEs, %" PRIu64 " I/O CQEs, ",
		c->turns, c->enters, c->cqes, c->io_cqes);
	if (c->io_cqes)
		fprintf(f, "%.2f enters per I/O\n",
			(double)c->enters / (double)c->io_cqes);
	else
		fprintf(f, "- enters per I/O\n");
}

void ubr_stats_print_text(FILE *f, const struct ubr_reactor_counters *c,
			  const struct ubr_stats_row *rows, unsigned n)
{
	unsigned i;

	fprintf(f, TEXT_FMT, "ID", "READS", "WRITES", "READ_MiB", "WRITE_MiB",
		"ERRORS", "P50_us", "P99_us");
	for (i = 0; i < n; i++)
		text_row(f, &rows[i]);
	text_reactor(f, c);
}

static void json_reactor(FILE *f, const struct ubr_reactor_counters *c)
{
	fprintf(f,
		"{\"reactor\": {\"enters\": %" PRIu64 ", \"cqes\": %" PRIu64
		", \"io_cqes\": %" PRIu64 ", \"turns\": %" PRIu64
		", \"submits\": %" PRIu64 ", \"ev_runs\": %" PRIu64
		", \"batched\": %" PRIu64 "},\n",
		c->enters, c->cqes, c->io_cqes, c->turns, c->submits,
		c->ev_runs, c->batched);
}

static void json_row(FILE *f, const struct ubr_stats_row *row)
{
	const struct ubr_stats *s = row->s;
	unsigned b;

	fprintf(f,
		"{\"id\": %" PRIu32 ", \"reads\": %" PRIu64 ", \"writes\": %" PRIu64
		", \"flushes\": %" PRIu64 ", \"discards\": %" PRIu64
		", \"write_zeroes\": %" PRIu64 ", \"bytes_read\": %" PRIu64
		", \"bytes_written\": %" PRIu64 ", \"errors\": %" PRIu64
		", \"buf_fallbacks\": %" PRIu64 ", \"lat_p50_ns\": %" PRIu64 ", \"lat_p99_ns\": %" PRIu64
		", \"lat_hist\": [",
		row->id, s->reads, s->writes, s->flushes, s->discards,
		s->write_zeroes, s->bytes_read, s->bytes_written, s->errors,
		s->buf_fallbacks, ubr_stats_percentile_ns(s, 50), ubr_stats_percentile_ns(s, 99));
	for (b = 0; b < UBR_LAT_BUCKETS; b++)
		fprintf(f, "%s%" PRIu64, b ? ", " : "", s->lat_hist[b]);
	fprintf(f, "]}");
}

void ubr_stats_print_json(FILE *f, const struct ubr_reactor_counters *c,
			  const struct ubr_stats_row *rows, unsigned n)
{
	unsigned i;

	json_reactor(f, c);
	fprintf(f, " \"devices\": [");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		json_row(f, &rows[i]);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
}
