/* SPDX-License-Identifier: MIT */
/*
 * The request engine of the loop and stripe targets.
 *
 * A read or write is cut by the stripe map into pieces (one for loop, one
 * per chunk touched for stripe), each one ubr_tgt_rw() on its member; a
 * flush is a datasync per member; discard and write-zeroes are one
 * fallocate per member (a member's share of a range is contiguous on it).
 * The request completes when the core's count of its SQEs in flight drops
 * to zero, with the first error any piece met, or its full length.
 * Backing errors reach the application as EIO (the kernel would turn, say,
 * ENOSPC or EAGAIN into statuses with other meanings for a block device);
 * the daemon's log says what the file answered.
 *
 * A file in memory that takes no nonblocking I/O (inline_io, tmpfs) gets
 * the same calls made right away by this thread, each result handled as its
 * CQE would be: io_uring would send every one of them to a worker thread.
 *
 * Nothing is remembered per piece: the target data of each SQE says where
 * in the request it starts, and the piece's end is recomputed from the map,
 * so a short read or write is resubmitted from where it stopped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "ubr_log.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

/*
 * Target data of an SQE (28 bits in user_data):
 *
 *   27    25   24   23   21 20                          0
 *  +--------+-------+-------+-----------------------------+
 *  | unused | retry | kind  | RW: byte offset in request  |
 *  |        |       |       | others: member index        |
 *  +--------+-------+-------+-----------------------------+
 *
 * A read or write moves at most UBR_FILES_MAX_IO bytes (the targets cap
 * max_sectors to it), so its byte offsets fit in 21 bits. retry marks a
 * write-zeroes fallocate already retried with the other mode.
 */
#define FIO_ARG_BITS 21
#define FIO_KIND_SHIFT FIO_ARG_BITS
#define FIO_KIND_BITS 3
#define FIO_RETRY (1U << (FIO_KIND_SHIFT + FIO_KIND_BITS))

static_assert(FIO_ARG_BITS + FIO_KIND_BITS + 1 <= UBR_FILES_DATA_BITS,
	      "file target data fits the bits the engine claims");
static_assert(UBR_FILES_DATA_BITS <= UBR_UD_DATA_BITS,
	      "file target data fits the user_data target field");
static_assert(UBR_FILES_MAX_IO < (1U << FIO_ARG_BITS),
	      "request offsets fit the target data");

enum fio_kind {
	FIO_RW = 1,
	FIO_FSYNC = 2,
	FIO_PUNCH = 3, /* FALLOC_FL_PUNCH_HOLE */
	FIO_ZERO = 4,  /* FALLOC_FL_ZERO_RANGE */
};

/* Give up on a request the backing keeps answering -EAGAIN. */
#define FIO_MAX_RETRIES 1000

static uint32_t fio_data(enum fio_kind kind, uint32_t arg)
{
	return ((uint32_t)kind << FIO_KIND_SHIFT) | arg;
}

static enum fio_kind fio_kind_of(uint32_t data)
{
	return (enum fio_kind)((data >> FIO_KIND_SHIFT) &
			       ((1U << FIO_KIND_BITS) - 1));
}

static uint32_t fio_arg(uint32_t data)
{
	return data & ((1U << FIO_ARG_BITS) - 1);
}

static struct ubr_files *files_of(struct ubr_queue *q)
{
	return q->dev->tgt;
}

static uint64_t req_off(const struct ublksrv_io_desc *iod)
{
	return iod->start_sector << 9;
}

static uint32_t req_len(const struct ublksrv_io_desc *iod)
{
	return iod->nr_sectors << 9;
}

/* The first error a piece meets is the request's. */
static void note_err(struct ubr_queue *q, unsigned tag, int err)
{
	if (q->tags[tag].result >= 0)
		q->tags[tag].result = err;
}

/*
 * A backing file failed: say so (at most once a second per device, with a
 * count of what was not said) and fail the request.
 */
static void backing_err(struct ubr_queue *q, unsigned tag, unsigned member,
			const char *what, int err)
{
	struct ubr_files *fs = files_of(q);
	time_t now = time(NULL);

	note_err(q, tag, err);
	if (now == fs->err_logged_at) {
		fs->errs_unlogged++;
		return;
	}
	ubr_warn("dev %u q %u tag %u: %s on %s failed: %s (%u more errors not shown)",
		 q->dev->id, q->id, tag, what, fs->f[member].path,
		 strerror(-err), fs->errs_unlogged);
	fs->err_logged_at = now;
	fs->errs_unlogged = 0;
}

/*
 * What the application sees: EIO, or for discard and write-zeroes that the
 * device cannot do them.
 */
static int app_errno(const struct ublksrv_io_desc *iod, int err)
{
	unsigned op = ubr_iod_op(iod);

	if (err == -EOPNOTSUPP && op != UBLK_IO_OP_READ &&
	    op != UBLK_IO_OP_WRITE && op != UBLK_IO_OP_FLUSH)
		return err;
	return -EIO;
}

