/* SPDX-License-Identifier: MIT */
/*
 * Recovery records, both versions: a record survives format + parse
 * unchanged (version 2: every option of every target), every damaged shape
 * (truncated anywhere, unknown keys, bad values, text after the end) is
 * refused with the line it is on, and so is an unknown version.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_record.h"
#include "ubr_target.h"

static char *words[] = { "add", "loop", "--copy-mode", "zero",
			 "/var/tmp/a b.img" };

static void sample(struct ubr_record *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 1;
	r->id = 17;
	r->recovery = UBR_RECOVERY_FAIL_IO;
	r->copy_mode = UBR_COPY_ZERO;
	r->nr_files = 1;
	r->file_dev[0] = 2049;
	r->file_ino[0] = 123456789012ULL;
	r->nr_words = 5;
	r->words = words;
}

static int parses(const char *text, const char *want_err)
{
	struct ubr_record r;
	char err[160] = "";
	int ret = ubr_record_parse(text, &r, err, sizeof(err));

	if (!ret)
		ubr_record_release(&r);
	if (want_err && !strstr(err, want_err))
		diag("error '%s' lacks '%s'", err, want_err);
	return want_err ? ret < 0 && strstr(err, want_err) != NULL : ret == 0;
}

/* --- version 2 ------------------------------------------------------------ */

/* add words into opts, as the client would parse them (no file opened). */
static bool parse_line(const char *line, struct ubr_dev_opts *o)
{
	char copy[512], *argv[40], err[256], *save = NULL, *w;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (w = strtok_r(copy, " ", &save); w && argc < 40;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	if (ubr_parse_add(argc, argv, o, err, sizeof(err)) == 0)
		return true;
	diag("'%s': %s", line, err);
	return false;
}

static void v2_of(struct ubr_record *r, const struct ubr_dev_opts *o)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->version = 2;
	r->id = 5;
	r->recovery = UBR_RECOVERY_FAIL_IO;
	r->copy_mode = UBR_COPY_USER;
	r->nr_files = o->nr_files;
	for (i = 0; i < o->nr_files; i++) {
		r->file_dev[i] = 2049 + i;
		r->file_ino[i] = 1000 + i;
	}
	r->opts = *o; /* borrowed: not released through r */
	r->dev_size = 5ULL << 30;
}

/* Format, parse, format again: the same options, facts and text. */
static void round_trip(const char *line)
{
	struct ubr_dev_opts o;
	struct ubr_record in, out;
	char buf[2048], again[2048], err[160];
	bool same;

	if (!ok(parse_line(line, &o), "parses: %s", line))
		return;
	v2_of(&in, &o);
	ok(ubr_record_format(&in, buf, sizeof(buf)) > 0, "formats: %s", line);
	if (!ok(ubr_record_parse(buf, &out, err, sizeof(err)) == 0,
		"reads back: %s", line)) {
		diag("%s", err);
		ubr_dev_opts_release(&o);
		return;
	}
	same = ubr_dev_opts_same(&o, &out.opts) && out.id == 5 &&
	       out.recovery == UBR_RECOVERY_FAIL_IO &&
	       out.copy_mode == UBR_COPY_USER && out.dev_size == 5ULL << 30 &&
	       out.nr_files == o.nr_files &&
	       !memcmp(out.file_dev, in.file_dev, sizeof(in.file_dev)) &&
	       !memcmp(out.file_ino, in.file_ino, sizeof(in.file_ino));
	ok(same, "every option and fact kept: %s", line);
	ubr_record_format(&out, again, sizeof(again));
	ok(!strcmp(again, buf), "and written the same again: %s", line);
	ubr_record_release(&out);
	ubr_dev_opts_release(&o);
}

/* A value for each target option, and what it needs beside it. */
static const struct sample {
	const char *target, *opt, *val, *needs;
} samples[] = {
	{ NULL, "buffered", NULL, NULL },
	{ "fault", "buffered", NULL, "--backing /f9" },
	{ "fault", "backing", "/f9", NULL },
	{ "fault", "delay", "10ms", NULL },
	{ "fault", "fail-rate", "0.5", NULL },
	{ "fault", "fail-ops", "read", "--fail-rate 0.5" },
	{ "fault", "fail-offset", "0-4096", "--fail-rate 0.5" },
	{ "fault", "seed", "7", "--fail-rate 0.5" },
	{ "stripe", "chunk-size", "128K", NULL },
	{ "nbd", "connections", "1", NULL },
	{ "nbd", "reconnect-timeout", "7", NULL },
};

