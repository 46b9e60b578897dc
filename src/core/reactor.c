/* SPDX-License-Identifier: MIT */
/*
 * The reactor loop: one thread, one io_uring for every device, libev woken
 * through the ring. See include/ubr_reactor.h for the shape.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ubr_child.h"
#include "ubr_compat.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_user_data.h"
#include "ubr_util.h"

#define UBR_DEFAULT_SQ 512
#define UBR_EVENT_LIBEV 1

/*
 * How many fixed-file slots (and so devices) we can have: the kernel caps a
 * file table at RLIMIT_NOFILE, so raise the soft limit to the hard one.
 */
static unsigned fixed_files_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 256;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		/*
		 * prlimit, not setrlimit: the same system call, but a static
		 * musl's setrlimit also links its every-thread broadcast
		 * (__synccall and semaphores, for kernels before 2.6.36):
		 * 1 KiB of a binary with one thread.
		 */
		prlimit(0, RLIMIT_NOFILE, &rl, NULL);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur < UBR_MAX_DEVS ? (unsigned)rl.rlim_cur / 2
					  : UBR_MAX_DEVS;
}

static int ring_setup(struct ubr_reactor *r, unsigned sq_entries)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	/*
	 * SQE128 carries control and I/O uring_cmds. One issuer (this
	 * thread) and deferred task work: completions are run only when we
	 * enter the kernel, so nothing interrupts the thread between turns;
	 * TASKRUN_FLAG marks in the SQ ring that some are waiting, which is
	 * what a polling turn looks at (wait_turn()). A CQ four times the SQ
	 * absorbs the commands of many devices completing together.
	 */
	p.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE |
		  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	p.cq_entries = sq_entries * 4;
	ret = io_uring_queue_init_params(sq_entries, &r->ring, &p);
	if (ret < 0)
		return ret;
	/* Device char files are fixed files, numbered by device slot. */
	r->fixed_files = ubr_kernel_releases_fixed_files_alone();
	r->max_devs = fixed_files_limit();
	ret = io_uring_register_files_sparse(&r->ring, r->max_devs);
	if (ret < 0)
		goto fail;
	r->sq_entries = sq_entries;
	return 0;
fail:
	io_uring_queue_exit(&r->ring);
	return ret;
}

int ubr_reactor_buf_table(struct ubr_reactor *r, unsigned n)
{
	int ret;

	r->buf_slot_used = calloc(n, 1);
	if (!r->buf_slot_used)
		return -ENOMEM;
	ret = io_uring_register_buffers_sparse(&r->ring, n);
	if (ret < 0) {
		free(r->buf_slot_used);
		r->buf_slot_used = NULL;
		return ret;
	}
	r->nr_buf_slots = n;
	return 0;
}

static int range_alloc(uint8_t *used, unsigned size, unsigned n);

int ubr_buf_slots_alloc(struct ubr_reactor *r, unsigned n)
{
	return range_alloc(r->buf_slot_used, r->nr_buf_slots, n);
}

/* First fit in a table of used flags: the first of n free entries. */
static int range_alloc(uint8_t *used, unsigned size, unsigned n)
{
	unsigned base, i;

	for (base = 0; base + n <= size; base++) {
		for (i = 0; i < n && !used[base + i]; i++)
			;
		if (i == n) {
			memset(used + base, 1, n);
			return (int)base;
		}
		base += i;
	}
	return -ENOSPC;
}

int ubr_bgids_alloc(struct ubr_reactor *r, unsigned n)
{
	if (!r->bgid_used)
		r->bgid_used = calloc(UBR_MAX_BGIDS, 1);
	if (!r->bgid_used)
		return -ENOMEM;
	return range_alloc(r->bgid_used, UBR_MAX_BGIDS, n);
}

void ubr_bgids_free(struct ubr_reactor *r, int base, unsigned n)
{
	if (base >= 0 && r->bgid_used)
		memset(r->bgid_used + base, 0, n);
}

