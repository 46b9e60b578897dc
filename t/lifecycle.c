/* SPDX-License-Identifier: MIT */
/*
 * The device state machines (src/device/dev_lifecycle.c, dev_quiesce.c,
 * dev_detach.c, dev_recover.c, queue.c, ctrl.c), run natively against a
 * scripted ublk driver (t/fake_kernel.h): each test drives one transition
 * by answering the daemon's commands one by one, and checks the commands
 * the daemon sent in answer, the device's state and what its callbacks
 * were told. They prove our state machines, not the kernel's behaviour:
 * the kernel tests in the VM (t/kernel/) stay the truth for that.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "tap.h"
#include "ubr_config.h"
#include "ubr_ctrl.h"
#include "ubr_record.h"
#include "ubr_reactor.h"
#include "ubr_target.h"

/* A kernel without QUIESCE (6.12-like, with user copy and recovery). */
#define F_BASE (UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_USER_COPY | \
		UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE | \
		UBLK_F_UPDATE_SIZE)
#define F_QUIESCE (F_BASE | UBLK_F_QUIESCE)

/* What 2 queues x depth 2 fetch, in order, for device 0. */
#define FETCHES_0 "FETCH 0:0:0 FETCH 0:0:1 FETCH 0:1:0 FETCH 0:1:1"

static struct ubr_reactor R;

/* What a done callback (add, del, quiesce, resume) was told. */
struct answer {
	int calls;
	int err;
	uint32_t id;
	char msg[256];
};

static void answer_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct answer *a = ctx;

	a->calls++;
	a->err = err;
	a->id = id;
	snprintf(a->msg, sizeof(a->msg), "%s", msg ? msg : "");
}

static bool answered_once(const struct answer *a, int err, const char *what)
{
	bool good = a->calls == 1 && a->err == err;

	ok(good, "%s: callback told %d once", what, err);
	if (!good)
		diag("calls %d err %d msg '%s'", a->calls, a->err, a->msg);
	return good;
}

static void begin(uint64_t features)
{
	int ret;

	fk_reset();
	fk_features = features;
	ret = ubr_devices_init(&R, 64);
	if (ret < 0) {
		printf("Bail out! ubr_devices_init: %s\n", strerror(-ret));
		exit(1);
	}
}

/* Free what a test left (nothing, if it deleted its devices). */
static void end(void)
{
	unsigned slot;

	for (slot = 0; slot < R.nr_slots; slot++) {
		struct ubr_dev *dev = R.devs[slot];

		if (dev && !dev->detached) {
			if (dev->recorded)
				ubr_dev_record_remove(dev);
			ubr_dev_slot_free(&R, dev);
			ubr_dev_free(dev);
		}
	}
	ubr_devices_deinit(&R);
}

/* Not the 1 GiB the recover tests' kernel reports: the kernel's must win. */
#define NULL_SIZE (3ULL << 30)

static void null_opts(struct ubr_dev_opts *o, const char *scheduler)
{
	ubr_dev_opts_init(o);
	snprintf(o->target, sizeof(o->target), "null");
	o->nr_queues = 2;
	o->depth = 2;
	o->size = NULL_SIZE;
	snprintf(o->scheduler, sizeof(o->scheduler), "%s", scheduler);
}

static bool log_is(const char *expected, const char *what)
{
	return is_str(fk_take(&R), expected, what);
}

static struct ubr_dev *dev0(void)
{
	return ubr_dev_at(&R, 0);
}

/*
 * add up to START_DEV (the kernel's scheduler kept): the kernel gives it
 * fk_next_id; it is STARTING. Its id.
 */
static uint32_t add_until_start(struct answer *a, enum ubr_recovery recovery)
{
	uint32_t id = fk_next_id;
	struct ubr_dev_opts o;

	null_opts(&o, UBR_SCHED_KERNEL);
	o.recovery = recovery;
	ubr_dev_add(&R, &o, answer_cb, a);
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	fk_complete(&R, "SET_PARAMS", id, 0);
	fk_take(&R);
	return id;
}

static void add_live(struct answer *a, enum ubr_recovery recovery)
{
	uint32_t id = add_until_start(a, recovery);

	fk_complete(&R, "START_DEV", id, 0);
	fk_take(&R);
}

/*
 * A delete from STOP_DEV on: the helper's STOP_DEV, GET_DEV_INFO (the
 * kernel says DEAD), the commands the kernel holds aborted (if any),
 * DEL_DEV with /dev/ublkcN closed.
 */
static void stop_and_delete(uint32_t id, const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), "[stop-dev %u]", id);
	log_is(want, what);
	fk_complete(&R, "stop-dev", id, 0);
	snprintf(want, sizeof(want), "GET_DEV_INFO %u", id);
	log_is(want, "... then GET_DEV_INFO: did it stop?");
	if (fk_io_pending(id)) {
		fk_complete_state(&R, id, UBLK_S_DEV_DEAD);
		log_is("", "... nothing more while the kernel holds commands");
		fk_abort_io(&R, id);
	} else {
		fk_complete_state(&R, id, UBLK_S_DEV_DEAD);
	}
	snprintf(want, sizeof(want), "DEL_DEV %u", id);
	log_is(want, "... DEL_DEV once they are all back, /dev/ublkcN closed");
	ok(!fk_cdev_open(id), "... /dev/ublkc%u is closed", id);
}

/* --- add ---------------------------------------------------------------- */

static void test_add_goes_live(void)
{
	struct answer a = { 0 };
	struct ubr_dev_opts o;
	const struct ublk_params *p;
	struct ubr_dev *dev;

	diag("add: ADD_DEV -> SET_PARAMS -> FETCHes + START_DEV -> live");
	begin(F_BASE);
	null_opts(&o, UBR_DEFAULT_SCHEDULER);
	is_int(ubr_dev_add(&R, &o, answer_cb, &a), 0, "add: accepted");
	log_is("ADD_DEV any", "add: ADD_DEV for any ID");
	dev = dev0();
	is_int(dev->state, UBR_DEV_ADDING, "add: adding");
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	log_is("SET_PARAMS 0", "add: ADD_DEV answered id 0: SET_PARAMS 0");
	ok(fk_cdev_open(0), "add: /dev/ublkc0 open before SET_PARAMS");
	p = fk_buf("SET_PARAMS", 0);
	ok(p && p->basic.dev_sectors == NULL_SIZE >> 9,
	   "add: SET_PARAMS carries the size");
	fk_complete(&R, "SET_PARAMS", 0, 0);
	log_is(FETCHES_0 " START_DEV 0",
	       "add: a FETCH for every tag, then START_DEV");
	is_int(fk_data0("START_DEV", 0), getpid(), "add: START_DEV names our pid");
	is_int(dev->state, UBR_DEV_STARTING, "add: starting");
	is_int(a.calls, 0, "add: not answered before START_DEV");
	fk_complete(&R, "START_DEV", 0, 0);
	log_is("[set-scheduler 0 none]",
	       "add: the default scheduler set by a helper");
	is_int(dev->state, UBR_DEV_LIVE, "add: live");
	answered_once(&a, 0, "add");
	is_int(a.id, 0, "add: the callback is told the id");
	ok(ubr_record_exists(0), "add: recovery record written");
	fk_complete(&R, "set-scheduler", 0, 0);
	log_is("", "add: the scheduler's answer sends nothing");
	is_int(fk_request(&R, 0, 1, 1, UBLK_IO_OP_READ, 8), 0,
	       "live: a request arrives");
	log_is("COMMIT 0:1:1=4096", "live: null commits it with its size");
	end();
}

static void test_add_fails_at_add_dev(void)
{
	struct answer a = { 0 };
	struct ubr_dev_opts o;

	diag("add: ADD_DEV fails -> nothing to delete, add told the error");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	ubr_dev_add(&R, &o, answer_cb, &a);
	fk_take(&R);
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, -EPERM);
	log_is("", "ADD_DEV failed: no STOP_DEV, no DEL_DEV");
	answered_once(&a, -EPERM, "ADD_DEV failed");
	is_str(a.msg, "ADD_DEV failed: Operation not permitted",
	       "ADD_DEV failed: says so, naming no device ID");
	is_int(R.nr_devs, 0, "ADD_DEV failed: device forgotten");
	end();
}

