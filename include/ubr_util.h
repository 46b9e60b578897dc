/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every layer may use: numbers and sizes as users write
 * them, the run directory, and the array/struct macros. Nothing here knows
 * a device, a command or the reactor, so the core, the device layer, the
 * targets and the CLI can all include it without an arrow going the wrong
 * way (src/core/util.c).
 */
#ifndef UBR_UTIL_H
#define UBR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Elements in a true array (not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The struct that embeds *ptr as its member `member`. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* CLOCK_MONOTONIC in nanoseconds, and in milliseconds: for deadlines. */
static inline long long ubr_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline long long ubr_mono_ms(void)
{
	return ubr_mono_ns() / 1000000;
}

/*
 * Leading decimal digits of s (at least one) into *out, *end just past
 * them: for numbers with a unit after. -EINVAL (*end and *out untouched),
 * or -ERANGE on overflow (*end still past the digits). Used in place of
 * strtoul & co. too: a static musl's strto* share a scanner for every
 * base and a sign, 2.4 KiB.
 */
int ubr_parse_digits(const char *s, const char **end, uint64_t *out);
/* Decimal, digits only; -EINVAL if not a number, -ERANGE if out of bounds. */
int ubr_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Bytes with an optional K/M/G/T suffix (powers of 1024, optional "iB"). */
int ubr_parse_size(const char *s, uint64_t *out);
/* "250G", "1.5M", "512": the largest unit that leaves >= 1, one decimal. */
void ubr_format_size(uint64_t bytes, char *buf, size_t len);

/*
 * The C library's strstr and qsort, made small: the first match of needle
 * in hay (NULL if none; hay itself for ""), and a sort of n elements of w
 * bytes in place (not stable; a Shell sort). A static musl's own weigh 1.7
 * and 2.5 KiB (two-way search, smoothsort), for searching help text and
 * short messages and for sorting lists of devices.
 */
const char *ubr_strstr(const char *hay, const char *needle);
/*
 * strncasecmp for ASCII (URI schemes, host names): 0 when the first n
 * bytes of a and b are equal but for case (n = SIZE_MAX: strcasecmp).
 * musl's two weigh 0.3 KiB, for one scheme and one hosts file.
 */
int ubr_strncasecmp(const char *a, const char *b, size_t n);
void ubr_sort(void *base, size_t n, size_t w,
	      int (*cmp)(const void *, const void *));

/*
 * The absolute path, symbolic links resolved, of an open file (ubr_fd_path)
 * or of a path (ubr_realpath), in a malloc'd string: NULL with errno set if
 * it cannot be had. The kernel resolves it: the path is opened as a
 * location only (O_PATH) and /proc/self/fd/N read back, which also names
 * the file actually opened. A static musl's realpath walks the links
 * itself, 1.4 KiB; every place the daemon runs has /proc.
 */
char *ubr_fd_path(int fd);
char *ubr_realpath(const char *path);

/*
 * Text built with stdio into memory: ubr_memfile_open() gives a stream on
 * an anonymous memory file (memfd), ubr_memfile_take() closes it and
 * returns what was written as a malloc'd string (NULL if anything failed;
 * the stream is closed either way). open_memstream does this too, but
 * weighs 0.7 KiB in a static musl binary, where fdopen is linked anyway.
 */
FILE *ubr_memfile_open(void);
char *ubr_memfile_take(FILE *f);

#define UBR_RUNDIR_DEFAULT "/run/ublk-reactor"

/* $UBLK_REACTOR_RUNDIR, or /run/ublk-reactor. */
const char *ubr_rundir(void);
/* RUNDIR/name into buf; -ENAMETOOLONG if it does not fit a sun_path. */
int ubr_run_path(const char *name, char *buf, size_t len);

/*
 * An error message for the caller: err gets the formatted line (nothing
 * when len is 0), and ret (a -errno) is returned, so a parser writes
 * `return ubr_errf(-EINVAL, err, len, "invalid ...", ...)`.
 */
int ubr_errf(int ret, char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* UBR_UTIL_H */
