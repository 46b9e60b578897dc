/* SPDX-License-Identifier: MIT */
/*
 * The daemon's configuration file at start-up, on `reload` and on SIGHUP.
 *
 * A run reads the file and brings the devices in step with it:
 *   - a line whose name has no device: the device is added;
 *   - a line with the same options as its device: nothing happens (the device
 *     keeps serving, with its ID);
 *   - a line whose options changed: its device is deleted, then added again;
 *   - a device the file added (from_config) whose name is on no line any
 *     more: deleted;
 *   - a line with an error: reported; its device, if any, is left alone.
 * Deletes go first, and adds start once every delete has finished, so that
 * a name or an ID one frees can be taken by another. Runs never overlap: a
 * reload asked for during a run starts when it ends.
 *
 * Backing files are opened here, by the daemon, with its own rights: the
 * file is root's, like the daemon (see ublk-reactor.conf(5)).
 *
 * Who asked for a reload (the admin layer's `reload`) is told how it ended
 * through its callback: this layer knows no admin request, and the caller
 * turns the result into its reply.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_backing.h"
#include "ubr_config.h"
#include "ubr_dev.h"
#include "ubr_reactor.h"
#include "ubr_util.h"

enum action {
	ACT_NONE,
	ACT_ADD,
	ACT_REPLACE, /* add once the old device is deleted */
};

/* One reload asked for with a callback, waiting for the run that answers it. */
struct waiter {
	ubr_config_reload_cb cb;
	void *ctx;
	struct waiter *next;
};

struct ubr_config_ctl;

struct run {
	struct ubr_config_ctl *ctl;
	struct ubr_config cfg;
	enum action *act; /* one per entry */
	bool boot;
	bool adding;	  /* deletes are done */
	unsigned pending; /* deletes or adds in flight, +1 while starting */
	FILE *out;	  /* what changed, for `reload` */
	char *out_text;	  /* what out held, once taken */
	struct waiter *waiters;
};

struct ubr_config_ctl {
	struct ubr_reactor *r;
	char *path;
	bool must_exist;
	struct ubr_config boot_cfg; /* read at init, applied by the first run */
	struct run *run;
	bool again; /* another run was asked for during this one */
	struct waiter *queued;
	ubr_config_done_cb done_cb;
	void *done_ctx;
};

/* One delete or add in flight. */
struct job {
	struct run *run;
	unsigned entry; /* UINT_MAX: a device no line declares any more */
	char name[UBR_NAME_MAX + 1];
};

static void run_begin(struct ubr_config_ctl *ctl, struct waiter *waiters);

/* --- waiters ------------------------------------------------------------- */

/* Tell every waiter the result, and forget them. */
static void waiters_answer(struct waiter *w,
			   const struct ubr_config_result *res)
{
	struct waiter *next;

	for (; w; w = next) {
		next = w->next;
		w->cb(w->ctx, res);
		free(w);
	}
}

/* No run answers them: why. */
static void waiters_fail(struct waiter *w, const char *msg)
{
	struct ubr_config_result res = { .failed = msg };

	waiters_answer(w, &res);
}

/* --- the end of a run ---------------------------------------------------- */

static void run_free(struct run *run)
{
	if (run->out)
		fclose(run->out);
	free(run->out_text);
	free(run->act);
	ubr_config_release(&run->cfg);
	free(run);
}

static void run_finish(struct run *run)
{
	struct ubr_config_ctl *ctl = run->ctl;
	struct ubr_config_result res = { .cfg = &run->cfg };
	unsigned i;

	ubr_config_sort_errors(&run->cfg);
	for (i = 0; i < run->cfg.nr_errors; i++)
		ubr_err("%s", run->cfg.errors[i].text);
	run->out_text = ubr_memfile_take(run->out);
	if (!run->out_text)
		ubr_err("config: out of memory for the summary");
	run->out = NULL;
	res.changes = run->out_text;
	waiters_answer(run->waiters, &res);
	run->waiters = NULL;
	ctl->run = NULL;
	if (ctl->done_cb)
		ctl->done_cb(ctl->done_ctx, &run->cfg, run->boot);
	run_free(run);
	if (ctl->again) {
		struct waiter *queued = ctl->queued;

		ctl->again = false;
		ctl->queued = NULL;
		run_begin(ctl, queued);
	}
}

/* One line of what changed: to the log, and to `reload`'s output. */
static void run_changed(struct run *run, const char *what, const char *name,
			uint32_t id)
{
	ubr_info("config: %s %s /dev/ublkb%u", what, name, id);
	fprintf(run->out, "%s %s /dev/ublkb%u\n", what, name, id);
}

/* A failure that is not the file's fault still names the line. */
static void run_error(struct run *run, unsigned entry, const char *name,
		      const char *msg)
{
	unsigned line = entry == UINT_MAX ? 0 : run->cfg.entries[entry].line;

	if (ubr_config_error(&run->cfg, line, "device '%s': %s", name, msg))
		ubr_err("config: device '%s': %s", name, msg);
}

static void adds_start(struct run *run);

