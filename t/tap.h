/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for the C unit tests (run by automake's tap-driver). */
#ifndef UBR_TAP_H
#define UBR_TAP_H

#include <stdbool.h>

#define TAP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

void plan(int n);
bool ok(bool cond, const char *fmt, ...) TAP_PRINTF(2, 3);
bool is_int(long long got, long long expected, const char *name);
bool is_str(const char *got, const char *expected, const char *name);
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
void skip(int n, const char *reason);
/* Prints the plan if none was given; returns the exit code for main(). */
int done_testing(void);

#endif /* UBR_TAP_H */
