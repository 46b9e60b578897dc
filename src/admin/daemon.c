/* SPDX-License-Identifier: MIT */
/*
 * The daemon process: run directory, lock, admin socket, signals, and the
 * reactor's loop; and the other side of its start-up, ubr_daemon_spawn().
 *
 * Start-up is reported on a "ready" pipe, one line: "R" once the socket
 * accepts requests, "A PID" if another daemon already runs, "E MESSAGE" if
 * it cannot start. The client that started the daemon prints the message,
 * so a detached daemon's failure is not only in syslog.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "ubr_dev.h"
#include "ubr_reactor.h"
#include "ubr_upgrade.h"

#define LISTEN_BACKLOG 64
/* A client probing the lock holds it shared for an instant: retry. */
#define LOCK_TRIES 20
#define LOCK_RETRY_MS 50
/*
 * The command that starts the daemon gives up after SPAWN_WAIT_MS without
 * a word from it. Until it is ready the daemon says "P" (still starting)
 * every KEEPALIVE_S: recovering devices a killed daemon left can take
 * longer than that (a 6.12 kernel keeps them live for a while, see
 * dev_recover.c), and the command must not give up on a daemon whose
 * loop turns; each of the daemon's own waits is bounded.
 */
#define SPAWN_WAIT_MS 30000
#define KEEPALIVE_S 5.0
/* Config errors told to the command that started the daemon; the rest: log */
#define READY_WARN_MAX 20

struct daemon_args {
	bool foreground;
	bool detach;
	bool verbose;
	int ready_fd;
	char *config;	      /* absolute; NULL: the default */
	struct ubr_upgrade_fds up; /* --upgraded (internal) */
};

struct daemon {
	struct daemon_args args;
	struct ubr_daemon_ctx dc; /* the reactor, the server, the config */
	bool reactor_up;
	bool locked; /* we hold the lock: the lock file is ours to clear */
	int lock_fd;
	int listen_fd;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ev_signal sigterm_w, sigint_w;
	char err[256];
	ev_signal sighup_w;
	ev_timer keepalive_w; /* "P" on the ready pipe while starting */
	bool config_up;
};

static int fail(struct daemon *d, int ret, const char *fmt, ...)
	UBR_PRINTF(3, 4);

/* Record why start-up failed; returns ret (a -errno). */
static int fail(struct daemon *d, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return ret;
}

void ubr_reactor_init_strerror(int err, char *buf, size_t len)
{
	if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
		snprintf(buf, len, "ublk_drv is not loaded: modprobe ublk_drv");
	else if (err == -EACCES || err == -EPERM)
		snprintf(buf, len,
			 "cannot open /dev/ublk-control: %s (only root may manage ublk devices)",
			 strerror(-err));
	else
		snprintf(buf, len, "cannot set up the ublk control ring: %s",
			 strerror(-err));
}

/* --- readiness ----------------------------------------------------------- */

/* A detached daemon talks to nobody's terminal. */
static void stdio_to_null(void)
{
	int null = open("/dev/null", O_RDWR);

	if (null < 0)
		return;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
}

static void ready_report(struct daemon *d, const char *line)
{
	ssize_t n;

	if (d->reactor_up)
		ubr_timer_stop(&d->dc.r, &d->keepalive_w);
	if (d->args.ready_fd < 0)
		return;
	do
		n = write(d->args.ready_fd, line, strlen(line));
	while (n < 0 && errno == EINTR);
	close(d->args.ready_fd);
	d->args.ready_fd = -1;
}

static void keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (d->args.ready_fd < 0 || write(d->args.ready_fd, "P\n", 2) < 0)
		ubr_timer_stop(&d->dc.r, w);
}

static void keepalive_start(struct daemon *d)
{
	if (d->args.ready_fd < 0)
		return;
	ev_timer_init(&d->keepalive_w, keepalive_cb, KEEPALIVE_S, KEEPALIVE_S);
	d->keepalive_w.data = d;
	ubr_timer_start(&d->dc.r, &d->keepalive_w);
}

