/* SPDX-License-Identifier: MIT */
/*
 * The admin socket inside the daemon: accept, check who is calling, read
 * one request, hand it to ubr_daemon_dispatch(), and send the reply back.
 *
 * Everything is non-blocking and driven by libev watchers on the reactor's
 * loop: the thread that serves every device's I/O must never wait for a
 * slow or hostile client. Output is queued as frames and written when the
 * socket can take it; a client that went away only loses its reply.
 *
 * One connection carries one request. Its struct ubr_reply lives until the
 * request is finished (an `add` finishes when the device serves I/O, long
 * after the client may have gone) and its output is flushed or dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_reactor.h"

/* Connections at once: beyond this, new clients wait in the backlog. */
#define UBR_ADMIN_MAX_CONNS 64
/* A client must send its request this soon after connecting. */
#define UBR_ADMIN_READ_TIMEOUT 10.0
/* After running out of descriptors, try accepting again this much later. */
#define UBR_ADMIN_ACCEPT_RETRY 1.0

struct ubr_frame {
	struct ubr_frame *next;
	enum ubr_admin_type type;
	uint32_t count;
	size_t len;
	char text[]; /* UBR_ADMIN_MAX_TEXT bytes of room */
};

struct ubr_admin_server {
	struct ubr_daemon_ctx *dc;
	struct ubr_reactor *r; /* &dc->r */
	int listen_fd;
	ev_io accept_w;
	ev_timer retry_w;
	struct ubr_reply *conns;
	unsigned nr_conns;
};

struct ubr_reply {
	struct ubr_admin_server *srv;
	struct ubr_reply *prev, *next;
	int fd;
	uid_t uid;
	pid_t pid;
	ev_io read_w, write_w;
	ev_timer timeout_w;
	struct ubr_frame *head, *tail;
	bool in_dispatch; /* inside ubr_daemon_dispatch: do not free */
	bool finished;	  /* the EXIT frame is queued */
	bool peer_gone;	  /* writes failed: drop output */
};

static void conn_free(struct ubr_reply *c);

/* --- output -------------------------------------------------------------- */

static void frames_drop(struct ubr_reply *c)
{
	struct ubr_frame *f;

	while ((f = c->head)) {
		c->head = f->next;
		free(f);
	}
	c->tail = NULL;
}

/* Free the connection once nothing refers to it and nothing is left to send. */
static void conn_maybe_free(struct ubr_reply *c)
{
	if (!c->in_dispatch && c->finished && !c->head)
		conn_free(c);
}