static void test_add_fails_id_in_use(void)
{
	struct answer a = { 0 };
	struct ubr_dev_opts o;
	struct ublksrv_ctrl_dev_info info = { .dev_id = 5,
					      .state = UBLK_S_DEV_LIVE };

	diag("add: ADD_DEV -EEXIST -> GET_DEV_INFO to say by what -> error");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	o.id = 5;
	ubr_dev_add(&R, &o, answer_cb, &a);
	log_is("ADD_DEV 5", "id in use: ADD_DEV 5");
	fk_complete(&R, "ADD_DEV", 5, -EEXIST);
	log_is("GET_DEV_INFO 5", "id in use: asks the kernel about 5");
	is_int(a.calls, 0, "id in use: not answered yet");
	fk_complete_buf(&R, "GET_DEV_INFO", 5, 0, &info, sizeof(info));
	log_is("", "id in use: nothing deleted");
	answered_once(&a, -EEXIST, "id in use");
	ok(a.msg[0] != '\0', "id in use: with a message (%s)", a.msg);
	is_int(R.nr_devs, 0, "id in use: device forgotten");
	end();
}

static void test_add_fails_at_set_params(void)
{
	struct answer a = { 0 };
	struct ubr_dev_opts o;

	diag("add: SET_PARAMS fails -> STOP_DEV, DEL_DEV -> add told");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	ubr_dev_add(&R, &o, answer_cb, &a);
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	fk_take(&R);
	fk_complete(&R, "SET_PARAMS", 0, -EINVAL);
	is_int(dev0()->state, UBR_DEV_STOPPING, "SET_PARAMS failed: stopping");
	stop_and_delete(0, "SET_PARAMS failed: STOP_DEV by the helper");
	is_int(a.calls, 0, "SET_PARAMS failed: add waits for DEL_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&a, -EINVAL, "SET_PARAMS failed");
	ok(strstr(a.msg, "SET_PARAMS failed") != NULL,
	   "SET_PARAMS failed: says so (%s)", a.msg);
	is_int(R.nr_devs, 0, "SET_PARAMS failed: device forgotten");
	end();
}

static void test_add_fails_opening_cdev(void)
{
	struct answer a = { 0 };
	struct ubr_dev_opts o;

	diag("add: /dev/ublkcN cannot be opened -> STOP_DEV, DEL_DEV");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	ubr_dev_add(&R, &o, answer_cb, &a);
	fk_take(&R);
	fk_open_cdev_err = -ENOENT;
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	stop_and_delete(0, "open failed: no SET_PARAMS, STOP_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&a, -ENOENT, "open failed");
	ok(strstr(a.msg, "/dev/ublkc0") != NULL, "open failed: names the file (%s)",
	   a.msg);
	end();
}

static void test_add_fails_at_start_dev(void)
{
	struct answer a = { 0 };

	diag("add: START_DEV fails -> STOP_DEV, fetches back, DEL_DEV");
	begin(F_BASE);
	add_until_start(&a, UBR_RECOVERY_DEFAULT);
	fk_complete(&R, "START_DEV", 0, -EIO);
	is_int(fk_io_pending(0), 4, "START_DEV failed: the fetches are out");
	stop_and_delete(0, "START_DEV failed: STOP_DEV by the helper");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&a, -EIO, "START_DEV failed");
	ok(!ubr_record_exists(0), "START_DEV failed: no record left");
	is_int(R.nr_devs, 0, "START_DEV failed: device forgotten");
	end();
}

/* --- delete ------------------------------------------------------------- */

static void test_del_live(void)
{
	struct answer a = { 0 }, d = { 0 }, d2 = { 0 };

	diag("del: live -> STOP_DEV -> commands back -> DEL_DEV -> gone");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ok(ubr_record_exists(0), "del: the live device has a record");
	is_int(ubr_dev_del(&R, 0, answer_cb, &d), 0, "del: accepted");
	is_int(dev0()->state, UBR_DEV_STOPPING, "del: stopping");
	is_int(ubr_dev_del(&R, 0, answer_cb, &d2), -EBUSY,
	       "del: a second del is refused");
	answered_once(&d2, -EBUSY, "second del");
	stop_and_delete(0, "del: STOP_DEV by the helper");
	is_int(d.calls, 0, "del: answered only after DEL_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d, 0, "del");
	ok(!ubr_record_exists(0), "del: record removed");
	is_int(R.nr_devs, 0, "del: device forgotten");
	is_int(ubr_dev_del(&R, 0, answer_cb, &d2), -ENOENT,
	       "del: then no device 0");
	end();
}

static void test_del_refused_while_kernel_keeps_it_live(void)
{
	struct answer a = { 0 }, d = { 0 };
	unsigned i;

	diag("del: STOP_DEV leaves it live -> resent -> refused after 3");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_del(&R, 0, answer_cb, &d);
	for (i = 0; i < 3; i++) {
		log_is("[stop-dev 0]", "still live: STOP_DEV (again)");
		fk_complete(&R, "stop-dev", 0, 0);
		log_is("GET_DEV_INFO 0", "still live: GET_DEV_INFO");
		fk_complete_state(&R, 0, UBLK_S_DEV_LIVE);
	}
	log_is("", "still live: given up after three");
	answered_once(&d, -EIO, "still live");
	is_int(dev0()->state, UBR_DEV_LIVE, "still live: serves on");
	is_int(fk_io_pending(0), 4, "still live: its fetches are with the kernel");
	ubr_dev_del(&R, 0, NULL, NULL);
	stop_and_delete(0, "still live: a later del starts again");
	fk_complete(&R, "DEL_DEV", 0, 0);
	is_int(R.nr_devs, 0, "still live: the later del went through");
	end();
}

static void test_del_stop_helper_fails(void)
{
	struct answer a = { 0 }, d = { 0 };

	diag("del: the STOP_DEV helper fails -> STOP_DEV from the daemon");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_del(&R, 0, answer_cb, &d);
	log_is("[stop-dev 0]", "helper failed: STOP_DEV by the helper first");
	fk_complete(&R, "stop-dev", 0, -EIO);
	log_is("STOP_DEV 0", "helper failed: then STOP_DEV on the ring");
	fk_complete(&R, "STOP_DEV", 0, 0);
	log_is("GET_DEV_INFO 0", "helper failed: then GET_DEV_INFO");
	fk_complete_state(&R, 0, UBLK_S_DEV_DEAD);
	fk_abort_io(&R, 0);
	log_is("DEL_DEV 0", "helper failed: DEL_DEV once the commands are back");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d, 0, "helper failed: del");
	end();
}

/*
 * Safe delete with SAFE_STOP_DEV: the stop is TRY_STOP_DEV (the helper's
 * "try"); its -EBUSY sends the device back to serving, the delete fails
 * -EBUSY saying the disk is in use, and a later del goes through. A
 * delete without the feature, or del --force, is plain STOP_DEV.
 */
static void test_del_safe_refused_while_open(void)
{
	struct answer a = { 0 }, d = { 0 }, d2 = { 0 };

	diag("del without --force: TRY_STOP_DEV -EBUSY -> serves on");
	begin(F_BASE | UBLK_F_SAFE_STOP_DEV);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	is_int(ubr_dev_del_safe(&R, 0, answer_cb, &d), 0, "safe del: accepted");
	log_is("[stop-dev 0 try]", "safe del: TRY_STOP_DEV by the helper");
	fk_complete(&R, "stop-dev", 0, -EBUSY);
	log_is("", "safe del: nothing more once the kernel says busy");
	answered_once(&d, -EBUSY, "safe del refused");
	ok(strstr(d.msg, "device 0 is in use: ") != NULL,
	   "safe del: the message says the device is in use");
	is_int(dev0()->state, UBR_DEV_LIVE, "safe del: serves on");
	is_int(fk_io_pending(0), 4, "safe del: its fetches are with the kernel");
	ok(fk_cdev_open(0), "safe del: /dev/ublkc0 still open");
	is_int(fk_request(&R, 0, 0, 1, UBLK_IO_OP_READ, 8), 0,
	       "safe del: a request still arrives");
	log_is("COMMIT 0:0:1=4096", "safe del: and is served");
	is_int(ubr_dev_del_safe(&R, 0, answer_cb, &d2), 0,
	       "safe del: a later del is accepted");
	log_is("[stop-dev 0 try]", "safe del: TRY_STOP_DEV again");
	fk_complete(&R, "stop-dev", 0, 0);
	log_is("GET_DEV_INFO 0", "safe del: accepted, then GET_DEV_INFO");
	fk_complete_state(&R, 0, UBLK_S_DEV_DEAD);
	fk_abort_io(&R, 0);
	log_is("DEL_DEV 0", "safe del: DEL_DEV once the commands are back");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d2, 0, "safe del after the close");
	is_int(R.nr_devs, 0, "safe del: device forgotten");
	end();
}

