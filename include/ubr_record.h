/* SPDX-License-Identifier: MIT */
/*
 * Recovery records: what a new daemon needs to reattach a device the kernel
 * kept alive after the old daemon died. One small text file per device,
 * RUNDIR/devices/ID, written atomically (temp file, fsync, rename), so a
 * crash at any moment leaves either the old record or the new one.
 *
 * Version 2 (written today) holds the device's options as typed fields,
 * what the user said kept apart from what the device became:
 *
 *	ublk-reactor record 2
 *	id 3				(the kernel's device ID)
 *	dev-copy-mode zero		(what the device became: its copy mode,
 *	dev-recovery reissue		 recovery mode and size in bytes, as
 *	dev-size 2147483648		 update-size left it)
 *	target loop			(what the user said: add's options;
 *	queues 1			 size 0 is the target's default)
 *	depth 128
 *	max-io-size 524288
 *	size 1073741824
 *	logical-block-size 512
 *	read-only 0
 *	copy-mode auto
 *	recovery default
 *	no-partition-scan 0
 *	name db				(absent: no name)
 *	scheduler none
 *	file 0 2049 131075 /srv/a.img	(FILE index, st_dev, st_ino, path)
 *	tgt.buffered 0			(the target's fields, from its table)
 *	end				(absent: the record is truncated)
 *
 * Version 1 (round 1) kept the add command line instead, parsed again on
 * recovery: "id", "recovery", "copy-mode" (the device's), "file INDEX DEV
 * INO" and one "word W" line per word. It is still read.
 */
#ifndef UBR_RECORD_H
#define UBR_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ubr_dev.h"

#define UBR_RECORD_DIR "devices"
#define UBR_RECORD_MAX (64U << 10) /* bytes: larger is corrupt */

#define UBR_RECORD_VERSION 2 /* the one written */

struct ubr_record {
	unsigned version; /* 1 or 2 */
	uint32_t id;
	/* The device's modes, not the ones asked for (those are in opts). */
	enum ubr_recovery recovery;
	enum ubr_copy_mode copy_mode;
	unsigned nr_files;
	uint64_t file_dev[UBR_MAX_FILES], file_ino[UBR_MAX_FILES];
	/* Version 1: the add words (FILE words as absolute paths). */
	unsigned nr_words;
	char **words;
	/*
	 * Version 2: what the user said (opts.paths hold the files, no
	 * descriptors), and the device's size in bytes when written.
	 */
	struct ubr_dev_opts opts;
	uint64_t dev_size;
};

/*
 * Text of rec (in its version) into buf: its length, or -ENOSPC, or
 * -EINVAL (a newline in a value, an unknown target or version).
 */
int ubr_record_format(const struct ubr_record *rec, char *buf, size_t len);
/*
 * Parse text (NUL-terminated), either version; -EINVAL with "line N: why"
 * in err. rec is released on failure.
 */
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
