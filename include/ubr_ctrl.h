/* SPDX-License-Identifier: MIT */
/*
 * Control commands on /dev/ublk-control, submitted on the shared ring.
 * The kernel runs them on its own workers, so a START_DEV that waits for a
 * partition scan never blocks the reactor; the callback runs when the CQE
 * arrives, in the reactor thread.
 */
#ifndef UBR_CTRL_H
#define UBR_CTRL_H

#include <stdint.h>

#include "ublk_abi.h"

/*
 * How long one QUIESCE_DEV lets the kernel wait for the requests we hold
 * to finish before it answers -EBUSY: as long as the longest delay a
 * target adds on purpose (fault --delay, 10 s). The callers send another
 * round after -EBUSY, so a slower request is waited for still, and a
 * delete asked meanwhile begins between rounds.
 */
#define UBR_QUIESCE_WAIT_MS 10000

struct io_uring_cqe;
struct ubr_reactor;
struct ubr_ctrl_req;

typedef void (*ubr_ctrl_cb)(struct ubr_reactor *r, struct ubr_ctrl_req *req,
			    int res);

struct ubr_ctrl_req {
	unsigned index; /* in r->ctrl, carried in user_data */
	uint32_t op;	/* UBLK_U_CMD_* */
	struct ublksrv_ctrl_cmd cmd;
	ubr_ctrl_cb cb;
	void *ctx;
	/* the buffer cmd.addr points at: it must live until the CQE */
	union {
		struct ublksrv_ctrl_dev_info info;
		struct ublk_params params;
		uint64_t features;
	} buf;
};

/*
 * Queue a control command for device `dev_id`. `data0` is the inline
 * argument (START_DEV: our pid). The buffer for ops that take one is
 * req->buf: fill it through the returned request before the next submit.
 * Returns the request, or NULL (out of memory).
 */
struct ubr_ctrl_req *ubr_ctrl_submit(struct ubr_reactor *r, uint32_t op,
				     uint32_t dev_id, uint64_t data0,
				     ubr_ctrl_cb cb, void *ctx);
const char *ubr_ctrl_op_name(uint32_t op);
/* A control command's completion: its callback, then the request freed. */
void ubr_ctrl_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe);

/*
 * Before the loop runs only (nothing else may be on the ring): submit one
 * command and wait for it. Returns its result; req->buf has its answer.
 */
int ubr_ctrl_sync(struct ubr_reactor *r, struct ubr_ctrl_req *req,
		  uint32_t op, uint32_t dev_id);
/*
 * Outside the daemon (a helper process, src/admin/helper_cmds.c): one command
 * on a control descriptor and a ring of its own, waited for. Its result.
 */
int ubr_ctrl_oneshot(uint32_t op, uint32_t dev_id);
/* Synchronous GET_FEATURES at start-up, before the loop runs. */
int ubr_ctrl_get_features_sync(struct ubr_reactor *r, uint64_t *features);

#endif /* UBR_CTRL_H */
