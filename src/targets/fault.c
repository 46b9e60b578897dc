/* SPDX-License-Identifier: MIT */
/*
 * fault: a device that delays and fails I/O on purpose, to test what sits
 * above a block device (file systems, databases, this daemon's own error
 * paths).
 *
 * Without --backing it stores nothing, like null; with --backing FILE it
 * serves FILE exactly as the loop target does (the same setup, the same
 * request engine in src/targets/file_io.c). On top of either:
 *
 * - --delay: every request first waits on an IORING_OP_TIMEOUT on the one
 *   shared ring, so the reactor thread never sleeps and other devices go
 *   on being served; the timer's completion (-ETIME) comes back to
 *   fault_io_done, which serves or fails the request.
 * - --fail-rate, narrowed by --fail-ops and --fail-offset: an eligible
 *   request fails with EIO when a hash of (seed, op, offset, length) falls
 *   below the rate. The choice is a pure function of the request, so a run
 *   with the same seed fails the same requests, a retried request fails
 *   again (a bad spot stays bad, like a bad sector), and over many
 *   different requests the fraction that fails is the rate.
 *
 * All of it comes from its parsed options (fault_opts.c): the words of
 * the `add` alone re-create the device, failures included. The one thing
 * it counts, the failures injected so far, is shown at the end of its
 * `list` description.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_util.h"
#include "fault.h"
#include "files.h"
#include "targets.h"
#include "ubr_log.h"
#include "ubr_user_data.h"
#include "ubr_util.h"

/*
 * Target data of an SQE (28 bits in user_data). The delay timer is the
 * fault target's only SQE of its own; every other one is the file
 * engine's, whose bits it leaves alone:
 *
 *   27      26     25  24                               0
 *  +-------+------+---+----------------------------------+
 *  | DELAY | FAIL | 0 | the file engine's (file_io.c)    |
 *  +-------+------+---+----------------------------------+
 *
 * DELAY marks the timer; FAIL says the request fails when it fires (the
 * decision is made once, when the request arrives).
 */
#define FAULT_DELAY (1U << (UBR_UD_DATA_BITS - 1))
#define FAULT_FAIL (1U << (UBR_UD_DATA_BITS - 2))

static_assert(UBR_FILES_DATA_BITS <= UBR_UD_DATA_BITS - 2,
	      "the file engine's target data leaves the fault bits free");

/* Room for the count of injected failures at the end of the description. */
#define COUNT_ROOM 21 /* UINT64_MAX in decimal, and a NUL */

struct fault {
	struct ubr_fault_opts o;
	/*
	 * The delay of every timer. The kernel reads a timeout's timespec when
	 * the SQE is submitted, so one per device is enough: it lives as long
	 * as the device, and the device outlives all of its SQEs.
	 */
	struct __kernel_timespec delay;
	bool backed; /* --backing: requests go to the file engine */
	uint64_t injected;
	char *count_at; /* where dev->tgt_desc shows `injected` */
};

/* --- the failure decision (pure: the unit tests check its statistics) ---- */

static const struct {
	const char *name;
	unsigned op; /* UBLK_IO_OP_* */
	unsigned bit;
} fault_ops[] = {
	{ "read", UBLK_IO_OP_READ, UBR_FAULT_READ },
	{ "write", UBLK_IO_OP_WRITE, UBR_FAULT_WRITE },
	{ "flush", UBLK_IO_OP_FLUSH, UBR_FAULT_FLUSH },
	{ "discard", UBLK_IO_OP_DISCARD, UBR_FAULT_DISCARD },
	{ "write-zeroes", UBLK_IO_OP_WRITE_ZEROES, UBR_FAULT_WRITE_ZEROES },
};

#define NR_FAULT_OPS ARRAY_SIZE(fault_ops)

unsigned ubr_fault_op_bit(unsigned op)
{
	size_t i;

	for (i = 0; i < NR_FAULT_OPS; i++)
		if (fault_ops[i].op == op)
			return fault_ops[i].bit;
	return 0;
}

static unsigned op_bit_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_FAULT_OPS; i++)
		if (strlen(fault_ops[i].name) == len &&
		    !strncmp(fault_ops[i].name, name, len))
			return fault_ops[i].bit;
	return 0;
}

