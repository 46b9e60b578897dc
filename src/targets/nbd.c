/* SPDX-License-Identifier: MIT */
/*
 * nbd: a device served by an NBD server, given by its URI.
 *
 * Who connects: the client, with the caller's rights (nbd_connect.c), like
 * the files loop opens; the daemon gets the connected socket. The daemon
 * runs the handshake on that socket from the loop, as a reconnect's
 * (nbd_reconnect.c): init returns at once, and the device waits, in the
 * table, until the server has answered or the deadline has passed. A
 * stalled server then costs the other devices nothing. A lost connection
 * is made again by the daemon, off the loop too.
 *
 * --connections N: once the first handshake is done, the daemon makes
 * connections 2..N as it makes a reconnect (nbd_reconnect.c), and the
 * init ends when all are up, or fails naming the one that could not be
 * made. How many, and which queue goes on which: nbd_conns.h.
 *
 * `recover` (and the config file) connect as root, to the recorded URI,
 * in a helper process of the daemon (src/device/backing_connect.c); the
 * handshake then runs here as for an add, and the export must fit the
 * kernel's device as after a reconnect.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbd.h"
#include "nbd_retry.h"
#include "targets.h"
#include "ubr_log.h"
#include "ubr_util.h"

/* How long a server may take over the whole handshake. */
#define HANDSHAKE_TIMEOUT_MS 10000

/* --- options -------------------------------------------------------------- */

static struct ubr_nbd_opts *nbd_opts_of(struct ubr_tgt_args *a)
{
	return a->priv;
}

static int set_connections(struct ubr_tgt_args *a, const char *val)
{
	uint64_t n;
	int ret;

	ret = ubr_tgt_number(a, "--connections", val, 1,
			     UBR_NBD_MAX_CONNECTIONS, &n);
	if (ret < 0)
		return ret;
	nbd_opts_of(a)->connections = (unsigned)n;
	return 0;
}

static int set_reconnect_timeout(struct ubr_tgt_args *a, const char *val)
{
	uint64_t n;
	int ret;

	ret = ubr_tgt_number(a, "--reconnect-timeout", val, 1,
			     UBR_NBD_RECONNECT_TIMEOUT_MAX, &n);
	if (ret < 0)
		return ret;
	nbd_opts_of(a)->reconnect_timeout = (unsigned)n;
	return 0;
}

/* A bad URI is bad input: say so while parsing, not after connecting. */
static int nbd_opts_finish(struct ubr_tgt_args *a)
{
	struct ubr_nbd_uri u;
	char why[256];

	if (a->o->nr_files != 1 || !a->o->paths[0])
		return 0; /* the FILE count check says it */
	if (ubr_nbd_uri_parse(a->o->paths[0], &u, why, sizeof(why)) < 0)
		return ubr_tgt_say(a, "%s", why);
	return 0;
}

/* What the recovery record keeps of the options, and reload compares. */
static const struct ubr_tgt_field nbd_fields[] = {
	UBR_TGT_FIELD(UINT, struct ubr_nbd_opts, connections, "connections"),
	UBR_TGT_FIELD(UINT, struct ubr_nbd_opts, reconnect_timeout,
		      "reconnect-timeout"),
	{ .key = NULL },
};

static const struct ubr_tgt_opt nbd_opt_table[] = {
	{ "connections", 0, "N",
	  "connections to the server, 1 to 16 (one per queue\nif it advertises multi-conn, else 1)",
	  set_connections },
	{ "reconnect-timeout", 0, "SECONDS",
	  "a lost connection's held I/O fails with EIO after\nthis long (30)",
	  set_reconnect_timeout },
	{ .name = NULL },
};

/* --- the device ----------------------------------------------------------- */

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

static unsigned shift_of(uint32_t v)
{
	unsigned s = 0;

	while ((1U << s) < v)
		s++;
	return s;
}

