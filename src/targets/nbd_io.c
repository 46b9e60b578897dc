/* SPDX-License-Identifier: MIT */
/*
 * nbd requests on the shared ring. One connection per device carries the
 * requests of all its queues (the cookie names queue and tag: nbd_wire.h).
 *
 * Send: requests wait in a FIFO; one sendmsg at a time takes up to
 * UBR_NBD_SEND_BATCH of them (header, and a write's data straight from
 * the request's buffer), so their bytes never interleave on the stream.
 * Receive: one recv at a time while any request awaits its reply, into
 * a buffer parsed by nbd_wire's checks; a read's data that is due next
 * and not yet buffered is received straight into the request's buffer.
 *
 * Every SQE must carry some request's tag (ubr_tgt_sqe), and a request is
 * completed only when no SQE carries its tag any more: a sendmsg carries
 * the first request of its batch, a recv some request still awaiting its
 * reply. A request answered while an SQE still carries its tag is marked
 * replied and completed by that SQE's completion.
 *
 * A connection that fails (closed, a send or receive error, or a reply
 * that breaks the protocol) is shut down and nbd_reconnect.c makes a new
 * one, off the ring: meanwhile the requests without a reply, and new ones,
 * are held (awaiting, on no send queue). The lost socket stays open until
 * the SQEs still on it are back (send_stale, recv_stale): an SQE prepared
 * but not yet submitted must not meet a reused descriptor number. Once
 * up again every held request is resent with a new cookie, in slot order
 * (the protocol promises no order among requests in flight, nor does the
 * kernel expect one). When the connection stays down past
 * --reconnect-timeout the held requests fail with EIO (nbd_retry.h says
 * when one that keeps losing its connection gives up).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd.h"
#include "nbd_retry.h"
#include "ubr_log.h"

enum { TD_SEND = 1, TD_RECV = 2 };

static struct ubr_nbd *nbd_of(struct ubr_queue *q)
{
	return q->dev->tgt;
}

static uint32_t slot_idx(const struct ubr_nbd *nb, unsigned qid, unsigned tag)
{
	return (uint32_t)qid * nb->depth + tag;
}

static struct ubr_queue *slot_queue(struct ubr_nbd *nb, uint32_t i)
{
	return &nb->dev->queues[i / nb->depth];
}

static unsigned slot_tag(const struct ubr_nbd *nb, uint32_t i)
{
	return i % nb->depth;
}

static uint8_t *slot_buf(struct ubr_nbd *nb, uint32_t i)
{
	struct ubr_queue *q = slot_queue(nb, i);
	unsigned tag = slot_tag(nb, i);

	return q->tags[tag].buf ? q->tags[tag].buf : ubr_io_buf(q, tag);
}

/* Complete the request once it is answered and no SQE holds its tag. */
static void try_finish(struct ubr_nbd *nb, uint32_t i)
{
	struct ubr_nbd_slot *s = &nb->slots[i];
	struct ubr_queue *q = slot_queue(nb, i);
	unsigned tag = slot_tag(nb, i);

	if (!s->replied || q->tags[tag].tgt_pending)
		return;
	s->replied = false;
	s->awaiting = false;
	ubr_io_complete(q, tag, s->result);
}

/* The request's final answer: its error, or success. */
static void answer(struct ubr_nbd *nb, uint32_t i, int err)
{
	struct ubr_nbd_slot *s = &nb->slots[i];
	bool rw = s->req.type == UBR_NBD_CMD_READ ||
		  s->req.type == UBR_NBD_CMD_WRITE;

	if (err < 0 && !s->result)
		s->result = err;
	if (!s->result)
		s->result = rw ? (int32_t)s->req.length : 0;
	s->replied = true;
	nb->awaiting--;
	try_finish(nb, i);
}

static uint32_t nr_slots(const struct ubr_nbd *nb)
{
	return (uint32_t)nb->dev->opts.nr_queues * nb->depth;
}

static bool held(const struct ubr_nbd *nb, uint32_t i)
{
	return nb->slots[i].awaiting && !nb->slots[i].replied;
}

/* The lost socket, once no SQE is on it any more. */
static void close_old(struct ubr_nbd *nb)
{
	if (nb->old_fd >= 0 && !nb->send_stale && !nb->recv_stale) {
		close(nb->old_fd);
		nb->old_fd = -1;
	}
}

void ubr_nbd_fail_held(struct ubr_nbd *nb)
{
	uint32_t i, n = nr_slots(nb);

	for (i = 0; i < n; i++)
		if (held(nb, i))
			answer(nb, i, -EIO);
}