static void test_del_safe_ring_fallback_and_force(void)
{
	struct answer a = { 0 }, d = { 0 };

	diag("safe del: helper failed -> TRY_STOP_DEV on the ring; --force");
	begin(F_BASE | UBLK_F_SAFE_STOP_DEV);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_del_safe(&R, 0, answer_cb, &d);
	log_is("[stop-dev 0 try]", "ring fallback: the helper first");
	fk_complete(&R, "stop-dev", 0, -EIO);
	log_is("TRY_STOP_DEV 0", "ring fallback: TRY_STOP_DEV, not STOP_DEV");
	fk_complete(&R, "TRY_STOP_DEV", 0, -EBUSY);
	answered_once(&d, -EBUSY, "ring fallback refused");
	is_int(dev0()->state, UBR_DEV_LIVE, "ring fallback: serves on");
	/* --force is the plain delete: STOP_DEV, whoever holds the disk. */
	ubr_dev_del(&R, 0, NULL, NULL);
	stop_and_delete(0, "--force: plain STOP_DEV by the helper");
	fk_complete(&R, "DEL_DEV", 0, 0);
	is_int(R.nr_devs, 0, "--force: deleted");
	end();

	diag("safe del without SAFE_STOP_DEV: plain STOP_DEV");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_del_safe(&R, 0, NULL, NULL);
	stop_and_delete(0, "no SAFE_STOP_DEV: STOP_DEV by the helper");
	fk_complete(&R, "DEL_DEV", 0, 0);
	is_int(R.nr_devs, 0, "no SAFE_STOP_DEV: deleted");
	end();
}

/* A quiesced device whose safe delete is refused stays quiesced. */
static void test_del_safe_refused_while_quiesced(void)
{
	struct answer a = { 0 }, q = { 0 }, d = { 0 };

	diag("safe del of a quiesced device: refused -> still quiesced");
	begin(F_QUIESCE | UBLK_F_SAFE_STOP_DEV);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_quiesce(&R, 0, answer_cb, &q);
	fk_abort_io(&R, 0);
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	fk_complete_state(&R, 0, UBLK_S_DEV_QUIESCED);
	answered_once(&q, 0, "quiesced first");
	fk_take(&R);
	ubr_dev_del_safe(&R, 0, answer_cb, &d);
	log_is("[stop-dev 0 try]", "quiesced: TRY_STOP_DEV by the helper");
	fk_complete(&R, "stop-dev", 0, -EBUSY);
	answered_once(&d, -EBUSY, "quiesced: safe del refused");
	is_int(dev0()->state, UBR_DEV_QUIESCED, "quiesced: still quiesced");
	ubr_dev_del(&R, 0, NULL, NULL);
	stop_and_delete(0, "quiesced: a plain del then goes through");
	fk_complete(&R, "DEL_DEV", 0, 0);
	is_int(R.nr_devs, 0, "quiesced: deleted");
	end();
}

static void test_del_while_starting(void)
{
	struct answer a = { 0 }, d = { 0 };

	diag("del while adding: queued, runs once START_DEV answers");
	begin(F_BASE);
	add_until_start(&a, UBR_RECOVERY_DEFAULT);
	is_int(ubr_dev_del(&R, 0, answer_cb, &d), 0, "del while starting: accepted");
	log_is("", "del while starting: nothing sent yet");
	is_int(d.calls, 0, "del while starting: not answered");
	fk_complete(&R, "START_DEV", 0, 0);
	answered_once(&a, 0, "del while starting: the add");
	stop_and_delete(0, "del while starting: then STOP_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d, 0, "del while starting: the del");
	is_int(R.nr_devs, 0, "del while starting: device forgotten");
	end();
}

static void test_del_before_add_dev_answers(void)
{
	struct answer a = { 0 }, d = { 0 };
	struct ubr_dev_opts o;

	diag("del before ADD_DEV answers: no such device yet");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	o.id = 3;
	ubr_dev_add(&R, &o, answer_cb, &a);
	fk_take(&R);
	is_int(ubr_dev_del(&R, 3, answer_cb, &d), -ENOENT,
	       "del before ADD_DEV answers: no device 3");
	answered_once(&d, -ENOENT, "del before ADD_DEV answers");
	fk_complete(&R, "ADD_DEV", 3, -EPERM);
	answered_once(&a, -EPERM, "del before ADD_DEV answers: the add");
	end();
}

/* --- quiesce, resume ---------------------------------------------------- */

static bool is_waiting_info(void *arg)
{
	(void)arg;
	return fk_waiting(&R, "GET_DEV_INFO", 0);
}

static void test_quiesce_then_resume(void)
{
	struct answer a = { 0 }, q = { 0 }, r = { 0 };
	struct ubr_dev *dev;

	diag("quiesce: QUIESCE_DEV, fetches back -> close -> QUIESCED; resume");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	dev = dev0();
	is_int(ubr_dev_quiesce(&R, 0, answer_cb, &q), 0, "quiesce: accepted");
	log_is("QUIESCE_DEV 0", "quiesce: QUIESCE_DEV");
	is_int(fk_data0("QUIESCE_DEV", 0), UBR_QUIESCE_WAIT_MS,
	       "quiesce: with its timeout");
	is_int(dev->state, UBR_DEV_QUIESCING, "quiesce: quiescing");
	is_int(fk_abort_io(&R, 0), 4, "quiesce: the kernel aborts the fetches");
	log_is("", "quiesce: nothing while QUIESCE_DEV is out");
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	log_is("GET_DEV_INFO 0", "quiesce: all back: GET_DEV_INFO");
	ok(!fk_cdev_open(0), "quiesce: /dev/ublkc0 closed");
	fk_complete_state(&R, 0, UBLK_S_DEV_LIVE);
	ok(fk_wait(&R, 10, is_waiting_info, NULL),
	   "quiesce: not yet QUIESCED: GET_DEV_INFO again within 10 s");
	log_is("GET_DEV_INFO 0", "quiesce: only that");
	is_int(q.calls, 0, "quiesce: not answered before QUIESCED");
	fk_complete_state(&R, 0, UBLK_S_DEV_QUIESCED);
	answered_once(&q, 0, "quiesce");
	is_int(dev->state, UBR_DEV_QUIESCED, "quiesce: quiesced");

	is_int(ubr_dev_resume(&R, 0, answer_cb, &r), 0, "resume: accepted");
	log_is("START_USER_RECOVERY 0", "resume: START_USER_RECOVERY");
	is_int(dev->state, UBR_DEV_RESUMING, "resume: resuming");
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	log_is(FETCHES_0 " END_USER_RECOVERY 0",
	       "resume: fetches, then END_USER_RECOVERY");
	ok(fk_cdev_open(0), "resume: /dev/ublkc0 open again");
	is_int(fk_data0("END_USER_RECOVERY", 0), getpid(),
	       "resume: END_USER_RECOVERY names our pid");
	fk_complete(&R, "END_USER_RECOVERY", 0, 0);
	answered_once(&r, 0, "resume");
	is_int(dev->state, UBR_DEV_LIVE, "resume: live");
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_WRITE, 16);
	log_is("COMMIT 0:0:1=8192", "resume: serves again");
	end();
}

static void test_quiesce_second_round(void)
{
	struct answer a = { 0 }, q = { 0 };

	diag("quiesce: QUIESCE_DEV answers with fetches out -> once more");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_quiesce(&R, 0, answer_cb, &q);
	fk_take(&R);
	fk_request(&R, 0, 0, 0, UBLK_IO_OP_READ, 8);
	log_is("COMMIT 0:0:0=4096", "second round: a request served meanwhile");
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	log_is("QUIESCE_DEV 0", "second round: another QUIESCE_DEV");
	fk_abort_io(&R, 0);
	log_is("", "second round: nothing while it is out");
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	log_is("GET_DEV_INFO 0", "second round: then GET_DEV_INFO");
	fk_complete_state(&R, 0, UBLK_S_DEV_QUIESCED);
	answered_once(&q, 0, "second round");
	is_int(dev0()->state, UBR_DEV_QUIESCED, "second round: quiesced");
	end();
}