static const struct sample *sample_of(const char *target, const char *opt)
{
	const struct sample *any = NULL;
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		if (strcmp(samples[i].opt, opt))
			continue;
		if (!samples[i].target)
			any = &samples[i];
		else if (!strcmp(samples[i].target, target))
			return &samples[i];
	}
	return any;
}

/* The FILE words target t needs at least. */
static const char *files_of(const struct ubr_target_ops *t)
{
	if (t->backing == UBR_BACKING_SOCKET)
		return "nbd://server";
	return t->min_files >= 2 ? "/f0 /f1" : t->min_files ? "/f0" : "";
}

/*
 * Each option of t's changes a field of its table: an option the table
 * missed would be lost by every recovery and ignored by reload.
 */
static void option_moves_a_field(const struct ubr_target_ops *t,
				 const struct ubr_tgt_opt *opt)
{
	const struct sample *s = sample_of(t->name, opt->name);
	struct ubr_dev_opts with, without;
	char l1[256], l2[256];

	if (!ok(s != NULL, "target %s: a sample for --%s in t/record.c",
		t->name, opt->name))
		return;
	snprintf(l1, sizeof(l1), "add %s %s --%s%s%s %s", t->name,
		 s->needs ? s->needs : "", opt->name, s->val ? " " : "",
		 s->val ? s->val : "", files_of(t));
	snprintf(l2, sizeof(l2), "add %s %s %s", t->name,
		 s->needs ? s->needs : "", files_of(t));
	if (!parse_line(l1, &with)) {
		ok(false, "target %s --%s: the sample parses", t->name,
		   opt->name);
		return;
	}
	if (parse_line(l2, &without)) {
		ok(!ubr_tgt_fields_same(t->fields, with.tgt_opts,
					without.tgt_opts),
		   "target %s: --%s changes a recorded field", t->name,
		   opt->name);
		ubr_dev_opts_release(&without);
	} else {
		ok(false, "target %s --%s: the line without it parses",
		   t->name, opt->name);
	}
	round_trip(l1);
	ubr_dev_opts_release(&with);
}

/* The field kinds a target may use, string included (no target has one yet). */
struct demo_opts {
	uint8_t u8;
	uint16_t u16;
	bool flag;
	char uri[12];
	uint64_t u64;
};

static const struct ubr_tgt_field demo_fields[] = {
	UBR_TGT_FIELD(UINT, struct demo_opts, u8, "u8"),
	UBR_TGT_FIELD(UINT, struct demo_opts, u16, "u16"),
	UBR_TGT_FIELD(BOOL, struct demo_opts, flag, "flag"),
	UBR_TGT_FIELD(STR, struct demo_opts, uri, "uri"),
	UBR_TGT_FIELD(UINT, struct demo_opts, u64, "u64"),
	{ .key = NULL },
};