/* The first run of the config file is over: report its errors, then "R". */
static void ready_report_config(struct daemon *d, const struct ubr_config *cfg)
{
	unsigned i;

	for (i = 0; d->args.ready_fd >= 0 && i < cfg->nr_errors; i++) {
		if (i == READY_WARN_MAX) {
			dprintf(d->args.ready_fd, "W ... and %u more (see the log)\n",
				cfg->nr_errors - i);
			break;
		}
		dprintf(d->args.ready_fd, "W %s\n", cfg->errors[i].text);
	}
	ready_report(d, "R\n");
}

/* Parse what the daemon said on the ready pipe. */
static int ready_parse(char *line, char *err, size_t errlen)
{
	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line, "R"))
		return 0;
	if (line[0] == 'A') {
		snprintf(err, errlen, "the daemon is already running (pid %s)",
			 line + 2);
		return -EALREADY;
	}
	if (line[0] == 'E' && line[1] == ' ') {
		snprintf(err, errlen, "%s", line + 2);
		return -EIO;
	}
	snprintf(err, errlen,
		 "the daemon exited while starting (see the system log)");
	return -EIO;
}

/* "W message": the daemon starts, and has something to say (the config). */
static int ready_line(char *line, bool notes, bool *done, char *err,
		      size_t errlen)
{
	if (!strcmp(line, "P"))
		return 0; /* still starting: see KEEPALIVE_S */
	if (line[0] == 'W' && line[1] == ' ') {
		fprintf(stderr, "ublk-reactor: %s\n", line + 2);
		return 0;
	}
	/* "N IDS": devices wait for recover (which says itself). */
	if (line[0] == 'N' && line[1] == ' ') {
		if (notes)
			ubr_recoverable_note(line + 2);
		return 0;
	}
	*done = true;
	return ready_parse(line, err, errlen);
}

static int ready_wait(int fd, bool notes, char *err, size_t errlen)
{
	char buf[4096], *nl;
	size_t len = 0, used;
	struct pollfd p = { fd, POLLIN, 0 };
	bool done = false;
	ssize_t n;
	int ret;

	for (;;) {
		if (poll(&p, 1, SPAWN_WAIT_MS) == 0) {
			snprintf(err, errlen,
				 "the daemon did not start within %d s",
				 SPAWN_WAIT_MS / 1000);
			return -ETIMEDOUT;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			used = (size_t)(nl - buf) + 1;
			ret = ready_line(buf, notes, &done, err, errlen);
			if (done)
				return ret;
			memmove(buf, buf + used, len - used);
			len -= used;
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a line longer than any we write: drop it */
	}
	buf[len] = '\0';
	return ready_parse(buf, err, errlen);
}

/*
 * The daemon-to-be: detached from the caller's session by a second fork
 * (the caller reaps the first at once, so the daemon is nobody's zombie),
 * with /dev/null for stdio so that `dev=$(ublk-reactor add ...)` does not
 * wait for the daemon to close the caller's pipe.
 */
static void spawn_child(int ready_fd, const char *config, bool verbose)
{
	char num[16], *argv[10];
	int argc = 0;

	if (fork() != 0)
		_exit(0);
	stdio_to_null();
	fcntl(ready_fd, F_SETFD, 0);
	snprintf(num, sizeof(num), "%d", ready_fd);
	argv[argc++] = "ublk-reactor";
	argv[argc++] = "daemon";
	argv[argc++] = "--detach";
	argv[argc++] = "--ready-fd";
	argv[argc++] = num;
	if (config) {
		argv[argc++] = "--config";
		argv[argc++] = (char *)config;
	}
	if (verbose)
		argv[argc++] = "--verbose";
	argv[argc] = NULL;
	execv("/proc/self/exe", argv);
	dprintf(ready_fd, "E cannot run /proc/self/exe: %s\n", strerror(errno));
	_exit(127);
}

int ubr_daemon_spawn(bool notes, char *err, size_t errlen)
{
	return ubr_daemon_spawn_with(NULL, false, notes, err, errlen);
}

int ubr_daemon_spawn_with(const char *config, bool verbose, bool notes,
			  char *err, size_t errlen)
{
	int p[2], ret, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		goto fail;
	}
	if (pid == 0)
		spawn_child(p[1], config, verbose);
	close(p[1]);
	waitpid(pid, &status, 0);
	ret = ready_wait(p[0], notes, err, errlen);
	close(p[0]);
	return ret;
fail:
	snprintf(err, errlen, "cannot start the daemon: %s", strerror(errno));
	return -errno;
}

