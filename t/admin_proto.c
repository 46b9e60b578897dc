/* SPDX-License-Identifier: MIT */
/*
 * The admin socket's wire format: round trips, descriptor passing, and
 * every malformed message the daemon must refuse without leaking the
 * descriptors that came with it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "open_fds.h"
#include "tap.h"
#include "ubr_cli.h"
#include "ubr_fd_pass.h"

#define HDR sizeof(struct ubr_admin_hdr)

static char err[256];

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

/* --- pure encoding ------------------------------------------------------- */

static void test_round_trip(void)
{
	char *argv[] = { "add", "null", "", "--size=1G", "\xc3\xa9t\xc3\xa9", NULL };
	struct ubr_admin_req req;
	char buf[1024];
	ssize_t n = ubr_admin_encode_req(5, argv, buf, sizeof(buf));
	int i, same = 1;

	ok(n > (ssize_t)HDR, "request encoded (%zd bytes)", n);
	is_int(ubr_admin_decode_req(buf, (size_t)n, &req, err, sizeof(err)), 0,
	       "and decoded");
	is_int(req.argc, 5, "five words");
	for (i = 0; i < 5; i++)
		same &= !strcmp(req.argv[i], argv[i]);
	ok(same && req.argv[5] == NULL, "words unchanged, argv NULL-ended");
}

static void test_encode_limits(void)
{
	char *many[UBR_ADMIN_MAX_ARGS + 1];
	char *big[2] = { "add", NULL };
	char buf[256];
	int i;

	for (i = 0; i <= UBR_ADMIN_MAX_ARGS; i++)
		many[i] = "x";
	is_int(ubr_admin_encode_req(UBR_ADMIN_MAX_ARGS + 1, many, buf,
				    sizeof(buf)),
	       -E2BIG, "too many words refused");
	is_int(ubr_admin_encode_req(0, many, buf, sizeof(buf)), -E2BIG,
	       "no words refused");
	big[1] = malloc(UBR_ADMIN_MAX_MSG);
	memset(big[1], 'a', UBR_ADMIN_MAX_MSG - 1);
	big[1][UBR_ADMIN_MAX_MSG - 1] = '\0';
	is_int(ubr_admin_encode_req(2, big, buf, sizeof(buf)), -E2BIG,
	       "longer than the buffer refused");
	free(big[1]);
}

/* Decode a message made by hand: expect -EBADMSG and `want` in the text. */
static void decode_bad(char *buf, size_t len, const char *want,
		       const char *what)
{
	struct ubr_admin_req req;
	int ret = ubr_admin_decode_req(buf, len, &req, err, sizeof(err));

	ok(ret == -EBADMSG && strstr(err, want), "%s: %s", what, err);
}

static size_t make(char *buf, uint32_t magic, uint16_t version, uint16_t type,
		   uint32_t count, const char *payload, size_t plen)
{
	struct ubr_admin_hdr h = { magic, version, type, count,
				   (uint32_t)plen };

	memcpy(buf, &h, HDR);
	memcpy(buf + HDR, payload, plen);
	return HDR + plen;
}

static void test_decode_malformed(void)
{
	char buf[256];
	size_t n;

	decode_bad(buf, 3, "too short", "3-byte message");
	n = make(buf, 0xdeadbeef, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1,
		 "list", 5);
	decode_bad(buf, n, "bad magic", "wrong magic");
	n = make(buf, UBR_ADMIN_MAGIC, 99, UBR_ADMIN_REQUEST, 1, "list", 5);
	decode_bad(buf, n, "protocol version 99", "wrong version");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_EXIT, 1,
		 "list", 5);
	decode_bad(buf, n, "not a request", "a reply frame as a request");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1,
		 "list", 5);
	decode_bad(buf, n - 1, "length field", "length field too big");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 0,
		 "", 0);
	decode_bad(buf, n, "0 words", "no words");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST,
		 1000, "list", 5);
	decode_bad(buf, n, "1000 words", "too many words");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1,
		 "list", 4);
	decode_bad(buf, n, "not NUL-terminated", "word without NUL");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 2,
		 "list", 5);
	decode_bad(buf, n, "word 1 is not NUL-terminated", "fewer words");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1,
		 "del\0" "1", 6);
	decode_bad(buf, n, "after the last word", "more words than counted");
}

/* --- over a socket ------------------------------------------------------- */