static void test_fields(void)
{
	struct demo_opts a = { 0 }, b = { 0 };
	const struct ubr_tgt_field *u8 = &demo_fields[0], *u16 = &demo_fields[1],
				   *flag = &demo_fields[2], *uri = &demo_fields[3],
				   *u64 = &demo_fields[4];
	char v[32];

	is_int(ubr_tgt_field_parse(u8, &a, "255"), 0, "fields: 255 fits a byte");
	is_int(ubr_tgt_field_parse(u8, &a, "256"), -ERANGE, "fields: 256 does not");
	is_int(ubr_tgt_field_parse(u16, &a, "65535"), 0, "fields: 65535 fits 2 bytes");
	is_int(ubr_tgt_field_parse(u16, &a, "+1"), -EINVAL, "fields: a sign refused");
	is_int(ubr_tgt_field_parse(u64, &a, "18446744073709551615"), 0, "fields: 2^64-1 fits 8 bytes");
	is_int(ubr_tgt_field_parse(u64, &a, "18446744073709551616"), -ERANGE, "fields: 2^64 does not");
	is_int(ubr_tgt_field_parse(flag, &a, "1"), 0, "fields: a bool of 1");
	is_int(ubr_tgt_field_parse(flag, &a, "2"), -ERANGE, "fields: a bool of 2 refused");
	is_int(ubr_tgt_field_parse(uri, &a, "nbd://h:1/e"), 0, "fields: 11 chars fit 12 bytes");
	is_int(ubr_tgt_field_parse(uri, &b, "nbd://h:1/ex"), -ERANGE, "fields: 12 do not");
	ok(ubr_tgt_field_format(uri, &a, v, sizeof(v)) == 11 && !strcmp(v, "nbd://h:1/e"),
	   "fields: a string formats as itself");
	ok(ubr_tgt_field_format(u64, &a, v, sizeof(v)) > 0 && !strcmp(v, "18446744073709551615"),
	   "fields: 8 bytes format in full");
	is_int(ubr_tgt_field_format(u64, &a, v, 8), -ENOSPC, "fields: too small a buffer: -ENOSPC");
	ok(!ubr_tgt_fields_same(demo_fields, &a, &b), "fields: differing structs differ");
	ok(ubr_tgt_fields_same(demo_fields, NULL, &b), "fields: NULL is all zero");
	ubr_tgt_field_parse(uri, &a, "ab");
	b = a;
	b.uri[5] = 'x'; /* past the NUL: not part of the value */
	ok(ubr_tgt_fields_same(demo_fields, &a, &b), "fields: copies are the same");
	b.u16 = 1;
	ok(!ubr_tgt_fields_same(demo_fields, &a, &b), "fields: one field changed differs");
	ok(ubr_tgt_field_find(demo_fields, "uri") == uri && !ubr_tgt_field_find(demo_fields, "ur"),
	   "fields: found by the whole key");
}

#define V2_HEAD "ublk-reactor record 2\nid 1\ndev-copy-mode user\ndev-size 4096\ndev-recovery reissue\n"