/* --- start-up steps ------------------------------------------------------ */

static int rundir_create(struct daemon *d)
{
	const char *dir = ubr_rundir();
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail(d, -errno, "cannot create %s: %s", dir,
			    strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(d, -ENOTDIR, "%s is not a directory", dir);
	if (ubr_run_path(UBR_SOCK_NAME, d->sock_path, sizeof(d->sock_path)) ||
	    ubr_run_path(UBR_LOCK_NAME, d->lock_path, sizeof(d->lock_path)))
		return fail(d, -ENAMETOOLONG, "run directory path too long: %s",
			    dir);
	return 0;
}

/* A descriptor the daemon before us handed over: ours, close-on-exec. */
static int inherit(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -errno : fd;
}

static int lock_take(struct daemon *d)
{
	struct timespec pause = { 0, LOCK_RETRY_MS * 1000000L };
	int tries;

	/* The lock of the daemon before us: the same open file, held. */
	if (d->args.up.lock >= 0)
		d->lock_fd = inherit(d->args.up.lock);
	else
		d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC,
				  0644);
	if (d->lock_fd < 0)
		return fail(d, -errno, "cannot open %s: %s", d->lock_path,
			    strerror(errno));
	for (tries = 0; tries < LOCK_TRIES; tries++) {
		if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0) {
			d->locked = true;
			return 0;
		}
		if (errno != EWOULDBLOCK)
			return fail(d, -errno, "cannot lock %s: %s",
				    d->lock_path, strerror(errno));
		nanosleep(&pause, NULL);
	}
	return fail(d, -EALREADY, "%d", ubr_lock_read_pid(d->lock_fd));
}

static void lock_write_pid(struct daemon *d)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(d->lock_fd, 0) < 0 ||
	    pwrite(d->lock_fd, buf, (size_t)n, 0) != n)
		ubr_warn("cannot write the pid to %s: %s", d->lock_path,
			 strerror(errno));
}

/*
 * UBLK_REACTOR_MIN_WAIT_US: how long a loaded turn polls before it sleeps
 * (0: never). The name is from when this was the kernel's min wait.
 * UBLK_REACTOR_POLL: adaptive (which turns poll: see ubr_batch.h) or busy
 * (every turn after a completion).
 */
static void poll_from_env(struct ubr_reactor *r)
{
	const char *env = getenv("UBLK_REACTOR_MIN_WAIT_US");
	const char *mode = getenv("UBLK_REACTOR_POLL");
	uint64_t us = UBR_BATCH_WAIT_US;
	bool busy = false;

	if (env && ubr_parse_u64(env, 0, UBR_BATCH_MAX_WAIT_US, &us) < 0) {
		ubr_warn("UBLK_REACTOR_MIN_WAIT_US=%.32s is not 0..%u: ignored",
			 env, UBR_BATCH_MAX_WAIT_US);
		us = UBR_BATCH_WAIT_US;
	}
	if (mode && !strcmp(mode, "busy"))
		busy = true;
	else if (mode && strcmp(mode, "adaptive"))
		ubr_warn("UBLK_REACTOR_POLL=%.32s is not adaptive or busy: ignored",
			 mode);
	ubr_reactor_set_poll(r, (unsigned)us, busy);
}

/*
 * UBLK_REACTOR_POOL_SIZE: the user-copy buffer pool's limit, the bound of
 * the daemon's data memory under load (sizes as add --size takes them).
 */
static void pool_size_from_env(struct ubr_reactor *r)
{
	const char *env = getenv("UBLK_REACTOR_POOL_SIZE");
	uint64_t bytes;

	if (!env)
		return;
	if (ubr_parse_size(env, &bytes) < 0 || bytes < UBR_POOL_MAX_BUF ||
	    bytes > (1ULL << 30)) {
		ubr_warn("UBLK_REACTOR_POOL_SIZE=%.32s is not 1M..1G: ignored", env);
		return;
	}
	r->pool.limit = (size_t)bytes;
}

