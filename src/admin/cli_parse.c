/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing for del, list, stats and the other commands but
 * add, shared by the client and the daemon, which parses the words again
 * because it trusts nothing that comes over the socket. Messages go to
 * err, never to stdio: the daemon sends each back to the client that made
 * the mistake. `add`'s words are a device's options, parsed by the device
 * layer (src/device/dev_opts_parse.c) for the config file and the records
 * too.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_cli.h"
#include "ubr_util.h"

/* Every usage error goes through here: one line, and -EINVAL. */
#define say(err, errlen, ...) ubr_errf(-EINVAL, err, errlen, __VA_ARGS__)

/* --- del, list, features, stats ------------------------------------------ */

static int del_add_id(struct ubr_del_args *d, uint32_t id)
{
	unsigned i;

	for (i = 0; i < d->nr_ids; i++)
		if (d->ids[i] == id)
			return 0;
	d->ids[d->nr_ids++] = id;
	return 0;
}

/* A device ID word of `del`, `recover` or `stats`. */
static int dev_id_word(const char *cmd, const char *arg, uint32_t *id,
		       char *err, size_t errlen)
{
	if (arg[0] == '-' && arg[1])
		return say(err, errlen, "unknown option '%s' for %s", arg, cmd);
	return ubr_parse_dev_id(arg, id, err, errlen);
}

static int del_add_name(struct ubr_del_args *d, const char *name)
{
	unsigned i;

	for (i = 0; i < d->nr_names; i++)
		if (!strcmp(d->names[i], name))
			return 0;
	d->names[d->nr_names++] = name;
	return 0;
}

/* del also takes device names; recover only IDs (records know no names). */
static int del_word(struct ubr_del_args *d, const char *cmd, const char *arg,
		    char *err, size_t errlen)
{
	uint64_t v;
	uint32_t id;
	int ret;

	if (!strcmp(arg, "--all") || !strcmp(arg, "-a")) {
		d->all = true;
		return 0;
	}
	if (!strcmp(cmd, "del") &&
	    (!strcmp(arg, "--force") || !strcmp(arg, "-f"))) {
		d->force = true;
		return 0;
	}
	if (!strcmp(cmd, "del") && arg[0] != '-' &&
	    ubr_parse_u64(arg, 0, UINT64_MAX, &v) == -EINVAL) {
		if (ubr_name_check(arg, err, errlen) == 0)
			return del_add_name(d, arg);
		return say(err, errlen,
			   "invalid device ID or name '%s': not a number, nor a name",
			   arg);
	}
	ret = dev_id_word(cmd, arg, &id, err, errlen);
	return ret < 0 ? ret : del_add_id(d, id);
}

