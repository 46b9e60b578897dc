/* SPDX-License-Identifier: MIT */
/*
 * The loop/stripe request engine against a fake core: which SQEs a request
 * becomes, and how completions (short, failing, -EAGAIN, out of order) turn
 * into exactly one result per request. The kernel tests prove the data; this
 * proves the paths a healthy backing file never takes.
 */
#include "config.h"

#include <errno.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <string.h>

#include "tap.h"
#include "files.h"
#include "ubr_log.h"
#include "ubr_target.h"

#define K 1024U

/* --- the fake core: SQEs are recorded, completions delivered by hand ---- */

struct fake_sqe {
	struct io_uring_sqe sqe;
	uint32_t tgt_data;
	bool rw, write, done;
	int fd;
	uint64_t file_off;
	uint32_t data_off, len;
};

static struct fake_sqe sqes[512];
static unsigned nr_sqes, nr_completions;
static int last_result;

struct io_uring_sqe *ubr_tgt_sqe(struct ubr_queue *q, unsigned tag,
				 uint32_t tgt_data)
{
	struct fake_sqe *f = &sqes[nr_sqes++];

	memset(f, 0, sizeof(*f));
	f->tgt_data = tgt_data;
	q->tags[tag].tgt_pending++;
	return &f->sqe;
}

struct io_uring_sqe *ubr_tgt_rw(struct ubr_queue *q, unsigned tag, bool write,
				int fd, uint64_t file_off, uint32_t data_off,
				uint32_t len, uint32_t tgt_data)
{
	struct io_uring_sqe *sqe = ubr_tgt_sqe(q, tag, tgt_data);
	struct fake_sqe *f = &sqes[nr_sqes - 1];

	io_uring_prep_read(sqe, fd, NULL, len, file_off);
	f->rw = true;
	f->write = write;
	f->fd = fd;
	f->file_off = file_off;
	f->data_off = data_off;
	f->len = len;
	return sqe;
}

/* Inline pieces: each call is recorded, its result taken from a script. */
struct fake_call {
	bool write;
	int fd, rwf;
	uint64_t file_off;
	uint32_t data_off, len;
};

static struct fake_call calls[64];
static unsigned nr_calls, nr_scripted;
static int script[64]; /* results, in call order; past the end: len */

int ubr_tgt_rw_now(struct ubr_queue *q, unsigned tag, bool write, int fd,
		   uint64_t file_off, uint32_t data_off, uint32_t len, int rwf)
{
	struct fake_call *c = &calls[nr_calls];

	*c = (struct fake_call){ write, fd, rwf, file_off, data_off, len };
	return nr_calls++ < nr_scripted ? script[nr_calls - 1] : (int)len;
}

static bool is_call(unsigned i, int fd, uint64_t file_off, uint32_t data_off,
		    uint32_t len)
{
	const struct fake_call *c = &calls[i];

	return i < nr_calls && c->fd == fd && c->file_off == file_off &&
	       c->data_off == data_off && c->len == len;
}

void ubr_io_complete(struct ubr_queue *q, unsigned tag, int result)
{
	nr_completions++;
	last_result = result;
}

void ubr_log(int prio, const char *fmt, ...)
{
}

/* --- a queue of one tag over three "files" (descriptors 10, 11, 12) ------ */

static struct ubr_files files;
static struct ubr_dev dev;
static struct ublksrv_io_desc desc;
static struct ubr_tag tag0;
static struct ubr_queue q = { .dev = &dev, .descs = &desc, .tags = &tag0 };

static void setup(unsigned nr, unsigned chunk_shift)
{
	unsigned i;

	memset(&files, 0, sizeof(files));
	files.geom.nr = nr;
	files.geom.chunk_shift = chunk_shift;
	for (i = 0; i < nr; i++) {
		files.f[i].fd = 10 + (int)i;
		files.f[i].path = "file";
	}
	dev.tgt = &files;
}

/* Serve a request: queue_io with a fresh tag, as the core does. */
static void request(unsigned op, unsigned flags, uint64_t off, uint32_t len)
{
	nr_sqes = 0;
	nr_calls = 0;
	nr_completions = 0;
	last_result = 12345;
	memset(&tag0, 0, sizeof(tag0));
	desc.op_flags = op | flags;
	desc.start_sector = off >> 9;
	desc.nr_sectors = len >> 9;
	ubr_files_queue_io(&q, 0, &desc);
}

/* The completion of sqes[i] with res, as the core delivers it. */
static void complete(unsigned i, int res)
{
	struct io_uring_cqe cqe = { .res = res };

	sqes[i].done = true;
	tag0.tgt_pending--;
	ubr_files_io_done(&q, 0, sqes[i].tgt_data, &cqe);
}