static bool failed(struct ubr_queue *q, unsigned tag)
{
	return q->tags[tag].result < 0;
}

static void maybe_finish(struct ubr_queue *q, unsigned tag)
{
	const struct ublksrv_io_desc *iod = &q->descs[tag];
	struct ubr_tag *t = &q->tags[tag];
	unsigned op = ubr_iod_op(iod);
	int done = op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE ?
			   (int)req_len(iod) :
			   0;

	if (!t->tgt_pending)
		ubr_io_complete(q, tag,
				t->result < 0 ? app_errno(iod, t->result) : done);
}

/* --- read / write ------------------------------------------------------- */

static void rw_done(struct ubr_queue *q, unsigned tag, uint32_t data_off,
		    int res);

/*
 * Submit the piece starting `data_off` bytes into the request, or on a
 * file served inline (in memory) do it now; its length.
 */
static uint32_t rw_submit(struct ubr_queue *q, unsigned tag,
			  const struct ublksrv_io_desc *iod, uint32_t data_off)
{
	struct ubr_files *fs = files_of(q);
	bool write = ubr_iod_op(iod) == UBLK_IO_OP_WRITE;
	bool fua = write && (iod->op_flags & UBLK_IO_F_FUA);
	struct ubr_stripe_piece p;
	struct io_uring_sqe *sqe;
	const struct ubr_backing *b;

	ubr_stripe_piece_at(&fs->geom, req_off(iod) + data_off,
			    req_len(iod) - data_off, &p);
	b = &fs->f[p.member];
	if (b->inline_io) {
		rw_done(q, tag, data_off,
			ubr_tgt_rw_now(q, tag, write, b->fd, p.member_off,
				       data_off, p.len, fua ? RWF_DSYNC : 0));
		return p.len;
	}
	sqe = ubr_tgt_rw(q, tag, write, b->fd, p.member_off, data_off, p.len,
			 fio_data(FIO_RW, data_off));
	if (!sqe) {
		note_err(q, tag, -ENOMEM);
		return 0;
	}
	if (fua)
		sqe->rw_flags |= RWF_DSYNC;
	return p.len;
}

static void rw_start(struct ubr_queue *q, unsigned tag,
		     const struct ublksrv_io_desc *iod)
{
	uint32_t len = req_len(iod), off = 0, n;

	if (len > UBR_FILES_MAX_IO) {
		note_err(q, tag, -EINVAL);
		return;
	}
	while (off < len && !failed(q, tag)) {
		n = rw_submit(q, tag, iod, off);
		if (!n)
			return;
		off += n;
	}
}

static void rw_done(struct ubr_queue *q, unsigned tag, uint32_t data_off,
		    int res)
{
	const struct ublksrv_io_desc *iod = &q->descs[tag];
	const char *what = ubr_iod_op(iod) == UBLK_IO_OP_READ ? "read" : "write";
	struct ubr_stripe_piece p;

	if (failed(q, tag))
		return; /* the request fails anyway: no more pieces */
	ubr_stripe_piece_at(&files_of(q)->geom, req_off(iod) + data_off,
			    req_len(iod) - data_off, &p);
	if (res == -EAGAIN || res == -EINTR) {
		if (++q->tags[tag].tgt_flags > FIO_MAX_RETRIES)
			backing_err(q, tag, p.member, what, res);
		else
			rw_submit(q, tag, iod, data_off);
		return;
	}
	if (res < 0) {
		backing_err(q, tag, p.member, what, res);
		return;
	}
	if ((uint32_t)res >= p.len)
		return;
	if (!res) {
		/* The backing ended before the device does (truncated?). */
		backing_err(q, tag, p.member, "read or write (end of file)",
			    -EIO);
		return;
	}
	rw_submit(q, tag, iod, data_off + (uint32_t)res);
}

/* --- flush -------------------------------------------------------------- */

static void flush_start(struct ubr_queue *q, unsigned tag)
{
	struct ubr_files *fs = files_of(q);
	struct io_uring_sqe *sqe;
	unsigned i;

	for (i = 0; i < fs->geom.nr; i++) {
		if (fs->f[i].inline_io) {
			/* In memory: nothing to wait for (io_uring punts it). */
			if (fdatasync(fs->f[i].fd) < 0)
				backing_err(q, tag, i, "fdatasync", -errno);
			continue;
		}
		sqe = ubr_tgt_sqe(q, tag, fio_data(FIO_FSYNC, i));
		io_uring_prep_fsync(sqe, fs->f[i].fd, IORING_FSYNC_DATASYNC);
	}
}

/* --- discard, write zeroes ---------------------------------------------- */

static void falloc_done(struct ubr_queue *q, unsigned tag, uint32_t data,
			int res);

