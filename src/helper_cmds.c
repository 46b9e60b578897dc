/* SPDX-License-Identifier: MIT */
/*
 * The daemon's helper commands (include/ubr_helper.h): each makes one
 * kernel call that may wait until the requests in flight on one of the
 * daemon's disks are served, so the daemon runs it in a process of its
 * own (src/child.c says why), with stdio on /dev/null. Such a helper
 * outlives a killed daemon by as long as the kernel takes to abort the
 * requests, or a recovered daemon to serve them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ublk_abi.h"
#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_helper.h"

/* An errno as an exit status: 1..127, anything larger is EIO. */
static int errno_status(int err)
{
	return err > 0 && err < UBR_SCHED_EXIT_OPEN ? err : EIO;
}

static int parse_id(const char *s, unsigned *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*id = (unsigned)v;
	return 0;
}

/*
 * Writing queue/scheduler freezes the queue until its requests in flight
 * are served.
 */
static int set_scheduler(unsigned id, const char *name)
{
	size_t len = strlen(name);
	char path[64];
	int fd;

	if (!len || len > UBR_SCHED_NAME_MAX)
		return EINVAL;
	snprintf(path, sizeof(path), "/sys/block/ublkb%u/queue/scheduler", id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return UBR_SCHED_EXIT_OPEN | errno_status(errno);
	if (write(fd, name, len) < 0)
		return errno_status(errno);
	close(fd);
	return 0;
}

/* STOP_DEV deletes the disk, which waits for its requests to drain. */
static int stop_dev(unsigned id)
{
	int ret = ubr_ctrl_oneshot(UBLK_U_CMD_STOP_DEV, id);

	return ret < 0 ? errno_status(-ret) : 0;
}

bool ubr_is_helper_command(const char *cmd)
{
	return !strcmp(cmd, UBR_HELPER_SET_SCHEDULER) ||
	       !strcmp(cmd, UBR_HELPER_STOP_DEV);
}

int ubr_helper_main(int argc, char **argv)
{
	unsigned id;

	if (argc < 2 || parse_id(argv[1], &id) < 0)
		return EINVAL;
	if (!strcmp(argv[0], UBR_HELPER_SET_SCHEDULER) && argc == 3)
		return set_scheduler(id, argv[2]);
	if (!strcmp(argv[0], UBR_HELPER_STOP_DEV) && argc == 2)
		return stop_dev(id);
	return EINVAL;
}
