/* SPDX-License-Identifier: MIT */
/*
 * The client side of every admin command: check the command line here (a
 * usage error needs no daemon), open the backing files with the caller's
 * own rights, reach the daemon (starting it for `add`), pass the request
 * and the descriptors, and relay the answer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_dev.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

/* How long to wait for a daemon that is starting (or to start one). */
#define CONNECT_WAIT_MS 15000
#define RETRY_MS 50

#define MSG_NOT_ROOT "permission denied: only root may manage ublk devices"
#define MSG_NO_DRIVER "ublk_drv is not loaded: modprobe ublk_drv"

int ubr_client_error(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("ublk-reactor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* --- reaching the daemon ------------------------------------------------- */

static int sock_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Is a daemon alive? It holds an exclusive flock on the lock file from
 * before it binds the socket until after it removed it. Returns the
 * holder's pid (or INT_MAX if it wrote none yet), 0 if no daemon holds it.
 * When free and `stale_sock` is set, the socket is removed while the lock
 * is held, so that no starting daemon's fresh socket is removed instead.
 */
static int daemon_probe(const char *stale_sock)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, pid;

	if (ubr_run_path(UBR_LOCK_NAME, path, sizeof(path)) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		pid = ubr_lock_read_pid(fd);
		close(fd);
		return pid ? pid : INT_MAX;
	}
	if (stale_sock)
		unlink(stale_sock);
	close(fd);
	return 0;
}

struct conn_state {
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool stale;	 /* a socket without a daemon was found */
	bool removed;	 /* ... and removed */
	int busy_pid;	 /* a daemon holds the lock but does not answer */
};

/* One try: the socket fd, or -errno with st telling what was found. */
static int connect_once(struct conn_state *st)
{
	int fd = sock_connect(st->sock), pid;

	if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED))
		return fd;
	st->busy_pid = 0;
	pid = daemon_probe(fd == -ECONNREFUSED ? st->sock : NULL);
	if (pid) {
		st->busy_pid = pid; /* starting, or stopping: try again */
		return -EAGAIN;
	}
	if (fd == -ECONNREFUSED) {
		st->stale = true;
		st->removed = access(st->sock, F_OK) < 0;
	}
	return -ENOENT;
}

static int not_running(const struct conn_state *st)
{
	if (st->stale && st->removed)
		return ubr_client_error(UBR_EXIT_FAIL,
			     "the daemon is not running (removed the stale socket %s left by a daemon that died)",
			     st->sock);
	if (st->stale)
		return ubr_client_error(UBR_EXIT_FAIL,
			     "the daemon is not running (stale socket %s left by a daemon that died)",
			     st->sock);
	return ubr_client_error(UBR_EXIT_FAIL, "the daemon is not running");
}

static int connect_failed(const struct conn_state *st, int err)
{
	if (err == -EACCES || err == -EPERM)
		return ubr_client_error(UBR_EXIT_FAIL, MSG_NOT_ROOT);
	if (err == -EAGAIN && st->busy_pid != INT_MAX)
		return ubr_client_error(UBR_EXIT_FAIL,
			     "the daemon (pid %d) does not answer on %s",
			     st->busy_pid, st->sock);
	if (err == -EAGAIN)
		return ubr_client_error(UBR_EXIT_FAIL, "the daemon does not answer on %s",
			     st->sock);
	return ubr_client_error(UBR_EXIT_FAIL, "cannot connect to %s: %s", st->sock,
		     strerror(-err));
}

void ubr_recoverable_note(const char *ids)
{
	fprintf(stderr,
		"ublk-reactor: note: device(s) %s, left by an earlier daemon, can be recovered: ublk-reactor recover\n",
		ids);
}

/* What daemon_connect() does when no daemon runs. */
enum if_none {
	IF_NONE_FAIL,		/* say that none runs */
	IF_NONE_START,		/* start one; it notes recoverable devices */
	IF_NONE_START_NOTELESS, /* recover: says itself what it recovers */
};

static int start_daemon(bool notes)
{
	char err[256];
	int ret;

	if (access("/dev/ublk-control", F_OK) < 0)
		return ubr_client_error(UBR_EXIT_FAIL, MSG_NO_DRIVER);
	if (geteuid() != 0)
		return ubr_client_error(UBR_EXIT_FAIL, MSG_NOT_ROOT);
	ret = ubr_daemon_spawn(notes, err, sizeof(err));
	if (ret < 0 && ret != -EALREADY)
		return ubr_client_error(UBR_EXIT_FAIL, "%s", err);
	return 0;
}

/* What the last daemon_connect() found, for a "not running" said later. */
static struct conn_state last_conn;

