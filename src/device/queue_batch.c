/* SPDX-License-Identifier: MIT */
/*
 * Batch I/O (UBLK_F_BATCH_IO, Linux 7.0): a queue's requests through three
 * per-queue commands instead of one command per tag (src/device/queue.c).
 *
 * - PREP_IO_CMDS, once per queue start (add, recovery, resume): every tag
 *   at once, each with its buffer (buffer copy) or slot (zero copy). It is
 *   linked to the FETCH after it: the kernel refuses a FETCH on a queue
 *   not yet prepared after a recovery.
 * - FETCH_IO_CMDS, multishot: each completion puts the 2-byte tags of the
 *   requests that arrived into one buffer of the queue's provided buffer
 *   ring (UBR_FETCH_BUFS buffers; its group id: ubr_user_data.h), which
 *   goes back to the ring once the tags are read. It ends without
 *   IORING_CQE_F_MORE: re-armed unless the kernel aborted it (-ENODEV: a
 *   stop or quiesce) or it failed.
 * - COMMIT_IO_CMDS: results are appended to the queue's open commit
 *   buffer as requests complete, and the loop sends one COMMIT per queue
 *   at the end of its turn (ubr_reactor.turn_end). Two buffers per queue:
 *   one with the kernel until its completion, one filling. A tag is in at
 *   most one of them until committed, so depth elements always fit.
 *
 * q->cmds_inflight counts the FETCH, a PREP, and each commit buffer from
 * its first element to its completion: a stop, quiesce or delete waits
 * for all of them, as for per-tag commands.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ubr_batch_io.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

/* Fetch buffers per queue (a power of two: the ring's size). */
#define UBR_FETCH_BUFS 16
/* Tags per fetch buffer: more arrive as more completions. */
#define UBR_FETCH_TAGS 128

struct ubr_batchq {
	uint16_t flags;	     /* UBLK_BATCH_F_* of PREP and COMMIT */
	uint8_t elem_bytes;
	bool fetching;	     /* the multishot FETCH is with the kernel */
	bool listed;	     /* on r->commits */
	struct ubr_queue *next_commit;
	unsigned bgid;
	struct io_uring_buf_ring *br;
	unsigned fetch_len;  /* bytes per fetch buffer */
	char *fetch_mem;     /* UBR_FETCH_BUFS x fetch_len */
	void *prep_mem;	     /* the PREP's elements until it completes */
	char *commit_mem;    /* 2 x depth elements */
	uint16_t nr[2];	     /* elements in each commit buffer */
	bool sent[2];	     /* ... with the kernel */
	unsigned open;	     /* the buffer results go into */
};

static size_t br_bytes(void)
{
	return UBR_FETCH_BUFS * sizeof(struct io_uring_buf);
}

static char *commit_buf(struct ubr_queue *q, unsigned i)
{
	return q->batch->commit_mem +
	       (size_t)i * q->dev->opts.depth * q->batch->elem_bytes;
}

/* Buffer copy names each tag's buffer; zero copy may ask for fallback. */
static uint16_t batch_flags(const struct ubr_dev *dev)
{
	if (dev->copy_mode == UBR_COPY_BUFFER)
		return UBLK_BATCH_F_HAS_BUF_ADDR;
	if (dev->copy_mode == UBR_COPY_ZERO &&
	    (dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY))
		return UBLK_BATCH_F_AUTO_BUF_REG_FALLBACK;
	return 0;
}

static void fetch_buf_give(struct ubr_batchq *b, unsigned bid)
{
	io_uring_buf_ring_add(b->br, b->fetch_mem + (size_t)bid * b->fetch_len,
			      b->fetch_len, (unsigned short)bid,
			      io_uring_buf_ring_mask(UBR_FETCH_BUFS), 0);
	io_uring_buf_ring_advance(b->br, 1);
}

static int fetch_ring_setup(struct ubr_queue *q)
{
	struct ubr_batchq *b = q->batch;
	struct io_uring_buf_reg reg = { 0 };
	unsigned i;
	int ret;

	b->br = mmap(NULL, br_bytes(), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->br == MAP_FAILED) {
		b->br = NULL;
		return -ENOMEM;
	}
	io_uring_buf_ring_init(b->br);
	reg.ring_addr = (uintptr_t)b->br;
	reg.ring_entries = UBR_FETCH_BUFS;
	reg.bgid = (uint16_t)b->bgid;
	ret = io_uring_register_buf_ring(&q->dev->r->ring, &reg, 0);
	if (ret < 0) {
		munmap(b->br, br_bytes());
		b->br = NULL;
		return ret;
	}
	for (i = 0; i < UBR_FETCH_BUFS; i++)
		fetch_buf_give(b, i);
	return 0;
}

