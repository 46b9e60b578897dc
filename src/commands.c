/* SPDX-License-Identifier: MIT */
/*
 * The admin commands as the daemon runs them: parse the words again (the
 * client's parse is a courtesy, not a guarantee), act on the device table,
 * answer through struct ubr_reply. Messages are complete lines for the
 * user, prefixed like the client's own.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "ubr_reactor.h"
#include "ubr_record.h"
#include "ubr_stats.h"

typedef void (*command_fn)(struct ubr_reactor *r, int argc, char **argv,
			   int *fds, unsigned nfds, struct ubr_reply *rep);

static void close_all(int *fds, unsigned nfds)
{
	while (nfds)
		close(fds[--nfds]);
}

static void fail(struct ubr_reply *rep, int status, const char *msg)
{
	ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", msg);
	ubr_reply_finish(rep, status);
}

/* Usage errors are status 2, running out of memory is a failure. */
static void parse_failed(struct ubr_reply *rep, int ret, const char *err)
{
	fail(rep, ret == -EINVAL ? UBR_EXIT_USAGE : UBR_EXIT_FAIL, err);
}

/* --- add ----------------------------------------------------------------- */

static void add_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct ubr_reply *rep = ctx;

	if (err < 0) {
		fail(rep, UBR_EXIT_FAIL, msg && msg[0] ? msg : strerror(-err));
		return;
	}
	ubr_reply_printf(rep, 1, "/dev/ublkb%u\n", id);
	ubr_reply_finish(rep, UBR_EXIT_OK);
}

static void cmd_add(struct ubr_reactor *r, int argc, char **argv, int *fds,
		    unsigned nfds, struct ubr_reply *rep)
{
	struct ubr_dev_opts opts;
	char err[256];
	unsigned i;
	int ret;

	ret = ubr_parse_add(argc, argv, &opts, err, sizeof(err));
	if (ret < 0) {
		close_all(fds, nfds);
		parse_failed(rep, ret, err);
		return;
	}
	if (nfds != opts.nr_files) {
		snprintf(err, sizeof(err),
			 "add: %u backing file(s) named but %u descriptor(s) received",
			 opts.nr_files, nfds);
		close_all(fds, nfds);
		ubr_dev_opts_release(&opts);
		fail(rep, UBR_EXIT_FAIL, err);
		return;
	}
	for (i = 0; i < nfds; i++)
		opts.fds[i] = fds[i];
	/* The device owns opts' paths and descriptors from here on. */
	ubr_dev_add(r, &opts, add_done_cb, rep);
}

/* --- del ----------------------------------------------------------------- */

/* One `del` for several devices: answered when the last one is gone. */
struct del_batch {
	struct ubr_reply *rep;
	unsigned pending;
	bool failed;
};

static void del_batch_put(struct del_batch *b)
{
	if (--b->pending)
		return;
	ubr_reply_finish(b->rep, b->failed ? UBR_EXIT_FAIL : UBR_EXIT_OK);
	free(b);
}

static void del_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct del_batch *b = ctx;

	if (err < 0) {
		b->failed = true;
		ubr_reply_printf(b->rep, 2, "ublk-reactor: %s\n",
				 msg && msg[0] ? msg : strerror(-err));
	}
	del_batch_put(b);
}

static bool dev_deleting(const struct ubr_dev *dev)
{
	return dev->del_cb || dev->state >= UBR_DEV_STOPPING;
}

/*
 * All or nothing: every ID must name a device that can be deleted before
 * any is. Returns 0, or -ENOENT with the reason in msg.
 */
static int del_check_ids(struct ubr_reactor *r, const struct ubr_del_args *d,
			 char *msg, size_t len)
{
	struct ubr_dev *dev;
	unsigned i;

	for (i = 0; i < d->nr_ids; i++) {
		dev = ubr_dev_find(r, d->ids[i]);
		/* Left unrecovered: it has a record, and we can delete it. */
		if (!dev && ubr_record_exists(d->ids[i]))
			continue;
		if (!dev || dev_deleting(dev)) {
			snprintf(msg, len, dev ? "device %u is already being deleted%s" :
						 "no device %u%s",
				 d->ids[i], d->nr_ids > 1 ? " (nothing deleted)" : "");
			return -ENOENT;
		}
	}
	return 0;
}

/* Snapshot of the IDs first: a delete may finish (and free) at once. */
static int del_collect_all(struct ubr_reactor *r, struct ubr_del_args *d)
{
	unsigned slot, n = 0, slots = ubr_dev_slots(r);
	uint32_t *ids = calloc(slots ? slots : 1, sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (slot = 0; slot < slots; slot++) {
		struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev && dev->id_known && !dev_deleting(dev))
			ids[n++] = dev->id;
	}
	free(d->ids);
	d->ids = ids;
	d->nr_ids = n;
	return 0;
}

