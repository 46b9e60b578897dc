/* SPDX-License-Identifier: MIT */
/* A scripted ublk driver: see t/fake_kernel.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "ubr_ctrl.h"
#include "ubr_dev.h"
#include "ubr_kernel_ops.h"
#include "ubr_reactor.h"
#include "ubr_user_data.h"

enum fk_kind { FK_CTRL, FK_IO, FK_HELPER };

struct fk_cmd {
	enum fk_kind kind;
	uint32_t op;	/* cmd_op */
	uint32_t dev;	/* the kernel's device id */
	unsigned q, tag;
	uint64_t ud;
	uint64_t data0;
	void *buf;	/* control: cmd.addr */
	char helper[48];
	ubr_child_cb cb;
	void *ctx;
	bool done;
};

/* An open /dev/ublkcN: a memfd, told apart from a reused number by inode. */
struct fk_cdev {
	uint32_t id;
	int fd;
	ino_t ino;
};

/* A queue's descriptor area as mapped for the daemon. */
struct fk_map {
	uint32_t id;
	unsigned q;
	struct ublksrv_io_desc *descs;
};

#define FK_MAX 4096
#define FK_LOG 8192

uint64_t fk_features;
uint32_t fk_next_id;
int fk_open_cdev_err;

static struct fk_cmd cmds[FK_MAX];
static unsigned nr_cmds;
static struct fk_cdev cdevs[256];
static unsigned nr_cdevs;
static struct fk_map maps[256];
static unsigned nr_maps;
static char log_buf[FK_LOG], taken[FK_LOG];
static size_t log_len;

void fk_reset(void)
{
	nr_cmds = nr_cdevs = nr_maps = 0;
	log_len = 0;
	log_buf[0] = '\0';
	fk_next_id = 0;
	fk_open_cdev_err = 0;
}

