/* SPDX-License-Identifier: MIT */
/*
 * Finding the kernel's ublk devices: their IDs from sysfs, GET_DEV_INFO
 * for each, and who serves them from /proc. The kernel keeps a device
 * (and its /sys/class/ublk-char/ublkcN) until DEL_DEV, whatever became of
 * the process that added it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_kdev.h"
#include "ubr_reactor.h"
#include "ubr_record.h"
#include "ubr_util.h"

#define CLASS_DIR "/sys/class/ublk-char"

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Append id to *ids (capacity *cap, growing it). */
static int ids_push(uint32_t **ids, unsigned *n, unsigned *cap, uint32_t id)
{
	uint32_t *t;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		t = realloc(*ids, *cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		*ids = t;
	}
	(*ids)[(*n)++] = id;
	return 0;
}

/* No class directory: ublk_drv is not loaded, so there are no devices. */
int ubr_kdev_ids(uint32_t **ids, unsigned *n)
{
	DIR *dir = opendir(CLASS_DIR);
	struct dirent *e;
	unsigned cap = 0;
	uint32_t id;
	int ret = 0;

	*ids = NULL;
	*n = 0;
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (e = readdir(dir)))
		if (!ubr_kdev_parse_name(e->d_name, &id))
			ret = ids_push(ids, n, &cap, id);
	closedir(dir);
	if (ret < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return ret;
	}
	ubr_sort(*ids, *n, sizeof(**ids), id_cmp);
	return 0;
}

/* /proc/PID/comm without its newline, "" if the process is gone. */
static void read_comm(int pid, char *buf, size_t len)
{
	char path[32];
	ssize_t got;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		got = 0;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* EPERM: it exists, we may not signal it (not as root, but say so). */
bool ubr_pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

void ubr_kdev_judge(struct ubr_kdev *k)
{
	char path[40];
	int pid = k->info.ublksrv_pid;

	snprintf(path, sizeof(path), "/sys/block/ublkb%u", k->id);
	k->has_disk = access(path, F_OK) == 0;
	k->comm[0] = '\0';
	if (k->err < 0) {
		/* Unknown is never taken for dead: del needs --force. */
		k->owner = ubr_record_exists(k->id) ? UBR_KDEV_WAITING :
						      UBR_KDEV_OTHER;
		return;
	}
	k->owner = ubr_kdev_classify(&k->info, getpid(), ubr_pid_alive(pid),
				     ubr_record_exists(k->id));
	if (k->owner == UBR_KDEV_OTHER)
		read_comm(pid, k->comm, sizeof(k->comm));
}

/* --- synchronous, on a ring nothing else uses ---------------------------- */

int ubr_kdev_scan_sync(struct ubr_reactor *r, struct ubr_kdev **out,
		       unsigned *n)
{
	struct ubr_ctrl_req req;
	struct ubr_kdev *k;
	uint32_t *ids;
	unsigned i, nr;
	int ret = ubr_kdev_ids(&ids, &nr);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	k = calloc(nr ? nr : 1, sizeof(*k));
	if (!k) {
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		ret = ubr_ctrl_sync(r, &req, UBLK_U_CMD_GET_DEV_INFO, ids[i]);
		if (ret == -ENODEV)
			continue; /* deleted since the directory was read */
		k[*n] = (struct ubr_kdev){ .id = ids[i], .err = ret < 0 ? ret : 0 };
		if (ret >= 0)
			k[*n].info = req.buf.info;
		ubr_kdev_judge(&k[(*n)++]);
	}
	free(ids);
	*out = k;
	return 0;
}

/*
 * STOP_DEV first: a device whose disk is still there (a server that died
 * on a kernel that keeps it LIVE) loses it. DEL_DEV then waits until the
 * last descriptor of /dev/ublkcN is closed, i.e. until the dead server's
 * io_uring is torn down.
 */
int ubr_kdev_delete_sync(struct ubr_reactor *r, uint32_t id)
{
	struct ubr_ctrl_req req;
	int ret = ubr_ctrl_sync(r, &req, UBLK_U_CMD_STOP_DEV, id);

	if (ret < 0 && ret != -ENODEV)
		return ret;
	ret = ubr_ctrl_sync(r, &req, UBLK_U_CMD_DEL_DEV, id);
	return ret == -ENODEV ? 0 : ret;
}

/* --- in the daemon, on the shared ring ----------------------------------- */

struct kdev_scan {
	struct ubr_kdev *k;
	unsigned nr, pending;
	ubr_kdev_scan_cb cb;
	void *ctx;
};

/* Rows whose device went away meanwhile go. */
static void scan_finish(struct ubr_reactor *r, struct kdev_scan *s)
{
	unsigned i, n = 0;

	for (i = 0; i < s->nr; i++)
		if (s->k[i].err != -ENODEV)
			s->k[n++] = s->k[i];
	s->cb(r, s->k, n, s->ctx);
	free(s->k);
	free(s);
}

static void scan_info_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			 int res)
{
	struct kdev_scan *s = req->ctx;
	struct ubr_kdev *k;
	unsigned i;

	for (i = 0; i < s->nr && s->k[i].id != req->cmd.dev_id; i++)
		;
	if (i < s->nr) {
		k = &s->k[i];
		k->err = res < 0 ? res : 0;
		if (res >= 0)
			k->info = req->buf.info;
		ubr_kdev_judge(k);
	}
	if (!--s->pending)
		scan_finish(r, s);
}

int ubr_kdev_scan(struct ubr_reactor *r, ubr_kdev_scan_cb cb, void *ctx)
{
	struct kdev_scan *s = calloc(1, sizeof(*s));
	uint32_t *ids = NULL;
	unsigned i, nr = 0;
	int ret = s ? ubr_kdev_ids(&ids, &nr) : -ENOMEM;

	if (ret == 0 && !(s->k = calloc(nr ? nr : 1, sizeof(*s->k))))
		ret = -ENOMEM;
	if (ret < 0) {
		free(ids);
		free(s);
		return ret;
	}
	s->cb = cb;
	s->ctx = ctx;
	for (i = 0; i < nr; i++)
		s->k[i].id = ids[i];
	s->nr = nr;
	free(ids);
	/* Held until every request is queued: a failure counts down too. */
	s->pending = 1;
	for (i = 0; i < s->nr; i++) {
		s->pending++;
		if (!ubr_ctrl_submit(r, UBLK_U_CMD_GET_DEV_INFO, s->k[i].id, 0,
				     scan_info_cb, s)) {
			s->k[i].err = -ENOMEM;
			ubr_kdev_judge(&s->k[i]);
			s->pending--;
		}
	}
	if (!--s->pending)
		scan_finish(r, s);
	return 0;
}
