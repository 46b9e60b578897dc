/* SPDX-License-Identifier: MIT */
/*
 * The daemon's syslog messages (src/core/log.c), received on a socket of
 * the test's own: their format, the cut at 1 KiB, verbosity, and a
 * syslogd that restarts (a new socket at the same path), is away for a
 * while, or stops reading (the daemon must not wait for it).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "ubr_log.h"

static char path[108];

static int syslogd(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* The next message, or "" if none is waiting. */
static const char *received(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * A syslogd that reads nothing: its queue fills (a few datagrams, see
 * net.unix.max_dgram_qlen) and the lines after it are dropped at once,
 * not waited on; the next line that fits says how many were lost.
 */
static void stuck_syslogd(int fd)
{
	enum { LINES = 300 };
	unsigned got = 0, dropped = 0;
	char want[96];
	const char *m;
	int i;

	alarm(20); /* a send that waits would hang here */
	for (i = 0; i < LINES; i++)
		ubr_warn("line %d", i);
	alarm(0);
	ok(i == LINES, "%d lines to a syslogd that reads nothing: none waited", i);
	while (*(m = received(fd)))
		got++;
	ok(got > 0 && got < LINES, "%u queued, the rest dropped", got);
	ubr_warn("after");
	m = received(fd);
	sscanf(m, "%*[^]]]: %u log line(s) dropped", &dropped);
	snprintf(want, sizeof(want), "%u", LINES - got);
	ok(dropped == LINES - got && strstr(received(fd), ": after"),
	   "then a note of the %s lines dropped, and the next line", want);
}

int main(void)
{
	char want[64], big[1500];
	const char *got;
	int fd;

	snprintf(path, sizeof(path), "%s/ubr-log-%d.sock",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	ubr_syslog_path = path;
	fd = syslogd();
	plan(9);
	ubr_log_to_syslog(true);
	ubr_err("dev %u: %s", 3, "gone");
	snprintf(want, sizeof(want), "<27>ublk-reactor[%d]: dev 3: gone",
		 (int)getpid());
	is_str(received(fd), want, "an error: daemon facility, name, pid, text");
	ubr_dbg("not verbose");
	is_str(received(fd), "", "debug messages only when verbose");
	ubr_log_set_verbose(true);
	ubr_dbg("verbose");
	ok(strstr(received(fd), "<31>ublk-reactor[") != NULL,
	   "and then at debug priority");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ubr_info("%s", big);
	got = received(fd);
	is_int((long long)strlen(got), 1023, "a long message is cut to 1 KiB");
	close(fd);
	fd = syslogd();
	ubr_warn("after a restart");
	got = received(fd);
	ok(strstr(got, "<28>") == got && strstr(got, ": after a restart"),
	   "a restarted syslogd gets the next message");
	close(fd);
	unlink(path);
	ubr_warn("lost");
	fd = syslogd();
	ubr_warn("back");
	got = received(fd);
	ok(strstr(got, ": back") && !*received(fd),
	   "with no syslogd a message is dropped; the next goes to the new one");
	stuck_syslogd(fd);
	close(fd);
	unlink(path);
	return done_testing();
}
