/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ubr_log.h"
#include "ubr_util.h"

static bool log_syslog;
static bool log_journal;
static bool log_verbose;
static int syslog_fd = -1;
/* syslogd's socket; t/log.c points it at one of its own. */
const char *ubr_syslog_path = "/dev/log";

/*
 * Our own syslog(3), a datagram to /dev/log: the C library's stamps each
 * message with strftime(3) in the local time zone, which takes musl's
 * time zone code into the static binary (8-10 KiB of its 200). The message
 * goes without a time stamp, which RFC 3164 allows: syslogd, rsyslog,
 * syslog-ng, busybox's syslogd and journald stamp it when it comes in.
 */
static void syslog_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ubr_syslog_path);
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (syslog_fd >= 0 && connect(syslog_fd, (struct sockaddr *)&a, sizeof(a))) {
		close(syslog_fd);
		syslog_fd = -1;
	}
}

/*
 * Never waits: a syslogd that stops reading (stopped, or writing its
 * files to one of our own devices, which waits on us) would otherwise
 * stop the reactor with it. A line that does not fit is dropped and
 * counted; the count goes out with the next line that does.
 */
static unsigned syslog_dropped;

static ssize_t syslog_write(const char *msg, int n)
{
	char note[96];
	int len;

	if (syslog_dropped) {
		len = snprintf(note, sizeof(note),
			       "<%d>ublk-reactor[%d]: %u log line(s) dropped: syslog was not reading",
			       LOG_DAEMON | LOG_WARNING, (int)getpid(),
			       syslog_dropped);
		if (send(syslog_fd, note, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				return -1;
			syslog_dropped++;
			return 0;
		}
		syslog_dropped = 0;
	}
	if (send(syslog_fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return n;
	if (errno != EAGAIN)
		return -1;
	syslog_dropped++;
	return 0;
}

/* "<PRI>ublk-reactor[PID]: message", cut at 1 KiB as musl's is. */
static void syslog_send(int prio, const char *fmt, va_list ap)
	UBR_PRINTF(2, 0);

static void syslog_send(int prio, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	n = snprintf(msg, sizeof(msg), "<%d>ublk-reactor[%d]: ",
		     LOG_DAEMON | prio, (int)getpid());
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	n = (int)strlen(msg);
	if (syslog_fd < 0)
		syslog_connect();
	if (syslog_fd < 0 || syslog_write(msg, n) >= 0)
		return;
	/* syslogd restarted: a new socket is at /dev/log. */
	if (errno == ECONNREFUSED || errno == ENOTCONN) {
		syslog_connect();
		if (syslog_fd >= 0)
			syslog_write(msg, n);
	}
}

void ubr_log_to_syslog(bool on)
{
	if (on && syslog_fd < 0)
		syslog_connect();
	log_syslog = on;
}

/*
 * systemd names the journal stream it gave a service in $JOURNAL_STREAM
 * ("DEVICE:INODE"); stderr is that stream only if it still is that file
 * (a shell redirect in between would have replaced it).
 */
bool ubr_log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uint64_t dev, ino;
	const char *colon, *end;
	struct stat st;

	/* Digits, not sscanf, which brings a static musl's whole scanf. */
	if (!env)
		return false;
	if (ubr_parse_digits(env, &colon, &dev) || *colon != ':')
		return false;
	if (ubr_parse_digits(colon + 1, &end, &ino) || *end)
		return false;
	return fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void ubr_log_to_journal(bool on)
{
	log_journal = on;
}

void ubr_log_set_verbose(bool on)
{
	log_verbose = on;
}

void ubr_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		syslog_send(prio, fmt, ap);
	} else {
		/* The journal reads "<N>" as the priority; it names us itself. */
		if (log_journal)
			fprintf(stderr, "<%d>", prio);
		else
			fputs("ublk-reactor: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
