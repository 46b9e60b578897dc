/* SPDX-License-Identifier: MIT */
/*
 * The service manager's notification datagram: to a socket path, to an
 * abstract socket ("@name"), nothing without $NOTIFY_SOCKET, and errors for
 * addresses that cannot be one.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "ubr_cli.h"

/* A datagram socket bound to name ("@x": abstract), or -1. */
static int listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void received(int fd, const char *want, const char *what)
{
	char buf[600], *nl;
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	bool same;

	buf[n > 0 ? n : 0] = '\0';
	same = n > 0 && !strcmp(buf, want);
	while ((nl = strchr(buf, '\n')))
		*nl = '|'; /* one TAP line */
	ok(same, "%s: got '%s'", what, buf);
}

int main(void)
{
	char dir[] = "/tmp/ubr-notify-t.XXXXXX", path[64], abstract[64];
	char longname[200];
	int fd;

	unsetenv("NOTIFY_SOCKET");
	is_int(ubr_sd_notify("READY=1"), 0, "no $NOTIFY_SOCKET: nothing to do");

	if (!mkdtemp(dir))
		return diag("no temporary directory"), 1;
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	ok(fd >= 0, "a socket at a path");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(ubr_sd_notify("READY=1\nSTATUS=%u device(s)", 5U), 0,
	       "sent to the path");
	received(fd, "READY=1\nSTATUS=5 device(s)", "the path's datagram");
	close(fd);
	unlink(path);
	ok(ubr_sd_notify("READY=1") == -ENOENT, "the socket is gone: -ENOENT");
	rmdir(dir);

	snprintf(abstract, sizeof(abstract), "@ubr-notify-t-%d", (int)getpid());
	fd = listener(abstract);
	ok(fd >= 0, "an abstract socket");
	setenv("NOTIFY_SOCKET", abstract, 1);
	is_int(ubr_sd_notify("STOPPING=1"), 0, "sent to the abstract socket");
	received(fd, "STOPPING=1", "the abstract socket's datagram");
	close(fd);

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	is_int(ubr_sd_notify("READY=1"), -EINVAL, "a relative path: -EINVAL");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	is_int(ubr_sd_notify("READY=1"), -EINVAL, "too long a path: -EINVAL");
	return done_testing();
}
