/* SPDX-License-Identifier: MIT */
/*
 * The reactor: one thread, one io_uring, one libev loop.
 *
 * The ring is the master: each turn reaps every completion, lets the
 * handlers queue their SQEs, and makes one io_uring_enter that submits and
 * waits. libev (admin socket, signals, timers) is woken through the ring: a
 * one-shot POLL_ADD on libev's epoll descriptor completes when libev has
 * something to do, and only then does the reactor run libev, so steady-state
 * I/O never pays for an epoll_wait.
 */
#ifndef UBR_REACTOR_H
#define UBR_REACTOR_H

#include <ev.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "ubr_batch.h"
#include "ubr_buf_pool.h"
#include "ubr_user_data.h"

struct ubr_child;
struct ubr_ctrl_req;
struct ubr_dev;
struct ubr_queue;
struct ubr_reactor;

/* What a layer above registers: a completion of its kind; work at exit. */
typedef void ubr_cqe_handler(struct ubr_reactor *r,
			     const struct io_uring_cqe *cqe);
typedef void ubr_reactor_fn(struct ubr_reactor *r);
#define UBR_REACTOR_MAX_AT_EXIT 4

/*
 * Plain adds on the reactor thread, read by `stats` on the same thread:
 * no atomics, no locks, no syscalls.
 */
struct ubr_reactor_counters {
	uint64_t enters;     /* io_uring_enter calls, all of them */
	uint64_t submits;    /* ... of which for a full SQ only */
	uint64_t cqes;
	uint64_t io_cqes;    /* ublk I/O command completions */
	uint64_t ev_runs;    /* times libev was run */
	uint64_t turns;      /* loop iterations */
	uint64_t batched;    /* turns that polled before sleeping */
};

struct ubr_reactor {
	struct io_uring ring;
	struct ev_loop *loop;
	/* the layers above: completion handlers by user_data kind, exits */
	ubr_cqe_handler *handlers[UBR_UD_KIND_MAX + 1];
	ubr_reactor_fn *at_exit[UBR_REACTOR_MAX_AT_EXIT];
	unsigned nr_at_exit;
	/* the device layer's (src/device/devices.c), -1 before */
	int ctrl_fd;	     /* /dev/ublk-control */
	uint64_t features;   /* GET_FEATURES, 0 before it answered */
	bool features_known;
	unsigned sq_entries;
	/* device table, indexed by slot */
	struct ubr_dev **devs;
	unsigned nr_slots;
	unsigned nr_devs;
	unsigned max_devs;   /* fixed-file table size: slots < max_devs */
	bool fixed_files;    /* /dev/ublkcN as fixed files (see reactor.c) */
	/* control commands in flight, indexed by user_data's data field */
	struct ubr_ctrl_req **ctrl;
	unsigned nr_ctrl;	/* size of the table */
	unsigned ctrl_inflight;
	/* helper processes running (src/core/child.c) */
	struct ubr_child *children;
	/* libev wake-up through the ring */
	int ev_fd;	     /* libev's epoll descriptor */
	unsigned ev_gen;     /* its generation: libev may replace it */
	ev_fork ev_renew_w;  /* libev runs fork watchers before it does */
	bool ev_renewed;
	bool ev_poll_armed;
	bool ev_due;
	bool ev_invoked;
	/* timers whose deadlines bound the ring's wait */
	ev_timer **timers;
	unsigned nr_timers;
	/* user copy: the shared pool (with the requests waiting for it) */
	struct ubr_buf_pool pool;
	ev_timer pool_trim;
	/* zero copy: the ring's sparse buffer table, slots by device */
	unsigned nr_buf_slots;
	uint8_t *buf_slot_used;
	/*
	 * batch I/O: buffer group ids taken (UBR_MAX_BGIDS bytes, NULL until
	 * a device takes some; the scheme is in ubr_user_data.h), and the
	 * device layer's queues with results to commit this turn.
	 */
	uint8_t *bgid_used;
	struct ubr_queue *commits;
	/* run at the end of every loop turn once set (the batch commits) */
	ubr_reactor_fn *turn_end;
	/*
	 * this turn's completions that brought more than one request (a
	 * batch fetch's tags): the requests beyond the first, which the
	 * adaptive poll policy counts as completions of their own
	 */
	unsigned turn_extra;
	bool ring_exited;    /* deinit has exited the ring */
	/* test knob: every Nth zero-copy fetch names no slot (0: none) */
	unsigned zc_miss_every, zc_miss_count;
	bool stopping;	     /* leave the loop once no device remains */
	unsigned nr_detached; /* devices left to the kernel by `stop` */
	int exit_status;
	struct ubr_reactor_counters counters;
	struct ubr_batch batch; /* how the next enter waits (ubr_batch.h) */
};

