/* SPDX-License-Identifier: MIT */
/*
 * nbd requests on the shared ring. A device has 1 to 16 connections;
 * queue q's requests go on connection q % n (nbd_conns.h), so what
 * follows is per connection: its send queue, its receive state, its loss
 * and reconnect, touched by its own queues' requests only. The cookie
 * names queue and tag (nbd_wire.h); a reply naming a request of another
 * connection is refused as an unknown cookie.
 *
 * Send: requests wait in a FIFO; one sendmsg at a time takes up to
 * UBR_NBD_SEND_BATCH of them (header, and a write's data straight from
 * the request's buffer), so their bytes never interleave on the stream.
 * In zero copy a write's data can only be sent from its registered pages
 * by an SQE of its own: one chain of linked SQEs at a time, sendmsgs of
 * headers, each write's header followed by its data.
 * Receive: one recv at a time while any request awaits its reply, into
 * a buffer parsed by nbd_wire's checks; a read's data that is due next
 * and not yet buffered is received straight into the request's buffer
 * (its registered pages in zero copy), and data that came into the
 * buffer is copied into the request (ubr_tgt_fill).
 *
 * Every SQE must carry some request's tag (ubr_tgt_sqe), and a request is
 * completed only when no SQE carries its tag any more: a sendmsg carries
 * the first request of its batch, a write's data SQE the write, a recv
 * into a request that request, any other recv some request still
 * awaiting its reply. A request answered while an SQE still carries its
 * tag is marked replied and completed by that SQE's completion.
 *
 * A connection that fails (closed, a send or receive error, or a reply
 * that breaks the protocol) is shut down and nbd_reconnect.c makes a new
 * one, off the ring, while the other connections serve on: meanwhile the requests without a reply, and new ones,
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd.h"
#include "nbd_retry.h"
#include "ubr_log.h"

/* Target data: the kind in the low 2 bits, a send's place in its chain above. */
enum { TD_SEND = 1, TD_RECV = 2, TD_KIND = 3, TD_CHAIN_SHIFT = 2 };

static struct ubr_nbd *nbd_of(struct ubr_queue *q)
{
	return q->dev->tgt;
}

/* The connection that carries queue q's requests. */
static struct ubr_nbd_conn *conn_of(struct ubr_queue *q)
{
	struct ubr_nbd *nb = nbd_of(q);

