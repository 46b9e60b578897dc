/* SPDX-License-Identifier: MIT */
/*
 * A device's life as a chain of asynchronous control commands:
 *
 *   add:    ADD_DEV -> open /dev/ublkcN, map queues -> SET_PARAMS
 *           -> FETCH every tag + START_DEV -> live
 *   delete: STOP_DEV -> every ublk command back (aborted) and no target
 *           I/O left -> drop the fixed file, unmap, close -> DEL_DEV
 *
 * Each step runs from a completion in the reactor thread, so other devices
 * keep serving while one starts (the kernel scans partitions inside or right
 * after START_DEV) or stops. A failed add goes down the delete path, so no
 * half-made kernel device is left behind.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_compat.h"
#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_helper.h"
#include "ubr_kdev.h"
#include "ubr_kernel_ops.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

void ubr_dev_free(struct ubr_dev *dev)
{
	ubr_backing_connect_cancel(dev);
	if (dev->ops && dev->ops->deinit && dev->tgt)
		dev->ops->deinit(dev);
	ubr_dev_quiesce_free(dev);
	ubr_dev_drain_free(dev);
	ubr_queues_free(dev);
	if (ubr_copy_mode_zero(dev->copy_mode))
		ubr_buf_slots_free(dev->r, dev->buf_base,
				   (unsigned)dev->opts.nr_queues * dev->opts.depth);
	ubr_dev_opts_release(&dev->opts);
	free(dev->tgt_desc);
	free(dev);
}

/* Report the add's outcome (once), and the delete's, then forget dev. */
void ubr_dev_finish(struct ubr_dev *dev)
{
	struct ubr_reactor *r = dev->r;
	uint32_t id = dev->id;
	ubr_dev_done_cb add_cb = dev->add_cb, del_cb = dev->del_cb;
	void *add_ctx = dev->add_ctx, *del_ctx = dev->del_ctx;
	int err = dev->err ? dev->err : -EIO;
	char msg[sizeof(dev->err_msg)];

	memcpy(msg, dev->err_msg, sizeof(msg));
	/* Only a record this device wrote: a failed add may share its ID. */
	if (dev->recorded)
		ubr_dev_record_remove(dev);
	ubr_dev_slot_free(r, dev);
	ubr_dev_free(dev);
	if (add_cb)
		add_cb(add_ctx, err, msg, id);
	if (del_cb)
		del_cb(del_ctx, 0, NULL, id);
}

/*
 * Record the first failure of an add, then take the device down. Before
 * ADD_DEV answers, a device asked for with any ID has none to name.
 */
static void add_failed(struct ubr_dev *dev, int err, const char *what)
{
	if (!dev->err) {
		dev->err = err;
		if (!dev->err_msg[0] && dev->id == UBR_DEV_ID_ANY)
			ubr_dev_set_err(dev, "%s failed: %s", what,
					strerror(-err));
		else if (!dev->err_msg[0])
			ubr_dev_set_err(dev, "dev %u: %s failed: %s", dev->id,
					what, strerror(-err));
	}
	ubr_warn("%s", dev->err_msg);
	ubr_dev_teardown(dev);
}

/*
 * The add's copy flags. Zero copy asks for SUPPORT_ZERO_COPY too where the
 * kernel has it: a request whose pages the kernel could not register then
 * comes with UBLK_IO_F_NEED_REG_BUF instead of failing (the FALLBACK flag
 * in each fetch), and we register them ourselves, which needs that flag.
 */
static uint64_t copy_mode_flags(const struct ubr_dev *dev)
{
	uint64_t user = dev->ops->flags & UBR_TGT_ZERO_COPY_SOCKET ?
				UBLK_F_USER_COPY : 0;

	switch (dev->copy_mode) {
	case UBR_COPY_USER: return UBLK_F_USER_COPY;
	case UBR_COPY_ZERO:
		return UBLK_F_AUTO_BUF_REG | user |
		       (dev->r->features & UBLK_F_SUPPORT_ZERO_COPY);
	case UBR_COPY_ZERO_EXPLICIT: return UBLK_F_SUPPORT_ZERO_COPY | user;
	case UBR_COPY_GET_DATA: return UBLK_F_NEED_GET_DATA;
	default: return 0;
	}
}

/*
 * A socket target copies into zero copy requests through /dev/ublkcN from
 * this thread, which is safe where ubr_inline_io_safe() says so.
 */
static bool can_zero_copy(const struct ubr_dev *dev)
{
	unsigned f = dev->ops->flags;

	return dev->r->nr_buf_slots &&
	       ((f & (UBR_TGT_ZERO_COPY | UBR_TGT_NO_DATA)) ||
		((f & UBR_TGT_ZERO_COPY_SOCKET) &&
		 ubr_inline_io_safe(dev->r->features)));
}

