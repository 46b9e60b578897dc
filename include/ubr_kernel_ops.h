/* SPDX-License-Identifier: MIT */
/*
 * The seam between the daemon and the ublk driver: every way the daemon
 * reaches the kernel's ublk devices, in one place, so that the device
 * state machines can run natively against a scripted double
 * (t/fake_kernel.c) on a host without ublk_drv.
 *
 * 1. Control and I/O commands are SQEs on the shared ring: ADD_DEV ...
 *    DEL_DEV on /dev/ublk-control (src/device/ctrl.c), FETCH_REQ and
 *    COMMIT_AND_FETCH_REQ on /dev/ublkcN (src/device/queue.c). The SQ is the
 *    seam: a double reads the SQEs queued since the last submit, before
 *    any reach the kernel, and answers each through the reactor's own
 *    dispatch (ubr_reactor_dispatch()) with the result it chooses. So the
 *    request path costs nothing extra: no test branch.
 * 2. What a native run cannot do goes through the functions below
 *    (src/device/kernel_ops.c). A test double replaces them at link time: it
 *    defines every function declared here, so the linker never takes
 *    kernel_ops.o from libubr.a (a missing one pulls it in and the link
 *    fails on the duplicates, loudly). Only ubr_kernel_user_copy() runs
 *    per request.
 *
 * Outside a device's life the kernel is still reached directly: by
 * ubr_ctrl_oneshot() in helper processes, and by src/device/kdev_scan.c (the
 * device IDs in sysfs, for `list` and for `del` of devices no daemon
 * serves). No device state machine runs there.
 */
#ifndef UBR_KERNEL_OPS_H
#define UBR_KERNEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ubr_child.h"

struct ubr_reactor;

/* /dev/ublk-control: a descriptor, or -errno. */
int ubr_kernel_open_control(void);
/* GET_FEATURES before the loop runs (the ring has nothing else): 0/-errno. */
int ubr_kernel_get_features(struct ubr_reactor *r, uint64_t *features);
/* /dev/ublkcID: a descriptor, or -errno. */
int ubr_kernel_open_cdev(uint32_t id);
/*
 * A queue's request descriptors: len bytes at off of /dev/ublkcN, read
 * only. MAP_FAILED with errno set on failure; munmap() releases it.
 */
void *ubr_kernel_map_descs(int cdev_fd, off_t off, size_t len);
/*
 * User copy done by the calling thread: len bytes between buf and the
 * request data at pos of /dev/ublkcN (ublk_user_copy_pos()), into the
 * request if to_request. Bytes moved, or -errno.
 */
int ubr_kernel_user_copy(int cdev_fd, void *buf, size_t len, uint64_t pos,
			 bool to_request);
/*
 * A helper process for a kernel call that may wait on our own devices
 * (STOP_DEV, queue/scheduler: src/core/child.c says why): ubr_child_spawn().
 */
int ubr_kernel_helper(struct ubr_reactor *r, char *const argv[],
		      ubr_child_cb cb, void *ctx);

#endif /* UBR_KERNEL_OPS_H */
