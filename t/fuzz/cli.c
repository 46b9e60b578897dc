/* SPDX-License-Identifier: MIT */
/*
 * The command-line parsers: the first byte picks a command, the rest is
 * its words (split at NUL bytes). Each parser must accept or refuse with
 * a message, never crash, and leave nothing allocated when it refuses.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "fuzz_words.h"
#include "ubr_cli.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char err[256];

static void parse_add(struct fuzz_words *w)
{
	struct ubr_dev_opts o;
	int file_argi[UBR_MAX_FILES];

	if (ubr_parse_add_at(w->argc, w->argv, &o, file_argi, err,
			     sizeof(err)) == 0)
		ubr_dev_opts_release(&o);
}

static void parse_del(struct fuzz_words *w)
{
	struct ubr_del_args d;

	if (ubr_parse_del(w->argc, w->argv, &d, err, sizeof(err)) == 0)
		ubr_del_args_release(&d);
}

static void parse_stats(struct fuzz_words *w)
{
	struct ubr_stats_args a;

	if (ubr_parse_stats(w->argc, w->argv, &a, err, sizeof(err)) == 0)
		ubr_stats_args_release(&a);
}

static void parse_small(struct fuzz_words *w, unsigned which)
{
	uint64_t size;
	uint32_t id;
	bool flag;

	switch (which) {
	case 0: ubr_parse_list(w->argc, w->argv, &flag, err, sizeof(err)); break;
	case 1: ubr_parse_stop(w->argc, w->argv, &flag, err, sizeof(err)); break;
	case 2: ubr_parse_id_cmd(w->argc, w->argv, &id, err, sizeof(err)); break;
	case 3:
		ubr_parse_update_size(w->argc, w->argv, &id, &size, err,
				      sizeof(err));
		break;
	case 4: ubr_parse_no_args(w->argc, w->argv, err, sizeof(err)); break;
	default:
		ubr_parse_size(w->argv[w->argc > 1], &size);
		ubr_name_check(w->argv[w->argc > 1], err, sizeof(err));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_words w;
	unsigned which;

	if (size < 1)
		return 0;
	which = data[0] % 9;
	if (fuzz_words_split(&w, data + 1, size - 1) < 0)
		return 0;
	/* argv[0] is the command's name, as the parsers expect. */
	switch (which) {
	case 0: w.argv[0] = "add"; parse_add(&w); break;
	case 1: w.argv[0] = "del"; parse_del(&w); break;
	case 2: w.argv[0] = "stats"; parse_stats(&w); break;
	default: parse_small(&w, which - 3); break;
	}
	fuzz_words_release(&w);
	return 0;
}