/* Best first: no copy at all, then pool-bounded copies, then buffers. */
static enum ubr_copy_mode auto_copy_mode(const struct ubr_dev *dev)
{
	uint64_t f = dev->r->features;

	if (dev->ops->flags & UBR_TGT_NO_DATA)
		return f & UBLK_F_USER_COPY ? UBR_COPY_USER : UBR_COPY_BUFFER;
	if (can_zero_copy(dev) && (f & UBLK_F_AUTO_BUF_REG) &&
	    !(dev->ops->flags & UBR_TGT_ZERO_COPY_SOCKET))
		return UBR_COPY_ZERO;
	return f & UBLK_F_USER_COPY ? UBR_COPY_USER : UBR_COPY_BUFFER;
}

static int refuse_copy_mode(struct ubr_dev *dev, enum ubr_copy_mode m,
			    const char *why)
{
	ubr_dev_set_err(dev, "copy mode '%s' is not available: %s",
			ubr_copy_mode_name(m), why);
	return -EOPNOTSUPP;
}

/* Why the kernel cannot do copy mode m: NULL if it can. */
static const char *kernel_lacks(uint64_t f, enum ubr_copy_mode m)
{
	if (m == UBR_COPY_USER && !(f & UBLK_F_USER_COPY))
		return "the kernel lacks UBLK_F_USER_COPY";
	if (m == UBR_COPY_ZERO && !(f & UBLK_F_AUTO_BUF_REG))
		return "the kernel lacks UBLK_F_AUTO_BUF_REG";
	if (m == UBR_COPY_ZERO_EXPLICIT && !(f & UBLK_F_SUPPORT_ZERO_COPY))
		return "the kernel lacks UBLK_F_SUPPORT_ZERO_COPY";
	if (m == UBR_COPY_GET_DATA && !(f & UBLK_F_NEED_GET_DATA))
		return "the kernel lacks UBLK_F_NEED_GET_DATA";
	return NULL;
}

/*
 * The copy mode: the one asked for if the kernel and target can do it,
 * else the cheapest available. Zero copy also needs queues x depth slots
 * of the ring's buffer table; "auto" falls back when they are taken.
 */
static int choose_copy_mode(struct ubr_dev *dev)
{
	uint64_t f = dev->r->features;
	enum ubr_copy_mode m = dev->opts.copy_mode;
	unsigned n = (unsigned)dev->opts.nr_queues * dev->opts.depth;
	const char *why = kernel_lacks(f, m);

	if (m == UBR_COPY_AUTO)
		m = auto_copy_mode(dev);
	else if (why)
		return refuse_copy_mode(dev, m, why);
	else if (ubr_copy_mode_zero(m) && !can_zero_copy(dev))
		return refuse_copy_mode(dev, m, "not supported by this target");
	if (ubr_copy_mode_zero(m)) {
		dev->buf_base = ubr_buf_slots_alloc(dev->r, n);
		if (dev->buf_base < 0) {
			if (dev->opts.copy_mode != UBR_COPY_AUTO)
				return refuse_copy_mode(dev, m,
					"the ring's buffer table is full");
			m = f & UBLK_F_USER_COPY ? UBR_COPY_USER
						 : UBR_COPY_BUFFER;
		}
	}
	dev->copy_mode = m;
	return 0;
}

static int refuse_recovery(struct ubr_dev *dev, enum ubr_recovery m,
			   const char *flag)
{
	ubr_dev_set_err(dev, "recovery mode '%s' is not available: the kernel lacks %s",
			ubr_recovery_name(m), flag);
	return -EOPNOTSUPP;
}

/* Reissue where the kernel can: a crash then costs the applications nothing. */
static int choose_recovery(struct ubr_dev *dev)
{
	uint64_t f = dev->r->features;
	enum ubr_recovery m = dev->opts.recovery;
	bool user = f & UBLK_F_USER_RECOVERY;

	if (m == UBR_RECOVERY_DEFAULT)
		m = user && (f & UBLK_F_USER_RECOVERY_REISSUE) ?
			    UBR_RECOVERY_REISSUE : UBR_RECOVERY_OFF;
	else if (m != UBR_RECOVERY_OFF && !user)
		return refuse_recovery(dev, m, "UBLK_F_USER_RECOVERY");
	else if (m == UBR_RECOVERY_REISSUE && !(f & UBLK_F_USER_RECOVERY_REISSUE))
		return refuse_recovery(dev, m, "UBLK_F_USER_RECOVERY_REISSUE");
	else if (m == UBR_RECOVERY_FAIL_IO && !(f & UBLK_F_USER_RECOVERY_FAIL_IO))
		return refuse_recovery(dev, m, "UBLK_F_USER_RECOVERY_FAIL_IO");
	dev->recovery = m;
	return 0;
}

