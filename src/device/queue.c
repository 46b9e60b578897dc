/* SPDX-License-Identifier: MIT */
/*
 * The request path: ublk I/O commands (FETCH, COMMIT_AND_FETCH) for every
 * tag of every queue, and the hand-over to the target and back.
 *
 * A tag cycles IDLE -> FETCHING (command with the kernel) -> SERVING (a
 * request arrived, the target has it) -> FETCHING (its result committed
 * with the next fetch piggybacked) ... until the device stops and the
 * kernel returns the command as aborted (IDLE). While a `stop` drains a
 * device (src/device/dev_detach.c), a request that arrives is HELD: never served,
 * never committed, left for the kernel to take back.
 *
 * A batch I/O device (UBLK_F_BATCH_IO) has no command per tag: its queues'
 * PREP, multishot FETCH and COMMIT are in src/device/queue_batch.c, which
 * hands arriving requests to ubr_queue_serve() and takes results from
 * commit(); FETCHING then means "with the kernel".
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ubr_compat.h"
#include "ubr_dev.h"
#include "ubr_kernel_ops.h"
#include "ubr_libc_compat.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

static size_t page_round(size_t n)
{
	size_t pg = (size_t)getpagesize(); /* sysconf's table is 1 KiB */

	return (n + pg - 1) / pg * pg;
}

/* --- setup -------------------------------------------------------------- */

static int queue_map_descs(struct ubr_dev *dev, struct ubr_queue *q)
{
	size_t stride = page_round(UBLK_MAX_QUEUE_DEPTH *
				   sizeof(struct ublksrv_io_desc));
	off_t off = UBLKSRV_CMD_BUF_OFFSET + (off_t)(q->id * stride);
	void *p;

	q->descs_len = page_round(dev->opts.depth *
				  sizeof(struct ublksrv_io_desc));
	p = ubr_kernel_map_descs(dev->cdev_fd, off, q->descs_len);
	if (p == MAP_FAILED) {
		ubr_dev_set_err(dev, "dev %u q %u: cannot map the request descriptors: %s",
				dev->id, q->id, strerror(errno));
		return -errno;
	}
	q->descs = p;
	return 0;
}

/* The buffer copy modes: the kernel copies to and from per-tag buffers. */
static bool has_tag_bufs(const struct ubr_dev *dev)
{
	return dev->copy_mode == UBR_COPY_BUFFER ||
	       dev->copy_mode == UBR_COPY_GET_DATA;
}

/*
 * A queue's tag buffers: depth x max I/O size, or one shared sink buffer
 * for a target that ignores data: what the kernel copies in or out
 * is never looked at. Computed in 64 bits: 4096 tags of 1 MiB are 4 GiB,
 * which a 32-bit size_t wraps to 0.
 */
static uint64_t queue_bufs_len(const struct ubr_dev *dev)
{
	if (dev->ops->flags & UBR_TGT_NO_DATA)
		return dev->opts.max_io_bytes;
	return (uint64_t)dev->opts.depth * dev->opts.max_io_bytes;
}

static int queue_alloc_bufs(struct ubr_dev *dev, struct ubr_queue *q)
{
	uint64_t len = queue_bufs_len(dev);

	if (!has_tag_bufs(dev))
		return 0;
	q->bufs = len > SIZE_MAX ? MAP_FAILED :
		  mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->bufs == MAP_FAILED) {
		q->bufs = NULL;
		ubr_dev_set_err(dev, "dev %u q %u: cannot allocate %" PRIu64 " bytes of buffers",
				dev->id, q->id, len);
		return -ENOMEM;
	}
	dev->mem_bytes += (size_t)len;
	return 0;
}