int ubr_queue_batch_setup(struct ubr_queue *q)
{
	struct ubr_dev *dev = q->dev;
	unsigned depth = dev->opts.depth;
	struct ubr_batchq *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	q->batch = b;
	b->flags = batch_flags(dev);
	b->elem_bytes = (uint8_t)ubr_bio_elem_bytes(b->flags);
	b->bgid = (unsigned)dev->bgid_base + q->id;
	b->fetch_len = (depth < UBR_FETCH_TAGS ? depth : UBR_FETCH_TAGS) *
		       sizeof(uint16_t);
	b->fetch_mem = malloc((size_t)UBR_FETCH_BUFS * b->fetch_len);
	b->commit_mem = calloc(2, (size_t)depth * b->elem_bytes);
	/*
	 * The PREP's elements, here rather than at the start: a queue whose
	 * PREP cannot be sent would never be ready, and START_DEV would wait
	 * on it. prep_done() frees them; they are not counted in mem_bytes.
	 */
	b->prep_mem = malloc((size_t)depth * b->elem_bytes);
	if (!b->fetch_mem || !b->commit_mem || !b->prep_mem)
		return -ENOMEM;
	dev->mem_bytes += sizeof(*b) + UBR_FETCH_BUFS * b->fetch_len +
			  2 * depth * b->elem_bytes + br_bytes();
	ret = fetch_ring_setup(q);
	if (ret < 0) {
		ubr_dev_set_err(dev, "dev %u q %u: cannot register a buffer ring for batch I/O: %s",
				dev->id, q->id, strerror(-ret));
		return ret;
	}
	dev->r->turn_end = ubr_queues_commit_flush;
	return 0;
}

static void commits_unlist(struct ubr_queue *q)
{
	struct ubr_queue **p = &q->dev->r->commits;

	while (*p && *p != q)
		p = &(*p)->batch->next_commit;
	if (*p)
		*p = q->batch->next_commit;
	q->batch->listed = false;
	q->batch->next_commit = NULL;
}

void ubr_queue_batch_free(struct ubr_queue *q)
{
	struct ubr_batchq *b = q->batch;
	struct ubr_reactor *r = q->dev->r;

	if (b->listed)
		commits_unlist(q);
	if (b->br) {
		/* Once the ring is gone, so is the registration. */
		if (!r->ring_exited)
			io_uring_unregister_buf_ring(&r->ring, (int)b->bgid);
		munmap(b->br, br_bytes());
	}
	free(b->prep_mem);
	free(b->fetch_mem);
	free(b->commit_mem);
	free(b);
	q->batch = NULL;
}

/* A batch command for q, its header filled, the caller's part zero. */
static struct io_uring_sqe *batch_sqe(struct ubr_queue *q, uint32_t op,
				      enum ubr_ud_batch_op what, unsigned buf,
				      uint16_t flags, uint16_t nr,
				      uint8_t elem_bytes)
{
	struct ubr_dev *dev = q->dev;
	struct io_uring_sqe *sqe = ubr_reactor_sqe(dev->r);

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	ubr_queue_cdev_target(sqe, dev);
	sqe->cmd_op = op;
	ubr_bio_cmd_fill(sqe->cmd, q->id, flags, nr, elem_bytes);
	sqe->user_data = ubr_ud_batch(dev->slot, q->id, what, buf);
	q->cmds_inflight++;
	return sqe;
}

/* Tag's element: its buffer (buffer copy) or next slot (zero copy). */
static void elem_of(struct ubr_queue *q, unsigned tag, int result,
		    struct ubr_bio_elem *e)
{
	memset(e, 0, sizeof(*e));
	e->tag = (uint16_t)tag;
	e->result = result;
	if (q->dev->copy_mode == UBR_COPY_ZERO)
		e->buf_index = ubr_queue_zc_slot(q, tag);
	else if (q->batch->flags & UBLK_BATCH_F_HAS_BUF_ADDR)
		e->buf_addr = (uintptr_t)ubr_io_buf(q, tag);
}