static uint64_t recovery_flags(const struct ubr_dev *dev)
{
	uint64_t f = UBLK_F_USER_RECOVERY;

	switch (dev->recovery) {
	case UBR_RECOVERY_QUEUE: break;
	case UBR_RECOVERY_REISSUE: f |= UBLK_F_USER_RECOVERY_REISSUE; break;
	case UBR_RECOVERY_FAIL_IO: f |= UBLK_F_USER_RECOVERY_FAIL_IO; break;
	default: return 0;
	}
	/* QUIESCE lets a planned stop finish in-flight I/O first. */
	return f | (dev->r->features & UBLK_F_QUIESCE);
}

static void fill_dev_info(struct ubr_dev *dev, struct ublksrv_ctrl_dev_info *i)
{
	memset(i, 0, sizeof(*i));
	i->nr_hw_queues = dev->opts.nr_queues;
	i->queue_depth = dev->opts.depth;
	i->max_io_buf_bytes = dev->opts.max_io_bytes;
	i->dev_id = dev->opts.id;
	i->ublksrv_pid = getpid();
	i->flags = copy_mode_flags(dev) | recovery_flags(dev) |
		   (dev->r->features & UBLK_F_CMD_IOCTL_ENCODE);
	if (dev->opts.no_part_scan)
		i->flags |= UBLK_F_NO_AUTO_PART_SCAN;
	if (dev->batch_io)
		i->flags |= UBLK_F_BATCH_IO;
	/* Resizable, and quiescable, wherever the kernel can do it. */
	i->flags |= dev->r->features & UBLK_F_UPDATE_SIZE;
}

/* --- delete ------------------------------------------------------------- */

static void del_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			int res)
{
	struct ubr_dev *dev = req->ctx;

	/* -ENODEV: another process deleted it first (its del --force). */
	if (res < 0 && res != -ENODEV)
		ubr_err("dev %u: DEL_DEV failed: %s", dev->id, strerror(-res));
	else
		ubr_info("dev %u: deleted", dev->id);
	ubr_dev_finish(dev);
}

/*
 * The kernel lets go of the device only once /dev/ublkcN is neither open
 * nor mapped: drop the fixed file, the mappings, the descriptor.
 */
void ubr_dev_release_cdev(struct ubr_dev *dev, bool keep_queues)
{
	int none = -1;

	if (dev->cdev_fixed) {
		io_uring_register_files_update(&dev->r->ring, dev->slot, &none,
					       1);
		dev->cdev_fixed = false;
	}
	if (keep_queues)
		ubr_queues_unmap(dev);
	else
		ubr_queues_free(dev);
	if (dev->cdev_fd >= 0)
		close(dev->cdev_fd);
	dev->cdev_fd = -1;
}

static void send_del(struct ubr_dev *dev)
{
	dev->state = UBR_DEV_DELETING;
	ubr_dev_release_cdev(dev, false);
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_DEL_DEV, dev->id, 0,
			     del_done_cb, dev)) {
		ubr_err("dev %u: cannot queue DEL_DEV: out of memory", dev->id);
		ubr_dev_finish(dev);
	}
}

void ubr_dev_teardown_step(struct ubr_dev *dev)
{
	if (dev->state == UBR_DEV_QUIESCING)
		ubr_dev_quiesce_step(dev);
	if (dev->state == UBR_DEV_STOPPING && dev->stop_done &&
	    ubr_queues_idle(dev))
		send_del(dev);
}

/*
 * A command of a live device came back aborted while this daemon asked
 * for nothing that aborts them (a stop, a quiesce, a resize): another
 * process stopped the device (`del --force` from elsewhere). Its DEL_DEV
 * waits until /dev/ublkcN is closed, so let the device go.
 */
static bool stopped_elsewhere(const struct ubr_dev *dev)
{
	return dev->state == UBR_DEV_LIVE && !dev->r->stopping &&
	       !dev->ctl_busy;
}

void ubr_dev_queue_event(struct ubr_queue *q, unsigned tag,
			 enum ubr_queue_event ev)
{
	struct ubr_dev *dev = q->dev;

	if (ev == UBR_QEV_ARRIVED) {
		ubr_dev_hold_request(q, tag);
		return;
	}
	if (ev == UBR_QEV_ABORTED && stopped_elsewhere(dev)) {
		ubr_warn("dev %u: stopped by another process: deleting it",
			 dev->id);
		ubr_dev_teardown(dev);
	}
	ubr_dev_teardown_step(dev);
}

/* STOP_DEVs sent before a device the kernel keeps live is given up on. */
#define UBR_STOP_TRIES 3

static void stop_send(struct ubr_dev *dev);

/*
 * Back to serving (or quiesced), as before the delete, which fails with
 * msg: the kernel did not stop the device.
 */