/* Names become IDs; the parser left room in ids[] for one per word. */
static int del_resolve_names(struct ubr_reactor *r, struct ubr_del_args *d,
			     char *msg, size_t len)
{
	struct ubr_dev *dev;
	unsigned i, j;

	for (i = 0; i < d->nr_names; i++) {
		dev = ubr_dev_find_name(r, d->names[i]);
		if (!dev || !dev->id_known) {
			snprintf(msg, len, "no device named '%s'%s", d->names[i],
				 d->nr_ids + d->nr_names > 1 ?
					 " (nothing deleted)" : "");
			return -ENOENT;
		}
		for (j = 0; j < d->nr_ids && d->ids[j] != dev->id; j++)
			;
		if (j == d->nr_ids)
			d->ids[d->nr_ids++] = dev->id;
	}
	return 0;
}

static int del_prepare(struct ubr_reactor *r, struct ubr_del_args *d,
		       char *msg, size_t len)
{
	int ret;

	if (d->all && del_collect_all(r, d) < 0) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	ret = del_resolve_names(r, d, msg, len);
	return ret ? ret : del_check_ids(r, d, msg, len);
}

static void cmd_del(struct ubr_reactor *r, int argc, char **argv, int *fds,
		    unsigned nfds, struct ubr_reply *rep)
{
	struct ubr_del_args d;
	struct del_batch *b;
	char err[256];
	unsigned i;
	int ret;

	ret = ubr_parse_del(argc, argv, &d, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	ret = del_prepare(r, &d, err, sizeof(err));
	b = ret < 0 ? NULL : calloc(1, sizeof(*b));
	if (!b) {
		ubr_del_args_release(&d);
		fail(rep, UBR_EXIT_FAIL, ret < 0 ? err : "out of memory");
		return;
	}
	b->rep = rep;
	b->pending = 1; /* held until every delete is started */
	for (i = 0; i < d.nr_ids; i++) {
		b->pending++;
		if (ubr_dev_find(r, d.ids[i]))
			ubr_dev_del(r, d.ids[i], del_done_cb, b);
		else
			ubr_dev_del_unserved(r, d.ids[i], del_done_cb, b);
	}
	ubr_del_args_release(&d);
	del_batch_put(b);
}

/* --- list ---------------------------------------------------------------- */

/* What `list` shows of one device, whatever stage its add is at. */
struct dev_row {
	const struct ubr_dev *dev;
	unsigned queues, depth;
	uint64_t size;
};

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

static int row_cmp(const void *a, const void *b)
{
	const struct dev_row *x = a, *y = b;

	if (x->dev->id_known != y->dev->id_known)
		return x->dev->id_known ? -1 : 1;
	return x->dev->id < y->dev->id ? -1 : x->dev->id > y->dev->id;
}

static struct dev_row *rows_collect(struct ubr_reactor *r, unsigned *n)
{
	unsigned slot, slots = ubr_dev_slots(r);
	struct dev_row *rows = calloc(slots ? slots : 1, sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev)
			dev_row_fill(&rows[(*n)++], dev);
	}
	qsort(rows, *n, sizeof(*rows), row_cmp);
	return rows;
}

#define LIST_FMT "%-4s %-13s %-7s %-9s %6s %5s %7s %-6s %7s %-10s  %s\n"

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
	fprintf(f, LIST_FMT, id, path, dev->opts.target,
		ubr_dev_state_name(dev->state), q, d, size,
		ubr_copy_mode_name(dev->copy_mode), mem,
		dev->opts.name[0] ? dev->opts.name : "-",
		dev->tgt_desc ? dev->tgt_desc : "");
}

