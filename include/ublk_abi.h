/* SPDX-License-Identifier: MIT */
/*
 * The part of the kernel's ublk user ABI that ublk-reactor speaks.
 *
 * Debian 12's <linux/ublk_cmd.h> predates most of what we use (ioctl-encoded
 * opcodes, GET_FEATURES, user copy, auto buffer registration), so the layout
 * is kept here, written from the kernel's documented interface
 * (Documentation/block/ublk.rst and include/uapi/linux/ublk_cmd.h). Every
 * struct size is pinned by a static assert below: a mistake here is a silent
 * memory corruption in the kernel's eyes.
 */
#ifndef UBR_UBLK_ABI_H
#define UBR_UBLK_ABI_H

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Control command: sent as IORING_OP_URING_CMD to /dev/ublk-control. */
struct ublksrv_ctrl_cmd {
	__u32 dev_id;	/* target device, or UBR_DEV_ID_ANY for ADD_DEV */
	__u16 queue_id; /* 0xffff unless the command names a queue */
	__u16 len;	/* length of the buffer at addr */
	__u64 addr;	/* command-specific in/out buffer */
	__u64 data[1];	/* inline argument (START_DEV: server pid) */
	__u16 dev_path_len;
	__u16 pad;
	__u32 reserved;
};

/* In/out of ADD_DEV, out of GET_DEV_INFO. */
struct ublksrv_ctrl_dev_info {
	__u16 nr_hw_queues;
	__u16 queue_depth;
	__u16 state; /* UBLK_S_DEV_* */
	__u16 pad0;
	__u32 max_io_buf_bytes;
	__u32 dev_id;
	__s32 ublksrv_pid;
	__u32 pad1;
	__u64 flags;	     /* UBLK_F_* */
	__u64 ublksrv_flags; /* opaque to the kernel: ours */
	__u32 owner_uid;
	__u32 owner_gid;
	__u64 reserved1;
	__u64 reserved2;
};

/* One request, in the per-queue array the server mmaps from /dev/ublkcN. */
struct ublksrv_io_desc {
	__u32 op_flags; /* op in bits 0-7, UBLK_IO_F_* above */
	__u32 nr_sectors;
	__u64 start_sector;
	__u64 addr; /* the server buffer, in buffer-copy mode only */
};

/* I/O command: sent as IORING_OP_URING_CMD to /dev/ublkcN. */
struct ublksrv_io_cmd {
	__u16 q_id;
	__u16 tag;
	__s32 result; /* COMMIT: bytes done or -errno */
	__u64 addr;   /* FETCH: buffer address, or auto-buf-reg data */
};

struct ublk_param_basic {
	__u32 attrs; /* UBLK_ATTR_* */
	__u8 logical_bs_shift;
	__u8 physical_bs_shift;
	__u8 io_opt_shift;
	__u8 io_min_shift;
	__u32 max_sectors;
	__u32 chunk_sectors;
	__u64 dev_sectors;
	__u64 virt_boundary_mask;
};

struct ublk_param_discard {
	__u32 discard_alignment;
	__u32 discard_granularity;
	__u32 max_discard_sectors;
	__u32 max_write_zeroes_sectors;
	__u16 max_discard_segments;
	__u16 reserved0;
};

/* Filled in by the kernel once the disk exists (GET_PARAMS). */
struct ublk_param_devt {
	__u32 char_major;
	__u32 char_minor;
	__u32 disk_major;
	__u32 disk_minor;
};

/*
 * The kernel copies min(len, its own size) and ignores the rest, so this
 * prefix of its struct ublk_params (basic, discard, devt) is enough for every
 * kernel we target; the later parameter types are not used.
 */
struct ublk_params {
	__u32 len;
	__u32 types; /* UBLK_PARAM_TYPE_* present */
	struct ublk_param_basic basic;
	struct ublk_param_discard discard;
	struct ublk_param_devt devt;
};

static_assert(sizeof(struct ublksrv_ctrl_cmd) == 32, "ctrl cmd ABI");
static_assert(sizeof(struct ublksrv_ctrl_dev_info) == 64, "dev info ABI");
static_assert(sizeof(struct ublksrv_io_desc) == 24, "io desc ABI");
static_assert(sizeof(struct ublksrv_io_cmd) == 16, "io cmd ABI");
static_assert(sizeof(struct ublk_param_basic) == 32, "basic params ABI");
static_assert(sizeof(struct ublk_param_discard) == 20, "discard params ABI");
static_assert(offsetof(struct ublk_params, discard) == 40, "params ABI");
static_assert(offsetof(struct ublk_params, devt) == 60, "params ABI");