static void test_quiesce_abandoned_by_del(void)
{
	struct answer a = { 0 }, q = { 0 }, d = { 0 };

	diag("quiesce abandoned: del meanwhile -> quiesce cancelled, deleted");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_quiesce(&R, 0, answer_cb, &q);
	fk_take(&R);
	is_int(ubr_dev_del(&R, 0, answer_cb, &d), 0, "abandon: del accepted");
	log_is("", "abandon: the del waits for QUIESCE_DEV");
	fk_abort_io(&R, 0);
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	answered_once(&q, -ECANCELED, "abandon: the quiesce");
	stop_and_delete(0, "abandon: then STOP_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d, 0, "abandon: the del");
	end();
}

static bool is_waiting_recovery(void *arg)
{
	(void)arg;
	return fk_waiting(&R, "START_USER_RECOVERY", 0);
}

static void test_resume_retries_busy(void)
{
	struct answer a = { 0 }, q = { 0 }, r = { 0 };

	diag("resume: START_USER_RECOVERY -EBUSY -> asked again later");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_quiesce(&R, 0, answer_cb, &q);
	fk_abort_io(&R, 0);
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	fk_complete_state(&R, 0, UBLK_S_DEV_QUIESCED);
	fk_take(&R);
	ubr_dev_resume(&R, 0, answer_cb, &r);
	fk_complete(&R, "START_USER_RECOVERY", 0, -EBUSY);
	log_is("START_USER_RECOVERY 0", "busy: START_USER_RECOVERY sent");
	ok(fk_wait(&R, 10, is_waiting_recovery, NULL),
	   "busy: START_USER_RECOVERY again within 10 s");
	log_is("START_USER_RECOVERY 0", "busy: only that");
	is_int(r.calls, 0, "busy: resume not answered yet");
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	fk_complete(&R, "END_USER_RECOVERY", 0, 0);
	answered_once(&r, 0, "busy: resume");
	is_int(dev0()->state, UBR_DEV_LIVE, "busy: live");
	end();
}

static void test_resume_abandoned_by_del(void)
{
	struct answer a = { 0 }, q = { 0 }, r = { 0 }, d = { 0 };

	diag("resume abandoned: del meanwhile -> resume cancelled, deleted");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	ubr_dev_quiesce(&R, 0, answer_cb, &q);
	fk_abort_io(&R, 0);
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	fk_complete_state(&R, 0, UBLK_S_DEV_QUIESCED);
	ubr_dev_resume(&R, 0, answer_cb, &r);
	fk_take(&R);
	is_int(ubr_dev_del(&R, 0, answer_cb, &d), 0, "abandon resume: del accepted");
	log_is("", "abandon resume: the del waits for START_USER_RECOVERY");
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	answered_once(&r, -ECANCELED, "abandon resume: the resume");
	stop_and_delete(0, "abandon resume: no fetches, STOP_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&d, 0, "abandon resume: the del");
	is_int(R.nr_devs, 0, "abandon resume: device forgotten");
	end();
}

/* --- stop: leaving devices to the kernel -------------------------------- */

static bool is_detached(void *arg)
{
	return ((struct ubr_dev *)arg)->detached;
}

static void test_stop_drains_without_quiesce(void)
{
	struct answer a = { 0 }, b = { 0 };
	struct ubr_dev *dev;

	diag("stop without QUIESCE: requests held until none comes, then left");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	fk_next_id = 1;
	add_live(&b, UBR_RECOVERY_OFF);
	dev = dev0();
	ok(dev->recorded, "drain: device 0 is recoverable");
	ubr_reactor_detach(&R);
	log_is("[stop-dev 1]", "drain: only the device without recovery stops");
	ok(dev->drain != NULL, "drain: device 0 drains");
	is_int(fk_request(&R, 0, 1, 0, UBLK_IO_OP_WRITE, 8), 0,
	       "drain: a request arrives");
	log_is("", "drain: it is held, not committed");
	is_int(ubr_dev_drain_held(dev), 1, "drain: one held");
	ok(!dev->detached, "drain: not left while requests just came");
	ok(fk_wait(&R, 10, is_detached, dev), "drain: left within 10 s");
	is_int(R.nr_detached, 1, "drain: counted as left");
	is_int(dev->state, UBR_DEV_LIVE, "drain: still live in the kernel");
	log_is("", "drain: no STOP_DEV, no DEL_DEV for it");
	ok(fk_cdev_open(0), "drain: /dev/ublkc0 open until the daemon exits");
	/* device 1 goes on as a delete */
	fk_complete(&R, "stop-dev", 1, 0);
	fk_complete_state(&R, 1, UBLK_S_DEV_DEAD);
	fk_abort_io(&R, 1);
	log_is("GET_DEV_INFO 1 DEL_DEV 1", "drain: device 1 deleted");
	fk_complete(&R, "DEL_DEV", 1, 0);
	ok(R.nr_devs == R.nr_detached && R.ctrl_inflight == 0,
	   "drain: the loop may end now");
	end();
}

static void test_exit_deletes_all(void)
{
	struct answer a = { 0 }, b = { 0 }, c = { 0 };
	struct ubr_dev_opts o;

	diag("exit: every device deleted, one still starting once it starts");
	begin(F_BASE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	fk_next_id = 1;
	add_until_start(&b, UBR_RECOVERY_DEFAULT);
	ubr_reactor_stop(&R, 0);
	log_is("[stop-dev 0]", "exit: the live device stops now");
	null_opts(&o, UBR_SCHED_KERNEL);
	is_int(ubr_dev_add(&R, &o, answer_cb, &c), -ESHUTDOWN,
	       "exit: a new add is refused");
	answered_once(&c, -ESHUTDOWN, "exit: the refused add");
	fk_complete(&R, "START_DEV", 1, 0);
	answered_once(&b, 0, "exit: the starting device's add");
	log_is("[stop-dev 1]", "exit: then it stops too");
	fk_complete(&R, "stop-dev", 0, 0);
	fk_complete(&R, "stop-dev", 1, 0);
	fk_complete_state(&R, 0, UBLK_S_DEV_DEAD);
	fk_complete_state(&R, 1, UBLK_S_DEV_DEAD);
	fk_abort_io(&R, 0);
	fk_abort_io(&R, 1);
	log_is("GET_DEV_INFO 0 GET_DEV_INFO 1 DEL_DEV 0 DEL_DEV 1",
	       "exit: both deleted");
	fk_complete(&R, "DEL_DEV", 1, 0);
	fk_complete(&R, "DEL_DEV", 0, 0);
	ok(R.nr_devs == 0 && R.ctrl_inflight == 0, "exit: the loop may end now");
	end();
}

/* --- a target whose init waits (nbd's handshake) ----------------------- */

static bool answered(void *arg)
{
	return ((struct answer *)arg)->calls > 0;
}

/*
 * An nbd add on one end of a socket pair: the other end, *peer, is the
 * server, which says nothing until the test makes it. -1 if this build
 * has no nbd target.
 */
static int add_nbd(const char *name, struct answer *a, int *peer)
{
	struct ubr_dev_opts o;
	int sv[2];

	if (!ubr_target_find("nbd"))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	ubr_dev_opts_init(&o);
	snprintf(o.target, sizeof(o.target), "nbd");
	snprintf(o.name, sizeof(o.name), "%s", name);
	snprintf(o.scheduler, sizeof(o.scheduler), UBR_SCHED_KERNEL);
	o.nr_queues = 1;
	o.depth = 2;
	o.nr_files = 1;
	o.paths[0] = strdup("nbd+unix:///?socket=/nowhere.sock");
	o.fds[0] = sv[0];
	*peer = sv[1];
	return ubr_dev_add(&R, &o, answer_cb, a);
}

static void test_prepare_waits_off_the_loop(void)
{
	struct answer a = { 0 }, b = { 0 }, c = { 0 };
	int peer, peer2;

	diag("a target's init that waits: the device prepares in the table");
	begin(F_BASE);
	if (add_nbd("slow", &a, &peer) < 0) {
		skip(7, "this build has no nbd target");
		end();
		return;
	}
	log_is("", "prepare: nothing reaches the kernel during the handshake");
	ok(dev0() && dev0()->state == UBR_DEV_PREPARING,
	   "prepare: the device is in the table, preparing");
	is_int(a.calls, 0, "prepare: add not answered yet");
	add_nbd("slow", &b, &peer2);
	close(peer2);
	answered_once(&b, -EEXIST, "prepare: its name is taken meanwhile");
	fk_next_id = 0;
	add_live(&c, UBR_RECOVERY_OFF);
	answered_once(&c, 0, "prepare: another device goes live meanwhile");
	close(peer); /* the server hangs up mid-handshake */
	fk_wait(&R, 5, answered, &a);
	answered_once(&a, -EPROTO, "prepare: the hang-up fails the add");
	ok(strstr(a.msg, "nbd handshake") != NULL,
	   "prepare: ... saying where: %s", a.msg);
	end();
}

static void test_exit_cancels_prepare(void)
{
	struct answer a = { 0 };
	int peer;

	diag("exit: a device still preparing ends at once");
	begin(F_BASE);
	if (add_nbd("", &a, &peer) < 0) {
		skip(4, "this build has no nbd target");
		end();
		return;
	}
	ubr_reactor_stop(&R, 0);
	answered_once(&a, -ESHUTDOWN, "exit: the preparing add");
	is_str(a.msg, "the daemon is shutting down", "exit: ... says why");
	log_is("", "exit: nothing sent to the kernel");
	ok(R.nr_devs == 0 && R.ctrl_inflight == 0, "exit: the loop may end now");
	close(peer);
	end();
}

static void test_stop_quiesces(void)
{
	struct answer a = { 0 };
	struct ubr_dev *dev;

	diag("stop with QUIESCE: QUIESCE_DEV, then left to the kernel");
	begin(F_QUIESCE);
	add_live(&a, UBR_RECOVERY_DEFAULT);
	dev = dev0();
	ubr_reactor_detach(&R);
	log_is("QUIESCE_DEV 0", "stop: QUIESCE_DEV");
	is_int(fk_data0("QUIESCE_DEV", 0), UBR_QUIESCE_WAIT_MS,
	       "stop: with one round's timeout");
	ok(!dev->detached, "stop: not left before it answers");
	fk_complete(&R, "QUIESCE_DEV", 0, -EBUSY);
	log_is("QUIESCE_DEV 0", "stop: -EBUSY: another round");
	ok(!dev->detached, "stop: not left after a busy round");
	fk_complete(&R, "QUIESCE_DEV", 0, 0);
	ok(dev->detached, "stop: left once it answers");
	log_is("", "stop: nothing else sent");
	end();
}

/* --- recover ------------------------------------------------------------ */

static void recover_start_pid(struct answer *a, uint16_t state,
			      uint64_t flags, int32_t pid)
{
	struct ubr_dev_opts o;
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = 2, .queue_depth = 2, .state = state,
		.dev_id = 0, .flags = flags, .ublksrv_pid = pid,
	};

	null_opts(&o, UBR_SCHED_KERNEL);
	o.id = 0;
	o.recovery = UBR_RECOVERY_REISSUE;
	ubr_dev_recover(&R, &o, UBR_COPY_USER, answer_cb, a);
	log_is("GET_DEV_INFO 0", "recover: GET_DEV_INFO first");
	fk_complete_buf(&R, "GET_DEV_INFO", 0, 0, &info, sizeof(info));
}

static void recover_start(struct answer *a, uint16_t state, uint64_t flags)
{
	recover_start_pid(a, state, flags, 0);
}

/*
 * A record in copy mode m against a kernel device with copy flags f: is
 * it taken (GET_PARAMS next) or refused as not matching?
 */
static void test_recover_copy_flags(void)
{
	static const struct {
		enum ubr_copy_mode m;
		uint64_t f;
		bool taken;
	} c[] = {
		{ UBR_COPY_ZERO_EXPLICIT, UBLK_F_SUPPORT_ZERO_COPY, true },
		{ UBR_COPY_ZERO_EXPLICIT,
		  UBLK_F_SUPPORT_ZERO_COPY | UBLK_F_AUTO_BUF_REG, false },
		{ UBR_COPY_ZERO, UBLK_F_AUTO_BUF_REG, true },
		{ UBR_COPY_ZERO, UBLK_F_AUTO_BUF_REG | UBLK_F_SUPPORT_ZERO_COPY,
		  true },
		{ UBR_COPY_ZERO, UBLK_F_SUPPORT_ZERO_COPY, false },
		/* A socket target's zero copy has USER_COPY beside it. */
		{ UBR_COPY_ZERO, UBLK_F_AUTO_BUF_REG | UBLK_F_USER_COPY, true },
		{ UBR_COPY_ZERO_EXPLICIT,
		  UBLK_F_SUPPORT_ZERO_COPY | UBLK_F_USER_COPY, true },
		{ UBR_COPY_USER, UBLK_F_USER_COPY | UBLK_F_AUTO_BUF_REG, false },
		{ UBR_COPY_ZERO, UBLK_F_USER_COPY, false },
		{ UBR_COPY_USER, UBLK_F_USER_COPY, true },
		{ UBR_COPY_BUFFER, UBLK_F_SUPPORT_ZERO_COPY, false },
	};
	unsigned i;

	diag("recover: the kernel's copy flags must be the recorded mode's");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct answer a = { 0 };
		struct ubr_dev_opts o;
		struct ublksrv_ctrl_dev_info info = {
			.nr_hw_queues = 2, .queue_depth = 2, .dev_id = 0,
			.state = UBLK_S_DEV_QUIESCED,
			.flags = UBLK_F_USER_RECOVERY |
				 UBLK_F_USER_RECOVERY_REISSUE | c[i].f,
		};

		begin(F_BASE | UBLK_F_AUTO_BUF_REG | UBLK_F_SUPPORT_ZERO_COPY);
		null_opts(&o, UBR_SCHED_KERNEL);
		o.id = 0;
		o.recovery = UBR_RECOVERY_REISSUE;
		ubr_dev_recover(&R, &o, c[i].m, answer_cb, &a);
		fk_take(&R);
		fk_complete_buf(&R, "GET_DEV_INFO", 0, 0, &info, sizeof(info));
		if (c[i].taken) {
			ok(!strcmp(fk_take(&R), "GET_PARAMS 0"),
			   "recover %s, flags 0x%llx: taken",
			   ubr_copy_mode_name(c[i].m),
			   (unsigned long long)c[i].f);
			/* Ends the recovery, and frees its state. */
			fk_complete(&R, "GET_PARAMS", 0, -EIO);
		} else
			ok(a.err == -EINVAL && strstr(a.msg, "does not match"),
			   "recover %s, flags 0x%llx: refused",
			   ubr_copy_mode_name(c[i].m),
			   (unsigned long long)c[i].f);
		end();
	}
}

#define RECOVERABLE (UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE | \
		     UBLK_F_USER_COPY)

