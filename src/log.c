/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "ubr_log.h"

static bool log_syslog;
static bool log_verbose;

void ubr_log_to_syslog(bool on)
{
	if (on && !log_syslog)
		openlog("ublk-reactor", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = on;
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
		fputs("ublk-reactor: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
