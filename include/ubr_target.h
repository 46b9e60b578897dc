/* SPDX-License-Identifier: MIT */
/*
 * The contract between the reactor and a target (src/targets/).
 *
 * A target sees requests, never the ring's internals: it completes a request
 * at once with ubr_io_complete(), or asks for SQEs with ubr_tgt_sqe() (their
 * completions come back to io_done with the target data it chose), and
 * completes the request when its last piece is done.
 *
 * A target also owns everything the user says about it: its options (parsed
 * into its own options struct, with its own messages), how many FILEs it
 * takes and what serves it, and its lines in --help. The core keeps only
 * the options common to every device, and never names a target.
 */
#ifndef UBR_TARGET_H
#define UBR_TARGET_H

#include <liburing.h>
#include <stddef.h>
#include <stdio.h>

#include "ubr_dev.h"

/* The target never reads or writes request data: it stores nothing. */
#define UBR_TGT_NO_DATA (1U << 0)
/* All its data moves through ubr_tgt_rw(), so zero copy works for it. */
#define UBR_TGT_ZERO_COPY (1U << 1)
/*
 * It moves request data between a stream socket and the request's
 * registered buffer itself (ubr_tgt_buf_index()), and puts bytes it has
 * already received there with ubr_tgt_fill(): zero copy works for it
 * where the daemon may also reach such a request through /dev/ublkcN
 * (USER_COPY beside the zero copy flags, copied by the reactor thread).
 * `auto` does not pick zero copy for it.
 */
#define UBR_TGT_ZERO_COPY_SOCKET (1U << 2)

/*
 * What serves a target's device, which tells the client what to prepare:
 * files it opens and passes to the daemon with the request, sockets it
 * connects (the FILE word is an address, the target's connect hook makes
 * the connection), or nothing. Either way the daemon gets descriptors made
 * with the caller's rights, never a path to open with root's.
 */
enum ubr_backing_kind {
	UBR_BACKING_NONE = 0,
	UBR_BACKING_FILES,
	UBR_BACKING_SOCKET,
};

/* One `add` command line being parsed, as a target's option setter sees it. */
struct ubr_tgt_args {
	struct ubr_dev_opts *o; /* the common options, as far as parsed */
	void *priv;		/* the target's own options (o->tgt_opts) */
	const char *opt;	/* the option being set, as "--name" */
	bool attached;		/* its value came in its word: --name=value */
};

/* One option of a target's. */
struct ubr_tgt_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	const char *arg;  /* the value's name in --help; NULL: a flag */
	const char *help; /* for --help; a '\n' starts a continuation line */
	/* Parse val (NULL for a flag) into a->priv: 0, or -EINVAL via ubr_tgt_say. */
	int (*set)(struct ubr_tgt_args *a, const char *val);
};

/*
 * One field of a target's options struct, by its place in the struct: the
 * recovery record writes it as "tgt.KEY VALUE" and reads it back, and
 * reload compares it, with no code in the target. The struct holds plain
 * values, so a table of its fields is all the core needs: unsigned
 * integers (1, 2, 4 or 8 bytes), bools, and NUL-terminated char arrays.
 * A field only the parser uses (a flag for opts_finish) is left out.
 */
enum ubr_tgt_field_kind {
	UBR_FIELD_UINT,
	UBR_FIELD_BOOL,
	UBR_FIELD_STR,
};

struct ubr_tgt_field {
	const char *key; /* [a-z0-9-]: the record's "tgt.KEY" */
	enum ubr_tgt_field_kind kind;
	size_t offset, size;
};

#define UBR_TGT_FIELD(kind, type, member, key)                          \
	{ key, UBR_FIELD_##kind, offsetof(type, member),                \
	  sizeof(((type *)0)->member) }