static int frame_send(struct ubr_reply *c, const struct ubr_frame *f)
{
	char buf[sizeof(struct ubr_admin_hdr) + UBR_ADMIN_MAX_TEXT];
	ssize_t n = ubr_admin_encode_frame(f->type, f->count, f->text, f->len,
					   buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (send(c->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Send what the socket takes now; the write watcher does the rest. */
static void conn_flush(struct ubr_reply *c)
{
	struct ev_loop *loop = c->srv->r->loop;
	struct ubr_frame *f;
	int ret;

	while ((f = c->head)) {
		ret = frame_send(c, f);
		if (ret == -EAGAIN || ret == -ENOBUFS) {
			ubr_io_start(c->srv->r, &c->write_w);
			return;
		}
		if (ret < 0) {
			ubr_dbg("admin: client pid %d gone: %s", (int)c->pid,
				strerror(-ret));
			c->peer_gone = true;
			frames_drop(c);
			break;
		}
		c->head = f->next;
		if (!c->head)
			c->tail = NULL;
		free(f);
	}
	ev_io_stop(loop, &c->write_w);
	conn_maybe_free(c);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_flush(w->data);
}

static struct ubr_frame *frame_new(struct ubr_reply *c,
				   enum ubr_admin_type type, uint32_t count)
{
	struct ubr_frame *f = malloc(sizeof(*f) + UBR_ADMIN_MAX_TEXT);

	if (!f)
		return NULL;
	f->next = NULL;
	f->type = type;
	f->count = count;
	f->len = 0;
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	return f;
}

/* Append text to the last frame of that type, or to new ones. */
static int queue_text(struct ubr_reply *c, enum ubr_admin_type type,
		      const char *text, size_t len)
{
	struct ubr_frame *f = c->tail;

	while (len) {
		size_t n;

		if (!f || f->type != type || f->len == UBR_ADMIN_MAX_TEXT)
			f = frame_new(c, type, 0);
		if (!f)
			return -ENOMEM;
		n = UBR_ADMIN_MAX_TEXT - f->len;
		if (n > len)
			n = len;
		memcpy(f->text + f->len, text, n);
		f->len += n;
		text += n;
		len -= n;
	}
	return 0;
}

void ubr_reply_printf(struct ubr_reply *rep, int fd, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	if (rep->finished || rep->peer_gone)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ubr_err("admin: out of memory for a reply");
		return;
	}
	if (queue_text(rep, fd == 2 ? UBR_ADMIN_STDERR : UBR_ADMIN_STDOUT,
		       text, (size_t)n) < 0)
		ubr_err("admin: out of memory for a reply");
	free(text);
	ubr_io_start(rep->srv->r, &rep->write_w);
}

void ubr_reply_finish(struct ubr_reply *rep, int status)
{
	if (rep->finished) {
		ubr_err("admin: a request was finished twice");
		return;
	}
	rep->finished = true;
	if (!rep->peer_gone && !frame_new(rep, UBR_ADMIN_EXIT, (uint32_t)status))
		ubr_err("admin: out of memory for a reply");
	conn_flush(rep);
}

int ubr_reply_dup_fd(struct ubr_reply *rep)
{
	int fd = dup(rep->fd);

	return fd < 0 ? -errno : fd;
}

/* --- input --------------------------------------------------------------- */

static void reply_error(struct ubr_reply *c, const char *msg)
{
	ubr_reply_printf(c, 2, "ublk-reactor: %s\n", msg);
	ubr_reply_finish(c, UBR_EXIT_FAIL);
}

static void request_run(struct ubr_reply *c, struct ubr_admin_req *req)
{
	ubr_dbg("admin: '%s' from pid %d uid %u", req->argv[0], (int)c->pid,
		(unsigned)c->uid);
	if (c->uid != 0) {
		ubr_admin_req_release(req);
		reply_error(c, "permission denied: only root may manage ublk devices");
		return;
	}
	c->in_dispatch = true;
	ubr_daemon_dispatch(c->srv->dc, req->argc, req->argv, req->fds,
			    req->nfds, c);
	c->in_dispatch = false;
	req->nfds = 0; /* dispatch owns them now */
	ubr_admin_req_release(req);
	conn_maybe_free(c);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ubr_reply *c = w->data;
	struct ubr_admin_req req;
	char err[256], msg[300];
	int ret = ubr_admin_recv_req(c->fd, &req, err, sizeof(err));

	if (ret == -EAGAIN || ret == -EINTR)
		return;
	ev_io_stop(loop, &c->read_w);
	ubr_timer_stop(c->srv->r, &c->timeout_w);
	if (ret == 1) {
		request_run(c, &req);
	} else if (ret == -EBADMSG) {
		ubr_warn("admin: bad request from pid %d: %s", (int)c->pid, err);
		snprintf(msg, sizeof(msg), "bad admin request: %s", err);
		reply_error(c, msg);
	} else {
		if (ret < 0)
			ubr_warn("admin: reading a request: %s", strerror(-ret));
		conn_free(c);
	}
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubr_reply *c = w->data;

	ubr_warn("admin: pid %d sent no request in %.0f s", (int)c->pid,
		 UBR_ADMIN_READ_TIMEOUT);
	conn_free(c);
}

/* --- connections --------------------------------------------------------- */

static void accept_pause(struct ubr_admin_server *s, bool retry)
{
	ev_io_stop(s->r->loop, &s->accept_w);
	if (retry && !ev_is_active(&s->retry_w)) {
		ev_timer_set(&s->retry_w, UBR_ADMIN_ACCEPT_RETRY, 0);
		ubr_timer_start(s->r, &s->retry_w);
	}
}

static void accept_resume(struct ubr_admin_server *s)
{
	if (s->listen_fd >= 0 && s->nr_conns < UBR_ADMIN_MAX_CONNS)
		ubr_io_start(s->r, &s->accept_w);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	accept_resume(w->data);
}

static void conn_free(struct ubr_reply *c)
{
	struct ubr_admin_server *s = c->srv;

	ev_io_stop(s->r->loop, &c->read_w);
	ev_io_stop(s->r->loop, &c->write_w);
	ubr_timer_stop(s->r, &c->timeout_w);
	close(c->fd);
	frames_drop(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nr_conns--;
	free(c);
	accept_resume(s);
}

static void conn_creds(struct ubr_reply *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	/* Without credentials the caller is nobody: uid -1 is refused. */
	c->uid = (uid_t)-1;
	c->pid = 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
}

static int conn_new(struct ubr_admin_server *s, int fd)
{
	struct ubr_reply *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->srv = s;
	c->fd = fd;
	conn_creds(c);
	ev_io_init(&c->read_w, read_cb, fd, EV_READ);
	ev_io_init(&c->write_w, write_cb, fd, EV_WRITE);
	ev_timer_init(&c->timeout_w, timeout_cb, UBR_ADMIN_READ_TIMEOUT, 0);
	c->read_w.data = c->write_w.data = c->timeout_w.data = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nr_conns++;
	ubr_io_start(s->r, &c->read_w);
	ubr_timer_start(s->r, &c->timeout_w);
	return 0;
}

struct ubr_reply *ubr_admin_adopt(struct ubr_daemon_ctx *dc, int fd)
{
	struct ubr_admin_server *s = dc->server;
	struct ubr_reply *c;

	if (conn_new(s, fd) < 0)
		return NULL;
	c = s->conns;
	/* Its request was read, and checked, by the daemon before us. */
	ev_io_stop(s->r->loop, &c->read_w);
	ubr_timer_stop(s->r, &c->timeout_w);
	return c;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ubr_admin_server *s = w->data;
	int fd;

	while (s->nr_conns < UBR_ADMIN_MAX_CONNS) {
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			ubr_warn("admin: accept: %s", strerror(errno));
			accept_pause(s, true);
			return;
		}
		if (conn_new(s, fd) < 0) {
			ubr_warn("admin: out of memory for a connection");
			close(fd);
		}
	}
	accept_pause(s, false);
}

int ubr_admin_server_init(struct ubr_daemon_ctx *dc, int listen_fd)
{
	struct ubr_admin_server *s = calloc(1, sizeof(*s));
	struct ubr_reactor *r = &dc->r;

	if (!s)
		return -ENOMEM;
	s->dc = dc;
	s->r = r;
	s->listen_fd = listen_fd;
	ev_io_init(&s->accept_w, accept_cb, listen_fd, EV_READ);
	ev_timer_init(&s->retry_w, retry_cb, UBR_ADMIN_ACCEPT_RETRY, 0);
	s->accept_w.data = s->retry_w.data = s;
	ubr_io_start(r, &s->accept_w);
	dc->server = s;
	return 0;
}

/* Closes every connection: replies still queued are lost. */
void ubr_admin_server_deinit(struct ubr_daemon_ctx *dc)
{
	struct ubr_admin_server *s = dc->server;
	struct ubr_reactor *r = &dc->r;

	if (!s)
		return;
	ev_io_stop(r->loop, &s->accept_w);
	ubr_timer_stop(r, &s->retry_w);
	s->listen_fd = -1;
	while (s->conns) {
		s->conns->in_dispatch = false;
		conn_free(s->conns);
	}
	free(s);
	dc->server = NULL;
}
