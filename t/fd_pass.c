/* SPDX-License-Identifier: MIT */
/*
 * A helper's descriptor, or its reason, over a unix socket
 * (src/core/fd_pass.c): what arrives, what is refused, and that no
 * descriptor a message brought is left open when it is not kept.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "open_fds.h"
#include "tap.h"
#include "ubr_fd_pass.h"

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

/* One byte, `first`, with n copies of fd attached. */
static void send_fds(int sock, char first, int fd, unsigned n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { &first, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[8] = { fd, fd, fd, fd, fd, fd, fd, fd };

	if (n)
		ubr_fds_attach(&msg, cbuf.buf, fds, n);
	if (sendmsg(sock, &msg, 0) < 0)
		perror("sendmsg");
}

static void test_fd(void)
{
	int sv[2], p[2], fd = -1, before;
	char why[64] = "", c = 0;

	pair(sv);
	if (pipe(p) < 0)
		exit(1);
	before = open_fds();
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), -EAGAIN,
	       "nothing sent yet: -EAGAIN");
	is_int(ubr_fd_send(sv[0], p[1], NULL), 0, "a descriptor sent");
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), 1, "and received");
	ok(fd >= 0 && write(fd, "y", 1) == 1 && read(p[0], &c, 1) == 1 &&
		   c == 'y',
	   "it is the same pipe");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	   "received close-on-exec");
	if (fd >= 0)
		close(fd);
	is_int(open_fds(), before, "nothing else left open");
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_why(void)
{
	int sv[2], fd = -1;
	char why[8];

	pair(sv);
	is_int(ubr_fd_send(sv[0], -1, "connection refused"), 0,
	       "a reason sent");
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), 0,
	       "and received as one");
	is_str(why, "connect", "cut to the caller's buffer, terminated");
	is_int(fd, -1, "no descriptor with it");
	close(sv[0]);
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), -ENODATA,
	       "the sender closed without a word: -ENODATA");
	close(sv[1]);
}

static void test_extra_fds(void)
{
	int sv[2], p[2], fd = -1, before;
	char why[16];

	pair(sv);
	if (pipe(p) < 0)
		exit(1);
	before = open_fds();
	send_fds(sv[0], 'F', p[1], 3);
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), 1,
	       "'F' with three descriptors: the first is kept");
	if (fd >= 0)
		close(fd);
	is_int(open_fds(), before, "the other two were closed");
	send_fds(sv[0], 'X', p[1], 2);
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), -EBADMSG,
	       "an unknown message: -EBADMSG");
	is_int(open_fds(), before, "and its descriptors closed");
	send_fds(sv[0], 'E', p[1], 1);
	is_int(ubr_fd_recv(sv[1], &fd, why, sizeof(why)), 0,
	       "a reason with a descriptor: the reason");
	is_int(open_fds(), before, "and the descriptor closed");
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	test_fd();
	test_why();
	test_extra_fds();
	return done_testing();
}