int ubr_parse_del(int argc, char **argv, struct ubr_del_args *d, char *err,
		  size_t errlen)
{
	int i, ret = 0;

	memset(d, 0, sizeof(*d));
	err[0] = '\0';
	if (argc > 1) {
		d->ids = calloc((size_t)argc, sizeof(*d->ids));
		d->names = calloc((size_t)argc, sizeof(*d->names));
		if (!d->ids || !d->names) {
			ubr_del_args_release(d);
			say(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	for (i = 1; i < argc && !ret; i++)
		ret = del_word(d, argv[0], argv[i], err, errlen);
	if (!ret && d->all && (d->nr_ids || d->nr_names))
		ret = say(err, errlen, "%s takes device IDs or --all, not both",
			  argv[0]);
	/* Another process's device is named, never swept up by --all. */
	if (!ret && d->force && d->all)
		ret = say(err, errlen, "del --force takes device IDs, not --all");
	/* recover without IDs means all of them; del must say so. */
	if (!ret && !d->all && !d->nr_ids && !strcmp(argv[0], "recover"))
		d->all = true;
	if (!ret && !d->all && !d->nr_ids && !d->nr_names)
		ret = say(err, errlen, "del needs device IDs or --all");
	if (ret < 0)
		ubr_del_args_release(d);
	return ret;
}

void ubr_del_args_release(struct ubr_del_args *d)
{
	free(d->ids);
	d->ids = NULL;
	d->nr_ids = 0;
	free(d->names);
	d->names = NULL;
	d->nr_names = 0;
}

/* --- update-size, quiesce, resume ---------------------------------------- */

int ubr_parse_dev_id(const char *arg, uint32_t *id, char *err, size_t errlen)
{
	uint64_t v;
	int ret = ubr_parse_u64(arg, 0, UBR_MAX_DEV_ID, &v);

	if (ret == -ERANGE)
		return say(err, errlen, "invalid device ID '%s': must be 0..%u",
			   arg, UBR_MAX_DEV_ID);
	if (ret)
		return say(err, errlen, "invalid device ID '%s': not a number",
			   arg);
	*id = (uint32_t)v;
	return 0;
}

/* These commands take no option: a word like one is a mistake. */
static int no_options(int argc, char **argv, char *err, size_t errlen)
{
	int i;

	err[0] = '\0';
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return say(err, errlen, "unknown option '%s' for %s",
				   argv[i], argv[0]);
	return 0;
}

int ubr_parse_id_cmd(int argc, char **argv, uint32_t *id, char *err,
		     size_t errlen)
{
	int ret = no_options(argc, argv, err, errlen);

	if (ret)
		return ret;
	if (argc != 2)
		return say(err, errlen, "%s needs one device ID%s", argv[0],
			   argc > 2 ? " (no more)" : "");
	return ubr_parse_dev_id(argv[1], id, err, errlen);
}

int ubr_parse_update_size(int argc, char **argv, uint32_t *id,
			  uint64_t *size, char *err, size_t errlen)
{
	const uint64_t max = 1ULL << 62;
	int ret = no_options(argc, argv, err, errlen);

	if (ret)
		return ret;
	if (argc != 3)
		return say(err, errlen, "%s needs a device ID and a size",
			   argv[0]);
	ret = ubr_parse_dev_id(argv[1], id, err, errlen);
	if (ret)
		return ret;
	ret = ubr_parse_size(argv[2], size);
	if (ret == -EINVAL)
		return say(err, errlen,
			   "invalid size '%s': not a size (bytes, or with a K, M, G or T suffix)",
			   argv[2]);
	if (ret == -ERANGE || *size < 512 || *size > max)
		return say(err, errlen, "invalid size '%s': must be 512..4E",
			   argv[2]);
	if (*size % 512)
		return say(err, errlen,
			   "invalid size '%s': must be a multiple of 512", argv[2]);
	return 0;
}

/* Command cmd, whose one option is the flag `name`: *set if it came. */
static int parse_flag_only(int argc, char **argv, const char *cmd,
			   const char *name, bool *set, char *err,
			   size_t errlen)
{
	int i;

	*set = false;
	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], name))
			return say(err, errlen, "unknown argument '%s' for %s",
				   argv[i], cmd);
		*set = true;
	}
	return 0;
}

int ubr_parse_list(int argc, char **argv, bool *json, char *err,
		   size_t errlen)
{
	return parse_flag_only(argc, argv, "list", "--json", json, err,
			       errlen);
}

int ubr_parse_stop(int argc, char **argv, bool *delete_devs, char *err,
		   size_t errlen)
{
	return parse_flag_only(argc, argv, "stop", "--delete", delete_devs,
			       err, errlen);
}

int ubr_parse_no_args(int argc, char **argv, char *err, size_t errlen)
{
	err[0] = '\0';
	if (argc > 1)
		return say(err, errlen, "%s takes no arguments (got '%s')",
			   argv[0], argv[1]);
	return 0;
}

/* `stats [--json] [ID...]`: IDs in command order, duplicates kept once. */
int ubr_parse_stats(int argc, char **argv, struct ubr_stats_args *a,
		    char *err, size_t errlen)
{
	uint32_t id;
	unsigned j;
	int i, ret;

	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	a->ids = calloc((size_t)argc, sizeof(*a->ids));
	if (!a->ids) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
			continue;
		}
		ret = dev_id_word("stats", argv[i], &id, err, errlen);
		if (ret < 0) {
			ubr_stats_args_release(a);
			return ret;
		}
		for (j = 0; j < a->nr_ids && a->ids[j] != id; j++)
			;
		if (j == a->nr_ids)
			a->ids[a->nr_ids++] = id;
	}
	return 0;
}

void ubr_stats_args_release(struct ubr_stats_args *a)
{
	free(a->ids);
	a->ids = NULL;
	a->nr_ids = 0;
}
