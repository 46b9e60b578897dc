/* SPDX-License-Identifier: MIT */
/*
 * Targets as plug-ins: every ops table in the registry is complete and
 * consistent, each target's options reach its own options struct (also
 * before the target's word), an option given to the wrong target names
 * those that take it, a FILE's path is kept once, and --help is built
 * from the tables.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "stripe.h"
#include "argv.h"
#include "tap.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_target.h"

static char err[256];

static int parse(char **v, struct ubr_dev_opts *o)
{
	return ubr_parse_add(nargs(v), v, o, err, sizeof(err));
}

/* The table's own promises: what the parser and --help rely on. */
static void check_table(const struct ubr_target_ops *t)
{
	const struct ubr_tgt_opt *o;
	bool opts_ok = true;

	ok(t->name && t->usage && t->description && t->init && t->queue_io &&
		   t->io_done,
	   "%s: name, usage, description and the request path", t->name);
	ok(t->min_files <= t->max_files && t->max_files <= UBR_MAX_FILES,
	   "%s: FILE count %u..%u is sane", t->name, t->min_files,
	   t->max_files);
	ok(t->max_files == 0 || t->backing == UBR_BACKING_FILES ||
		   (t->backing == UBR_BACKING_SOCKET && t->connect),
	   "%s: a target that takes FILEs says they are files or addresses",
	   t->name);
	ok(!t->opts || t->opts_size, "%s: options have a struct to go to",
	   t->name);
	for (o = t->opts; o && o->name; o++)
		opts_ok = opts_ok && o->help && o->set && o->name[0] != '-';
	ok(opts_ok, "%s: every option has a name, a help line and a setter",
	   t->name);
}

/*
 * An option several targets take must take a value in all or none: the
 * parser skips its value before it knows the target.
 */
static void check_shared_opts(void)
{
	const struct ubr_tgt_opt *o, *other;
	unsigned i, j, bad = 0;

	for (i = 0; i < ubr_target_count(); i++)
		for (o = ubr_target_at(i)->opts; o && o->name; o++)
			for (j = 0; j < ubr_target_count(); j++) {
				other = ubr_target_opt(ubr_target_at(j), o->name,
						       strlen(o->name), 0);
				bad += other && !other->arg != !o->arg;
			}
	is_int(bad, 0, "options of one name agree on taking a value");
}

static void test_tables(void)
{
	unsigned i;

	ok(ubr_target_count() >= 1, "the registry lists targets");
	for (i = 0; i < ubr_target_count(); i++) {
		check_table(ubr_target_at(i));
		ok(ubr_target_find(ubr_target_at(i)->name) == ubr_target_at(i),
		   "%s: found by its name", ubr_target_at(i)->name);
	}
	ok(ubr_target_at(ubr_target_count()) == NULL, "nothing past the end");
	check_shared_opts();
}

static void test_own_options(void)
{
	const struct ubr_stripe_opts *so;
	const struct ubr_fault_args *fa;
	struct ubr_dev_opts o;

	is_int(parse(ARGV("add", "--chunk-size", "128K", "--buffered", "stripe",
			  "a", "b"), &o),
	       0, "stripe: its options before its word");
	so = o.tgt_opts;
	ok(so && so->chunk_size == 128U << 10 && so->files.buffered &&
		   o.nr_files == 2,
	   "stripe: they reach its own struct; the FILEs after are FILEs");
	ubr_dev_opts_release(&o);
	ok(o.tgt_opts == NULL, "released with the rest");

	is_int(parse(ARGV("add", "null"), &o), 0, "null");
	ok(o.tgt_opts == NULL, "null: no options struct");
	ubr_dev_opts_release(&o);

	is_int(parse(ARGV("add", "--delay", "5ms", "fault"), &o), 0,
	       "fault: an option's value word before the target is no target");
	fa = o.tgt_opts;
	ok(fa && fa->f.delay_ns == 5000000 && !fa->f.backing,
	   "fault: the delay is in its struct");
	ubr_dev_opts_release(&o);
}

static void bad(char **v, const char *want, const char *what)
{
	struct ubr_dev_opts o;
	int ret = parse(v, &o);

	ok(ret == -EINVAL && !strcmp(err, want), "%s: '%s' (got %d: '%s')",
	   what, want, ret, err);
}

static void test_foreign_options(void)
{
	bad(ARGV("add", "null", "--chunk-size", "64K"),
	    "option --chunk-size is for the stripe target only",
	    "one target takes it");
	bad(ARGV("add", "--delay", "1ms", "loop", "img"),
	    "option --delay is for the fault target only",
	    "given before the target, its value skipped");
	bad(ARGV("add", "null", "--buffered"),
	    "option --buffered is for the loop, stripe and fault targets only",
	    "several take it");
	bad(ARGV("add", "loop", "img", "--bogus"),
	    "unknown option '--bogus' for add", "no target takes it");
	bad(ARGV("add", "null", "--depth", "0", "--chunk-size", "64K"),
	    "invalid queue depth '0': must be 1..4096",
	    "a common option's error comes first, as before");
	bad(ARGV("add", "fault", "--backing=img"),
	    "option --backing takes FILE as a word of its own: --backing FILE",
	    "a FILE option's value is a word of its own");
}

/* FILE words live in paths[] alone; the words name them through it. */
static void test_paths_once(void)
{
	struct ubr_dev_opts o;
	char *p = strdup("/abs/img");

	is_int(parse(ARGV("add", "fault", "--backing", "img", "-q", "1"), &o),
	       0, "fault --backing img");
	ok(o.words[3] == NULL && !strcmp(ubr_dev_opts_word(&o, 3), "img"),
	   "the FILE word is not kept twice: read from paths[]");
	ubr_dev_opts_set_path(&o, 0, p);
	is_str(ubr_dev_opts_word(&o, 3), "/abs/img",
	       "a resolved path is what the word says");
	is_str(ubr_dev_opts_word(&o, 2), "--backing", "other words as given");
	ubr_dev_opts_release(&o);
}

/* What a FILE stream says, as one string. */
static char *printed(void (*print)(FILE *f, const struct ubr_target_ops *t),
		     const struct ubr_target_ops *t)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	buf[0] = '\0';
	if (!f)
		return buf;
	print(f, t);
	fclose(f);
	return buf;
}

static void print_opts(FILE *f, const struct ubr_target_ops *t)
{
	ubr_target_print_opts(f);
}

static void test_help(void)
{
	const struct ubr_target_ops *stripe = ubr_target_find("stripe");
	const struct ubr_target_ops *null = ubr_target_find("null");
	char *s, *first;

	s = printed(ubr_target_print_help, stripe);
	ok(strstr(s, "Usage: ublk-reactor add stripe [OPTIONS] FILE FILE...\n") &&
		   strstr(s, "\n      --chunk-size SIZE         chunk size,"),
	   "add stripe --help: usage and options (%s)", s);
	s = printed(ubr_target_print_help, null);
	ok(strstr(s, "takes only the options for add") != NULL,
	   "a target without options says so");
	s = printed(print_opts, NULL);
	first = strstr(s, "--buffered ");
	ok(first && !strstr(first + 1, "--buffered ") &&
		   strstr(s, "--buffered                loop, stripe, fault: no O_DIRECT"),
	   "--buffered once, with the targets that take it");
	ok(strstr(s, "\n                                0..1 (e.g. 0.1) or N%, with EIO\n") !=
		   NULL,
	   "a help line continues in the column");
}

int main(void)
{
	test_tables();
	test_own_options();
	test_foreign_options();
	test_paths_once();
	test_help();
	return done_testing();
}