/*
 * The connected socket, or -1 with the message printed. With `start`, a
 * missing daemon is started; without, *status says "not running".
 */
static int daemon_connect(enum if_none if_none, bool quiet, int *status)
{
	struct conn_state st = { 0 };
	long long deadline = ubr_mono_ms() + CONNECT_WAIT_MS;
	bool spawned = false;
	int fd;

	*status = UBR_EXIT_FAIL;
	if (ubr_run_path(UBR_SOCK_NAME, st.sock, sizeof(st.sock)) < 0) {
		ubr_client_error(UBR_EXIT_FAIL, "run directory path too long: %s",
		      ubr_rundir());
		return -1;
	}
	for (;;) {
		fd = connect_once(&st);
		if (fd >= 0)
			return fd;
		if (fd == -ENOENT && if_none == IF_NONE_FAIL) {
			last_conn = st;
			if (!quiet)
				not_running(&st);
			return -ENOENT;
		}
		if (fd == -ENOENT && !spawned) {
			if (start_daemon(if_none == IF_NONE_START))
				return -1;
			spawned = true;
			continue;
		}
		if ((fd != -EAGAIN && fd != -ENOENT) || ubr_mono_ms() > deadline) {
			connect_failed(&st, fd);
			return -1;
		}
		sleep_ms(RETRY_MS);
	}
}

/* --- the request --------------------------------------------------------- */

static void write_all(FILE *f, const char *text, size_t len)
{
	fwrite(text, 1, len, f);
	fflush(f);
}

/*
 * Set by a command that bounds its wait for the answer (del, upgrade), in
 * seconds, with what goes on meanwhile; and by upgrade, what a lost
 * answer means.
 */
static int reply_wait_s;
static const char *reply_wait_what = "the delete goes on";
static const char *reply_gone_hint = "see its log";

static int reply_lost(int ret, const char *err)
{
	if (ret == -EAGAIN && reply_wait_s) /* SO_RCVTIMEO ran out */
		return ubr_client_error(UBR_EXIT_FAIL,
			     "no answer from the daemon after %d s: %s (see list and the daemon's log)",
			     reply_wait_s, reply_wait_what);
	if (ret == 0 || ret == -ECONNRESET)
		return ubr_client_error(UBR_EXIT_FAIL,
			     "the daemon went away before answering (%s)",
			     reply_gone_hint);
	if (ret == -EBADMSG)
		return ubr_client_error(UBR_EXIT_FAIL, "bad reply from the daemon: %s",
			     err);
	return ubr_client_error(UBR_EXIT_FAIL, "reading the daemon's reply: %s",
		     strerror(-ret));
}

/* Print the daemon's output as it comes; its last frame is the status. */
static int relay(int sock)
{
	struct ubr_admin_frame *f = malloc(sizeof(*f));
	char err[256];
	int ret, status = -1;

	if (!f)
		return ubr_client_error(UBR_EXIT_FAIL, "out of memory");
	while (status < 0) {
		ret = ubr_admin_recv_frame(sock, f, err, sizeof(err));
		if (ret <= 0) {
			status = reply_lost(ret, err);
			break;
		}
		if (f->type == UBR_ADMIN_STDOUT)
			write_all(stdout, f->text, f->len);
		else if (f->type == UBR_ADMIN_STDERR)
			write_all(stderr, f->text, f->len);
		else
			status = f->count > 255 ? UBR_EXIT_FAIL : (int)f->count;
	}
	free(f);
	return status;
}

static int request(int sock, int argc, char **argv, const int *fds,
		   unsigned nfds)
{
	int ret = ubr_admin_send_req(sock, argc, argv, fds, nfds);

	if (ret == -E2BIG)
		ret = ubr_client_error(UBR_EXIT_USAGE, "command line too long");
	else if (ret < 0)
		ret = ubr_client_error(UBR_EXIT_FAIL, "cannot send the request: %s",
			    strerror(-ret));
	else
		ret = relay(sock);
	close(sock);
	return ret;
}

/* --- add ---------------------------------------------------------------- */

/* Send the words, FILE words as the paths opened, and the descriptors. */
static int add_request(const struct ubr_dev_opts *o)
{
	char **words = calloc(o->nr_words, sizeof(*words));
	unsigned i;
	int sock, status;

	if (!words)
		return ubr_client_error(UBR_EXIT_FAIL, "out of memory");
	for (i = 0; i < o->nr_words; i++)
		words[i] = (char *)ubr_dev_opts_word(o, i);
	sock = daemon_connect(IF_NONE_START, false, &status);
	status = sock < 0 ? status : request(sock, (int)o->nr_words, words,
					     o->fds, o->nr_files);
	free(words);
	return status;
}

