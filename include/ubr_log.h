/* SPDX-License-Identifier: MIT */
/*
 * Logging for the daemon: stderr in the foreground, syslog once detached.
 * Messages about one device are prefixed "dev N" (and "q Q tag T" for one
 * request) by the caller, so a grep for a device finds all of its story.
 */
#ifndef UBR_LOG_H
#define UBR_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define UBR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

void ubr_log_to_syslog(bool on);
void ubr_log_set_verbose(bool on);
void ubr_log(int prio, const char *fmt, ...) UBR_PRINTF(2, 3);

#define ubr_err(...) ubr_log(LOG_ERR, __VA_ARGS__)
#define ubr_warn(...) ubr_log(LOG_WARNING, __VA_ARGS__)
#define ubr_info(...) ubr_log(LOG_INFO, __VA_ARGS__)
#define ubr_dbg(...) ubr_log(LOG_DEBUG, __VA_ARGS__)

#endif /* UBR_LOG_H */
