/* SPDX-License-Identifier: MIT */
/*
 * The request path: ublk I/O commands (FETCH, COMMIT_AND_FETCH) for every
 * tag of every queue, and the hand-over to the target and back.
 *
 * A tag cycles IDLE -> FETCHING (command with the kernel) -> SERVING (a
 * request arrived, the target has it) -> FETCHING (its result committed
 * with the next fetch piggybacked) ... until the device stops and the
 * kernel returns the command as aborted (IDLE).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

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
	p = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		 dev->cdev_fd, off);
	if (p == MAP_FAILED) {
		ubr_dev_set_err(dev, "dev %u q %u: cannot map the request descriptors: %s",
				dev->id, q->id, strerror(errno));
		return -errno;
	}
	q->descs = p;
	return 0;
}

static int queue_alloc_bufs(struct ubr_dev *dev, struct ubr_queue *q)
{
	size_t len = (size_t)dev->opts.depth * dev->opts.max_io_bytes;

	if (dev->copy_mode != UBR_COPY_BUFFER)
		return 0;
	/*
	 * A target that ignores data (null) shares one sink buffer between
	 * every tag: what the kernel copies in or out is never looked at.
	 */
	if (dev->ops->flags & UBR_TGT_NO_DATA)
		len = dev->opts.max_io_bytes;
	q->bufs = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->bufs == MAP_FAILED) {
		q->bufs = NULL;
		ubr_dev_set_err(dev, "dev %u q %u: cannot allocate %zu bytes of buffers",
				dev->id, q->id, len);
		return -ENOMEM;
	}
	dev->mem_bytes += len;
	return 0;
}

static size_t queue_bufs_len(const struct ubr_dev *dev)
{
	if (dev->ops->flags & UBR_TGT_NO_DATA)
		return dev->opts.max_io_bytes;
	return (size_t)dev->opts.depth * dev->opts.max_io_bytes;
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
	}
	return 0;
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
			munmap(q->bufs, queue_bufs_len(dev));
		free(q->tags);
	}
	free(dev->queues);
	dev->queues = NULL;
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

static void queue_io_cmd(struct ubr_queue *q, unsigned tag, uint32_t op,
			 int result)
{
	struct ubr_dev *dev = q->dev;
	struct io_uring_sqe *sqe = ubr_reactor_sqe(dev->r);
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	/* ublk reads only the first 16 bytes of the command area. */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = (int)dev->slot;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = op;
	cmd->q_id = q->id;
	cmd->tag = (uint16_t)tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)ubr_io_buf(q, tag);
	sqe->user_data = ubr_ud_encode(UBR_UD_IO_CMD, dev->slot, q->id, tag, 0);
	q->tags[tag].state = UBR_TAG_FETCHING;
	q->cmds_inflight++;
}

void ubr_queues_fetch_all(struct ubr_dev *dev)
{
	unsigned i, tag;

	for (i = 0; i < dev->opts.nr_queues; i++)
		for (tag = 0; tag < dev->opts.depth; tag++)
			queue_io_cmd(&dev->queues[i], tag, UBLK_U_IO_FETCH_REQ,
				     0);
}

void ubr_io_complete(struct ubr_queue *q, unsigned tag, int result)
{
	struct ubr_tag *t = &q->tags[tag];
	const struct ublksrv_io_desc *iod = &q->descs[tag];

	ubr_stats_account(&q->dev->stats, iod->op_flags & 0xff, result,
			  now_ns() - t->issued_ns);
	if (result < 0)
		ubr_dbg("dev %u q %u tag %u: op %u sector %llu: %s", q->dev->id,
			q->id, tag, iod->op_flags & 0xff,
			(unsigned long long)iod->start_sector,
			strerror(-result));
	queue_io_cmd(q, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, result);
}

static struct ubr_queue *queue_of(struct ubr_reactor *r, struct ubr_ud d)
{
	struct ubr_dev *dev = ubr_dev_at(r, d.dev);

	if (!dev || !dev->queues || d.queue >= dev->opts.nr_queues ||
	    d.tag >= dev->opts.depth)
		return NULL;
	return &dev->queues[d.queue];
}

void ubr_queue_cmd_done(struct ubr_reactor *r, uint64_t ud, int res)
{
	struct ubr_ud d = ubr_ud_decode(ud);
	struct ubr_queue *q = queue_of(r, d);
	struct ubr_tag *t;

	if (!q) {
		ubr_warn("I/O command completion for unknown dev slot %u q %u tag %u",
			 d.dev, d.queue, d.tag);
		return;
	}
	t = &q->tags[d.tag];
	q->cmds_inflight--;
	if (res == UBLK_IO_RES_OK) {
		t->state = UBR_TAG_SERVING;
		t->issued_ns = now_ns();
		t->result = 0;
		q->dev->ops->queue_io(q, d.tag, &q->descs[d.tag]);
		return;
	}
	t->state = UBR_TAG_IDLE;
	if (res != UBLK_IO_RES_ABORT)
		ubr_err("dev %u q %u tag %u: ublk command failed: %s",
			q->dev->id, q->id, d.tag, strerror(-res));
	ubr_dev_teardown_step(q->dev);
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
	struct ubr_queue *q = queue_of(r, d);

	if (!q) {
		ubr_warn("target completion for unknown dev slot %u q %u tag %u",
			 d.dev, d.queue, d.tag);
		return;
	}
	q->tgt_inflight--;
	q->tags[d.tag].tgt_pending--;
	q->dev->ops->io_done(q, d.tag, d.data, cqe);
	if (q->dev->state == UBR_DEV_STOPPING)
		ubr_dev_teardown_step(q->dev);
}