void ubr_buf_slots_free(struct ubr_reactor *r, int base, unsigned n)
{
	if (base >= 0)
		memset(r->buf_slot_used + base, 0, n);
}

void ubr_reactor_set_poll(struct ubr_reactor *r, unsigned us, bool busy)
{
	ubr_batch_init(&r->batch, us, busy);
}

/*
 * libev replaces its epoll descriptor (closes it, makes another, and
 * registers every watcher there again) when epoll reports an event it
 * cannot place: a watcher it stopped lazily, on a descriptor closed since
 * whose file something else still holds (a ring request on it, a client's
 * copy of a passed socket). It calls that a fork, and runs the fork
 * watchers just before. The ring's poll would stay on the old file, which
 * nothing wakes any more: every libev event (an admin request, an nbd
 * handshake) would wait for a timer or a control command, or forever.
 */
static void ev_renew_cb(struct ev_loop *loop, ev_fork *w, int revents)
{
	struct ubr_reactor *r = ev_userdata(loop);

	(void)w;
	(void)revents;
	r->ev_renewed = true;
}

int ubr_reactor_init(struct ubr_reactor *r, unsigned sq_entries)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->ctrl_fd = -1;
	ret = ring_setup(r, sq_entries ? sq_entries : UBR_DEFAULT_SQ);
	if (ret < 0)
		return ret;
	/*
	 * Signals through a signalfd: libev's default self-pipe is written
	 * only while libev itself sleeps in epoll_wait, which it never does
	 * here, so a signal would wait for some other event to be noticed.
	 */
	r->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
	if (!r->loop) {
		ret = -ENOMEM;
		goto exit_ring;
	}
	ev_set_userdata(r->loop, r);
	ev_fork_init(&r->ev_renew_w, ev_renew_cb);
	ev_fork_start(r->loop, &r->ev_renew_w);
	r->ev_fd = ubr_ev_backend_fd(r->loop);
	if (r->ev_fd < 0) {
		ret = r->ev_fd;
		goto free_loop;
	}
	ubr_pool_init(&r->pool, UBR_POOL_DEFAULT_LIMIT);
	ubr_reactor_set_poll(r, UBR_BATCH_WAIT_US, false);
	return 0;
free_loop:
	ev_loop_destroy(r->loop);
exit_ring:
	io_uring_queue_exit(&r->ring);
	return ret;
}

void ubr_reactor_deinit(struct ubr_reactor *r)
{
	unsigned i;

	/*
	 * The ring first: it holds the users' commands (the detached
	 * devices'), and the kernel must see them cancelled before the users
	 * free their memory.
	 */
	io_uring_queue_exit(&r->ring);
	r->ring_exited = true;
	for (i = r->nr_at_exit; i-- > 0;)
		r->at_exit[i](r);
	free(r->timers);
	free(r->buf_slot_used);
	free(r->bgid_used);
	ubr_pool_deinit(&r->pool);
	ubr_children_forget(r);
	ev_loop_destroy(r->loop);
}

int ubr_reactor_at_exit(struct ubr_reactor *r, ubr_reactor_fn *fn)
{
	if (r->nr_at_exit == UBR_REACTOR_MAX_AT_EXIT)
		return -ENOSPC;
	r->at_exit[r->nr_at_exit++] = fn;
	return 0;
}

void ubr_reactor_handle(struct ubr_reactor *r, enum ubr_ud_kind kind,
			ubr_cqe_handler *fn)
{
	r->handlers[kind] = fn;
}

/* Hand what is queued to the kernel before the loop turn's own enter. */
static void submit_early(struct ubr_reactor *r)
{
	r->counters.enters++;
	r->counters.submits++;
	if (io_uring_submit(&r->ring) < 0)
		ubr_warn("io_uring_submit: %s", strerror(errno));
}

struct io_uring_sqe *ubr_reactor_sqe(struct ubr_reactor *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	while (!sqe) {
		/* Full SQ: make room, then retry. */
		submit_early(r);
		sqe = io_uring_get_sqe(&r->ring);
	}
	return sqe;
}

