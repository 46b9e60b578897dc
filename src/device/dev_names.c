/* SPDX-License-Identifier: MIT */
/*
 * Device names (add --name, the config file) and the files that make them
 * stable paths:
 *
 *   RUNDIR/udev/ublkbN      "UBLK_REACTOR_NAME=NAME", written as soon as
 *                           ADD_DEV answers, before START_DEV adds the disk,
 *                           so that udev's rule (data/60-ublk-reactor.rules,
 *                           IMPORT{file}) finds it when the disk's uevent
 *                           comes and links /dev/ublk/by-name/NAME;
 *   RUNDIR/by-name/NAME     a symlink to /dev/ublkbN, made when the device
 *                           serves I/O, for systems without udev.
 *
 * Both are removed when the device is deleted. They are conveniences: a
 * failure to write them is logged and the device serves all the same.
 * Made in the reactor thread: the run directory must not sit on one of the
 * daemon's own disks (src/admin/helper_cmds.c); a symlink never opens its target.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

#define BY_NAME_DIR "by-name"
#define UDEV_DIR "udev"

struct ubr_dev *ubr_dev_find_name(struct ubr_reactor *r, const char *name)
{
	unsigned slot;

	if (!name[0])
		return NULL;
	for (slot = 0; slot < r->nr_slots; slot++) {
		struct ubr_dev *dev = r->devs[slot];

		if (dev && !strcmp(dev->opts.name, name))
			return dev;
	}
	return NULL;
}

/* RUNDIR/dir/name (name may be NULL: the directory), or -ENAMETOOLONG. */
static int names_path(char *buf, size_t len, const char *dir,
		      const char *name)
{
	int n = name ? snprintf(buf, len, "%s/%s/%s", ubr_rundir(), dir, name)
		     : snprintf(buf, len, "%s/%s", ubr_rundir(), dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int names_mkdir(const char *dir)
{
	char path[PATH_MAX];

	if (names_path(path, sizeof(path), dir, NULL) < 0)
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Names never begin with '.': ".NAME.tmp" cannot be another's file. */
static int tmp_path(char *buf, size_t len, const char *dir, const char *name)
{
	char tmp[UBR_NAME_MAX + 32];

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	return names_path(buf, len, dir, tmp);
}

static void names_warn(const struct ubr_dev *dev, const char *what, int err)
{
	ubr_warn("dev %u: cannot %s for name '%s' in %s: %s", dev->id, what,
		 dev->opts.name, ubr_rundir(), strerror(-err));
}

static int write_udev_file(const char *tmp, const char *path,
			   const char *name)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (dprintf(fd, "UBLK_REACTOR_NAME=%s\n", name) < 0)
		ret = -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/*
 * ADD_DEV answered: the kernel id is known, the disk does not exist yet.
 * An unnamed device clears whatever a dead daemon left for this id.
 */
void ubr_dev_names_publish(const struct ubr_dev *dev)
{
	char path[PATH_MAX], tmp[PATH_MAX], kname[32];
	int ret;

	snprintf(kname, sizeof(kname), "ublkb%u", dev->id);
	if (names_path(path, sizeof(path), UDEV_DIR, kname) < 0)
		return;
	if (!dev->opts.name[0]) {
		unlink(path);
		return;
	}
	ret = names_mkdir(UDEV_DIR);
	if (!ret)
		ret = tmp_path(tmp, sizeof(tmp), UDEV_DIR, kname);
	if (!ret)
		ret = write_udev_file(tmp, path, dev->opts.name);
	if (ret)
		names_warn(dev, "write the udev file", ret);
}

/* The device serves I/O: RUNDIR/by-name/NAME -> /dev/ublkbN, atomically. */
void ubr_dev_names_link(const struct ubr_dev *dev)
{
	char path[PATH_MAX], tmp[PATH_MAX], target[32];
	int ret;

	if (!dev->opts.name[0])
		return;
	snprintf(target, sizeof(target), "/dev/ublkb%u", dev->id);
	ret = names_mkdir(BY_NAME_DIR);
	if (!ret)
		ret = names_path(path, sizeof(path), BY_NAME_DIR,
				 dev->opts.name);
	if (!ret)
		ret = tmp_path(tmp, sizeof(tmp), BY_NAME_DIR, dev->opts.name);
	if (ret) {
		names_warn(dev, "make the by-name link", ret);
		return;
	}
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
		ret = -errno;
		unlink(tmp);
		names_warn(dev, "make the by-name link", ret);
	}
}

/* Only our own link: a newer device may have the name already. */
static void unlink_if_ours(const char *path, const char *target)
{
	char buf[64];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return;
	buf[n] = '\0';
	if (!strcmp(buf, target))
		unlink(path);
}

/* The device goes away: its name stops resolving. */
void ubr_dev_names_unpublish(const struct ubr_dev *dev)
{
	char path[PATH_MAX], target[32], kname[32];

	snprintf(kname, sizeof(kname), "ublkb%u", dev->id);
	if (names_path(path, sizeof(path), UDEV_DIR, kname) == 0)
		unlink(path);
	if (!dev->opts.name[0])
		return;
	snprintf(target, sizeof(target), "/dev/ublkb%u", dev->id);
	if (names_path(path, sizeof(path), BY_NAME_DIR, dev->opts.name) == 0)
		unlink_if_ours(path, target);
}
