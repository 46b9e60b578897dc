/* SPDX-License-Identifier: MIT */
/*
 * Who holds a ublk disk open (src/device/disk_holders.c): a mount, a stacked
 * device (device-mapper, md: /sys/block/ublkbN/holders), or a process
 * (/proc/PID/fd), on the disk or one of its partitions. Named for the
 * message of a `del` that is refused; where the kernel has TRY_STOP_DEV
 * its answer decides, the scan only names the holder.
 */
#ifndef UBR_DISK_HOLDERS_H
#define UBR_DISK_HOLDERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Does anyone hold /dev/ublkbID? 1 with who in `who` ("mounted on /mnt",
 * "held by dm-0", "opened by pid 1234 (fio)"), 0 if no one was found
 * (or the disk is gone), -errno if the scan failed.
 */
int ubr_disk_holder(uint32_t id, char *who, size_t len);

/*
 * A mountinfo stream (proc(5)): the mount point of the first mount of
 * one of the nr devices in devs, unescaped, into mnt. 1 if found, else 0.
 */
int ubr_mountinfo_find(FILE *f, const dev_t *devs, unsigned nr, char *mnt,
		       size_t len);

#endif /* UBR_DISK_HOLDERS_H */