static void del_undo(struct ubr_dev *dev, int err, const char *msg)
{
	ubr_dev_done_cb cb = dev->del_cb;

	dev->state = dev->state_before_stop == UBR_DEV_QUIESCED ?
			     UBR_DEV_QUIESCED : UBR_DEV_LIVE;
	dev->stop_done = false;
	dev->stop_tries = 0;
	dev->safe_stop = false;
	dev->del_cb = NULL;
	ubr_dev_names_publish(dev);
	ubr_dev_names_link(dev);
	if (cb)
		cb(dev->del_ctx, err, msg, dev->id);
}

/*
 * The kernel kept the device live: it serves on, as before the delete,
 * and the delete fails with a message rather than wait for commands that
 * will not come back. (A failed add, which has no live state to go back
 * to, waits.)
 */
static void stop_refused(struct ubr_dev *dev)
{
	char msg[128];

	ubr_err("dev %u: still live after %u STOP_DEVs", dev->id,
		dev->stop_tries);
	if (dev->add_cb)
		return;
	snprintf(msg, sizeof(msg),
		 "device %u: the kernel did not stop it (still live after %u tries)",
		 dev->id, dev->stop_tries);
	del_undo(dev, -EIO, msg);
}

/*
 * TRY_STOP_DEV found the disk open (src/device/dev_safe_del.c): the device
 * serves on, and the message names the holder if the scan finds one. A
 * failed add is torn down whatever holds it: it never served.
 */
static void stop_busy(struct ubr_dev *dev)
{
	char msg[320];

	dev->safe_stop = false;
	if (dev->add_cb) {
		stop_send(dev);
		return;
	}
	ubr_info("dev %u: TRY_STOP_DEV: the disk is open: not deleted",
		 dev->id);
	if (!ubr_dev_in_use(dev->id, msg, sizeof(msg)))
		snprintf(msg, sizeof(msg),
			 "device %u is in use: the kernel counts an opener",
			 dev->id);
	del_undo(dev, -EBUSY, msg);
}

/*
 * STOP_DEV's answer is not enough: a STOP_DEV the kernel read for another
 * device (see ctrl_prep_sqe()) answered 0 or -ENODEV and left this one
 * live, and the delete then waited for ever for its commands. Ask the
 * kernel, and send STOP_DEV again while it says LIVE.
 */
static void stop_check_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			  int res)
{
	struct ubr_dev *dev = req->ctx;

	(void)r;
	if (res < 0)
		ubr_warn("dev %u: GET_DEV_INFO after STOP_DEV: %s", dev->id,
			 strerror(-res));
	if (res < 0 || req->buf.info.state != UBLK_S_DEV_LIVE) {
		dev->stop_done = true;
		ubr_dev_teardown_step(dev);
	} else if (dev->stop_tries < UBR_STOP_TRIES) {
		ubr_warn("dev %u: still live after STOP_DEV: sending it again",
			 dev->id);
		stop_send(dev);
	} else {
		stop_refused(dev);
	}
}

/*
 * STOP_DEV's answer, from the helper or our ring: check that the kernel
 * did stop the device (see stop_check_cb()).
 */
static void stop_done(struct ubr_dev *dev, int res)
{
	if (res == -EBUSY && dev->safe_stop) {
		stop_busy(dev);
		return;
	}
	if (res < 0)
		ubr_warn("dev %u: STOP_DEV: %s", dev->id, strerror(-res));
	if (!ubr_ctrl_submit(dev->r, UBLK_U_CMD_GET_DEV_INFO, dev->id, 0,
			     stop_check_cb, dev)) {
		ubr_err("dev %u: cannot queue GET_DEV_INFO: out of memory",
			dev->id);
		dev->stop_done = true;
		ubr_dev_teardown_step(dev);
	}
}

static void stop_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			 int res)
{
	(void)r;
	stop_done(req->ctx, res);
}

/*
 * No helper, or it failed: STOP_DEV on our ring (it may be sent twice,
 * stopping a stopped device does nothing). The teardown must go on.
 */
static void send_stop_here(struct ubr_dev *dev, int why)
{
	uint32_t op = dev->safe_stop ? UBLK_U_CMD_TRY_STOP_DEV :
				       UBLK_U_CMD_STOP_DEV;

	ubr_warn("dev %u: the STOP_DEV helper failed: %s: %s from the daemon",
		 dev->id, strerror(-why), ubr_ctrl_op_name(op));
	if (!ubr_ctrl_submit(dev->r, op, dev->id, 0, stop_done_cb, dev)) {
		ubr_err("dev %u: cannot queue STOP_DEV: out of memory", dev->id);
		dev->stop_done = true;
		ubr_dev_teardown_step(dev);
	}
}