/*
 * The ring and the loop, knowing no device: the device layer's
 * ubr_devices_init() (ubr_dev.h) builds on this, and is what programs call.
 * SQ sizes it takes: 0 for its default, 512, or these.
 */
#define UBR_MIN_SQ_ENTRIES 4
#define UBR_MAX_SQ_ENTRIES 4096
int ubr_reactor_init(struct ubr_reactor *r, unsigned sq_entries);
/* Exits the ring, runs the at-exit functions (last first), frees the rest. */
void ubr_reactor_deinit(struct ubr_reactor *r);
/* fn runs at deinit, once the ring is gone: 0, or -ENOSPC. */
int ubr_reactor_at_exit(struct ubr_reactor *r, ubr_reactor_fn *fn);
/*
 * Completions of kind go to fn. The reactor keeps UBR_UD_EVENT and
 * UBR_UD_IGNORE; an unregistered kind is warned about and dropped.
 */
void ubr_reactor_handle(struct ubr_reactor *r, enum ubr_ud_kind kind,
			ubr_cqe_handler *fn);
/* One completion to its handler: what the loop does for each it reaps. */
void ubr_reactor_dispatch(struct ubr_reactor *r,
			  const struct io_uring_cqe *cqe);
/*
 * Runs until r->stopping is set (ubr_reactor_stop(), in ubr_dev.h) and
 * every device is gone or detached.
 */
int ubr_reactor_run(struct ubr_reactor *r);

/*
 * Let a loaded ring's turns look for more work for up to us microseconds
 * before they sleep (see ubr_batch.h); 0: never. busy: after every turn
 * that reaped a completion, not only loaded ones. The default is
 * UBR_BATCH_WAIT_US, adaptive.
 */
void ubr_reactor_set_poll(struct ubr_reactor *r, unsigned us, bool busy);

/*
 * A completion being handled brought n requests, not one (a batch fetch):
 * the poll policy should see the load it is, not one completion.
 */
static inline void ubr_reactor_count_arrivals(struct ubr_reactor *r,
					      unsigned n)
{
	if (n > 1)
		r->turn_extra += n - 1;
}

/* An SQE, submitting what is queued first if the SQ is full. */
struct io_uring_sqe *ubr_reactor_sqe(struct ubr_reactor *r);
/* Room for n SQEs in a row (a link must go to the kernel in one submit). */
void ubr_reactor_reserve(struct ubr_reactor *r, unsigned n);

/* libev timers that must bound the ring's wait go through these. */
void ubr_timer_start(struct ubr_reactor *r, ev_timer *w);
void ubr_timer_stop(struct ubr_reactor *r, ev_timer *w);

/*
 * Every ev_io starts through this, not ev_io_start(): one started outside
 * libev's callbacks (from a ring completion) would not be watched until
 * libev next runs, which nothing might ever ask for (src/core/reactor.c).
 */
void ubr_io_start(struct ubr_reactor *r, ev_io *w);

/*
 * A sparse registered-buffer table of n slots on the ring (zero copy):
 * 0 or -errno. Then n consecutive slots of it, or -ENOSPC.
 */
int ubr_reactor_buf_table(struct ubr_reactor *r, unsigned n);
/*
 * n consecutive buffer group ids for provided buffer rings (batch I/O),
 * the first returned, or -ENOSPC / -ENOMEM; and back.
 */
int ubr_bgids_alloc(struct ubr_reactor *r, unsigned n);
void ubr_bgids_free(struct ubr_reactor *r, int base, unsigned n);
int ubr_buf_slots_alloc(struct ubr_reactor *r, unsigned n);
void ubr_buf_slots_free(struct ubr_reactor *r, int base, unsigned n);

#endif /* UBR_REACTOR_H */
