/* SPDX-License-Identifier: MIT */
/*
 * Devices, queues and requests as the reactor sees them, and the options a
 * device is created with (shared by the CLI, which parses them, and the
 * daemon, which parses them again from the admin socket and acts on them).
 */
#ifndef UBR_DEV_H
#define UBR_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ublk_abi.h"
#include "ubr_stats.h"

struct io_uring_cqe;
struct io_uring_sqe;
struct ubr_batchq;
struct ubr_drain;
struct ubr_reactor;
struct ubr_target_ops;

#define UBR_MAX_FILES 8
#define UBR_TARGET_NAME_MAX 16
#define UBR_DEV_ID_ANY ((uint32_t)-1)
/* The kernel refuses ids at or above its minor space (1 << MINORBITS). */
#define UBR_MAX_DEV_ID ((1U << 20) - 1)
#define UBR_NAME_MAX 64 /* bytes in a device name, without the NUL */

enum ubr_copy_mode {
	UBR_COPY_AUTO = 0, /* the best the kernel offers */
	UBR_COPY_BUFFER,   /* per-tag buffers, the kernel copies */
	UBR_COPY_USER,	   /* UBLK_F_USER_COPY: pread/pwrite on /dev/ublkcN */
	UBR_COPY_ZERO,	   /* UBLK_F_AUTO_BUF_REG: request pages in the ring */
	UBR_COPY_GET_DATA, /* buffer, UBLK_F_NEED_GET_DATA: write data on request */
	UBR_COPY_ZERO_EXPLICIT, /* UBLK_F_SUPPORT_ZERO_COPY: we register pages */
};

/* The zero copy modes: request pages in the ring's buffer table. */
static inline bool ubr_copy_mode_zero(enum ubr_copy_mode m)
{
	return m == UBR_COPY_ZERO || m == UBR_COPY_ZERO_EXPLICIT;
}

/*
 * add --batch-io: a queue's requests through ublk's batch commands
 * (UBLK_F_BATCH_IO) or one command per tag. OFF is the default and 0,
 * though batch I/O is faster with several busy devices (doc/PERFORMANCE.md,
 * "Batch I/O"): the kernel fails a batch device's I/O while quiesced, so
 * such a device cannot be quiesced, and stop drains it instead.
 */
enum ubr_batch_io {
	UBR_BATCH_IO_OFF = 0,
	UBR_BATCH_IO_ON,   /* refused where the kernel or copy mode cannot */
	UBR_BATCH_IO_AUTO, /* where the kernel and copy mode can */
};

/* What the kernel does with a device while no daemon serves it. */
enum ubr_recovery {
	UBR_RECOVERY_DEFAULT = 0, /* reissue where the kernel can, else off */
	UBR_RECOVERY_OFF,	  /* the device goes when the daemon does */
	UBR_RECOVERY_QUEUE,	  /* new I/O waits; requests in the daemon fail */
	UBR_RECOVERY_REISSUE,	  /* new I/O waits; requests in the daemon rerun */
	UBR_RECOVERY_FAIL_IO,	  /* I/O fails with EIO until recovered */
};

/*
 * A ublk disk stacks on whatever serves it, as the kernel's loop driver
 * does: like that driver (and null_blk), it runs with no I/O scheduler unless told. The
 * kernel would give it mq-deadline, whose dispatch from a kworker cut the
 * IOPS of a device that stores nothing to a third (sid, see
 * doc/PERFORMANCE.md).
 */
#define UBR_DEFAULT_SCHEDULER "none"
#define UBR_SCHED_KERNEL "kernel"
#define UBR_SCHED_NAME_MAX 31

/*
 * Everything `add` can say; the daemon's copy is what recovery records.
 * It stays what the user said: what the device became (its copy mode,
 * recovery mode, size after update-size) is in struct ubr_dev.
 */
