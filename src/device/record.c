/* SPDX-License-Identifier: MIT */
/*
 * Recovery records as text (the format is described in ubr_record.h):
 * pure formatting and parsing, no files, so the unit tests cover every
 * corrupt and truncated shape a crash or an editor can leave.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_record.h"
#include "ubr_target.h"
#include "ubr_util.h"

#define RECORD_MAGIC "ublk-reactor record " /* then the version */

/*
 * Version 2's common fields: every typed option of add but the enums, the
 * files and the target's own (the target's table has those). "target"
 * comes first, so that the target's fields after it can be read.
 */
#define COMMON(kind, member, key) UBR_TGT_FIELD(kind, struct ubr_dev_opts, member, key)
static const struct ubr_tgt_field common_fields[] = {
	COMMON(STR, target, "target"),
	COMMON(UINT, nr_queues, "queues"),
	COMMON(UINT, depth, "depth"),
	COMMON(UINT, max_io_bytes, "max-io-size"),
	COMMON(UINT, size, "size"),
	COMMON(UINT, logical_bs, "logical-block-size"),
	COMMON(BOOL, read_only, "read-only"),
	COMMON(BOOL, no_part_scan, "no-partition-scan"),
	COMMON(STR, name, "name"),
	COMMON(STR, scheduler, "scheduler"),
	{ .key = NULL },
};
#undef COMMON

/* A value goes on one line, after one blank. */
static bool value_ok(const char *v)
{
	return !strchr(v, '\n');
}

/* Append a line (or part of one) to buf: 0, or -ENOSPC. */
static int put(char *buf, size_t len, size_t *n, const char *fmt, ...)
	UBR_PRINTF(4, 5);

static int put(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len - *n)
		return -ENOSPC;
	*n += (size_t)w;
	return 0;
}

/*
 * Fields of a table as "PREFIXKEY VALUE" lines; empty strings are left
 * out. The value is formatted in place, at the end of the text: a string
 * field may be as long as the target likes.
 */
