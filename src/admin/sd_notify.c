/* SPDX-License-Identifier: MIT */
/*
 * The service manager's readiness protocol, without libsystemd: one
 * datagram of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET
 * (a path, or "@name" for the abstract namespace). Without the variable,
 * nothing is sent: the daemon was not started by a service manager that
 * waits for it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ubr_cli.h"

/* The socket's address from $NOTIFY_SOCKET: its length, or -errno. */
static int notify_addr(struct sockaddr_un *sun)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || !path[0])
		return -ENOENT;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	if (path[0] == '@')
		sun->sun_path[0] = '\0'; /* abstract: no NUL at the end */
	return (int)(offsetof(struct sockaddr_un, sun_path) + len +
		     (path[0] == '/'));
}

int ubr_sd_notify(const char *fmt, ...)
{
	struct sockaddr_un sun;
	char msg[512];
	va_list ap;
	int fd, len, ret = 0;

	len = notify_addr(&sun);
	if (len == -ENOENT)
		return 0;
	if (len < 0)
		return len;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun,
		   (socklen_t)len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