static void stop_helper_done_cb(void *ctx, int res)
{
	struct ubr_dev *dev = ctx;

	if (res == -EBUSY && dev->safe_stop)
		stop_busy(dev);
	else if (res < 0)
		send_stop_here(ctx, res);
	else
		stop_done(ctx, res);
}

/*
 * STOP_DEV deletes the disk, and the kernel waits there, uninterruptibly,
 * until the requests in flight are served: from a helper process, as the
 * scheduler switch (src/core/child.c says why). STOP_DEV also returns FETCHes
 * of a device that never started.
 */
static void stop_send(struct ubr_dev *dev)
{
	char id[16];
	char *argv[] = { "ublk-reactor", UBR_HELPER_STOP_DEV, id, NULL, NULL };
	int ret;

	if (dev->safe_stop)
		argv[3] = UBR_HELPER_STOP_TRY;
	dev->stop_tries++;
	snprintf(id, sizeof(id), "%u", dev->id);
	ret = ubr_kernel_helper(dev->r, argv, stop_helper_done_cb, dev);
	if (ret < 0)
		send_stop_here(dev, ret);
}

void ubr_dev_teardown(struct ubr_dev *dev)
{
	if (dev->state == UBR_DEV_STOPPING || dev->state == UBR_DEV_DELETING)
		return;
	if (dev->cdev_fd < 0 && !dev->id_known) {
		/* ADD_DEV itself failed: nothing exists in the kernel. */
		ubr_dev_finish(dev);
		return;
	}
	dev->state_before_stop = dev->state;
	dev->state = UBR_DEV_STOPPING;
	ubr_dev_names_unpublish(dev);
	stop_send(dev);
}

/* Between chains: live or quiesced, with no control command in flight. */
static bool can_teardown(const struct ubr_dev *dev)
{
	return (dev->state == UBR_DEV_LIVE || dev->state == UBR_DEV_QUIESCED) &&
	       !dev->ctl_busy;
}

int ubr_dev_del(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		void *ctx)
{
	struct ubr_dev *dev = ubr_dev_find(r, id);
	char msg[64];

	if (!dev) {
		snprintf(msg, sizeof(msg), "no device %u", id);
		if (cb)
			cb(ctx, -ENOENT, msg, id);
		return -ENOENT;
	}
	if (ubr_dev_going_away(dev)) {
		snprintf(msg, sizeof(msg), "device %u is already being deleted",
			 id);
		if (cb)
			cb(ctx, -EBUSY, msg, id);
		return -EBUSY;
	}
	dev->del_cb = cb;
	dev->del_ctx = ctx;
	if (can_teardown(dev))
		ubr_dev_teardown(dev);
	else
		dev->del_queued = true; /* once START_DEV or the control answered */
	return 0;
}

void ubr_dev_ctl_end(struct ubr_dev *dev)
{
	dev->ctl_busy = false;
	if ((dev->del_queued || dev->r->stopping) && can_teardown(dev)) {
		dev->del_queued = false;
		ubr_dev_teardown(dev);
	}
}

/* --- add ---------------------------------------------------------------- */

void ubr_dev_go_live(struct ubr_dev *dev)
{
	ubr_dev_done_cb cb = dev->add_cb;

	dev->state = UBR_DEV_LIVE;
	dev->add_cb = NULL;
	if (dev->recovery != UBR_RECOVERY_OFF)
		ubr_dev_record_save(dev);
	ubr_dev_names_link(dev);
	if (cb)
		cb(dev->add_ctx, 0, NULL, dev->id);
	if (dev->del_queued || dev->r->stopping) {
		dev->del_queued = false;
		ubr_dev_teardown(dev);
	}
}

/* The disk serves: the device is live, and add answers. */
static void add_done_live(struct ubr_dev *dev)
{
	ubr_info("dev %u: serving /dev/ublkb%u (%s, %u queue(s), depth %u, %s copy%s%s)",
		 dev->id, dev->id, dev->ops->name, dev->opts.nr_queues,
		 dev->opts.depth, ubr_copy_mode_name(dev->copy_mode),
		 dev->opts.name[0] ? ", name " : "", dev->opts.name);
	ubr_dev_go_live(dev);
}

/* The helper's errno (its exit status, see UBR_SCHED_EXIT_OPEN). */
static int sched_errno(int res)
{
	return -res & ~UBR_SCHED_EXIT_OPEN;
}

/* "refused: Invalid argument", or why the helper could not write. */
static void sched_strerror(unsigned id, int res, char *buf, size_t len)
{
	if (-res & UBR_SCHED_EXIT_OPEN)
		snprintf(buf, len, "not set: /sys/block/ublkb%u/queue/scheduler: %s",
			 id, strerror(sched_errno(res)));
	else
		snprintf(buf, len, "refused: %s", strerror(sched_errno(res)));
}