void ubr_nbd_conn_lost(struct ubr_nbd *nb, const char *why)
{
	uint32_t i, n = nr_slots(nb), failed = 0, kept = 0;
	uint64_t now = ubr_nbd_now_ms();

	if (nb->conn != UBR_NBD_UP)
		return;
	nb->conn = UBR_NBD_DOWN;
	shutdown(nb->fd, SHUT_RDWR);
	nb->old_fd = nb->fd;
	nb->fd = -1;
	nb->send_stale = nb->send_busy;
	nb->recv_stale = nb->recv_busy;
	close_old(nb);
	nb->sq_head = nb->sq_tail = 0;
	nb->rx_off = nb->rx_len = 0;
	nb->rx_state = UBR_NBD_RX_HDR;
	nb->need = UBR_NBD_SIMPLE_REPLY_LEN;
	for (i = 0; i < n; i++) {
		if (!held(nb, i))
			continue;
		if (ubr_nbd_loss_gives_up(&nb->slots[i].lost_at, now,
					  nb->rc.timeout_ms)) {
			answer(nb, i, -EIO);
			failed++;
		} else {
			kept++;
		}
	}
	ubr_err("dev %u: nbd: %s: the connection is lost; %u request(s) held, %u failed (lost before, over --reconnect-timeout); reconnecting",
		nb->dev->id, why, kept, failed);
	ubr_nbd_reconnect_start(nb);
	ubr_nbd_desc(nb);
}

static void kick_send(struct ubr_nbd *nb);
static void kick_recv(struct ubr_nbd *nb, uint32_t hint);

void ubr_nbd_conn_up(struct ubr_nbd *nb, int fd,
		     const struct ubr_nbd_export_info *info)
{
	uint32_t i, n = nr_slots(nb), resent = 0;
	struct ubr_nbd_slot *s;

	nb->fd = fd;
	nb->info = *info;
	nb->conn = UBR_NBD_UP;
	for (i = 0; i < n; i++) {
		if (!held(nb, i))
			continue;
		s = &nb->slots[i];
		s->req.cookie = ubr_nbd_cookie_make(
			(uint16_t)(i / nb->depth), (uint16_t)(i % nb->depth),
			++nb->seq);
		/* It was encoded once: only the cookie differs. */
		(void)ubr_nbd_req_encode(&s->req, s->hdr);
		s->result = 0;
		s->covered = 0;
		s->next = 0;
		if (nb->sq_tail)
			nb->slots[nb->sq_tail - 1].next = i + 1;
		else
			nb->sq_head = i + 1;
		nb->sq_tail = i + 1;
		resent++;
	}
	ubr_info("dev %u: nbd: reconnected; %u request(s) resent", nb->dev->id,
		 resent);
	ubr_nbd_desc(nb);
	kick_send(nb);
	kick_recv(nb, UINT32_MAX);
}

/* --- send ----------------------------------------------------------------- */

static void submit_send(struct ubr_nbd *nb)
{
	struct ubr_queue *q = slot_queue(nb, nb->send_owner);
	struct io_uring_sqe *sqe;

	sqe = ubr_tgt_sqe(q, slot_tag(nb, nb->send_owner), TD_SEND);
	nb->msg.msg_iov = nb->iov;
	nb->msg.msg_iovlen = nb->iov_nr;
	io_uring_prep_sendmsg(sqe, nb->fd, &nb->msg, MSG_NOSIGNAL);
	nb->send_busy = true;
}

static void kick_send(struct ubr_nbd *nb)
{
	uint32_t i;

	if (nb->send_busy || nb->conn != UBR_NBD_UP || !nb->sq_head)
		return;
	nb->iov_nr = 0;
	nb->send_owner = nb->sq_head - 1;
	while (nb->sq_head && nb->iov_nr + 2 <= 2 * UBR_NBD_SEND_BATCH) {
		i = nb->sq_head - 1;
		nb->sq_head = nb->slots[i].next;
		nb->iov[nb->iov_nr++] = (struct iovec){
			.iov_base = nb->slots[i].hdr,
			.iov_len = UBR_NBD_REQUEST_LEN,
		};
		if (nb->slots[i].req.type == UBR_NBD_CMD_WRITE)
			nb->iov[nb->iov_nr++] = (struct iovec){
				.iov_base = slot_buf(nb, i),
				.iov_len = nb->slots[i].req.length,
			};
	}
	if (!nb->sq_head)
		nb->sq_tail = 0;
	submit_send(nb);
}