	return nb->conns[ubr_nbd_conn_of_queue(q->id, nb->nr_conns)];
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

/* Zero copy: data moves between the socket and the requests' own pages. */
static bool zero_copy(const struct ubr_nbd *nb)
{
	return ubr_copy_mode_zero(nb->dev->copy_mode);
}

static bool big_read(const struct ubr_nbd *nb, const struct ubr_nbd_req *r)
{
	return zero_copy(nb) && r->type == UBR_NBD_CMD_READ &&
	       r->length >= UBR_NBD_BIG_READ;
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
static void answer(struct ubr_nbd_conn *c, uint32_t i, int err)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_nbd_slot *s = &nb->slots[i];
	bool rw = s->req.type == UBR_NBD_CMD_READ ||
		  s->req.type == UBR_NBD_CMD_WRITE;

	if (err < 0 && !s->result)
		s->result = err;
	if (!s->result)
		s->result = rw ? (int32_t)s->req.length : 0;
	s->replied = true;
	c->awaiting--;
	c->big_reads -= big_read(nb, &s->req);
	try_finish(nb, i);
}

/*
 * The connection's slots (its queues' tags), in order: the first one
 * (i == UINT32_MAX), or the one after i; UINT32_MAX past the last.
 */
static uint32_t conn_next(const struct ubr_nbd_conn *c, uint32_t i)
{
	const struct ubr_nbd *nb = c->nb;
	uint32_t q;

	if (i != UINT32_MAX && (i + 1) % nb->depth)
		return i + 1;
	q = i == UINT32_MAX ? c->idx : i / nb->depth + nb->nr_conns;
	return q < nb->dev->opts.nr_queues ? q * nb->depth : UINT32_MAX;
}

/* Is slot i one of the connection's? */
static bool owns(const struct ubr_nbd_conn *c, uint32_t i)
{
	return ubr_nbd_conn_of_queue(i / c->nb->depth, c->nb->nr_conns) ==
	       c->idx;
}

static uint32_t conn_first(const struct ubr_nbd_conn *c)
{
	return conn_next(c, UINT32_MAX);
}

static bool held(const struct ubr_nbd *nb, uint32_t i)
{
	return nb->slots[i].awaiting && !nb->slots[i].replied;
}

/* The lost socket, once no SQE is on it any more. */
static void close_old(struct ubr_nbd_conn *c)
{
	if (c->old_fd >= 0 && !c->send_stale && !c->recv_stale) {
		close(c->old_fd);
		c->old_fd = -1;
	}
}

void ubr_nbd_fail_held(struct ubr_nbd_conn *c)
{
	struct ubr_nbd *nb = c->nb;
	uint32_t i;

	for (i = conn_first(c); i != UINT32_MAX; i = conn_next(c, i))
		if (held(nb, i))
			answer(c, i, -EIO);
}

/*
 * One connection lost: the others without a recv in flight (idle) would
 * see a server that went away only at their next request. Look at them
 * now, without blocking: one that reads EOF or an error is lost too, and
 * reconnects with the rest. (Only on a loss: no cost in the steady state.)
 */
static void probe_idle(struct ubr_nbd *nb)
{
	struct ubr_nbd_conn *o;
	char byte;
	ssize_t n;
	unsigned k;

	for (k = 0; k < nb->nr_conns; k++) {
		o = nb->conns[k];
		if (o->state != UBR_NBD_UP || o->recv_busy || o->fd < 0)
			continue;
		n = recv(o->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			ubr_nbd_conn_lost(o, "the server closed the connection");
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			ubr_nbd_conn_lost(o, strerror(errno));
	}
}

void ubr_nbd_conn_lost(struct ubr_nbd_conn *c, const char *why)
{
	struct ubr_nbd *nb = c->nb;
	uint32_t i, failed = 0, kept = 0;
	uint64_t now = ubr_nbd_now_ms();

	if (c->state != UBR_NBD_UP)
		return;
	c->state = UBR_NBD_DOWN;
	shutdown(c->fd, SHUT_RDWR);
	c->old_fd = c->fd;
	c->fd = -1;
	c->send_stale = c->sends > 0;
	c->recv_stale = c->recv_busy;
	close_old(c);
	c->sq_head = c->sq_tail = 0;
	c->rx_off = c->rx_len = 0;
	c->rx_state = UBR_NBD_RX_HDR;
	c->need = UBR_NBD_SIMPLE_REPLY_LEN;
	for (i = conn_first(c); i != UINT32_MAX; i = conn_next(c, i)) {
		if (!held(nb, i))
			continue;
		if (ubr_nbd_loss_gives_up(&nb->slots[i].lost_at, now,
					  c->rc.timeout_ms)) {
			answer(c, i, -EIO);
			failed++;
		} else {
			kept++;
		}
	}
	ubr_err("dev %u: nbd: connection %u: %s: lost; %u request(s) held, %u failed (lost before, over --reconnect-timeout); reconnecting",
		nb->dev->id, c->idx + 1, why, kept, failed);
	ubr_nbd_reconnect_start(c);
	ubr_nbd_desc(nb);
	probe_idle(nb);
}

static void kick_send(struct ubr_nbd_conn *c);
static void kick_recv(struct ubr_nbd_conn *c, uint32_t hint);

void ubr_nbd_conn_up(struct ubr_nbd_conn *c, int fd,
		     const struct ubr_nbd_export_info *info)
{
	struct ubr_nbd *nb = c->nb;
	uint32_t i, resent = 0;
	struct ubr_nbd_slot *s;

	c->fd = fd;
	c->info = *info;
	c->state = UBR_NBD_UP;
	for (i = conn_first(c); i != UINT32_MAX; i = conn_next(c, i)) {
		if (!held(nb, i))
			continue;
		s = &nb->slots[i];
		s->req.cookie = ubr_nbd_cookie_make(
			(uint16_t)(i / nb->depth), (uint16_t)(i % nb->depth),
			++c->seq);
		/* It was encoded once: only the cookie differs. */
		(void)ubr_nbd_req_encode(&s->req, s->hdr);
		s->result = 0;
		s->covered = 0;
		s->next = 0;
		if (c->sq_tail)
			nb->slots[c->sq_tail - 1].next = i + 1;
		else
			c->sq_head = i + 1;
		c->sq_tail = i + 1;
		resent++;
	}
	ubr_info("dev %u: nbd: connection %u: reconnected; %u request(s) resent",
		 nb->dev->id, c->idx + 1, resent);
	ubr_nbd_desc(nb);
	kick_send(c);
	kick_recv(c, UINT32_MAX);
}

/* --- send ----------------------------------------------------------------- */

/*
 * Add sqe to the chain being built: the one before links to it, and tells
 * TCP that more follows (MSG_MORE), so that a header and its data go out
 * in one segment, not two.
 */
static void chain_link(struct io_uring_sqe **last, struct io_uring_sqe *sqe)
{
	if (*last) {
		(*last)->flags |= IOSQE_IO_LINK;
		(*last)->msg_flags |= MSG_MORE;
	}
	*last = sqe;
}

/*
 * A sendmsg of iov[from..iov_nr), carried by slot owner's tag. In zero
 * copy it is one link of a chain: MSG_WAITALL makes io_uring send it all
 * or fail (which cancels the rest of the chain), so no other bytes can
 * come between.
 */
static struct io_uring_sqe *send_msg(struct ubr_nbd_conn *c, uint32_t owner,
				     unsigned from)
{
	struct ubr_nbd *nb = c->nb;
	unsigned k = c->sends, j;
	struct io_uring_sqe *sqe;

	c->msg[k] = (struct msghdr){
		.msg_iov = c->iov + from,
		.msg_iovlen = c->iov_nr - from,
	};
	c->chain_len[k] = 0;
	for (j = from; j < c->iov_nr; j++)
		c->chain_len[k] += (uint32_t)c->iov[j].iov_len;
	sqe = ubr_tgt_sqe(slot_queue(nb, owner), slot_tag(nb, owner),
			  TD_SEND | k << TD_CHAIN_SHIFT);
	io_uring_prep_sendmsg(sqe, c->fd, &c->msg[k],
			      MSG_NOSIGNAL | (zero_copy(nb) ? MSG_WAITALL : 0));
	c->send_owner = owner;
	c->sends++;
	return sqe;
}

/* Zero copy: write slot i's data from its request's registered buffer. */
static struct io_uring_sqe *send_data(struct ubr_nbd_conn *c, uint32_t i)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_queue *q = slot_queue(nb, i);
	unsigned tag = slot_tag(nb, i), k = c->sends;
	struct io_uring_sqe *sqe;

	sqe = ubr_tgt_sqe(q, tag, TD_SEND | k << TD_CHAIN_SHIFT);
	/* A registered buffer's address is the offset in the request. */
	io_uring_prep_send(sqe, c->fd, NULL, nb->slots[i].req.length,
			   MSG_NOSIGNAL | MSG_WAITALL);
	sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
	sqe->buf_index = (uint16_t)ubr_tgt_buf_index(q, tag);
	c->chain_len[k] = nb->slots[i].req.length;
	c->sends++;
	return sqe;
}

/*
 * Send what the queue holds: one sendmsg of up to UBR_NBD_SEND_BATCH
 * requests, a write's data straight from its buffer; in zero copy a chain,
 * a sendmsg of the headers up to a write's, then its data, and so on.
 */
static void kick_send(struct ubr_nbd_conn *c)
{
	struct ubr_nbd *nb = c->nb;
	struct io_uring_sqe *last = NULL;
	uint32_t i, owner = UINT32_MAX;
	bool zc = zero_copy(nb);
	unsigned from = 0, room = UBR_NBD_CHAIN;

	if (c->sends || c->state != UBR_NBD_UP || !c->sq_head)
		return;
	/* Room for a header's sendmsg, a write's data and a last sendmsg. */
	if (zc)
		room = ubr_tgt_reserve(slot_queue(nb, c->sq_head - 1), 3);
	if (room > UBR_NBD_CHAIN)
		room = UBR_NBD_CHAIN;
	c->iov_nr = 0;
	while (c->sq_head && c->iov_nr + 2 <= 2 * UBR_NBD_SEND_BATCH &&
	       c->sends + 3 <= room) {
		i = c->sq_head - 1;
		c->sq_head = nb->slots[i].next;
		if (owner == UINT32_MAX)
			owner = i;
		c->iov[c->iov_nr++] = (struct iovec){
			.iov_base = nb->slots[i].hdr,
			.iov_len = UBR_NBD_REQUEST_LEN,
		};
		if (nb->slots[i].req.type != UBR_NBD_CMD_WRITE)
			continue;
		if (!zc) {
			c->iov[c->iov_nr++] = (struct iovec){
				.iov_base = slot_buf(nb, i),
				.iov_len = nb->slots[i].req.length,
			};
			continue;
		}
		chain_link(&last, send_msg(c, owner, from));
		chain_link(&last, send_data(c, i));
		from = c->iov_nr;
		owner = UINT32_MAX;
	}
	if (from < c->iov_nr)
		chain_link(&last, send_msg(c, owner, from));
	if (!c->sq_head)
		c->sq_tail = 0;
}

/* A short send (not in zero copy): go on from where it stopped. */
static bool send_rest(struct ubr_nbd_conn *c, size_t done)
{
	unsigned k = 0;

	while (k < c->iov_nr && done >= c->iov[k].iov_len)
		done -= c->iov[k++].iov_len;
	if (k == c->iov_nr)
		return false;
	memmove(c->iov, c->iov + k, (c->iov_nr - k) * sizeof(c->iov[0]));
	c->iov_nr -= k;
	c->iov[0].iov_base = (uint8_t *)c->iov[0].iov_base + done;
	c->iov[0].iov_len -= done;
	(void)send_msg(c, c->send_owner, 0);
	return true;
}

/* Send SQE k of the chain (0 outside zero copy) completed with res. */
static void send_done(struct ubr_nbd_conn *c, unsigned k, int res)
{
	char why[64];

	c->sends--;
	if (c->send_stale) {
		if (c->sends)
			return;
		c->send_stale = false;
		close_old(c);
		kick_send(c);
		return;
	}
	if (res < 0) {
		snprintf(why, sizeof(why), "send: %s", strerror(-res));
		ubr_nbd_conn_lost(c, why);
		return;
	}
	if (zero_copy(c->nb)) {
		/* WAITALL: short only when the link failed, which never comes. */
		if (k >= UBR_NBD_CHAIN || (uint32_t)res != c->chain_len[k])
			ubr_nbd_conn_lost(c, "send: short");
		else if (!c->sends)
			kick_send(c);
		return;
	}
	if (!send_rest(c, (size_t)res))
		kick_send(c);
}

/* --- receive -------------------------------------------------------------- */

/* An SQE needs a tag: that of a request still waiting for its reply. */
static uint32_t recv_owner(struct ubr_nbd_conn *c)
{
	struct ubr_nbd *nb = c->nb;
	uint32_t i;

	for (i = conn_first(c); i != UINT32_MAX; i = conn_next(c, i))
		if (held(nb, i))
			return i;
	return UINT32_MAX;
}

/*
 * The data of the reply c->cur, none of it received yet: straight into
 * the request (its registered pages in zero copy), under its own tag, so
 * that the request cannot complete while the recv is out.
 */
static void recv_into(struct ubr_nbd_conn *c)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_queue *q = slot_queue(nb, c->cur);
	unsigned tag = slot_tag(nb, c->cur);
	int bi = ubr_tgt_buf_index(q, tag);
	struct io_uring_sqe *sqe;