/*
 * UBLK_REACTOR_ZC_MISS_EVERY=N (tests only): in zero copy mode every Nth
 * fetch names a slot past the buffer table's end, so the kernel cannot
 * register that request's pages and hands it over with NEED_REG_BUF: the
 * fallback path runs on demand (t/kernel/copy-mode-zero-fallback.sh).
 */
static void zc_miss_from_env(struct ubr_reactor *r)
{
	const char *env = getenv("UBLK_REACTOR_ZC_MISS_EVERY");
	uint64_t n;

	if (!env)
		return;
	if (ubr_parse_u64(env, 0, 1000000, &n) < 0) {
		ubr_warn("UBLK_REACTOR_ZC_MISS_EVERY=%.32s is not 0..1000000: ignored",
			 env);
		return;
	}
	r->zc_miss_every = (unsigned)n;
}

/*
 * UBLK_REACTOR_SQ_ENTRIES: the ring's submission queue size (0 or unset:
 * the default). A small SQ reuses each slot within a few SQEs: the tests
 * use it to check that no command depends on its slot after the submit.
 */
static unsigned sq_entries_from_env(void)
{
	const char *env = getenv("UBLK_REACTOR_SQ_ENTRIES");
	uint64_t n;

	if (!env)
		return 0;
	if (ubr_parse_u64(env, 0, UBR_MAX_SQ_ENTRIES, &n) < 0 ||
	    (n && n < UBR_MIN_SQ_ENTRIES)) {
		ubr_warn("UBLK_REACTOR_SQ_ENTRIES=%.32s is not 0 or %u..%u: ignored",
			 env, UBR_MIN_SQ_ENTRIES, UBR_MAX_SQ_ENTRIES);
		return 0;
	}
	return (unsigned)n;
}

/*
 * UBLK_REACTOR_IOWQ_WORKERS: at most this many of io_uring's bounded
 * workers (the threads that run control commands) for the daemon's ring;
 * unset or 0: the kernel's limit.
 */
static void iowq_workers_from_env(struct ubr_reactor *r)
{
	const char *env = getenv("UBLK_REACTOR_IOWQ_WORKERS");
	unsigned limits[2] = { 0, 0 }; /* bounded, unbounded (0: unchanged) */
	uint64_t n;
	int ret;

	if (!env)
		return;
	if (ubr_parse_u64(env, 0, 1024, &n) < 0) {
		ubr_warn("UBLK_REACTOR_IOWQ_WORKERS=%.32s is not 0..1024: ignored",
			 env);
		return;
	}
	limits[0] = (unsigned)n;
	ret = io_uring_register_iowq_max_workers(&r->ring, limits);
	if (ret < 0)
		ubr_warn("UBLK_REACTOR_IOWQ_WORKERS ignored: %s", strerror(-ret));
}

static int reactor_start(struct daemon *d)
{
	int ret = ubr_devices_init(&d->dc.r, sq_entries_from_env());

	if (ret < 0) {
		ubr_reactor_init_strerror(ret, d->err, sizeof(d->err));
		return ret;
	}
	poll_from_env(&d->dc.r);
	iowq_workers_from_env(&d->dc.r);
	pool_size_from_env(&d->dc.r);
	zc_miss_from_env(&d->dc.r);
	d->reactor_up = true;
	return 0;
}

/*
 * We hold the lock, so whatever socket is there belongs to a daemon that
 * died: replace it. Mode 0666 lets anyone connect, so that a non-root
 * caller hears "permission denied" from the credential check rather than
 * a bare EACCES from connect().
 */