/* A short send: go on from where it stopped. */
static bool send_rest(struct ubr_nbd *nb, size_t done)
{
	unsigned k = 0;

	while (k < nb->iov_nr && done >= nb->iov[k].iov_len)
		done -= nb->iov[k++].iov_len;
	if (k == nb->iov_nr)
		return false;
	memmove(nb->iov, nb->iov + k, (nb->iov_nr - k) * sizeof(nb->iov[0]));
	nb->iov_nr -= k;
	nb->iov[0].iov_base = (uint8_t *)nb->iov[0].iov_base + done;
	nb->iov[0].iov_len -= done;
	submit_send(nb);
	return true;
}

static void send_done(struct ubr_nbd *nb, int res)
{
	char why[64];

	nb->send_busy = false;
	if (nb->send_stale) {
		nb->send_stale = false;
		close_old(nb);
		kick_send(nb);
		return;
	}
	if (res < 0) {
		snprintf(why, sizeof(why), "send: %s", strerror(-res));
		ubr_nbd_conn_lost(nb, why);
		return;
	}
	if (!send_rest(nb, (size_t)res))
		kick_send(nb);
}

/* --- receive -------------------------------------------------------------- */

/* An SQE needs a tag: that of a request still waiting for its reply. */
static uint32_t recv_owner(struct ubr_nbd *nb)
{
	uint32_t i, n = nr_slots(nb);

	for (i = 0; i < n; i++)
		if (held(nb, i))
			return i;
	return UINT32_MAX;
}

static void kick_recv(struct ubr_nbd *nb, uint32_t hint)
{
	struct io_uring_sqe *sqe;
	uint32_t owner = hint;
	void *buf;
	size_t len;

	if (nb->recv_busy || nb->conn != UBR_NBD_UP || !nb->awaiting)
		return;
	if (owner == UINT32_MAX || !nb->slots[owner].awaiting ||
	    nb->slots[owner].replied)
		owner = recv_owner(nb);
	if (owner == UINT32_MAX)
		return;
	nb->recv_direct = nb->rx_state == UBR_NBD_RX_DATA &&
			  nb->rx_off == nb->rx_len;
	if (nb->recv_direct) {
		buf = nb->dst;
		len = nb->left;
	} else {
		if (nb->rx_off) {
			memmove(nb->rx, nb->rx + nb->rx_off,
				nb->rx_len - nb->rx_off);
			nb->rx_len -= nb->rx_off;
			nb->rx_off = 0;
		}
		buf = nb->rx + nb->rx_len;
		len = UBR_NBD_RX_BUF - nb->rx_len;
	}
	sqe = ubr_tgt_sqe(slot_queue(nb, owner), slot_tag(nb, owner), TD_RECV);
	io_uring_prep_recv(sqe, nb->fd, buf, len, 0);
	nb->recv_busy = true;
}

static void next_header(struct ubr_nbd *nb)
{
	nb->rx_state = UBR_NBD_RX_HDR;
	nb->need = UBR_NBD_SIMPLE_REPLY_LEN;
}

/* The end of a simple reply's data or of a chunk. */
static void reply_part_done(struct ubr_nbd *nb)
{
	struct ubr_nbd_slot *s = &nb->slots[nb->cur];
	bool last = nb->reply.kind == UBR_NBD_REPLY_SIMPLE ||
		    (nb->reply.flags & UBR_NBD_REPLY_FLAG_DONE);

	next_header(nb);
	ubr_nbd_reconnect_proven(nb);
	if (!last)
		return;
	/* A successful read must have had every byte of its range answered. */
	if (nb->reply.kind == UBR_NBD_REPLY_CHUNK &&
	    s->req.type == UBR_NBD_CMD_READ && !s->result &&
	    s->covered != s->req.length) {
		ubr_err("dev %u: nbd: a read of %u bytes at %llu was answered with %u bytes",
			nb->dev->id, s->req.length,
			(unsigned long long)s->req.offset, s->covered);
		s->result = -EIO;
	}
	answer(nb, nb->cur, 0);
}

/* The slot a reply's cookie names, or UINT32_MAX: unknown or stale. */
static uint32_t cookie_slot(struct ubr_nbd *nb, uint64_t cookie)
{
	struct ubr_nbd_cookie c = ubr_nbd_cookie_split(cookie);
	uint32_t i;

	if (c.queue >= nb->dev->opts.nr_queues || c.tag >= nb->depth)
		return UINT32_MAX;
	i = slot_idx(nb, c.queue, c.tag);
	if (!nb->slots[i].awaiting || nb->slots[i].replied ||
	    nb->slots[i].req.cookie != cookie)
		return UINT32_MAX;
	return i;
}

