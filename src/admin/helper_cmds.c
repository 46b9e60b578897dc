/* SPDX-License-Identifier: MIT */
/*
 * The daemon's helper commands (include/ubr_helper.h): each makes one
 * kernel call that may wait until the requests in flight on one of the
 * daemon's disks are served, so the daemon runs it in a process of its
 * own (src/core/child.c says why), with stdio on /dev/null. Such a helper
 * outlives a killed daemon by as long as the kernel takes to abort the
 * requests, or a recovered daemon to serve them.
 *
 * The rule: nothing the daemon's process waits on, in its thread or its
 * io_uring workers, may depend on its own disks' I/O being served, or its
 * death would not release them. Every call of the daemon's that can sleep
 * in the kernel, and why only these two need a helper:
 * - queue/scheduler writes and STOP_DEV wait, uninterruptibly, for the
 *   disk's queue to drain (blk_mq_freeze_queue_wait): here. Before, a kill
 *   in that wait left the daemon unkillable on 7.2
 *   (t/kernel/kill-during-scheduler.sh, kill-during-del.sh).
 * - START_DEV and END_USER_RECOVERY wait for a FETCH on every tag,
 *   interruptibly. 6.12 reads the partition table inside START_DEV;
 *   reading a page waits killably, and the kill cancels our FETCHes.
 * - DEL_DEV waits, interruptibly, for the last reference to /dev/ublkcN
 *   (DEL_DEV_ASYNC not at all). QUIESCE_DEV waits for idle requests, up to
 *   the timeout it is given (src/device/dev_quiesce.c); killed then, the daemon
 *   died (sid). ADD_DEV, SET_PARAMS, GET_PARAMS, GET_DEV_INFO,
 *   GET_FEATURES, START_USER_RECOVERY and UPDATE_SIZE wait on no I/O.
 * - STOP_DEV and DEL_DEV of devices no daemon serves (src/device/dev_recover.c):
 *   the kernel fails the requests it holds for them, none waits for us.
 * - user copy (reads and writes of /dev/ublkcN) copies a request's pages;
 *   it does no block I/O.
 * - records and names (src/device/record_store.c, src/device/dev_names.c: write, fsync,
 *   rename, symlink, unlink under the run directory, a tmpfs by default)
 *   wait on that directory's file system: it must not sit on one of the
 *   daemon's own disks, nor may the binary (whose pages the daemon
 *   faults in, and which the helpers exec).
 * - backing files (target I/O on the ring, which io_uring may hand to a
 *   worker; BLKGETSIZE64 at add and update-size) wait on the backing's
 *   device. A backing file on one of the daemon's own disks (a ublk device
 *   stacked on another of the same daemon) breaks the rule: not refused
 *   yet, so do not stack a daemon's devices on each other.
 * - the admin socket, the signalfd, libev's epoll: no block I/O.
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
#include "ubr_util.h"

int ubr_helper_errno_status(int err)
{
	return err > 0 && err < UBR_SCHED_EXIT_OPEN ? err : EIO;
}

static int parse_id(const char *s, unsigned *id)
{
	uint64_t v;

	if (ubr_parse_u64(s, 0, UINT32_MAX, &v))
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
	int fd, ret;

	if (!ubr_scheduler_name_ok(name))
		return EINVAL;
	snprintf(path, sizeof(path), "/sys/block/ublkb%u/queue/scheduler", id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return UBR_SCHED_EXIT_OPEN | ubr_helper_errno_status(errno);
	ret = write(fd, name, len) < 0 ? ubr_helper_errno_status(errno) : 0;
	close(fd);
	return ret;
}

/* STOP_DEV deletes the disk, which waits for its requests to drain. */
static int stop_dev(unsigned id)
{
	int ret = ubr_ctrl_oneshot(UBLK_U_CMD_STOP_DEV, id);

	return ret < 0 ? ubr_helper_errno_status(-ret) : 0;
}

/* TRY_STOP_DEV's -EBUSY retries over this long, in 100 ms steps. */
#define TRY_STOP_STEPS 20

/*
 * TRY_STOP_DEV: STOP_DEV only if the disk has no opener. The daemon's
 * scan found none before it sent this (src/device/dev_safe_del.c), so an opener
 * now is most likely a short one (udev's blkid after an add): asked
 * again for 2 s before the answer is EBUSY.
 */
static int try_stop_dev(unsigned id)
{
	int ret, step;

	for (step = 0;; step++) {
		ret = ubr_ctrl_oneshot(UBLK_U_CMD_TRY_STOP_DEV, id);
		if (ret != -EBUSY || step == TRY_STOP_STEPS)
			break;
		usleep(100 * 1000);
	}
	return ret < 0 ? ubr_helper_errno_status(-ret) : 0;
}

bool ubr_is_helper_command(const char *cmd)
{
	return !strcmp(cmd, UBR_HELPER_SET_SCHEDULER) ||
	       !strcmp(cmd, UBR_HELPER_STOP_DEV) ||
	       !strcmp(cmd, UBR_HELPER_CONNECT);
}

int ubr_helper_main(int argc, char **argv)
{
	unsigned id;

	if (!strcmp(argv[0], UBR_HELPER_CONNECT))
		return ubr_helper_connect(argc, argv);
	if (argc < 2 || parse_id(argv[1], &id) < 0)
		return EINVAL;
	if (!strcmp(argv[0], UBR_HELPER_SET_SCHEDULER) && argc == 3)
		return set_scheduler(id, argv[2]);
	if (!strcmp(argv[0], UBR_HELPER_STOP_DEV) && argc == 2)
		return stop_dev(id);
	if (!strcmp(argv[0], UBR_HELPER_STOP_DEV) && argc == 3 &&
	    !strcmp(argv[2], UBR_HELPER_STOP_TRY))
		return try_stop_dev(id);
	return EINVAL;
}