	sqe = ubr_tgt_sqe(q, tag, TD_RECV);
	if (bi < 0) {
		io_uring_prep_recv(sqe, c->fd, slot_buf(nb, c->cur) + c->dst_off,
				   c->left, 0);
	} else {
		/* A registered buffer's address is the offset in the request. */
		io_uring_prep_recv(sqe, c->fd, (void *)(uintptr_t)c->dst_off,
				   c->left, 0);
		sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
		sqe->buf_index = (uint16_t)bi;
	}
	c->recv_busy = true;
}

static void kick_recv(struct ubr_nbd_conn *c, uint32_t hint)
{
	struct ubr_nbd *nb = c->nb;
	struct io_uring_sqe *sqe;
	uint32_t owner = hint, want;
	void *buf;
	size_t len;

	if (c->recv_busy || c->state != UBR_NBD_UP || !c->awaiting)
		return;
	c->recv_direct = c->rx_state == UBR_NBD_RX_DATA &&
			  c->rx_off == c->rx_len;
	if (c->recv_direct) {
		recv_into(c);
		return;
	}
	/* The SQE's tag names the connection its completion goes to. */
	if (owner == UINT32_MAX || !owns(c, owner) || !held(nb, owner))
		owner = recv_owner(c);
	if (owner == UINT32_MAX)
		return;
	if (c->rx_off) {
		memmove(c->rx, c->rx + c->rx_off, c->rx_len - c->rx_off);
		c->rx_len -= c->rx_off;
		c->rx_off = 0;
	}
	buf = c->rx + c->rx_len;
	len = UBR_NBD_RX_BUF - c->rx_len;
	/*
	 * Only up to where a read's data may start (a simple reply's header;
	 * a chunk's header and its offset), or what the parser needs if
	 * more: what comes after goes straight into the request.
	 */
	if (c->big_reads && c->rx_state != UBR_NBD_RX_DATA) {
		want = c->info.structured ? UBR_NBD_CHUNK_HDR_LEN + 8 :
					    UBR_NBD_SIMPLE_REPLY_LEN;
		if (want < c->need)
			want = c->need;
		if (want > c->rx_len)
			len = want - c->rx_len;
	}
	sqe = ubr_tgt_sqe(slot_queue(nb, owner), slot_tag(nb, owner), TD_RECV);
	io_uring_prep_recv(sqe, c->fd, buf, len, 0);
	c->recv_busy = true;
}