/* The record of device id: version 2, the device's size apart from the asked. */
static void record_says(uint32_t id, uint64_t dev_size, uint64_t asked,
			const char *what)
{
	struct ubr_record rec;
	char err[160];
	int ret = ubr_record_load(id, &rec, err, sizeof(err));

	if (ret < 0)
		diag("%s: record: %s", what, err);
	ok(!ret && rec.version == 2 && rec.dev_size == dev_size &&
		   rec.opts.size == asked,
	   "%s: the record keeps the device's size and the one asked", what);
	if (!ret)
		ubr_record_release(&rec);
}

/* --- explicit zero copy, and zero copy's fallback ------------------------ */

/* add null in copy mode m on a kernel with features f, up to live. */
static struct ubr_dev *add_null_live(struct answer *a, enum ubr_copy_mode m)
{
	struct ubr_dev_opts o;

	null_opts(&o, UBR_SCHED_KERNEL);
	o.copy_mode = m;
	ubr_dev_add(&R, &o, answer_cb, a);
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	fk_complete(&R, "SET_PARAMS", 0, 0);
	fk_take(&R);
	fk_complete(&R, "START_DEV", 0, 0);
	fk_take(&R);
	return dev0();
}

static void test_zero_explicit(void)
{
	struct answer a = { 0 }, d = { 0 };
	struct ubr_dev *dev;

	diag("zero-explicit: REG before the target, UNREG linked before COMMIT");
	begin(F_BASE | UBLK_F_SUPPORT_ZERO_COPY);
	dev = add_null_live(&a, UBR_COPY_ZERO_EXPLICIT);
	is_int(a.err, 0, "zero-explicit: added");
	is_int(dev->copy_mode, UBR_COPY_ZERO_EXPLICIT, "zero-explicit: its mode");
	ok((dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY) &&
		   !(dev->info.flags & (UBLK_F_AUTO_BUF_REG | UBLK_F_USER_COPY)),
	   "zero-explicit: ADD_DEV asks for SUPPORT_ZERO_COPY alone");
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_READ, 8);
	log_is("REG 0:0:1", "zero-explicit: a read is registered first");
	is_int(fk_complete_reg(&R, 0, 0, 1, 0), 0, "zero-explicit: REG answered");
	log_is("UNREG 0:0:1 COMMIT 0:0:1=4096",
	       "zero-explicit: served, unregistered, committed");
	ok(!dev->queues[0].tags[1].registered, "zero-explicit: slot let go");
	fk_request(&R, 0, 1, 0, UBLK_IO_OP_FLUSH, 0);
	log_is("COMMIT 0:1:0=0", "zero-explicit: a flush has no pages to register");
	fk_request(&R, 0, 0, 0, UBLK_IO_OP_WRITE, 8);
	log_is("REG 0:0:0", "zero-explicit: a write too");
	fk_complete_reg(&R, 0, 0, 0, -EBUSY);
	log_is("COMMIT 0:0:0=-16",
	       "zero-explicit: a failed REG fails the request, nothing to unregister");
	ubr_dev_del(&R, 0, answer_cb, &d);
	stop_and_delete(0, "zero-explicit: del");
	end();

	diag("zero-explicit: refused without SUPPORT_ZERO_COPY");
	begin(F_BASE | UBLK_F_AUTO_BUF_REG);
	a = (struct answer){ 0 };
	add_null_live(&a, UBR_COPY_ZERO_EXPLICIT);
	ok(a.err == -EOPNOTSUPP && strstr(a.msg, "UBLK_F_SUPPORT_ZERO_COPY"),
	   "zero-explicit: refused: %s", a.msg);
	end();
}