static void test_v2_corrupt(void)
{
	struct ubr_dev_opts o;
	struct ubr_record in, out;
	char buf[2048], cut[2048], err[160];
	int len, i, bad = 0;

	ok(parses(V2_HEAD "target null\nend\n", NULL), "a minimal version 2 record is read");
	ok(parses(V2_HEAD "tgt.buffered 1\ntarget loop\nend\n", "line 6: 'tgt.buffered' before 'target'"),
	   "a target field before the target refused");
	ok(parses(V2_HEAD "target loop\ntgt.colour red\n", "line 7: target loop has no field 'colour'"),
	   "a field the target lacks refused");
	ok(parses(V2_HEAD "target floppy\n", "line 6: unknown target 'floppy'"), "an unknown target refused");
	ok(parses(V2_HEAD "target null\ntarget null\n", "'target' given twice"), "a second target refused");
	ok(parses(V2_HEAD "queues 65536\n", "line 6: bad queues '65536'"), "a value beyond its field refused");
	ok(parses(V2_HEAD "queues -1\n", "bad queues"), "a negative value refused");
	ok(parses(V2_HEAD "read-only 2\n", "bad read-only"), "a bool of 2 refused");
	ok(parses(V2_HEAD "target loop\ntgt.buffered yes\n", "bad buffered"), "a target bool not 0/1 refused");
	ok(parses(V2_HEAD "target loop\nfile 0 1 2\nend\n", "needs INDEX DEV INODE PATH"),
	   "a file without its path refused");
	ok(parses(V2_HEAD "target loop\nfile 0 1 2 a.img\nend\n", "needs INDEX DEV INODE PATH"),
	   "a relative path refused");
	ok(parses(V2_HEAD "target loop\nend\n", "target loop takes 1 to 1 files, not 0"),
	   "a file count the target refuses is refused");
	ok(parses(V2_HEAD "target null\ndepth 0\nend\n", "out of range"), "depth 0 refused");
	ok(parses(V2_HEAD "target null\nname 123\nend\n", "bad name"), "a bad name refused");
	/*
	 * Found by t/fuzz/record: an empty value read as "", formatted as no
	 * line, read back as the default.
	 */
	ok(parses(V2_HEAD "target null\nscheduler \nend\n", "line 7: 'scheduler' without a value"),
	   "an empty scheduler refused");
	ok(parses(V2_HEAD "target null\nname \nend\n", "'name' without a value"), "an empty name refused");
	ok(parses(V2_HEAD "target loop\ntgt.buffered \n", "'tgt.buffered' without a value"),
	   "an empty target field refused");
	ok(parses(V2_HEAD "target null\nscheduler ../x\nend\n", "bad scheduler '../x'"),
	   "a scheduler add would refuse is refused");
	ok(parses(V2_HEAD "target null\nword add\n", "unknown key 'word'"), "add words in version 2 refused");
	ok(parses(V2_HEAD "target null\nrecovery sometimes\n", "bad recovery mode"), "a bad recovery mode refused");
	ok(parses("ublk-reactor record 2\nid 1\ndev-copy-mode user\ndev-recovery default\n",
		  "bad recovery mode 'default'"), "the device's recovery mode is never 'default'");
	ok(parses("ublk-reactor record 2\nid 1\ndev-recovery off\ntarget null\nend\n", "missing"),
	   "a record without the device's copy mode refused");
	ok(parses("ublk-reactor record 1\nid 1\ndev-copy-mode user\n", "unknown key 'dev-copy-mode'"),
	   "version 2 keys in version 1 refused");

	/* Every proper prefix of a full record is refused. */
	if (!parse_line("add fault --backing /f0 --fail-rate 1% --name x", &o))
		return;
	v2_of(&in, &o);
	len = ubr_record_format(&in, buf, sizeof(buf));
	for (i = 0; i < len; i++) {
		memcpy(cut, buf, (size_t)i);
		cut[i] = '\0';
		if (ubr_record_parse(cut, &out, err, sizeof(err)) == 0) {
			ubr_record_release(&out);
			bad++;
		}
	}
	is_int(bad, 0, "every truncation of a version 2 record is refused");
	is_int(ubr_record_format(&in, buf, 64), -ENOSPC, "version 2: too small a buffer: -ENOSPC");
	free(o.paths[0]);
	o.paths[0] = strdup("/a\nb");
	in.opts = o;
	is_int(ubr_record_format(&in, buf, sizeof(buf)), -EINVAL, "a newline in a path is refused");
	ubr_dev_opts_release(&o);
}

static void test_v2(void)
{
	const struct ubr_tgt_opt *opt;
	unsigned i;

	round_trip("add null");
	round_trip("add null --queues 2 --depth 64 --max-io-size 256K --size 2G --logical-block-size 4096 --read-only --copy-mode user --recovery fail-io --batch-io on --no-partition-scan --name db.1 --scheduler mq-deadline");
	round_trip("add loop --copy-mode buffer --batch-io auto /var/tmp/b.img");
	round_trip("add loop --copy-mode zero --recovery reissue /var/tmp/a.img");
	round_trip("add stripe --buffered --chunk-size 256K /f0 /f1 /f2");
	round_trip("add fault --backing /f0 --buffered --delay 2ms --fail-rate 12.5% --fail-ops read,flush --fail-offset 1M-2M --seed 99");
	for (i = 0; i < ubr_target_count(); i++) {
		const struct ubr_target_ops *t = ubr_target_at(i);

		for (opt = t->opts; opt && opt->name; opt++)
			option_moves_a_field(t, opt);
	}
	test_v2_corrupt();
	test_fields();
}

/* The newer copy mode goes to the record by name and comes back. */
static void zero_explicit_roundtrip(struct ubr_record *in)
{
	struct ubr_record back;
	char buf[1024], err[160];

	in->copy_mode = UBR_COPY_ZERO_EXPLICIT;
	ok(ubr_record_format(in, buf, sizeof(buf)) > 0 &&
		   strstr(buf, "zero-explicit") != NULL,
	   "zero-explicit formats by its name");
	in->copy_mode = UBR_COPY_ZERO;
	if (ubr_record_parse(buf, &back, err, sizeof(err)) < 0) {
		ok(false, "and parses back: %s", err);
		return;
	}
	is_int(back.copy_mode, UBR_COPY_ZERO_EXPLICIT, "and parses back");
	ubr_record_release(&back);
}

