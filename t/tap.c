/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static bool tap_result(bool cond, const char *fmt, va_list ap)
	TAP_PRINTF(2, 0);

static bool tap_result(bool cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

bool is_int(long long got, long long expected, const char *name)
{
	if (!ok(got == expected, "%s", name)) {
		diag("     got: %lld", got);
		diag("expected: %lld", expected);
		return false;
	}
	return true;
}

bool is_str(const char *got, const char *expected, const char *name)
{
	bool same = got && expected ? !strcmp(got, expected) : got == expected;

	if (!ok(same, "%s", name)) {
		diag("     got: %s", got ? got : "(null)");
		diag("expected: %s", expected ? expected : "(null)");
		return false;
	}
	return true;
}

void skip(int n, const char *reason)
{
	while (n-- > 0)
		printf("ok %d # SKIP %s\n", ++tap_run, reason);
}

int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run);
}