/* A reply or chunk header at rx_off: 0, 1 (more bytes needed), -EPROTO. */
static int parse_header(struct ubr_nbd *nb, char *err, size_t errlen)
{
	uint32_t avail = nb->rx_len - nb->rx_off;
	struct ubr_nbd_reply *r = &nb->reply;
	struct ubr_nbd_slot *s;
	int ret;

	ret = ubr_nbd_reply_decode(nb->rx + nb->rx_off, avail,
				   nb->info.structured, r, err, errlen);
	if (ret == -EAGAIN) {
		nb->need = r->hdr_len;
		return 1;
	}
	if (ret < 0)
		return ret;
	nb->rx_off += (uint32_t)ret;
	nb->cur = cookie_slot(nb, r->cookie);
	if (nb->cur == UINT32_MAX) {
		snprintf(err, errlen, "a reply with an unknown cookie %#llx",
			 (unsigned long long)r->cookie);
		return -EPROTO;
	}
	s = &nb->slots[nb->cur];
	if (r->kind == UBR_NBD_REPLY_SIMPLE) {
		ret = ubr_nbd_simple_check(r, &s->req, nb->info.structured,
					   err, errlen);
		if (ret < 0)
			return ret;
		if (r->error) {
			s->result = ubr_nbd_errno(r->error);
		} else if (s->req.type == UBR_NBD_CMD_READ) {
			nb->rx_state = UBR_NBD_RX_DATA;
			nb->dst = slot_buf(nb, nb->cur);
			nb->left = s->req.length;
			return 0;
		}
		reply_part_done(nb);
		return 0;
	}
	ret = ubr_nbd_chunk_check(r, &s->req, err, errlen);
	if (ret < 0)
		return ret;
	nb->rx_state = UBR_NBD_RX_PREFIX;
	nb->need = ubr_nbd_chunk_prefix_len(r);
	return 0;
}

/* A chunk's prefix at rx_off (need bytes of it are there). */
static int parse_prefix(struct ubr_nbd *nb, char *err, size_t errlen)
{
	struct ubr_nbd_slot *s = &nb->slots[nb->cur];
	struct ubr_nbd_reply *r = &nb->reply;
	struct ubr_nbd_chunk c;
	uint8_t *buf = slot_buf(nb, nb->cur);
	int ret;

	ret = ubr_nbd_chunk_parse(r, &s->req, nb->rx + nb->rx_off, nb->need,
				  &c, err, errlen);
	if (ret < 0)
		return ret;
	nb->rx_off += nb->need;
	if (r->type & UBR_NBD_REPLY_TYPE_IS_ERR) {
		if (!s->result)
			s->result = ubr_nbd_errno(c.error);
	} else if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_HOLE) {
		memset(buf + (c.offset - s->req.offset), 0, c.length);
		s->covered += c.length;
	} else if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA) {
		s->covered += c.length;
		nb->rx_state = UBR_NBD_RX_DATA;
		nb->dst = buf + (c.offset - s->req.offset);
		nb->left = c.length;
		return 0;
	}
	reply_part_done(nb);
	return 0;
}

/* Everything the buffer holds, as far as it goes. */
static void parse(struct ubr_nbd *nb)
{
	char err[160];
	uint32_t avail, n;
	int ret = 0;

	while (nb->conn == UBR_NBD_UP && ret >= 0) {
		avail = nb->rx_len - nb->rx_off;
		if (nb->rx_state == UBR_NBD_RX_DATA) {
			if (!avail)
				return;
			n = avail < nb->left ? avail : nb->left;
			memcpy(nb->dst, nb->rx + nb->rx_off, n);
			nb->rx_off += n;
			nb->dst += n;
			nb->left -= n;
			if (!nb->left)
				reply_part_done(nb);
			continue;
		}
		if (avail < nb->need)
			return;
		if (nb->rx_state == UBR_NBD_RX_HDR) {
			ret = parse_header(nb, err, sizeof(err));
			if (ret == 1)
				ret = avail < nb->need ? 2 : 0;
			if (ret == 2)
				return;
		} else {
			ret = parse_prefix(nb, err, sizeof(err));
		}
	}
	if (ret < 0)
		ubr_nbd_conn_lost(nb, err);
}