static void scheduler_done_cb(void *ctx, int res)
{
	struct ubr_dev *dev = ctx;
	char why[128];

	if (res < 0) {
		sched_strerror(dev->id, res, why, sizeof(why));
		ubr_dev_set_err(dev, "dev %u: I/O scheduler '%s' %s (--scheduler kernel keeps the kernel's)",
				dev->id, dev->opts.scheduler, why);
		add_failed(dev, -sched_errno(res), "setting the I/O scheduler");
		return;
	}
	add_done_live(dev);
}

/*
 * The default scheduler, set after add answered: the device may be gone
 * by now, so the context is its ID alone.
 */
static void default_scheduler_done_cb(void *ctx, int res)
{
	unsigned id = (unsigned)(uintptr_t)ctx;
	char why[128];

	if (res < 0) {
		sched_strerror(id, res, why, sizeof(why));
		ubr_warn("dev %u: I/O scheduler '%s' %s", id,
			 UBR_DEFAULT_SCHEDULER, why);
	}
}

/*
 * Write a scheduler to disk `id`'s queue/scheduler, from a helper process
 * (src/core/child.c says why not here, nor on an io_uring worker of ours):
 * the switch freezes the queue until the requests in flight (the partition
 * scan's, udev's) are served, by this very thread. The switch took
 * 35-55 ms of add's time under TCG (doc/PERFORMANCE.md). add waits for a
 * scheduler named on its command line, and fails if the kernel refuses
 * it, but not for the default (see start_done_cb).
 */
static int spawn_scheduler(struct ubr_reactor *r, unsigned id,
			   const char *sched, ubr_child_cb cb, void *ctx)
{
	char id_arg[16], name[UBR_SCHED_NAME_MAX + 1];
	char *argv[] = { "ublk-reactor", UBR_HELPER_SET_SCHEDULER, id_arg, name,
			 NULL };

	snprintf(id_arg, sizeof(id_arg), "%u", id);
	snprintf(name, sizeof(name), "%s", sched);
	return ubr_kernel_helper(r, argv, cb, ctx);
}

/* --scheduler NAME: add answers once the helper has set it. */
static int set_scheduler(struct ubr_reactor *r, struct ubr_dev *dev)
{
	int ret = spawn_scheduler(r, dev->id, dev->opts.scheduler,
				  scheduler_done_cb, dev);

	if (ret < 0)
		ubr_dev_set_err(dev, "dev %u: cannot start the I/O scheduler's helper: %s",
				dev->id, strerror(-ret));
	return ret;
}

/*
 * The default scheduler, after add answered: starting the helper holds
 * this thread for the child's fork and exec (30-40 ms of add's 80 under
 * TCG, measured in the sid VM), which the caller need not wait for. A
 * failure is only logged: the device works either way.
 */
static void set_default_scheduler(struct ubr_reactor *r, unsigned id)
{
	int ret = spawn_scheduler(r, id, UBR_DEFAULT_SCHEDULER,
				  default_scheduler_done_cb,
				  (void *)(uintptr_t)id);

	if (ret < 0)
		ubr_warn("dev %u: cannot start the I/O scheduler's helper: %s",
			 id, strerror(-ret));
}

static void start_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			  int res)
{
	struct ubr_dev *dev = req->ctx;

	if (res < 0) {
		add_failed(dev, res, "START_DEV");
		return;
	}
	if (!strcmp(dev->opts.scheduler, UBR_SCHED_KERNEL)) {
		add_done_live(dev);
		return;
	}
	if (!strcmp(dev->opts.scheduler, UBR_DEFAULT_SCHEDULER)) {
		/* Going live may tear the device down (a del that waited). */
		unsigned id = dev->id;
		bool stays = !dev->del_queued && !r->stopping;

		add_done_live(dev);
		if (stays)
			set_default_scheduler(r, id);
		return;
	}
	res = set_scheduler(r, dev);
	if (res < 0)
		add_failed(dev, res, "setting the I/O scheduler");
}

static void params_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			   int res)
{
	struct ubr_dev *dev = req->ctx;

	if (res < 0) {
		add_failed(dev, res, "SET_PARAMS");
		return;
	}
	dev->state = UBR_DEV_STARTING;
	/*
	 * The FETCHes go to the kernel in the same submit as START_DEV, ahead
	 * of it; START_DEV (run on a kernel worker) waits for all of them.
	 */
	ubr_queues_fetch_all(dev);
	if (!ubr_ctrl_submit(r, UBLK_U_CMD_START_DEV, dev->id, getpid(),
			     start_done_cb, dev))
		add_failed(dev, -ENOMEM, "START_DEV");
}

