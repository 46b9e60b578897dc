/* SPDX-License-Identifier: MIT */
/* Control commands on /dev/ublk-control, asynchronous on the shared ring. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_ctrl.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_user_data.h"

const char *ubr_ctrl_op_name(uint32_t op)
{
	switch (op) {
	case UBLK_U_CMD_GET_DEV_INFO: return "GET_DEV_INFO";
	case UBLK_U_CMD_ADD_DEV: return "ADD_DEV";
	case UBLK_U_CMD_DEL_DEV: return "DEL_DEV";
	case UBLK_U_CMD_START_DEV: return "START_DEV";
	case UBLK_U_CMD_STOP_DEV: return "STOP_DEV";
	case UBLK_U_CMD_SET_PARAMS: return "SET_PARAMS";
	case UBLK_U_CMD_GET_PARAMS: return "GET_PARAMS";
	case UBLK_U_CMD_START_USER_RECOVERY: return "START_USER_RECOVERY";
	case UBLK_U_CMD_END_USER_RECOVERY: return "END_USER_RECOVERY";
	case UBLK_U_CMD_GET_FEATURES: return "GET_FEATURES";
	case UBLK_U_CMD_DEL_DEV_ASYNC: return "DEL_DEV_ASYNC";
	case UBLK_U_CMD_UPDATE_SIZE: return "UPDATE_SIZE";
	case UBLK_U_CMD_QUIESCE_DEV: return "QUIESCE_DEV";
	case UBLK_U_CMD_TRY_STOP_DEV: return "TRY_STOP_DEV";
	}
	return "?";
}

/* Which buffer, and how long, each command hands the kernel. */
static void ctrl_set_buffer(struct ubr_ctrl_req *req)
{
	switch (req->op) {
	case UBLK_U_CMD_ADD_DEV:
	case UBLK_U_CMD_GET_DEV_INFO:
		req->cmd.addr = (uintptr_t)&req->buf.info;
		req->cmd.len = sizeof(req->buf.info);
		break;
	case UBLK_U_CMD_SET_PARAMS:
	case UBLK_U_CMD_GET_PARAMS:
		req->cmd.addr = (uintptr_t)&req->buf.params;
		req->cmd.len = sizeof(req->buf.params);
		req->buf.params.len = sizeof(req->buf.params);
		break;
	case UBLK_U_CMD_GET_FEATURES:
		req->cmd.addr = (uintptr_t)&req->buf.features;
		req->cmd.len = sizeof(req->buf.features);
		break;
	}
}

/* A free slot in r->ctrl (growing it), or -ENOMEM. */
static int ctrl_slot(struct ubr_reactor *r)
{
	struct ubr_ctrl_req **t;
	unsigned i, n;

	for (i = 0; i < r->nr_ctrl; i++)
		if (!r->ctrl[i])
			return (int)i;
	n = r->nr_ctrl ? r->nr_ctrl * 2 : 16;
	if (n > UBR_MAX_TGT_DATA)
		return -ENOMEM;
	t = realloc(r->ctrl, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + r->nr_ctrl, 0, (n - r->nr_ctrl) * sizeof(*t));
	r->ctrl = t;
	i = r->nr_ctrl;
	r->nr_ctrl = n;
	return (int)i;
}

/*
 * IOSQE_ASYNC, a kernel quirk's workaround: the command must be copied out
 * of its SQ slot before the submit returns, because the reactor reuses the
 * slot right away (for a FETCH or a COMMIT on /dev/ublkcN, often in the
 * same turn). ublk_drv answers a non-blocking try with -EAGAIN and runs the
 * command from an io_uring worker. Kernels with "io_uring/uring_cmd: defer
 * SQE copying until it's needed" and without "io_uring/uring_cmd:
 * unconditionally copy SQEs at prep time" (6.12 LTS: checked in 6.12.117's
 * source) copy the SQE on that -EAGAIN but leave the command pointing at
 * the SQ slot, so the worker reads the header (dev_id, addr, data) from
 * whatever the slot holds by then: a COMMIT's q_id and tag read as dev_id
 * made STOP_DEV stop another device or answer -ENODEV, and a delete then
 * waited for ever. With IOSQE_ASYNC those kernels copy the SQE at prep
 * time and read only the copy. Newer kernels copy it themselves before the
 * submit returns (7.2: when the command first goes async), and the flag
 * only skips a non-blocking try that fails anyway. It can go once no
 * supported kernel lacks the unconditional copy.
 */