/* Deletes first; once the last is back, the adds; then the end. */
static void run_put(struct run *run)
{
	if (--run->pending)
		return;
	if (!run->adding) {
		run->adding = true;
		run->pending = 1;
		adds_start(run);
		run_put(run);
		return;
	}
	run_finish(run);
}

static struct job *job_new(struct run *run, unsigned entry, const char *name)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job) {
		run_error(run, entry, name, "out of memory");
		return NULL;
	}
	job->run = run;
	job->entry = entry;
	snprintf(job->name, sizeof(job->name), "%s", name);
	run->pending++;
	return job;
}

/* --- adds ---------------------------------------------------------------- */

static void add_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct job *job = ctx;
	struct run *run = job->run;
	struct ubr_dev *dev;

	if (err < 0) {
		run_error(run, job->entry, job->name,
			  msg && msg[0] ? msg : strerror(-err));
	} else {
		dev = ubr_dev_find(run->ctl->r, id);
		if (dev)
			dev->from_config = true;
		run_changed(run,
			    run->act[job->entry] == ACT_REPLACE ? "replaced" :
								  "added",
			    job->name, id);
	}
	free(job);
	run_put(run);
}

/* The entry's options move to the device (or are released on failure). */
static void add_start(struct run *run, unsigned i)
{
	struct ubr_config_entry *e = &run->cfg.entries[i];
	struct ubr_dev_opts opts = e->opts;
	struct job *job;
	char err[256];

	ubr_dev_opts_init(&e->opts);
	if (ubr_backing_open_all(&opts, false, err, sizeof(err))) {
		run_error(run, i, e->name, err);
		ubr_dev_opts_release(&opts);
		return;
	}
	job = job_new(run, i, e->name);
	if (!job) {
		ubr_dev_opts_release(&opts);
		return;
	}
	ubr_dev_add(run->ctl->r, &opts, add_done_cb, job);
}

static void adds_start(struct run *run)
{
	unsigned i;

	for (i = 0; run->act && i < run->cfg.nr_entries; i++)
		if (run->act[i] != ACT_NONE)
			add_start(run, i);
}

/* --- deletes ------------------------------------------------------------- */

static void del_done_cb(void *ctx, int err, const char *msg, uint32_t id)
{
	struct job *job = ctx;
	struct run *run = job->run;
	char why[256];

	if (err < 0) {
		snprintf(why, sizeof(why), "cannot delete device %u: %s", id,
			 msg && msg[0] ? msg : strerror(-err));
		run_error(run, job->entry, job->name, why);
		if (job->entry != UINT_MAX)
			run->act[job->entry] = ACT_NONE; /* the name is taken */
	} else if (job->entry == UINT_MAX) {
		run_changed(run, "deleted", job->name, id);
	}
	free(job);
	run_put(run);
}

static void del_start(struct run *run, struct ubr_dev *dev, unsigned entry)
{
	struct job *job = job_new(run, entry, dev->opts.name);

	/* A device whose disk is open is left serving (src/device/dev_safe_del.c). */
	if (job)
		ubr_dev_del_safe(run->ctl->r, dev->id, del_done_cb, job);
}

/* --- the plan ------------------------------------------------------------ */

/* FILE words as the device's were resolved, to compare them (no open). */
static void resolve_for_compare(struct ubr_dev_opts *o)
{
	unsigned i;
	char *p;

	for (i = 0; i < o->nr_files; i++) {
		p = ubr_realpath(o->paths[i]);
		if (p)
			ubr_dev_opts_set_path(o, i, p);
	}
}

/*
 * Unchanged means the same options as typed values, FILEs as resolved
 * paths: what the user said on both sides, so a device update-size
 * resized (a recovered one too) is not replaced for it. An ID the line
 * asks for must be the device's; a line without one takes any.
 */
static bool same_opts(const struct ubr_dev *dev,
		      const struct ubr_dev_opts *line)
{
	if (line->id != UBR_DEV_ID_ANY && line->id != dev->id)
		return false;
	return ubr_dev_opts_same(&dev->opts, line);
}

static enum action plan_line(struct run *run, unsigned i)
{
	struct ubr_config_entry *e = &run->cfg.entries[i];
	struct ubr_dev *dev = ubr_dev_find_name(run->ctl->r, e->name);
	char msg[160];

	if (!dev)
		return ACT_ADD;
	if (ubr_dev_going_away(dev) || !dev->id_known ||
	    dev->state == UBR_DEV_PREPARING) {
		run_error(run, i, e->name,
			  "another device of that name is being added or deleted: reload again later");
		return ACT_NONE;
	}
	resolve_for_compare(&e->opts);
	if (same_opts(dev, &e->opts)) {
		dev->from_config = true; /* the file declares it: it owns it */
		return ACT_NONE;
	}
	if (!dev->from_config && !run->boot) {
		snprintf(msg, sizeof(msg),
			 "the name is in use by device %u, which this file did not add",
			 dev->id);
		run_error(run, i, e->name, msg);
		return ACT_NONE;
	}
	del_start(run, dev, i);
	return ACT_REPLACE;
}

/* Is the name on a line of the file (good or bad)? */
static bool name_declared(const struct ubr_config *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->nr_entries; i++)
		if (!strcmp(cfg->entries[i].name, name))
			return true;
	return false;
}

