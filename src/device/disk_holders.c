/* SPDX-License-Identifier: MIT */
/*
 * Who holds a ublk disk open, for a `del` that must not pull a disk from
 * under a file system, a device-mapper table or a process.
 *
 * The disk's device numbers and its partitions' come from sysfs; then, in
 * the order an admin would look: mounts (/proc/self/mountinfo: the
 * daemon's mount namespace), holders (/sys/block/NAME/holders: dm, md),
 * processes (/proc/PID/fd links to a block device with one of those
 * numbers). Only procfs and sysfs are read, and a /dev node stat()ed: no
 * block I/O, so the reactor thread may scan. Kernels before 7.0 have no
 * other way to ask; newer ones answer TRY_STOP_DEV, and this only names.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ubr_disk_holders.h"
#include "ubr_util.h"

/* The disk and this many partitions at most are looked at. */
#define MAX_PARTS 31

struct disk {
	char name[32];		       /* ublkbN */
	dev_t devs[MAX_PARTS + 1];     /* the disk's first */
	char parts[MAX_PARTS + 1][48]; /* sysfs names, "" for the disk */
	unsigned nr;
};

/*
 * "MAJ:MIN" as sysfs and mountinfo write it (what follows is not looked
 * at). ubr_parse_digits, neither sscanf nor strtoul: a static musl's
 * scanf weighs 12-18 KiB, its strto* 2.4 KiB (see ubr_util.h).
 */
static int parse_devt(const char *s, dev_t *dev)
{
	uint64_t ma, mi;
	const char *end;

	if (ubr_parse_digits(s, &end, &ma) || *end != ':' ||
	    ubr_parse_digits(end + 1, &end, &mi) || ma > UINT32_MAX ||
	    mi > UINT32_MAX)
		return -EINVAL;
	*dev = makedev(ma, mi);
	return 0;
}

static int read_devt(const char *path, dev_t *dev)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f))
		ret = parse_devt(buf, dev);
	fclose(f);
	return ret;
}

/*
 * The field at s, unescaped: mountinfo escapes space, tab, newline and
 * backslash as \ooo, so a blank ends the field.
 */
static void unescape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (*s && !strchr(" \t\n", *s) && n + 1 < len) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			out[n++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					  (s[3] - '0'));
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

static bool dev_in(dev_t d, const dev_t *devs, unsigned nr)
{
	unsigned i;

	for (i = 0; i < nr; i++)
		if (devs[i] == d)
			return true;
	return false;
}

/* Past the field at s and the blanks after it. */
static const char *next_field(const char *s)
{
	s += strcspn(s, " \t\n");
	return s + strspn(s, " \t\n");
}

/* One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...". */
static bool mountinfo_line(const char *line, const dev_t *devs, unsigned nr,
			   char *mnt, size_t len)
{
	const char *devt = next_field(next_field(line));
	const char *point = next_field(next_field(devt));
	dev_t d;

	if (!*point || parse_devt(devt, &d) < 0 || !dev_in(d, devs, nr))
		return false;
	unescape(point, mnt, len);
	return true;
}

/*
 * A whole line, however long, into *buf (grown as needed); false at the
 * end or without memory. getline does this, but a static musl's getline
 * is getdelim (1 KiB) beside the fgets that the binary has anyway.
 */
static bool read_line(FILE *f, char **buf, size_t *cap)
{
	size_t n = 0;
	char *b;

	for (;;) {
		if (*cap - n < 2) {
			b = realloc(*buf, *cap ? *cap * 2 : 512);
			if (!b)
				return false;
			*buf = b;
			*cap = *cap ? *cap * 2 : 512;
		}
		if (!fgets(*buf + n, (int)(*cap - n), f))
			return n > 0;
		n += strlen(*buf + n);
		if (!n || (*buf)[n - 1] == '\n') /* !n: a NUL byte first */
			return true;
	}
}

int ubr_mountinfo_find(FILE *f, const dev_t *devs, unsigned nr, char *mnt,
		       size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	while (!found && read_line(f, &line, &cap))
		found = mountinfo_line(line, devs, nr, mnt, len);
	free(line);
	return found;
}