struct ubr_dev_opts {
	char target[UBR_TARGET_NAME_MAX];
	uint32_t id; /* UBR_DEV_ID_ANY: the kernel picks */
	uint16_t nr_queues;
	uint16_t depth;
	uint32_t max_io_bytes;
	uint64_t size; /* bytes; 0: the target's default */
	uint32_t logical_bs;
	bool read_only;
	enum ubr_copy_mode copy_mode;
	enum ubr_recovery recovery;
	enum ubr_batch_io batch_io;
	unsigned nr_files;
	char *paths[UBR_MAX_FILES]; /* absolute, as the client resolved them */
	int fds[UBR_MAX_FILES];	    /* opened by the client, passed over */
	/*
	 * The `add` words as parsed (words[0] is "add"), the wire form to the
	 * daemon (recovery and reload use the typed fields). FILE i is word
	 * file_word[i], a word of its own, kept only as paths[i] (words[] has
	 * NULL there): read words with ubr_dev_opts_word().
	 */
	unsigned nr_words;
	char **words;
	unsigned file_word[UBR_MAX_FILES];
	/*
	 * The target's own options (its ops' opts_size bytes, malloc'ed by the
	 * parser, freed with the rest), or NULL: the target has none.
	 */
	void *tgt_opts;
	bool no_part_scan; /* UBLK_F_NO_AUTO_PART_SCAN */
	/* add --name: unique, "" for none; /dev/ublk/by-name/NAME */
	char name[UBR_NAME_MAX + 1];
	/* add --scheduler: the disk's I/O scheduler, or "kernel": its choice */
	char scheduler[UBR_SCHED_NAME_MAX + 1];
};

#define UBR_DEFAULT_QUEUES 1
#define UBR_DEFAULT_DEPTH 128
#define UBR_DEFAULT_MAX_IO (512U << 10)

enum ubr_dev_state {
	UBR_DEV_PREPARING, /* the target's init runs on (an NBD handshake) */
	UBR_DEV_ADDING,	  /* ADD_DEV .. SET_PARAMS */
	UBR_DEV_STARTING, /* FETCHes queued, START_DEV in flight */
	UBR_DEV_RECOVERING, /* START_USER_RECOVERY .. END_USER_RECOVERY */
	UBR_DEV_LIVE,
	UBR_DEV_QUIESCING, /* QUIESCE_DEV: waiting for commands to return */
	UBR_DEV_QUIESCED,  /* /dev/ublkcN closed, the kernel queues I/O */
	UBR_DEV_RESUMING,  /* USER_RECOVERY: FETCHes + END_USER_RECOVERY */
	UBR_DEV_STOPPING, /* STOP_DEV sent, waiting for commands to return */
	UBR_DEV_DELETING, /* DEL_DEV in flight */
};

enum ubr_tag_state {
	UBR_TAG_IDLE = 0, /* no command with the kernel */
	UBR_TAG_FETCHING, /* FETCH or COMMIT_AND_FETCH with the kernel */
	UBR_TAG_SERVING,  /* the target works on the request */
	UBR_TAG_HELD,	  /* `stop` drains: kept from the target (dev_detach.c) */
};

/* One request slot. Kept small: there are queues x depth of them. */
struct ubr_tag {
	uint8_t state;	      /* enum ubr_tag_state */
	uint16_t tgt_pending; /* target SQEs in flight for this request */
	uint16_t tgt_flags;   /* the target's own */
	/* explicit zero copy: the request's pages are in its slot (queue.c) */
	uint8_t registered;
	int32_t result;	      /* the target's own: bytes done, first -errno */
	uint64_t issued_ns;   /* when the request reached us (latency) */
	void *buf;	      /* user copy: the pool buffer while serving */
};

struct ubr_queue {
	struct ubr_dev *dev;
	uint16_t id;
	const struct ublksrv_io_desc *descs; /* mmap of /dev/ublkcN */
	size_t descs_len;
	unsigned cmds_inflight; /* ublk commands the kernel holds */
	unsigned tgt_inflight;	/* target SQEs in flight */
	struct ubr_tag *tags;
	char *bufs;		/* per-tag buffers (buffer copy mode) */
	uint16_t buf_index;	/* zero copy: first registered-buffer slot */
	struct ubr_batchq *batch; /* batch I/O (queue_batch.c), or NULL */
};

/*
 * The queue layer's one way into a device's life (src/device/queue.c ->
 * src/device/dev_lifecycle.c): what it reports about a device that is not live,
 * or drains. The live path never calls it: it pays the state compare it
 * always paid, and the queue layer knows nothing of deleting, quiescing
 * or draining.
 */