int ubr_dev_open_cdev(struct ubr_dev *dev)
{
	char path[32];
	int ret;

	snprintf(path, sizeof(path), "/dev/ublkc%u", dev->id);
	ret = ubr_kernel_open_cdev(dev->id);
	if (ret < 0) {
		ubr_dev_set_err(dev, "dev %u: cannot open %s: %s", dev->id,
				path, strerror(-ret));
		return ret;
	}
	dev->cdev_fd = ret;
	if (!dev->r->fixed_files)
		return 0;
	if (io_uring_register_files_update(&dev->r->ring, dev->slot,
					   &dev->cdev_fd, 1) < 0) {
		ubr_dev_set_err(dev, "dev %u: cannot register %s in the ring",
				dev->id, path);
		return -ENOMEM;
	}
	dev->cdev_fixed = true;
	return 0;
}

/*
 * ADD_DEV said the ID is taken: say by what, so that a dead device left by
 * a killed daemon points to `del`, not to a reboot.
 */
static void exists_info_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			   int res)
{
	struct ubr_dev *dev = req->ctx;
	struct ubr_kdev k = { .id = dev->opts.id, .err = res < 0 ? res : 0 };

	(void)r;
	if (res >= 0)
		k.info = req->buf.info;
	ubr_kdev_judge(&k);
	ubr_kdev_in_use_msg(&k, dev->err_msg, sizeof(dev->err_msg));
	add_failed(dev, -EEXIST, "ADD_DEV");
}

static void add_done_cb(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			int res)
{
	struct ubr_dev *dev = req->ctx;
	struct ubr_ctrl_req *p;
	int ret;

	if (res == -EEXIST && ubr_ctrl_submit(r, UBLK_U_CMD_GET_DEV_INFO,
					      dev->opts.id, 0, exists_info_cb,
					      dev))
		return;
	if (res < 0) {
		if (res == -EEXIST)
			ubr_dev_set_err(dev, "device ID %u is already in use",
					dev->opts.id);
		add_failed(dev, res, "ADD_DEV");
		return;
	}
	dev->info = req->buf.info;
	dev->id = dev->info.dev_id;
	dev->id_known = true;
	ubr_dev_names_publish(dev);
	ret = ubr_dev_open_cdev(dev);
	if (!ret)
		ret = ubr_queues_setup(dev);
	if (ret < 0) {
		add_failed(dev, ret, "queue setup");
		return;
	}
	p = ubr_ctrl_submit(r, UBLK_U_CMD_SET_PARAMS, dev->id, 0,
			    params_done_cb, dev);
	if (!p) {
		add_failed(dev, -ENOMEM, "SET_PARAMS");
		return;
	}
	p->buf.params = dev->params;
	p->buf.params.len = sizeof(p->buf.params);
}

/*
 * Batch I/O (--batch-io): the kernel must have it, and the copy mode fit
 * its commands: they have no NEED_GET_DATA round (get-data), and
 * zero-explicit, which would work as zero's fallback registrations do,
 * is left out until a test covers it. A recovery takes the kernel's flag
 * instead (src/device/dev_recover.c): the device was added with it or not.
 */
static int choose_batch_io(struct ubr_dev *dev)
{
	enum ubr_batch_io m = dev->opts.batch_io;
	const char *why = NULL;

	dev->batch_io = false;
	if (m == UBR_BATCH_IO_OFF)
		return 0;
	if (!(dev->r->features & UBLK_F_BATCH_IO))
		why = "the kernel lacks UBLK_F_BATCH_IO";
	else if (dev->copy_mode == UBR_COPY_GET_DATA ||
		 dev->copy_mode == UBR_COPY_ZERO_EXPLICIT)
		why = dev->copy_mode == UBR_COPY_GET_DATA ?
			      "not with copy mode get-data" :
			      "not with copy mode zero-explicit";
	if (!why) {
		dev->batch_io = true;
		return 0;
	}
	if (m == UBR_BATCH_IO_AUTO)
		return 0;
	ubr_dev_set_err(dev, "--batch-io on is not available: %s", why);
	return -EOPNOTSUPP;
}

static int prepare_checks(struct ubr_dev *dev)
{
	int ret;

	dev->ops = ubr_target_find(dev->opts.target);
	if (!dev->ops) {
		ubr_dev_set_err(dev, "unknown target '%s'", dev->opts.target);
		return -EINVAL;
	}
	if (dev->ops->variant)
		dev->ops = dev->ops->variant(&dev->opts);
	ret = choose_copy_mode(dev);
	if (!ret)
		ret = choose_recovery(dev);
	if (!ret)
		ret = choose_batch_io(dev);
	if (ret < 0)
		return ret;
	if (dev->opts.no_part_scan &&
	    !(dev->r->features & UBLK_F_NO_AUTO_PART_SCAN)) {
		ubr_dev_set_err(dev, "--no-partition-scan is not available: the kernel lacks UBLK_F_NO_AUTO_PART_SCAN");
		return -EOPNOTSUPP;
	}
	return 0;
}

