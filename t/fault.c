/* SPDX-License-Identifier: MIT */
/*
 * The fault target's options (as `add` parses them) and its failure
 * decision: the fraction that fails is the rate, the same seed gives the
 * same failures, other seeds other ones, and only the chosen ops and
 * offsets ever fail.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "tap.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_util.h"
#include "fault.h"

#define N_IOS 100000
#define MiB (1ULL << 20)

static char err[256];

/* `add fault OPT VAL` with --fail-rate added: the parsed fault options. */
static int parse1(const char *opt, const char *val, struct ubr_dev_opts *o)
{
	char **v = ARGV("add", "fault", (char *)opt, (char *)val,
			"--fail-rate", "0.5");

	if (!strcmp(opt, "--fail-rate"))
		v[4] = NULL;
	return ubr_parse_add(nargs(v), v, o, err, sizeof(err));
}

static void opt_ok(const char *opt, const char *val, uint64_t want,
		   uint64_t (*field)(const struct ubr_dev_opts *))
{
	struct ubr_dev_opts o;
	int ret = parse1(opt, val, &o);

	ok(ret == 0 && field(&o) == want, "%s %s = %llu (got %d %s)", opt, val,
	   (unsigned long long)want, ret, err);
	if (!ret)
		ubr_dev_opts_release(&o);
}

static void opt_bad(const char *opt, const char *val, const char *msg)
{
	struct ubr_dev_opts o;
	int ret = parse1(opt, val, &o);

	ok(ret == -EINVAL && strstr(err, msg) && !strchr(err, '\n'),
	   "%s '%s' refused: %s (got %d: %s)", opt, val, msg, ret, err);
	if (!ret)
		ubr_dev_opts_release(&o);
}

/* The fault target's own options, as the parser left them. */
static const struct ubr_fault_opts *fopts(const struct ubr_dev_opts *o)
{
	return &((const struct ubr_fault_args *)o->tgt_opts)->f;
}

static bool fbuffered(const struct ubr_dev_opts *o)
{
	return ((const struct ubr_fault_args *)o->tgt_opts)->files.buffered;
}

static uint64_t get_delay(const struct ubr_dev_opts *o)
{
	return fopts(o)->delay_ns;
}

static uint64_t get_ppm(const struct ubr_dev_opts *o)
{
	return fopts(o)->fail_ppm;
}

static uint64_t get_ops(const struct ubr_dev_opts *o)
{
	return fopts(o)->fail_ops;
}

static uint64_t get_seed(const struct ubr_dev_opts *o)
{
	return fopts(o)->seed;
}

static uint64_t get_range(const struct ubr_dev_opts *o)
{
	return fopts(o)->fail_start * 1000 + fopts(o)->fail_end / MiB;
}

static void test_values(void)
{
	opt_ok("--delay", "0", 0, get_delay);
	opt_ok("--delay", "7ns", 7, get_delay);
	opt_ok("--delay", "500us", 500000, get_delay);
	opt_ok("--delay", "20ms", 20000000, get_delay);
	opt_ok("--delay", "10s", 10000000000ULL, get_delay);
	opt_bad("--delay", "5", "not a duration");
	opt_bad("--delay", "1.5ms", "not a duration");
	opt_bad("--delay", "1min", "not a duration");
	opt_bad("--delay", "ms", "not a duration");
	opt_bad("--delay", "11s", "at most 10s");
	opt_bad("--delay", "10001ms", "at most 10s");
	opt_bad("--delay", "99999999999999999999s", "not a duration");

	opt_ok("--fail-rate", "0", 0, get_ppm);
	opt_ok("--fail-rate", "1", 1000000, get_ppm);
	opt_ok("--fail-rate", "0.2", 200000, get_ppm);
	opt_ok("--fail-rate", "0.000001", 1, get_ppm);
	opt_ok("--fail-rate", "0.10000000", 100000, get_ppm);
	opt_ok("--fail-rate", "20%", 200000, get_ppm);
	opt_ok("--fail-rate", "12.5%", 125000, get_ppm);
	opt_ok("--fail-rate", "100%", 1000000, get_ppm);
	opt_bad("--fail-rate", "1.5", "must be 0..1");
	opt_bad("--fail-rate", "101%", "must be 0..1");
	opt_bad("--fail-rate", "0.0000001", "one in a million");
	opt_bad("--fail-rate", "0.00001%", "one in a million");
	opt_bad("--fail-rate", ".5", "not a probability");
	opt_bad("--fail-rate", "1.", "not a probability");
	opt_bad("--fail-rate", "-0.1", "not a probability");
	opt_bad("--fail-rate", "0.1%%", "not a probability");
	opt_bad("--fail-rate", "", "not a probability");

	opt_ok("--fail-ops", "read", UBR_FAULT_READ, get_ops);
	opt_ok("--fail-ops", "write,read,write", UBR_FAULT_READ | UBR_FAULT_WRITE,
	       get_ops);
	opt_ok("--fail-ops", "read,write,flush,discard,write-zeroes",
	       UBR_FAULT_ALL_OPS, get_ops);
	opt_bad("--fail-ops", "", "unknown op ''");
	opt_bad("--fail-ops", "read,", "unknown op ''");
	opt_bad("--fail-ops", "READ", "unknown op 'READ'");
	opt_bad("--fail-ops", "read,writes", "unknown op 'writes'");

	opt_ok("--fail-offset", "0-1M", 1, get_range);
	opt_ok("--fail-offset", "3-2G", 3 * 1000 + 2048, get_range);
	opt_bad("--fail-offset", "1M-1M", "START must be below END");
	opt_bad("--fail-offset", "2M-1M", "START must be below END");
	opt_bad("--fail-offset", "1M", "not START-END");
	opt_bad("--fail-offset", "-1M", "not START-END");
	opt_bad("--fail-offset", "1M-", "not START-END");
	opt_bad("--fail-offset", "a-b", "not START-END");

	opt_ok("--seed", "18446744073709551615", UINT64_MAX, get_seed);
	opt_bad("--seed", "-1", "--seed");
	opt_bad("--seed", "18446744073709551616", "--seed");
}