enum ubr_queue_event {
	UBR_QEV_RETURNED, /* a command, copy or target I/O came back */
	UBR_QEV_ARRIVED,  /* a request reached a draining device */
	UBR_QEV_ABORTED,  /* the kernel aborted one of our commands */
};
typedef void (*ubr_queue_event_fn)(struct ubr_queue *q, unsigned tag,
				   enum ubr_queue_event ev);

/* err is 0 or -errno; msg explains a failure; id is the kernel device id. */
typedef void (*ubr_dev_done_cb)(void *ctx, int err, const char *msg,
				uint32_t id);

struct ubr_dev {
	struct ubr_reactor *r;
	unsigned slot; /* index in the reactor's table, and in user_data */
	uint32_t id;   /* the kernel's device id: /dev/ublkbID */
	enum ubr_dev_state state;
	int cdev_fd;	   /* /dev/ublkcN, or -1 */
	bool cdev_fixed;   /* registered as fixed file number `slot` */
	bool id_known;	   /* ADD_DEV answered: the kernel has it */
	bool stop_done;	   /* STOP_DEV answered */
	unsigned stop_tries; /* STOP_DEVs sent by this delete */
	bool safe_stop;	   /* ... TRY_STOP_DEV: refused while the disk is open */
	enum ubr_dev_state state_before_stop; /* ... to go back to if refused */
	bool del_queued;   /* delete once the add has finished */
	bool recorded;	   /* its recovery record is ours to remove */
	bool detached;	   /* left to the kernel for a later recovery */
	unsigned stop_quiesces; /* `stop`'s QUIESCE_DEV rounds (dev_detach.c) */
	/* `stop` without QUIESCE: new requests are held (src/device/dev_detach.c) */
	struct ubr_drain *drain;
	uint64_t file_dev[UBR_MAX_FILES], file_ino[UBR_MAX_FILES];
	void *recover;	   /* src/device/dev_recover.c's state while recovering */
	/*
	 * Only while a recovery runs the target's init: the kernel's params
	 * of the device, which a recovery cannot change (NULL in an add).
	 */
	const struct ublk_params *recover_params;
	/* What follows the target's init (ubr_dev_prepare): add or recovery. */
	void (*prepared)(struct ubr_dev *dev, int ret);
	/* Its sockets being connected by helpers (src/device/backing_connect.c) */
	struct ubr_connects *connects;
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	struct ubr_dev_opts opts;
	/* What the device became: opts say what the user asked for. */
	enum ubr_copy_mode copy_mode;
	enum ubr_recovery recovery; /* never DEFAULT once prepared */
	/*
	 * Batch I/O asked of ADD_DEV; what the queues do is the kernel's
	 * word, UBLK_F_BATCH_IO in info.flags (ubr_dev_batch_io()).
	 */
	bool batch_io;
	const struct ubr_target_ops *ops;
	void *tgt;	   /* the target's private state */
	char *tgt_desc;	   /* one line for `list`, owned by the target */
	struct ubr_queue *queues;
	size_t mem_bytes;  /* what this device costs the daemon */
	int buf_base;	   /* zero copy: first slot in the ring's table */
	int bgid_base;	   /* batch I/O: first buffer group id, or -1 */
	struct ubr_stats stats;
	/* the pending add, and delete, answered when each finishes */
	ubr_dev_done_cb add_cb;
	void *add_ctx;
	ubr_dev_done_cb del_cb;
	void *del_ctx;
	int err;
	char err_msg[160];
	/* update-size, quiesce or resume in flight: a delete waits for it */
	bool ctl_busy;
	struct ubr_quiesce *quiesce; /* src/device/dev_quiesce.c's, or NULL */
	ubr_queue_event_fn queue_event; /* set by ubr_dev_new() */
	bool from_config; /* declared by the config file: reload may delete it */
};

/* Do the device's queues speak ublk's batch commands (queue_batch.c)? */
static inline bool ubr_dev_batch_io(const struct ubr_dev *dev)
{
	return dev->info.flags & UBLK_F_BATCH_IO;
}

/*
 * The device is going away: a delete was asked (and waits for the add or
 * a control command to end) or is under way (STOP_DEV, DEL_DEV).
 */
static inline bool ubr_dev_going_away(const struct ubr_dev *dev)
{
	return dev->del_cb || dev->del_queued ||
	       dev->state == UBR_DEV_STOPPING ||
	       dev->state == UBR_DEV_DELETING;
}