void ubr_dev_prepare(struct ubr_dev *dev,
		     void (*done)(struct ubr_dev *dev, int ret))
{
	int ret;

	dev->state = UBR_DEV_PREPARING;
	dev->prepared = done;
	ret = prepare_checks(dev);
	/* A recovery's GET_PARAMS may answer after a stop has begun. */
	if (!ret && dev->r->stopping) {
		ubr_dev_set_err(dev, "the daemon is shutting down");
		ret = -ESHUTDOWN;
	}
	if (!ret)
		ret = ubr_backing_connect_start(dev);
	if (ret != -EINPROGRESS)
		ubr_dev_backing_ready(dev, ret);
}

void ubr_dev_backing_ready(struct ubr_dev *dev, int ret)
{
	if (!ret)
		ret = ubr_dev_note_files(dev);
	if (!ret) {
		memset(&dev->params, 0, sizeof(dev->params));
		ret = dev->ops->init(dev);
	}
	if (ret != -EINPROGRESS)
		ubr_dev_init_done(dev, ret);
}

void ubr_dev_init_done(struct ubr_dev *dev, int ret)
{
	void (*done)(struct ubr_dev *dev, int ret) = dev->prepared;

	dev->prepared = NULL;
	done(dev, ret);
}

void ubr_dev_prepare_cancel(struct ubr_dev *dev, int err, const char *why)
{
	if (!dev->prepared)
		return;
	/* done frees dev, and with it its helpers' connects (ubr_dev_free). */
	ubr_dev_set_err(dev, "%s", why);
	ubr_dev_init_done(dev, err);
}

int ubr_dev_name_in_use(struct ubr_dev *dev, const char *name)
{
	struct ubr_dev *other = ubr_dev_find_name(dev->r, name);

	if (other->id_known)
		ubr_dev_set_err(dev, "name '%s' is already in use (device %u)",
				name, other->id);
	else
		ubr_dev_set_err(dev, "name '%s' is already in use", name);
	return -EEXIST;
}

int ubr_dev_refused(struct ubr_dev *dev, int err, ubr_dev_done_cb cb,
		    void *ctx)
{
	if (cb)
		cb(ctx, err, dev->err_msg, dev->opts.id);
	ubr_dev_free(dev);
	return err;
}

struct ubr_dev *ubr_dev_new(struct ubr_reactor *r,
			    const struct ubr_dev_opts *opts)
{
	struct ubr_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->r = r;
	dev->cdev_fd = -1;
	dev->buf_base = -1;
	dev->bgid_base = -1;
	dev->queue_event = ubr_dev_queue_event;
	dev->opts = *opts; /* takes the paths and descriptors */
	dev->id = opts->id;
	return dev;
}

/* The target is ready (or not): ADD_DEV. */
static void add_prepared(struct ubr_dev *dev, int ret)
{
	struct ubr_ctrl_req *req;

	if (ret < 0) {
		dev->err = ret;
		ubr_dev_finish(dev);
		return;
	}
	dev->state = UBR_DEV_ADDING;
	req = ubr_ctrl_submit(dev->r, UBLK_U_CMD_ADD_DEV, dev->opts.id, 0,
			      add_done_cb, dev);
	if (!req) {
		add_failed(dev, -ENOMEM, "ADD_DEV");
		return;
	}
	fill_dev_info(dev, &req->buf.info);
}

int ubr_dev_add(struct ubr_reactor *r, const struct ubr_dev_opts *opts,
		ubr_dev_done_cb cb, void *ctx)
{
	struct ubr_dev *dev = ubr_dev_new(r, opts);
	int ret;

	if (!dev) {
		if (cb)
			cb(ctx, -ENOMEM, "out of memory", opts->id);
		return -ENOMEM;
	}
	if (r->stopping) {
		ubr_dev_set_err(dev, "the daemon is shutting down");
		return ubr_dev_refused(dev, -ESHUTDOWN, cb, ctx);
	}
	if (opts->id != UBR_DEV_ID_ANY && ubr_dev_find(r, opts->id)) {
		ubr_dev_set_err(dev, "device ID %u is already in use", opts->id);
		return ubr_dev_refused(dev, -EEXIST, cb, ctx);
	}
	if (ubr_dev_find_name(r, opts->name))
		return ubr_dev_refused(dev, ubr_dev_name_in_use(dev, opts->name), cb, ctx);
	/* In the table from here: a name it takes is taken while it prepares. */
	ret = ubr_dev_slot_alloc(r, dev);
	if (ret < 0) {
		ubr_dev_set_err(dev, "too many devices (at most %u)",
				r->max_devs);
		return ubr_dev_refused(dev, ret, cb, ctx);
	}
	dev->add_cb = cb;
	dev->add_ctx = ctx;
	ubr_dev_prepare(dev, add_prepared);
	return 0;
}