static bool is_rw(unsigned i, int fd, uint64_t file_off, uint32_t data_off,
		  uint32_t len)
{
	const struct fake_sqe *f = &sqes[i];

	return i < nr_sqes && f->rw && f->fd == fd && f->file_off == file_off &&
	       f->data_off == data_off && f->len == len;
}

static bool is_falloc(unsigned i, int fd, int mode, uint64_t off,
		      uint64_t len)
{
	const struct io_uring_sqe *s = &sqes[i].sqe;

	return i < nr_sqes && s->opcode == IORING_OP_FALLOCATE &&
	       s->fd == fd && (int)s->len == mode && s->off == off &&
	       s->addr == len;
}

/* --- loop ----------------------------------------------------------------- */

static void loop_rw(void)
{
	setup(1, UBR_STRIPE_LINEAR_SHIFT);
	request(UBLK_IO_OP_READ, 0, 1 << 20, 64 * K);
	ok(nr_sqes == 1 && is_rw(0, 10, 1 << 20, 0, 64 * K) && !sqes[0].write,
	   "loop read: one read of the whole request at its offset");
	complete(0, 64 * K);
	ok(nr_completions == 1 && last_result == 64 * K,
	   "full read: the request completes with its length");

	request(UBLK_IO_OP_READ, 0, 8192, 64 * K);
	complete(0, 16 * K);
	ok(nr_completions == 0 && nr_sqes == 2 &&
		   is_rw(1, 10, 8192 + 16 * K, 16 * K, 48 * K),
	   "short read: the rest is resubmitted, not reported");
	complete(1, 20 * K);
	ok(nr_sqes == 3 && is_rw(2, 10, 8192 + 36 * K, 36 * K, 28 * K),
	   "short again: resubmitted from where it stopped");
	complete(2, 28 * K);
	ok(nr_completions == 1 && last_result == 64 * K,
	   "then the request completes once, with its full length");

	request(UBLK_IO_OP_READ, 0, 0, 8 * K);
	complete(0, 4 * K);
	complete(1, 0);
	ok(nr_completions == 1 && last_result == -EIO,
	   "a read that hits the end of the file early fails with EIO");

	request(UBLK_IO_OP_WRITE, 0, 4096, 4096);
	complete(0, -EAGAIN);
	ok(nr_completions == 0 && nr_sqes == 2 && is_rw(1, 10, 4096, 0, 4096) &&
		   sqes[1].write,
	   "-EAGAIN: the same write is submitted again");
	complete(1, -ENOSPC);
	ok(nr_completions == 1 && last_result == -EIO,
	   "a failing write (ENOSPC) fails the request with EIO");

	request(UBLK_IO_OP_WRITE, UBLK_IO_F_FUA, 0, 8 * K);
	ok(sqes[0].write && (sqes[0].sqe.rw_flags & RWF_DSYNC),
	   "FUA write: RWF_DSYNC");
	complete(0, 4 * K);
	ok(sqes[1].sqe.rw_flags & RWF_DSYNC, "and on its resubmitted rest too");
	complete(1, 4 * K);
	ok(last_result == 8 * K, "FUA write completes");

	request(UBLK_IO_OP_WRITE, 0, 0, 4096);
	ok(!(sqes[0].sqe.rw_flags & RWF_DSYNC), "plain write: no RWF_DSYNC");
	complete(0, 4096);
}

