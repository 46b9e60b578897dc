/* SPDX-License-Identifier: MIT */
/*
 * The admin protocol as the daemon receives it: one SOCK_SEQPACKET
 * message of any bytes, with 0 to 10 descriptors of different kinds
 * (more than it takes, too) passed alongside, through the real receive
 * path; and the same bytes through the client's reply-frame reader. No
 * descriptor may be leaked, whatever is refused.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ubr_cli.h"
#include "ubr_fd_pass.h"

#define MAX_PASSED 10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char err[256];

/* A descriptor of the kind k picks: a file, a pipe, a socket, a directory. */
static int some_fd(unsigned k)
{
	int p[2];

	switch (k % 4) {
	case 0: return open("/dev/null", O_RDWR | O_CLOEXEC);
	case 1:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	case 2: return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	default: return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
}

static int send_with_fds(int sock, const uint8_t *data, size_t size,
			 unsigned nfds, unsigned kinds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { (void *)data, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[MAX_PASSED], i, ret;

	for (i = 0; i < (int)nfds; i++)
		fds[i] = some_fd(kinds >> (2 * (i % 4)));
	if (nfds)
		ubr_fds_attach(&msg, cbuf.buf, fds, nfds);
	ret = (int)sendmsg(sock, &msg, MSG_NOSIGNAL);
	for (i = 0; i < (int)nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

static void as_daemon(const uint8_t *data, size_t size, unsigned nfds,
		      unsigned kinds)
{
	struct ubr_admin_req req;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (send_with_fds(sv[0], data, size, nfds, kinds) >= 0 &&
	    ubr_admin_recv_req(sv[1], &req, err, sizeof(err)) == 1)
		ubr_admin_req_release(&req);
	close(sv[0]);
	close(sv[1]);
}

static void as_client(const uint8_t *data, size_t size)
{
	struct ubr_admin_frame *f = malloc(sizeof(*f));
	int sv[2];

	if (!f || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(f);
		return;
	}
	if (send_with_fds(sv[0], data, size, 0, 0) >= 0)
		ubr_admin_recv_frame(sv[1], f, err, sizeof(err));
	close(sv[0]);
	close(sv[1]);
	free(f);
}

/* The lowest free descriptor: higher after an input, one was leaked. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned nfds, kinds;
	int before;

	if (size < 2 || size - 2 > UBR_ADMIN_MAX_MSG + 16)
		return 0;
	nfds = data[0] % (MAX_PASSED + 1);
	kinds = data[1];
	before = lowest_free_fd();
	as_daemon(data + 2, size - 2, nfds, kinds);
	as_client(data + 2, size - 2);
	if (lowest_free_fd() != before)
		abort(); /* a descriptor that came with the message was kept */
	return 0;
}