static void add_bad(char **argv, const char *want, const char *what)
{
	struct ubr_dev_opts o;
	int ret = ubr_parse_add(nargs(argv), argv, &o, err, sizeof(err));

	ok(ret == -EINVAL && strstr(err, want), "%s: '%s' (got %d: %s)", what,
	   want, ret, err);
}

static void test_combinations(void)
{
	struct ubr_dev_opts o;
	int argi[UBR_MAX_FILES];
	char **v;
	int ret;

	v = ARGV("add", "fault", "--delay", "1ms", "--backing", "img",
		 "--fail-rate", "0.1", "--fail-ops", "read", "--fail-offset",
		 "1M-2M", "--seed", "9", "--buffered");
	ret = ubr_parse_add_at(nargs(v), v, &o, argi, err, sizeof(err));
	ok(ret == 0 && o.nr_files == 1 && !strcmp(o.paths[0], "img") &&
		   argi[0] == 5 && fopts(&o)->backing && fbuffered(&o) &&
		   fopts(&o)->delay_ns == 1000000 && fopts(&o)->fail_ppm == 100000 &&
		   fopts(&o)->fail_ops == UBR_FAULT_READ &&
		   fopts(&o)->fail_start == MiB && fopts(&o)->fail_end == 2 * MiB &&
		   fopts(&o)->seed == 9,
	   "every fault option (got %d: %s)", ret, err);
	if (!ret)
		ubr_dev_opts_release(&o);
	v = ARGV("add", "fault", "--seed", "1", "--fail-rate", "1",
		 "--backing", "dir/img");
	ret = ubr_parse_add_at(nargs(v), v, &o, argi, err, sizeof(err));
	ok(ret == 0 && o.nr_files == 1 && !strcmp(o.paths[0], "dir/img") &&
		   argi[0] == 7,
	   "--backing FILE: FILE is word 7 (got %d: %s)", ret, err);
	if (!ret)
		ubr_dev_opts_release(&o);
	v = ARGV("add", "fault");
	ret = ubr_parse_add(nargs(v), v, &o, err, sizeof(err));
	ok(ret == 0 && !o.nr_files && !fopts(&o)->backing &&
		   !fopts(&o)->delay_ns && !fopts(&o)->fail_ppm,
	   "fault alone: no file, no delay, no failures");
	if (!ret)
		ubr_dev_opts_release(&o);

	add_bad(ARGV("add", "null", "--delay", "1ms"),
		"option --delay is for the fault target only", "delay on null");
	add_bad(ARGV("add", "loop", "img", "--fail-rate", "0.1"),
		"option --fail-rate is for the fault target only",
		"rate on loop");
	add_bad(ARGV("add", "stripe", "a", "b", "--seed", "1"),
		"option --seed is for the fault target only", "seed on stripe");
	add_bad(ARGV("add", "loop", "--backing", "img"),
		"option --backing is for the fault target only",
		"backing on loop");
	add_bad(ARGV("add", "fault", "img"), "use --backing FILE",
		"a bare FILE");
	add_bad(ARGV("add", "fault", "--backing", "a", "b"),
		"use --backing FILE", "--backing and a bare FILE");
	add_bad(ARGV("add", "fault", "--backing=img"),
		"takes FILE as a word of its own", "--backing=FILE");
	add_bad(ARGV("add", "fault", "--backing", "a", "--backing", "b"),
		"--backing given twice", "two --backing");
	add_bad(ARGV("add", "fault", "--buffered"), "needs --backing",
		"--buffered without a file");
	add_bad(ARGV("add", "fault", "--fail-ops", "read"),
		"--fail-ops needs --fail-rate", "ops without a rate");
	add_bad(ARGV("add", "fault", "--fail-offset", "0-1M"),
		"--fail-offset needs --fail-rate", "range without a rate");
	add_bad(ARGV("add", "fault", "--seed", "3"),
		"--seed needs --fail-rate", "seed without a rate");
}

