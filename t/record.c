/* SPDX-License-Identifier: MIT */
/*
 * Recovery records: a record survives format + parse unchanged, and every
 * damaged shape (truncated anywhere, unknown keys, bad values, text after
 * the end) is refused with the line it is on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ubr_record.h"

static char *words[] = { "add", "loop", "--copy-mode", "zero",
			 "/var/tmp/a b.img" };

static void sample(struct ubr_record *r)
{
	memset(r, 0, sizeof(*r));
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

	ok(parses("ublk-reactor record 2\nid 1\nend\n", "not a ublk-reactor record"), "other version refused");
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
	return done_testing();
}