/*
 * The daemon ends (src/device/dev_detach.c): stop deletes every device; detach
 * leaves the recoverable ones to the kernel for `recover` and deletes the
 * rest. The loop ends once none is left.
 */
void ubr_reactor_stop(struct ubr_reactor *r, int exit_status);
void ubr_reactor_detach(struct ubr_reactor *r);
/* Would detach leave dev to the kernel (else it deletes it)? */
bool ubr_dev_detachable(const struct ubr_dev *dev);
/* After the ring is gone: free what detached devices still hold. */
void ubr_reactor_forget_detached(struct ubr_reactor *r);

/*
 * A reactor with the device layer on it (src/device/devices.c): what the
 * daemon and the one-shot commands run. 0, or -errno (-ENOENT: no
 * /dev/ublk-control).
 */
int ubr_devices_init(struct ubr_reactor *r, unsigned sq_entries);
void ubr_devices_deinit(struct ubr_reactor *r);
/* Its completion handlers, by user_data kind (src/device/queue.c). */
void ubr_queue_cmd_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe);
void ubr_queue_tgt_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe);
void ubr_queue_copy_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe);
void ubr_queue_buf_done(struct ubr_reactor *r, const struct io_uring_cqe *cqe);
void ubr_queue_batch_done(struct ubr_reactor *r,
			  const struct io_uring_cqe *cqe);

/* Device table operations (src/device/dev.c, src/device/dev_lifecycle.c). */
int ubr_dev_add(struct ubr_reactor *r, const struct ubr_dev_opts *opts,
		ubr_dev_done_cb cb, void *ctx);
int ubr_dev_del(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		void *ctx);
/*
 * Delete device id unless its disk is open (src/device/dev_safe_del.c): refused
 * with -EBUSY and a message naming the holder, through cb as well.
 */
int ubr_dev_del_safe(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		     void *ctx);
/*
 * Is /dev/ublkbID held open? 1 with "device ID is in use: WHO" in msg,
 * else 0 (a failed scan is logged and counts as 0).
 */
int ubr_dev_in_use(uint32_t id, char *msg, size_t len);
/*
 * Is the kernel's device (its GET_DEV_INFO) one to recover: added with
 * recovery, and quiesced, failing I/O, or still live though its server is
 * gone (a dead pid, or ours: an upgrade), which a 6.12 kernel shows for a
 * while after the server died, until it has cancelled its commands?
 */
bool ubr_dev_info_recoverable(const struct ublksrv_ctrl_dev_info *i);
/*
 * Reattach device opts->id, left by a daemon that died or stopped, with
 * the target, copy mode and recovery mode of its record (src/device/dev_recover.c).
 * opts is parsed from the record's words, its files opened and checked.
 */
int ubr_dev_recover(struct ubr_reactor *r, const struct ubr_dev_opts *opts,
		    enum ubr_copy_mode copy_mode, ubr_dev_done_cb cb,
		    void *ctx);
/*
 * Delete device id that no daemon serves: one with a recovery record (not
 * recovered) or a dead one (src/admin/cmd_del.c). STOP_DEV, DEL_DEV, then drop
 * the record if it has one.
 */
int ubr_dev_del_unserved(struct ubr_reactor *r, uint32_t id,
			 ubr_dev_done_cb cb, void *ctx);
struct ubr_dev *ubr_dev_find(struct ubr_reactor *r, uint32_t id);
/* The device named `name` (any state), or NULL. */
struct ubr_dev *ubr_dev_find_name(struct ubr_reactor *r, const char *name);
struct ubr_dev *ubr_dev_at(struct ubr_reactor *r, unsigned slot);
unsigned ubr_dev_slots(const struct ubr_reactor *r);
const char *ubr_dev_state_name(enum ubr_dev_state s);
const char *ubr_copy_mode_name(enum ubr_copy_mode m);
const char *ubr_recovery_name(enum ubr_recovery m);
const char *ubr_batch_io_name(enum ubr_batch_io m);
int ubr_batch_io_parse(const char *s, enum ubr_batch_io *m);
int ubr_recovery_parse(const char *s, enum ubr_recovery *m);
int ubr_copy_mode_parse(const char *s, enum ubr_copy_mode *m);