static void recv_done(struct ubr_nbd *nb, int res)
{
	char why[64];

	nb->recv_busy = false;
	if (nb->recv_stale) {
		nb->recv_stale = false;
		close_old(nb);
		return; /* io_done kicks the next recv */
	}
	if (res <= 0) {
		snprintf(why, sizeof(why), "%s",
			 res ? strerror(-res) : "the server closed the connection");
		ubr_nbd_conn_lost(nb, why);
		return;
	}
	if (nb->recv_direct) {
		nb->dst += res;
		nb->left -= (uint32_t)res;
		if (!nb->left)
			reply_part_done(nb);
	} else {
		nb->rx_len += (uint32_t)res;
	}
	parse(nb);
}

/* --- the ops -------------------------------------------------------------- */

/* The NBD command for a ublk request, or a result to give at once. */
static int to_nbd(const struct ubr_nbd *nb, const struct ublksrv_io_desc *iod,
		  struct ubr_nbd_req *req)
{
	uint16_t fl = nb->info.flags;

	req->offset = iod->start_sector << 9;
	req->length = iod->nr_sectors << 9;
	req->flags = 0;
	switch (iod->op_flags & 0xff) {
	case UBLK_IO_OP_READ:
		req->type = UBR_NBD_CMD_READ;
		break;
	case UBLK_IO_OP_WRITE:
		req->type = UBR_NBD_CMD_WRITE;
		if ((iod->op_flags & UBLK_IO_F_FUA) &&
		    (fl & UBR_NBD_FLAG_SEND_FUA))
			req->flags |= UBR_NBD_CMD_FLAG_FUA;
		break;
	case UBLK_IO_OP_FLUSH:
		if (!(fl & UBR_NBD_FLAG_SEND_FLUSH))
			return 0; /* no cache to flush, as the server says */
		req->type = UBR_NBD_CMD_FLUSH;
		req->offset = 0;
		req->length = 0;
		break;
	case UBLK_IO_OP_DISCARD:
		if (!(fl & UBR_NBD_FLAG_SEND_TRIM))
			return -EOPNOTSUPP;
		req->type = UBR_NBD_CMD_TRIM;
		break;
	case UBLK_IO_OP_WRITE_ZEROES:
		if (!(fl & UBR_NBD_FLAG_SEND_WRITE_ZEROES))
			return -EOPNOTSUPP;
		req->type = UBR_NBD_CMD_WRITE_ZEROES;
		if (iod->op_flags & UBLK_IO_F_NOUNMAP)
			req->flags |= UBR_NBD_CMD_FLAG_NO_HOLE;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 1;
}

void ubr_nbd_queue_io(struct ubr_queue *q, unsigned tag,
		      const struct ublksrv_io_desc *iod)
{
	struct ubr_nbd *nb = nbd_of(q);
	uint32_t i = slot_idx(nb, q->id, tag);
	struct ubr_nbd_slot *s = &nb->slots[i];
	int ret;

	if (nb->conn == UBR_NBD_FAILED) {
		ubr_io_complete(q, tag, -EIO);
		return;
	}
	ret = to_nbd(nb, iod, &s->req);
	if (ret <= 0) {
		ubr_io_complete(q, tag, ret);
		return;
	}
	s->req.cookie = ubr_nbd_cookie_make(q->id, (uint16_t)tag, ++nb->seq);
	if (ubr_nbd_req_encode(&s->req, s->hdr) < 0) {
		ubr_io_complete(q, tag, -EIO);
		return;
	}
	s->awaiting = true;
	s->replied = false;
	s->result = 0;
	s->covered = 0;
	s->lost_at = 0;
	s->next = 0;
	nb->awaiting++;
	if (nb->conn != UBR_NBD_UP)
		return; /* held: sent once reconnected */
	if (nb->sq_tail)
		nb->slots[nb->sq_tail - 1].next = i + 1;
	else
		nb->sq_head = i + 1;
	nb->sq_tail = i + 1;
	kick_send(nb);
	kick_recv(nb, i);
}

void ubr_nbd_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		     const struct io_uring_cqe *cqe)
{
	struct ubr_nbd *nb = nbd_of(q);
	uint32_t i = slot_idx(nb, q->id, tag);

	if (tgt_data == TD_SEND)
		send_done(nb, cqe->res);
	else
		recv_done(nb, cqe->res);
	kick_recv(nb, nb->cur);
	try_finish(nb, i);
}
