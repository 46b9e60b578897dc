/* SPDX-License-Identifier: MIT */
/*
 * Opening backing files: what is not a regular file or a block device is
 * refused at once, never waited on (a FIFO's read-only open would wait for
 * a writer), and what is accepted comes back as a blocking descriptor.
 * Their paths, resolved as the device records them (ubr_realpath).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "ubr_cli.h"
#include "ubr_util.h"

#define HANG_GUARD_S 10 /* an open that waits this long has hung */

static char dir[] = "/tmp/ubr-backing-t.XXXXXX";
static char err[256];

static void path_in_dir(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", dir, name);
}

static void test_fifo(bool read_only)
{
	char path[64];
	int fd = 123, ret;

	path_in_dir(path, sizeof(path), "fifo");
	ret = ubr_backing_open(path, read_only, &fd, err, sizeof(err));
	is_int(ret, -EINVAL, read_only ? "a FIFO, read-only: refused at once"
				       : "a FIFO, read-write: refused");
	ok(strstr(err, "fifo is not a regular file or a block device") != NULL,
	   "saying so: %s", err);
	is_int(fd, -1, "no descriptor left open");
}

static void test_regular_file(void)
{
	char path[64];
	int fd = -1, ret, fl;

	path_in_dir(path, sizeof(path), "disk.img");
	ret = ubr_backing_open(path, false, &fd, err, sizeof(err));
	is_int(ret, 0, "a regular file opens");
	fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	ok(fl >= 0 && !(fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_RDWR,
	   "read-write and blocking (flags %#x)", (unsigned)fl);
	if (fd >= 0)
		close(fd);
}

static void test_directory(void)
{
	int fd = 123;

	is_int(ubr_backing_open(dir, true, &fd, err, sizeof(err)), -EISDIR,
	       "a directory is refused");
	is_int(fd, -1, "with no descriptor left open");
}

/* The C library's realpath is the reference: the same answers. */
static void test_resolve(void)
{
	char path[96], *want, *got;
	int fd;

	path_in_dir(path, sizeof(path), "sub/../link");
	want = realpath(path, NULL);
	got = ubr_realpath(path);
	ok(want && got && !strcmp(got, want) && strstr(got, "/disk.img"),
	   "a link, a dot-dot: resolved as realpath does (%s)", got ? got : "NULL");
	free(got);
	fd = open(path, O_RDONLY);
	got = fd >= 0 ? ubr_fd_path(fd) : NULL;
	ok(want && got && !strcmp(got, want), "an open file's path: the same");
	free(got);
	free(want);
	if (fd >= 0)
		close(fd);
	path_in_dir(path, sizeof(path), "missing");
	errno = 0;
	got = ubr_realpath(path);
	ok(!got && errno == ENOENT, "a missing file: NULL, ENOENT (%s)",
	   strerror(errno));
	free(got);
}

static int make_files(void)
{
	char path[64];
	int fd;

	if (!mkdtemp(dir))
		return -errno;
	path_in_dir(path, sizeof(path), "fifo");
	if (mkfifo(path, 0600) < 0)
		return -errno;
	path_in_dir(path, sizeof(path), "disk.img");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	path_in_dir(path, sizeof(path), "sub");
	if (mkdir(path, 0700) < 0)
		return -errno;
	path_in_dir(path, sizeof(path), "link");
	if (symlink("disk.img", path) < 0)
		return -errno;
	return 0;
}

static void remove_files(void)
{
	char path[64];

	path_in_dir(path, sizeof(path), "fifo");
	unlink(path);
	path_in_dir(path, sizeof(path), "disk.img");
	unlink(path);
	path_in_dir(path, sizeof(path), "link");
	unlink(path);
	path_in_dir(path, sizeof(path), "sub");
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	if (make_files() < 0) {
		skip(13, "cannot make a FIFO, a directory or a link in /tmp");
		remove_files();
		return done_testing();
	}
	/* A hang is the bug: SIGALRM ends the test with a failure. */
	alarm(HANG_GUARD_S);
	test_fifo(true);
	test_fifo(false);
	test_regular_file();
	test_directory();
	test_resolve();
	alarm(0);
	remove_files();
	return done_testing();
}