static int queue_prep(struct ubr_queue *q)
{
	struct ubr_batchq *b = q->batch;
	unsigned depth = q->dev->opts.depth, tag;
	struct io_uring_sqe *sqe;
	struct ubr_bio_elem e;

	/* A second start (none yet: a batch device is never resumed). */
	if (!b->prep_mem)
		b->prep_mem = malloc((size_t)depth * b->elem_bytes);
	if (!b->prep_mem)
		return -ENOMEM;
	for (tag = 0; tag < depth; tag++) {
		elem_of(q, tag, 0, &e);
		ubr_bio_elem_put(b->prep_mem, tag, b->flags, &e);
		q->tags[tag].state = UBR_TAG_FETCHING;
	}
	sqe = batch_sqe(q, UBLK_U_IO_PREP_IO_CMDS, UBR_UD_BATCH_PREP, 0,
			b->flags, (uint16_t)depth, b->elem_bytes);
	sqe->addr = (uintptr_t)b->prep_mem;
	sqe->len = depth * b->elem_bytes;
	sqe->flags |= IOSQE_IO_LINK;
	return 0;
}

static void queue_fetch(struct ubr_queue *q)
{
	struct ubr_batchq *b = q->batch;
	struct io_uring_sqe *sqe;

	sqe = batch_sqe(q, UBLK_U_IO_FETCH_IO_CMDS, UBR_UD_BATCH_FETCH, 0, 0,
			(uint16_t)(b->fetch_len / sizeof(uint16_t)),
			sizeof(uint16_t));
	sqe->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)b->bgid;
	b->fetching = true;
}

void ubr_queue_batch_start(struct ubr_queue *q)
{
	ubr_reactor_reserve(q->dev->r, 2); /* a link is one submit */
	if (queue_prep(q) < 0) {
		ubr_err("dev %u q %u: out of memory preparing batch I/O",
			q->dev->id, q->id);
		return;
	}
	queue_fetch(q);
}

/* --- commits ------------------------------------------------------------ */

static void commits_list(struct ubr_queue *q)
{
	struct ubr_reactor *r = q->dev->r;

	if (q->batch->listed)
		return;
	q->batch->listed = true;
	q->batch->next_commit = r->commits;
	r->commits = q;
}

static void commit_add(struct ubr_queue *q, const struct ubr_bio_elem *e)
{
	struct ubr_batchq *b = q->batch;
	unsigned i = b->open;

	if (b->nr[i] >= q->dev->opts.depth) { /* a tag twice: a bug */
		ubr_err("dev %u q %u tag %u: commit buffer full: result dropped",
			q->dev->id, q->id, e->tag);
		return;
	}
	if (!b->nr[i])
		q->cmds_inflight++; /* the commit to come */
	ubr_bio_elem_put(commit_buf(q, i), b->nr[i]++, b->flags, e);
	commits_list(q);
}

void ubr_queue_batch_commit(struct ubr_queue *q, unsigned tag, int result)
{
	struct ubr_bio_elem e;

	elem_of(q, tag, result, &e);
	q->tags[tag].state = UBR_TAG_FETCHING;
	commit_add(q, &e);
}

/* Send the open buffer if the other one is free to fill meanwhile. */
static bool commit_send(struct ubr_queue *q)
{
	struct ubr_batchq *b = q->batch;
	unsigned i = b->open;
	struct io_uring_sqe *sqe;

	if (!b->nr[i])
		return true;
	if (b->sent[!i])
		return false; /* its completion comes: the next turn sends */
	sqe = batch_sqe(q, UBLK_U_IO_COMMIT_IO_CMDS, UBR_UD_BATCH_COMMIT, i,
			b->flags, b->nr[i], b->elem_bytes);
	q->cmds_inflight--; /* counted since its first element */
	sqe->addr = (uintptr_t)commit_buf(q, i);
	sqe->len = b->nr[i] * b->elem_bytes;
	b->sent[i] = true;
	b->open = !i;
	return true;
}

void ubr_queues_commit_flush(struct ubr_reactor *r)
{
	struct ubr_queue **p = &r->commits, *q;

	while ((q = *p)) {
		if (commit_send(q)) {
			*p = q->batch->next_commit;
			q->batch->listed = false;
			q->batch->next_commit = NULL;
		} else {
			p = &q->batch->next_commit;
		}
	}
}

/*
 * A commit came back. Elements after a failed one were not tried: they
 * go into the next commit. The failed one is logged; the kernel did not
 * take it (a tag it did not hand us, a bad buffer), so nothing waits for
 * it on our side.
 */
