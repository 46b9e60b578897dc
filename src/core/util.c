/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by every layer (see include/ubr_util.h): they lived in
 * the CLI's files until the core and the targets needed them too.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#include "ubr_util.h"

/* --- numbers and sizes --------------------------------------------------- */

/* strtoull accepts spaces, signs and "0x": users mean none of them. */
int ubr_parse_digits(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	int ret = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			ret = -ERANGE;
		v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return ret;
}

int ubr_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int ret;

	ret = ubr_parse_digits(s, &end, &v);
	if (ret < 0)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int size_shift(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	}
	return -1;
}

int ubr_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int shift = 0, ret;

	ret = ubr_parse_digits(s, &end, &v);
	if (ret < 0)
		return ret;
	if (*end) {
		shift = size_shift(*end++);
		if (shift < 0)
			return -EINVAL;
		if (*end && strcmp(end, "iB"))
			return -EINVAL;
	}
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

void ubr_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;
	uint64_t scale = 1024;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return;
	}
	while (u + 1 < sizeof(units) - 1 && bytes / scale >= 1024) {
		scale <<= 10;
		u++;
	}
	if (bytes % scale == 0 || bytes / scale >= 100)
		snprintf(buf, len, "%" PRIu64 "%c", bytes / scale, units[u]);
	else
		snprintf(buf, len, "%.1f%c", (double)bytes / (double)scale,
			 units[u]);
}

/* --- search and sort (see ubr_util.h) ------------------------------------ */

const char *ubr_strstr(const char *hay, const char *needle)
{
	size_t len = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, len))
			return hay;
	return len ? NULL : hay;
}

int ubr_strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		int d = tolower((unsigned char)*a) - tolower((unsigned char)*b);

		if (d || !*a)
			return d;
	}
	return 0;
}

void ubr_sort(void *base, size_t n, size_t w,
	      int (*cmp)(const void *, const void *))
{
	char *a = base, t;
	size_t gap = 1, i, j, k;

	while (gap < n / 3)
		gap = gap * 3 + 1; /* Knuth's gaps: 1, 4, 13, 40... */
	for (; gap; gap /= 3)
		for (i = gap; i < n; i++)
			for (j = i; j >= gap &&
				    cmp(a + (j - gap) * w, a + j * w) > 0;
			     j -= gap)
				for (k = 0; k < w; k++) {
					t = a[(j - gap) * w + k];
					a[(j - gap) * w + k] = a[j * w + k];
					a[j * w + k] = t;
				}
}

/* --- paths (see ubr_util.h) --------------------------------------------- */

char *ubr_fd_path(int fd)
{
	char link[32], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf));
	if (n < 0)
		return NULL;
	if ((size_t)n == sizeof(buf)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	return strdup(buf);
}

char *ubr_realpath(const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC), saved;
	char *abs;

	if (fd < 0)
		return NULL;
	abs = ubr_fd_path(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return abs;
}

/* --- memory files (see ubr_util.h) -------------------------------------- */

FILE *ubr_memfile_open(void)
{
	int fd = memfd_create("ublk-reactor-text", MFD_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

char *ubr_memfile_take(FILE *f)
{
	char *text = NULL;
	off_t len;
	int fd = fileno(f);

	if (fflush(f) || ferror(f))
		goto out;
	len = lseek(fd, 0, SEEK_END);
	if (len < 0)
		goto out;
	text = malloc((size_t)len + 1);
	if (text && pread(fd, text, (size_t)len, 0) != len) {
		free(text);
		text = NULL;
	}
	if (text)
		text[len] = '\0';
out:
	fclose(f);
	return text;
}

/* --- run directory ------------------------------------------------------- */

const char *ubr_rundir(void)
{
	const char *d = getenv("UBLK_REACTOR_RUNDIR");

	return d && d[0] ? d : UBR_RUNDIR_DEFAULT;
}

int ubr_run_path(const char *name, char *buf, size_t len)
{
	struct sockaddr_un sun;
	int n = snprintf(buf, len, "%s/%s", ubr_rundir(), name);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int ubr_errf(int ret, char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}
