/* SPDX-License-Identifier: MIT */
/*
 * Reconnecting one of a device's NBD connections when lost, and making
 * connections 2..N at init (the same attempt, once, its failure failing
 * the add), without ever blocking the reactor: a non-blocking socket
 * watched by the loop (libev, whose epoll descriptor the ring polls),
 * connect() then the handshake's state machine (nbd_handshake.h) fed
 * from it, a timer for the backoff (nbd_retry.h) and one for each
 * attempt's deadline, another for --reconnect-timeout.
 * Nothing here touches the ring: the requests wait in nbd_io.c, held,
 * until ubr_nbd_conn_up() resends them.
 *
 * Who connects (a reconnect, or connection 2..N): the daemon itself, as
 * root, like it does for the config file and `recover` (only root may
 * add a device: the admin socket refuses
 * everyone else, so the caller whose rights made the first connection was
 * root too). TCP goes to the address the first connection reached (no
 * name lookup in the reactor: a resolver would block it); a unix socket
 * to the URI's path, which connect() reaches at once or refuses.
 *
 * The export must still fit the device (ubr_nbd_export_fits, which a
 * recovery's init asks too): at least its size, writable if the device
 * is, flush, FUA, trim and write-zeroes where the device offers them,
 * block sizes that fit the device's. A server that fails that, or the
 * handshake, is tried again after the backoff like one that refused the
 * connection.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbd.h"
#include "nbd_retry.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

/* How long one attempt may take, connect and handshake together. */
#define ATTEMPT_TIMEOUT_S 10.0

static struct ubr_dev *dev_of(struct ubr_nbd_conn *c)
{
	return c->nb->dev;
}

static struct ev_loop *loop_of(struct ubr_nbd_conn *c)
{
	return dev_of(c)->r->loop;
}

static void attempt_end(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	ev_io_stop(loop_of(c), &rc->io);
	if (rc->fd >= 0)
		close(rc->fd);
	rc->fd = -1;
	free(rc->hs);
	rc->hs = NULL;
}

/* Wait for the backoff, then try again. */
static void schedule(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	rc->backoff_ms = ubr_nbd_backoff_next(rc->backoff_ms);
	ubr_timer_stop(dev_of(c)->r, &rc->retry);
	ev_timer_set(&rc->retry, rc->backoff_ms / 1000.0, 0.);
	ubr_timer_start(dev_of(c)->r, &rc->retry);
}

/*
 * The first handshake, or a further connection's at init, failed: init
 * fails with why; the device may be freed. why may be the handshake's own
 * text, which attempt_end frees: copied first.
 */
static void init_failed(struct ubr_nbd_conn *c, int err, const char *why)
{
	bool first = c->rc.first;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", why);
	c->rc.first = false;
	c->rc.joining = false;
	attempt_end(c);
	ubr_timer_stop(dev_of(c)->r, &c->rc.retry);
	if (first)
		ubr_nbd_first_done(c, err, msg, NULL);
	else
		ubr_nbd_join_done(c, err, msg);
}

/*
 * This attempt failed (why: one line, err its errno): say so once per
 * loss, go on. At init (the first connection, or a further one) there is
 * no second try: the add fails.
 */
static void attempt_failed(struct ubr_nbd_conn *c, int err, const char *why)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	if (rc->first || rc->joining) {
		init_failed(c, err, why);
		return;
	}

	if (!rc->attempts++)
		ubr_warn("dev %u: nbd: connection %u: reconnect: %s; retrying every %u s at most",
			 dev_of(c)->id, c->idx + 1, why,
			 UBR_NBD_BACKOFF_MAX_MS / 1000);
	else
		ubr_dbg("dev %u: nbd: connection %u: reconnect attempt %u: %s",
			dev_of(c)->id, c->idx + 1, rc->attempts, why);
	attempt_end(c);
	schedule(c);
}

