/* SPDX-License-Identifier: MIT */
/*
 * The admin socket's wire format (see include/ubr_cli.h) and where the
 * socket lives.
 *
 * SOCK_SEQPACKET keeps message boundaries, so a request is one recvmsg()
 * and needs no framing beyond a header; the daemon still checks every byte,
 * because anything on the machine can connect to the socket.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ubr_cli.h"
#include "ubr_fd_pass.h"
#include "ubr_util.h"

/* Room for more descriptors than allowed, so "too many" is told apart. */
#define CMSG_FDS_MAX (UBR_ADMIN_MAX_FDS * 2)

static int bad(char *err, size_t errlen, const char *fmt, ...)
	UBR_PRINTF(3, 4);

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* --- the daemon's lock file ----------------------------------------- */

int ubr_lock_read_pid(int lock_fd)
{
	char buf[24];
	ssize_t n = pread(lock_fd, buf, sizeof(buf) - 1, 0);
	const char *end;
	uint64_t pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID\n", as the daemon writes it (lock_write_pid) */
	if (ubr_parse_digits(buf, &end, &pid))
		return 0;
	return pid > 0 && pid < INT32_MAX ? (int)pid : 0;
}

/* --- encoding ------------------------------------------------------------ */

static void hdr_fill(struct ubr_admin_hdr *h, enum ubr_admin_type type,
		     uint32_t count, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = UBR_ADMIN_MAGIC;
	h->version = UBR_ADMIN_VERSION;
	h->type = (uint16_t)type;
	h->count = count;
	h->len = (uint32_t)len;
}

ssize_t ubr_admin_encode_req(int argc, char *const *argv, char *buf,
			     size_t len)
{
	size_t off = sizeof(struct ubr_admin_hdr);
	int i;

	if (argc < 1 || argc > UBR_ADMIN_MAX_ARGS)
		return -E2BIG;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (off + n > len || off + n > UBR_ADMIN_MAX_MSG)
			return -E2BIG;
		memcpy(buf + off, argv[i], n);
		off += n;
	}
	hdr_fill((struct ubr_admin_hdr *)buf, UBR_ADMIN_REQUEST,
		 (uint32_t)argc, off - sizeof(struct ubr_admin_hdr));
	return (ssize_t)off;
}

ssize_t ubr_admin_encode_frame(enum ubr_admin_type type, uint32_t count,
			       const void *text, size_t textlen, char *buf,
			       size_t len)
{
	size_t total = sizeof(struct ubr_admin_hdr) + textlen;

	if (textlen > UBR_ADMIN_MAX_TEXT || total > len)
		return -E2BIG;
	hdr_fill((struct ubr_admin_hdr *)buf, type, count, textlen);
	if (textlen)
		memcpy(buf + sizeof(struct ubr_admin_hdr), text, textlen);
	return (ssize_t)total;
}

/* The header every message starts with, checked the same way both ends. */
static int hdr_check(const char *buf, size_t len, struct ubr_admin_hdr *h,
		     char *err, size_t errlen)
{
	if (len < sizeof(*h))
		return bad(err, errlen, "message too short (%zu bytes)", len);
	memcpy(h, buf, sizeof(*h));
	if (h->magic != UBR_ADMIN_MAGIC)
		return bad(err, errlen, "bad magic 0x%08x", h->magic);
	if (h->version != UBR_ADMIN_VERSION)
		return bad(err, errlen,
			   "protocol version %u, this program speaks %u (client and daemon from different builds? restart the daemon)",
			   h->version, UBR_ADMIN_VERSION);
	if (h->len != len - sizeof(*h))
		return bad(err, errlen, "length field %u, message has %zu",
			   h->len, len - sizeof(*h));
	return 0;
}

/* Split the payload into exactly `count` NUL-terminated words. */
static int split_words(char *p, size_t len, uint32_t count,
		       struct ubr_admin_req *req, char *err, size_t errlen)
{
	size_t off = 0;
	uint32_t i;

	if (count < 1 || count > UBR_ADMIN_MAX_ARGS)
		return bad(err, errlen, "%u words (must be 1..%u)", count,
			   UBR_ADMIN_MAX_ARGS);
	for (i = 0; i < count; i++) {
		char *end = off < len ? memchr(p + off, '\0', len - off) : NULL;

		if (!end)
			return bad(err, errlen, "word %u is not NUL-terminated",
				   i);
		req->argv[i] = p + off;
		off = (size_t)(end - p) + 1;
	}
	if (off != len)
		return bad(err, errlen, "%zu bytes after the last word",
			   len - off);
	req->argv[count] = NULL;
	req->argc = (int)count;
	return 0;
}

