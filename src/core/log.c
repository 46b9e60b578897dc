/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ubr_log.h"

static bool log_syslog;
static bool log_journal;
static bool log_verbose;

void ubr_log_to_syslog(bool on)
{
	if (on && !log_syslog)
		openlog("ublk-reactor", LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	unsigned long long dev, ino;
	char *colon, *end;
	struct stat st;

	/* strtoull, not sscanf, which brings a static musl's whole scanf. */
	if (!env)
		return false;
	dev = strtoull(env, &colon, 10);
	if (colon == env || *colon != ':')
		return false;
	ino = strtoull(colon + 1, &end, 10);
	if (end == colon + 1 || *end)
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
		vsyslog(prio, fmt, ap);
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