static int listen_open(struct daemon *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (d->args.up.listen >= 0) {
		d->listen_fd = inherit(d->args.up.listen);
		return d->listen_fd < 0 ?
			       fail(d, d->listen_fd, "the socket handed over: %s",
				    strerror(-d->listen_fd)) : 0;
	}
	d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
					       SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return fail(d, -errno, "socket: %s", strerror(errno));
	strcpy(sun.sun_path, d->sock_path);
	if (unlink(d->sock_path) == 0)
		ubr_info("removed a stale socket %s", d->sock_path);
	if (bind(d->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return fail(d, -errno, "cannot bind %s: %s", d->sock_path,
			    strerror(errno));
	if (chmod(d->sock_path, 0666) < 0 ||
	    listen(d->listen_fd, LISTEN_BACKLOG) < 0)
		return fail(d, -errno, "cannot listen on %s: %s", d->sock_path,
			    strerror(errno));
	return 0;
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ubr_reactor *r = w->data;

	ubr_info("signal %d: deleting every device and exiting", w->signum);
	ubr_sd_notify("STOPPING=1");
	ubr_reactor_stop(r, 0);
}

static void sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ubr_daemon_ctx *dc = w->data;

	if (dc->r.stopping)
		return;
	ubr_info("SIGHUP: reloading the config file");
	ubr_config_reload(dc->config, NULL, NULL);
}

/* The reactor's loop takes signals through a signalfd (see reactor.c). */
static void signals_start(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&d->sigterm_w, signal_cb, SIGTERM);
	ev_signal_init(&d->sigint_w, signal_cb, SIGINT);
	d->sigterm_w.data = d->sigint_w.data = &d->dc.r;
	ev_signal_start(d->dc.r.loop, &d->sigterm_w);
	ev_signal_start(d->dc.r.loop, &d->sigint_w);
	ev_signal_init(&d->sighup_w, sighup_cb, SIGHUP);
	d->sighup_w.data = &d->dc;
	ev_signal_start(d->dc.r.loop, &d->sighup_w);
}

/* A daemon must not keep the caller's terminal, directory or session. */
static void detach_setup(void)
{
	setsid();
	if (chdir("/") < 0)
		ubr_warn("chdir /: %s", strerror(errno));
	stdio_to_null();
	ubr_log_to_syslog(true);
}

/* After each run of the config file: readiness, and a status line. */
static void config_done_cb(void *ctx, const struct ubr_config *cfg, bool boot)
{
	struct daemon *d = ctx;

	if (boot)
		ready_report_config(d, cfg);
	ubr_sd_notify("%sSTATUS=%u device(s); %s: %u error(s) at the last %s",
		      boot ? "READY=1\n" : "", d->dc.r.nr_devs, cfg->path,
		      cfg->nr_errors, boot ? "start" : "reload");
}

static int config_start(struct daemon *d)
{
	const char *path = d->args.config ? d->args.config : UBR_CONFIG_DEFAULT;
	int ret;

	ret = ubr_config_ctl_init(&d->dc.config, &d->dc.r, path,
				  d->args.config != NULL, config_done_cb, d,
				  d->err, sizeof(d->err));
	d->config_up = ret == 0;
	return ret;
}

static int daemon_setup(struct daemon *d)
{
	int ret;

	umask(022);
	ret = rundir_create(d);
	if (!ret)
		ret = lock_take(d);
	if (!ret)
		ret = reactor_start(d);
	if (!ret)
		ret = config_start(d);
	if (!ret)
		ret = listen_open(d);
	if (!ret && ubr_admin_server_init(&d->dc, d->listen_fd) < 0)
		ret = fail(d, -ENOMEM, "out of memory");
	if (ret < 0)
		return ret;
	signals_start(d);
	lock_write_pid(d);
	return 0;
}

/*
 * handing_over: an upgrade's new daemon takes the socket (still
 * listening: clients wait in its backlog) and the lock as they are.
 */
static void daemon_cleanup(struct daemon *d, bool handing_over)
{
	if (d->reactor_up) {
		ev_signal_stop(d->dc.r.loop, &d->sigterm_w);
		ev_signal_stop(d->dc.r.loop, &d->sigint_w);
		ev_signal_stop(d->dc.r.loop, &d->sighup_w);
		ubr_config_ctl_deinit(d->dc.config);
		d->dc.config = NULL;
		ubr_admin_server_deinit(&d->dc);
		ubr_devices_deinit(&d->dc.r);
	}
	if (handing_over)
		return;
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->sock_path);
	}
	/*
	 * The lock file stays: removing it while others may have it open
	 * would let two daemons lock two different files.
	 */
	if (d->locked && ftruncate(d->lock_fd, 0) < 0)
		ubr_warn("cannot clear %s", d->lock_path);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}

static void config_boot_cb(void *ctx)
{
	struct ubr_daemon_ctx *dc = ctx;

	ubr_config_boot(dc->config);
}