static void fk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fk_log(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (log_len && log_len < FK_LOG - 1)
		log_buf[log_len++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(log_buf + log_len, FK_LOG - log_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		log_len += (size_t)n;
	if (log_len >= FK_LOG)
		log_len = FK_LOG - 1;
}

static struct fk_cmd *fk_new(enum fk_kind kind)
{
	struct fk_cmd *c;

	if (nr_cmds == FK_MAX) {
		fprintf(stderr, "fake_kernel: more than %u commands\n", FK_MAX);
		abort();
	}
	c = &cmds[nr_cmds++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	return c;
}

/* A completion, through the reactor's dispatch as the loop would. */
static void fk_dispatch(struct ubr_reactor *r, uint64_t ud, int res)
{
	struct io_uring_cqe cqe = { .user_data = ud, .res = res };

	ubr_reactor_dispatch(r, &cqe);
}

/* --- the kernel_ops functions ----------------------------------------- */

int ubr_kernel_open_control(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ubr_kernel_get_features(struct ubr_reactor *r, uint64_t *features)
{
	(void)r;
	*features = fk_features;
	return 0;
}

bool fk_cdev_open(uint32_t id)
{
	struct stat st;
	unsigned i;

	for (i = 0; i < nr_cdevs; i++)
		if (cdevs[i].id == id && fstat(cdevs[i].fd, &st) == 0 &&
		    st.st_ino == cdevs[i].ino)
			return true;
	return false;
}

int ubr_kernel_open_cdev(uint32_t id)
{
	char name[32];
	struct stat st;
	int fd, err = fk_open_cdev_err;

	fk_open_cdev_err = 0;
	if (err)
		return err;
	snprintf(name, sizeof(name), "ublkc%u", id);
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    nr_cdevs == sizeof(cdevs) / sizeof(cdevs[0]))
		return -EMFILE;
	cdevs[nr_cdevs++] = (struct fk_cdev){ .id = id, .fd = fd,
					      .ino = st.st_ino };
	return fd;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/*
 * The /dev/ublkcN a descriptor is, or NULL: the newest one opened on that
 * number whose file it still is (a closed one's number is reused).
 */
static const struct fk_cdev *cdev_of_fd(int fd)
{
	struct stat st;
	unsigned i;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (i = nr_cdevs; i-- > 0;)
		if (cdevs[i].fd == fd && cdevs[i].ino == st.st_ino)
			return &cdevs[i];
	return NULL;
}

void *ubr_kernel_map_descs(int cdev_fd, off_t off, size_t len)
{
	size_t stride = page_round(UBLK_MAX_QUEUE_DEPTH *
				   sizeof(struct ublksrv_io_desc));
	const struct fk_cdev *c = cdev_of_fd(cdev_fd);
	void *p;

	if (!c || nr_maps == sizeof(maps) / sizeof(maps[0])) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return p;
	maps[nr_maps++] = (struct fk_map){
		.id = c->id,
		.q = (unsigned)((size_t)(off - UBLKSRV_CMD_BUF_OFFSET) / stride),
		.descs = p,
	};
	return p;
}

/* Logged "COPY_IN 0:1:3" (the request's data read) or "COPY_OUT 0:1:3". */
int ubr_kernel_user_copy(int cdev_fd, void *buf, size_t len, uint64_t pos,
			 bool to_request)
{
	const struct fk_cdev *c = cdev_of_fd(cdev_fd);
	uint64_t at = pos - UBLKSRV_IO_BUF_OFFSET;

	(void)buf;
	if (!c)
		return -EBADF;
	fk_log("%s %u:%u:%u", to_request ? "COPY_OUT" : "COPY_IN",
	       c->id, (unsigned)(at >> UBLK_QID_OFF),
	       (unsigned)(at >> UBLK_TAG_OFF) & ((1U << UBLK_TAG_BITS) - 1));
	return (int)len;
}

int ubr_kernel_helper(struct ubr_reactor *r, char *const argv[],
		      ubr_child_cb cb, void *ctx)
{
	struct fk_cmd *c = fk_new(FK_HELPER);
	const char *name = argv[1];
	char words[128] = "";
	size_t n = 0;
	unsigned i;

	(void)r;
	if (!strncmp(name, "helper-", 7))
		name += 7;
	snprintf(c->helper, sizeof(c->helper), "%s", name);
	c->dev = (uint32_t)strtoul(argv[2], NULL, 10);
	c->cb = cb;
	c->ctx = ctx;
	for (i = 2; argv[i] && n < sizeof(words); i++)
		n += (size_t)snprintf(words + n, sizeof(words) - n, " %s",
				      argv[i]);
	fk_log("[%s%s]", name, words);
	return 0;
}

/* --- reading the SQ ----------------------------------------------------- */

static const char *io_op_name(uint32_t op)
{
	switch (op) {
	case UBLK_U_IO_FETCH_REQ: return "FETCH";
	case UBLK_U_IO_COMMIT_AND_FETCH_REQ: return "COMMIT";
	case UBLK_U_IO_NEED_GET_DATA: return "GET_DATA";
	case UBLK_U_IO_REGISTER_IO_BUF: return "REG";
	case UBLK_U_IO_UNREGISTER_IO_BUF: return "UNREG";
	}
	return "IO?";
}

static void take_ctrl(struct ubr_reactor *r, const struct io_uring_sqe *sqe)
{
	const struct ublksrv_ctrl_cmd *cmd = (const void *)sqe->cmd;
	struct fk_cmd *c = fk_new(FK_CTRL);

	c->op = sqe->cmd_op;
	c->dev = cmd->dev_id;
	c->ud = sqe->user_data;
	c->data0 = cmd->data[0];
	c->buf = (void *)(uintptr_t)cmd->addr;
	if (c->dev == UBR_DEV_ID_ANY)
		fk_log("%s any", ubr_ctrl_op_name(c->op));
	else
		fk_log("%s %u", ubr_ctrl_op_name(c->op), c->dev);
	if (sqe->fd != r->ctrl_fd || (sqe->flags & IOSQE_FIXED_FILE))
		fk_log("(not on /dev/ublk-control)");
	if ((c->op == UBLK_U_CMD_DEL_DEV || c->op == UBLK_U_CMD_DEL_DEV_ASYNC) &&
	    fk_cdev_open(c->dev))
		fk_log("(ublkc%u open)", c->dev);
}

static void take_io(struct ubr_reactor *r, const struct io_uring_sqe *sqe)
{
	const struct ublksrv_io_cmd *cmd = (const void *)sqe->cmd;
	struct ubr_ud d = ubr_ud_decode(sqe->user_data);
	struct ubr_dev *dev = ubr_dev_at(r, d.dev);
	struct fk_cmd *c = fk_new(FK_IO);

	c->op = sqe->cmd_op;
	c->dev = dev ? dev->id : (uint32_t)-1;
	c->q = cmd->q_id;
	c->tag = cmd->tag;
	c->ud = sqe->user_data;
	if (c->op == UBLK_U_IO_COMMIT_AND_FETCH_REQ)
		fk_log("COMMIT %u:%u:%u=%d", c->dev, c->q, c->tag, cmd->result);
	else
		fk_log("%s %u:%u:%u", io_op_name(c->op), c->dev, c->q, c->tag);
	if (d.queue != c->q || d.tag != c->tag)
		fk_log("(user_data names %u:%u)", d.queue, d.tag);
	/* A fetch that lets the kernel fall back (zero copy's AUTO_BUF_REG). */
	if (d.kind == UBR_UD_IO_CMD &&
	    ((sqe->addr >> 16) & UBLK_AUTO_BUF_REG_FALLBACK))
		fk_log("(fallback)");
	/* Its success posts no CQE (IOSQE_CQE_SKIP_SUCCESS): nothing to answer. */
	if (c->op == UBLK_U_IO_UNREGISTER_IO_BUF)
		c->done = (sqe->flags & IOSQE_CQE_SKIP_SUCCESS) != 0;
}

/* A user copy on the ring: answered by the test (ubr_reactor_dispatch()). */
static void take_copy(struct ubr_reactor *r, const struct io_uring_sqe *sqe)
{
	struct ubr_ud d = ubr_ud_decode(sqe->user_data);
	struct ubr_dev *dev = ubr_dev_at(r, d.dev);

	fk_log("%s %u:%u:%u (ring)", d.data ? "COPY_OUT" : "COPY_IN",
	       dev ? dev->id : (uint32_t)-1, d.queue, d.tag);
}

void fk_collect(struct ubr_reactor *r)
{
	struct io_uring_sq *sq = &r->ring.sq;
	unsigned shift = r->ring.flags & IORING_SETUP_SQE128 ? 1 : 0;
	struct io_uring_sqe *sqe;
	unsigned i;

	for (i = sq->sqe_head; i != sq->sqe_tail; i++) {
		sqe = &sq->sqes[(i & sq->ring_mask) << shift];
		switch (ubr_ud_kind_of(sqe->user_data)) {
		case UBR_UD_CTRL: take_ctrl(r, sqe); break;
		case UBR_UD_IO_CMD:
		case UBR_UD_BUF: take_io(r, sqe); break;
		case UBR_UD_COPY: take_copy(r, sqe); break;
		default: fk_log("SQE?%u", (unsigned)sqe->opcode);
		}
		/* The kernel sees a no-op in its place. */
		memset(sqe, 0, sizeof(*sqe));
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, ubr_ud_encode(UBR_UD_IGNORE, 0, 0,
							   0, 0));
	}
	if (sq->sqe_head != sq->sqe_tail)
		io_uring_submit(&r->ring);
	io_uring_cq_advance(&r->ring, io_uring_cq_ready(&r->ring));
}

const char *fk_take(struct ubr_reactor *r)
{
	fk_collect(r);
	memcpy(taken, log_buf, log_len + 1);
	log_len = 0;
	log_buf[0] = '\0';
	return taken;
}

/* --- answers ------------------------------------------------------------ */

static bool cmd_is(const struct fk_cmd *c, const char *name, uint32_t dev)
{
	if (c->done || c->dev != dev)
		return false;
	if (c->kind == FK_CTRL)
		return !strcmp(ubr_ctrl_op_name(c->op), name);
	return c->kind == FK_HELPER && !strcmp(c->helper, name);
}

static struct fk_cmd *find(const char *name, uint32_t dev)
{
	unsigned i;

	for (i = 0; i < nr_cmds; i++)
		if (cmd_is(&cmds[i], name, dev))
			return &cmds[i];
	return NULL;
}

int fk_complete_buf(struct ubr_reactor *r, const char *name, uint32_t dev,
		    int res, const void *buf, size_t len)
{
	struct fk_cmd *c;

	fk_collect(r);
	c = find(name, dev);
	if (!c)
		return -ENOENT;
	c->done = true;
	if (c->kind == FK_HELPER) {
		c->cb(c->ctx, res);
	} else {
		if (buf && c->buf)
			memcpy(c->buf, buf, len);
		if (c->op == UBLK_U_CMD_ADD_DEV && res >= 0) {
			struct ublksrv_ctrl_dev_info *info = c->buf;

			if (info->dev_id == UBR_DEV_ID_ANY)
				info->dev_id = fk_next_id++;
		}
		fk_dispatch(r, c->ud, res);
	}
	fk_collect(r);
	return 0;
}

int fk_complete(struct ubr_reactor *r, const char *name, uint32_t dev, int res)
{
	return fk_complete_buf(r, name, dev, res, NULL, 0);
}

int fk_complete_state(struct ubr_reactor *r, uint32_t dev, unsigned state)
{
	struct fk_cmd *c;

	fk_collect(r);
	c = find("GET_DEV_INFO", dev);
	if (!c)
		return -ENOENT;
	((struct ublksrv_ctrl_dev_info *)c->buf)->state = (uint16_t)state;
	return fk_complete(r, "GET_DEV_INFO", dev, 0);
}

bool fk_waiting(struct ubr_reactor *r, const char *name, uint32_t dev)
{
	fk_collect(r);
	return find(name, dev) != NULL;
}

static struct fk_cmd *newest_ctrl(const char *name, uint32_t dev)
{
	unsigned i;

	for (i = nr_cmds; i-- > 0;)
		if (cmds[i].kind == FK_CTRL && cmds[i].dev == dev &&
		    !strcmp(ubr_ctrl_op_name(cmds[i].op), name))
			return &cmds[i];
	return NULL;
}

int64_t fk_data0(const char *name, uint32_t dev)
{
	struct fk_cmd *c = newest_ctrl(name, dev);

	return c ? (int64_t)c->data0 : -1;
}

const void *fk_buf(const char *name, uint32_t dev)
{
	struct fk_cmd *c = newest_ctrl(name, dev);

	return c ? c->buf : NULL;
}

unsigned fk_io_pending(uint32_t dev)
{
	unsigned i, n = 0;

	for (i = 0; i < nr_cmds; i++)
		n += cmds[i].kind == FK_IO && !cmds[i].done &&
		     cmds[i].dev == dev;
	return n;
}

unsigned fk_abort_io(struct ubr_reactor *r, uint32_t dev)
{
	unsigned i, n = 0;

	fk_collect(r);
	for (i = 0; i < nr_cmds; i++) {
		if (cmds[i].kind != FK_IO || cmds[i].done || cmds[i].dev != dev)
			continue;
		cmds[i].done = true;
		fk_dispatch(r, cmds[i].ud, UBLK_IO_RES_ABORT);
		n++;
	}
	fk_collect(r);
	return n;
}

static struct ublksrv_io_desc *desc_of(uint32_t dev, unsigned q,
				       unsigned tag)
{
	unsigned i;

	for (i = nr_maps; i-- > 0;)
		if (maps[i].id == dev && maps[i].q == q)
			return &maps[i].descs[tag];
	return NULL;
}

int fk_request(struct ubr_reactor *r, uint32_t dev, unsigned q, unsigned tag,
	       unsigned op, unsigned sectors)
{
	struct ublksrv_io_desc *iod = desc_of(dev, q, tag);
	unsigned i;

	fk_collect(r);
	for (i = 0; i < nr_cmds; i++) {
		struct fk_cmd *c = &cmds[i];

		if (c->kind != FK_IO || c->done || c->dev != dev ||
		    c->q != q || c->tag != tag || !iod)
			continue;
		c->done = true;
		memset(iod, 0, sizeof(*iod));
		iod->op_flags = op;
		iod->nr_sectors = sectors;
		fk_dispatch(r, c->ud, UBLK_IO_RES_OK);
		fk_collect(r);
		return 0;
	}
	return -ENOENT;
}

int fk_complete_reg(struct ubr_reactor *r, uint32_t dev, unsigned q,
		    unsigned tag, int res)
{
	unsigned i;

	fk_collect(r);
	for (i = 0; i < nr_cmds; i++) {
		struct fk_cmd *c = &cmds[i];

		if (c->kind != FK_IO || c->done || c->dev != dev ||
		    c->q != q || c->tag != tag ||
		    c->op != UBLK_U_IO_REGISTER_IO_BUF)
			continue;
		c->done = true;
		fk_dispatch(r, c->ud, res);
		fk_collect(r);
		return 0;
	}
	return -ENOENT;
}

/* --- time --------------------------------------------------------------- */

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

bool fk_wait(struct ubr_reactor *r, double max_s, bool (*done)(void *arg),
	     void *arg)
{
	ev_timer tick;
	double end;

	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	ev_timer_start(r->loop, &tick);
	ev_now_update(r->loop);
	end = ev_now(r->loop) + max_s;
	while (!done(arg) && ev_now(r->loop) < end) {
		ev_run(r->loop, EVRUN_ONCE);
		fk_collect(r);
	}
	ev_timer_stop(r->loop, &tick);
	return done(arg);
}
