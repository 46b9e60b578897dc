/* SPDX-License-Identifier: MIT */
/*
 * `list [--json]` as the daemon runs it: its own devices, whatever stage
 * their add is at, and every other ublk device the kernel has (dead ones
 * left by a daemon that was killed, ones another process serves, ones
 * waiting for `recover`), by ID. The kernel is asked on the shared ring
 * (GET_DEV_INFO), so the answer comes from a later completion.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_dev.h"
#include "ubr_kdev.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

/* One row: a device of ours (dev), or one the kernel has (k only). */
struct dev_row {
	const struct ubr_dev *dev;
	const struct ubr_kdev *k; /* the kernel's view, if it answered */
	unsigned queues, depth;
	uint64_t size;
};

static bool row_id_known(const struct dev_row *row)
{
	return !row->dev || row->dev->id_known;
}

static uint32_t row_id(const struct dev_row *row)
{
	return row->dev ? row->dev->id : row->k->id;
}

static void dev_row_fill(struct dev_row *row, const struct ubr_dev *dev)
{
	const struct ublksrv_ctrl_dev_info *info = &dev->info;

	row->dev = dev;
	/* The kernel's answer once ADD_DEV has one, else what was asked. */
	row->queues = info->nr_hw_queues ? info->nr_hw_queues :
					   dev->opts.nr_queues;
	row->depth = info->queue_depth ? info->queue_depth : dev->opts.depth;
	row->size = dev->params.basic.dev_sectors ?
			    dev->params.basic.dev_sectors << 9 :
			    dev->opts.size;
}

/* Devices with an ID by ID; those still waiting for one last. */
static int row_cmp(const void *a, const void *b)
{
	const struct dev_row *x = a, *y = b;
	uint32_t i = row_id(x), j = row_id(y);

	if (row_id_known(x) != row_id_known(y))
		return row_id_known(x) ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Our device with the kernel's ID id, in any state, or NULL. */
static const struct ubr_dev *served_here(struct ubr_reactor *r, uint32_t id)
{
	unsigned slot, slots = ubr_dev_slots(r);

	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev && dev->id_known && dev->id == id)
			return dev;
	}
	return NULL;
}

static const struct ubr_kdev *kdev_of(const struct ubr_kdev *k, unsigned nk,
				      const struct ubr_dev *dev)
{
	unsigned i;

	for (i = 0; dev->id_known && i < nk; i++)
		if (k[i].id == dev->id)
			return &k[i];
	return NULL;
}