/* The new half: take the devices back and answer the upgrade's client. */
static void upgrade_finish(struct daemon *d)
{
	struct ubr_reply *rep;
	char list[256];

	ubr_upgrade_wait_old(d->args.up.gone);
	ubr_records_scan(&d->dc.r, list, sizeof(list));
	rep = ubr_admin_adopt(&d->dc, inherit(d->args.up.conn));
	if (rep && !d->args.up.failed)
		ubr_reply_printf(rep, 2, "ublk-reactor: upgraded to ublk-reactor %s (pid %d)\n",
				 PACKAGE_VERSION, (int)getpid());
	ubr_info("upgraded: ublk-reactor %s takes the devices back",
		 PACKAGE_VERSION);
	ubr_recover_all(&d->dc.r, rep, d->args.up.failed ? UBR_EXIT_FAIL :
							   UBR_EXIT_OK,
			config_boot_cb, &d->dc);
}

/* The old half: start the new daemon, then exit. */
static int upgrade_handover(struct daemon *d)
{
	struct ubr_upgrade_exec x = {
		.path = d->dc.upgrade_path,
		.fds = { .lock = d->lock_fd, .listen = d->listen_fd,
			 .conn = d->dc.upgrade_conn },
		.foreground = d->args.foreground,
		.verbose = d->args.verbose,
		.config = d->args.config,
	};
	int ret;

	daemon_cleanup(d, true);
	ret = ubr_upgrade_handover(&x);
	close(d->dc.upgrade_conn);
	free(d->dc.upgrade_path);
	return ret < 0 ? UBR_EXIT_FAIL : UBR_EXIT_OK;
}

static int daemon_run(struct daemon *d)
{
	char line[300], recoverable[256];
	int ret;

	/* Started through /proc/self/exe, we would be "exe" to ps and pgrep. */
	prctl(PR_SET_NAME, "ublk-reactor", 0, 0, 0);
	if (d->args.detach)
		detach_setup();
	else if (ubr_log_stderr_is_journal())
		ubr_log_to_journal(true);
	/* Only the process a service manager started tells it anything. */
	if (!d->args.foreground)
		unsetenv("NOTIFY_SOCKET");
	ret = daemon_setup(d);
	if (ret == -EALREADY) {
		snprintf(line, sizeof(line), "A %s\n", d->err);
		ready_report(d, line);
		ubr_err("the daemon is already running (pid %s)", d->err);
	} else if (ret < 0) {
		snprintf(line, sizeof(line), "E %s\n", d->err);
		ready_report(d, line);
		ubr_err("%s", d->err);
	} else if (d->args.up.conn >= 0) {
		upgrade_finish(d);
		ret = ubr_reactor_run(&d->dc.r);
		ret = ret < 0 ? UBR_EXIT_FAIL : d->dc.r.exit_status;
	} else {
		ubr_info("pid %d serving %s", (int)getpid(), d->sock_path);
		keepalive_start(d);
		ubr_records_scan(&d->dc.r, recoverable, sizeof(recoverable));
		if (recoverable[0] && d->args.config)
			ubr_recover_all(&d->dc.r, NULL, 0, config_boot_cb, &d->dc);
		else if (recoverable[0] && d->args.ready_fd >= 0)
			dprintf(d->args.ready_fd, "N %s\n", recoverable);
		if (!recoverable[0] || !d->args.config)
			ubr_config_boot(d->dc.config); /* says "R" once its devices serve */
		ret = ubr_reactor_run(&d->dc.r);
		ret = ret < 0 ? UBR_EXIT_FAIL : d->dc.r.exit_status;
	}
	if (ret >= 0 && d->dc.upgrade_path)
		return upgrade_handover(d);
	if (ret >= 0)
		ubr_info("exiting with status %d", ret);
	daemon_cleanup(d, false);
	return ret < 0 ? UBR_EXIT_FAIL : ret;
}

/* --- command line -------------------------------------------------------- */

static int daemon_usage(const char *msg)
{
	fprintf(stderr,
		"ublk-reactor: %s (usage: ublk-reactor daemon [--foreground] [--config FILE] [--verbose])\n",
		msg);
	return UBR_EXIT_USAGE;
}