/* --- the decision -------------------------------------------------------- */

/* A fixed sequence of synthetic requests: xorshift64*, seeded. */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

struct io {
	unsigned op;
	uint64_t off, len;
};

/* Random 4K-aligned reads and writes of 4K..1M in 1T. */
static void random_io(uint64_t *x, struct io *io)
{
	io->op = rng_next(x) & 1 ? UBLK_IO_OP_WRITE : UBLK_IO_OP_READ;
	io->off = (rng_next(x) % (1ULL << 28)) << 12;
	io->len = (1 + rng_next(x) % 256) << 12;
}

static struct ubr_fault_opts opts(uint32_t ppm, uint64_t seed)
{
	struct ubr_fault_opts o = { .fail_ppm = ppm, .seed = seed };

	return o;
}

static double fraction_random(const struct ubr_fault_opts *o)
{
	uint64_t x = 0x1234567, n = 0;
	struct io io;
	int i;

	for (i = 0; i < N_IOS; i++) {
		random_io(&x, &io);
		n += ubr_fault_should_fail(o, io.op, io.off, io.len);
	}
	return (double)n / N_IOS;
}

/* Sequential 4K reads: structured input must not bias the hash. */
static double fraction_sequential(const struct ubr_fault_opts *o)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < N_IOS; i++)
		n += ubr_fault_should_fail(o, UBLK_IO_OP_READ,
					   (uint64_t)i << 12, 4096);
	return (double)n / N_IOS;
}

/*
 * The tolerance, 0.01, is over 6 standard deviations of a fraction of
 * 100000 fair draws (at most 0.0016): a correct hash never misses it.
 */
static void test_fraction(void)
{
	static const uint32_t ppms[] = { 10000, 200000, 500000, 900000 };
	struct ubr_fault_opts o;
	double p, f;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ppms); i++) {
		o = opts(ppms[i], 42);
		p = ppms[i] / 1e6;
		f = fraction_random(&o);
		ok(f > p - 0.01 && f < p + 0.01,
		   "rate %.2f: %.4f of %d random I/Os fail", p, f, N_IOS);
		f = fraction_sequential(&o);
		ok(f > p - 0.01 && f < p + 0.01,
		   "rate %.2f: %.4f of %d sequential I/Os fail", p, f, N_IOS);
	}
	o = opts(0, 42);
	ok(fraction_random(&o) == 0, "rate 0: nothing fails");
	o = opts(UBR_FAULT_PPM, 42);
	ok(fraction_random(&o) == 1, "rate 1: everything fails");
	o = opts(1, 42);
	f = fraction_random(&o);
	ok(f < 0.0001, "rate 0.000001: %.5f fail", f);
}

/* Over the same requests: how many decisions of a and b differ. */
static int disagreements(const struct ubr_fault_opts *a,
			 const struct ubr_fault_opts *b)
{
	uint64_t x = 99;
	struct io io;
	int i, n = 0;

	for (i = 0; i < N_IOS; i++) {
		random_io(&x, &io);
		n += ubr_fault_should_fail(a, io.op, io.off, io.len) !=
		     ubr_fault_should_fail(b, io.op, io.off, io.len);
	}
	return n;
}

static void test_seeds(void)
{
	struct ubr_fault_opts a = opts(200000, 1), b = opts(200000, 1);
	double d;

	is_int(disagreements(&a, &b), 0, "the same seed fails the same I/Os");
	b.seed = 2;
	/* Independent choices at rate p differ on 2p(1-p) = 0.32 of them. */
	d = (double)disagreements(&a, &b) / N_IOS;
	ok(d > 0.3 && d < 0.34, "seeds 1 and 2 differ on %.4f of the I/Os", d);
	b.seed = 1ULL << 63 | 1;
	d = (double)disagreements(&a, &b) / N_IOS;
	ok(d > 0.3 && d < 0.34, "seeds differing in bit 63 differ on %.4f", d);
	ok(ubr_fault_should_fail(&a, UBLK_IO_OP_READ, 0, 4096) ==
		   ubr_fault_should_fail(&a, UBLK_IO_OP_READ, 0, 4096),
	   "a retried I/O gets the same answer");
}