struct ubr_target_ops {
	const char *name;
	unsigned flags; /* UBR_TGT_* */
	/* --- what the user says: `add NAME [OPTIONS] usage` ------------------ */
	const char *usage;	 /* after the name: "FILE", "" */
	const char *description; /* one line for --help */
	enum ubr_backing_kind backing;
	/* How many FILEs it takes, bare words and FILE options together. */
	unsigned min_files, max_files;
	/*
	 * UBR_BACKING_SOCKET: connect to the address `word` (a FILE word) and
	 * return the connected socket in *fd; 0, or -errno with one line in
	 * err. Run by whoever opens the backing: the client as the caller,
	 * or, for the config file and recovery, a helper process of the
	 * daemon (src/device/backing_connect.c), since it may wait on the
	 * network. A recovery cannot
	 * tell a socket from another by its inode: the target's init checks
	 * what it reached instead (dev->recover_params).
	 */
	int (*connect)(const char *word, int *fd, char *err, size_t len);
	/* Its own options beyond the common ones, ended by a NULL name. */
	const struct ubr_tgt_opt *opts;
	/*
	 * The size of its options struct (dev->opts.tgt_opts, zeroed before
	 * parsing: zero means the defaults); 0: it has none. The struct holds
	 * plain values only, so that a copy of its bytes is a copy of it.
	 */
	size_t opts_size;
	/*
	 * Every field of that struct that an option sets, ended by a NULL key
	 * (NULL: none): the record and reload read them through this table,
	 * so an option whose field is missing here would be lost on recovery
	 * (t/record.c checks each option moves a field).
	 */
	const struct ubr_tgt_field *fields;
	/*
	 * Optional: the checks that need the whole command line (an option
	 * that needs another), after every word is parsed and before the FILE
	 * count is checked. 0, or -EINVAL via ubr_tgt_say().
	 */
	int (*opts_finish)(struct ubr_tgt_args *a);
	/* --- the device ------------------------------------------------------ */
	/*
	 * Check dev->opts, take what the target needs from it (the descriptor
	 * in opts.fds now belongs to the target), and fill dev->params: size,
	 * block sizes, attributes, discard limits. -errno with dev->err_msg set.
	 * In a recovery dev->recover_params holds the kernel's params, which
	 * stay: a target whose backing can change behind it (a server) checks
	 * that what it reached still serves them.
	 *
	 * An init that waits on something outside (a server's handshake)
	 * must not block the loop: it sets dev->tgt, returns -EINPROGRESS,
	 * and calls ubr_dev_init_done() once, later, from the loop. Until
	 * then the device is PREPARING; a shutdown ends that through deinit,
	 * which then owes no ubr_dev_init_done().
	 */
	int (*init)(struct ubr_dev *dev);
	void (*deinit)(struct ubr_dev *dev);
	/* Serve one request. */
	void (*queue_io)(struct ubr_queue *q, unsigned tag,
			 const struct ublksrv_io_desc *iod);
	/* One of this target's SQEs for `tag` completed. */
	void (*io_done)(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
			const struct io_uring_cqe *cqe);
	/*
	 * Optional, for a target whose flags depend on its options (one that
	 * stores nothing unless given a file to serve): the ops table to
	 * use for these options. Asked before anything else, since the copy
	 * mode is chosen from the flags before init runs.
	 */
	const struct ubr_target_ops *(*variant)(const struct ubr_dev_opts *o);
	/*
	 * Optional (NULL: the size is fixed). Can the target serve a device of
	 * `new_size` bytes (a multiple of the logical block size) from now on?
	 * Asked by update-size before the kernel is told; 0, or -errno with
	 * dev->err_msg set. The core records the size once the kernel agrees.
	 */
	int (*resize)(struct ubr_dev *dev, uint64_t new_size);
};

/*
 * An init that returned -EINPROGRESS has finished: 0, or -errno with
 * dev->err_msg set (src/device/dev_lifecycle.c). dev may be freed by it.
 */
void ubr_dev_init_done(struct ubr_dev *dev, int ret);

/* The registry (src/targets/registry.c): the one list of targets. */
const struct ubr_target_ops *ubr_target_find(const char *name);
/* For --help and messages: the names, comma-separated, in registry order. */
const char *ubr_target_names(void);
unsigned ubr_target_count(void);
const struct ubr_target_ops *ubr_target_at(unsigned i);

/* The option `name` (without "--"), or short option c when name is NULL. */
const struct ubr_tgt_opt *ubr_target_opt(const struct ubr_target_ops *t,
					 const char *name, size_t len, char c);

/*
 * Help built from the ops tables (src/admin/target_help.c). One target:
 * its usage line, description and options, for `add NAME --help`.
 */
void ubr_target_print_help(FILE *f, const struct ubr_target_ops *t);
/* Every target's options, each once, with the targets that take it. */
void ubr_target_print_opts(FILE *f);
/* One line per target: "NAME USAGE  description". */
void ubr_target_print_list(FILE *f);
/* One option line of --help, its help at column 32. */
void ubr_help_opt_line(FILE *f, char short_name, const char *name,
		       const char *arg, const char *prefix, const char *help);