static void test_zero_fallback(void)
{
	struct answer a = { 0 }, d = { 0 };
	struct ubr_dev *dev;

	diag("zero: FALLBACK in every fetch; NEED_REG_BUF is registered by us");
	begin(F_BASE | UBLK_F_AUTO_BUF_REG | UBLK_F_SUPPORT_ZERO_COPY);
	dev = add_null_live(&a, UBR_COPY_ZERO);
	is_int(a.err, 0, "fallback: added");
	ok((dev->info.flags & UBLK_F_AUTO_BUF_REG) &&
		   (dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY),
	   "fallback: ADD_DEV asks for AUTO_BUF_REG and SUPPORT_ZERO_COPY");
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_READ, 8);
	log_is("COMMIT 0:0:1=4096 (fallback)",
	       "fallback: registered by the kernel: served at once");
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_READ | UBLK_IO_F_NEED_REG_BUF, 8);
	log_is("REG 0:0:1", "fallback: NEED_REG_BUF: we register");
	fk_complete_reg(&R, 0, 0, 1, 0);
	log_is("UNREG 0:0:1 COMMIT 0:0:1=4096 (fallback)",
	       "fallback: served, unregistered, committed");
	is_int((long long)dev->stats.buf_fallbacks, 1, "fallback: counted");
	is_int((long long)dev->stats.errors, 0, "fallback: no error");
	ubr_dev_del(&R, 0, answer_cb, &d);
	stop_and_delete(0, "fallback: del");
	end();

	diag("zero: no FALLBACK where the kernel lacks SUPPORT_ZERO_COPY");
	begin(F_BASE | UBLK_F_AUTO_BUF_REG);
	a = (struct answer){ 0 };
	dev = add_null_live(&a, UBR_COPY_ZERO);
	ok(!(dev->info.flags & UBLK_F_SUPPORT_ZERO_COPY),
	   "no fallback: ADD_DEV asks for AUTO_BUF_REG alone");
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_READ, 8);
	log_is("COMMIT 0:0:1=4096", "no fallback: fetches without the flag");
	ubr_dev_del(&R, 0, answer_cb, &d);
	stop_and_delete(0, "no fallback: del");
	end();
}

/* --- user copy ------------------------------------------------------------ */

static void echo_queue_io(struct ubr_queue *q, unsigned tag,
			  const struct ublksrv_io_desc *iod)
{
	ubr_io_complete(q, tag, (int)(iod->nr_sectors << 9));
}

/* null's ops, but a target that has data: user copy stages its requests. */
static void give_data(struct ubr_dev *dev)
{
	static struct ubr_target_ops echo;

	echo = *dev->ops;
	echo.flags &= ~UBR_TGT_NO_DATA;
	echo.queue_io = echo_queue_io;
	dev->ops = &echo;
}

/* The ring's answer to a user copy (dir 0: from the request, 1: into it). */
static void copy_answer(struct ubr_dev *dev, unsigned q, unsigned tag,
			unsigned dir, int res)
{
	struct io_uring_cqe cqe = {
		.user_data = ubr_ud_encode(UBR_UD_COPY, dev->slot, q, tag, dir),
		.res = res,
	};

	ubr_reactor_dispatch(&R, &cqe);
}

static void test_user_copy(void)
{
	struct answer a = { 0 }, d = { 0 };
	struct ubr_dev *dev;

	diag("user copy: by the reactor itself where the kernel has QUIESCE");
	begin(F_QUIESCE);
	dev = add_null_live(&a, UBR_COPY_USER);
	is_int(dev->copy_mode, UBR_COPY_USER, "inline copy: user copy mode");
	give_data(dev);
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_WRITE, 8);
	log_is("COPY_IN 0:0:1 COMMIT 0:0:1=4096",
	       "inline copy: a write's data copied in, served and committed");
	fk_request(&R, 0, 1, 0, UBLK_IO_OP_READ, 8);
	log_is("COPY_OUT 0:1:0 COMMIT 0:1:0=4096",
	       "inline copy: a read served, copied out and committed");
	is_int((long long)R.pool.in_use, 0, "inline copy: buffers given back");
	is_int(dev->queues[0].tgt_inflight + dev->queues[1].tgt_inflight, 0,
	       "inline copy: nothing counted in flight");
	ubr_dev_del(&R, 0, answer_cb, &d);
	stop_and_delete(0, "inline copy: del");
	end();

	diag("user copy: on the ring where the kernel lacks QUIESCE");
	begin(F_BASE);
	a = (struct answer){ 0 };
	dev = add_null_live(&a, UBR_COPY_USER);
	give_data(dev);
	fk_request(&R, 0, 0, 1, UBLK_IO_OP_WRITE, 8);
	log_is("COPY_IN 0:0:1 (ring)", "ring copy: a write waits for its data");
	copy_answer(dev, 0, 1, 0, 4096);
	log_is("COMMIT 0:0:1=4096", "ring copy: then is served");
	fk_request(&R, 0, 1, 0, UBLK_IO_OP_READ, 8);
	log_is("COPY_OUT 0:1:0 (ring)", "ring copy: a read's data goes out");
	copy_answer(dev, 1, 0, 1, -EFAULT);
	log_is("COMMIT 0:1:0=-14", "ring copy: a failed copy fails the read");
	is_int((long long)R.pool.in_use, 0, "ring copy: buffers given back");
	ubr_dev_del(&R, 0, answer_cb, &d);
	stop_and_delete(0, "ring copy: del");
	end();
}