static void ctrl_prep_sqe(struct io_uring_sqe *sqe, int ctrl_fd,
			  const struct ubr_ctrl_req *req)
{
	memset(sqe, 0, 2 * sizeof(*sqe)); /* SQE128: the command is inline */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = ctrl_fd;
	sqe->flags = IOSQE_ASYNC;
	sqe->cmd_op = req->op;
	memcpy(sqe->cmd, &req->cmd, sizeof(req->cmd));
}

/* A request in a free slot, counted in flight; NULL if out of memory. */
static struct ubr_ctrl_req *ctrl_req_new(struct ubr_reactor *r, uint32_t op,
					 uint32_t dev_id, ubr_ctrl_cb cb,
					 void *ctx)
{
	struct ubr_ctrl_req *req;
	int slot = ctrl_slot(r);

	if (slot < 0)
		return NULL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->index = (unsigned)slot;
	req->op = op;
	req->cb = cb;
	req->ctx = ctx;
	req->cmd.dev_id = dev_id;
	req->cmd.queue_id = (__u16)-1;
	r->ctrl[slot] = req;
	r->ctrl_inflight++;
	return req;
}

struct ubr_ctrl_req *ubr_ctrl_submit(struct ubr_reactor *r, uint32_t op,
				     uint32_t dev_id, uint64_t data0,
				     ubr_ctrl_cb cb, void *ctx)
{
	struct ubr_ctrl_req *req = ctrl_req_new(r, op, dev_id, cb, ctx);
	struct io_uring_sqe *sqe;

	if (!req)
		return NULL;
	req->cmd.data[0] = data0;
	ctrl_set_buffer(req);
	/*
	 * The SQE is filled now but read by the kernel at the next submit;
	 * the buffer behind cmd.addr (req->buf) may still be filled in by the
	 * caller until then, and stays ours until the CQE.
	 */
	sqe = ubr_reactor_sqe(r);
	ctrl_prep_sqe(sqe, r->ctrl_fd, req);
	io_uring_sqe_set_data64(sqe, ubr_ud_encode(UBR_UD_CTRL, 0, 0, 0,
						   req->index));
	return req;
}

void ubr_ctrl_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	struct ubr_ud d = ubr_ud_decode(cqe->user_data);
	struct ubr_ctrl_req *req;
	int res = cqe->res;

	if (d.data >= r->nr_ctrl || !r->ctrl[d.data]) {
		ubr_warn("completion for unknown control command %u", d.data);
		return;
	}
	req = r->ctrl[d.data];
	r->ctrl[d.data] = NULL;
	r->ctrl_inflight--;
	if (req->cmd.dev_id == (__u32)-1)
		ubr_dbg("new dev %s: %d", ubr_ctrl_op_name(req->op), res);
	else
		ubr_dbg("dev %u %s: %d", req->cmd.dev_id,
			ubr_ctrl_op_name(req->op), res);
	if (req->cb)
		req->cb(r, req, res);
	free(req);
}

/*
 * Before the loop runs (and for `features` without a daemon): submit and
 * wait right here. Nothing else is on the ring yet.
 */
int ubr_ctrl_sync(struct ubr_reactor *r, struct ubr_ctrl_req *req,
		  uint32_t op, uint32_t dev_id)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	memset(req, 0, sizeof(*req));
	req->op = op;
	req->cmd.dev_id = dev_id;
	req->cmd.queue_id = (__u16)-1;
	ctrl_set_buffer(req);
	sqe = ubr_reactor_sqe(r);
	ctrl_prep_sqe(sqe, r->ctrl_fd, req);
	io_uring_sqe_set_data64(sqe, ubr_ud_encode(UBR_UD_IGNORE, 0, 0, 0, 0));
	ret = io_uring_submit_and_wait(&r->ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(&r->ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	return ret;
}

int ubr_ctrl_oneshot(uint32_t op, uint32_t dev_id)
{
	struct ubr_reactor *r = calloc(1, sizeof(*r));
	struct ubr_ctrl_req req;
	int ret;

	if (!r)
		return -ENOMEM;
	r->ctrl_fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (r->ctrl_fd < 0) {
		ret = -errno;
		goto free_r;
	}
	ret = io_uring_queue_init(2, &r->ring, IORING_SETUP_SQE128);
	if (ret < 0)
		goto close_fd;
	ret = ubr_ctrl_sync(r, &req, op, dev_id);
	io_uring_queue_exit(&r->ring);
close_fd:
	close(r->ctrl_fd);
free_r:
	free(r);
	return ret;
}

int ubr_ctrl_get_features_sync(struct ubr_reactor *r, uint64_t *features)
{
	struct ubr_ctrl_req req;
	int ret = ubr_ctrl_sync(r, &req, UBLK_U_CMD_GET_FEATURES, (__u32)-1);

	if (ret < 0)
		return ret;
	*features = req.buf.features;
	return 0;
}