static int client_add(int argc, char **argv)
{
	struct ubr_dev_opts o;
	char err[256];
	int ret;

	ret = ubr_parse_add(argc, argv, &o, err, sizeof(err));
	if (ret < 0)
		return ubr_client_error(ret == -EINVAL ? UBR_EXIT_USAGE : UBR_EXIT_FAIL,
			     "%s", err);
	/* The daemon runs elsewhere (cwd "/"): its words have absolute paths. */
	ret = ubr_backing_open_all(&o, true, err, sizeof(err));
	if (ret) {
		ret = ubr_client_error(UBR_EXIT_FAIL, "%s", err);
		goto out;
	}
	ret = add_request(&o);
out:
	ubr_dev_opts_release(&o);
	return ret;
}

/* --- recover and stop ---------------------------------------------------- */

/* recover starts a daemon if none runs: it is how one comes back. */
static int client_recover(int argc, char **argv)
{
	int sock, status;

	sock = daemon_connect(IF_NONE_START_NOTELESS, false, &status);
	if (sock < 0)
		return status;
	return request(sock, argc, argv, NULL, 0);
}

#define STOP_WAIT_MS 120000

/* stop returns once the daemon is gone, so that a new one can start. */
static int client_stop(int argc, char **argv)
{
	long long deadline;
	int sock, status, pid;

	sock = daemon_connect(IF_NONE_FAIL, false, &status);
	if (sock < 0)
		return status;
	status = request(sock, argc, argv, NULL, 0);
	if (status)
		return status;
	deadline = ubr_mono_ms() + STOP_WAIT_MS;
	while ((pid = daemon_probe(NULL)) && ubr_mono_ms() < deadline)
		sleep_ms(RETRY_MS);
	if (pid)
		return ubr_client_error(UBR_EXIT_FAIL, "the daemon is still stopping after %d s",
			     STOP_WAIT_MS / 1000);
	return UBR_EXIT_OK;
}

/* --- del ---------------------------------------------------------------- */

#define DEL_WAIT_S 120

/*
 * del answers once its devices are gone. A device the kernel does not let
 * go must not hang the caller for ever: wait DEL_WAIT_S for the answer.
 * A reply not there within secs is -EAGAIN, which request() reports.
 */
static int bound_reply_wait(int sock, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return ubr_client_error(UBR_EXIT_FAIL, "cannot bound the wait: %s",
			     strerror(errno));
	reply_wait_s = secs;
	return 0;
}

/* --- upgrade ------------------------------------------------------------ */

/* The new daemon answers once every device serves again. */
#define UPGRADE_WAIT_S 300

/* upgrade [--binary PATH]: *binary is PATH, or NULL. */
static int parse_upgrade(int argc, char **argv, const char **binary,
			 char *err, size_t errlen)
{
	int i;

	*binary = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc && argv[i + 1][0])
			*binary = argv[++i];
		else if (!strncmp(argv[i], "--binary=", 9) && argv[i][9])
			*binary = argv[i] + 9;
		else if (!strcmp(argv[i], "--binary") || !strcmp(argv[i], "--binary="))
			return ubr_errf(-EINVAL, err, errlen, "--binary needs a PATH");
		else
			return ubr_errf(-EINVAL, err, errlen,
					"unknown argument '%.64s' for upgrade",
					argv[i]);
	}
	return 0;
}