static void loop_other_ops(void)
{
	setup(1, UBR_STRIPE_LINEAR_SHIFT);
	request(UBLK_IO_OP_FLUSH, 0, 0, 0);
	ok(nr_sqes == 1 && sqes[0].sqe.opcode == IORING_OP_FSYNC &&
		   sqes[0].sqe.fsync_flags == IORING_FSYNC_DATASYNC &&
		   sqes[0].sqe.fd == 10,
	   "flush: fdatasync of the file");
	complete(0, 0);
	ok(nr_completions == 1 && last_result == 0, "flush completes with 0");

	request(UBLK_IO_OP_DISCARD, 0, 1 << 20, 1 << 30);
	ok(nr_sqes == 1 &&
		   is_falloc(0, 10, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     1 << 20, 1 << 30),
	   "discard: punch a hole, keep the size");
	complete(0, -EOPNOTSUPP);
	ok(last_result == 0, "discard the file cannot do: done (a hint)");

	request(UBLK_IO_OP_WRITE_ZEROES, 0, 4096, 8192);
	ok(is_falloc(0, 10, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
		     8192),
	   "write zeroes may unmap: punch");
	complete(0, 0);

	request(UBLK_IO_OP_WRITE_ZEROES, UBLK_IO_F_NOUNMAP, 4096, 8192);
	ok(is_falloc(0, 10, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 4096,
		     8192),
	   "write zeroes with NOUNMAP: zero range");
	complete(0, -EOPNOTSUPP);
	ok(nr_completions == 0 && nr_sqes == 2 &&
		   is_falloc(1, 10, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     4096, 8192),
	   "no zero range (tmpfs): punch instead");
	complete(1, 0);
	ok(nr_completions == 1 && last_result == 0, "and done");
	request(UBLK_IO_OP_WRITE_ZEROES, UBLK_IO_F_NOUNMAP, 0, 4096);
	ok(is_falloc(0, 10, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		     4096),
	   "remembered: the next one punches at once");
	complete(0, -EOPNOTSUPP);
	ok(nr_sqes == 2 && is_falloc(1, 10, FALLOC_FL_ZERO_RANGE |
						    FALLOC_FL_KEEP_SIZE,
				     0, 4096),
	   "a punch refused: zero range once");
	complete(1, -EOPNOTSUPP);
	ok(nr_completions == 1 && last_result == -EOPNOTSUPP,
	   "both refused: the request fails with EOPNOTSUPP");

	request(UBLK_IO_OP_WRITE_SAME, 0, 0, 4096);
	ok(nr_sqes == 0 && nr_completions == 1 && last_result == -EOPNOTSUPP,
	   "an unknown op: -EOPNOTSUPP at once");
	request(UBLK_IO_OP_READ, 0, 0, 0);
	ok(nr_sqes == 0 && nr_completions == 1 && last_result == 0,
	   "an empty read completes at once");
}

/* --- stripe: 3 members, 4K chunks ---------------------------------------- */

static void stripe_rw(void)
{
	setup(3, 12);
	/* [2K, 14K): chunk 0 (m0) half, chunk 1 (m1), chunk 2 (m2), chunk 3
	 * (m0, second chunk there) half. */
	request(UBLK_IO_OP_WRITE, 0, 2048, 12 * K);
	ok(nr_sqes == 4 && is_rw(0, 10, 2048, 0, 2048) &&
		   is_rw(1, 11, 0, 2048, 4096) && is_rw(2, 12, 0, 6144, 4096) &&
		   is_rw(3, 10, 4096, 10240, 2048),
	   "a write across 4 chunks: 4 pieces on the right members and offsets");
	complete(2, 4096);
	complete(0, 1024);
	ok(nr_sqes == 5 && is_rw(4, 10, 3072, 1024, 1024),
	   "a short piece: its rest resubmitted to the same member");
	complete(3, 2048);
	complete(4, 1024);
	ok(nr_completions == 0, "not complete while a piece is in flight");
	complete(1, 4096);
	ok(nr_completions == 1 && last_result == 12 * K,
	   "complete once every piece is done");

	request(UBLK_IO_OP_READ, 0, 0, 16 * K);
	ok(nr_sqes == 4, "16K aligned: 4 pieces");
	complete(1, -ENOSPC);
	complete(0, 2048);
	ok(nr_sqes == 4, "after a failure the short rest is not resubmitted");
	complete(3, -EINVAL);
	complete(2, 4096);
	ok(nr_completions == 1 && last_result == -EIO && tag0.result == -ENOSPC,
	   "EIO once all pieces are back; the first error is the one kept");

	request(UBLK_IO_OP_READ, 0, 512, 512 * K);
	ok(nr_sqes == 129, "512K unaligned on 4K chunks: 129 pieces");
	while (nr_completions == 0) {
		unsigned i;

		for (i = 0; i < nr_sqes; i++)
			if (!sqes[i].done)
				break;
		complete(i, (int)sqes[i].len);
	}
	ok(last_result == 512 * K, "all back: complete");
}

