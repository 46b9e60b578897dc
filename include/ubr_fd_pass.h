/* SPDX-License-Identifier: MIT */
/*
 * One descriptor, or one line saying why there is none, over a unix
 * socket (src/core/fd_pass.c): how a helper process hands the daemon a
 * connection it made.
 */
#ifndef UBR_FD_PASS_H
#define UBR_FD_PASS_H

#include <stddef.h>

struct msghdr;

/* Send fd (or, if fd < 0, the text why): 0 or -errno. */
int ubr_fd_send(int sock, int fd, const char *why);

/*
 * Receive what ubr_fd_send sent, without waiting: 1 with *fd set (close-
 * on-exec), 0 with the text in why (NUL-terminated), or -errno (-EAGAIN:
 * nothing yet; -ENODATA: the sender closed without a word; -EBADMSG: not
 * such a message).
 */
int ubr_fd_recv(int sock, int *fd, char *why, size_t len);

/*
 * The two halves of any descriptor passing (here and the admin socket's):
 * ubr_fds_attach() puts the n descriptors in one SCM_RIGHTS message in
 * cbuf (CMSG_SPACE of n ints, aligned for a struct cmsghdr) and points
 * msg's control at it. ubr_fds_take() takes every descriptor a received
 * message brought, whatever else is wrong with it, as an error path must
 * close them all: the first max into fds (*kept of them), the others
 * closed. It returns how many there were, or -EBADMSG for a control
 * message that is not SCM_RIGHTS.
 */
void ubr_fds_attach(struct msghdr *msg, void *cbuf, const int *fds,
		    unsigned n);
int ubr_fds_take(struct msghdr *msg, int *fds, unsigned max,
		 unsigned *kept);

#endif /* UBR_FD_PASS_H */