static void test_fd_passing(void)
{
	char *argv[] = { "add", "loop", "/a", NULL };
	struct ubr_admin_req req;
	int sv[2], p[2], before;
	char c = 0;

	pair(sv);
	if (pipe(p) < 0)
		exit(1);
	before = open_fds();
	is_int(ubr_admin_send_req(sv[0], 3, argv, &p[1], 1), 0,
	       "request sent with a descriptor");
	is_int(ubr_admin_recv_req(sv[1], &req, err, sizeof(err)), 1,
	       "and received");
	ok(req.argc == 3 && !strcmp(req.argv[2], "/a"), "words arrived");
	is_int(req.nfds, 1, "one descriptor arrived");
	ok(req.nfds == 1 && write(req.fds[0], "z", 1) == 1 &&
		   read(p[0], &c, 1) == 1 && c == 'z',
	   "it is the same pipe");
	ok(req.nfds == 1 && (fcntl(req.fds[0], F_GETFD) & FD_CLOEXEC),
	   "received close-on-exec");
	ubr_admin_req_release(&req);
	is_int(open_fds(), before, "release closes it");
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Send raw bytes with `nfds` copies of fd 0 attached. */
static void send_raw(int sock, const void *buf, size_t len, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[32] = { 0 };

	if (nfds)
		ubr_fds_attach(&msg, cbuf.buf, fds, nfds);
	if (sendmsg(sock, &msg, 0) < 0)
		perror("sendmsg");
}

/* The daemon's view: refused with `want`, and no descriptor left open. */
static void recv_bad(const void *buf, size_t len, unsigned nfds,
		     const char *want, const char *what)
{
	struct ubr_admin_req req;
	int sv[2], before, ret;

	pair(sv);
	before = open_fds();
	send_raw(sv[0], buf, len, nfds);
	ret = ubr_admin_recv_req(sv[1], &req, err, sizeof(err));
	ok(ret == -EBADMSG && strstr(err, want), "%s: %s", what, err);
	is_int(open_fds(), before, "no descriptor leaked");
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_malformed(void)
{
	char *big = calloc(1, UBR_ADMIN_MAX_MSG + 100);
	char buf[256];
	char *argv[] = { "list", NULL };
	size_t n;

	n = (size_t)ubr_admin_encode_req(1, argv, buf, sizeof(buf));
	recv_bad(buf, n, UBR_ADMIN_MAX_FDS + 1, "descriptors",
		 "one descriptor too many");
	recv_bad(buf, n, 30, "descriptors", "far too many descriptors");
	recv_bad(big, UBR_ADMIN_MAX_MSG + 100, 2, "longer than",
		 "truncated message");
	n = make(buf, 0x1, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1, "list", 5);
	recv_bad(buf, n, 3, "bad magic", "bad magic with descriptors");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, UBR_ADMIN_REQUEST, 1,
		 "list", 4);
	recv_bad(buf, n, 1, "NUL", "unterminated word with a descriptor");
	free(big);
}

static void test_recv_eof_again(void)
{
	struct ubr_admin_req req;
	int sv[2];

	pair(sv);
	is_int(ubr_admin_recv_req(sv[1], &req, err, sizeof(err)), -EAGAIN,
	       "nothing to read: -EAGAIN");
	close(sv[0]);
	is_int(ubr_admin_recv_req(sv[1], &req, err, sizeof(err)), 0,
	       "peer closed: 0");
	close(sv[1]);
}

static void test_frames(void)
{
	struct ubr_admin_frame *f = malloc(sizeof(*f));
	char buf[HDR + UBR_ADMIN_MAX_TEXT];
	ssize_t n;
	int sv[2];

	pair(sv);
	n = ubr_admin_encode_frame(UBR_ADMIN_STDOUT, 0, "/dev/ublkb0\n", 12,
				   buf, sizeof(buf));
	send_raw(sv[1], buf, (size_t)n, 0);
	n = ubr_admin_encode_frame(UBR_ADMIN_EXIT, 2, NULL, 0, buf, sizeof(buf));
	send_raw(sv[1], buf, (size_t)n, 0);
	is_int(ubr_admin_recv_frame(sv[0], f, err, sizeof(err)), 1,
	       "stdout frame");
	ok(f->type == UBR_ADMIN_STDOUT && !strcmp(f->text, "/dev/ublkb0\n"),
	   "text arrives NUL-terminated");
	is_int(ubr_admin_recv_frame(sv[0], f, err, sizeof(err)), 1,
	       "exit frame");
	ok(f->type == UBR_ADMIN_EXIT && f->count == 2, "status 2");
	is_int(ubr_admin_encode_frame(UBR_ADMIN_STDERR, 0, buf,
				      UBR_ADMIN_MAX_TEXT + 1, buf,
				      sizeof(buf)),
	       -E2BIG, "oversized frame refused");
	n = make(buf, UBR_ADMIN_MAGIC, UBR_ADMIN_VERSION, 77, 0, "", 0);
	send_raw(sv[1], buf, (size_t)n, 0);
	is_int(ubr_admin_recv_frame(sv[0], f, err, sizeof(err)), -EBADMSG,
	       "unknown frame type refused");
	close(sv[1]);
	is_int(ubr_admin_recv_frame(sv[0], f, err, sizeof(err)), 0,
	       "daemon gone: 0");
	close(sv[0]);
	free(f);
}

static void test_run_path(void)
{
	char path[108], *longdir = malloc(200);

	setenv("UBLK_REACTOR_RUNDIR", "/tmp/ubr-test", 1);
	is_int(ubr_run_path(UBR_SOCK_NAME, path, sizeof(path)), 0, "run path");
	is_str(path, "/tmp/ubr-test/ublk-reactor.sock", "from the environment");
	memset(longdir, 'd', 199);
	longdir[0] = '/';
	longdir[199] = '\0';
	setenv("UBLK_REACTOR_RUNDIR", longdir, 1);
	is_int(ubr_run_path(UBR_SOCK_NAME, path, sizeof(path)), -ENAMETOOLONG,
	       "too long for a socket address");
	unsetenv("UBLK_REACTOR_RUNDIR");
	ubr_run_path(UBR_SOCK_NAME, path, sizeof(path));
	is_str(path, "/run/ublk-reactor/ublk-reactor.sock", "default");
	free(longdir);
}

int main(void)
{
	test_round_trip();
	test_encode_limits();
	test_decode_malformed();
	test_fd_passing();
	test_recv_malformed();
	test_recv_eof_again();
	test_frames();
	test_run_path();
	return done_testing();
}