/* Does the device offer flush, FUA, trim or write-zeroes the export lacks? */
static bool ops_missing(const struct ublk_params *p, uint16_t flags)
{
	const struct ublk_param_discard *d = &p->discard;
	bool discard = p->types & UBLK_PARAM_TYPE_DISCARD;

	return ((p->basic.attrs & UBLK_ATTR_VOLATILE_CACHE) &&
		!(flags & UBR_NBD_FLAG_SEND_FLUSH)) ||
	       ((p->basic.attrs & UBLK_ATTR_FUA) &&
		!(flags & UBR_NBD_FLAG_SEND_FUA)) ||
	       (discard && d->max_discard_sectors &&
		!(flags & UBR_NBD_FLAG_SEND_TRIM)) ||
	       (discard && d->max_write_zeroes_sectors &&
		!(flags & UBR_NBD_FLAG_SEND_WRITE_ZEROES));
}

/*
 * Does the export a handshake found fit the device whose params are p? 0,
 * or -ESTALE with why (one line). What the device offers must reach the
 * server: a flush the server cannot take would be dropped, not done.
 */
int ubr_nbd_export_fits(const struct ublk_params *p,
			const struct ubr_nbd_export_info *in, char *why,
			size_t len)
{
	const struct ublk_param_basic *b = &p->basic;
	uint64_t size = (uint64_t)b->dev_sectors << 9;

	if (in->size < size)
		snprintf(why, len, "the export is now smaller than the device (%llu < %llu bytes)",
			 (unsigned long long)in->size, (unsigned long long)size);
	else if (!(b->attrs & UBLK_ATTR_READ_ONLY) &&
		 (in->flags & UBR_NBD_FLAG_READ_ONLY))
		snprintf(why, len, "the export is now read-only");
	else if (ops_missing(p, in->flags))
		snprintf(why, len, "the export no longer takes flush, FUA, trim or write-zeroes as the device does");
	else if (in->min_block > 1U << b->logical_bs_shift)
		snprintf(why, len, "the export's minimum block is now larger than the device's");
	else if (in->max_block < (uint32_t)b->max_sectors << 9)
		snprintf(why, len, "the export's maximum block is now smaller than the device's");
	else
		return 0;
	return -ESTALE;
}

static void handshake_done(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	struct ubr_nbd_export_info info = *ubr_nbd_hs_result(rc->hs);
	char why[128];
	int fd = rc->fd;

	if (!rc->first &&
	    ubr_nbd_export_fits(&dev_of(c)->params, &info, why, sizeof(why))) {
		attempt_failed(c, -ESTALE, why);
		return;
	}
	rc->fd = -1; /* the connection's now */
	attempt_end(c);
	ubr_timer_stop(dev_of(c)->r, &rc->retry);
	if (rc->first || rc->joining) {
		c->fd = fd;
		c->info = info;
		c->state = UBR_NBD_UP;
		if (rc->first) {
			rc->first = false;
			ubr_nbd_first_done(c, 0, NULL, &info);
		} else {
			rc->joining = false;
			ubr_nbd_join_done(c, 0, NULL);
		}
		return; /* the device may be freed */
	}
	ubr_timer_stop(dev_of(c)->r, &rc->expire);
	rc->attempts = 0;
	ubr_nbd_conn_up(c, fd, &info);
}

/* Watch the attempt's socket for what it waits for. */
static void watch(struct ubr_nbd_conn *c, int events)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	if (ev_is_active(&rc->io) && rc->io.events == events)
		return;
	ev_io_stop(loop_of(c), &rc->io);
	ev_io_set(&rc->io, rc->fd, events);
	ubr_io_start(dev_of(c)->r, &rc->io);
}

/*
 * Move the handshake on as far as the socket allows: 0 (waiting for the
 * socket, or finished), or -errno (the socket failed).
 */
static int handshake_step(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	uint8_t buf[4096];
	const uint8_t *out;
	size_t len;
	ssize_t n;

	for (;;) {
		switch (ubr_nbd_hs_status(rc->hs)) {
		case UBR_NBD_HS_DONE:
			handshake_done(c);
			return 0;
		case UBR_NBD_HS_FAILED:
			attempt_failed(c, -EPROTO, ubr_nbd_hs_error(rc->hs));
			return 0;
		case UBR_NBD_HS_SEND:
			out = ubr_nbd_hs_out(rc->hs, &len);
			n = send(rc->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				watch(c, EV_WRITE);
				return 0;
			}
			if (n < 0)
				return -errno;
			if (ubr_nbd_hs_sent(rc->hs, (size_t)n) < 0)
				return -EPROTO;
			break;
		case UBR_NBD_HS_RECV:
			len = ubr_nbd_hs_need(rc->hs);
			if (len > sizeof(buf))
				len = sizeof(buf);
			n = recv(rc->fd, buf, len, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				watch(c, EV_READ);
				return 0;
			}
			if (n < 0)
				return -errno;
			if (n == 0)
				(void)ubr_nbd_hs_closed(rc->hs);
			else if (ubr_nbd_hs_feed(rc->hs, buf, (size_t)n) < 0 &&
				 ubr_nbd_hs_status(rc->hs) == UBR_NBD_HS_RECV)
				return -EPROTO;
			break;
		}
	}
}