/*
 * A 32-bit server talks to a 64-bit kernel through these same structs, and
 * i386 aligns a __u64 to 4 bytes only: the sizes above would not catch a
 * __u64 that moved into a 4-byte hole. Every 64-bit field sits where the
 * kernel's 64-bit layout has it. (sizeof(struct ublk_params) is 80 on
 * x86-64 and 76 on i386, tail padding only: the kernel reads the len we
 * pass, and no field of ours is in those 4 bytes.)
 */
static_assert(offsetof(struct ublksrv_ctrl_cmd, addr) == 8, "ctrl cmd ABI");
static_assert(offsetof(struct ublksrv_ctrl_cmd, data) == 16, "ctrl cmd ABI");
static_assert(offsetof(struct ublksrv_ctrl_cmd, dev_path_len) == 24,
	      "ctrl cmd ABI");
static_assert(offsetof(struct ublksrv_ctrl_dev_info, flags) == 24,
	      "dev info ABI");
static_assert(offsetof(struct ublksrv_ctrl_dev_info, ublksrv_flags) == 32,
	      "dev info ABI");
static_assert(offsetof(struct ublksrv_ctrl_dev_info, reserved1) == 48,
	      "dev info ABI");
static_assert(offsetof(struct ublksrv_io_desc, start_sector) == 8,
	      "io desc ABI");
static_assert(offsetof(struct ublksrv_io_desc, addr) == 16, "io desc ABI");
static_assert(offsetof(struct ublksrv_io_cmd, addr) == 8, "io cmd ABI");
static_assert(offsetof(struct ublk_param_basic, dev_sectors) == 16,
	      "basic params ABI");
static_assert(offsetof(struct ublk_param_basic, virt_boundary_mask) == 24,
	      "basic params ABI");
static_assert(offsetof(struct ublk_params, basic) == 8, "params ABI");
static_assert(offsetof(struct ublk_params, devt) +
			      sizeof(struct ublk_param_devt) == 76,
	      "params ABI");

/* Control opcodes (command number; the ioctl encoding wraps them). */
#define UBLK_CMD_GET_DEV_INFO 0x02
#define UBLK_CMD_ADD_DEV 0x04
#define UBLK_CMD_DEL_DEV 0x05
#define UBLK_CMD_START_DEV 0x06
#define UBLK_CMD_STOP_DEV 0x07
#define UBLK_CMD_SET_PARAMS 0x08
#define UBLK_CMD_GET_PARAMS 0x09
#define UBLK_CMD_START_USER_RECOVERY 0x10
#define UBLK_CMD_END_USER_RECOVERY 0x11
#define UBLK_CMD_GET_DEV_INFO2 0x12
#define UBLK_CMD_GET_FEATURES 0x13
#define UBLK_CMD_DEL_DEV_ASYNC 0x14
#define UBLK_CMD_UPDATE_SIZE 0x15
#define UBLK_CMD_QUIESCE_DEV 0x16
/* STOP_DEV only if no one has the disk open, else -EBUSY (7.0). */
#define UBLK_CMD_TRY_STOP_DEV 0x17