int ubr_fault_parse_ops(const char *s, uint8_t *ops, char *bad, size_t badlen)
{
	const char *p = s, *comma;
	unsigned bit, set = 0;
	size_t len;

	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		bit = op_bit_by_name(p, len);
		if (!bit) {
			snprintf(bad, badlen, "%.*s", (int)len, p);
			return -EINVAL;
		}
		set |= bit;
		if (!comma)
			break;
		p = comma + 1;
	}
	*ops = (uint8_t)set;
	return 0;
}

void ubr_fault_format_ops(uint8_t ops, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	if (!ops)
		ops = UBR_FAULT_ALL_OPS;
	for (i = 0; i < NR_FAULT_OPS && off < len; i++)
		if (ops & fault_ops[i].bit)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? "," : "",
						fault_ops[i].name);
}

/* splitmix64's finaliser: each input bit flips about half the output bits. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Does the request touch the --fail-offset range? A request partly inside
 * fails whole, as a block device fails requests. A flush has no range: it
 * is eligible wherever the range is.
 */
static bool in_fail_range(const struct ubr_fault_opts *o, unsigned op,
			  uint64_t off, uint64_t len)
{
	if (!o->fail_end || op == UBLK_IO_OP_FLUSH)
		return true;
	return off < o->fail_end && off + len > o->fail_start;
}

bool ubr_fault_should_fail(const struct ubr_fault_opts *o, unsigned op,
			   uint64_t off, uint64_t len)
{
	unsigned ops = o->fail_ops ? o->fail_ops : UBR_FAULT_ALL_OPS;
	uint64_t h;

	if (!o->fail_ppm || !(ops & ubr_fault_op_bit(op)) ||
	    !in_fail_range(o, op, off, len))
		return false;
	/* Chained, so that no two fields can cancel each other out. */
	h = mix64(o->seed + 0x9e3779b97f4a7c15ULL);
	h = mix64(h ^ off);
	h = mix64(h ^ (len << 8) ^ op);
	return h % UBR_FAULT_PPM < o->fail_ppm;
}

/* --- the description in `list` ------------------------------------------ */

/* "20ms": the largest unit that divides the delay exactly. */
static void format_delay(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 } };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (ns && ns % units[i].ns == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns,
				 units[i].unit);
			return;
		}
	snprintf(buf, len, "%" PRIu64 "ns", ns);
}

