/* SPDX-License-Identifier: MIT */
/*
 * `list` and `del` when no daemon runs. The kernel may still have ublk
 * devices: dead ones left by a daemon killed with --recovery off, ones
 * another process serves, ones waiting for `recover`. The client finds
 * them itself (GET_DEV_INFO on a small ring of its own, waited for right
 * here: nothing else uses that ring), lists them, and deletes the dead
 * ones (STOP_DEV, DEL_DEV). Devices waiting for `recover` are left to the
 * daemon, which keeps their records: for them, as when the kernel has no
 * device at all, the answer stays "the daemon is not running".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_kdev.h"
#include "ubr_reactor.h"

/* The devices, judged; -ENOENT if there are none (exit status otherwise). */
struct local {
	struct ubr_reactor *r;
	struct ubr_kdev *k;
	unsigned n;
};

static void local_deinit(struct local *l)
{
	if (l->r) {
		ubr_devices_deinit(l->r);
		free(l->r);
	}
	free(l->k);
}

/* A tiny ring: only control commands, one at a time, go through it. */
static int local_init(struct local *l)
{
	char msg[256];
	uint32_t *ids;
	unsigned n;
	int ret = ubr_kdev_ids(&ids, &n);

	memset(l, 0, sizeof(*l));
	free(ids);
	if (ret < 0)
		return ubr_client_error(UBR_EXIT_FAIL, "cannot find the kernel's ublk devices: %s",
			   strerror(-ret));
	if (!n)
		return -ENOENT;
	l->r = calloc(1, sizeof(*l->r));
	if (!l->r)
		return ubr_client_error(UBR_EXIT_FAIL, "out of memory");
	ret = ubr_devices_init(l->r, 4);
	if (ret < 0) {
		free(l->r);
		l->r = NULL;
		ubr_reactor_init_strerror(ret, msg, sizeof(msg));
		return ubr_client_error(UBR_EXIT_FAIL, "%s", msg);
	}
	ret = ubr_kdev_scan_sync(l->r, &l->k, &l->n);
	if (ret < 0)
		return ubr_client_error(UBR_EXIT_FAIL, "cannot ask the kernel about its ublk devices: %s",
			   strerror(-ret));
	return l->n ? 0 : -ENOENT;
}

/* --- list ----------------------------------------------------------------- */

static void print_json(const struct local *l)
{
	unsigned i;

	printf("{\"devices\": [");
	for (i = 0; i < l->n; i++) {
		printf("%s\n  ", i ? "," : "");
		ubr_kdev_json_row(stdout, &l->k[i]);
	}
	printf("\n]}\n");
}

int ubr_local_list(bool json)
{
	struct local l;
	unsigned i;
	int ret = local_init(&l);

	if (ret) {
		local_deinit(&l);
		return ret;
	}
	if (json) {
		print_json(&l);
	} else {
		ubr_list_header(stdout);
		for (i = 0; i < l.n; i++)
			ubr_kdev_text_row(stdout, &l.k[i]);
	}
	local_deinit(&l);
	return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
}

/* --- del ------------------------------------------------------------------ */

static const struct ubr_kdev *find(const struct local *l, uint32_t id)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->k[i].id == id)
			return &l->k[i];
	return NULL;
}

/* --all: the dead devices; -ENOENT if there is none. */
static int pick_dead(const struct local *l, struct ubr_del_args *d)
{
	unsigned i;

	free(d->ids);
	d->ids = calloc(l->n, sizeof(*d->ids));
	d->nr_ids = 0;
	if (!d->ids)
		return ubr_client_error(UBR_EXIT_FAIL, "out of memory");
	for (i = 0; i < l->n; i++)
		if (l->k[i].owner == UBR_KDEV_DEAD)
			d->ids[d->nr_ids++] = l->k[i].id;
	return d->nr_ids ? 0 : -ENOENT;
}

/* All or nothing, as the daemon's del: every ID deletable first. */
static int check_ids(const struct local *l, const struct ubr_del_args *d)
{
	const char *none = d->nr_ids > 1 ? " (nothing deleted)" : "";
	const struct ubr_kdev *k;
	unsigned i;

	for (i = 0; i < d->nr_ids; i++) {
		k = find(l, d->ids[i]);
		if (!k)
			return ubr_client_error(UBR_EXIT_FAIL, "no device %u%s", d->ids[i],
				   none);
		if (k->owner == UBR_KDEV_WAITING)
			return -ENOENT; /* the daemon's, through its record */
		if (k->owner == UBR_KDEV_OTHER && !d->force && k->err < 0)
			return ubr_client_error(UBR_EXIT_FAIL, "device %u: GET_DEV_INFO: %s: not deleted without --force%s",
				   k->id, strerror(-k->err), none);
		if (k->owner == UBR_KDEV_OTHER && !d->force)
			return ubr_client_error(UBR_EXIT_FAIL, "device %u is served by another process, pid %d (%s): not deleted without --force%s",
				   k->id, k->info.ublksrv_pid,
				   k->comm[0] ? k->comm : "?", none);
	}
	return 0;
}

static int delete_ids(const struct local *l, const struct ubr_del_args *d)
{
	int ret, status = UBR_EXIT_OK;
	unsigned i;

	for (i = 0; i < d->nr_ids; i++) {
		ret = ubr_kdev_delete_sync(l->r, d->ids[i]);
		if (ret < 0)
			status = ubr_client_error(UBR_EXIT_FAIL, "device %u: %s", d->ids[i],
				     strerror(-ret));
	}
	return status;
}

int ubr_local_del(int argc, char **argv)
{
	struct ubr_del_args d;
	struct local l;
	char err[256];
	int ret = ubr_parse_del(argc, argv, &d, err, sizeof(err));

	if (ret < 0)
		return ubr_client_error(ret == -EINVAL ? UBR_EXIT_USAGE : UBR_EXIT_FAIL,
			   "%s", err);
	/* Names are the daemon's: without it, none is known. */
	ret = d.nr_names ? -ENOENT : local_init(&l);
	if (!ret && d.all)
		ret = pick_dead(&l, &d);
	if (!ret)
		ret = check_ids(&l, &d);
	if (!ret)
		ret = delete_ids(&l, &d);
	if (!d.nr_names)
		local_deinit(&l);
	ubr_del_args_release(&d);
	return ret;
}
