/* SPDX-License-Identifier: MIT */
/*
 * The recovery record reader (RUNDIR/devices/ID): any text, either
 * version. What it accepts must survive what `recover` does next (a
 * version 1 record's words through the `add` parser) and a round trip:
 * formatted again, it parses to the same record (version 2: the same
 * options, field by field).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ubr_dev_opts_parse.h"
#include "ubr_dev.h"
#include "ubr_record.h"

#define TEXT_MAX (64U << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_record(const struct ubr_record *a, const struct ubr_record *b)
{
	unsigned i;

	if (a->version != b->version || a->id != b->id ||
	    a->recovery != b->recovery || a->copy_mode != b->copy_mode ||
	    a->nr_files != b->nr_files || a->nr_words != b->nr_words ||
	    a->dev_size != b->dev_size)
		abort();
	if (a->version == 2 && !ubr_dev_opts_same(&a->opts, &b->opts))
		abort();
	for (i = 0; i < a->nr_files; i++)
		if (a->file_dev[i] != b->file_dev[i] ||
		    a->file_ino[i] != b->file_ino[i])
			abort();
	for (i = 0; i < a->nr_words; i++)
		if (strcmp(a->words[i], b->words[i]))
			abort();
}

static void round_trip(const struct ubr_record *rec)
{
	struct ubr_record again;
	char *buf = malloc(TEXT_MAX), err[256];
	int n;

	if (!buf)
		return;
	n = ubr_record_format(rec, buf, TEXT_MAX);
	if (n >= 0) {
		if (ubr_record_parse(buf, &again, err, sizeof(err)))
			abort(); /* we wrote what we cannot read */
		same_record(rec, &again);
		ubr_record_release(&again);
	}
	free(buf);
}

static void as_recover_does(const struct ubr_record *rec)
{
	struct ubr_dev_opts o;
	char err[256];

	if (rec->version == 1 &&
	    ubr_parse_add((int)rec->nr_words, rec->words, &o, err,
			  sizeof(err)) == 0)
		ubr_dev_opts_release(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ubr_record rec;
	char *text, err[256];

	if (size > TEXT_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ubr_record_parse(text, &rec, err, sizeof(err)) == 0) {
		as_recover_does(&rec);
		round_trip(&rec);
		ubr_record_release(&rec);
	}
	free(text);
	return 0;
}