/* How many of N_IOS random I/Os of op `op` fail. */
static int fails_of_op(const struct ubr_fault_opts *o, unsigned op)
{
	uint64_t x = 7;
	struct io io;
	int i, n = 0;

	for (i = 0; i < N_IOS; i++) {
		random_io(&x, &io);
		n += ubr_fault_should_fail(o, op, io.off, io.len);
	}
	return n;
}

static void test_ops(void)
{
	struct ubr_fault_opts o = opts(500000, 3);

	o.fail_ops = UBR_FAULT_READ;
	ok(fails_of_op(&o, UBLK_IO_OP_READ) > N_IOS / 3, "reads fail");
	is_int(fails_of_op(&o, UBLK_IO_OP_WRITE), 0, "writes never fail");
	is_int(fails_of_op(&o, UBLK_IO_OP_FLUSH), 0, "flushes never fail");
	o.fail_ops = UBR_FAULT_FLUSH | UBR_FAULT_DISCARD |
		     UBR_FAULT_WRITE_ZEROES;
	is_int(fails_of_op(&o, UBLK_IO_OP_READ), 0, "not reads");
	ok(fails_of_op(&o, UBLK_IO_OP_DISCARD) > N_IOS / 3, "discards fail");
	ok(fails_of_op(&o, UBLK_IO_OP_WRITE_ZEROES) > N_IOS / 3,
	   "write-zeroes fail");
	o.fail_ops = 0;
	ok(fails_of_op(&o, UBLK_IO_OP_WRITE) > N_IOS / 3,
	   "no --fail-ops: writes fail too");
	is_int(fails_of_op(&o, UBLK_IO_OP_WRITE_SAME), 0,
	       "an op --fail-ops cannot name never fails");
}

static void test_range(void)
{
	struct ubr_fault_opts o = opts(UBR_FAULT_PPM, 5);
	uint64_t x = 11, in = 0, in_fails = 0, out_fails = 0;
	struct io io;
	int i;

	o.fail_start = MiB;
	o.fail_end = 2 * MiB;
	ok(!ubr_fault_should_fail(&o, UBLK_IO_OP_READ, 0, MiB),
	   "an I/O ending at START never fails");
	ok(!ubr_fault_should_fail(&o, UBLK_IO_OP_READ, 2 * MiB, 4096),
	   "an I/O from END never fails");
	ok(ubr_fault_should_fail(&o, UBLK_IO_OP_READ, MiB - 4096, 8192),
	   "an I/O across START fails (rate 1)");
	ok(ubr_fault_should_fail(&o, UBLK_IO_OP_WRITE, 2 * MiB - 512, 4096),
	   "an I/O across END fails (rate 1)");
	ok(ubr_fault_should_fail(&o, UBLK_IO_OP_FLUSH, 0, 0),
	   "a flush fails wherever the range is");
	o.fail_ppm = 250000;
	o.fail_end = 1ULL << 39; /* half of the random I/Os' 1T */
	for (i = 0; i < N_IOS; i++) {
		random_io(&x, &io);
		if (io.off + io.len <= o.fail_start || io.off >= o.fail_end) {
			out_fails += ubr_fault_should_fail(&o, io.op, io.off,
							   io.len);
			continue;
		}
		in++;
		in_fails += ubr_fault_should_fail(&o, io.op, io.off, io.len);
	}
	is_int((long long)out_fails, 0, "nothing outside the range fails");
	ok(in > N_IOS / 3 && in_fails > in / 5 && in_fails < in * 3 / 10,
	   "%llu of %llu inside fail (rate 0.25)",
	   (unsigned long long)in_fails, (unsigned long long)in);
}

static void test_format_ops(void)
{
	char buf[64];

	ubr_fault_format_ops(0, buf, sizeof(buf));
	is_str(buf, "read,write,flush,discard,write-zeroes", "no ops: all");
	ubr_fault_format_ops(UBR_FAULT_WRITE | UBR_FAULT_FLUSH, buf,
			     sizeof(buf));
	is_str(buf, "write,flush", "write,flush");
}

int main(void)
{
	test_values();
	test_combinations();
	test_fraction();
	test_seeds();
	test_ops();
	test_range();
	test_format_ops();
	return done_testing();
}