static void next_header(struct ubr_nbd_conn *c)
{
	c->rx_state = UBR_NBD_RX_HDR;
	c->need = UBR_NBD_SIMPLE_REPLY_LEN;
}

/* The end of a simple reply's data or of a chunk. */
static void reply_part_done(struct ubr_nbd_conn *c)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_nbd_slot *s = &nb->slots[c->cur];
	bool last = c->reply.kind == UBR_NBD_REPLY_SIMPLE ||
		    (c->reply.flags & UBR_NBD_REPLY_FLAG_DONE);

	next_header(c);
	ubr_nbd_reconnect_proven(c);
	if (!last)
		return;
	/* A successful read must have had every byte of its range answered. */
	if (c->reply.kind == UBR_NBD_REPLY_CHUNK &&
	    s->req.type == UBR_NBD_CMD_READ && !s->result &&
	    s->covered != s->req.length) {
		ubr_err("dev %u: nbd: a read of %u bytes at %llu was answered with %u bytes",
			nb->dev->id, s->req.length,
			(unsigned long long)s->req.offset, s->covered);
		s->result = -EIO;
	}
	answer(c, c->cur, 0);
}

/* The slot a reply's cookie names, or UINT32_MAX: unknown or stale. */
static uint32_t cookie_slot(struct ubr_nbd_conn *c, uint64_t cookie)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_nbd_cookie ck = ubr_nbd_cookie_split(cookie);
	uint32_t i;

	/* A request of another connection is not this one's to answer. */
	if (ck.queue >= nb->dev->opts.nr_queues || ck.tag >= nb->depth ||
	    ubr_nbd_conn_of_queue(ck.queue, nb->nr_conns) != c->idx)
		return UINT32_MAX;
	i = slot_idx(nb, ck.queue, ck.tag);
	if (!nb->slots[i].awaiting || nb->slots[i].replied ||
	    nb->slots[i].req.cookie != cookie)
		return UINT32_MAX;
	return i;
}

