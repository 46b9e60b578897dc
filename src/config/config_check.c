/* SPDX-License-Identifier: MIT */
/*
 * `ublk-reactor config check [FILE]`: everything a reload would find wrong
 * with a configuration file, without a daemon and without touching a
 * device: syntax, options, names, and whether each backing file opens as
 * the daemon would open it. Problems go to stderr as "FILE:LINE: message",
 * the form editors jump to.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ubr_backing.h"
#include "ubr_config.h"
#include "ubr_exit.h"

static int usage(const char *msg)
{
	fprintf(stderr, "ublk-reactor: %s (usage: ublk-reactor config check [FILE])\n",
		msg);
	return UBR_EXIT_USAGE;
}

/* Open the files of every good line, as the daemon would, and close them. */
static int check_files(struct ubr_config *c)
{
	struct ubr_config_entry *e;
	char err[256];
	unsigned i;
	int ret;

	for (i = 0; i < c->nr_entries; i++) {
		e = &c->entries[i];
		if (!e->ok || ubr_backing_open_all(&e->opts, true, err, sizeof(err)) == 0)
			continue;
		e->ok = false;
		ret = ubr_config_error(c, e->line, "%s", err);
		if (ret)
			return ret;
	}
	ubr_config_sort_errors(c);
	return 0;
}

static unsigned good_lines(const struct ubr_config *c)
{
	unsigned i, n = 0;

	for (i = 0; i < c->nr_entries; i++)
		n += c->entries[i].ok;
	return n;
}

static int config_check(const char *path, bool must_exist)
{
	struct ubr_config c;
	unsigned i;
	int ret;

	ret = ubr_config_load(&c, path, must_exist);
	if (!ret)
		ret = check_files(&c);
	if (ret == -ENOMEM) {
		ubr_config_release(&c);
		fprintf(stderr, "ublk-reactor: out of memory\n");
		return UBR_EXIT_FAIL;
	}
	for (i = 0; i < c.nr_errors; i++)
		fprintf(stderr, "%s\n", c.errors[i].text);
	if (c.missing)
		printf("%s: no such file: no devices\n", path);
	else if (!c.nr_errors)
		printf("%s: %u device(s), no errors\n", path, good_lines(&c));
	ret = c.nr_errors ? UBR_EXIT_FAIL : UBR_EXIT_OK;
	ubr_config_release(&c);
	return fflush(stdout) ? UBR_EXIT_FAIL : ret;
}

int ubr_config_main(int argc, char **argv)
{
	if (argc < 2)
		return usage("config needs a subcommand");
	if (strcmp(argv[1], "check")) {
		fprintf(stderr, "ublk-reactor: unknown config subcommand '%s' (usage: ublk-reactor config check [FILE])\n",
			argv[1]);
		return UBR_EXIT_USAGE;
	}
	if (argc > 3)
		return usage("config check takes one FILE at most");
	if (argc == 3 && argv[2][0] == '-' && argv[2][1])
		return usage("config check takes no options");
	if (argc == 3)
		return config_check(argv[2], true);
	return config_check(UBR_CONFIG_DEFAULT, false);
}
