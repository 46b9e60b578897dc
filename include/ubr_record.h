/* SPDX-License-Identifier: MIT */
/*
 * Recovery records: what a new daemon needs to reattach a device the kernel
 * kept alive after the old daemon died. One small text file per device,
 * RUNDIR/devices/ID, written atomically (temp file, fsync, rename), so a
 * crash at any moment leaves either the old record or the new one:
 *
 *	ublk-reactor record 1
 *	id 3
 *	recovery reissue
 *	copy-mode zero
 *	file 0 2049 131075		(FILE index, st_dev, st_ino)
 *	word add			(the add command line, one word a line,
 *	word TARGET			 FILE words as absolute paths)
 *	word /srv/disk.img
 *	end				(absent: the record is truncated)
 *
 * The device is recreated by parsing the words again with the same parser
 * as `add`, so every option and target is recorded without a field here.
 */
#ifndef UBR_RECORD_H
#define UBR_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ubr_dev.h"

#define UBR_RECORD_DIR "devices"
#define UBR_RECORD_MAX (64U << 10) /* bytes: larger is corrupt */
#define UBR_ADD_MAX_WORDS 64	   /* as many as one admin request holds */

struct ubr_record {
	uint32_t id;
	enum ubr_recovery recovery;
	enum ubr_copy_mode copy_mode;
	unsigned nr_files;
	uint64_t file_dev[UBR_MAX_FILES], file_ino[UBR_MAX_FILES];
	unsigned nr_words;
	char **words;
};

/* Text of rec into buf: its length, or -ENOSPC, or -EINVAL (a newline). */
int ubr_record_format(const struct ubr_record *rec, char *buf, size_t len);
/* Parse text (NUL-terminated); -EINVAL with "line N: why" in err. */
int ubr_record_parse(const char *text, struct ubr_record *rec, char *err,
		     size_t errlen);
void ubr_record_release(struct ubr_record *rec);

/* The files under RUNDIR/devices/ (src/device/record_store.c). */
int ubr_record_save(const struct ubr_record *rec);
/* -ENOENT: no record; -EINVAL: corrupt (err says why). */
int ubr_record_load(uint32_t id, struct ubr_record *rec, char *err,
		    size_t errlen);
int ubr_record_remove(uint32_t id);
bool ubr_record_exists(uint32_t id);
/* The IDs that have a record, sorted; *ids is malloc'ed (NULL if none). */
int ubr_record_ids(uint32_t **ids, unsigned *n);

#endif /* UBR_RECORD_H */