void ubr_reactor_reserve(struct ubr_reactor *r, unsigned n)
{
	if (io_uring_sq_space_left(&r->ring) < n)
		submit_early(r);
}

/* --- libev through the ring ------------------------------------------ */

/* The poll on generation gen of libev's epoll descriptor. */
static uint64_t ev_poll_ud(unsigned gen)
{
	return ubr_ud_encode(UBR_UD_EVENT, 0, 0, gen % UBR_MAX_DEPTH,
			     UBR_EVENT_LIBEV);
}

static void ev_poll_arm(struct ubr_reactor *r)
{
	struct io_uring_sqe *sqe;

	if (r->ev_poll_armed)
		return;
	sqe = ubr_reactor_sqe(r);
	io_uring_prep_poll_add(sqe, r->ev_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, ev_poll_ud(r->ev_gen));
	r->ev_poll_armed = true;
}

/*
 * After libev has replaced its descriptor: find the new one (its number
 * may differ), take back the poll on the old one, and poll the new one
 * (ev_run_due arms it next). The old poll's completion, if it comes, is
 * of an older generation and ignored.
 */
static void ev_follow_backend(struct ubr_reactor *r)
{
	struct io_uring_sqe *sqe;
	int fd;

	r->ev_renewed = false;
	fd = ubr_ev_backend_fd(r->loop);
	if (fd < 0) {
		/* Not seen to happen: libev makes the new one at once. */
		ubr_err("libev's new epoll descriptor: %s", strerror(-fd));
		return;
	}
	ubr_dbg("libev replaced its epoll descriptor (%d, now %d)", r->ev_fd,
		fd);
	r->ev_fd = fd;
	if (r->ev_poll_armed) {
		sqe = ubr_reactor_sqe(r);
		io_uring_prep_poll_remove(sqe, ev_poll_ud(r->ev_gen));
		io_uring_sqe_set_data64(sqe, ubr_ud_encode(UBR_UD_IGNORE, 0, 0,
							   0, 0));
		r->ev_poll_armed = false;
	}
	r->ev_gen++;
}

static void ev_invoke_pending_cb(struct ev_loop *loop)
{
	struct ubr_reactor *r = ev_userdata(loop);

	if (ev_pending_count(loop))
		r->ev_invoked = true;
	ev_invoke_pending(loop);
}

/*
 * Run libev without blocking until its callbacks stop starting new work:
 * libev adds watchers started inside a callback to epoll only on its next
 * iteration, and the ring is about to sleep on that epoll descriptor.
 */
static void ev_run_due(struct ubr_reactor *r)
{
	int rounds = 0;

	do {
		r->ev_invoked = false;
		ev_run(r->loop, EVRUN_NOWAIT);
		r->counters.ev_runs++;
	} while (r->ev_invoked && ++rounds < 64);
	r->ev_due = false;
	if (r->ev_renewed)
		ev_follow_backend(r);
	ev_poll_arm(r);
}

/* --- timers ------------------------------------------------------------- */

void ubr_timer_start(struct ubr_reactor *r, ev_timer *w)
{
	ev_timer **t;
	unsigned i;

	ev_timer_start(r->loop, w);
	for (i = 0; i < r->nr_timers; i++)
		if (r->timers[i] == w)
			return;
	t = realloc(r->timers, (r->nr_timers + 1) * sizeof(*t));
	if (!t) {
		ubr_err("out of memory for a timer");
		return;
	}
	r->timers = t;
	r->timers[r->nr_timers++] = w;
}

void ubr_timer_stop(struct ubr_reactor *r, ev_timer *w)
{
	unsigned i;

	ev_timer_stop(r->loop, w);
	for (i = 0; i < r->nr_timers; i++) {
		if (r->timers[i] == w) {
			r->timers[i] = r->timers[--r->nr_timers];
			return;
		}
	}
}