static struct dev_row *rows_collect(struct ubr_reactor *r,
				    const struct ubr_kdev *k, unsigned nk,
				    unsigned *n)
{
	unsigned i, slots = ubr_dev_slots(r);
	struct dev_row *rows = calloc(slots + nk + 1, sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (i = 0; i < slots; i++) {
		const struct ubr_dev *dev = ubr_dev_at(r, i);

		if (!dev)
			continue;
		dev_row_fill(&rows[*n], dev);
		rows[(*n)++].k = kdev_of(k, nk, dev);
	}
	for (i = 0; i < nk; i++)
		if (!served_here(r, k[i].id) && k[i].owner != UBR_KDEV_OURS)
			rows[(*n)++].k = &k[i];
	ubr_sort(rows, *n, sizeof(*rows), row_cmp);
	return rows;
}

/* --- text ----------------------------------------------------------------- */

static void list_text_row(FILE *f, const struct dev_row *row)
{
	const struct ubr_dev *dev = row->dev;
	char id[16] = "-", path[32] = "-", q[8], d[8], size[16], mem[16];

	if (dev->id_known) {
		snprintf(id, sizeof(id), "%u", dev->id);
		snprintf(path, sizeof(path), "/dev/ublkb%u", dev->id);
	}
	snprintf(q, sizeof(q), "%u", row->queues);
	snprintf(d, sizeof(d), "%u", row->depth);
	ubr_format_size(row->size, size, sizeof(size));
	ubr_format_size(dev->mem_bytes, mem, sizeof(mem));
	fprintf(f, UBR_LIST_FMT, id, path, dev->opts.target,
		ubr_dev_state_name(dev->state), q, d, size,
		ubr_copy_mode_name(dev->copy_mode), mem,
		dev->opts.name[0] ? dev->opts.name : "-",
		dev->tgt_desc ? dev->tgt_desc : "");
}

static void list_text(FILE *f, const struct dev_row *rows, unsigned n)
{
	unsigned i;

	ubr_list_header(f);
	for (i = 0; i < n; i++) {
		if (rows[i].dev)
			list_text_row(f, &rows[i]);
		else
			ubr_kdev_text_row(f, rows[i].k);
	}
}

/* --- JSON ----------------------------------------------------------------- */

static void json_files(FILE *f, const struct ubr_dev *dev)
{
	unsigned i;

	fprintf(f, ", \"files\": [");
	for (i = 0; i < dev->opts.nr_files; i++) {
		if (i)
			fprintf(f, ", ");
		ubr_json_str(f, dev->opts.paths[i] ? dev->opts.paths[i] : "");
	}
	fprintf(f, "]");
}

/* Ours: the kernel's state as GET_DEV_INFO gave it, if it did. */
static void json_kernel_state(FILE *f, const struct ubr_kdev *k)
{
	if (k && !k->err)
		fprintf(f, ", \"kernel_state\": \"%s\"",
			ubr_kdev_state_name(k->info.state));
	else
		fprintf(f, ", \"kernel_state\": null");
	fprintf(f, ", \"owner\": \"ours\"");
}

static void list_json_row(FILE *f, const struct dev_row *row)
{
	const struct ubr_dev *dev = row->dev;

	if (dev->id_known)
		fprintf(f, "{\"id\": %u, \"device\": \"/dev/ublkb%u\"", dev->id,
			dev->id);
	else
		fprintf(f, "{\"id\": null, \"device\": null");
	fprintf(f, ", \"target\": ");
	ubr_json_str(f, dev->opts.target);
	fprintf(f,
		", \"state\": \"%s\", \"queues\": %u, \"depth\": %u, \"size\": %" PRIu64
		", \"logical_block_size\": %u, \"read_only\": %s, \"copy_mode\": \"%s\", \"memory\": %zu",
		ubr_dev_state_name(dev->state), row->queues, row->depth,
		row->size, dev->opts.logical_bs,
		dev->opts.read_only ? "true" : "false",
		ubr_copy_mode_name(dev->copy_mode), dev->mem_bytes);
	fprintf(f, ", \"recovery\": \"%s\"", ubr_recovery_name(dev->recovery));
	fprintf(f, ", \"batch_io\": %s",
		ubr_dev_batch_io(dev) ? "true" : "false");
	json_kernel_state(f, row->k);
	json_files(f, dev);
	fprintf(f, ", \"name\": ");
	if (dev->opts.name[0])
		ubr_json_str(f, dev->opts.name);
	else
		fprintf(f, "null");
	fprintf(f, ", \"description\": ");
	ubr_json_str(f, dev->tgt_desc ? dev->tgt_desc : "");
	fprintf(f, "}");
}

static void list_json(FILE *f, const struct dev_row *rows, unsigned n)
{
	unsigned i;

	fprintf(f, "{\"devices\": [");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		if (rows[i].dev)
			list_json_row(f, &rows[i]);
		else
			ubr_kdev_json_row(f, rows[i].k);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
}

/* --- the command ------------------------------------------------------------ */

struct list_req {
	struct ubr_reactor *r;
	struct ubr_reply *rep;
	bool json;
	const struct ubr_kdev *k;
	unsigned nk;
	int err;
};

static void list_render(FILE *f, void *arg)
{
	struct list_req *a = arg;
	struct dev_row *rows;
	unsigned n;

	rows = rows_collect(a->r, a->k, a->nk, &n);
	if (!rows) {
		a->err = -ENOMEM;
		return;
	}
	if (a->json)
		list_json(f, rows, n);
	else
		list_text(f, rows, n);
	free(rows);
}

/* The daemon's table as it is when the kernel has answered. */
static void list_scanned_cb(struct ubr_reactor *r, struct ubr_kdev *k,
			    unsigned nk, void *ctx)
{
	struct list_req *a = ctx;
	struct ubr_reply *rep = a->rep;
	int ret;

	(void)r;
	a->k = k;
	a->nk = nk;
	ret = ubr_reply_stream(rep, list_render, a);
	if (ret < 0 || a->err < 0) {
		ubr_reply_printf(rep, 2, "ublk-reactor: out of memory\n");
		ubr_reply_finish(rep, UBR_EXIT_FAIL);
	} else {
		ubr_reply_finish(rep, UBR_EXIT_OK);
	}
	free(a);
}

void ubr_cmd_list(struct ubr_reactor *r, int argc, char **argv, int *fds,
		  unsigned nfds, struct ubr_reply *rep)
{
	struct list_req *a = calloc(1, sizeof(*a));
	char err[256];
	int ret;

	(void)fds;
	(void)nfds;
	if (!a) {
		ubr_reply_printf(rep, 2, "ublk-reactor: out of memory\n");
		ubr_reply_finish(rep, UBR_EXIT_FAIL);
		return;
	}
	a->r = r;
	a->rep = rep;
	ret = ubr_parse_list(argc, argv, &a->json, err, sizeof(err));
	if (ret == 0) {
		ret = ubr_kdev_scan(r, list_scanned_cb, a);
		if (ret < 0)
			snprintf(err, sizeof(err),
				 "cannot find the kernel's ublk devices: %s",
				 strerror(-ret));
	}
	if (ret < 0) {
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", err);
		ubr_reply_finish(rep, ret == -EINVAL ? UBR_EXIT_USAGE :
						      UBR_EXIT_FAIL);
		free(a);
	}
}