int main(void)
{
	struct ubr_record in, out;
	char buf[1024], cut[1024], err[160];
	int len, i, bad = 0;

	sample(&in);
	len = ubr_record_format(&in, buf, sizeof(buf));
	ok(len > 0, "a record formats");
	is_int(ubr_record_parse(buf, &out, err, sizeof(err)), 0, "and parses");
	is_int(out.id, 17, "id kept");
	is_int(out.recovery, UBR_RECOVERY_FAIL_IO, "recovery mode kept");
	is_int(out.copy_mode, UBR_COPY_ZERO, "copy mode kept");
	zero_explicit_roundtrip(&in);
	ok(out.nr_files == 1 && out.file_dev[0] == 2049 &&
		   out.file_ino[0] == 123456789012ULL, "file identity kept");
	is_int(out.nr_words, 5, "every word kept");
	is_str(out.words[4], "/var/tmp/a b.img", "a path with a space kept");
	ubr_record_release(&out);

	is_int(ubr_record_format(&in, buf, 20), -ENOSPC, "too small a buffer: -ENOSPC");
	words[4] = "a\nb";
	is_int(ubr_record_format(&in, buf, sizeof(buf)), -EINVAL, "a newline in a word is refused");
	words[4] = "/var/tmp/a b.img";

	/* Every proper prefix of the record is refused. */
	len = ubr_record_format(&in, buf, sizeof(buf));
	for (i = 0; i < len; i++) {
		memcpy(cut, buf, (size_t)i);
		cut[i] = '\0';
		if (ubr_record_parse(cut, &out, err, sizeof(err)) == 0) {
			ubr_record_release(&out);
			bad++;
		}
	}
	is_int(bad, 0, "every truncation of the record is refused");
	ok(parses(buf, NULL), "the whole record is accepted");

	ok(parses("ublk-reactor record 3\nid 1\nend\n", "line 1: record version '3' unknown"),
	   "a later version refused, by its number");
	ok(parses("ublk-reactor record\nid 1\nend\n", "line 1: not a ublk-reactor record"),
	   "a record without a version refused");
	ok(parses("ublk-reactor journal 1\nid 1\nend\n", "line 1: not a ublk-reactor record"),
	   "another file refused");
	ok(parses("ublk-reactor record 1\nid 1\nrecovery reissue\ncopy-mode user\nword add\nword null\n",
		  "no 'end'"), "missing end refused");
	ok(parses("ublk-reactor record 1\nid x\n", "line 2: bad id"), "bad id refused with its line");
	ok(parses("ublk-reactor record 1\nid 1\ncolour red\n", "line 3: unknown key"), "unknown key refused");
	ok(parses("ublk-reactor record 1\nid 1\nrecovery sometimes\n", "bad recovery mode"), "bad mode refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 1 2 3\n", "out of order"), "file index out of order refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 0 2\n", "needs INDEX DEV INODE"), "short file line refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 0 2 3x\n", "needs INDEX DEV INODE"), "file line with junk refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 0 -2 3\n", "needs INDEX DEV INODE"), "negative device refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 0 2 99999999999999999999\n", "needs INDEX DEV INODE"),
	   "inode beyond 64 bits refused");
	ok(parses("ublk-reactor record 1\nid 1\nfile 4294967296 2 3\n", "out of order"),
	   "index beyond 32 bits is out of order, not wrapped to 0");
	ok(parses("ublk-reactor record 1\nid 1\nrecovery off\ncopy-mode user\nend\n", "no add command line"),
	   "record without words refused");
	ok(parses("ublk-reactor record 1\nid 1\nrecovery off\ncopy-mode user\nword add\nword null\nend\nword x\n",
		  "text after 'end'"), "text after end refused");
	ok(parses("ublk-reactor record 1\nrecovery off\ncopy-mode user\nword add\nword null\nend\n",
		  "missing"), "record without id refused");
	test_v2();
	return done_testing();
}
