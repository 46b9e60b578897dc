/* SPDX-License-Identifier: MIT */
/*
 * The daemon's calls into the ublk driver that are not SQEs on the ring
 * (include/ubr_kernel_ops.h). Tests link t/fake_kernel.c instead, so keep
 * this file to these functions alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_kernel_ops.h"

int ubr_kernel_open_control(void)
{
	int fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ubr_kernel_get_features(struct ubr_reactor *r, uint64_t *features)
{
	return ubr_ctrl_get_features_sync(r, features);
}

int ubr_kernel_open_cdev(uint32_t id)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/ublkc%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void *ubr_kernel_map_descs(int cdev_fd, off_t off, size_t len)
{
	return mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, cdev_fd,
		    off);
}

int ubr_kernel_user_copy(int cdev_fd, void *buf, size_t len, uint64_t pos,
			 bool to_request)
{
	ssize_t n;

	do {
		n = to_request ? pwrite(cdev_fd, buf, len, (off_t)pos) :
				 pread(cdev_fd, buf, len, (off_t)pos);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

int ubr_kernel_helper(struct ubr_reactor *r, char *const argv[],
		      ubr_child_cb cb, void *ctx)
{
	return ubr_child_spawn(r, argv, cb, ctx);
}