/* A reply or chunk header at rx_off: 0, 1 (more bytes needed), -EPROTO. */
static int parse_header(struct ubr_nbd_conn *c, char *err, size_t errlen)
{
	struct ubr_nbd *nb = c->nb;
	uint32_t avail = c->rx_len - c->rx_off;
	struct ubr_nbd_reply *r = &c->reply;
	struct ubr_nbd_slot *s;
	int ret;

	ret = ubr_nbd_reply_decode(c->rx + c->rx_off, avail,
				   c->info.structured, r, err, errlen);
	if (ret == -EAGAIN) {
		c->need = r->hdr_len;
		return 1;
	}
	if (ret < 0)
		return ret;
	c->rx_off += (uint32_t)ret;
	c->cur = cookie_slot(c, r->cookie);
	if (c->cur == UINT32_MAX) {
		snprintf(err, errlen, "a reply with an unknown cookie %#llx",
			 (unsigned long long)r->cookie);
		return -EPROTO;
	}
	s = &nb->slots[c->cur];
	if (r->kind == UBR_NBD_REPLY_SIMPLE) {
		ret = ubr_nbd_simple_check(r, &s->req, c->info.structured,
					   err, errlen);
		if (ret < 0)
			return ret;
		if (r->error) {
			s->result = ubr_nbd_errno(r->error);
		} else if (s->req.type == UBR_NBD_CMD_READ) {
			c->rx_state = UBR_NBD_RX_DATA;
			c->dst_off = 0;
			c->left = s->req.length;
			return 0;
		}
		reply_part_done(c);
		return 0;
	}
	ret = ubr_nbd_chunk_check(r, &s->req, err, errlen);
	if (ret < 0)
		return ret;
	c->rx_state = UBR_NBD_RX_PREFIX;
	c->need = ubr_nbd_chunk_prefix_len(r);
	return 0;
}