/* The export's size and flags and the server's block sizes as params. */
static int nbd_params(struct ubr_dev *dev, struct ubr_nbd *nb)
{
	const struct ubr_nbd_export_info *in = &nb->info;
	struct ublk_param_basic *b = &dev->params.basic;
	struct ublk_param_discard *d = &dev->params.discard;
	uint32_t lbs = dev->opts.logical_bs, pbs, max_io;
	uint64_t size = in->size;

	if (in->min_block > lbs)
		lbs = in->min_block;
	if (lbs > 4096) {
		ubr_dev_set_err(dev, "the server's minimum block size %u is over 4096",
				in->min_block);
		return -EINVAL;
	}
	if (dev->opts.size) {
		if (dev->opts.size > size) {
			ubr_dev_set_err(dev, "--size %llu is larger than the export (%llu bytes)",
					(unsigned long long)dev->opts.size,
					(unsigned long long)size);
			return -EINVAL;
		}
		size = dev->opts.size;
	}
	size -= size % lbs;
	if (!size) {
		ubr_dev_set_err(dev, "the export is smaller than one block");
		return -EINVAL;
	}
	/* The preferred size as the physical block, within what ublk takes
	 * (a page). */
	pbs = in->pref_block > lbs ? pow2_floor(in->pref_block) : lbs;
	if (pbs > 4096)
		pbs = 4096;
	max_io = dev->opts.max_io_bytes;
	if (in->max_block < max_io)
		max_io = in->max_block - in->max_block % lbs;
	if (max_io < lbs) {
		ubr_dev_set_err(dev, "the server's maximum block size %u is below the block size",
				in->max_block);
		return -EINVAL;
	}
	dev->params.types = UBLK_PARAM_TYPE_BASIC;
	b->attrs = 0;
	if (dev->opts.read_only || (in->flags & UBR_NBD_FLAG_READ_ONLY))
		b->attrs |= UBLK_ATTR_READ_ONLY;
	if (in->flags & UBR_NBD_FLAG_SEND_FLUSH)
		b->attrs |= UBLK_ATTR_VOLATILE_CACHE;
	if (in->flags & UBR_NBD_FLAG_SEND_FUA)
		b->attrs |= UBLK_ATTR_FUA;
	if (in->flags & UBR_NBD_FLAG_ROTATIONAL)
		b->attrs |= UBLK_ATTR_ROTATIONAL;
	b->logical_bs_shift = (uint8_t)shift_of(lbs);
	b->physical_bs_shift = (uint8_t)shift_of(pbs);
	b->io_min_shift = (uint8_t)shift_of(pbs);
	b->io_opt_shift = (uint8_t)shift_of(pbs);
	b->max_sectors = max_io >> 9;
	b->dev_sectors = size >> 9;
	if (!(b->attrs & UBLK_ATTR_READ_ONLY) &&
	    (in->flags & (UBR_NBD_FLAG_SEND_TRIM |
			  UBR_NBD_FLAG_SEND_WRITE_ZEROES))) {
		/* An NBD length is 32 bits: whole blocks below 4 GiB. */
		uint32_t max = (UINT32_MAX >> 9) & ~(lbs / 512 - 1);

		dev->params.types |= UBLK_PARAM_TYPE_DISCARD;
		d->discard_granularity = pbs;
		d->max_discard_segments = 1;
		if (in->flags & UBR_NBD_FLAG_SEND_TRIM)
			d->max_discard_sectors = max;
		if (in->flags & UBR_NBD_FLAG_SEND_WRITE_ZEROES)
			d->max_write_zeroes_sectors = max;
	}
	return 0;
}

/*
 * A recovery: the device keeps the kernel's params, and the export must
 * serve them as a reconnect's must (a smaller export would lose the end
 * of the disk). Refused, the device waits for another recover.
 */
static int recover_params(struct ubr_dev *dev, struct ubr_nbd *nb)
{
	char why[128];
	int ret;

	ret = ubr_nbd_export_fits(dev->recover_params, &nb->info, why,
				  sizeof(why));
	if (ret < 0) {
		ubr_dev_set_err(dev, "%s: %s", dev->opts.paths[0], why);
		return ret;
	}
	dev->params = *dev->recover_params;
	return 0;
}

static const char *const state_names[] = {
	[UBR_NBD_UP] = "connected",
	[UBR_NBD_DOWN] = "reconnecting",
	[UBR_NBD_FAILED] = "failed, reconnecting",
};

/* The connections' state: as one's, or "4 connections, connected", or
 * "3 of 4 connections up, 1 reconnecting, 0 failed". */
static void conns_text(const struct ubr_nbd *nb, char *buf, size_t len)
{
	unsigned k, nr[3] = { 0, 0, 0 };

	for (k = 0; k < nb->nr_conns; k++)
		nr[nb->conns[k]->state]++;
	if (nb->nr_conns == 1)
		snprintf(buf, len, "%s", state_names[nb->conns[0]->state]);
	else if (nr[UBR_NBD_UP] == nb->nr_conns)
		snprintf(buf, len, "%u connections, connected", nb->nr_conns);
	else
		snprintf(buf, len, "%u of %u connections up, %u reconnecting, %u failed",
			 nr[UBR_NBD_UP], nb->nr_conns, nr[UBR_NBD_DOWN],
			 nr[UBR_NBD_FAILED]);
}

