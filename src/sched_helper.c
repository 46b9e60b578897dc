/* SPDX-License-Identifier: MIT */
/*
 * `ublk-reactor helper-set-scheduler ID NAME`: write NAME to
 * /sys/block/ublkbID/queue/scheduler, and say how it went in the exit
 * status alone (see UBR_SCHED_EXIT_OPEN). Not for users: the daemon runs
 * it (src/child.c says why in a process of its own), with stdio on
 * /dev/null. The write may take as long as the disk's requests in flight:
 * the kernel freezes the queue until they are served.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_dev.h"

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

int ubr_sched_helper_main(int argc, char **argv)
{
	char path[64];
	unsigned id;
	ssize_t n;
	size_t len;
	int fd;

	if (argc != 3 || parse_id(argv[1], &id) < 0)
		return EINVAL;
	len = strlen(argv[2]);
	if (!len || len > UBR_SCHED_NAME_MAX)
		return EINVAL;
	snprintf(path, sizeof(path), "/sys/block/ublkb%u/queue/scheduler", id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return UBR_SCHED_EXIT_OPEN | errno_status(errno);
	n = write(fd, argv[2], len);
	if (n < 0)
		return errno_status(errno);
	close(fd);
	return 0;
}
