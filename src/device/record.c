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

#include "ubr_log.h"
#include "ubr_record.h"

#define RECORD_MAGIC "ublk-reactor record 1"

int ubr_record_format(const struct ubr_record *rec, char *buf, size_t len)
{
	size_t n = 0;
	unsigned i;
	int w;

#define PUT(...)                                                       \
	do {                                                           \
		w = snprintf(buf + n, len - n, __VA_ARGS__);           \
		if (w < 0 || (size_t)w >= len - n)                     \
			return -ENOSPC;                                \
		n += (size_t)w;                                        \
	} while (0)

	PUT("%s\nid %" PRIu32 "\nrecovery %s\ncopy-mode %s\n", RECORD_MAGIC,
	    rec->id, ubr_recovery_name(rec->recovery),
	    ubr_copy_mode_name(rec->copy_mode));
	for (i = 0; i < rec->nr_files; i++)
		PUT("file %u %" PRIu64 " %" PRIu64 "\n", i, rec->file_dev[i],
		    rec->file_ino[i]);
	for (i = 0; i < rec->nr_words; i++) {
		if (strchr(rec->words[i], '\n'))
			return -EINVAL;
		PUT("word %s\n", rec->words[i]);
	}
	PUT("end\n");
#undef PUT
	return (int)n;
}

void ubr_record_release(struct ubr_record *rec)
{
	unsigned i;

	for (i = 0; i < rec->nr_words; i++)
		free(rec->words[i]);
	free(rec->words);
	memset(rec, 0, sizeof(*rec));
}

struct parse {
	struct ubr_record *rec;
	unsigned line;
	bool have_id, have_recovery, have_copy, ended;
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
 * moves *s past both. strtoull, not sscanf: sscanf would bring a static
 * musl's whole scanf, floats and all, into the binary (10 KiB).
 */
static bool take_u64(const char **s, char end, uint64_t *out)
{
	char *e;

	if (!isdigit((unsigned char)**s))
		return false;
	errno = 0;
	*out = strtoull(*s, &e, 10);
	if (errno || *e != end)
		return false;
	*s = end ? e + 1 : e;
	return true;
}

static int parse_file(struct parse *p, const char *v)
{
	struct ubr_record *rec = p->rec;
	uint64_t idx, dev, ino;

	if (!take_u64(&v, ' ', &idx) || !take_u64(&v, ' ', &dev) ||
	    !take_u64(&v, '\0', &ino))
		return bad(p, "'file' needs INDEX DEV INODE");
	if (idx != rec->nr_files || idx >= UBR_MAX_FILES)
		return bad(p, "file %" PRIu64 " out of order", idx);
	rec->file_dev[idx] = dev;
	rec->file_ino[idx] = ino;
	rec->nr_files++;
	return 0;
}

static int parse_line(struct parse *p, char *key)
{
	struct ubr_record *rec = p->rec;
	char *v = strchr(key, ' '), *end;
	unsigned long long id;

	if (p->ended)
		return bad(p, "text after 'end'");
	if (!strcmp(key, "end")) {
		p->ended = true;
		return 0;
	}
	if (!v)
		return bad(p, "'%.32s' without a value", key);
	*v++ = '\0';
	if (!strcmp(key, "word"))
		return add_word(p, v);
	if (!strcmp(key, "file"))
		return parse_file(p, v);
	if (!strcmp(key, "id")) {
		errno = 0;
		id = strtoull(v, &end, 10);
		if (errno || *end || end == v || id > UINT32_MAX - 1)
			return bad(p, "bad id '%.32s'", v);
		rec->id = (uint32_t)id;
		p->have_id = true;
		return 0;
	}
	if (!strcmp(key, "recovery")) {
		p->have_recovery = true;
		if (ubr_recovery_parse(v, &rec->recovery) < 0)
			return bad(p, "bad recovery mode '%.32s'", v);
		return 0;
	}
	if (!strcmp(key, "copy-mode")) {
		p->have_copy = true;
		if (ubr_copy_mode_parse(v, &rec->copy_mode) < 0)
			return bad(p, "bad copy mode '%.32s'", v);
		return 0;
	}
	return bad(p, "unknown key '%.32s'", key);
}

static int parse_lines(struct parse *p, char *s)
{
	char *nl;
	int ret;

	if (strncmp(s, RECORD_MAGIC "\n", sizeof(RECORD_MAGIC)))
		return bad(p, "not a ublk-reactor record (version 1)");
	s += sizeof(RECORD_MAGIC);
	while (*s) {
		p->line++;
		nl = strchr(s, '\n');
		if (!nl)
			return bad(p, "truncated (no newline)");
		*nl = '\0';
		ret = parse_line(p, s);
		if (ret < 0)
			return ret;
		s = nl + 1;
	}
	return 0;
}

int ubr_record_parse(const char *text, struct ubr_record *rec, char *err,
		     size_t errlen)
{
	struct parse p = { rec, 1, false, false, false, false, err, errlen };
	char *copy = strdup(text);
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (!copy)
		return -ENOMEM;
	ret = parse_lines(&p, copy);
	free(copy);
	if (!ret && !p.ended)
		ret = bad(&p, "truncated (no 'end')");
	else if (!ret && (!p.have_id || !p.have_recovery || !p.have_copy))
		ret = bad(&p, "'id', 'recovery' or 'copy-mode' missing");
	else if (!ret && (rec->nr_words < 2 || strcmp(rec->words[0], "add")))
		ret = bad(&p, "no add command line");
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret < 0)
		ubr_record_release(rec);
	return ret;
}
