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

struct ubr_reactor;
struct ubr_target_ops;

#define UBR_MAX_FILES 8
#define UBR_TARGET_NAME_MAX 16
#define UBR_DEV_ID_ANY ((uint32_t)-1)
#define UBR_NAME_MAX 64 /* bytes in a device name, without the NUL */

enum ubr_copy_mode {
	UBR_COPY_AUTO = 0, /* the best the kernel offers */
	UBR_COPY_BUFFER,   /* per-tag buffers, the kernel copies */
	UBR_COPY_USER,	   /* UBLK_F_USER_COPY: pread/pwrite on /dev/ublkcN */
	UBR_COPY_ZERO,	   /* UBLK_F_AUTO_BUF_REG: request pages in the ring */
};

/* Everything `add` can say; the daemon's copy is what recovery records. */
struct ubr_dev_opts {
	char target[UBR_TARGET_NAME_MAX];
	uint32_t id; /* UBR_DEV_ID_ANY: the kernel picks */
	uint16_t nr_queues;
	uint16_t depth;
	uint32_t max_io_bytes;
	uint64_t size; /* bytes; 0: the target's default */
	uint32_t logical_bs;
	bool read_only;
	bool buffered; /* loop/stripe: never O_DIRECT */
	enum ubr_copy_mode copy_mode;
	uint32_t chunk_size; /* stripe */
	unsigned nr_files;
	char *paths[UBR_MAX_FILES]; /* absolute, as the client resolved them */
	int fds[UBR_MAX_FILES];	    /* opened by the client, passed over */
	/*
	 * The `add` words as parsed (words[0] is "add"), the FILE words at
	 * file_word[i]: a device is recreated (recovery, config reload) by
	 * parsing them again, with paths[] in place of the FILE words.
	 */
	unsigned nr_words;
	char **words;
	unsigned file_word[UBR_MAX_FILES];
	/* add --name: unique, "" for none; /dev/ublk/by-name/NAME */
	char name[UBR_NAME_MAX + 1];
};

#define UBR_DEFAULT_QUEUES 1
#define UBR_DEFAULT_DEPTH 128
#define UBR_DEFAULT_MAX_IO (512U << 10)
#define UBR_NULL_DEFAULT_SIZE (250ULL << 30)

enum ubr_dev_state {
	UBR_DEV_ADDING,	  /* ADD_DEV .. SET_PARAMS */
	UBR_DEV_STARTING, /* FETCHes queued, START_DEV in flight */
	UBR_DEV_LIVE,
	UBR_DEV_STOPPING, /* STOP_DEV sent, waiting for commands to return */
	UBR_DEV_DELETING, /* DEL_DEV in flight */
};

enum ubr_tag_state {
	UBR_TAG_IDLE = 0, /* no command with the kernel */
	UBR_TAG_FETCHING, /* FETCH or COMMIT_AND_FETCH with the kernel */
	UBR_TAG_SERVING,  /* the target works on the request */
};

/* One request slot. Kept small: there are queues x depth of them. */
struct ubr_tag {
	uint8_t state;	      /* enum ubr_tag_state */
	uint8_t staging;      /* user copy: a copy to or from the kernel runs */
	uint16_t tgt_pending; /* target SQEs in flight for this request */
	uint16_t tgt_flags;   /* the target's own */
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
};

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
	bool del_queued;   /* delete once the add has finished */
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	struct ubr_dev_opts opts;
	enum ubr_copy_mode copy_mode;
	const struct ubr_target_ops *ops;
	void *tgt;	   /* the target's private state */
	char *tgt_desc;	   /* one line for `list`, owned by the target */
	struct ubr_queue *queues;
	size_t mem_bytes;  /* what this device costs the daemon */
	int buf_base;	   /* zero copy: first slot in the ring's table */
	struct ubr_stats stats;
	/* the pending add, and delete, answered when each finishes */
	ubr_dev_done_cb add_cb;
	void *add_ctx;
	ubr_dev_done_cb del_cb;
	void *del_ctx;
	int err;
	char err_msg[160];
	bool from_config; /* declared by the config file: reload may delete it */
};

/* Device table operations (src/dev.c, src/dev_lifecycle.c). */
int ubr_dev_add(struct ubr_reactor *r, const struct ubr_dev_opts *opts,
		ubr_dev_done_cb cb, void *ctx);
int ubr_dev_del(struct ubr_reactor *r, uint32_t id, ubr_dev_done_cb cb,
		void *ctx);
struct ubr_dev *ubr_dev_find(struct ubr_reactor *r, uint32_t id);
/* The device named `name` (any state), or NULL. */
struct ubr_dev *ubr_dev_find_name(struct ubr_reactor *r, const char *name);
struct ubr_dev *ubr_dev_at(struct ubr_reactor *r, unsigned slot);
unsigned ubr_dev_slots(const struct ubr_reactor *r);
const char *ubr_dev_state_name(enum ubr_dev_state s);
const char *ubr_copy_mode_name(enum ubr_copy_mode m);
int ubr_copy_mode_parse(const char *s, enum ubr_copy_mode *m);

uint64_t ubr_features_used(const struct ubr_reactor *r);

void ubr_dev_opts_init(struct ubr_dev_opts *o);
void ubr_dev_opts_release(struct ubr_dev_opts *o);
/* Word i of the add command line, with FILE words resolved to paths[]. */
const char *ubr_dev_opts_word(const struct ubr_dev_opts *o, unsigned i);

/* Core-internal: the table (src/dev.c) and queues (src/queue.c). */
int ubr_dev_slot_alloc(struct ubr_reactor *r, struct ubr_dev *dev);
void ubr_dev_slot_free(struct ubr_reactor *r, struct ubr_dev *dev);
int ubr_queues_setup(struct ubr_dev *dev);
void ubr_queues_free(struct ubr_dev *dev);
void ubr_queues_fetch_all(struct ubr_dev *dev);
bool ubr_queues_idle(const struct ubr_dev *dev);
/* A command or target I/O of a stopping device came back: go on. */
void ubr_dev_teardown_step(struct ubr_dev *dev);
/* The name's files in the run directory (src/dev_names.c). */
void ubr_dev_names_publish(const struct ubr_dev *dev);	 /* id known */
void ubr_dev_names_link(const struct ubr_dev *dev);	 /* live */
void ubr_dev_names_unpublish(const struct ubr_dev *dev); /* going away */

#endif /* UBR_DEV_H */
