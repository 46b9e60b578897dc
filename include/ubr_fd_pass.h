/* SPDX-License-Identifier: MIT */
/*
 * One descriptor, or one line saying why there is none, over a unix
 * socket (src/core/fd_pass.c): how a helper process hands the daemon a
 * connection it made.
 */
#ifndef UBR_FD_PASS_H
#define UBR_FD_PASS_H

#include <stddef.h>

/* Send fd (or, if fd < 0, the text why): 0 or -errno. */
int ubr_fd_send(int sock, int fd, const char *why);

/*
 * Receive what ubr_fd_send sent, without waiting: 1 with *fd set (close-
 * on-exec), 0 with the text in why (NUL-terminated), or -errno (-EAGAIN:
 * nothing yet; -ENODATA: the sender closed without a word; -EBADMSG: not
 * such a message).
 */
int ubr_fd_recv(int sock, int *fd, char *why, size_t len);

#endif /* UBR_FD_PASS_H */
