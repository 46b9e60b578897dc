/* SPDX-License-Identifier: MIT */
/*
 * Connecting to an NBD server, for the client (as the caller) or for the
 * daemon on behalf of root's config file: TCP to the URI's host and port
 * (every address the name resolves to, in order), or the URI's unix
 * socket. The handshake runs later, in the daemon, on this socket.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbd.h"

/* A server that neither accepts nor refuses must not hang the command. */
#define CONNECT_TIMEOUT_S 10

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int connect_unix(const struct ubr_nbd_uri *u, int *fd, char *err,
			size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		snprintf(err, len, "cannot make a socket: %s", strerror(errno));
		return -errno;
	}
	/* The URI parser bounds the path to sun_path. */
	memcpy(sa.sun_path, u->socket, strlen(u->socket) + 1);
	set_timeout(s);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		snprintf(err, len, "cannot connect to %s: %s", u->socket,
			 strerror(e));
		close(s);
		return -e;
	}
	*fd = s;
	return 0;
}

static int connect_tcp(const struct ubr_nbd_uri *u, int *fd, char *err,
		       size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	char port[8];
	int s = -1, e = ECONNREFUSED, one = 1, ret;

	snprintf(port, sizeof(port), "%u", u->port);
	if (u->host_ipv6)
		hints.ai_flags = AI_NUMERICHOST;
	ret = getaddrinfo(u->host, port, &hints, &res);
	if (ret) {
		snprintf(err, len, "cannot resolve %s: %s", u->host,
			 gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			   ai->ai_protocol);
		if (s < 0) {
			e = errno;
			continue;
		}
		set_timeout(s);
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		snprintf(err, len, "cannot connect to %s port %u: %s", u->host,
			 u->port, strerror(e));
		return -e;
	}
	/* Request headers are small and go out at once. */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd = s;
	return 0;
}

int ubr_nbd_connect(const char *word, int *fd, char *err, size_t len)
{
	struct ubr_nbd_uri u;
	char why[256];
	int ret;

	ret = ubr_nbd_uri_parse(word, &u, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, len, "%s", why);
		return ret;
	}
	return u.transport == UBR_NBD_UNIX ? connect_unix(&u, fd, err, len) :
					     connect_tcp(&u, fd, err, len);
}