/*
 * The daemon works from "/": a relative FILE is made absolute first. A
 * FILE named on the command line must exist (the default need not): say
 * so here, before a detached daemon could only say it to the log.
 */
static int daemon_config_arg(struct daemon_args *a, const char *path)
{
	char cwd[4096];

	free(a->config);
	a->config = NULL;
	if (!path[0])
		return daemon_usage("--config needs a FILE");
	if (path[0] == '/')
		a->config = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)) &&
		 asprintf(&a->config, "%s/%s", cwd, path) < 0)
		a->config = NULL;
	if (!a->config) {
		fprintf(stderr, "ublk-reactor: cannot resolve %s: %s\n", path,
			strerror(errno));
		return UBR_EXIT_FAIL;
	}
	if (access(a->config, R_OK) < 0) {
		fprintf(stderr, "ublk-reactor: %s: cannot read: %s\n", path,
			strerror(errno));
		return UBR_EXIT_FAIL;
	}
	return 0;
}

/* One argument at argv[*i] (advanced past a value): 0 or an exit status. */
static int daemon_arg(struct daemon_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	char msg[128];
	uint64_t fd;

	if (!strcmp(arg, "--config") || !strcmp(arg, "-c"))
		return *i + 1 < argc ? daemon_config_arg(a, argv[++*i]) :
				       daemon_usage("--config needs a FILE");
	if (!strncmp(arg, "--config=", 9))
		return daemon_config_arg(a, arg + 9);
	if (!strcmp(arg, "--foreground") || !strcmp(arg, "-f"))
		a->foreground = true;
	else if (!strcmp(arg, "--verbose") || !strcmp(arg, "-v"))
		a->verbose = true;
	else if (!strcmp(arg, "--detach")) /* internal */
		a->detach = true;
	else if (!strcmp(arg, "--ready-fd") && *i + 1 < argc &&
		 !ubr_parse_u64(argv[*i + 1], 3, 1U << 20, &fd))
		a->ready_fd = (int)fd, ++*i; /* internal: a pipe */
	else if (!strcmp(arg, "--upgraded") && *i + 1 < argc &&
		 !ubr_upgrade_parse_fds(&a->up, argv[*i + 1]))
		++*i; /* internal: see ubr_upgrade.h */
	else {
		snprintf(msg, sizeof(msg), "unknown argument '%.64s' for daemon",
			 arg);
		return daemon_usage(msg);
	}
	return 0;
}

static int daemon_parse(int argc, char **argv, struct daemon_args *a)
{
	int i, ret = 0;

	memset(a, 0, sizeof(*a));
	a->ready_fd = -1;
	a->up.lock = a->up.listen = a->up.conn = a->up.gone = -1;
	for (i = 1; i < argc && !ret; i++)
		ret = daemon_arg(a, argc, argv, &i);
	if (!ret && a->foreground && a->detach)
		ret = daemon_usage("--foreground and --detach exclude each other");
	return ret;
}

/* `daemon` without --foreground: start one in the background, like add. */
static int daemon_background(const struct daemon_args *a)
{
	char err[256];
	int ret;

	if (access("/dev/ublk-control", F_OK) < 0) {
		fprintf(stderr, "ublk-reactor: ublk_drv is not loaded: modprobe ublk_drv\n");
		return UBR_EXIT_FAIL;
	}
	ret = ubr_daemon_spawn_with(a->config, a->verbose, true, err,
				    sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "ublk-reactor: %s\n", err);
		return UBR_EXIT_FAIL;
	}
	return UBR_EXIT_OK;
}

int ubr_daemon_main(int argc, char **argv)
{
	struct daemon *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "ublk-reactor: out of memory\n");
		return UBR_EXIT_FAIL;
	}
	d->lock_fd = d->listen_fd = -1;
	ret = daemon_parse(argc, argv, &d->args);
	if (!ret) {
		ubr_log_set_verbose(d->args.verbose);
		if (d->args.foreground || d->args.detach)
			ret = daemon_run(d);
		else
			ret = daemon_background(&d->args);
	}
	if (d->args.ready_fd >= 0)
		close(d->args.ready_fd);
	free(d->args.config);
	free(d);
	return ret;
}