int ubr_admin_decode_req(char *buf, size_t len, struct ubr_admin_req *req,
			 char *err, size_t errlen)
{
	struct ubr_admin_hdr h;
	int ret = hdr_check(buf, len, &h, err, errlen);

	if (ret < 0)
		return ret;
	if (h.type != UBR_ADMIN_REQUEST)
		return bad(err, errlen, "message type %u is not a request",
			   h.type);
	return split_words(buf + sizeof(h), len - sizeof(h), h.count, req,
			   err, errlen);
}

/* --- sockets ------------------------------------------------------------- */

int ubr_admin_send_req(int sock, int argc, char *const *argv, const int *fds,
		       unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UBR_ADMIN_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = { 0 };
	struct iovec iov;
	ssize_t n;
	char *buf;

	if (nfds > UBR_ADMIN_MAX_FDS)
		return -E2BIG;
	buf = malloc(UBR_ADMIN_MAX_MSG);
	if (!buf)
		return -ENOMEM;
	n = ubr_admin_encode_req(argc, argv, buf, UBR_ADMIN_MAX_MSG);
	if (n < 0)
		goto out;
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds)
		ubr_fds_attach(&msg, cbuf.buf, fds, nfds);
	n = sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
out:
	free(buf);
	return (int)n;
}

/* Every descriptor the message brought (ubr_fds_take()) into req. */
static int take_fds(struct msghdr *msg, struct ubr_admin_req *req)
{
	return ubr_fds_take(msg, req->fds, UBR_ADMIN_MAX_FDS, &req->nfds);
}

static void close_fds(struct ubr_admin_req *req)
{
	while (req->nfds)
		close(req->fds[--req->nfds]);
}

static int recv_check(struct msghdr *msg, ssize_t n, struct ubr_admin_req *req,
		      char *err, size_t errlen)
{
	int nfds = take_fds(msg, req);

	if (msg->msg_flags & MSG_TRUNC)
		return bad(err, errlen, "message longer than %u bytes",
			   UBR_ADMIN_MAX_MSG);
	if (msg->msg_flags & MSG_CTRUNC)
		return bad(err, errlen, "too many descriptors (at most %u)",
			   UBR_ADMIN_MAX_FDS);
	if (nfds < 0)
		return bad(err, errlen, "unexpected control message");
	if (nfds > UBR_ADMIN_MAX_FDS)
		return bad(err, errlen, "%d descriptors (at most %u)", nfds,
			   UBR_ADMIN_MAX_FDS);
	return ubr_admin_decode_req(req->buf, (size_t)n, req, err, errlen);
}

int ubr_admin_recv_req(int sock, struct ubr_admin_req *req, char *err,
		       size_t errlen)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CMSG_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = { 0 };
	struct iovec iov;
	ssize_t n;
	int ret;

	memset(req, 0, sizeof(*req));
	req->buf = malloc(UBR_ADMIN_MAX_MSG);
	if (!req->buf)
		return -ENOMEM;
	iov.iov_base = req->buf;
	iov.iov_len = UBR_ADMIN_MAX_MSG;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n <= 0) {
		ret = n < 0 ? -errno : 0;
		free(req->buf);
		req->buf = NULL;
		return ret;
	}
	ret = recv_check(&msg, n, req, err, errlen);
	if (ret < 0) {
		ubr_admin_req_release(req);
		return ret;
	}
	return 1;
}

void ubr_admin_req_release(struct ubr_admin_req *req)
{
	close_fds(req);
	free(req->buf);
	req->buf = NULL;
	req->argc = 0;
}

static int frame_check(struct ubr_admin_frame *f, const char *buf, size_t n,
		       char *err, size_t errlen)
{
	struct ubr_admin_hdr h;
	int ret = hdr_check(buf, n, &h, err, errlen);

	if (ret < 0)
		return ret;
	if (h.type < UBR_ADMIN_STDOUT || h.type > UBR_ADMIN_EXIT)
		return bad(err, errlen, "unknown reply frame type %u", h.type);
	if (h.len > UBR_ADMIN_MAX_TEXT)
		return bad(err, errlen, "reply frame of %u bytes", h.len);
	f->type = (enum ubr_admin_type)h.type;
	f->count = h.count;
	f->len = h.len;
	memcpy(f->text, buf + sizeof(h), h.len);
	f->text[h.len] = '\0';
	return 1;
}

int ubr_admin_recv_frame(int sock, struct ubr_admin_frame *f, char *err,
			 size_t errlen)
{
	char buf[sizeof(struct ubr_admin_hdr) + UBR_ADMIN_MAX_TEXT];
	struct msghdr msg = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	ssize_t n;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return bad(err, errlen, "reply frame too long");
	return frame_check(f, buf, (size_t)n, err, errlen);
}