static void commit_done(struct ubr_queue *q, unsigned i, int res)
{
	struct ubr_batchq *b = q->batch;
	unsigned n = b->nr[i], done, j;
	struct ubr_bio_elem e;
	bool failed;

	done = ubr_bio_commit_result(res, n, b->elem_bytes, &failed);
	b->sent[i] = false;
	b->nr[i] = 0;
	q->cmds_inflight--;
	if (failed) {
		ubr_bio_elem_get(commit_buf(q, i), done, b->flags, &e);
		ubr_err("dev %u q %u tag %u: COMMIT_IO_CMDS refused the result: %s",
			q->dev->id, q->id, e.tag,
			strerror(res < 0 ? -res : EIO));
		q->tags[e.tag].state = UBR_TAG_IDLE;
		for (j = done + 1; j < n; j++) {
			ubr_bio_elem_get(commit_buf(q, i), j, b->flags, &e);
			commit_add(q, &e);
		}
	}
}

/* --- fetches ------------------------------------------------------------ */

static void tags_arrived(struct ubr_queue *q, const uint16_t *tags,
			 unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned tag = tags[i];

		if (tag >= q->dev->opts.depth ||
		    q->tags[tag].state != UBR_TAG_FETCHING) {
			ubr_err("dev %u q %u tag %u: fetched, but not ours to serve",
				q->dev->id, q->id, tag);
			continue;
		}
		if (q->dev->drain)
			q->dev->queue_event(q, tag, UBR_QEV_ARRIVED);
		else
			ubr_queue_serve(q, tag);
	}
}

/* The multishot FETCH ended: again, unless the kernel aborted it. */
static void fetch_ended(struct ubr_queue *q, int res)
{
	q->batch->fetching = false;
	q->cmds_inflight--;
	if (res == UBLK_IO_RES_ABORT) {
		q->dev->queue_event(q, 0, UBR_QEV_ABORTED);
		return;
	}
	if ((res >= 0 || res == -ENOBUFS) && q->dev->cdev_fd >= 0) {
		queue_fetch(q);
		return;
	}
	if (res < 0)
		ubr_err("dev %u q %u: FETCH_IO_CMDS failed: %s", q->dev->id,
			q->id, strerror(-res));
	q->dev->queue_event(q, 0, UBR_QEV_RETURNED);
}

static void fetch_done(struct ubr_queue *q, const struct io_uring_cqe *cqe)
{
	struct ubr_batchq *b = q->batch;
	uint16_t tags[UBR_FETCH_TAGS];
	unsigned n = 0, bid;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (bid < UBR_FETCH_BUFS) {
			n = ubr_bio_fetch_tags(b->fetch_mem +
						       (size_t)bid * b->fetch_len,
					       cqe->res, tags, UBR_FETCH_TAGS);
			fetch_buf_give(b, bid);
		}
	}
	ubr_reactor_count_arrivals(q->dev->r, n);
	tags_arrived(q, tags, n);
	if (!(cqe->flags & IORING_CQE_F_MORE))
		fetch_ended(q, cqe->res);
}

static void prep_done(struct ubr_queue *q, int res)
{
	unsigned tag;

	free(q->batch->prep_mem);
	q->batch->prep_mem = NULL;
	q->cmds_inflight--;
	if (res >= 0)
		return;
	ubr_err("dev %u q %u: PREP_IO_CMDS failed: %s", q->dev->id, q->id,
		strerror(-res));
	for (tag = 0; tag < q->dev->opts.depth; tag++)
		if (q->tags[tag].state == UBR_TAG_FETCHING)
			q->tags[tag].state = UBR_TAG_IDLE;
}

void ubr_queue_batch_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	struct ubr_dev *dev = ubr_dev_at(r, d.dev);
	struct ubr_queue *q;

	if (!dev || !dev->queues || d.queue >= dev->opts.nr_queues ||
	    !dev->queues[d.queue].batch) {
		ubr_warn("batch command completion for unknown dev slot %u q %u",
			 d.dev, d.queue);
		return;
	}
	q = &dev->queues[d.queue];
	switch (d.data) {
	case UBR_UD_BATCH_PREP:
		prep_done(q, cqe->res);
		break;
	case UBR_UD_BATCH_COMMIT:
		commit_done(q, d.tag & 1, cqe->res);
		break;
	default:
		fetch_done(q, cqe);
		return; /* it says what the device needs to hear */
	}
	if (dev->state != UBR_DEV_LIVE)
		dev->queue_event(q, 0, UBR_QEV_RETURNED);
}