/*
 * The fields of options structs (src/device/tgt_fields.c). Format field f of
 * opts (NULL: all zero) as its record value: length, or -ENOSPC.
 */
int ubr_tgt_field_format(const struct ubr_tgt_field *f, const void *opts,
			 char *buf, size_t len);
/* Parse val into field f of opts: 0, or -EINVAL / -ERANGE. */
int ubr_tgt_field_parse(const struct ubr_tgt_field *f, void *opts,
			const char *val);
/* The field of `key` in table fields (NULL-terminated, or NULL). */
const struct ubr_tgt_field *ubr_tgt_field_find(const struct ubr_tgt_field *fields,
					       const char *key);
/* Do a and b (either NULL: all zero) hold the same value in every field? */
bool ubr_tgt_fields_same(const struct ubr_tgt_field *fields, const void *a,
			 const void *b);

/* --- services for a target's option setters (src/device/dev_opts_parse.c) */

/* Say what is wrong with the command line in one line: -EINVAL. */
int ubr_tgt_say(struct ubr_tgt_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The option's value is a FILE (it names the device's next backing file):
 * it must be a word of its own, since the client puts the resolved path
 * in that word's place. 0, -EINVAL or -ENOMEM with the message said.
 */
int ubr_tgt_file(struct ubr_tgt_args *a, const char *path);
/* A size option with the messages every size option gives. */
int ubr_tgt_size(struct ubr_tgt_args *a, const char *val, uint64_t min,
		 uint64_t max, uint64_t align, bool pow2, uint64_t *out);
/* A decimal number in [min, max], named `what` in the message. */
int ubr_tgt_number(struct ubr_tgt_args *a, const char *what, const char *val,
		   uint64_t min, uint64_t max, uint64_t *out);

/* Services for targets (src/device/queue.c). */
struct io_uring_sqe *ubr_tgt_sqe(struct ubr_queue *q, unsigned tag,
				 uint32_t tgt_data);
/*
 * Move request data to or from a backing file, in whatever copy mode the
 * device uses: read `len` bytes of `fd` at `file_off` into the request's
 * data at `data_off` (write == false), or write them from there. Returns
 * the prepared SQE (the caller may add flags such as RWF_DSYNC in
 * sqe->rw_flags); its completion comes to io_done like any target SQE.
 */
struct io_uring_sqe *ubr_tgt_rw(struct ubr_queue *q, unsigned tag, bool write,
				int fd, uint64_t file_off, uint32_t data_off,
				uint32_t len, uint32_t tgt_data);
/*
 * The same, done right now by the reactor thread (pread/pwrite, rwf: e.g.
 * RWF_DSYNC): bytes moved or -errno, as a CQE would say. Only for files
 * that never wait for a device, and not in zero copy (-EOPNOTSUPP).
 */
int ubr_tgt_rw_now(struct ubr_queue *q, unsigned tag, bool write, int fd,
		   uint64_t file_off, uint32_t data_off, uint32_t len, int rwf);
/*
 * Put len bytes of src into the request's data at data_off, in whatever
 * copy mode the device uses: 0, or -errno.
 */
int ubr_tgt_fill(struct ubr_queue *q, unsigned tag, uint32_t data_off,
		 const void *src, uint32_t len);
/* In zero copy, the ring's buffer index of the request's pages; else -1. */
int ubr_tgt_buf_index(const struct ubr_queue *q, unsigned tag);
/*
 * Make room for n SQEs in one submission (n <= 4, the smallest ring's
 * size), for a chain linked with IOSQE_IO_LINK that a full submission
 * queue must not split: the room there is now, n or more.
 */
unsigned ubr_tgt_reserve(struct ubr_queue *q, unsigned n);
void ubr_io_complete(struct ubr_queue *q, unsigned tag, int result);
/* The per-tag buffer in buffer copy mode, NULL otherwise. */
void *ubr_io_buf(struct ubr_queue *q, unsigned tag);
/* The descriptor to read/write request data with in user copy mode. */
int ubr_io_cdev_fd(struct ubr_queue *q);
/* Set the device's error message (shown to the user by `add`). */
void ubr_dev_set_err(struct ubr_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* UBR_TARGET_H */
