/* SPDX-License-Identifier: MIT */
/*
 * Opening the backing files an `add` names (src/device/backing_open.c): by the
 * client with the caller's rights, by the daemon for files the config
 * file or a recovery record names.
 */
#ifndef UBR_BACKING_H
#define UBR_BACKING_H

#include <stdbool.h>
#include <stddef.h>

struct ubr_dev_opts;

/*
 * Open one backing file as `add` does (read-write unless read_only) and
 * check it is a regular file or a block device: 0, or -errno with err
 * saying why in one line.
 */
int ubr_backing_open(const char *path, bool read_only, int *fd, char *err,
		     size_t len);
/*
 * Every o->paths[i] into o->fds[i]; the paths become absolute. A socket-
 * backed target's addresses are connected here too, unless the daemon
 * asks (connect false): a device leaves them to its preparation then,
 * which connects off the loop (src/device/backing_connect.c).
 */
int ubr_backing_open_all(struct ubr_dev_opts *o, bool connect, char *err,
			 size_t len);

#endif /* UBR_BACKING_H */