static void test_recover(void)
{
	struct answer a = { 0 };
	struct ublk_params params = { .basic.dev_sectors = 2097152 };
	struct ubr_dev *dev;

	diag("recover: GET_DEV_INFO, GET_PARAMS, START/END_USER_RECOVERY -> live");
	begin(F_BASE);
	recover_start(&a, UBLK_S_DEV_QUIESCED, RECOVERABLE);
	log_is("GET_PARAMS 0", "recover: then GET_PARAMS");
	fk_complete_buf(&R, "GET_PARAMS", 0, 0, &params, sizeof(params));
	log_is("START_USER_RECOVERY 0", "recover: START_USER_RECOVERY");
	dev = dev0();
	is_int((long long)dev->params.basic.dev_sectors << 9, 1LL << 30,
	       "recover: the kernel's size wins");
	is_int((long long)dev->opts.size, NULL_SIZE,
	       "recover: the options keep the size asked for");
	ok(dev->copy_mode == UBR_COPY_USER &&
		   dev->opts.copy_mode == UBR_COPY_AUTO,
	   "recover: the device's copy mode, the options' as asked");
	fk_complete(&R, "START_USER_RECOVERY", 0, -EBUSY);
	log_is("", "recover: -EBUSY: waits");
	ok(fk_wait(&R, 10, is_waiting_recovery, NULL),
	   "recover: START_USER_RECOVERY again within 10 s");
	log_is("START_USER_RECOVERY 0", "recover: asked again");
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	log_is(FETCHES_0 " END_USER_RECOVERY 0",
	       "recover: fetches, then END_USER_RECOVERY");
	is_int(dev->state, UBR_DEV_RECOVERING, "recover: recovering");
	is_int(a.calls, 0, "recover: not answered yet");
	fk_complete(&R, "END_USER_RECOVERY", 0, 0);
	answered_once(&a, 0, "recover");
	is_int(a.id, 0, "recover: told the id");
	is_int(dev->state, UBR_DEV_LIVE, "recover: live");
	ok(ubr_record_exists(0), "recover: record written again");
	record_says(0, 1ULL << 30, NULL_SIZE, "recover");
	fk_request(&R, 0, 1, 0, UBLK_IO_OP_READ, 8);
	log_is("COMMIT 0:1:0=4096", "recover: serves");
	ubr_record_remove(0);
	end();
}

static void test_recover_refused(void)
{
	struct answer a = { 0 };

	diag("recover: a device added without recovery is refused untouched");
	begin(F_BASE);
	recover_start(&a, UBLK_S_DEV_QUIESCED, UBLK_F_USER_COPY);
	log_is("", "refused: nothing sent to the kernel");
	answered_once(&a, -EINVAL, "refused");
	ok(strstr(a.msg, "without recovery") != NULL, "refused: says why (%s)",
	   a.msg);
	is_int(R.nr_devs, 0, "refused: device forgotten");
	end();
}

static void test_recover_fails_at_end(void)
{
	struct answer a = { 0 };
	struct ublk_params params = { .basic.dev_sectors = 2097152 };

	diag("recover: END_USER_RECOVERY fails -> the device is deleted");
	begin(F_BASE);
	recover_start(&a, UBLK_S_DEV_FAIL_IO, RECOVERABLE);
	fk_complete_buf(&R, "GET_PARAMS", 0, 0, &params, sizeof(params));
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	fk_take(&R);
	fk_complete(&R, "END_USER_RECOVERY", 0, -EINVAL);
	stop_and_delete(0, "recover failed: STOP_DEV");
	fk_complete(&R, "DEL_DEV", 0, 0);
	answered_once(&a, -EINVAL, "recover failed");
	ok(strstr(a.msg, "END_USER_RECOVERY") != NULL,
	   "recover failed: says where (%s)", a.msg);
	ok(!ubr_record_exists(0), "recover failed: record removed");
	end();
}

/* A pid no process has: a child's, once it is reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
		printf("Bail out! cannot make a dead process\n");
		exit(1);
	}
	return pid;
}

static bool is_asking_info(void *arg)
{
	(void)arg;
	return fk_waiting(&R, "GET_DEV_INFO", 0);
}

/* pid: a dead server's, or ours (an upgrade: the same binary again). */
static void test_recover_waits_for_quiesce(pid_t pid)
{
	struct answer a = { 0 };
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = 2, .queue_depth = 2,
		.state = UBLK_S_DEV_QUIESCED, .flags = RECOVERABLE,
	};

	diag("recover: still live, its server (%s) gone -> asks again until quiesced",
	     pid == getpid() ? "our own pid" : "a dead pid");
	begin(F_BASE);
	recover_start_pid(&a, UBLK_S_DEV_LIVE, RECOVERABLE, pid);
	log_is("", "live, server dead: waits");
	is_int(a.calls, 0, "live, server dead: not refused");
	ok(fk_wait(&R, 10, is_asking_info, NULL),
	   "live, server dead: GET_DEV_INFO again within 10 s");
	log_is("GET_DEV_INFO 0", "live, server dead: asked again");
	fk_complete_buf(&R, "GET_DEV_INFO", 0, 0, &info, sizeof(info));
	log_is("GET_PARAMS 0", "quiesced now: on to GET_PARAMS");
	fk_complete(&R, "GET_PARAMS", 0, -EIO);
	answered_once(&a, -EIO, "quiesced now: GET_PARAMS failure told");
	end();
}

static void test_recover_refuses_served(void)
{
	struct answer a = { 0 };

	/* Our parent: alive, and not us (our own pid is a server gone). */
	diag("recover: live and its server alive -> refused at once");
	begin(F_BASE);
	recover_start_pid(&a, UBLK_S_DEV_LIVE, RECOVERABLE, getppid());
	log_is("", "served: nothing sent to the kernel");
	answered_once(&a, -EBUSY, "served");
	ok(strstr(a.msg, "served by process") != NULL, "served: says why (%s)",
	   a.msg);
	end();
}

/* What a starting daemon counts as waiting for recovery (records_scan). */
static void test_recoverable_info(void)
{
	static const struct {
		unsigned state;
		uint64_t flags;
		int pid; /* 1: a dead pid, 2: ours, 3: alive (our parent) */
		bool want;
		const char *name;
	} c[] = {
		{ UBLK_S_DEV_QUIESCED, RECOVERABLE, 1, true, "quiesced" },
		{ UBLK_S_DEV_FAIL_IO, RECOVERABLE, 1, true, "failing I/O" },
		{ UBLK_S_DEV_LIVE, RECOVERABLE, 1, true, "live, server dead" },
		{ UBLK_S_DEV_LIVE, RECOVERABLE, 2, true, "live, our pid (upgrade)" },
		{ UBLK_S_DEV_LIVE, RECOVERABLE, 3, false, "live, server alive" },
		{ UBLK_S_DEV_LIVE, 0, 1, false, "live, server dead, no recovery" },
		{ UBLK_S_DEV_DEAD, RECOVERABLE, 1, false, "dead (never started)" },
	};
	struct ublksrv_ctrl_dev_info info = { 0 };
	pid_t dead = dead_pid();
	unsigned i;

	diag("recoverable: what start-up lists for recovery");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		info.state = c[i].state;
		info.flags = c[i].flags;
		info.ublksrv_pid = c[i].pid == 1 ? dead :
				   c[i].pid == 2 ? getpid() : getppid();
		ok(ubr_dev_info_recoverable(&info) == c[i].want, "recoverable: %s: %s",
		   c[i].name, c[i].want ? "yes" : "no");
	}
}

/* --- reload ------------------------------------------------------------- */

struct config_runs {
	int calls;
	bool boot;
	unsigned errors;
};

static void config_done_cb(void *ctx, const struct ubr_config *cfg, bool boot)
{
	struct config_runs *c = ctx;

	c->calls++;
	c->boot = boot;
	c->errors = cfg->nr_errors;
}

/* What a reload's callback was told (the admin layer's `reload` replies it). */
struct reload_answer {
	int calls;
	char changes[256];
	unsigned errors;
	char failed[128];
};