/* The bits the daemon uses when the kernel has them (src/device/dev.c). */
uint64_t ubr_features_used(const struct ubr_reactor *r);

void ubr_dev_opts_init(struct ubr_dev_opts *o);
void ubr_dev_opts_release(struct ubr_dev_opts *o);
/*
 * FILE i is now at path (malloc'ed, taken over), and so is its word: the
 * words name the same file when parsed again.
 */
void ubr_dev_opts_set_path(struct ubr_dev_opts *o, unsigned i, char *path);
/* Word i of the add command line (FILE words as absolute paths once open). */
const char *ubr_dev_opts_word(const struct ubr_dev_opts *o, unsigned i);
/*
 * Do a and b say the same, option by option (the target's through its
 * field table), FILEs by path? The ID is left to the caller: a device's
 * opts hold the ID it got, a config line the one it asks for, if any.
 */
bool ubr_dev_opts_same(const struct ubr_dev_opts *a,
		       const struct ubr_dev_opts *b);

/* Core-internal: the table (src/device/dev.c) and queues (src/device/queue.c). */
int ubr_dev_slot_alloc(struct ubr_reactor *r, struct ubr_dev *dev);
void ubr_dev_slot_free(struct ubr_reactor *r, struct ubr_dev *dev);
int ubr_queues_setup(struct ubr_dev *dev);
void ubr_queues_free(struct ubr_dev *dev);
void ubr_queues_fetch_all(struct ubr_dev *dev);
/* A request arrived on tag: to the target (src/device/queue.c). */
void ubr_queue_serve(struct ubr_queue *q, unsigned tag);
/* Aim an SQE at /dev/ublkcN: its fixed-file slot where it has one. */
void ubr_queue_cdev_target(struct io_uring_sqe *sqe, const struct ubr_dev *dev);
/* Zero copy: the slot the kernel registers tag's next request into. */
uint16_t ubr_queue_zc_slot(struct ubr_queue *q, unsigned tag);
/*
 * Batch I/O (src/device/queue_batch.c): a queue's state, set up with the
 * queues and freed with them; PREP and the multishot FETCH; a result
 * into the commit the loop turn sends.
 */
int ubr_queue_batch_setup(struct ubr_queue *q);
void ubr_queue_batch_free(struct ubr_queue *q);
void ubr_queue_batch_start(struct ubr_queue *q);
void ubr_queue_batch_commit(struct ubr_queue *q, unsigned tag, int result);
/* The loop turn's end: one COMMIT per queue with results (r->turn_end). */
void ubr_queues_commit_flush(struct ubr_reactor *r);
bool ubr_queues_idle(const struct ubr_dev *dev);
/*
 * Requests the target still serves (or that wait for a buffer), or target
 * I/O still in flight: what a quiesce or a stop's drain waits for.
 */
bool ubr_queues_serving(const struct ubr_dev *dev);
/*
 * Ready dev for the kernel: choose its copy mode and recovery, and run the
 * target's init. The device is PREPARING meanwhile, in the table; then
 * done(dev, 0 or -errno) runs once: at once, or later from the loop when
 * the target's init takes a while (ubr_dev_init_done).
 */
void ubr_dev_prepare(struct ubr_dev *dev,
		     void (*done)(struct ubr_dev *dev, int ret));
/*
 * Stop a PREPARING device's target init (a shutdown): its done runs at
 * once with err, and the target's deinit ends what the init started.
 */
void ubr_dev_prepare_cancel(struct ubr_dev *dev, int err, const char *why);
/*
 * A socket-backed device without its sockets (the daemon's own add or
 * recovery) gets them from helper processes: -EINPROGRESS, and
 * ubr_dev_backing_ready() later; or 0 (nothing to connect), or -errno with
 * dev->err_msg set (src/device/backing_connect.c).
 */
int ubr_backing_connect_start(struct ubr_dev *dev);
void ubr_backing_connect_cancel(struct ubr_dev *dev);
/* The device's backing is in (0), or will not be: prepare goes on. */
void ubr_dev_backing_ready(struct ubr_dev *dev, int ret);
/*
 * Close /dev/ublkcN and unregister it; the queues are freed, or with
 * keep_queues only unmapped (a quiesce: resume maps them again).
 */