int ubr_queues_setup(struct ubr_dev *dev)
{
	unsigned i;
	int ret;

	dev->queues = calloc(dev->opts.nr_queues, sizeof(*dev->queues));
	if (!dev->queues)
		return -ENOMEM;
	dev->mem_bytes += sizeof(*dev) +
			  dev->opts.nr_queues * sizeof(*dev->queues);
	if (ubr_dev_batch_io(dev)) {
		dev->bgid_base = ubr_bgids_alloc(dev->r, dev->opts.nr_queues);
		if (dev->bgid_base < 0) {
			ubr_dev_set_err(dev, "dev %u: no buffer group ids left for batch I/O",
					dev->id);
			return dev->bgid_base;
		}
	}
	for (i = 0; i < dev->opts.nr_queues; i++) {
		struct ubr_queue *q = &dev->queues[i];

		q->dev = dev;
		q->id = (uint16_t)i;
		q->tags = calloc(dev->opts.depth, sizeof(*q->tags));
		if (!q->tags)
			return -ENOMEM;
		dev->mem_bytes += dev->opts.depth * sizeof(*q->tags);
		ret = queue_map_descs(dev, q);
		if (ret < 0)
			return ret;
		dev->mem_bytes += q->descs_len;
		ret = queue_alloc_bufs(dev, q);
		if (ret < 0)
			return ret;
		q->buf_index = (uint16_t)(dev->buf_base + i * dev->opts.depth);
		if (ubr_dev_batch_io(dev)) {
			ret = ubr_queue_batch_setup(q);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int ubr_queues_map(struct ubr_dev *dev)
{
	unsigned i;
	int ret;

	for (i = 0; i < dev->opts.nr_queues; i++) {
		ret = queue_map_descs(dev, &dev->queues[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The mappings hold /dev/ublkcN open: quiesce closes it for the kernel. */
void ubr_queues_unmap(struct ubr_dev *dev)
{
	unsigned i;

	for (i = 0; dev->queues && i < dev->opts.nr_queues; i++) {
		if (dev->queues[i].descs)
			munmap((void *)dev->queues[i].descs,
			       dev->queues[i].descs_len);
		dev->queues[i].descs = NULL;
	}
}

void ubr_queues_free(struct ubr_dev *dev)
{
	unsigned i;

	if (!dev->queues)
		return;
	for (i = 0; i < dev->opts.nr_queues; i++) {
		struct ubr_queue *q = &dev->queues[i];

		if (q->descs)
			munmap((void *)q->descs, q->descs_len);
		if (q->bufs)
			munmap(q->bufs, (size_t)queue_bufs_len(dev));
		if (q->batch)
			ubr_queue_batch_free(q);
		free(q->tags);
	}
	free(dev->queues);
	dev->queues = NULL;
	ubr_bgids_free(dev->r, dev->bgid_base, dev->opts.nr_queues);
	dev->bgid_base = -1;
}

bool ubr_queues_serving(const struct ubr_dev *dev)
{
	unsigned i, tag;

	for (i = 0; i < dev->opts.nr_queues; i++) {
		const struct ubr_queue *q = &dev->queues[i];

		if (q->tgt_inflight)
			return true;
		for (tag = 0; tag < dev->opts.depth; tag++)
			if (q->tags[tag].state == UBR_TAG_SERVING)
				return true;
	}
	return false;
}

bool ubr_queues_idle(const struct ubr_dev *dev)
{
	unsigned i;

	if (!dev->queues)
		return true;
	for (i = 0; i < dev->opts.nr_queues; i++)
		if (dev->queues[i].cmds_inflight || dev->queues[i].tgt_inflight)
			return false;
	return true;
}

/* --- ublk commands ------------------------------------------------------ */

void *ubr_io_buf(struct ubr_queue *q, unsigned tag)
{
	if (!q->bufs)
		return NULL;
	if (q->dev->ops->flags & UBR_TGT_NO_DATA)
		return q->bufs;
	return q->bufs + (size_t)tag * q->dev->opts.max_io_bytes;
}

int ubr_io_cdev_fd(struct ubr_queue *q)
{
	return q->dev->cdev_fd;
}

void ubr_queue_cdev_target(struct io_uring_sqe *sqe, const struct ubr_dev *dev)
{
	if (dev->cdev_fixed) {
		sqe->fd = (int)dev->slot;
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		sqe->fd = dev->cdev_fd;
	}
}

/* An I/O command for tag on /dev/ublkcN, its own fields still zero. */
static struct ublksrv_io_cmd *prep_io_cmd(struct io_uring_sqe *sqe,
					  struct ubr_queue *q, unsigned tag,
					  uint32_t op)
{
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	/* ublk reads only the first 16 bytes of the command area. */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	ubr_queue_cdev_target(sqe, q->dev);
	sqe->cmd_op = op;
	cmd->q_id = q->id;
	cmd->tag = (uint16_t)tag;
	return cmd;
}

/* The tag's slot in the ring's buffer table (the zero copy modes). */
static unsigned buf_slot(const struct ubr_queue *q, unsigned tag)
{
	return q->buf_index + tag;
}

/*
 * Auto registration's word for a fetch: the tag's slot, and FALLBACK where
 * the device may register buffers itself (SUPPORT_ZERO_COPY): a request
 * whose pages the kernel cannot put there then comes with NEED_REG_BUF
 * and we register them, instead of the kernel failing it. The test knob
 * zc_miss_every names a slot past the table's end for every Nth fetch, the
 * one way to make the kernel's registration fail on purpose.
 */
uint16_t ubr_queue_zc_slot(struct ubr_queue *q, unsigned tag)
{
	struct ubr_reactor *r = q->dev->r;
	bool fallback = q->dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY;
	unsigned slot = buf_slot(q, tag);

	if (fallback && r->zc_miss_every &&
	    ++r->zc_miss_count % r->zc_miss_every == 0)
		slot = UINT16_MAX;
	return (uint16_t)slot;
}

static uint64_t auto_buf_reg_word(struct ubr_queue *q, unsigned tag)
{
	bool fallback = q->dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY;

	return ublk_auto_buf_reg_addr(ubr_queue_zc_slot(q, tag),
				      fallback ? UBLK_AUTO_BUF_REG_FALLBACK : 0);
}

static void queue_io_cmd(struct ubr_queue *q, unsigned tag, uint32_t op,
			 int result)
{
	struct ubr_dev *dev = q->dev;
	struct io_uring_sqe *sqe = ubr_reactor_sqe(dev->r);
	struct ublksrv_io_cmd *cmd = prep_io_cmd(sqe, q, tag, op);

	cmd->result = result;
	/* Zero copy names its buffer slot in the SQE, not in the command. */
	if (dev->copy_mode == UBR_COPY_ZERO)
		sqe->addr = auto_buf_reg_word(q, tag);
	else if (dev->copy_mode != UBR_COPY_ZERO_EXPLICIT)
		cmd->addr = (uintptr_t)ubr_io_buf(q, tag);
	sqe->user_data = ubr_ud_encode(UBR_UD_IO_CMD, dev->slot, q->id, tag, 0);
	q->tags[tag].state = UBR_TAG_FETCHING;
	q->cmds_inflight++;
}

void ubr_queues_fetch_all(struct ubr_dev *dev)
{
	unsigned i, tag;

	if (ubr_dev_batch_io(dev)) {
		for (i = 0; i < dev->opts.nr_queues; i++)
			ubr_queue_batch_start(&dev->queues[i]);
		return;
	}
	for (i = 0; i < dev->opts.nr_queues; i++)
		for (tag = 0; tag < dev->opts.depth; tag++)
			queue_io_cmd(&dev->queues[i], tag, UBLK_U_IO_FETCH_REQ,
				     0);
}

enum { BUF_REGISTER = 0, BUF_UNREGISTER = 1 };

/*
 * Register or unregister the request's pages in the tag's slot
 * (UBLK_U_IO_REGISTER_IO_BUF, UBLK_U_IO_UNREGISTER_IO_BUF: the kernel
 * needs SUPPORT_ZERO_COPY on the device for both).
 */
static struct io_uring_sqe *queue_buf_cmd(struct ubr_queue *q, unsigned tag,
					  unsigned what)
{
	struct ubr_dev *dev = q->dev;
	struct io_uring_sqe *sqe = ubr_reactor_sqe(dev->r);
	uint32_t op = what == BUF_REGISTER ? UBLK_U_IO_REGISTER_IO_BUF
					   : UBLK_U_IO_UNREGISTER_IO_BUF;

	prep_io_cmd(sqe, q, tag, op)->addr = buf_slot(q, tag);
	sqe->user_data = ubr_ud_encode(UBR_UD_BUF, dev->slot, q->id, tag, what);
	return sqe;
}

/*
 * Commit the request's result and fetch the next. A buffer we registered
 * is unregistered first, in a hard link before the commit: the kernel
 * would complete the request only once the buffer is let go anyway (a
 * registration holds a reference to it), and the slot must be free
 * before the tag's next request is registered there. The hard link
 * commits even if the unregister fails (its CQE says so; success posts
 * none).
 */
static void commit(struct ubr_queue *q, unsigned tag, int result)
{
	struct ubr_tag *t = &q->tags[tag];
	const struct ublksrv_io_desc *iod = &q->descs[tag];

	ubr_stats_account(&q->dev->stats, ubr_iod_op(iod), result,
			  ubr_now_ns() - t->issued_ns);
	if (result < 0)
		ubr_dbg("dev %u q %u tag %u: op %u sector %llu: %s", q->dev->id,
			q->id, tag, ubr_iod_op(iod),
			(unsigned long long)iod->start_sector,
			strerror(-result));
	if (q->batch) {
		/*
		 * No link to a per-queue commit: the kernel ends the request
		 * when both the commit and the unregister have let it go, in
		 * either order, and the unregister goes first in the SQ.
		 */
		if (t->registered) {
			t->registered = 0;
			queue_buf_cmd(q, tag, BUF_UNREGISTER)->flags |=
				IOSQE_CQE_SKIP_SUCCESS;
		}
		ubr_queue_batch_commit(q, tag, result);
		return;
	}
	if (t->registered) {
		t->registered = 0;
		ubr_reactor_reserve(q->dev->r, 2); /* a link is one submit */
		queue_buf_cmd(q, tag, BUF_UNREGISTER)->flags |=
			IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	}
	queue_io_cmd(q, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, result);
}

/* The queue a completion names, or NULL if it is gone. */
static struct ubr_queue *queue_of(struct ubr_reactor *r, struct ubr_ud d)
{
	struct ubr_dev *dev = ubr_dev_at(r, d.dev);

	if (!dev || !dev->queues || d.queue >= dev->opts.nr_queues ||
	    d.tag >= dev->opts.depth)
		return NULL;
	return &dev->queues[d.queue];
}

/* queue_of() for a completion of `what`: a stray one is said, then dropped. */
static struct ubr_queue *completion_queue(struct ubr_reactor *r,
					  struct ubr_ud d, const char *what)
{
	struct ubr_queue *q = queue_of(r, d);

	if (!q)
		ubr_warn("%s completion for unknown dev slot %u q %u tag %u",
			 what, d.dev, d.queue, d.tag);
	return q;
}

/* --- explicit zero copy: we put the request's pages in its slot ------- */

/*
 * Does the request's data go into its slot by our hand before the target
 * sees it? In zero-explicit mode whenever it has data (the kernel refuses
 * to register a request without), and in zero mode when the kernel's own
 * registration failed and it said so (the FALLBACK flag of the fetch).
 */
static bool needs_register(const struct ubr_queue *q,
			   const struct ublksrv_io_desc *iod)
{
	unsigned op = ubr_iod_op(iod);

	if ((op != UBLK_IO_OP_READ && op != UBLK_IO_OP_WRITE) ||
	    !iod->nr_sectors)
		return false;
	return q->dev->copy_mode == UBR_COPY_ZERO_EXPLICIT ||
	       (q->dev->copy_mode == UBR_COPY_ZERO &&
		(iod->op_flags & UBLK_IO_F_NEED_REG_BUF));
}

/*
 * Register first, then serve once the registration completed: a target
 * may split a request into many pieces, each a read or write of that one
 * slot, and a link could order only one of them after the registration.
 * Counted as target I/O, so a drain waits for it.
 */
static void register_begin(struct ubr_queue *q, unsigned tag)
{
	if (q->descs[tag].op_flags & UBLK_IO_F_NEED_REG_BUF)
		q->dev->stats.buf_fallbacks++;
	queue_buf_cmd(q, tag, BUF_REGISTER);
	q->tgt_inflight++;
}

static void buf_unregister_failed(struct ubr_queue *q, unsigned tag, int res)
{
	ubr_err("dev %u q %u tag %u: unregistering the request's buffer: %s",
		q->dev->id, q->id, tag, strerror(-res));
}

void ubr_queue_buf_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	struct ubr_queue *q = completion_queue(r, d, "buffer registration");

	if (!q)
		return;
	if (d.data == BUF_UNREGISTER) {
		buf_unregister_failed(q, d.tag, cqe->res);
		return;
	}
	q->tgt_inflight--;
	if (cqe->res < 0) {
		ubr_err("dev %u q %u tag %u: registering the request's buffer: %s",
			q->dev->id, q->id, d.tag, strerror(-cqe->res));
		commit(q, d.tag, cqe->res);
	} else {
		q->tags[d.tag].registered = 1;
		q->dev->ops->queue_io(q, d.tag, &q->descs[d.tag]);
	}
	if (q->dev->state != UBR_DEV_LIVE)
		q->dev->queue_event(q, d.tag, UBR_QEV_RETURNED);
}

/* --- user copy: request data through a pool buffer -------------------- */

enum { COPY_IN = 0, COPY_OUT = 1 };

static bool needs_staging(const struct ubr_queue *q,
			  const struct ublksrv_io_desc *iod)
{
	unsigned op = ubr_iod_op(iod);

	return q->dev->copy_mode == UBR_COPY_USER &&
	       !(q->dev->ops->flags & UBR_TGT_NO_DATA) &&
	       (op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE) &&
	       iod->nr_sectors;
}

static void copy_finished(struct ubr_queue *q, unsigned tag, int dir, int res);

/*
 * Copy between the pool buffer and the request, on /dev/ublkcN.
 *
 * Where the kernel is new enough (ubr_inline_io_safe()), this thread does
 * it with pread/pwrite and goes on at once: the char device takes no
 * nonblocking I/O, so on the ring io_uring hands every copy to an io-wq
 * thread, two more context switches and a loop turn per request (nbd at
 * iodepth 1 on sid 7.2: 14-16 switches per request on the ring, 10-11
 * inline). The copy only moves memory between the request's pages and
 * ours; it never waits for a device's I/O.
 *
 * Elsewhere it goes on the ring: done inline, the second `stop` under I/O
 * crashed trixie's 6.12.107 kernel (NULL dereference in the recovery
 * path; t/kernel/recovery-stop.sh twice in one boot), while on the ring it
 * passed three times in a row.
 */
static void queue_copy(struct ubr_queue *q, unsigned tag, int dir,
		       unsigned len)
{
	struct ubr_dev *dev = q->dev;
	uint64_t pos = ublk_user_copy_pos(q->id, (uint16_t)tag, 0);
	struct io_uring_sqe *sqe;

	if (ubr_inline_io_safe(dev->r->features)) {
		copy_finished(q, tag, dir,
			      ubr_kernel_user_copy(dev->cdev_fd,
						   q->tags[tag].buf, len, pos,
						   dir == COPY_OUT));
		return;
	}
	sqe = ubr_reactor_sqe(dev->r);
	if (dir == COPY_IN)
		io_uring_prep_read(sqe, 0, q->tags[tag].buf, len, pos);
	else
		io_uring_prep_write(sqe, 0, q->tags[tag].buf, len, pos);
	ubr_queue_cdev_target(sqe, dev);
	sqe->user_data = ubr_ud_encode(UBR_UD_COPY, dev->slot, q->id, tag,
				       (uint32_t)dir);
	q->tgt_inflight++; /* a drain waits for the copy on the ring */
}

static void wait_for_buffer(struct ubr_reactor *r, uint64_t ud)
{
	if (ubr_pool_wait(&r->pool, ud) < 0)
		ubr_err("out of memory queueing a request for a buffer");
}

/* Give the request a buffer (or queue it), and its data if a write. */
static void staging_begin(struct ubr_queue *q, unsigned tag)
{
	struct ubr_reactor *r = q->dev->r;
	const struct ublksrv_io_desc *iod = &q->descs[tag];
	unsigned len = iod->nr_sectors << 9;
	struct ubr_tag *t = &q->tags[tag];

	t->buf = ubr_pool_get(&r->pool, len);
	if (!t->buf) {
		wait_for_buffer(r, ubr_ud_encode(UBR_UD_IO_CMD, q->dev->slot,
						 q->id, tag, 0));
		return;
	}
	if (ubr_iod_op(iod) == UBLK_IO_OP_WRITE)
		queue_copy(q, tag, COPY_IN, len);
	else
		q->dev->ops->queue_io(q, tag, iod);
}

static void pool_trim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_reactor *r = ev_userdata(loop);

	if (!r->pool.in_use)
		ubr_pool_trim(&r->pool);
	ubr_timer_stop(r, w);
}

static void serve_waiters(struct ubr_reactor *r)
{
	uint64_t ud;

	while (ubr_pool_waiter(&r->pool, &ud)) {
		struct ubr_ud d = ubr_ud_decode(ud);
		struct ubr_queue *q = queue_of(r, d);
		unsigned len;

		if (!q || q->tags[d.tag].state != UBR_TAG_SERVING)
			goto drop;
		len = q->descs[d.tag].nr_sectors << 9;
		if (r->pool.in_use + ubr_pool_class_size(len) > r->pool.limit)
			return;
drop:
		ubr_pool_waiter_pop(&r->pool);
		if (q && q->tags[d.tag].state == UBR_TAG_SERVING)
			staging_begin(q, d.tag);
	}
}

/*
 * A buffer came back: serve waiting requests, in order, while they fit.
 * Serving one can give a buffer back at once (a request that fails or
 * completes right away); the outer call goes on down the queue then, so
 * the stack stays flat however many wait.
 */
static void buffer_released(struct ubr_reactor *r)
{
	if (r->pool.wait.serving)
		return;
	r->pool.wait.serving = true;
	serve_waiters(r);
	r->pool.wait.serving = false;
	if (!r->pool.in_use && r->pool.cached && !ev_is_active(&r->pool_trim)) {
		/* Idle: give the memory back after a second of quiet. */
		ev_timer_init(&r->pool_trim, pool_trim_cb, 1.0, 0.);
		ubr_timer_start(r, &r->pool_trim);
	}
}

static void buffer_put(struct ubr_queue *q, unsigned tag)
{
	struct ubr_tag *t = &q->tags[tag];
	struct ubr_reactor *r = q->dev->r;

	ubr_pool_put(&r->pool, t->buf, q->descs[tag].nr_sectors << 9);
	t->buf = NULL;
	buffer_released(r);
}

void ubr_io_complete(struct ubr_queue *q, unsigned tag, int result)
{
	struct ubr_tag *t = &q->tags[tag];

	if (t->buf) {
		if (ubr_iod_op(&q->descs[tag]) == UBLK_IO_OP_READ &&
		    result > 0) {
			t->result = result;
			queue_copy(q, tag, COPY_OUT, (unsigned)result);
			return;
		}
		buffer_put(q, tag);
	}
	commit(q, tag, result);
}

/*
 * The copy of tag's data is done (res: bytes or -errno): serve a write,
 * commit a read. Whoever called for the copy tells a device that is not
 * live that the request moved on (UBR_QEV_RETURNED).
 */
static void copy_finished(struct ubr_queue *q, unsigned tag, int dir, int res)
{
	struct ubr_tag *t = &q->tags[tag];
	unsigned len;

	len = dir == COPY_IN ? q->descs[tag].nr_sectors << 9
			     : (unsigned)t->result;
	if (res != (int)len) {
		ubr_err("dev %u q %u tag %u: user copy %s the kernel: %s",
			q->dev->id, q->id, tag, dir == COPY_IN ? "from" : "to",
			res < 0 ? strerror(-res) : "short");
		buffer_put(q, tag);
		commit(q, tag, res < 0 ? res : -EIO);
	} else if (dir == COPY_IN) {
		q->dev->ops->queue_io(q, tag, &q->descs[tag]);
	} else {
		buffer_put(q, tag);
		commit(q, tag, t->result);
	}
}

void ubr_queue_copy_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	struct ubr_queue *q = completion_queue(r, d, "copy");

	if (!q)
		return;
	q->tgt_inflight--;
	copy_finished(q, d.tag, (int)d.data, cqe->res);
	if (q->dev->state != UBR_DEV_LIVE)
		q->dev->queue_event(q, d.tag, UBR_QEV_RETURNED);
}

struct io_uring_sqe *ubr_tgt_rw(struct ubr_queue *q, unsigned tag, bool write,
				int fd, uint64_t file_off, uint32_t data_off,
				uint32_t len, uint32_t tgt_data)
{
	struct io_uring_sqe *sqe = ubr_tgt_sqe(q, tag, tgt_data);
	uint64_t ud = sqe->user_data;
	char *buf;

	if (ubr_copy_mode_zero(q->dev->copy_mode)) {
		/* The request's own pages, registered by the kernel or us. */
		if (write)
			io_uring_prep_write_fixed(sqe, fd, (void *)(uintptr_t)data_off,
						  len, file_off,
						  q->buf_index + tag);
		else
			io_uring_prep_read_fixed(sqe, fd, (void *)(uintptr_t)data_off,
						 len, file_off,
						 q->buf_index + tag);
	} else {
		buf = q->tags[tag].buf ? q->tags[tag].buf : ubr_io_buf(q, tag);
		if (write)
			io_uring_prep_write(sqe, fd, buf + data_off, len,
					    file_off);
		else
			io_uring_prep_read(sqe, fd, buf + data_off, len,
					   file_off);
	}
	sqe->user_data = ud;
	return sqe;
}

int ubr_tgt_fill(struct ubr_queue *q, unsigned tag, uint32_t data_off,
		 const void *src, uint32_t len)
{
	char *buf = q->tags[tag].buf ? q->tags[tag].buf : ubr_io_buf(q, tag);
	int ret;

	if (!ubr_copy_mode_zero(q->dev->copy_mode)) {
		if (!buf)
			return -EOPNOTSUPP;
		memcpy(buf + data_off, src, len);
		return 0;
	}
	/* Only through /dev/ublkcN (UBR_TGT_ZERO_COPY_SOCKET added USER_COPY). */
	while (len) {
		ret = ubr_kernel_user_copy(q->dev->cdev_fd, (void *)src, len,
					   ublk_user_copy_pos(q->id, (uint16_t)tag,
							      data_off),
					   true);
		if (ret <= 0)
			return ret ? ret : -EIO;
		data_off += (uint32_t)ret;
		len -= (uint32_t)ret;
		src = (const char *)src + ret;
	}
	return 0;
}

int ubr_tgt_buf_index(const struct ubr_queue *q, unsigned tag)
{
	if (!ubr_copy_mode_zero(q->dev->copy_mode))
		return -1;
	return (int)(q->buf_index + tag);
}

unsigned ubr_tgt_reserve(struct ubr_queue *q, unsigned n)
{
	ubr_reactor_reserve(q->dev->r, n);
	return io_uring_sq_space_left(&q->dev->r->ring);
}

int ubr_tgt_rw_now(struct ubr_queue *q, unsigned tag, bool write, int fd,
		   uint64_t file_off, uint32_t data_off, uint32_t len, int rwf)
{
	char *buf = q->tags[tag].buf ? q->tags[tag].buf : ubr_io_buf(q, tag);
	struct iovec iov = { .iov_len = len };
	ssize_t n;

	if (ubr_copy_mode_zero(q->dev->copy_mode) || !buf)
		return -EOPNOTSUPP;
	iov.iov_base = buf + data_off;
	do {
		n = write ? pwritev2(fd, &iov, 1, (off_t)file_off, rwf) :
			    preadv2(fd, &iov, 1, (off_t)file_off, rwf);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

void ubr_queue_serve(struct ubr_queue *q, unsigned tag)
{
	struct ubr_tag *t = &q->tags[tag];

	t->state = UBR_TAG_SERVING;
	t->issued_ns = ubr_now_ns();
	t->result = 0;
	t->tgt_flags = 0;
	if (needs_staging(q, &q->descs[tag]))
		staging_begin(q, tag);
	else if (needs_register(q, &q->descs[tag]))
		register_begin(q, tag);
	else
		q->dev->ops->queue_io(q, tag, &q->descs[tag]);
	/* A quiesce waits for requests served at once too. */
	if (q->dev->state != UBR_DEV_LIVE)
		q->dev->queue_event(q, tag, UBR_QEV_RETURNED);
}

void ubr_queue_cmd_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	int res = cqe->res;
	struct ubr_queue *q = completion_queue(r, d, "I/O command");
	struct ubr_tag *t;

	if (!q)
		return;
	t = &q->tags[d.tag];
	q->cmds_inflight--;
	if (q->dev->drain &&
	    (res == UBLK_IO_RES_OK || res == UBLK_IO_RES_NEED_GET_DATA)) {
		q->dev->queue_event(q, d.tag, UBR_QEV_ARRIVED);
		return;
	}
	if (res == UBLK_IO_RES_NEED_GET_DATA) {
		/*
		 * get-data mode: a write arrived without its data. Hand the
		 * kernel the tag's buffer; the data is there once this second
		 * command completes with UBLK_IO_RES_OK, like a fetch.
		 */
		queue_io_cmd(q, d.tag, UBLK_U_IO_NEED_GET_DATA, 0);
		return;
	}
	if (res == UBLK_IO_RES_OK) {
		ubr_queue_serve(q, d.tag);
		return;
	}
	t->state = UBR_TAG_IDLE;
	if (res == UBLK_IO_RES_ABORT) {
		q->dev->queue_event(q, d.tag, UBR_QEV_ABORTED);
		return;
	}
	ubr_err("dev %u q %u tag %u: ublk command failed: %s", q->dev->id,
		q->id, d.tag, strerror(-res));
	q->dev->queue_event(q, d.tag, UBR_QEV_RETURNED);
}

/* --- target I/O --------------------------------------------------------- */

struct io_uring_sqe *ubr_tgt_sqe(struct ubr_queue *q, unsigned tag,
				 uint32_t tgt_data)
{
	struct io_uring_sqe *sqe = ubr_reactor_sqe(q->dev->r);

	sqe->user_data = ubr_ud_encode(UBR_UD_TARGET, q->dev->slot, q->id, tag,
				       tgt_data);
	q->tgt_inflight++;
	q->tags[tag].tgt_pending++;
	return sqe;
}

void ubr_queue_tgt_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	struct ubr_queue *q = completion_queue(r, d, "target");

	if (!q)
		return;
	q->tgt_inflight--;
	q->tags[d.tag].tgt_pending--;
	q->dev->ops->io_done(q, d.tag, d.data, cqe);
	if (q->dev->state != UBR_DEV_LIVE)
		q->dev->queue_event(q, d.tag, UBR_QEV_RETURNED);
}