#define UBLK_U_CMD_GET_DEV_INFO \
	_IOR('u', UBLK_CMD_GET_DEV_INFO, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_ADD_DEV _IOWR('u', UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_DEL_DEV _IOWR('u', UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_DEV \
	_IOWR('u', UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_STOP_DEV _IOWR('u', UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_SET_PARAMS \
	_IOWR('u', UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_GET_PARAMS \
	_IOR('u', UBLK_CMD_GET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_USER_RECOVERY \
	_IOWR('u', UBLK_CMD_START_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_END_USER_RECOVERY \
	_IOWR('u', UBLK_CMD_END_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_GET_FEATURES \
	_IOR('u', UBLK_CMD_GET_FEATURES, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_DEL_DEV_ASYNC \
	_IOR('u', UBLK_CMD_DEL_DEV_ASYNC, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_UPDATE_SIZE \
	_IOWR('u', UBLK_CMD_UPDATE_SIZE, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_QUIESCE_DEV \
	_IOWR('u', UBLK_CMD_QUIESCE_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_TRY_STOP_DEV \
	_IOWR('u', UBLK_CMD_TRY_STOP_DEV, struct ublksrv_ctrl_cmd)

/* I/O opcodes. */
#define UBLK_U_IO_FETCH_REQ _IOWR('u', 0x20, struct ublksrv_io_cmd)
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ _IOWR('u', 0x21, struct ublksrv_io_cmd)
#define UBLK_U_IO_NEED_GET_DATA _IOWR('u', 0x22, struct ublksrv_io_cmd)
#define UBLK_U_IO_REGISTER_IO_BUF _IOWR('u', 0x23, struct ublksrv_io_cmd)
#define UBLK_U_IO_UNREGISTER_IO_BUF _IOWR('u', 0x24, struct ublksrv_io_cmd)

/*
 * Batch I/O (UBLK_F_BATCH_IO, Linux 7.0): instead of one command per tag,
 * per queue one PREP_IO_CMDS (every tag, once), a multishot FETCH_IO_CMDS
 * whose completions name the tags that arrived (2-byte tags written into a
 * buffer it picks from a provided buffer ring: sqe->buf_group, and
 * IORING_URING_CMD_MULTISHOT in sqe->uring_cmd_flags), and COMMIT_IO_CMDS
 * for many results at once. On such a device's /dev/ublkcN the per-tag
 * FETCH_REQ, COMMIT_AND_FETCH_REQ and NEED_GET_DATA fail (-EOPNOTSUPP);
 * REGISTER_IO_BUF and UNREGISTER_IO_BUF still work.
 *
 * PREP and COMMIT carry this struct in the SQE's command area and, at
 * sqe->addr (sqe->len bytes), nr_elem elements of elem_bytes each: a
 * struct ublk_elem_header, then buf_addr if UBLK_BATCH_F_HAS_BUF_ADDR
 * (the buffer copy mode: the tag's buffer; refused otherwise), then the
 * zone-append LBA if UBLK_BATCH_F_HAS_ZONE_LBA (zoned devices only).
 * elem_bytes must be exactly 8 plus 8 per optional field, nr_elem at most
 * the queue depth (else -E2BIG). FETCH takes flags 0 and elem_bytes 2.
 *
 * PREP answers 0 or -errno (then no tag was prepared). COMMIT answers
 * -errno if its first element failed, else the bytes of the elements
 * handled: those after a failed one are not committed.
 */
struct ublk_batch_io {
	__u16 q_id;
	__u16 flags;	  /* UBLK_BATCH_F_* */
	__u16 nr_elem;
	__u8 elem_bytes;
	__u8 reserved;
	__u64 reserved2;
};

struct ublk_elem_header {
	__u16 tag;
	__u16 buf_index; /* AUTO_BUF_REG: the slot for the tag's next request */
	__s32 result;	 /* COMMIT: bytes done or -errno */
};

#define UBLK_BATCH_F_HAS_ZONE_LBA (1 << 0)
#define UBLK_BATCH_F_HAS_BUF_ADDR (1 << 1)
/* AUTO_BUF_REG's FALLBACK for every element; not with HAS_BUF_ADDR. */
#define UBLK_BATCH_F_AUTO_BUF_REG_FALLBACK (1 << 2)

static_assert(sizeof(struct ublk_batch_io) == 16, "batch io ABI");
static_assert(offsetof(struct ublk_batch_io, elem_bytes) == 6,
	      "batch io ABI");
static_assert(offsetof(struct ublk_batch_io, reserved2) == 8, "batch io ABI");
static_assert(sizeof(struct ublk_elem_header) == 8, "batch element ABI");

#define UBLK_U_IO_PREP_IO_CMDS _IOWR('u', 0x25, struct ublk_batch_io)
#define UBLK_U_IO_COMMIT_IO_CMDS _IOWR('u', 0x26, struct ublk_batch_io)
#define UBLK_U_IO_FETCH_IO_CMDS _IOWR('u', 0x27, struct ublk_batch_io)

/* sqe->uring_cmd_flags: a multishot command (Linux 7.0's io_uring.h). */
#ifndef IORING_URING_CMD_MULTISHOT
#define IORING_URING_CMD_MULTISHOT (1U << 1)
#endif

/* Result of a FETCH / COMMIT_AND_FETCH completion. */
#define UBLK_IO_RES_OK 0
#define UBLK_IO_RES_NEED_GET_DATA 1
#define UBLK_IO_RES_ABORT (-ENODEV) /* the queue is going away: no refetch */

/* mmap offset of the descriptor arrays, and the user-copy file offsets. */
#define UBLKSRV_CMD_BUF_OFFSET 0
#define UBLKSRV_IO_BUF_OFFSET 0x80000000ULL
#define UBLK_MAX_QUEUE_DEPTH 4096
#define UBLK_MAX_NR_QUEUES 4096
#define UBLK_IO_BUF_BITS 25 /* byte offset inside one request */
#define UBLK_TAG_OFF UBLK_IO_BUF_BITS
#define UBLK_TAG_BITS 16
#define UBLK_QID_OFF (UBLK_TAG_OFF + UBLK_TAG_BITS)
#define UBLK_QID_BITS 12

/* Feature / device flags (GET_FEATURES, ADD_DEV info.flags). */
#define UBLK_F_SUPPORT_ZERO_COPY (1ULL << 0)
#define UBLK_F_URING_CMD_COMP_IN_TASK (1ULL << 1)
#define UBLK_F_NEED_GET_DATA (1ULL << 2)
#define UBLK_F_USER_RECOVERY (1ULL << 3)
#define UBLK_F_USER_RECOVERY_REISSUE (1ULL << 4)
#define UBLK_F_UNPRIVILEGED_DEV (1ULL << 5)
#define UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)
#define UBLK_F_USER_COPY (1ULL << 7)
#define UBLK_F_ZONED (1ULL << 8)
#define UBLK_F_USER_RECOVERY_FAIL_IO (1ULL << 9)
#define UBLK_F_UPDATE_SIZE (1ULL << 10)
#define UBLK_F_AUTO_BUF_REG (1ULL << 11)
#define UBLK_F_QUIESCE (1ULL << 12)
#define UBLK_F_PER_IO_DAEMON (1ULL << 13)
#define UBLK_F_BUF_REG_OFF_DAEMON (1ULL << 14)
/* The batch commands above (7.0); no NEED_GET_DATA, no PER_IO_DAEMON. */
#define UBLK_F_BATCH_IO (1ULL << 15)
/*
 * UBLK_U_CMD_TRY_STOP_DEV is known (7.0): the kernel stops the device only
 * while the disk has no opener, and refuses new opens from then on.
 */
#define UBLK_F_SAFE_STOP_DEV (1ULL << 17)
/* No partition scan when the disk is added (7.0); bit 16 unused here. */
#define UBLK_F_NO_AUTO_PART_SCAN (1ULL << 18)

/* Device states (dev_info.state). */
#define UBLK_S_DEV_DEAD 0
#define UBLK_S_DEV_LIVE 1
#define UBLK_S_DEV_QUIESCED 2
#define UBLK_S_DEV_FAIL_IO 3

/* Request operations (desc.op_flags & 0xff) and flags. */
#define UBLK_IO_OP_READ 0
#define UBLK_IO_OP_WRITE 1
#define UBLK_IO_OP_FLUSH 2
#define UBLK_IO_OP_DISCARD 3
#define UBLK_IO_OP_WRITE_SAME 4
#define UBLK_IO_OP_WRITE_ZEROES 5
#define UBLK_IO_F_FAILFAST_DEV (1U << 8)
#define UBLK_IO_F_FAILFAST_TRANSPORT (1U << 9)
#define UBLK_IO_F_FAILFAST_DRIVER (1U << 10)
#define UBLK_IO_F_META (1U << 11)
#define UBLK_IO_F_FUA (1U << 13)
#define UBLK_IO_F_NOUNMAP (1U << 15)
#define UBLK_IO_F_SWAP (1U << 16)
#define UBLK_IO_F_NEED_REG_BUF (1U << 17)

/* The request's operation, UBLK_IO_OP_*: bits 0-7 of op_flags. */
static inline unsigned ubr_iod_op(const struct ublksrv_io_desc *iod)
{
	return iod->op_flags & 0xff;
}

/* Basic parameter attributes. */
#define UBLK_ATTR_READ_ONLY (1 << 0)
#define UBLK_ATTR_ROTATIONAL (1 << 1)
#define UBLK_ATTR_VOLATILE_CACHE (1 << 2)
#define UBLK_ATTR_FUA (1 << 3)

#define UBLK_PARAM_TYPE_BASIC (1 << 0)
#define UBLK_PARAM_TYPE_DISCARD (1 << 1)
#define UBLK_PARAM_TYPE_DEVT (1 << 2)

/*
 * AUTO_BUF_REG: FETCH / COMMIT_AND_FETCH carry, in sqe->addr, the slot of
 * the ring's sparse buffer table where the kernel registers the request's
 * pages: bits 0-15 index, 16-23 flags, the rest reserved (zero).
 */
#define UBLK_AUTO_BUF_REG_FALLBACK (1 << 0)

static inline __u64 ublk_auto_buf_reg_addr(__u16 index, __u8 flags)
{
	return (__u64)index | (__u64)flags << 16;
}

/* File offset of a request's data on /dev/ublkcN in USER_COPY mode. */
static inline __u64 ublk_user_copy_pos(__u16 q_id, __u16 tag, __u32 offset)
{
	return UBLKSRV_IO_BUF_OFFSET + ((__u64)q_id << UBLK_QID_OFF) +
	       ((__u64)tag << UBLK_TAG_OFF) + offset;
}

#endif /* UBR_UBLK_ABI_H */