/* Does PATH start at all? Its --version, run here, must exit 0. */
static bool binary_runs(const char *path)
{
	char *argv[] = { "ublk-reactor", "--version", NULL };
	int status, null;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(path, argv); /* not execl: its varargs copy is 0.3 KiB static */
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* By default the binary this command runs from: the one just installed. */
static int client_upgrade(int argc, char **argv)
{
	char path[PATH_MAX], err[160], *words[2] = { "upgrade", path }, *abs;
	const char *binary;
	int sock, status;

	parse_upgrade(argc, argv, &binary, err, sizeof(err)); /* checked */
	abs = ubr_realpath(binary ? binary : "/proc/self/exe");
	if (!abs)
		return ubr_client_error(UBR_EXIT_FAIL, "upgrade: %s: %s: nothing changed",
					binary ? binary : "this binary",
					strerror(errno));
	snprintf(path, sizeof(path), "%s", abs); /* both at most PATH_MAX */
	free(abs);
	if (!binary_runs(path))
		return ubr_client_error(UBR_EXIT_FAIL, "upgrade: %s does not run (its --version failed): nothing changed",
					path);
	sock = daemon_connect(IF_NONE_FAIL, false, &status);
	if (sock < 0)
		return status;
	reply_wait_what = "the upgrade goes on";
	reply_gone_hint = "the new binary did not start: ublk-reactor recover takes the devices back; see the log";
	status = bound_reply_wait(sock, UPGRADE_WAIT_S);
	if (status) {
		close(sock);
		return status;
	}
	return request(sock, 2, words, NULL, 0);
}

/* --- features without a daemon ------------------------------------------- */

static int features_local(void)
{
	struct ubr_reactor *r = calloc(1, sizeof(*r));
	char msg[256];
	int ret;

	if (!r)
		return ubr_client_error(UBR_EXIT_FAIL, "out of memory");
	/* A tiny ring: only GET_FEATURES goes through it. */
	ret = ubr_devices_init(r, 4);
	if (ret < 0) {
		free(r);
		ubr_reactor_init_strerror(ret, msg, sizeof(msg));
		return ubr_client_error(UBR_EXIT_FAIL, "%s", msg);
	}
	ubr_features_print(stdout, r->features_known, r->features,
			   ubr_features_used(r));
	ubr_devices_deinit(r);
	free(r);
	return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
}

static int client_features(int argc, char **argv)
{
	int sock, status;

	sock = daemon_connect(IF_NONE_FAIL, true, &status);
	if (sock == -ENOENT)
		return features_local();
	if (sock < 0)
		return status;
	return request(sock, argc, argv, NULL, 0);
}

/* --- list and del: the kernel's devices too, with or without a daemon ---- */

static int client_list_del(int argc, char **argv)
{
	int sock, status;
	bool json = false;
	char err[256];

	sock = daemon_connect(IF_NONE_FAIL, true, &status);
	if (sock >= 0) {
		status = strcmp(argv[0], "del") ? 0 :
						  bound_reply_wait(sock, DEL_WAIT_S);
		if (status) {
			close(sock);
			return status;
		}
		return request(sock, argc, argv, NULL, 0);
	}
	if (sock != -ENOENT)
		return status;
	if (!strcmp(argv[0], "list")) {
		/* check_syntax() parsed it already: this cannot fail. */
		ubr_parse_list(argc, argv, &json, err, sizeof(err));
		status = ubr_local_list(json);
	} else {
		status = ubr_local_del(argc, argv);
	}
	return status == -ENOENT ? not_running(&last_conn) : status;
}

/* --- entry --------------------------------------------------------------- */

static int check_syntax(int argc, char **argv)
{
	struct ubr_del_args d;
	struct ubr_stats_args sa;
	char err[256];
	uint64_t size;
	uint32_t id;
	bool json;
	int ret;

	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "recover")) {
		ret = ubr_parse_del(argc, argv, &d, err, sizeof(err));
		ubr_del_args_release(&d);
	} else if (!strcmp(argv[0], "stop")) {
		ret = ubr_parse_stop(argc, argv, &json, err, sizeof(err));
	} else if (!strcmp(argv[0], "list")) {
		ret = ubr_parse_list(argc, argv, &json, err, sizeof(err));
	} else if (!strcmp(argv[0], "stats")) {
		ret = ubr_parse_stats(argc, argv, &sa, err, sizeof(err));
		ubr_stats_args_release(&sa);
	} else if (!strcmp(argv[0], "update-size")) {
		ret = ubr_parse_update_size(argc, argv, &id, &size, err,
					    sizeof(err));
	} else if (!strcmp(argv[0], "quiesce") || !strcmp(argv[0], "resume")) {
		ret = ubr_parse_id_cmd(argc, argv, &id, err, sizeof(err));
	} else if (!strcmp(argv[0], "upgrade")) {
		const char *binary;

		ret = parse_upgrade(argc, argv, &binary, err, sizeof(err));
	} else {
		ret = ubr_parse_no_args(argc, argv, err, sizeof(err));
	}
	if (ret < 0)
		return ubr_client_error(ret == -EINVAL ? UBR_EXIT_USAGE : UBR_EXIT_FAIL,
			     "%s", err);
	return 0;
}

int ubr_client_main(int argc, char **argv)
{
	int ret, sock, status;

	if (!strcmp(argv[0], "add"))
		return client_add(argc, argv);
	ret = check_syntax(argc, argv);
	if (ret)
		return ret;
	if (!strcmp(argv[0], "features"))
		return client_features(argc, argv);
	if (!strcmp(argv[0], "recover"))
		return client_recover(argc, argv);
	if (!strcmp(argv[0], "stop"))
		return client_stop(argc, argv);
	if (!strcmp(argv[0], "upgrade"))
		return client_upgrade(argc, argv);
	if (!strcmp(argv[0], "list") || !strcmp(argv[0], "del"))
		return client_list_del(argc, argv);
	sock = daemon_connect(IF_NONE_FAIL, false, &status);
	if (sock < 0)
		return status;
	return request(sock, argc, argv, NULL, 0);
}
