/* SPDX-License-Identifier: MIT */
/*
 * Recovery records on disk: RUNDIR/devices/ID. A record is replaced by
 * writing ID.tmp, fsync, rename over ID, fsync the directory, so that a
 * crash (of the daemon or the machine) never leaves half a record under
 * the real name.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ubr_record.h"
#include "ubr_util.h"

static int record_dir(char *buf, size_t len)
{
	int ret = ubr_run_path(UBR_RECORD_DIR, buf, len);

	if (ret < 0)
		return ret;
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int record_path(uint32_t id, const char *suffix, char *buf,
		       size_t len)
{
	char dir[108];
	int ret = record_dir(dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if ((size_t)snprintf(buf, len, "%s/%" PRIu32 "%s", dir, id, suffix) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * fsync in the reactor thread: the run directory must not sit on one of
 * the daemon's own disks (src/admin/helper_cmds.c).
 */
static int sync_dir(void)
{
	char dir[108];
	int fd, ret = record_dir(dir, sizeof(dir));

	if (ret < 0)
		return ret;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int ubr_record_save(const struct ubr_record *rec)
{
	char *text = malloc(UBR_RECORD_MAX), tmp[128], path[128];
	int fd = -1, len, ret;

	if (!text)
		return -ENOMEM;
	len = ubr_record_format(rec, text, UBR_RECORD_MAX);
	ret = len < 0 ? len : record_path(rec->id, ".tmp", tmp, sizeof(tmp));
	if (!ret)
		ret = record_path(rec->id, "", path, sizeof(path));
	if (!ret) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		ret = fd < 0 ? -errno : write_all(fd, text, (size_t)len);
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0 && close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (!ret)
		ret = sync_dir();
	else if (fd >= 0)
		unlink(tmp);
	free(text);
	return ret;
}

static int read_text(const char *path, char **text)
{
	char *buf = malloc(UBR_RECORD_MAX + 1);
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	while (got <= UBR_RECORD_MAX) {
		n = read(fd, buf + got, UBR_RECORD_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!ret && got > UBR_RECORD_MAX)
		ret = -EFBIG;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[got] = '\0';
	*text = buf;
	return 0;
}

int ubr_record_load(uint32_t id, struct ubr_record *rec, char *err,
		    size_t errlen)
{
	char path[128], why[160], *text = NULL;
	int ret = record_path(id, "", path, sizeof(path));

	if (!ret)
		ret = read_text(path, &text);
	if (ret == -EFBIG) {
		snprintf(err, errlen, "record %s is too large: corrupt", path);
		return -EINVAL;
	}
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = ubr_record_parse(text, rec, why, sizeof(why));
	free(text);
	if (ret < 0)
		snprintf(err, errlen, "record %s: %s", path, why);
	if (!ret && rec->id != id) {
		snprintf(err, errlen, "record %s names device %" PRIu32, path,
			 rec->id);
		ubr_record_release(rec);
		return -EINVAL;
	}
	return ret;
}

int ubr_record_remove(uint32_t id)
{
	char path[128];
	int ret = record_path(id, "", path, sizeof(path));

	if (ret < 0)
		return ret;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return sync_dir();
}

bool ubr_record_exists(uint32_t id)
{
	char path[128];

	return !record_path(id, "", path, sizeof(path)) && !access(path, F_OK);
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "17" names a record; "17.tmp" and anything else do not. */
static bool record_name(const char *name, uint32_t *id)
{
	uint64_t v;

	if (ubr_parse_u64(name, 0, UBR_MAX_DEV_ID, &v) < 0)
		return false;
	*id = (uint32_t)v;
	return true;
}

int ubr_record_ids(uint32_t **ids, unsigned *n)
{
	char dir[108];
	struct dirent *e;
	uint32_t *t = NULL, *nt, id;
	unsigned cnt = 0;
	DIR *d;
	int ret = record_dir(dir, sizeof(dir));

	*ids = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!record_name(e->d_name, &id))
			continue;
		nt = realloc(t, (cnt + 1) * sizeof(*t));
		if (!nt) {
			closedir(d);
			free(t);
			return -ENOMEM;
		}
		t = nt;
		t[cnt++] = id;
	}
	closedir(d);
	if (cnt)
		ubr_sort(t, cnt, sizeof(*t), id_cmp);
	*ids = t;
	*n = cnt;
	return 0;
}
