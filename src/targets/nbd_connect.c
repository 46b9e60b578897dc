/* SPDX-License-Identifier: MIT */
/*
 * Connecting to an NBD server, for the client (as the caller) or for the
 * daemon's helper-connect process (recover, the config file, as root;
 * src/device/backing_connect.c): TCP to the URI's host and port
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
#include "nbd_resolve.h"

/*
 * A server that neither accepts nor refuses must not hang the command.
 * connect() then gives up with EINPROGRESS, which would read as if it
 * went on: it is said as the timeout it is.
 */
#define CONNECT_TIMEOUT_S 10

static int connect_errno(void)
{
	return errno == EINPROGRESS ? ETIMEDOUT : errno;
}

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
		int e = connect_errno();

		snprintf(err, len, "cannot connect to %s: %s", u->socket,
			 strerror(e));
		close(s);
		return -e;
	}
	*fd = s;
	return 0;
}

/* An address, then a connected socket to it; -errno if not. */
static int connect_to(const struct sockaddr *sa, socklen_t salen)
{
	int s = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (s < 0)
		return -errno;
	set_timeout(s);
	if (connect(s, sa, salen) == 0)
		return s;
	e = connect_errno();
	close(s);
	return -e;
}

static int connect_failed(const struct ubr_nbd_uri *u, int e, char *err,
			  size_t len)
{
	snprintf(err, len, "cannot connect to %s port %u: %s", u->host,
		 u->port, strerror(-e));
	return e;
}

/*
 * A connected socket to the host's first address that takes one, or
 * -errno with err set: -EHOSTUNREACH when the name does not resolve.
 */
#ifdef UBR_OWN_RESOLVER
/* The static binary: nbd_resolve.c's addresses, each in turn. */
static int connect_addrs(const struct ubr_nbd_uri *u, char *err, size_t len)
{
	struct ubr_nbd_addrs a;
	int s = -ECONNREFUSED, ret;
	unsigned i;

	ret = ubr_nbd_resolve(u->host, &a, err, len);
	if (ret < 0)
		return -EHOSTUNREACH;
	for (i = 0; i < a.n && s < 0; i++) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(u->port) };
		struct sockaddr_in s4 = { .sin_family = AF_INET,
					  .sin_port = htons(u->port) };

		memcpy(&s4.sin_addr, a.v[i].a, 4);
		memcpy(&s6.sin6_addr, a.v[i].a, 16);
		s = a.v[i].family == AF_INET ?
			    connect_to((struct sockaddr *)&s4, sizeof(s4)) :
			    connect_to((struct sockaddr *)&s6, sizeof(s6));
	}
	return s < 0 ? connect_failed(u, s, err, len) : s;
}
#else
/* The C library's resolver (glibc's NSS: nss-resolve, mDNS...). */
static int connect_addrs(const struct ubr_nbd_uri *u, char *err, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	char port[8];
	int s = -ECONNREFUSED, ret;

	snprintf(port, sizeof(port), "%u", u->port);
	if (u->host_ipv6)
		hints.ai_flags = AI_NUMERICHOST;
	ret = getaddrinfo(u->host, port, &hints, &res);
	if (ret) {
		snprintf(err, len, "cannot resolve %s: %s", u->host,
			 gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai && s < 0; ai = ai->ai_next)
		s = connect_to(ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return s < 0 ? connect_failed(u, s, err, len) : s;
}
#endif

static int connect_tcp(const struct ubr_nbd_uri *u, int *fd, char *err,
		       size_t len)
{
	int s, one = 1;

	s = connect_addrs(u, err, len);
	if (s < 0)
		return s;
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