static void list_text(FILE *f, const struct dev_row *rows, unsigned n)
{
	unsigned i;

	fprintf(f, LIST_FMT, "ID", "DEVICE", "TARGET", "STATE", "QUEUES",
		"DEPTH", "SIZE", "COPY", "MEMORY", "NAME", "DESCRIPTION");
	for (i = 0; i < n; i++)
		list_text_row(f, &rows[i]);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_files(FILE *f, const struct ubr_dev *dev)
{
	unsigned i;

	fprintf(f, ", \"files\": [");
	for (i = 0; i < dev->opts.nr_files; i++) {
		if (i)
			fprintf(f, ", ");
		json_str(f, dev->opts.paths[i] ? dev->opts.paths[i] : "");
	}
	fprintf(f, "]");
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
	json_str(f, dev->opts.target);
	fprintf(f,
		", \"state\": \"%s\", \"queues\": %u, \"depth\": %u, \"size\": %" PRIu64
		", \"logical_block_size\": %u, \"read_only\": %s, \"copy_mode\": \"%s\", \"memory\": %zu",
		ubr_dev_state_name(dev->state), row->queues, row->depth,
		row->size, dev->opts.logical_bs,
		dev->opts.read_only ? "true" : "false",
		ubr_copy_mode_name(dev->copy_mode), dev->mem_bytes);
	fprintf(f, ", \"recovery\": \"%s\"", ubr_recovery_name(dev->opts.recovery));
	json_files(f, dev);
	fprintf(f, ", \"name\": ");
	if (dev->opts.name[0])
		json_str(f, dev->opts.name);
	else
		fprintf(f, "null");
	fprintf(f, ", \"description\": ");
	json_str(f, dev->tgt_desc ? dev->tgt_desc : "");
	fprintf(f, "}");
}

static void list_json(FILE *f, const struct dev_row *rows, unsigned n)
{
	unsigned i;

	fprintf(f, "{\"devices\": [");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		list_json_row(f, &rows[i]);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
}

/* Text built with stdio, sent as one reply. */
static int reply_stream(struct ubr_reply *rep, void (*fn)(FILE *, void *),
			void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fn(f, arg);
	if (fclose(f) || !text) {
		free(text);
		return -ENOMEM;
	}
	ubr_reply_printf(rep, 1, "%s", text);
	free(text);
	return 0;
}

struct list_args {
	struct ubr_reactor *r;
	bool json;
	int err;
};

static void list_render(FILE *f, void *arg)
{
	struct list_args *a = arg;
	struct dev_row *rows;
	unsigned n;

	rows = rows_collect(a->r, &n);
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

static void cmd_list(struct ubr_reactor *r, int argc, char **argv, int *fds,
		     unsigned nfds, struct ubr_reply *rep)
{
	struct list_args a = { r, false, 0 };
	char err[256];
	int ret;

	ret = ubr_parse_list(argc, argv, &a.json, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	ret = reply_stream(rep, list_render, &a);
	if (ret < 0 || a.err < 0) {
		fail(rep, UBR_EXIT_FAIL, "out of memory");
		return;
	}
	ubr_reply_finish(rep, UBR_EXIT_OK);
}

/* --- features ------------------------------------------------------------ */

static void features_render(FILE *f, void *arg)
{
	struct ubr_reactor *r = arg;

	ubr_features_print(f, r->features_known, r->features,
			   ubr_features_used(r));
}

static void cmd_features(struct ubr_reactor *r, int argc, char **argv,
			 int *fds, unsigned nfds, struct ubr_reply *rep)
{
	char err[256];
	int ret;

	ret = ubr_parse_no_args(argc, argv, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	if (reply_stream(rep, features_render, r) < 0) {
		fail(rep, UBR_EXIT_FAIL, "out of memory");
		return;
	}
	ubr_reply_finish(rep, UBR_EXIT_OK);
}

/* --- stats --------------------------------------------------------------- */

static int stats_row_cmp(const void *a, const void *b)
{
	const struct ubr_stats_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Every device the kernel has an ID for, by ID. */
static unsigned stats_rows_all(struct ubr_reactor *r,
			       struct ubr_stats_row *rows)
{
	unsigned slot, n = 0, slots = ubr_dev_slots(r);

	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev && dev->id_known)
			rows[n++] = (struct ubr_stats_row){ dev->id, &dev->stats };
	}
	qsort(rows, n, sizeof(*rows), stats_row_cmp);
	return n;
}

/* The devices named, in command order; -ENOENT (msg says which) if not. */
static int stats_rows_named(struct ubr_reactor *r,
			    const struct ubr_stats_args *a,
			    struct ubr_stats_row *rows, char *msg, size_t len)
{
	const struct ubr_dev *dev;
	unsigned i;

	for (i = 0; i < a->nr_ids; i++) {
		dev = ubr_dev_find(r, a->ids[i]);
		if (!dev) {
			snprintf(msg, len, "no device %u", a->ids[i]);
			return -ENOENT;
		}
		rows[i] = (struct ubr_stats_row){ dev->id, &dev->stats };
	}
	return (int)a->nr_ids;
}

struct stats_out {
	struct ubr_reactor *r;
	bool json;
	const struct ubr_stats_row *rows;
	unsigned n;
};

static void stats_render(FILE *f, void *arg)
{
	const struct stats_out *o = arg;

	if (o->json)
		ubr_stats_print_json(f, &o->r->counters, o->rows, o->n);
	else
		ubr_stats_print_text(f, &o->r->counters, o->rows, o->n);
}

static int stats_reply(struct ubr_reactor *r, const struct ubr_stats_args *a,
		       struct ubr_reply *rep, char *msg, size_t len)
{
	unsigned slots = ubr_dev_slots(r) + a->nr_ids;
	struct ubr_stats_row *rows = calloc(slots ? slots : 1, sizeof(*rows));
	struct stats_out o = { r, a->json, rows, 0 };
	int ret;

	if (!rows) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	ret = a->nr_ids ? stats_rows_named(r, a, rows, msg, len) :
			  (int)stats_rows_all(r, rows);
	if (ret >= 0) {
		o.n = (unsigned)ret;
		ret = reply_stream(rep, stats_render, &o);
		if (ret < 0)
			snprintf(msg, len, "out of memory");
	}
	free(rows);
	return ret;
}

static void cmd_stats(struct ubr_reactor *r, int argc, char **argv, int *fds,
		      unsigned nfds, struct ubr_reply *rep)
{
	struct ubr_stats_args a;
	char err[256];
	int ret;

	ret = ubr_parse_stats(argc, argv, &a, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	ret = stats_reply(r, &a, rep, err, sizeof(err));
	ubr_stats_args_release(&a);
	if (ret < 0) {
		fail(rep, UBR_EXIT_FAIL, err);
		return;
	}
	ubr_reply_finish(rep, UBR_EXIT_OK);
}

/* --- update-size, quiesce, resume ---------------------------------------- */

/* Silent on success, like losetup -c: the exit status says it. */
static void ctl_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct ubr_reply *rep = ctx;

	if (err < 0) {
		fail(rep, UBR_EXIT_FAIL, msg && msg[0] ? msg : strerror(-err));
		return;
	}
	ubr_reply_finish(rep, UBR_EXIT_OK);
}

static void cmd_update_size(struct ubr_reactor *r, int argc, char **argv,
			    int *fds, unsigned nfds, struct ubr_reply *rep)
{
	char err[256];
	uint64_t size;
	uint32_t id;
	int ret;

	ret = ubr_parse_update_size(argc, argv, &id, &size, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	ubr_dev_update_size(r, id, size, ctl_done_cb, rep);
}

static void cmd_quiesce_resume(struct ubr_reactor *r, int argc, char **argv,
			       int *fds, unsigned nfds, struct ubr_reply *rep)
{
	char err[256];
	uint32_t id;
	int ret;

	ret = ubr_parse_id_cmd(argc, argv, &id, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	if (!strcmp(argv[0], "quiesce"))
		ubr_dev_quiesce(r, id, ctl_done_cb, rep);
	else
		ubr_dev_resume(r, id, ctl_done_cb, rep);
}

/* --- reload ------------------------------------------------------------- */

static void cmd_reload(struct ubr_reactor *r, int argc, char **argv,
		       int *fds, unsigned nfds, struct ubr_reply *rep)
{
	char err[256];
	int ret;

	ret = ubr_parse_no_args(argc, argv, err, sizeof(err));
	if (ret < 0) {
		parse_failed(rep, ret, err);
		return;
	}
	ubr_config_reload(r, rep); /* answered when the run ends */
}

/* --- dispatch ------------------------------------------------------------ */

struct command {
	const char *name;
	command_fn fn;
	bool takes_fds;
};

static const struct command commands[] = {
	{ "add", cmd_add, true },
	{ "del", cmd_del, false },
	{ "list", cmd_list, false },
	{ "features", cmd_features, false },
	{ "recover", ubr_cmd_recover, false },
	{ "stop", ubr_cmd_stop, false },
	{ "stats", cmd_stats, false },
	{ "update-size", cmd_update_size, false },
	{ "quiesce", cmd_quiesce_resume, false },
	{ "resume", cmd_quiesce_resume, false },
	{ "reload", cmd_reload, false },
};

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void ubr_daemon_dispatch(struct ubr_reactor *r, int argc, char **argv,
			 int *fds, unsigned nfds, struct ubr_reply *rep)
{
	const struct command *cmd = command_find(argv[0]);
	char msg[128];

	if (!cmd) {
		close_all(fds, nfds);
		snprintf(msg, sizeof(msg), "unknown command '%.32s'", argv[0]);
		fail(rep, UBR_EXIT_USAGE, msg);
		return;
	}
	/* Not something a user can type: a client bug, not a usage error. */
	if (nfds && !cmd->takes_fds) {
		close_all(fds, nfds);
		snprintf(msg, sizeof(msg), "%s takes no descriptors", cmd->name);
		fail(rep, UBR_EXIT_FAIL, msg);
		return;
	}
	if (r->stopping && strcmp(cmd->name, "list") &&
	    strcmp(cmd->name, "features") && strcmp(cmd->name, "stats")) {
		close_all(fds, nfds);
		fail(rep, UBR_EXIT_FAIL, "the daemon is shutting down");
		return;
	}
	cmd->fn(r, argc, argv, fds, nfds, rep);
}
