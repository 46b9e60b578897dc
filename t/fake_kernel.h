/* SPDX-License-Identifier: MIT */
/*
 * A scripted ublk driver for native tests of the device state machines
 * (t/lifecycle.c). It stands in for src/device/kernel_ops.c at link time and
 * reads the control and I/O commands off the ring's SQ before anything is
 * submitted (include/ubr_kernel_ops.h describes the seam). Nothing is
 * answered on its own: the test completes each command with the result it
 * chooses, in the order it chooses, through the daemon's own completion
 * handlers.
 *
 * Each command the daemon issues is written to a log, one token each,
 * space-separated, in issue order; fk_take() returns it and starts a new
 * one:
 *   ADD_DEV any | SET_PARAMS 0 | ...    control command, device id
 *   FETCH 0:1:3 | COMMIT 0:1:3=4096     I/O command, dev:queue:tag(=result)
 *   REG 0:1:3 | UNREG 0:1:3             explicit zero copy's (un)register
 *   COPY_IN 0:1:3 | COPY_OUT 0:1:3      user copy done inline (it moves
 *                                       nothing and reports the full length)
 *   COPY_IN 0:1:3 (ring)                ... or on the ring (the test answers)
 *   (fallback)                          the fetch before it lets auto
 *                                       registration fall back
 *   [stop-dev 0]                        a helper process (its arguments)
 * DEL_DEV is logged "DEL_DEV 0 (ublkc0 open)" if /dev/ublkc0 was still
 * open when it was sent: the kernel would wait for ever.
 *
 * The SQEs read are replaced by no-ops, which fk_collect() submits (each
 * call below makes one). Between two calls the daemon's SQEs must fit in
 * the SQ (64 entries in t/lifecycle.c), or ubr_reactor_sqe() would submit
 * them for real.
 */
#ifndef UBR_FAKE_KERNEL_H
#define UBR_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ubr_reactor;

/* What GET_FEATURES answers at ubr_reactor_init(). */
extern uint64_t fk_features;
/* The ID ADD_DEV gives a device asked for with any ID (then counts up). */
extern uint32_t fk_next_id;

/* Forget every command and open file (between tests). */
void fk_reset(void);
/* Take the SQEs the daemon queued into the log (done by every call below). */
void fk_collect(struct ubr_reactor *r);
/* The log since the last call (a static buffer); "" if nothing was issued. */
const char *fk_take(struct ubr_reactor *r);

/*
 * Answer the oldest unanswered command `name` of device `dev` with res:
 * a control command ("SET_PARAMS"), or a helper ("stop-dev"). For buf,
 * copy len bytes into the command's buffer first (GET_DEV_INFO's info,
 * GET_PARAMS's params). ADD_DEV for any ID gets fk_next_id. 0, or
 * -ENOENT if no such command waits.
 */
int fk_complete(struct ubr_reactor *r, const char *name, uint32_t dev,
		int res);
int fk_complete_buf(struct ubr_reactor *r, const char *name, uint32_t dev,
		    int res, const void *buf, size_t len);
/* GET_DEV_INFO answered with the kernel's device state (UBLK_S_DEV_*). */
int fk_complete_state(struct ubr_reactor *r, uint32_t dev, unsigned state);
/* Does an unanswered command `name` (as above) of dev wait? */
bool fk_waiting(struct ubr_reactor *r, const char *name, uint32_t dev);
/* The data[0] of the newest control command `name` of dev, or -1. */
int64_t fk_data0(const char *name, uint32_t dev);
/* The newest control command's buffer (what SET_PARAMS sent), or NULL. */
const void *fk_buf(const char *name, uint32_t dev);

/* I/O commands of dev the kernel holds. */
unsigned fk_io_pending(uint32_t dev);
/* Answer every one of them UBLK_IO_RES_ABORT, oldest first; how many. */
unsigned fk_abort_io(struct ubr_reactor *r, uint32_t dev);
/*
 * A request arrives at dev:q:tag (op UBLK_IO_OP_*, sectors): its
 * descriptor is written, the command held for the tag answered
 * UBLK_IO_RES_OK. 0, or -ENOENT if the kernel holds none for the tag.
 */
int fk_request(struct ubr_reactor *r, uint32_t dev, unsigned q, unsigned tag,
	       unsigned op, unsigned sectors);

/*
 * Answer the REGISTER_IO_BUF the daemon sent for dev:q:tag with res (0 or
 * -errno). 0, or -ENOENT if none waits. An UNREGISTER_IO_BUF that posts
 * no CQE on success needs no answer.
 */
int fk_complete_reg(struct ubr_reactor *r, uint32_t dev, unsigned q,
		    unsigned tag, int res);

/* Is /dev/ublkcID open in the daemon? */
bool fk_cdev_open(uint32_t id);
/* The next open of a /dev/ublkcN fails with err (0: none). */
extern int fk_open_cdev_err;

/*
 * Run the daemon's libev loop (its timers) until done(arg) or max_s
 * seconds; whether done(arg) became true.
 */
bool fk_wait(struct ubr_reactor *r, double max_s, bool (*done)(void *arg),
	     void *arg);

#endif /* UBR_FAKE_KERNEL_H */