/*
 * Seconds until the earliest active timer (<= 0: due), false for none.
 * libev's clock advances only when libev runs, which the loop avoids while
 * I/O flows: bring it up to date (a vDSO clock read) or, under steady I/O,
 * the deadlines would never come nearer.
 */
static bool timers_next(struct ubr_reactor *r, double *secs)
{
	bool any = false;
	double left;
	unsigned i;

	if (!r->nr_timers)
		return false;
	ev_now_update(r->loop);
	for (i = 0; i < r->nr_timers; i++) {
		if (!ev_is_active(r->timers[i]))
			continue;
		left = ev_timer_remaining(r->loop, r->timers[i]);
		if (!any || left < *secs)
			*secs = left;
		any = true;
	}
	return any;
}

/* --- io watchers --------------------------------------------------------- */

/*
 * libev hands a started ev_io to its epoll descriptor only on its next
 * run, and the reactor runs libev only when the ring tells it to (a
 * completion of the poll on that descriptor, a due timer, a control
 * command): an ev_io started from a ring completion handler (say, the
 * pidfd of the STOP_DEV helper that an aborted FETCH spawns) would never
 * be watched, and the ring would sleep past its event. So mark libev due:
 * it runs once more before the ring sleeps (a no-op inside libev's own
 * callbacks, where ev_run_due() already runs it again).
 */
void ubr_io_start(struct ubr_reactor *r, ev_io *w)
{
	ev_io_start(r->loop, w);
	r->ev_due = true;
}

/* --- the loop ----------------------------------------------------------- */

/*
 * The reactor's own kinds here; the others go to the handler their layer
 * registered (ubr_reactor_handle()): one indirect call per completion,
 * which the bench could not tell from the direct calls it replaced.
 */
void ubr_reactor_dispatch(struct ubr_reactor *r, const struct io_uring_cqe *cqe)
{
	enum ubr_ud_kind kind = ubr_ud_kind_of(cqe->user_data);

	switch (kind) {
	case UBR_UD_EVENT:
		if (cqe->user_data != ev_poll_ud(r->ev_gen))
			return; /* the poll on a replaced descriptor */
		r->ev_poll_armed = false;
		r->ev_due = true;
		return;
	case UBR_UD_IGNORE:
		return;
	case UBR_UD_IO_CMD:
	case UBR_UD_BATCH:
		r->counters.io_cqes++;
		break;
	case UBR_UD_CTRL:
		r->ev_due = true; /* an admin reply may be waiting to go out */
		break;
	default:
		break;
	}
	if (r->handlers[kind])
		r->handlers[kind](r, cqe);
	else
		ubr_warn("completion with unknown user_data 0x%llx res %d",
			 (unsigned long long)cqe->user_data, cqe->res);
}

/*
 * Handle every completion in the CQ. Returns what they brought, for the
 * poll policy: one per completion, plus a batch fetch's extra requests.
 */
static unsigned reap(struct ubr_reactor *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	r->turn_extra = 0;
	io_uring_for_each_cqe(&r->ring, head, cqe) {
		ubr_reactor_dispatch(r, cqe);
		n++;
	}
	io_uring_cq_advance(&r->ring, n);
	r->counters.cqes += n;
	return n + r->turn_extra;
}

static bool loop_done(const struct ubr_reactor *r)
{
	return r->stopping && r->nr_devs == r->nr_detached &&
	       r->ctrl_inflight == 0;
}

/*
 * An io_uring_enter: submit everything, then wait for wait_nr completions,
 * never past ts. Returns >= 0 or -errno.
 */
static int ring_enter(struct ubr_reactor *r, unsigned wait_nr,
		      const struct __kernel_timespec *ts)
{
	r->counters.enters++;
	return ubr_ring_enter(&r->ring, wait_nr, ts);
}

static void ts_set(struct __kernel_timespec *ts, double secs)
{
	if (secs < 0)
		secs = 0;
	ts->tv_sec = (long long)secs;
	ts->tv_nsec = (long long)((secs - (double)ts->tv_sec) * 1e9);
}

