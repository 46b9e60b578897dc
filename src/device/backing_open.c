/* SPDX-License-Identifier: MIT */
/*
 * Opening the backing files an `add` names. The client does it with the
 * caller's own rights and passes the descriptors; the daemon does it itself
 * only for files root declared (the config file) or recorded (recovery).
 * Either way the same checks and the same one-line messages.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ubr_backing.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_target.h"
#include "ubr_util.h"

#define say(err, len, ret, ...) ubr_errf(ret, err, len, __VA_ARGS__)

/* A read-write open refused on a readable file: say what helps. */
static int open_error(const char *path, int e, bool read_only, char *err,
		      size_t len)
{
	bool ro_ok = !read_only && (e == EACCES || e == EROFS || e == EPERM) &&
		     access(path, R_OK) == 0;

	if (ro_ok)
		return say(err, len, -e, "%s is read-only (%s): use --read-only",
			   path, strerror(e));
	if (e == EISDIR)
		return say(err, len, -e, "%s is a directory", path);
	return say(err, len, -e, "cannot open %s: %s", path, strerror(e));
}

/*
 * Checks the kernel or the target would make less clearly. Root may open a
 * file with no write permission bit for writing; treat it as read-only all
 * the same, as the file's owner meant.
 */
static int check_file(const char *path, int fd, bool read_only, char *err,
		      size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return say(err, len, -errno, "cannot stat %s: %s", path,
			   strerror(errno));
	if (S_ISDIR(st.st_mode))
		return say(err, len, -EISDIR, "%s is a directory", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return say(err, len, -EINVAL,
			   "%s is not a regular file or a block device", path);
	if (!read_only && S_ISREG(st.st_mode) && !(st.st_mode & 0222))
		return say(err, len, -EACCES,
			   "%s is read-only (mode %03o): use --read-only",
			   path, (unsigned)(st.st_mode & 0777));
	return 0;
}

/*
 * Opened non-blocking, so that a FIFO (whose read-only open waits for a
 * writer) or a device that waits in its open is refused at once by the
 * type check instead of hanging the caller. The flag is cleared once the
 * type is known: on a regular file or a block device io_uring would
 * otherwise fail a read that cannot be served at once with -EAGAIN
 * instead of waiting for it.
 */
int ubr_backing_open(const char *path, bool read_only, int *fd, char *err,
		     size_t len)
{
	int ret;

	*fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_NONBLOCK |
				 O_CLOEXEC);
	if (*fd < 0)
		return open_error(path, errno, read_only, err, len);
	ret = check_file(path, *fd, read_only, err, len);
	if (!ret && fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK) < 0)
		ret = say(err, len, -errno, "cannot use %s: %s", path,
			  strerror(errno));
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

int ubr_backing_open_all(struct ubr_dev_opts *o, bool connect, char *err,
			 size_t len)
{
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	unsigned i;
	char *abs;
	int ret;

	/* What the target's FILEs are: files, addresses, or nothing. */
	if (t && t->backing == UBR_BACKING_SOCKET && t->connect) {
		for (i = 0; connect && i < o->nr_files; i++) {
			ret = t->connect(o->paths[i], &o->fds[i], err, len);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (t && t->backing != UBR_BACKING_FILES)
		return 0;

	for (i = 0; i < o->nr_files; i++) {
		ret = ubr_backing_open(o->paths[i], o->read_only, &o->fds[i],
				       err, len);
		if (ret)
			return ret;
		abs = ubr_fd_path(o->fds[i]);
		if (!abs)
			return say(err, len, -errno, "cannot resolve %s: %s",
				   o->paths[i], strerror(errno));
		ubr_dev_opts_set_path(o, i, abs);
	}
	return 0;
}
