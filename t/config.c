/* SPDX-License-Identifier: MIT */
/*
 * The configuration file parser: words, quotes and comments; device lines
 * into add options; errors named by file and line; duplicate names and IDs;
 * long lines; a missing file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "stripe.h"
#include "ubr_target.h"

#define MAXW 8

static char err[256];

/* Split `line` and compare with the words in `want` (NULL-ended). */
static void split_is(const char *line, const char *const *want,
		     const char *what)
{
	char *w[MAXW];
	unsigned n, i, nwant = 0;
	bool same;
	int ret;

	while (want[nwant])
		nwant++;
	ret = ubr_config_split(line, w, MAXW, &n, err, sizeof(err));
	same = ret == 0 && n == nwant;
	for (i = 0; same && i < n; i++)
		same = !strcmp(w[i], want[i]);
	ok(same, "split: %s (ret %d, %u words)", what, ret, ret ? 0 : n);
	for (i = 0; !ret && i < n; i++) {
		if (!same)
			diag("word %u: [%s]", i, w[i]);
		free(w[i]);
	}
}

static void split_bad(const char *line, const char *msg, const char *what)
{
	char *w[MAXW];
	unsigned n = 99;
	int ret = ubr_config_split(line, w, MAXW, &n, err, sizeof(err));

	ok(ret == -EINVAL && n == 0 && strstr(err, msg),
	   "split refused: %s: %s", what, err);
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_split(void)
{
	split_is("", W(NULL), "empty line");
	split_is("  \t ", W(NULL), "blanks only");
	split_is("# a comment", W(NULL), "a comment");
	split_is("   # indented comment", W(NULL), "an indented comment");
	split_is("a b\tc", W("a", "b", "c"), "spaces and tabs");
	split_is("a b\r", W("a", "b"), "CRLF line end");
	split_is("a b # c d", W("a", "b"), "comment after words");
	split_is("a b#c", W("a", "b#c"), "# inside a word is kept");
	split_is("x \"my disk.img\"", W("x", "my disk.img"), "quoted spaces");
	split_is("x \"a \\\"q\\\" \\\\ b\"", W("x", "a \"q\" \\ b"),
		 "escaped quote and backslash in quotes");
	split_is("x \"a\\nb\"", W("x", "a\\nb"), "other backslashes kept");
	split_is("x a\\b", W("x", "a\\b"), "backslash outside quotes kept");
	split_is("pre\"fix \"post", W("prefix post"), "quotes inside a word");
	split_is("x \"\"", W("x", ""), "an empty quoted word");
	split_is("x \"#not a comment\"", W("x", "#not a comment"),
		 "quoted #");
	split_bad("x \"abc", "unterminated quote", "unterminated quote");
	split_bad("a b c d e f g h i", "too many words (at most 8)",
		  "too many words");
}

/* --- files --------------------------------------------------------------- */

static struct ubr_config cfg;

static int parse(const char *text)
{
	ubr_config_release(&cfg);
	return ubr_config_parse(&cfg, "/etc/u.conf", text, strlen(text));
}

static bool has_error(const char *text)
{
	unsigned i;

	for (i = 0; i < cfg.nr_errors; i++)
		if (!strcmp(cfg.errors[i].text, text))
			return true;
	for (i = 0; i < cfg.nr_errors; i++)
		diag("error: %s", cfg.errors[i].text);
	return false;
}

static const struct ubr_config_entry *entry(const char *name)
{
	unsigned i;

	for (i = 0; i < cfg.nr_entries; i++)
		if (!strcmp(cfg.entries[i].name, name))
			return &cfg.entries[i];
	return NULL;
}

/* The add words of a device, with FILE words resolved, space-separated. */
static char *words_of(const struct ubr_dev_opts *o)
{
	static char buf[512];
	size_t len = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < o->nr_words; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", ubr_dev_opts_word(o, i));
	return buf;
}

/* An nbd URI is an address, not a file: kept as written. */
static void test_uri_kept(void)
{
	const struct ubr_config_entry *e;

	if (!ubr_target_find("nbd")) {
		skip(3, "no nbd target in this build");
		return;
	}
	is_int(parse("t nbd nbd://127.0.0.1:10809\n"
		     "u nbd nbd+unix:///?socket=/run/n.sock\n"),
	       0, "nbd lines parse");
	e = entry("t");
	ok(e && e->ok && e->opts.nr_files == 1 &&
		   !strcmp(e->opts.paths[0], "nbd://127.0.0.1:10809"),
	   "an nbd:// URI is not put under the file's directory (%s)",
	   e ? e->opts.paths[0] : "-");
	e = entry("u");
	ok(e && e->ok &&
		   !strcmp(e->opts.paths[0], "nbd+unix:///?socket=/run/n.sock"),
	   "nor an nbd+unix:// one (%s)", e ? e->opts.paths[0] : "-");
}

static void test_good_file(void)
{
	const struct ubr_config_entry *e;

	is_int(parse("# devices\n"
		     "\n"
		     "scratch  null  --size 1G   # for tests\n"
		     "\t db loop -q 1 disks/db.img\n"
		     "media stripe --chunk-size 128K /srv/a.img \"/srv/b c.img\"\n"
		     "last null --id 7"),
	       0, "a good file parses");
	is_int(cfg.nr_errors, 0, "no errors");
	is_int(cfg.nr_entries, 4, "four devices");
	e = entry("scratch");
	ok(e && e->ok && e->line == 3 && !strcmp(e->opts.target, "null") &&
		   e->opts.size == 1ULL << 30 && !strcmp(e->opts.name, "scratch"),
	   "scratch: line 3, null, 1G, named");
	ok(e && !strcmp(words_of(&e->opts), "add --name scratch null --size 1G"),
	   "scratch: the add words (%s)", e ? words_of(&e->opts) : "-");
	e = entry("db");
	ok(e && e->ok && e->line == 4 && e->opts.nr_files == 1 &&
		   !strcmp(e->opts.paths[0], "/etc/disks/db.img"),
	   "db: a relative FILE is under the file's directory (%s)",
	   e ? e->opts.paths[0] : "-");
	ok(e && !strcmp(words_of(&e->opts),
			"add --name db loop -q 1 /etc/disks/db.img"),
	   "db: the words name the resolved path");
	e = entry("media");
	ok(e && e->ok && e->opts.nr_files == 2 &&
		   !strcmp(e->opts.paths[1], "/srv/b c.img") &&
		   ((const struct ubr_stripe_opts *)e->opts.tgt_opts)->chunk_size ==
			   128U << 10,
	   "media: quoted path with a space, chunk size");
	e = entry("last");
	ok(e && e->ok && e->line == 6 && e->opts.id == 7,
	   "a last line without a newline");
}

static void test_errors(void)
{
	const struct ubr_config_entry *e;
	char want[160];

	is_int(parse("a null\n"
		     "b lop x\n"
		     "c null --depth 0\n"
		     "d/x null\n"
		     "lonely\n"
		     "e null \"open\n"
		     "f null --name g\n"
		     "g loop\n"
		     "h null\n"),
	       0, "a file with bad lines parses");
	snprintf(want, sizeof(want), "/etc/u.conf:2: unknown target 'lop' (targets: %s)",
		 ubr_target_names());
	ok(has_error(want),
	   "unknown target, with file and line");
	ok(has_error("/etc/u.conf:3: invalid queue depth '0': must be 1..4096"),
	   "a bad option value");
	ok(has_error("/etc/u.conf:4: invalid name 'd/x': only letters, digits, '_', '.' and '-' are allowed"),
	   "a bad name");
	snprintf(want, sizeof(want), "/etc/u.conf:5: device 'lonely' needs a target (targets: %s)",
		 ubr_target_names());
	ok(has_error(want),
	   "a name without a target");
	ok(has_error("/etc/u.conf:6: unterminated quote"), "unterminated quote");
	ok(has_error("/etc/u.conf:7: the name is the line's first word: no --name here"),
	   "--name in a line");
	ok(has_error("/etc/u.conf:8: target loop needs 1 FILE, got 0"),
	   "a loop without its file");
	is_int(cfg.nr_errors, 7, "one error per bad line");
	ok(cfg.errors[0].line == 2 && cfg.errors[6].line == 8,
	   "errors in line order");
	ok(entry("a") && entry("a")->ok && entry("h") && entry("h")->ok,
	   "the good lines around them stand");
	e = entry("b");
	ok(e && !e->ok, "a bad line keeps its name (its device is left alone)");
	ok(!entry("d/x"), "an invalid name is no name");
}

static void test_duplicates(void)
{
	is_int(parse("db null\n"
		     "web null --id 3\n"
		     "db null --size 1G\n"
		     "api null -n 3\n"
		     "bad lop\n"
		     "bad null\n"
		     "ok null --id 4\n"),
	       0, "duplicates parse");
	ok(has_error("/etc/u.conf:3: duplicate name 'db' (also on line 1)"),
	   "a duplicate name");
	ok(has_error("/etc/u.conf:4: device ID 3 is also on line 2"),
	   "a duplicate ID");
	ok(has_error("/etc/u.conf:6: duplicate name 'bad' (also on line 5)"),
	   "a good line repeating a bad line's name");
	is_int(cfg.nr_errors, 4, "four errors");
	ok(cfg.entries[0].ok && cfg.entries[0].line == 1 &&
		   cfg.entries[0].opts.size == 0,
	   "the first db line is the device");
	ok(!cfg.entries[2].ok && !cfg.entries[2].name[0],
	   "the second db line is not");
	ok(entry("ok") && entry("ok")->ok, "and the rest stands");
}

static void test_long_lines(void)
{
	size_t n = UBR_CONFIG_LINE_MAX;
	char *text = malloc(2 * n + 64);
	unsigned i;

	memset(text, 'x', 2 * n + 64);
	text[0] = '#';
	text[n] = '\n'; /* line 1: exactly the limit */
	memcpy(text + n + 1, "a null ", 7);
	text[2 * n + 2] = '\n'; /* line 2: one byte over */
	strcpy(text + 2 * n + 3, "b null\n");
	is_int(parse(text), 0, "long lines parse");
	ok(has_error("/etc/u.conf:2: line too long (more than 4096 bytes)"),
	   "a line over the limit");
	is_int(cfg.nr_errors, 1, "a line at the limit is fine");
	ok(entry("b") && entry("b")->line == 3, "the line after is read");
	free(text);
	ubr_config_release(&cfg);
	is_int(ubr_config_parse(&cfg, "u.conf", "a null\0b null\nc null\n", 21),
	       0, "a NUL byte");
	ok(has_error("u.conf:1: a NUL byte in the line"), "is reported");
	ok(entry("c") && entry("c")->ok, "and the next line is read");
	ubr_config_release(&cfg);
	text = malloc(70 * 2 + 16);
	strcpy(text, "many null");
	for (i = 0; i < 70; i++)
		strcat(text, " -");
	parse(text);
	ok(has_error("/etc/u.conf:1: too many words (at most 60)"),
	   "too many words");
	free(text);
}

static void test_files(void)
{
	char dir[] = "/tmp/ubr-config-t.XXXXXX", path[64];
	FILE *f;

	if (!mkdtemp(dir)) {
		skip(8, "no temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	ubr_config_release(&cfg);
	is_int(ubr_config_load(&cfg, path, false), 0,
	       "a missing default file is no error");
	ok(cfg.missing && cfg.nr_entries == 0 && cfg.nr_errors == 0,
	   "and no devices");
	ubr_config_release(&cfg);
	is_int(ubr_config_load(&cfg, path, true), -ENOENT,
	       "a missing named file is an error");
	ok(cfg.nr_errors == 1 && strstr(cfg.errors[0].text, "none.conf: cannot read: No such file"),
	   "saying so: %s", cfg.nr_errors ? cfg.errors[0].text : "-");
	ubr_config_release(&cfg);
	is_int(ubr_config_load(&cfg, dir, true), -EISDIR, "a directory");
	ubr_config_release(&cfg);
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	if (mkfifo(path, 0600) == 0) {
		/* Its open would wait for a writer: SIGALRM fails the test. */
		alarm(10);
		is_int(ubr_config_load(&cfg, path, true), -EINVAL,
		       "a FIFO is refused at once");
		alarm(0);
		ubr_config_release(&cfg);
		unlink(path);
	} else {
		skip(1, "cannot make a FIFO");
	}
	snprintf(path, sizeof(path), "%s/u.conf", dir);
	f = fopen(path, "w");
	fputs("x null\ny lop\n", f);
	fclose(f);
	is_int(ubr_config_load(&cfg, path, true), 0, "a file read from disk");
	ok(cfg.nr_entries == 2 && cfg.nr_errors == 1 &&
		   cfg.errors[0].line == 2,
	   "its lines and its error");
	ubr_config_release(&cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_split();
	test_good_file();
	test_uri_kept();
	test_errors();
	test_duplicates();
	test_long_lines();
	test_files();
	ubr_config_release(&cfg);
	return done_testing();
}
