/* SPDX-License-Identifier: MIT */
/*
 * The daemon's own connections for a socket-backed device: `recover` and
 * the config file (an add's come from the client, made as the caller).
 * A name lookup, or a server that neither accepts nor refuses, can take
 * seconds; the loop must serve the other devices meanwhile. So each
 * address is connected by a helper process (`helper-connect TARGET WORD`,
 * src/admin/helper_connect.c) running the target's connect hook, which
 * hands the socket back over a socket pair once it has one. The device
 * is PREPARING meanwhile (ubr_dev_prepare), and its target's init runs
 * once every socket is in.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ubr_child.h"
#include "ubr_dev.h"
#include "ubr_fd_pass.h"
#include "ubr_helper.h"
#include "ubr_log.h"
#include "ubr_target.h"

struct connect_job {
	struct ubr_dev *dev;
	unsigned file; /* its FILE: opts.paths[file] -> opts.fds[file] */
	int sock;      /* our end of the pair, -1 once answered */
};

struct ubr_connects {
	unsigned pending;
	int err; /* the first failure */
	struct connect_job job[UBR_MAX_FILES];
};

static void connects_free(struct ubr_dev *dev)
{
	struct ubr_connects *cs = dev->connects;
	unsigned i;

	for (i = 0; i < UBR_MAX_FILES; i++)
		if (cs->job[i].sock >= 0) {
			ubr_child_cancel(dev->r, &cs->job[i]);
			close(cs->job[i].sock);
		}
	free(cs);
	dev->connects = NULL;
}

static void fail(struct ubr_connects *cs, struct ubr_dev *dev, int err,
		 const char *why)
{
	if (cs->err)
		return;
	cs->err = err;
	ubr_dev_set_err(dev, "%s", why);
}

static void connected_cb(void *ctx, int res)
{
	struct connect_job *job = ctx;
	struct ubr_dev *dev = job->dev;
	struct ubr_connects *cs = dev->connects;
	char why[256];
	int fd = -1, ret;

	ret = ubr_fd_recv(job->sock, &fd, why, sizeof(why));
	close(job->sock);
	job->sock = -1;
	if (ret == 1)
		dev->opts.fds[job->file] = fd;
	else if (ret == 0)
		fail(cs, dev, res < 0 ? res : -EIO, why);
	else
		fail(cs, dev, res < 0 ? res : ret, "cannot connect: the helper gave no answer");
	if (--cs->pending)
		return;
	ret = cs->err;
	connects_free(dev);
	ubr_dev_backing_ready(dev, ret);
}

static int connect_one(struct ubr_dev *dev, struct connect_job *job)
{
	char *argv[] = { "ublk-reactor", UBR_HELPER_CONNECT,
			 (char *)dev->ops->name, dev->opts.paths[job->file],
			 NULL };
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ret = ubr_child_spawn_out(dev->r, argv, sv[1], connected_cb, job);
	close(sv[1]);
	if (ret < 0) {
		close(sv[0]);
		return ret;
	}
	job->sock = sv[0];
	return 0;
}

int ubr_backing_connect_start(struct ubr_dev *dev)
{
	struct ubr_connects *cs;
	unsigned i;
	int ret = 0;

	if (dev->ops->backing != UBR_BACKING_SOCKET || !dev->ops->connect)
		return 0;
	for (i = 0; i < dev->opts.nr_files && dev->opts.fds[i] >= 0; i++)
		;
	if (i == dev->opts.nr_files)
		return 0; /* the client connected them */
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	dev->connects = cs;
	for (i = 0; i < UBR_MAX_FILES; i++)
		cs->job[i] = (struct connect_job){ dev, i, -1 };
	for (i = 0; i < dev->opts.nr_files && !ret; i++) {
		if (dev->opts.fds[i] >= 0)
			continue;
		ret = connect_one(dev, &cs->job[i]);
		if (!ret)
			cs->pending++;
	}
	if (ret < 0) {
		ubr_dev_set_err(dev, "cannot start a helper to connect: %s",
				strerror(-ret));
		connects_free(dev);
		return ret;
	}
	return -EINPROGRESS;
}

void ubr_backing_connect_cancel(struct ubr_dev *dev)
{
	if (dev->connects)
		connects_free(dev);
}