static int put_fields(const struct ubr_tgt_field *f, const void *opts,
		      const char *prefix, char *buf, size_t len, size_t *n)
{
	size_t start;
	int ret, w;

	for (; f && f->key; f++) {
		start = *n;
		ret = put(buf, len, n, "%s%s ", prefix, f->key);
		w = ret ? ret : ubr_tgt_field_format(f, opts, buf + *n, len - *n);
		if (w < 0)
			return w;
		if (!value_ok(buf + *n))
			return -EINVAL;
		if (!w) { /* an empty string: no line */
			*n = start;
			buf[start] = '\0';
			continue;
		}
		*n += (size_t)w;
		ret = put(buf, len, n, "\n");
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int format_v1(const struct ubr_record *rec, char *buf, size_t len,
		     size_t *n)
{
	unsigned i;
	int ret;

	ret = put(buf, len, n, "recovery %s\ncopy-mode %s\n",
		  ubr_recovery_name(rec->recovery),
		  ubr_copy_mode_name(rec->copy_mode));
	for (i = 0; i < rec->nr_files && !ret; i++)
		ret = put(buf, len, n, "file %u %" PRIu64 " %" PRIu64 "\n", i,
			  rec->file_dev[i], rec->file_ino[i]);
	for (i = 0; i < rec->nr_words && !ret; i++)
		ret = value_ok(rec->words[i]) ?
			      put(buf, len, n, "word %s\n", rec->words[i]) :
			      -EINVAL;
	return ret;
}

static int format_v2(const struct ubr_record *rec, char *buf, size_t len,
		     size_t *n)
{
	const struct ubr_dev_opts *o = &rec->opts;
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	unsigned i;
	int ret;

	if (!t)
		return -EINVAL;
	ret = put(buf, len, n,
		  "dev-copy-mode %s\ndev-recovery %s\ndev-size %" PRIu64 "\n",
		  ubr_copy_mode_name(rec->copy_mode),
		  ubr_recovery_name(rec->recovery), rec->dev_size);
	if (!ret)
		ret = put_fields(common_fields, o, "", buf, len, n);
	if (!ret)
		ret = put(buf, len, n, "copy-mode %s\nrecovery %s\n",
			  ubr_copy_mode_name(o->copy_mode),
			  ubr_recovery_name(o->recovery));
	/* Absent means off: the records of daemons before the option. */
	if (!ret && o->batch_io != UBR_BATCH_IO_OFF)
		ret = put(buf, len, n, "batch-io %s\n",
			  ubr_batch_io_name(o->batch_io));
	for (i = 0; i < o->nr_files && !ret; i++)
		ret = o->paths[i] && value_ok(o->paths[i]) ?
			      put(buf, len, n,
				  "file %u %" PRIu64 " %" PRIu64 " %s\n", i,
				  rec->file_dev[i], rec->file_ino[i],
				  o->paths[i]) :
			      -EINVAL;
	if (!ret)
		ret = put_fields(t->fields, o->tgt_opts, "tgt.", buf, len, n);
	return ret;
}

int ubr_record_format(const struct ubr_record *rec, char *buf, size_t len)
{
	size_t n = 0;
	int ret;

	if (rec->version != 1 && rec->version != 2)
		return -EINVAL;
	ret = put(buf, len, &n, "%s%u\nid %" PRIu32 "\n", RECORD_MAGIC,
		  rec->version, rec->id);
	if (!ret)
		ret = rec->version == 1 ? format_v1(rec, buf, len, &n) :
					  format_v2(rec, buf, len, &n);
	if (!ret)
		ret = put(buf, len, &n, "end\n");
	return ret < 0 ? ret : (int)n;
}

void ubr_record_release(struct ubr_record *rec)
{
	unsigned i;

	for (i = 0; i < rec->nr_words; i++)
		free(rec->words[i]);
	free(rec->words);
	if (rec->version == 2)
		ubr_dev_opts_release(&rec->opts);
	memset(rec, 0, sizeof(*rec));
}

struct parse {
	struct ubr_record *rec;
	unsigned line;
	bool have_id, have_recovery, have_copy, have_target, ended;
	char *err;
	size_t errlen;
};

static int bad(struct parse *p, const char *fmt, ...) UBR_PRINTF(2, 3);

static int bad(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "line %u: ", p->line);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int add_word(struct parse *p, const char *w)
{
	struct ubr_record *rec = p->rec;
	char **words;

	if (rec->nr_words >= 1024)
		return bad(p, "too many words");
	words = realloc(rec->words, (rec->nr_words + 1) * sizeof(*words));
	if (!words)
		return -ENOMEM;
	rec->words = words;
	words[rec->nr_words] = strdup(w);
	if (!words[rec->nr_words])
		return -ENOMEM;
	rec->nr_words++;
	return 0;
}

/*
 * A decimal number followed by the character END ('\0': the string's end);
 * moves *s past both. Neither sscanf nor strtoull: a static musl's scanf
 * weighs 12 KiB, its strto* 2.4 KiB (see ubr_util.h).
 */
static bool take_u64(const char **s, char end, uint64_t *out)
{
	const char *e;

	if (ubr_parse_digits(*s, &e, out) || *e != end)
		return false;
	*s = end ? e + 1 : e;
	return true;
}

/* A target whose FILE word is a network address, not a path (nbd)? */
static bool socket_backed(const struct ubr_record *rec)
{
	const struct ubr_target_ops *t = ubr_target_find(rec->opts.target);

	return t && t->backing == UBR_BACKING_SOCKET;
}

/*
 * "INDEX DEV INO" (version 1), then " PATH" (version 2): the FILE word as
 * the client resolved it, an absolute path (or a socket-backed target's
 * network address).
 */
static int parse_file(struct parse *p, const char *v)
{
	struct ubr_record *rec = p->rec;
	bool v2 = rec->version == 2;
	uint64_t idx, dev, ino;

	if (!take_u64(&v, ' ', &idx) || !take_u64(&v, ' ', &dev) ||
	    !take_u64(&v, v2 ? ' ' : '\0', &ino) ||
	    (v2 && *v != '/' && !(*v && socket_backed(rec))))
		return bad(p, v2 ? "'file' needs INDEX DEV INODE PATH" :
				   "'file' needs INDEX DEV INODE");
	if (idx != rec->nr_files || idx >= UBR_MAX_FILES)
		return bad(p, "file %" PRIu64 " out of order", idx);
	if (v2) {
		rec->opts.paths[idx] = strdup(v);
		if (!rec->opts.paths[idx])
			return -ENOMEM;
		rec->opts.nr_files++;
	}
	rec->file_dev[idx] = dev;
	rec->file_ino[idx] = ino;
	rec->nr_files++;
	return 0;
}

static int parse_id(struct parse *p, const char *v)
{
	uint64_t id;

	if (!take_u64(&v, '\0', &id) || id > UINT32_MAX - 1)
		return bad(p, "bad id '%.32s'", v);
	p->rec->id = (uint32_t)id;
	p->have_id = true;
	return 0;
}

static int parse_copy(struct parse *p, const char *v, enum ubr_copy_mode *m)
{
	if (ubr_copy_mode_parse(v, m) < 0)
		return bad(p, "bad copy mode '%.32s'", v);
	return 0;
}

/* A recovery mode; "default" only where it means "none asked for". */
static int parse_recovery(struct parse *p, const char *v, bool asked,
			  enum ubr_recovery *m)
{
	if (asked && !strcmp(v, ubr_recovery_name(UBR_RECOVERY_DEFAULT)))
		*m = UBR_RECOVERY_DEFAULT;
	else if (ubr_recovery_parse(v, m) < 0)
		return bad(p, "bad recovery mode '%.32s'", v);
	return 0;
}

/* The target, once: its options struct is what its tgt.* lines fill. */
static int take_target(struct parse *p)
{
	struct ubr_dev_opts *o = &p->rec->opts;
	const struct ubr_target_ops *t = ubr_target_find(o->target);

	if (p->have_target)
		return bad(p, "'target' given twice");
	if (!t)
		return bad(p, "unknown target '%.32s'", o->target);
	p->have_target = true;
	if (!t->opts_size)
		return 0;
	o->tgt_opts = calloc(1, t->opts_size);
	return o->tgt_opts ? 0 : -ENOMEM;
}

/* One of the table's fields: 1 if key is not in it. */
static int parse_field(struct parse *p, const struct ubr_tgt_field *fields,
		       void *opts, const char *key, const char *v)
{
	const struct ubr_tgt_field *f = ubr_tgt_field_find(fields, key);

	if (!f)
		return 1;
	if (!opts || ubr_tgt_field_parse(f, opts, v) < 0)
		return bad(p, "bad %s '%.32s'", key, v);
	return 0;
}

static int parse_tgt(struct parse *p, const char *key, const char *v)
{
	struct ubr_dev_opts *o = &p->rec->opts;
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	int ret;

	if (!p->have_target)
		return bad(p, "'tgt.%.32s' before 'target'", key);
	ret = parse_field(p, t->fields, o->tgt_opts, key, v);
	return ret > 0 ? bad(p, "target %s has no field '%.32s'", t->name, key) :
			 ret;
}

static int parse_v2(struct parse *p, const char *key, const char *v)
{
	struct ubr_record *rec = p->rec;
	int ret;

	/*
	 * Never written (an empty string has no line): read, it would not
	 * be what a formatting of it gives back.
	 */
	if (!*v)
		return bad(p, "'%.32s' without a value", key);
	if (!strcmp(key, "dev-copy-mode")) {
		p->have_copy = true;
		return parse_copy(p, v, &rec->copy_mode);
	}
	if (!strcmp(key, "copy-mode"))
		return parse_copy(p, v, &rec->opts.copy_mode);
	if (!strcmp(key, "dev-recovery")) {
		p->have_recovery = true;
		return parse_recovery(p, v, false, &rec->recovery);
	}
	if (!strcmp(key, "recovery"))
		return parse_recovery(p, v, true, &rec->opts.recovery);
	if (!strcmp(key, "batch-io"))
		return ubr_batch_io_parse(v, &rec->opts.batch_io) < 0 ?
			       bad(p, "bad batch-io '%.32s'", v) : 0;
	if (!strcmp(key, "dev-size"))
		return take_u64(&v, '\0', &rec->dev_size) ? 0 :
			bad(p, "bad dev-size '%.32s'", v);
	if (!strncmp(key, "tgt.", 4))
		return parse_tgt(p, key + 4, v);
	if (p->have_target && !strcmp(key, "target"))
		return bad(p, "'target' given twice");
	ret = parse_field(p, common_fields, &rec->opts, key, v);
	if (!ret && !strcmp(key, "target"))
		ret = take_target(p);
	return ret > 0 ? bad(p, "unknown key '%.32s'", key) : ret;
}

static int parse_v1(struct parse *p, const char *key, const char *v)
{
	if (!strcmp(key, "word"))
		return add_word(p, v);
	if (!strcmp(key, "copy-mode")) {
		p->have_copy = true;
		return parse_copy(p, v, &p->rec->copy_mode);
	}
	if (!strcmp(key, "recovery")) {
		p->have_recovery = true;
		return parse_recovery(p, v, false, &p->rec->recovery);
	}
	return bad(p, "unknown key '%.32s'", key);
}

static int parse_line(struct parse *p, char *key)
{
	char *v = strchr(key, ' ');

	if (p->ended)
		return bad(p, "text after 'end'");
	if (!strcmp(key, "end")) {
		p->ended = true;
		return 0;
	}
	if (!v)
		return bad(p, "'%.32s' without a value", key);
	*v++ = '\0';
	if (!strcmp(key, "file"))
		return parse_file(p, v);
	if (!strcmp(key, "id"))
		return parse_id(p, v);
	return p->rec->version == 1 ? parse_v1(p, key, v) : parse_v2(p, key, v);
}

/* The first line: the magic and a version this daemon reads. */
static int parse_magic(struct parse *p, char **s)
{
	size_t n = strlen(RECORD_MAGIC);
	char *nl = strchr(*s, '\n');

	if (strncmp(*s, RECORD_MAGIC, n) || !nl)
		return bad(p, "not a ublk-reactor record");
	*nl = '\0';
	if (!strcmp(*s + n, "1")) {
		p->rec->version = 1;
	} else if (!strcmp(*s + n, "2")) {
		p->rec->version = 2;
		ubr_dev_opts_init(&p->rec->opts);
	} else {
		return bad(p, "record version '%.16s' unknown (this daemon reads 1 and 2)",
			   *s + n);
	}
	*s = nl + 1;
	return 0;
}

static int parse_lines(struct parse *p, char *s)
{
	char *nl;
	int ret;

	ret = parse_magic(p, &s);
	while (*s && !ret) {
		p->line++;
		nl = strchr(s, '\n');
		if (!nl)
			return bad(p, "truncated (no newline)");
		*nl = '\0';
		ret = parse_line(p, s);
		s = nl + 1;
	}
	return ret;
}

/* What a complete record holds, once every line is read. */
static int check_v1(struct parse *p)
{
	struct ubr_record *rec = p->rec;

	if (!p->have_id || !p->have_recovery || !p->have_copy)
		return bad(p, "'id', 'recovery' or 'copy-mode' missing");
	if (rec->nr_words < 2 || strcmp(rec->words[0], "add"))
		return bad(p, "no add command line");
	return 0;
}

static int check_v2(struct parse *p)
{
	const struct ubr_dev_opts *o = &p->rec->opts;
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	char nerr[128];

	if (!p->have_id || !p->have_recovery || !p->have_copy ||
	    !p->have_target)
		return bad(p, "'id', 'dev-recovery', 'dev-copy-mode' or 'target' missing");
	if (o->nr_files < t->min_files || o->nr_files > t->max_files)
		return bad(p, "target %s takes %u to %u files, not %u", t->name,
			   t->min_files, t->max_files, o->nr_files);
	if (!o->nr_queues || !o->depth || !o->max_io_bytes ||
	    (o->logical_bs != 512 && o->logical_bs != 4096))
		return bad(p, "queues, depth, max-io-size or logical-block-size out of range");
	if (o->name[0] && ubr_name_check(o->name, nerr, sizeof(nerr)) < 0)
		return bad(p, "bad name: %s", nerr);
	if (!ubr_scheduler_name_ok(o->scheduler))
		return bad(p, "bad scheduler '%.32s'", o->scheduler);
	return 0;
}

int ubr_record_parse(const char *text, struct ubr_record *rec, char *err,
		     size_t errlen)
{
	struct parse p = { .rec = rec, .line = 1, .err = err, .errlen = errlen };
	char *copy = strdup(text);
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (!copy)
		return -ENOMEM;
	ret = parse_lines(&p, copy);
	free(copy);
	if (!ret && !p.ended)
		ret = bad(&p, "truncated (no 'end')");
	else if (!ret)
		ret = rec->version == 1 ? check_v1(&p) : check_v2(&p);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret < 0)
		ubr_record_release(rec);
	return ret;
}
