/* SPDX-License-Identifier: MIT */
/*
 * What the daemon tells systemd: the notification datagram to a socket path,
 * to an abstract socket ("@name"), nothing without $NOTIFY_SOCKET, errors
 * for addresses that cannot be one; and log lines with the journal's
 * priority prefix when stderr is the stream $JOURNAL_STREAM names.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* stderr into a file, named (or not) by $JOURNAL_STREAM. */
static void test_journal(void)
{
	char path[] = "/tmp/ubr-journal-t.XXXXXX", env[64], buf[128] = "";
	int fd = mkstemp(path), saved = dup(2);
	struct stat st;
	ssize_t n;

	if (fd < 0 || saved < 0 || fstat(fd, &st) < 0) {
		skip(4, "no temporary file");
		return;
	}
	unlink(path);
	dup2(fd, 2);
	unsetenv("JOURNAL_STREAM");
	ok(!ubr_log_stderr_is_journal(), "no $JOURNAL_STREAM: not the journal");
	setenv("JOURNAL_STREAM", "1:2", 1);
	ok(!ubr_log_stderr_is_journal(), "another stream: not the journal");
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	ok(ubr_log_stderr_is_journal(), "stderr is the stream named");
	ubr_log_to_journal(true);
	ubr_err("dev %u: %s", 3U, "broken");
	ubr_warn("careful");
	ubr_log_to_journal(false);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	ok(!strcmp(buf, "<3>dev 3: broken\n<4>careful\n"),
	   "journal lines carry their priority");
	close(fd);
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
	test_journal();
	return done_testing();
}