int ubr_nbd_desc(struct ubr_nbd *nb)
{
	struct ubr_dev *dev = nb->dev;
	char uri[UBR_NBD_URI_TEXT_MAX], conns[96];
	size_t len = sizeof(uri) + 192;
	char *s = malloc(len);

	if (!s || ubr_nbd_uri_format(&nb->uri, uri, sizeof(uri)) < 0) {
		free(s);
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	if (nb->conns[0]->rc.first) {
		snprintf(s, len, "%s (handshake)", uri);
	} else if (nb->joining) {
		snprintf(s, len, "%s (connecting: %u of %u connections up)",
			 uri, nb->nr_conns - nb->joining, nb->nr_conns);
	} else {
		conns_text(nb, conns, sizeof(conns));
		snprintf(s, len, "%s (%llu bytes, flags %#x, %s replies, %s)",
			 uri, (unsigned long long)nb->info.size,
			 nb->info.flags,
			 nb->info.structured ? "structured" : "simple", conns);
	}
	free(dev->tgt_desc);
	dev->tgt_desc = s;
	return 0;
}

static void conn_free(struct ubr_nbd_conn *c)
{
	if (!c)
		return;
	ubr_nbd_reconnect_stop(c);
	if (c->fd >= 0)
		close(c->fd);
	if (c->old_fd >= 0)
		close(c->old_fd);
	free(c->rx);
	free(c);
}

static void nbd_free(struct ubr_nbd *nb)
{
	unsigned k;

	if (!nb)
		return;
	for (k = 0; k < UBR_NBD_MAX_CONNECTIONS; k++)
		conn_free(nb->conns[k]);
	free(nb->slots);
	free(nb);
}

/* Connection k, on fd (the client's socket), or -1 (the daemon makes it). */
static struct ubr_nbd_conn *conn_new(struct ubr_nbd *nb, unsigned k, int fd)
{
	struct ubr_nbd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rx = malloc(UBR_NBD_RX_BUF);
	if (!c->rx) {
		free(c);
		return NULL;
	}
	c->nb = nb;
	c->idx = k;
	c->fd = fd;
	c->old_fd = -1;
	c->need = UBR_NBD_SIMPLE_REPLY_LEN;
	c->state = fd >= 0 ? UBR_NBD_UP : UBR_NBD_DOWN;
	nb->conns[k] = c;
	ubr_nbd_reconnect_init(c);
	nb->dev->mem_bytes += UBR_NBD_RX_BUF;
	return c;
}

static int nbd_init(struct ubr_dev *dev)
{
	struct ubr_nbd *nb;
	struct stat st;
	char why[256];
	int fd = dev->opts.fds[0];
	int ret;

	if (dev->opts.nr_files != 1 || fd < 0) {
		ubr_dev_set_err(dev, "target nbd needs exactly one URI");
		return -EINVAL;
	}
	dev->opts.fds[0] = -1;
	nb = calloc(1, sizeof(*nb));
	if (!nb) {
		close(fd);
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	nb->dev = dev;
	nb->nr_conns = 1;
	/* What a client passed is a stream socket, or nothing we can use. */
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(fd);
		ubr_dev_set_err(dev, "%s: the descriptor passed is not a socket",
				dev->opts.paths[0]);
		ret = -ENOTSOCK;
		goto fail;
	}
	ret = ubr_nbd_uri_parse(dev->opts.paths[0], &nb->uri, why, sizeof(why));
	if (ret < 0) {
		close(fd);
		ubr_dev_set_err(dev, "%s", why);
		goto fail;
	}
	nb->depth = dev->opts.depth;
	nb->slots = calloc((size_t)dev->opts.nr_queues * nb->depth,
			   sizeof(*nb->slots));
	if (!nb->slots || !conn_new(nb, 0, fd)) {
		if (!nb->conns[0])
			close(fd);
		ubr_dev_set_err(dev, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	ret = ubr_nbd_first_handshake(nb->conns[0], HANDSHAKE_TIMEOUT_MS);
	if (ret < 0) {
		ubr_dev_set_err(dev, "nbd handshake: %s", strerror(-ret));
		goto fail;
	}
	ret = ubr_nbd_desc(nb); /* `list` shows the handshake */
	if (ret < 0)
		goto fail;
	dev->tgt = nb;
	return -EINPROGRESS;
fail:
	nbd_free(nb);
	return ret;
}

/*
 * The first connection is up: how many more the device makes
 * (nbd_conns.h), then connections 2..N, by the daemon as a reconnect
 * makes one. 0: none to make; 1: under way (ubr_nbd_join_done() ends
 * each); or -errno with the device's error set.
 */
static int join_start(struct ubr_nbd *nb)
{
	const struct ubr_nbd_opts *o = nb->dev->opts.tgt_opts;
	unsigned wanted = o ? o->connections : 0, k;
	bool multi = nb->info.flags & UBR_NBD_FLAG_CAN_MULTI_CONN;
	int n = ubr_nbd_conns_count(wanted, nb->dev->opts.nr_queues, multi);

	if (n < 0) {
		ubr_dev_set_err(nb->dev, "--connections %u: the server does not advertise multi-conn (NBD_FLAG_CAN_MULTI_CONN): one connection only",
				wanted);
		return n;
	}
	for (k = 1; k < (unsigned)n; k++) {
		if (!conn_new(nb, k, -1)) {
			ubr_dev_set_err(nb->dev, "out of memory");
			return -ENOMEM;
		}
	}
	nb->nr_conns = (unsigned)n;
	nb->joining = nb->nr_conns - 1;
	for (k = 1; k < nb->nr_conns; k++)
		ubr_nbd_join_start(nb->conns[k]);
	return nb->joining ? 1 : 0;
}

void ubr_nbd_first_done(struct ubr_nbd_conn *c, int err, const char *why,
			const struct ubr_nbd_export_info *info)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_dev *dev = nb->dev;

	if (err < 0) {
		ubr_dev_set_err(dev, "nbd handshake: %s", why);
		ubr_dev_init_done(dev, err);
		return;
	}
	nb->info = *info;
	err = dev->recover_params ? recover_params(dev, nb) :
				    nbd_params(dev, nb);
	if (!err)
		err = join_start(nb);
	if (err > 0) { /* the add ends with the last connection made */
		ubr_nbd_desc(nb);
		return;
	}
	if (!err)
		err = ubr_nbd_desc(nb);
	ubr_dev_init_done(dev, err);
}

void ubr_nbd_join_done(struct ubr_nbd_conn *c, int err, const char *why)
{
	struct ubr_nbd *nb = c->nb;
	struct ubr_dev *dev = nb->dev;

	if (err < 0) {
		ubr_dev_set_err(dev, "nbd connection %u of %u: %s", c->idx + 1,
				nb->nr_conns, why);
		ubr_dev_init_done(dev, err);
		return;
	}
	if (--nb->joining) {
		ubr_nbd_desc(nb);
		return;
	}
	ubr_dev_init_done(dev, ubr_nbd_desc(nb));
}

/* Say goodbye as the protocol asks, then close. */
static void nbd_deinit(struct ubr_dev *dev)
{
	struct ubr_nbd *nb = dev->tgt;
	struct ubr_nbd_req disc = { .type = UBR_NBD_CMD_DISC };
	uint8_t hdr[UBR_NBD_REQUEST_LEN];
	struct ubr_nbd_conn *c;
	unsigned k;

	if (!nb)
		return;
	for (k = 0; k < nb->nr_conns; k++) {
		c = nb->conns[k];
		if (c && c->fd >= 0 && c->state == UBR_NBD_UP &&
		    !c->rc.first && !c->rc.joining && !c->sends &&
		    ubr_nbd_req_encode(&disc, hdr) == 0)
			(void)!send(c->fd, hdr, sizeof(hdr),
				    MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	nbd_free(nb);
	dev->tgt = NULL;
}

const struct ubr_target_ops ubr_target_nbd = {
	.name = "nbd",
	.flags = UBR_TGT_ZERO_COPY_SOCKET,
	.usage = "URI",
	.description = "an NBD server by its URI (nbd://, nbd+unix://)",
	.backing = UBR_BACKING_SOCKET,
	.connect = ubr_nbd_connect,
	.min_files = 1,
	.max_files = 1,
	.opts = nbd_opt_table,
	.opts_size = sizeof(struct ubr_nbd_opts),
	.fields = nbd_fields,
	.opts_finish = nbd_opts_finish,
	.init = nbd_init,
	.deinit = nbd_deinit,
	.queue_io = ubr_nbd_queue_io,
	.io_done = ubr_nbd_io_done,
};