/*
 * Put bytes of the reply c->cur (NULL: zeros) into its request; a failure
 * fails that request only (the stream goes on).
 */
static void fill(struct ubr_nbd_conn *c, uint32_t off, const void *src,
		 uint32_t len)
{
	/* Zeros to copy from, mapped once (the zero page: no memory). */
	static const uint8_t *zeros;
	struct ubr_nbd *nb = c->nb;
	struct ubr_nbd_slot *s = &nb->slots[c->cur];
	uint32_t n = len;
	void *map;
	int ret = 0;

	if (!src && !zeros) {
		map = mmap(NULL, UBR_NBD_ZEROS, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			ret = -errno;
		else
			zeros = map;
	}
	while (!ret && len) {
		n = src || len < UBR_NBD_ZEROS ? len : UBR_NBD_ZEROS;
		ret = ubr_tgt_fill(slot_queue(nb, c->cur), slot_tag(nb, c->cur),
				   off, src ? src : zeros, n);
		off += n;
		len -= n;
	}
	if (ret < 0 && !s->result) {
		ubr_err("dev %u: nbd: a read's data into its request: %s",
			nb->dev->id, strerror(-ret));
		s->result = ret;
	}
}

/* A chunk's prefix at rx_off (need bytes of it are there). */
static int parse_prefix(struct ubr_nbd_conn *c, char *err, size_t errlen)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_nbd_slot *s = &nb->slots[c->cur];
	struct ubr_nbd_reply *r = &c->reply;
	struct ubr_nbd_chunk ch;
	int ret;

	ret = ubr_nbd_chunk_parse(r, &s->req, c->rx + c->rx_off, c->need,
				  &ch, err, errlen);
	if (ret < 0)
		return ret;
	c->rx_off += c->need;
	if (r->type & UBR_NBD_REPLY_TYPE_IS_ERR) {
		if (!s->result)
			s->result = ubr_nbd_errno(ch.error);
	} else if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_HOLE) {
		fill(c, (uint32_t)(ch.offset - s->req.offset), NULL, ch.length);
		s->covered += ch.length;
	} else if (r->type == UBR_NBD_REPLY_TYPE_OFFSET_DATA) {
		s->covered += ch.length;
		c->rx_state = UBR_NBD_RX_DATA;
		c->dst_off = (uint32_t)(ch.offset - s->req.offset);
		c->left = ch.length;
		return 0;
	}
	reply_part_done(c);
	return 0;
}