static void plan(struct run *run)
{
	struct ubr_reactor *r = run->ctl->r;
	struct ubr_dev *dev;
	unsigned i, slot;

	for (i = 0; i < run->cfg.nr_entries; i++)
		if (run->cfg.entries[i].ok)
			run->act[i] = plan_line(run, i);
	for (slot = 0; slot < ubr_dev_slots(r); slot++) {
		dev = ubr_dev_at(r, slot);
		if (dev && dev->from_config && !ubr_dev_going_away(dev) &&
		    !name_declared(&run->cfg, dev->opts.name))
			del_start(run, dev, UINT_MAX);
	}
}

/* --- runs ---------------------------------------------------------------- */

static struct run *run_new(struct ubr_config_ctl *ctl, struct waiter *waiters)
{
	struct run *run = calloc(1, sizeof(*run));

	if (!run)
		return NULL;
	run->ctl = ctl;
	run->waiters = waiters;
	run->pending = 1;
	run->out = ubr_memfile_open();
	if (!run->out) {
		free(run);
		return NULL;
	}
	return run;
}

/* The file as read now; the boot run takes what init read. */
static int run_load(struct run *run)
{
	struct ubr_config_ctl *ctl = run->ctl;

	if (run->boot) {
		run->cfg = ctl->boot_cfg;
		memset(&ctl->boot_cfg, 0, sizeof(ctl->boot_cfg));
		return 0;
	}
	return ubr_config_load(&run->cfg, ctl->path, ctl->must_exist);
}

static void run_start(struct ubr_config_ctl *ctl, struct waiter *waiters,
		      bool boot)
{
	struct run *run = run_new(ctl, waiters);
	int ret;

	if (!run) {
		waiters_fail(waiters, "out of memory");
		return;
	}
	run->boot = boot;
	ctl->run = run;
	ret = run_load(run);
	if (ret == -ENOMEM ||
	    (!ret && run->cfg.nr_entries &&
	     !(run->act = calloc(run->cfg.nr_entries, sizeof(*run->act))))) {
		ubr_config_error(&run->cfg, 0, "out of memory");
		ret = -ENOMEM;
	}
	if (!ret) /* else the file cannot be read: change nothing */
		plan(run);
	run_put(run);
}

static void run_begin(struct ubr_config_ctl *ctl, struct waiter *waiters)
{
	ubr_info("config: reloading %s", ctl->path);
	run_start(ctl, waiters, false);
}

/* --- the daemon's interface ---------------------------------------------- */

int ubr_config_ctl_init(struct ubr_config_ctl **out, struct ubr_reactor *r,
			const char *path, bool must_exist,
			ubr_config_done_cb cb, void *ctx, char *err,
			size_t errlen)
{
	struct ubr_config_ctl *ctl = calloc(1, sizeof(*ctl));
	int ret;

	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctl->r = r;
	ctl->must_exist = must_exist;
	ctl->done_cb = cb;
	ctl->done_ctx = ctx;
	ret = ubr_config_load(&ctl->boot_cfg, path, must_exist);
	if (ret < 0) {
		snprintf(err, errlen, "%s", ctl->boot_cfg.nr_errors ?
			 ctl->boot_cfg.errors[0].text : "out of memory");
		ubr_config_release(&ctl->boot_cfg);
		free(ctl->path);
		free(ctl);
		return ret;
	}
	*out = ctl;
	return 0;
}

void ubr_config_boot(struct ubr_config_ctl *ctl)
{
	if (ctl)
		run_start(ctl, NULL, true);
}

/* A callback's result without a run (a waiter of its own fails). */
static void reload_fail(ubr_config_reload_cb cb, void *ctx, const char *msg)
{
	struct ubr_config_result res = { .failed = msg };

	if (cb)
		cb(ctx, &res);
}

void ubr_config_reload(struct ubr_config_ctl *ctl, ubr_config_reload_cb cb,
		       void *ctx)
{
	struct waiter *w = NULL, **tail;

	if (!ctl) {
		reload_fail(cb, ctx, "this daemon has no configuration file");
		return;
	}
	if (cb && !(w = calloc(1, sizeof(*w)))) {
		reload_fail(cb, ctx, "out of memory");
		return;
	}
	if (w) {
		w->cb = cb;
		w->ctx = ctx;
	}
	if (!ctl->run) {
		run_begin(ctl, w);
		return;
	}
	/* Once the current run ends: it may have read the file too early. */
	ctl->again = true;
	for (tail = &ctl->queued; *tail; tail = &(*tail)->next)
		;
	*tail = w;
}

void ubr_config_ctl_deinit(struct ubr_config_ctl *ctl)
{
	if (!ctl)
		return;
	if (ctl->run) { /* the loop ended first: nothing will finish it */
		waiters_fail(ctl->run->waiters, "the daemon is shutting down");
		ctl->run->waiters = NULL;
		run_free(ctl->run);
	}
	waiters_fail(ctl->queued, "the daemon is shutting down");
	ubr_config_release(&ctl->boot_cfg);
	free(ctl->path);
	free(ctl);
}