/* The socket failed under the handshake. */
static void step_failed(struct ubr_nbd_conn *c, int err)
{
	char why[96];

	if (c->rc.first) {
		init_failed(c, err, strerror(-err));
		return;
	}
	snprintf(why, sizeof(why), "handshake: %s", strerror(-err));
	attempt_failed(c, err, why);
}

static void handshake_start(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	int ret;

	rc->connecting = false;
	rc->hs = malloc(sizeof(*rc->hs));
	if (!rc->hs) {
		attempt_failed(c, -ENOMEM, "out of memory");
		return;
	}
	ret = ubr_nbd_hs_init(rc->hs, c->nb->uri.export_name);
	if (!ret)
		ret = handshake_step(c);
	if (ret < 0)
		step_failed(c, ret);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ubr_nbd_conn *c = container_of(w, struct ubr_nbd_conn, rc.io);
	struct ubr_nbd_reconnect *rc = &c->rc;
	socklen_t len = sizeof(int);
	char why[96];
	int err = 0, ret;

	(void)loop;
	(void)revents;
	if (rc->connecting) {
		if (getsockopt(rc->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			snprintf(why, sizeof(why), "cannot connect: %s",
				 strerror(err));
			attempt_failed(c, -err, why);
			return;
		}
		handshake_start(c);
		return;
	}
	ret = handshake_step(c);
	if (ret < 0)
		step_failed(c, ret);
}

/* A non-blocking socket to the server, connecting: 0 or -errno. */
static int attempt_start(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	const struct sockaddr *sa = (const struct sockaddr *)&rc->addr;
	socklen_t sa_len = rc->addr_len;
	int one = 1, s;

	if (c->nb->uri.transport == UBR_NBD_UNIX) {
		/* The URI parser bounds the path to sun_path. */
		memcpy(un.sun_path, c->nb->uri.socket,
		       strlen(c->nb->uri.socket) + 1);
		sa = (const struct sockaddr *)&un;
		sa_len = sizeof(un);
	} else if (!sa_len) {
		return -EDESTADDRREQ;
	}
	s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   0);
	if (s < 0)
		return -errno;
	if (sa->sa_family != AF_UNIX)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc->fd = s;
	/* Even when connected at once, the handshake starts from io_cb: a
	 * further connection's end may free the device, which must not
	 * happen under retry_cb. */
	if (connect(s, sa, sa_len) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN)
		return -errno;
	rc->connecting = true;
	watch(c, EV_WRITE);
	return 0;
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_nbd_conn *c = container_of(w, struct ubr_nbd_conn, rc.retry);
	struct ubr_nbd_reconnect *rc = &c->rc;
	char why[96];
	int ret;

	(void)loop;
	(void)revents;
	ubr_timer_stop(dev_of(c)->r, w);
	/* A delete waits for every request: give the held ones back. */
	if (ubr_dev_going_away(dev_of(c)))
		ubr_nbd_fail_held(c);
	if (rc->fd >= 0) { /* the attempt's deadline */
		/* A first handshake's reason reads "nbd handshake: ..." */
		attempt_failed(c, -ETIMEDOUT,
			       rc->connecting ? "the connection was not accepted in time" :
			       rc->first ? "the server did not answer in time" :
					   "the server did not answer the handshake in time");
		return;
	}
	/* The lost socket's SQEs are not back yet (shutdown makes them
	 * come at once): no new connection before, so that a loss of it
	 * never finds the last lost socket still open. */
	if (c->old_fd >= 0) {
		schedule(c);
		return;
	}
	ret = attempt_start(c);
	if (ret < 0) {
		snprintf(why, sizeof(why), "cannot connect: %s",
			 strerror(-ret));
		attempt_failed(c, ret, why);
		return;
	}
	if (rc->fd >= 0) { /* still under way: bound it */
		ev_timer_set(&rc->retry, ATTEMPT_TIMEOUT_S, 0.);
		ubr_timer_start(dev_of(c)->r, &rc->retry);
	}
}