/* On an inline file (in memory) the fallocate is done now. */
static void falloc_submit(struct ubr_queue *q, unsigned tag,
			  const struct ublksrv_io_desc *iod, unsigned member,
			  uint32_t data)
{
	struct ubr_files *fs = files_of(q);
	int mode = FALLOC_FL_KEEP_SIZE;
	uint64_t start, len;
	struct io_uring_sqe *sqe;

	if (!ubr_stripe_member_range(&fs->geom, req_off(iod),
				     (uint64_t)iod->nr_sectors << 9, member,
				     &start, &len))
		return;
	mode |= fio_kind_of(data) == FIO_ZERO ? FALLOC_FL_ZERO_RANGE :
						FALLOC_FL_PUNCH_HOLE;
	if (fs->f[member].inline_io) {
		falloc_done(q, tag, data,
			    fallocate(fs->f[member].fd, mode, (off_t)start,
				      (off_t)len) < 0 ? -errno : 0);
		return;
	}
	sqe = ubr_tgt_sqe(q, tag, data);
	io_uring_prep_fallocate(sqe, fs->f[member].fd, mode, (off_t)start,
				(off_t)len);
}

/*
 * Discard punches a hole. Write-zeroes may punch too, unless the request
 * says NOUNMAP (keep the blocks allocated): then it zeroes the range.
 */
static enum fio_kind falloc_kind(const struct ubr_backing *b,
				 const struct ublksrv_io_desc *iod)
{
	if (ubr_iod_op(iod) == UBLK_IO_OP_WRITE_ZEROES &&
	    (iod->op_flags & UBLK_IO_F_NOUNMAP) && !b->zero_by_punch)
		return FIO_ZERO;
	return FIO_PUNCH;
}

static void falloc_start(struct ubr_queue *q, unsigned tag,
			 const struct ublksrv_io_desc *iod)
{
	struct ubr_files *fs = files_of(q);
	unsigned i;

	for (i = 0; i < fs->geom.nr; i++)
		falloc_submit(q, tag, iod, i,
			      fio_data(falloc_kind(&fs->f[i], iod), i));
}

/*
 * -EOPNOTSUPP: a discard is only a hint, so it succeeds untouched. A
 * write-zeroes tries the other mode once: tmpfs cannot zero a range but
 * punches holes; a block device zeroes a range but punches only where it
 * has a write-zeroes command.
 */
static void falloc_done(struct ubr_queue *q, unsigned tag, uint32_t data,
			int res)
{
	const struct ublksrv_io_desc *iod = &q->descs[tag];
	unsigned member = fio_arg(data);
	enum fio_kind kind = fio_kind_of(data);

	if (res != -EOPNOTSUPP || failed(q, tag)) {
		if (res < 0)
			backing_err(q, tag, member, "fallocate", res);
		return;
	}
	if (ubr_iod_op(iod) == UBLK_IO_OP_DISCARD)
		return;
	if (data & FIO_RETRY) {
		note_err(q, tag, res);
		return;
	}
	if (kind == FIO_ZERO)
		files_of(q)->f[member].zero_by_punch = true;
	kind = kind == FIO_ZERO ? FIO_PUNCH : FIO_ZERO;
	falloc_submit(q, tag, iod, member, fio_data(kind, member) | FIO_RETRY);
}

/* --- the ops ------------------------------------------------------------ */

void ubr_files_queue_io(struct ubr_queue *q, unsigned tag,
			const struct ublksrv_io_desc *iod)
{
	q->tags[tag].tgt_flags = 0;
	q->tags[tag].result = 0;
	switch (ubr_iod_op(iod)) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		rw_start(q, tag, iod);
		break;
	case UBLK_IO_OP_FLUSH:
		flush_start(q, tag);
		break;
	case UBLK_IO_OP_DISCARD:
	case UBLK_IO_OP_WRITE_ZEROES:
		falloc_start(q, tag, iod);
		break;
	default:
		note_err(q, tag, -EOPNOTSUPP);
	}
	/* Nothing submitted (empty request, or refused): answer now. */
	maybe_finish(q, tag);
}

void ubr_files_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		       const struct io_uring_cqe *cqe)
{
	switch (fio_kind_of(tgt_data)) {
	case FIO_RW:
		rw_done(q, tag, fio_arg(tgt_data), cqe->res);
		break;
	case FIO_FSYNC:
		if (cqe->res < 0)
			backing_err(q, tag, fio_arg(tgt_data), "fdatasync",
				    cqe->res);
		break;
	case FIO_PUNCH:
	case FIO_ZERO:
		falloc_done(q, tag, tgt_data, cqe->res);
		break;
	default:
		ubr_err("dev %u q %u tag %u: unknown target data %#x",
			q->dev->id, q->id, tag, tgt_data);
		note_err(q, tag, -EIO);
	}
	maybe_finish(q, tag);
}
