/* SPDX-License-Identifier: MIT */
/*
 * A descriptor, or why there is none, over a unix socket
 * (include/ubr_fd_pass.h). The message is one byte, 'F' with the
 * descriptor as SCM_RIGHTS, or 'E' followed by the text.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ubr_fd_pass.h"

#define WHY_MAX 255

void ubr_fds_attach(struct msghdr *msg, void *cbuf, const int *fds,
		    unsigned n)
{
	struct cmsghdr *c;

	memset(cbuf, 0, CMSG_SPACE(sizeof(int) * n));
	msg->msg_control = cbuf;
	msg->msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
}

int ubr_fds_take(struct msghdr *msg, int *fds, unsigned max, unsigned *kept)
{
	struct cmsghdr *c;
	int total = 0, other = 0, fd;
	size_t i, n;

	*kept = 0;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			other = 1;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++, total++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*kept < max)
				fds[(*kept)++] = fd;
			else
				close(fd);
		}
	}
	return other ? -EBADMSG : total;
}

int ubr_fd_send(int sock, int fd, const char *why)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char text[1 + WHY_MAX] = "F";
	struct msghdr msg = { 0 };
	struct iovec iov = { .iov_base = text, .iov_len = 1 };

	if (fd < 0) {
		text[0] = 'E';
		snprintf(text + 1, WHY_MAX, "%s", why ? why : "");
		iov.iov_len = 1 + strlen(text + 1);
	} else {
		ubr_fds_attach(&msg, cbuf.buf, &fd, 1);
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ubr_fd_recv(int sock, int *fd, char *why, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cbuf;
	char text[1 + WHY_MAX];
	struct msghdr msg = { 0 };
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) };
	unsigned kept;
	ssize_t n;
	int got = -1;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	/* Only one was asked for: any other is closed. */
	ubr_fds_take(&msg, &got, 1, &kept);
	if (n >= 1 && text[0] == 'F' && got >= 0 && n == 1 &&
	    !(msg.msg_flags & MSG_CTRUNC)) {
		*fd = got;
		return 1;
	}
	if (got >= 0)
		close(got);
	if (n < 1 || text[0] != 'E' || !len)
		return n ? -EBADMSG : -ENODATA;
	n--;
	if ((size_t)n >= len)
		n = (ssize_t)len - 1;
	memcpy(why, text + 1, (size_t)n);
	why[n] = '\0';
	return 0;
}