/* "0.25": millionths as a decimal, without trailing zeros. */
static void format_rate(uint32_t ppm, char *buf, size_t len)
{
	uint32_t frac = ppm % UBR_FAULT_PPM;
	int digits = 6;

	if (!frac) {
		snprintf(buf, len, "%u", ppm / UBR_FAULT_PPM);
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	snprintf(buf, len, "%u.%0*u", ppm / UBR_FAULT_PPM, digits, frac);
}

/* "delay 20ms, fail 0.2 of read in 0-1M, seed 7" */
static void describe(const struct ubr_fault_opts *o, char *buf, size_t len)
{
	char d[24], r[16], ops[64], lo[16], hi[16];
	size_t off = 0;

	format_delay(o->delay_ns, d, sizeof(d));
	off += (size_t)snprintf(buf, len, "delay %s, ",
				o->delay_ns ? d : "none");
	if (!o->fail_ppm) {
		snprintf(buf + off, len - off, "no failures");
		return;
	}
	format_rate(o->fail_ppm, r, sizeof(r));
	ubr_fault_format_ops(o->fail_ops, ops, sizeof(ops));
	off += (size_t)snprintf(buf + off, len - off, "fail %s of %s", r, ops);
	if (off < len && o->fail_end) {
		ubr_format_size(o->fail_start, lo, sizeof(lo));
		ubr_format_size(o->fail_end, hi, sizeof(hi));
		off += (size_t)snprintf(buf + off, len - off, " in %s-%s", lo,
					hi);
	}
	if (off < len)
		snprintf(buf + off, len - off, ", seed %" PRIu64, o->seed);
}

/*
 * dev->tgt_desc: the file (as loop shows it), the settings, and the count
 * of failures injected, which fault_inject() rewrites in place.
 */
static int fault_desc(struct ubr_dev *dev, struct fault *f)
{
	const char *file = dev->tgt_desc;
	char settings[192], *s;
	size_t len;
	int n;

	describe(&f->o, settings, sizeof(settings));
	len = (file ? strlen(file) + 2 : 0) + strlen(settings) +
	      sizeof("; injected ") + COUNT_ROOM;
	s = malloc(len);
	if (!s) {
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	n = snprintf(s, len, "%s%s%s; injected ", file ? file : "",
		     file ? "; " : "", settings);
	f->count_at = s + n;
	snprintf(f->count_at, COUNT_ROOM, "0");
	free(dev->tgt_desc);
	dev->tgt_desc = s;
	return 0;
}

/* --- setup --------------------------------------------------------------- */

/*
 * Like null, but with a volatile cache and discard limits (unless
 * read-only), so that every op --fail-ops names can reach the device.
 * The engine's state without files keeps dev->tgt the same shape in both
 * variants.
 */
static int setup_null(struct ubr_dev *dev, struct ubr_files **out)
{
	int ret = ubr_null_params(dev);

	if (ret < 0)
		return ret;
	if (!dev->opts.read_only) {
		dev->params.basic.attrs |= UBLK_ATTR_VOLATILE_CACHE;
		ubr_files_discard_params(dev, dev->opts.logical_bs);
	}
	return ubr_files_take(dev, 0, out);
}

/* What the parser checks, again: the daemon trusts no client. */
static int fault_check(struct ubr_dev *dev)
{
	const struct ubr_fault_opts *o = ubr_fault_opts_of(dev);

	if (dev->opts.nr_files > (o->backing ? 1U : 0U)) {
		ubr_dev_set_err(dev, "target fault takes no FILE: use --backing FILE");
		return -EINVAL;
	}
	if (o->delay_ns > UBR_FAULT_MAX_DELAY_NS ||
	    o->fail_ppm > UBR_FAULT_PPM ||
	    (o->fail_end && o->fail_start >= o->fail_end)) {
		ubr_dev_set_err(dev, "invalid fault settings");
		return -EINVAL;
	}
	return 0;
}

/* A range that starts past the end would silently fail nothing. */
static int check_range(struct ubr_dev *dev, const struct ubr_fault_opts *o)
{
	uint64_t size = (uint64_t)dev->params.basic.dev_sectors << 9;
	char at[16], sz[16];

	if (!o->fail_end || o->fail_start < size)
		return 0;
	ubr_format_size(o->fail_start, at, sizeof(at));
	ubr_format_size(size, sz, sizeof(sz));
	ubr_dev_set_err(dev, "--fail-offset starts at %s, past the end of the device (%s)",
			at, sz);
	return -EINVAL;
}

static struct fault *fault_new(struct ubr_dev *dev)
{
	struct fault *f = calloc(1, sizeof(*f));

	if (!f) {
		ubr_dev_set_err(dev, "out of memory");
		return NULL;
	}
	f->o = *ubr_fault_opts_of(dev);
	f->delay.tv_sec = (long long)(f->o.delay_ns / 1000000000ULL);
	f->delay.tv_nsec = (long long)(f->o.delay_ns % 1000000000ULL);
	f->backed = dev->opts.nr_files > 0;
	dev->mem_bytes += sizeof(*f);
	return f;
}

static int fault_init(struct ubr_dev *dev)
{
	struct ubr_files *fs = NULL;
	struct fault *f = NULL;
	int ret;

	ret = fault_check(dev);
	if (ret < 0)
		return ret;
	ret = dev->opts.nr_files ? ubr_loop_setup(dev, &fs) :
				   setup_null(dev, &fs);
	if (ret < 0)
		return ret;
	ret = check_range(dev, ubr_fault_opts_of(dev));
	if (!ret) {
		f = fault_new(dev);
		ret = f ? fault_desc(dev, f) : -ENOMEM;
	}
	if (ret < 0) {
		free(f);
		ubr_files_free(fs);
		return ret;
	}
	fs->outer = f;
	dev->tgt = fs;
	return 0;
}

static void fault_deinit(struct ubr_dev *dev)
{
	struct ubr_files *fs = dev->tgt;
	struct fault *f = fs->outer;

	ubr_info("dev %u: fault: %" PRIu64 " failures injected", dev->id,
		 f->injected);
	free(f);
	ubr_files_free(fs);
	dev->tgt = NULL;
}

/* --- requests ------------------------------------------------------------ */

static struct fault *fault_of(const struct ubr_queue *q)
{
	const struct ubr_files *fs = q->dev->tgt;

	return fs->outer;
}

static void fault_inject(struct ubr_queue *q, unsigned tag,
			 const struct ublksrv_io_desc *iod)
{
	struct fault *f = fault_of(q);

	f->injected++;
	snprintf(f->count_at, COUNT_ROOM, "%" PRIu64, f->injected);
	ubr_dbg("dev %u q %u tag %u: injected EIO: op %u, %u bytes at %llu (%" PRIu64 " so far)",
		q->dev->id, q->id, tag, ubr_iod_op(iod),
		iod->nr_sectors << 9,
		(unsigned long long)iod->start_sector << 9, f->injected);
	ubr_io_complete(q, tag, -EIO);
}

static void fault_serve(struct ubr_queue *q, unsigned tag,
			const struct ublksrv_io_desc *iod, bool fail)
{
	if (fail)
		fault_inject(q, tag, iod);
	else if (fault_of(q)->backed)
		ubr_files_queue_io(q, tag, iod);
	else
		ubr_io_complete(q, tag, ubr_null_result(iod));
}

static void fault_queue_io(struct ubr_queue *q, unsigned tag,
			   const struct ublksrv_io_desc *iod)
{
	struct fault *f = fault_of(q);
	bool fail = ubr_fault_should_fail(&f->o, ubr_iod_op(iod),
					  iod->start_sector << 9,
					  (uint64_t)iod->nr_sectors << 9);
	struct io_uring_sqe *sqe;

	if (!f->o.delay_ns) {
		fault_serve(q, tag, iod, fail);
		return;
	}
	sqe = ubr_tgt_sqe(q, tag, FAULT_DELAY | (fail ? FAULT_FAIL : 0));
	/* A count of 0: a pure timer, not waiting for other completions. */
	io_uring_prep_timeout(sqe, &f->delay, 0, 0);
}

static void fault_io_done(struct ubr_queue *q, unsigned tag, uint32_t data,
			  const struct io_uring_cqe *cqe)
{
	if (!(data & FAULT_DELAY)) {
		ubr_files_io_done(q, tag, data, cqe);
		return;
	}
	/* -ETIME: the timer expired, as it should. */
	if (cqe->res != -ETIME && cqe->res != 0) {
		ubr_warn("dev %u q %u tag %u: delay timer failed: %s",
			 q->dev->id, q->id, tag, strerror(-cqe->res));
		ubr_io_complete(q, tag, -EIO);
		return;
	}
	fault_serve(q, tag, &q->descs[tag], data & FAULT_FAIL);
}

/* --- the ops ------------------------------------------------------------- */

/*
 * With --backing the data moves, all of it through ubr_tgt_rw() as for
 * loop; without, nothing is read or written, as for null. The core picks
 * buffers and the copy mode from these flags before init, hence two
 * tables, told apart by fault_variant().
 */
static const struct ubr_target_ops fault_backed_ops = {
	.name = "fault",
	.flags = UBR_TGT_ZERO_COPY,
	.init = fault_init,
	.deinit = fault_deinit,
	.queue_io = fault_queue_io,
	.io_done = fault_io_done,
};

static const struct ubr_target_ops *fault_variant(const struct ubr_dev_opts *o)
{
	return o->nr_files ? &fault_backed_ops : &ubr_target_fault;
}

/* needs_rate and rate_given only serve the parser's checks: not recorded. */
static const struct ubr_tgt_field fault_fields[] = {
	UBR_FILES_FIELD_BUFFERED(struct ubr_fault_args, files),
	UBR_TGT_FIELD(BOOL, struct ubr_fault_args, f.backing, "backing"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.delay_ns, "delay-ns"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.fail_ppm, "fail-ppm"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.fail_ops, "fail-ops"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.fail_start, "fail-start"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.fail_end, "fail-end"),
	UBR_TGT_FIELD(UINT, struct ubr_fault_args, f.seed, "seed"),
	{ .key = NULL },
};

const struct ubr_target_ops ubr_target_fault = {
	.name = "fault",
	.flags = UBR_TGT_NO_DATA,
	.usage = "[--backing FILE]",
	.description = "null or loop that delays and fails I/O",
	.backing = UBR_BACKING_FILES,
	.min_files = 0,
	.max_files = 1,
	.opts = ubr_fault_opt_table,
	.opts_size = sizeof(struct ubr_fault_args),
	.fields = fault_fields,
	.opts_finish = ubr_fault_opts_finish,
	.init = fault_init,
	.deinit = fault_deinit,
	.queue_io = fault_queue_io,
	.io_done = fault_io_done,
	.variant = fault_variant,
};