void ubr_dev_release_cdev(struct ubr_dev *dev, bool keep_queues);
void ubr_dev_free(struct ubr_dev *dev);
/* A device for opts (taking its paths and descriptors), not yet in the table. */
struct ubr_dev *ubr_dev_new(struct ubr_reactor *r,
			    const struct ubr_dev_opts *opts);
/* Report a failure before anything reached the kernel; dev is freed. */
int ubr_dev_refused(struct ubr_dev *dev, int err, ubr_dev_done_cb cb,
		    void *ctx);
/* Say that name is taken (dev->err_msg); -EEXIST. */
int ubr_dev_name_in_use(struct ubr_dev *dev, const char *name);
/*
 * The device serves, after an add or a recover: record it, link its name,
 * answer the add, and begin a delete asked meanwhile.
 */
void ubr_dev_go_live(struct ubr_dev *dev);
/* Answer the pending add (dev->err) and delete, and forget dev. */
void ubr_dev_finish(struct ubr_dev *dev);
/* STOP_DEV, wait for every command, DEL_DEV; then the callbacks run. */
void ubr_dev_teardown(struct ubr_dev *dev);
/* Recovery records of devices (src/device/dev_record.c). */
int ubr_dev_note_files(struct ubr_dev *dev);
void ubr_dev_record_save(struct ubr_dev *dev);
void ubr_dev_record_remove(struct ubr_dev *dev);
/*
 * A command or target I/O of a device that is not live came back, or one
 * of its requests was committed: go on with what the device is doing
 * (deleting, quiescing).
 */
void ubr_dev_teardown_step(struct ubr_dev *dev);
/* The lifecycle's ubr_queue_event_fn, which ubr_dev_new() installs. */
void ubr_dev_queue_event(struct ubr_queue *q, unsigned tag,
			 enum ubr_queue_event ev);
/* A request reached a draining device: hold it (src/device/dev_detach.c). */
void ubr_dev_hold_request(struct ubr_queue *q, unsigned tag);
/* Forget a drain the device was in (src/device/dev_detach.c): its timer too. */
void ubr_dev_drain_free(struct ubr_dev *dev);
/* How many requests a draining device holds for the kernel; 0 if none. */
unsigned ubr_dev_drain_held(const struct ubr_dev *dev);
/* Open /dev/ublkcN (and register it as a fixed file). -errno, err_msg set. */
int ubr_dev_open_cdev(struct ubr_dev *dev);
/* An update-size, quiesce or resume ended: a delete asked meanwhile starts. */
void ubr_dev_ctl_end(struct ubr_dev *dev);
/* Queues' request descriptors alone (src/device/queue.c), for quiesce and resume. */
int ubr_queues_map(struct ubr_dev *dev);
void ubr_queues_unmap(struct ubr_dev *dev);

/* Control of live devices (src/device/dev_resize.c, src/device/dev_quiesce.c). */
int ubr_dev_update_size(struct ubr_reactor *r, uint32_t id, uint64_t size,
			ubr_dev_done_cb cb, void *ctx);
int ubr_dev_quiesce(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		    void *ctx);
int ubr_dev_resume(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		   void *ctx);
/* Flags ADD_DEV asks for so that the device can be quiesced later. */
void ubr_dev_quiesce_step(struct ubr_dev *dev);
void ubr_dev_quiesce_free(struct ubr_dev *dev);
/* The name's files in the run directory (src/device/dev.c). */
void ubr_dev_names_publish(const struct ubr_dev *dev);	 /* id known */
void ubr_dev_names_link(const struct ubr_dev *dev);	 /* live */
void ubr_dev_names_unpublish(const struct ubr_dev *dev); /* going away */

/*
 * A device name (add --name, the config file; src/device/dev.c): 1..UBR_NAME_MAX of
 * [A-Za-z0-9_.-], not beginning with '-' or '.', not all digits. 0, or
 * -EINVAL with err saying why.
 */
int ubr_name_check(const char *name, char *err, size_t errlen);

/*
 * A scheduler's name as add --scheduler and a record take it: 1..
 * UBR_SCHED_NAME_MAX of [a-z0-9_-] (src/device/dev.c).
 */
bool ubr_scheduler_name_ok(const char *name);

#endif /* UBR_DEV_H */
