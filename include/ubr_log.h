/* SPDX-License-Identifier: MIT */
/*
 * Logging for the daemon: stderr in the foreground (with the journal's
 * priority prefixes when stderr is systemd's journal stream), syslog once
 * detached.
 * Messages about one device are prefixed "dev N" (and "q Q tag T" for one
 * request) by the caller, so a grep for a device finds all of its story.
 */
#ifndef UBR_LOG_H
#define UBR_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define UBR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Messages to syslogd's socket, ubr_syslog_path ("/dev/log"). */
void ubr_log_to_syslog(bool on);
extern const char *ubr_syslog_path;
/* "<N>message" lines on stderr, for systemd's journal. */
void ubr_log_to_journal(bool on);
/* Is stderr the journal stream systemd gave us ($JOURNAL_STREAM)? */
bool ubr_log_stderr_is_journal(void);
void ubr_log_set_verbose(bool on);
void ubr_log(int prio, const char *fmt, ...) UBR_PRINTF(2, 3);

#define ubr_err(...) ubr_log(LOG_ERR, __VA_ARGS__)
#define ubr_warn(...) ubr_log(LOG_WARNING, __VA_ARGS__)
#define ubr_info(...) ubr_log(LOG_INFO, __VA_ARGS__)
#define ubr_dbg(...) ubr_log(LOG_DEBUG, __VA_ARGS__)

#endif /* UBR_LOG_H */
