/* SPDX-License-Identifier: MIT */
/*
 * The admin commands as the daemon runs them: parse the words again (the
 * client's parse is a courtesy, not a guarantee), act on the device table,
 * answer through struct ubr_reply. Messages are complete lines for the
 * user, prefixed like the client's own.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "ubr_dev.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_reactor.h"
#include "ubr_stats.h"
#include "ubr_util.h"

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

/* --- shared ------------------------------------------------------------- */

/* Text built with stdio, sent as one reply. */
int ubr_reply_stream(struct ubr_reply *rep, void (*fn)(FILE *, void *),
		      void *arg)
{
	FILE *f = ubr_memfile_open();
	char *text;

	if (!f)
		return -ENOMEM;
	fn(f, arg);
	text = ubr_memfile_take(f);
	if (!text)
		return -ENOMEM;
	ubr_reply_printf(rep, 1, "%s", text);
	free(text);
	return 0;
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
	if (ubr_reply_stream(rep, features_render, r) < 0) {
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
	ubr_sort(rows, n, sizeof(*rows), stats_row_cmp);
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
		ret = ubr_reply_stream(rep, stats_render, &o);
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

/* The run's end, as `reload` says it: what changed, then the errors. */
static void reload_done_cb(void *ctx, const struct ubr_config_result *res)
{
	struct ubr_reply *rep = ctx;
	unsigned i;

	if (res->failed) {
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n", res->failed);
		ubr_reply_finish(rep, UBR_EXIT_FAIL);
		return;
	}
	if (res->changes && res->changes[0])
		ubr_reply_printf(rep, 1, "%s", res->changes);
	for (i = 0; i < res->cfg->nr_errors; i++)
		ubr_reply_printf(rep, 2, "ublk-reactor: %s\n",
				 res->cfg->errors[i].text);
	ubr_reply_finish(rep,
			 res->cfg->nr_errors ? UBR_EXIT_FAIL : UBR_EXIT_OK);
}

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
	/* answered when the run ends */
	ubr_config_reload(ubr_daemon_of(r)->config, reload_done_cb, rep);
}

/* --- dispatch ------------------------------------------------------------ */

struct command {
	const char *name;
	command_fn fn;
	bool takes_fds;
};

static const struct command commands[] = {
	{ "add", cmd_add, true },
	{ "del", ubr_cmd_del, false },
	{ "list", ubr_cmd_list, false },
	{ "features", cmd_features, false },
	{ "recover", ubr_cmd_recover, false },
	{ "stop", ubr_cmd_stop, false },
	{ "upgrade", ubr_cmd_upgrade, false },
	{ "stats", cmd_stats, false },
	{ "update-size", cmd_update_size, false },
	{ "quiesce", cmd_quiesce_resume, false },
	{ "resume", cmd_quiesce_resume, false },
	{ "reload", cmd_reload, false },
};

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void ubr_daemon_dispatch(struct ubr_daemon_ctx *dc, int argc, char **argv,
			 int *fds, unsigned nfds, struct ubr_reply *rep)
{
	struct ubr_reactor *r = &dc->r;
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