/*
 * Whether the kernel has something for us: completions in the CQ, or task
 * work queued for our next enter (IORING_SQ_TASKRUN, which TASKRUN_FLAG
 * makes the kernel set: with DEFER_TASKRUN every completion, a new ublk
 * request included, first waits there as task work).
 */
static bool work_ready(const struct ubr_reactor *r)
{
	return io_uring_cq_ready(&r->ring) ||
	       (io_uring_smp_load_acquire(r->ring.sq.kflags) & IORING_SQ_TASKRUN);
}

/*
 * Look for work for up to us microseconds, without sleeping; once some is
 * seen, go on for gather_us more (within the us), for more to come.
 */
static bool poll_for_work(const struct ubr_reactor *r, unsigned us,
			  unsigned gather_us)
{
	long long now = ubr_mono_ns(), end = now + us * 1000LL, until;
	unsigned i;

	do {
		for (i = 0; i < 64; i++)
			if (work_ready(r))
				goto found;
	} while ((now = ubr_mono_ns()) < end);
	return false;
found:
	until = now + gather_us * 1000LL;
	while (gather_us && (now = ubr_mono_ns()) < until && now < end)
		;
	return true;
}

/*
 * The wait's bound: the next libev timer, run first if it is already due.
 * A polling turn (see ubr_batch.h) first submits without waiting, then
 * looks for work for up to poll_us without sleeping, within the timer's
 * bound; *found says whether that paid. Then, or at once when not
 * polling, it waits for one completion: at once if the poll saw some.
 * Without a timer the wait has no bound, and needs none: whatever can
 * wake the loop completes on the ring, libev's events included, as long
 * as libev is run after a watcher starts (ubr_io_start()). A bound would
 * only hide, behind its delay, a watcher that missed that.
 */
static int wait_turn(struct ubr_reactor *r, bool *found)
{
	struct __kernel_timespec ts, *tsp = NULL;
	unsigned poll_us = ubr_batch_poll_us(&r->batch);
	double next = 0;
	bool timed = timers_next(r, &next);
	int ret;

	*found = true;
	if (timed && next <= 0) {
		ev_run_due(r);
		if (loop_done(r))
			return 0;
		timed = timers_next(r, &next);
	}
	if (timed) {
		ts_set(&ts, next);
		tsp = &ts;
	}
	if (poll_us && (!timed || next * 1e6 > poll_us)) {
		r->counters.batched++;
		ret = ring_enter(r, 0, NULL);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
		if (io_uring_cq_ready(&r->ring))
			return 0;
		*found = poll_for_work(r, poll_us,
				       ubr_batch_gather_us(&r->batch));
	}
	ret = ring_enter(r, 1, tsp);
	if (ret == -ETIME) {
		r->ev_due = true; /* a libev timer is due */
		return 0;
	}
	if (ret == -EINTR || ret == -EAGAIN || ret == -EBUSY)
		return 0; /* reaping makes room for what could not go */
	return ret < 0 ? ret : 0;
}

int ubr_reactor_run(struct ubr_reactor *r)
{
	unsigned n;
	bool found;
	int ret;

	ev_set_invoke_pending_cb(r->loop, ev_invoke_pending_cb);
	ev_run_due(r);
	while (!loop_done(r)) {
		r->counters.turns++;
		ret = wait_turn(r, &found);
		if (ret < 0) {
			ubr_err("io_uring_enter: %s", strerror(-ret));
			return ret;
		}
		n = reap(r);
		ubr_batch_turn(&r->batch, n, found);
		ubr_batch_clock(&r->batch, n, ubr_mono_ns());
		if (r->ev_due)
			ev_run_due(r);
		/* What the turn's completions left to send in one go. */
		if (r->turn_end)
			r->turn_end(r);
	}
	/* Let the admin layer flush its last replies. */
	ev_run_due(r);
	return 0;
}