static void reload_cb(void *ctx, const struct ubr_config_result *res)
{
	struct reload_answer *a = ctx;

	a->calls++;
	snprintf(a->changes, sizeof(a->changes), "%s",
		 res->changes ? res->changes : "");
	a->errors = res->cfg ? res->cfg->nr_errors : 0;
	snprintf(a->failed, sizeof(a->failed), "%s",
		 res->failed ? res->failed : "");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* The size SET_PARAMS of dev asked for, in bytes. */
static long long params_size(uint32_t dev)
{
	const struct ublk_params *p = fk_buf("SET_PARAMS", dev);

	return p ? (long long)(p->basic.dev_sectors << 9) : -1;
}

static void test_reload_replaces_changed_device(void)
{
	struct config_runs c = { 0 };
	struct reload_answer a = { 0 }, again = { 0 };
	struct ubr_config_ctl *ctl = NULL;
	char path[256], err[256];
	struct ubr_dev *dev;

	diag("reload: a changed line -> its device deleted, then added again");
	snprintf(path, sizeof(path), "%s/test.conf",
		 getenv("UBLK_REACTOR_RUNDIR"));
	write_file(path, "scratch null --queues 1 --depth 2 --size 1G --scheduler kernel\n");
	begin(F_BASE);
	is_int(ubr_config_ctl_init(&ctl, &R, path, true, config_done_cb, &c, err,
				   sizeof(err)), 0, "reload: the file is read");
	ubr_config_boot(ctl);
	log_is("ADD_DEV any", "reload: the boot run adds the line's device");
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	log_is("SET_PARAMS 0", "reload: SET_PARAMS 0");
	is_int(params_size(0), 1LL << 30, "reload: 1G asked for");
	fk_complete(&R, "SET_PARAMS", 0, 0);
	log_is("FETCH 0:0:0 FETCH 0:0:1 START_DEV 0", "reload: device 0 starts");
	fk_complete(&R, "START_DEV", 0, 0);
	ok(c.calls == 1 && c.boot && !c.errors, "reload: the boot run is done");

	write_file(path, "scratch null --queues 1 --depth 2 --size 2G --scheduler kernel\n");
	ubr_config_reload(ctl, reload_cb, &a);
	stop_and_delete(0, "reload: the changed line's device stops");
	is_int(c.calls, 1, "reload: not done while it is deleted");
	is_int(a.calls, 0, "reload: not answered while it is deleted");
	ubr_config_reload(ctl, reload_cb, &again);
	fk_complete(&R, "DEL_DEV", 0, 0);
	log_is("ADD_DEV any", "reload: then it is added again");
	fk_complete(&R, "ADD_DEV", UBR_DEV_ID_ANY, 0);
	log_is("SET_PARAMS 1", "reload: SET_PARAMS 1");
	is_int(params_size(1), 2LL << 30, "reload: 2G asked for");
	fk_complete(&R, "SET_PARAMS", 1, 0);
	log_is("FETCH 1:0:0 FETCH 1:0:1 START_DEV 1", "reload: device 1 starts");
	is_int(c.calls, 1, "reload: not done before it serves");
	fk_complete(&R, "START_DEV", 1, 0);
	ok(c.calls == 3 && !c.boot && !c.errors,
	   "reload: the run is done, and the one asked for during it");
	ok(a.calls == 1 && !a.errors && !a.failed[0],
	   "reload: its caller is answered once, without errors");
	is_str(a.changes, "replaced scratch /dev/ublkb1\n",
	       "reload: the answer says what changed");
	ok(again.calls == 1 && !again.errors && !again.failed[0] &&
		   !again.changes[0],
	   "reload: the one asked for during the run reads the file again: no change");
	dev = ubr_dev_find_name(&R, "scratch");
	ok(dev && dev->id == 1 && dev->state == UBR_DEV_LIVE,
	   "reload: the name is served by the new device");
	is_int(R.nr_devs, 1, "reload: only that device");
	ubr_config_ctl_deinit(ctl);
	end();
}

/*
 * A service restarted after a crash: the device its file declares is
 * recovered (update-size had made it 4G; the line says 3G) before the
 * boot run, which must find the line unchanged: what the user said is
 * compared, not what the device became.
 */
static void test_reload_keeps_resized_recovered_device(void)
{
	struct config_runs c = { 0 };
	struct answer a = { 0 };
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = 2, .queue_depth = 2,
		.state = UBLK_S_DEV_QUIESCED, .dev_id = 0, .flags = RECOVERABLE,
	};
	struct ublk_params params = { .basic.dev_sectors = (4ULL << 30) >> 9 };
	struct ubr_dev_opts o;
	char path[256], err[256];
	struct ubr_config_ctl *ctl = NULL;
	struct ubr_dev *dev;

	diag("reload: a recovered device resized by update-size -> kept");
	snprintf(path, sizeof(path), "%s/test.conf",
		 getenv("UBLK_REACTOR_RUNDIR"));
	write_file(path, "scratch null --queues 2 --depth 2 --size 3G --scheduler kernel\n");
	begin(F_BASE);
	null_opts(&o, UBR_SCHED_KERNEL);
	snprintf(o.name, sizeof(o.name), "scratch");
	o.id = 0;
	ubr_dev_recover(&R, &o, UBR_COPY_USER, answer_cb, &a);
	fk_complete_buf(&R, "GET_DEV_INFO", 0, 0, &info, sizeof(info));
	fk_complete_buf(&R, "GET_PARAMS", 0, 0, &params, sizeof(params));
	fk_complete(&R, "START_USER_RECOVERY", 0, 0);
	fk_complete(&R, "END_USER_RECOVERY", 0, 0);
	log_is("GET_DEV_INFO 0 GET_PARAMS 0 START_USER_RECOVERY 0 " FETCHES_0
	       " END_USER_RECOVERY 0", "reload: the device is recovered first");
	answered_once(&a, 0, "reload: recover");
	dev = dev0();
	ok(dev->state == UBR_DEV_LIVE &&
		   dev->params.basic.dev_sectors << 9 == 4ULL << 30,
	   "reload: it serves its new size, 4G");
	record_says(0, 4ULL << 30, NULL_SIZE, "reload");

	is_int(ubr_config_ctl_init(&ctl, &R, path, true, config_done_cb, &c, err,
				   sizeof(err)), 0, "reload: the file is read");
	ubr_config_boot(ctl);
	log_is("", "reload: the boot run sends nothing: the line is unchanged");
	ok(c.calls == 1 && c.boot && !c.errors, "reload: the boot run is done");
	ubr_config_reload(ctl, NULL, NULL);
	log_is("", "reload: nor does a reload");
	ok(c.calls == 2 && !c.errors, "reload: the reload is done");
	ok(dev0() == dev && dev->state == UBR_DEV_LIVE && dev->from_config &&
		   dev->params.basic.dev_sectors << 9 == 4ULL << 30,
	   "reload: the same device, still 4G, now the file's");
	ubr_config_ctl_deinit(ctl);
	ubr_record_remove(0);
	end();
}

/* A daemon started without a file: `reload` hears why at once. */
static void test_reload_without_file(void)
{
	struct reload_answer a = { 0 };

	diag("reload: no config file -> answered at once, no run");
	ubr_config_reload(NULL, reload_cb, &a);
	ok(a.calls == 1 && !a.changes[0] &&
		   !strcmp(a.failed, "this daemon has no configuration file"),
	   "reload: without a file, the caller is told so at once");
}

int main(void)
{
	char dir[] = "/tmp/ubr-lifecycle.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	setenv("UBLK_REACTOR_RUNDIR", dir, 1);
	test_add_goes_live();
	test_zero_explicit();
	test_zero_fallback();
	test_user_copy();
	test_add_fails_at_add_dev();
	test_add_fails_id_in_use();
	test_add_fails_at_set_params();
	test_add_fails_opening_cdev();
	test_add_fails_at_start_dev();
	test_del_live();
	test_del_refused_while_kernel_keeps_it_live();
	test_del_stop_helper_fails();
	test_del_safe_refused_while_open();
	test_del_safe_ring_fallback_and_force();
	test_del_safe_refused_while_quiesced();
	test_del_while_starting();
	test_del_before_add_dev_answers();
	test_quiesce_then_resume();
	test_quiesce_second_round();
	test_quiesce_abandoned_by_del();
	test_resume_retries_busy();
	test_resume_abandoned_by_del();
	test_stop_drains_without_quiesce();
	test_stop_quiesces();
	test_exit_deletes_all();
	test_prepare_waits_off_the_loop();
	test_exit_cancels_prepare();
	test_recover();
	test_recover_refused();
	test_recover_copy_flags();
	test_recover_waits_for_quiesce(dead_pid());
	test_recover_waits_for_quiesce(getpid());
	test_recover_refuses_served();
	test_recoverable_info();
	test_recover_fails_at_end();
	test_reload_replaces_changed_device();
	test_reload_keeps_resized_recovered_device();
	test_reload_without_file();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