static void expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_nbd_conn *c = container_of(w, struct ubr_nbd_conn, rc.expire);

	(void)loop;
	(void)revents;
	ubr_timer_stop(dev_of(c)->r, w);
	if (c->state != UBR_NBD_DOWN)
		return;
	c->state = UBR_NBD_FAILED;
	ubr_err("dev %u: nbd: connection %u: down for %llu s (--reconnect-timeout): its I/O fails with EIO until a reconnect succeeds",
		dev_of(c)->id, c->idx + 1,
		(unsigned long long)(c->rc.timeout_ms / 1000));
	ubr_nbd_fail_held(c);
	ubr_nbd_desc(c->nb);
}

void ubr_nbd_reconnect_init(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	const struct ubr_nbd_opts *o = dev_of(c)->opts.tgt_opts;
	unsigned secs = o && o->reconnect_timeout ?
				o->reconnect_timeout :
				UBR_NBD_RECONNECT_TIMEOUT_DEFAULT;

	rc->fd = -1;
	rc->timeout_ms = (uint64_t)secs * 1000;
	ev_timer_init(&rc->retry, retry_cb, 0., 0.);
	ev_timer_init(&rc->expire, expire_cb, 0., 0.);
	ev_io_init(&rc->io, io_cb, -1, EV_READ);
	if (c->fd < 0) { /* a further connection: where the first went */
		rc->addr = c->nb->conns[0]->rc.addr;
		rc->addr_len = c->nb->conns[0]->rc.addr_len;
		return;
	}
	rc->addr_len = sizeof(rc->addr);
	if (c->nb->uri.transport != UBR_NBD_TCP ||
	    getpeername(c->fd, (struct sockaddr *)&rc->addr, &rc->addr_len) <
		    0 ||
	    (rc->addr.ss_family != AF_INET && rc->addr.ss_family != AF_INET6))
		rc->addr_len = 0;
}

void ubr_nbd_reconnect_start(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	rc->attempts = 0;
	ubr_timer_stop(dev_of(c)->r, &rc->expire);
	ev_timer_set(&rc->expire, (double)rc->timeout_ms / 1000.0, 0.);
	ubr_timer_start(dev_of(c)->r, &rc->expire);
	schedule(c);
}

void ubr_nbd_reconnect_stop(struct ubr_nbd_conn *c)
{
	attempt_end(c);
	ubr_timer_stop(dev_of(c)->r, &c->rc.retry);
	ubr_timer_stop(dev_of(c)->r, &c->rc.expire);
}

int ubr_nbd_first_handshake(struct ubr_nbd_conn *c, unsigned timeout_ms)
{
	struct ubr_nbd_reconnect *rc = &c->rc;
	int ret;

	rc->hs = malloc(sizeof(*rc->hs));
	if (!rc->hs)
		return -ENOMEM;
	ret = ubr_nbd_hs_init(rc->hs, c->nb->uri.export_name);
	if (ret < 0) {
		free(rc->hs);
		rc->hs = NULL;
		return ret;
	}
	rc->first = true;
	rc->fd = c->fd;
	c->fd = -1;
	/* Only from the loop, so that init has returned before it ends. */
	watch(c, ubr_nbd_hs_status(rc->hs) == UBR_NBD_HS_SEND ? EV_WRITE :
								  EV_READ);
	ev_timer_set(&rc->retry, timeout_ms / 1000.0, 0.);
	ubr_timer_start(dev_of(c)->r, &rc->retry);
	return 0;
}

void ubr_nbd_join_start(struct ubr_nbd_conn *c)
{
	struct ubr_nbd_reconnect *rc = &c->rc;

	rc->joining = true;
	/* From the loop, as a reconnect's first attempt (retry_cb). */
	ev_timer_set(&rc->retry, 0., 0.);
	ubr_timer_start(dev_of(c)->r, &rc->retry);
}
