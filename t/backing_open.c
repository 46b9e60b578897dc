/* SPDX-License-Identifier: MIT */
/*
 * Opening backing files: what is not a regular file or a block device is
 * refused at once, never waited on (a FIFO's read-only open would wait for
 * a writer), and what is accepted comes back as a blocking descriptor.
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
	return 0;
}

static void remove_files(void)
{
	char path[64];

	path_in_dir(path, sizeof(path), "fifo");
	unlink(path);
	path_in_dir(path, sizeof(path), "disk.img");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	if (make_files() < 0) {
		skip(10, "cannot make a FIFO in /tmp");
		remove_files();
		return done_testing();
	}
	/* A hang is the bug: SIGALRM ends the test with a failure. */
	alarm(HANG_GUARD_S);
	test_fifo(true);
	test_fifo(false);
	test_regular_file();
	test_directory();
	alarm(0);
	remove_files();
	return done_testing();
}