/* Everything the buffer holds, as far as it goes. */
static void parse(struct ubr_nbd_conn *c)
{
	char err[160];
	uint32_t avail, n;
	int ret = 0;

	while (c->state == UBR_NBD_UP && ret >= 0) {
		avail = c->rx_len - c->rx_off;
		if (c->rx_state == UBR_NBD_RX_DATA) {
			if (!avail)
				return;
			n = avail < c->left ? avail : c->left;
			fill(c, c->dst_off, c->rx + c->rx_off, n);
			c->rx_off += n;
			c->dst_off += n;
			c->left -= n;
			if (!c->left)
				reply_part_done(c);
			continue;
		}
		if (avail < c->need)
			return;
		if (c->rx_state == UBR_NBD_RX_HDR) {
			ret = parse_header(c, err, sizeof(err));
			if (ret == 1)
				ret = avail < c->need ? 2 : 0;
			if (ret == 2)
				return;
		} else {
			ret = parse_prefix(c, err, sizeof(err));
		}
	}
	if (ret < 0)
		ubr_nbd_conn_lost(c, err);
}

static void recv_done(struct ubr_nbd_conn *c, int res)
{
	char why[64];

	c->recv_busy = false;
	if (c->recv_stale) {
		c->recv_stale = false;
		close_old(c);
		return; /* io_done kicks the next recv */
	}
	if (res <= 0) {
		snprintf(why, sizeof(why), "%s",
			 res ? strerror(-res) : "the server closed the connection");
		ubr_nbd_conn_lost(c, why);
		return;
	}
	if (c->recv_direct) {
		c->dst_off += (uint32_t)res;
		c->left -= (uint32_t)res;
		if (!c->left)
			reply_part_done(c);
	} else {
		c->rx_len += (uint32_t)res;
	}
	parse(c);
}

/* --- the ops -------------------------------------------------------------- */

/* The NBD command for a ublk request, or a result to give at once. */
static int to_nbd(const struct ubr_nbd_conn *c, const struct ublksrv_io_desc *iod,
		  struct ubr_nbd_req *req)
{
	uint16_t fl = c->info.flags;

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
	struct ubr_nbd_conn *c = conn_of(q);
	uint32_t i = slot_idx(nb, q->id, tag);
	struct ubr_nbd_slot *s = &nb->slots[i];
	int ret;

	if (c->state == UBR_NBD_FAILED) {
		ubr_io_complete(q, tag, -EIO);
		return;
	}
	ret = to_nbd(c, iod, &s->req);
	if (ret <= 0) {
		ubr_io_complete(q, tag, ret);
		return;
	}
	s->req.cookie = ubr_nbd_cookie_make(q->id, (uint16_t)tag, ++c->seq);
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
	c->awaiting++;
	c->big_reads += big_read(nb, &s->req);
	if (c->state != UBR_NBD_UP)
		return; /* held: sent once reconnected */
	if (c->sq_tail)
		nb->slots[c->sq_tail - 1].next = i + 1;
	else
		c->sq_head = i + 1;
	c->sq_tail = i + 1;
	kick_send(c);
	kick_recv(c, i);
}

void ubr_nbd_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		     const struct io_uring_cqe *cqe)
{
	struct ubr_nbd *nb = nbd_of(q);
	struct ubr_nbd_conn *c = conn_of(q);
	uint32_t i = slot_idx(nb, q->id, tag);

	if ((tgt_data & TD_KIND) == TD_SEND)
		send_done(c, tgt_data >> TD_CHAIN_SHIFT, cqe->res);
	else
		recv_done(c, cqe->res);
	kick_recv(c, c->cur);
	try_finish(nb, i);
}