static void stripe_other_ops(void)
{
	setup(3, 12);
	request(UBLK_IO_OP_FLUSH, 0, 0, 0);
	ok(nr_sqes == 3 && sqes[0].sqe.fd == 10 && sqes[1].sqe.fd == 11 &&
		   sqes[2].sqe.fd == 12 &&
		   sqes[2].sqe.opcode == IORING_OP_FSYNC,
	   "flush: one fdatasync per member");
	complete(1, -EIO);
	complete(0, 0);
	ok(nr_completions == 0, "flush waits for every member");
	complete(2, -ENOSPC);
	ok(nr_completions == 1 && last_result == -EIO,
	   "flush: fails once every member is back");

	/* [2K, 30K): chunks 0..7: m0 gets 0 (from 2K), 3, 6 -> [2K, 12K);
	 * m1 gets 1, 4, 7 (to 30K = 2K into chunk 7) -> [0, 10K);
	 * m2 gets 2, 5 -> [0, 8K). */
	request(UBLK_IO_OP_DISCARD, 0, 2048, 28 * K);
	ok(nr_sqes == 3 &&
		   is_falloc(0, 10, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     2048, 10240) &&
		   is_falloc(1, 11, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     0, 10240) &&
		   is_falloc(2, 12, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     0, 8192),
	   "discard: one contiguous hole per member");
	complete(0, 0);
	complete(1, 0);
	complete(2, 0);
	ok(nr_completions == 1 && last_result == 0, "discard completes");

	request(UBLK_IO_OP_WRITE_ZEROES, UBLK_IO_F_NOUNMAP, 4096, 4096);
	ok(nr_sqes == 1 && is_falloc(0, 11, FALLOC_FL_ZERO_RANGE |
						    FALLOC_FL_KEEP_SIZE,
				     0, 4096),
	   "write zeroes in one chunk: only that member");
	complete(0, 0);
	ok(nr_completions == 1 && last_result == 0, "done");
}

/* --- files served inline (tmpfs): no SQE, the same results -------------- */

/* The next request's inline results: n of them, then full lengths. */
static void script_results(unsigned n, const int *res)
{
	if (n)
		memcpy(script, res, n * sizeof(*res));
	nr_scripted = n;
}

static void inline_rw(void)
{
	static const int short_then_rest[] = { 16 * K };
	static const int eof[] = { 4 * K, 0 };
	static const int again_then_fail[] = { -EAGAIN, -ENOSPC };
	static const int fail_first[] = { -EIO };

	setup(1, UBR_STRIPE_LINEAR_SHIFT);
	files.f[0].inline_io = true;
	script_results(0, NULL);
	request(UBLK_IO_OP_READ, 0, 1 << 20, 64 * K);
	ok(!nr_sqes && nr_calls == 1 && is_call(0, 10, 1 << 20, 0, 64 * K) &&
		   !calls[0].write,
	   "inline read: done at once, no SQE");
	ok(nr_completions == 1 && last_result == 64 * K,
	   "and the request completes with its length within queue_io");

	script_results(1, short_then_rest);
	request(UBLK_IO_OP_READ, 0, 8192, 64 * K);
	ok(nr_calls == 2 && is_call(1, 10, 8192 + 16 * K, 16 * K, 48 * K) &&
		   nr_completions == 1 && last_result == 64 * K,
	   "inline short read: the rest read at once, one completion");

	script_results(2, eof);
	request(UBLK_IO_OP_READ, 0, 0, 8 * K);
	ok(nr_completions == 1 && last_result == -EIO,
	   "inline read past the end of the file: EIO");

	script_results(2, again_then_fail);
	request(UBLK_IO_OP_WRITE, UBLK_IO_F_FUA, 4096, 4096);
	ok(nr_calls == 2 && calls[0].write && calls[0].rwf == RWF_DSYNC &&
		   calls[1].rwf == RWF_DSYNC,
	   "inline FUA write: RWF_DSYNC, again after -EAGAIN");
	ok(nr_completions == 1 && last_result == -EIO,
	   "then ENOSPC fails the request with EIO");

	/* A stripe of an inline file and a ring file: both paths at once. */
	setup(2, 12);
	files.f[0].inline_io = true;
	script_results(0, NULL);
	request(UBLK_IO_OP_READ, 0, 0, 8 * K);
	ok(nr_calls == 1 && is_call(0, 10, 0, 0, 4 * K) && nr_sqes == 1 &&
		   is_rw(0, 11, 0, 4 * K, 4 * K) && !nr_completions,
	   "stripe: the inline member done, the other's SQE in flight");
	complete(0, 4 * K);
	ok(nr_completions == 1 && last_result == 8 * K,
	   "the request completes once the SQE does");

	script_results(1, fail_first);
	request(UBLK_IO_OP_READ, 0, 0, 8 * K);
	ok(nr_calls == 1 && !nr_sqes && nr_completions == 1 &&
		   last_result == -EIO,
	   "a failed inline piece: no more pieces, EIO at once");
	script_results(0, NULL);
}

int main(void)
{
	loop_rw();
	inline_rw();
	loop_other_ops();
	stripe_rw();
	stripe_other_ops();
	return done_testing();
}