/* The disk's numbers and its partitions' (subdirectories named ublkbNp*). */
static int disk_load(struct disk *k, uint32_t id)
{
	char path[128];
	struct dirent *e;
	DIR *d;
	int ret;

	snprintf(k->name, sizeof(k->name), "ublkb%u", id);
	snprintf(path, sizeof(path), "/sys/block/%s/dev", k->name);
	ret = read_devt(path, &k->devs[0]);
	if (ret < 0)
		return ret;
	k->parts[0][0] = '\0';
	k->nr = 1;
	snprintf(path, sizeof(path), "/sys/block/%s", k->name);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && k->nr <= MAX_PARTS) {
		size_t n = strlen(e->d_name);

		/* A partition's name is short; a longer one is not ours. */
		if (strncmp(e->d_name, k->name, strlen(k->name)) ||
		    n >= sizeof(k->parts[0]))
			continue;
		memcpy(k->parts[k->nr], e->d_name, n + 1);
		if ((size_t)snprintf(path, sizeof(path), "/sys/block/%s/%s/dev",
				     k->name, k->parts[k->nr]) < sizeof(path) &&
		    read_devt(path, &k->devs[k->nr]) == 0)
			k->nr++;
	}
	closedir(d);
	return 0;
}

static bool find_mount(const struct disk *k, char *who, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char mnt[4096];
	int found;

	if (!f)
		return false;
	found = ubr_mountinfo_find(f, k->devs, k->nr, mnt, sizeof(mnt));
	fclose(f);
	if (found)
		snprintf(who, len, "mounted on %s", mnt);
	return found;
}

/* The first entry of a sysfs holders directory, if any. */
static bool find_holder_in(const char *path, char *who, size_t len)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(who, len, "held by %s", e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

static bool find_holder(const struct disk *k, char *who, size_t len)
{
	char path[160];
	unsigned i;

	for (i = 0; i < k->nr; i++) {
		snprintf(path, sizeof(path), "/sys/block/%s/%s%sholders",
			 k->name, k->parts[i], i ? "/" : "");
		if (find_holder_in(path, who, len))
			return true;
	}
	return false;
}

/*
 * Does this fd link name one of the disk's nodes? Only links into /dev
 * are stat()ed: a stat of another file could wait on its file system.
 */
static bool fd_is_disk(const char *fdpath, const struct disk *k)
{
	char target[256];
	struct stat st;
	ssize_t n = readlink(fdpath, target, sizeof(target) - 1);

	if (n <= 5 || strncmp(target, "/dev/", 5))
		return false;
	target[n] = '\0';
	return stat(target, &st) == 0 && S_ISBLK(st.st_mode) &&
	       dev_in(st.st_rdev, k->devs, k->nr);
}

/* A /proc name that is a process ID, or -1. */
static long proc_number(const char *s)
{
	const char *end;
	uint64_t v;

	if (ubr_parse_digits(s, &end, &v) || *end || v > 0x7fffffff)
		return -1;
	return (long)v;
}

static bool pid_has_disk(long pid, const struct disk *k)
{
	char path[64];
	struct dirent *e;
	bool found = false;
	long fd;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		return false; /* gone, or not ours to look at */
	while (!found && (e = readdir(d))) {
		fd = proc_number(e->d_name);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd/%ld", pid, fd);
		found = fd_is_disk(path, k);
	}
	closedir(d);
	return found;
}

static void pid_comm(long pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static bool find_process(const struct disk *k, char *who, size_t len)
{
	DIR *d = opendir("/proc");
	long pid, self = (long)getpid();
	struct dirent *e;
	bool found = false;
	char comm[32];

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		pid = proc_number(e->d_name);
		if (pid < 0 || pid == self || !pid_has_disk(pid, k))
			continue;
		pid_comm(pid, comm, sizeof(comm));
		snprintf(who, len, "opened by pid %ld (%s)", pid, comm);
		found = true;
	}
	closedir(d);
	return found;
}

int ubr_disk_holder(uint32_t id, char *who, size_t len)
{
	struct disk k;
	int ret;

	ret = disk_load(&k, id);
	if (ret == -ENOENT)
		return 0; /* no disk (a dead device): nothing holds it */
	if (ret < 0)
		return ret;
	return find_mount(&k, who, len) || find_holder(&k, who, len) ||
	       find_process(&k, who, len);
}
