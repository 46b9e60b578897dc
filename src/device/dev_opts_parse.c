/* SPDX-License-Identifier: MIT */
/*
 * The words of an `add` (`add TARGET [OPTIONS] [FILE...]`) parsed into a
 * device's options, struct ubr_dev_opts: the common options here, each
 * target's own through its ops table and the services below. The client,
 * the daemon's `add`, the config file's lines and the recovery records
 * all parse with it, so it lives below them all, in the device layer
 * (include/ubr_dev_opts_parse.h).
 *
 * A small table-driven parser rather than getopt_long: getopt keeps its
 * state in globals and prints its own messages, while the daemon parses
 * many command lines in one process and must send every message back to
 * the client that made the mistake.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_dev_opts_parse.h"
#include "ubr_target.h"
#include "ubr_user_data.h"
#include "ubr_util.h"

/* Every usage error goes through here: one line, and -EINVAL. */
#define say(err, errlen, ...) ubr_errf(-EINVAL, err, errlen, __VA_ARGS__)

/*
 * /sys/devices/system/cpu/possible reads like "0-3" or "0,2-7": nr_cpu_ids
 * is the last number plus one. Without /sys, the CPUs this process may
 * run on, never more than the possible ones (not sysconf(): a static
 * musl's links its whole table, 1 KiB, for this one fallback).
 */
unsigned ubr_nr_cpu_ids(void)
{
	char line[256], *p;
	const char *end;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	uint64_t last = 0;
	cpu_set_t set;

	if (f && fgets(line, sizeof(line), f)) {
		for (p = line; *p; p++)
			if (isdigit((unsigned char)*p) &&
			    (p == line || !isdigit((unsigned char)p[-1])))
				ubr_parse_digits(p, &end, &last);
		fclose(f);
		return (unsigned)last + 1;
	}
	if (f)
		fclose(f);
	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_COUNT(&set))
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

unsigned ubr_max_queues(void)
{
	unsigned n = ubr_nr_cpu_ids();

	return n < UBR_MAX_QUEUES ? n : UBR_MAX_QUEUES;
}

/* --- add ----------------------------------------------------------------- */

/*
 * The parse of one `add`. The target's setters get &a, the first member,
 * and the services below (ubr_tgt_say, ubr_tgt_file, ...) find the rest.
 */
struct add_state {
	struct ubr_tgt_args a;
	const struct ubr_target_ops *t; /* the target word's, or NULL */
	int *file_argi;
	char *err;
	size_t errlen;
	int argi;	     /* the argv index of the option's value */
	char opt[64];	     /* a.opt: the option as "--name" */
	char foreign[64];    /* the first option only other targets take */
};

static struct add_state *add_state_of(struct ubr_tgt_args *a)
{
	return (struct add_state *)a; /* a is the first member */
}

int ubr_tgt_say(struct ubr_tgt_args *a, const char *fmt, ...)
{
	struct add_state *s = add_state_of(a);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The common options' table entry. */
struct add_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	bool has_arg;
	int (*set)(struct add_state *s, const char *val);
};

static int bad_number(struct add_state *s, const char *what, const char *val,
		      int ret, uint64_t min, uint64_t max, const char *why)
{
	if (ret == -ERANGE)
		return say(s->err, s->errlen,
			   "invalid %s '%s': must be %" PRIu64 "..%" PRIu64 "%s",
			   what, val, min, max, why);
	return say(s->err, s->errlen, "invalid %s '%s': not a number", what,
		   val);
}

static int bounded(struct add_state *s, const char *what, const char *val,
		   uint64_t min, uint64_t max, const char *why, uint64_t *out)
{
	int ret;

	*out = 0;
	ret = ubr_parse_u64(val, min, max, out);
	return ret ? bad_number(s, what, val, ret, min, max, why) : 0;
}

int ubr_tgt_number(struct ubr_tgt_args *a, const char *what, const char *val,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	return bounded(add_state_of(a), what, val, min, max, "", out);
}

static int set_id(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "device ID", val, 0, UBR_MAX_DEV_ID, "", &v);

	if (!ret)
		s->a.o->id = (uint32_t)v;
	return ret;
}

static int set_queues(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "queue count", val, 1, ubr_max_queues(),
			  " (the kernel allows one queue per possible CPU)",
			  &v);

	if (!ret)
		s->a.o->nr_queues = (uint16_t)v;
	return ret;
}

static int set_depth(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "queue depth", val, UBR_MIN_DEPTH,
			  UBR_MAX_DEPTH_OPT, "", &v);

	if (!ret)
		s->a.o->depth = (uint16_t)v;
	return ret;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* A size option, bounded, a multiple of `align` (and a power of 2). */
static int size_opt(struct add_state *s, const char *val, uint64_t min,
		    uint64_t max, uint64_t align, bool pow2, uint64_t *out)
{
	char lo[16], hi[16];
	int ret = ubr_parse_size(val, out);

	if (ret == -EINVAL)
		return say(s->err, s->errlen,
			   "invalid %s '%s': not a size (bytes, or with a K, M, G or T suffix)",
			   s->opt, val);
	ubr_format_size(min, lo, sizeof(lo));
	ubr_format_size(max, hi, sizeof(hi));
	if (ret == -ERANGE || *out < min || *out > max)
		return say(s->err, s->errlen, "invalid %s '%s': must be %s..%s",
			   s->opt, val, lo, hi);
	if (pow2 && !is_pow2(*out))
		return say(s->err, s->errlen,
			   "invalid %s '%s': must be a power of 2", s->opt, val);
	if (*out % align)
		return say(s->err, s->errlen,
			   "invalid %s '%s': must be a multiple of %" PRIu64,
			   s->opt, val, align);
	return 0;
}

int ubr_tgt_size(struct ubr_tgt_args *a, const char *val, uint64_t min,
		 uint64_t max, uint64_t align, bool pow2, uint64_t *out)
{
	return size_opt(add_state_of(a), val, min, max, align, pow2, out);
}

static int set_max_io(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = size_opt(s, val, UBR_MIN_IO_BYTES, UBR_MAX_IO_BYTES, 4096,
			   false, &v);

	if (!ret)
		s->a.o->max_io_bytes = (uint32_t)v;
	return ret;
}

/* The block-size multiple is checked once every option is known. */
static int set_size(struct add_state *s, const char *val)
{
	return size_opt(s, val, 512, 1ULL << 62, 512, false,
			&s->a.o->size);
}

static int set_lbs(struct add_state *s, const char *val)
{
	if (strcmp(val, "512") && strcmp(val, "4096") && strcmp(val, "4K") &&
	    strcmp(val, "4k"))
		return say(s->err, s->errlen,
			   "invalid logical block size '%s': must be 512 or 4096",
			   val);
	s->a.o->logical_bs = val[0] == '5' ? 512 : 4096;
	return 0;
}

static int set_read_only(struct add_state *s, const char *val)
{
	s->a.o->read_only = true;
	return 0;
}

static int set_copy_mode(struct add_state *s, const char *val)
{
	if (ubr_copy_mode_parse(val, &s->a.o->copy_mode) < 0)
		return say(s->err, s->errlen,
			   "invalid copy mode '%s': must be auto, buffer, user, zero, zero-explicit or get-data",
			   val);
	return 0;
}

static int set_recovery(struct add_state *s, const char *val)
{
	if (ubr_recovery_parse(val, &s->a.o->recovery) < 0)
		return say(s->err, s->errlen,
			   "invalid recovery mode '%s': must be reissue, fail-io, queue or off",
			   val);
	return 0;
}

static int set_batch_io(struct add_state *s, const char *val)
{
	if (ubr_batch_io_parse(val, &s->a.o->batch_io) < 0)
		return say(s->err, s->errlen,
			   "invalid --batch-io '%s': must be on, off or auto",
			   val);
	return 0;
}

static int set_no_part_scan(struct add_state *s, const char *val)
{
	s->a.o->no_part_scan = true;
	return 0;
}

/* A name the kernel might know (none, mq-deadline, bfq, kyber), or "kernel". */
static int set_scheduler(struct add_state *s, const char *val)
{
	if (!ubr_scheduler_name_ok(val))
		return say(s->err, s->errlen,
			   "invalid --scheduler '%s': a scheduler's name (none, mq-deadline, bfq, kyber) or 'kernel'",
			   val);
	strcpy(s->a.o->scheduler, val);
	return 0;
}

static int set_name(struct add_state *s, const char *val)
{
	int ret = ubr_name_check(val, s->err, s->errlen);

	if (!ret)
		strcpy(s->a.o->name, val);
	return ret;
}

/*
 * The options every target takes; each target's own are in its ops table.
 * Keep in step with the usage text in src/admin/help.c and the man page.
 */
static const struct add_opt add_opts[] = {
	{ "id", 'n', true, set_id },
	{ "queues", 'q', true, set_queues },
	{ "depth", 'd', true, set_depth },
	{ "max-io-size", 0, true, set_max_io },
	{ "size", 0, true, set_size },
	{ "logical-block-size", 0, true, set_lbs },
	{ "read-only", 0, false, set_read_only },
	{ "copy-mode", 0, true, set_copy_mode },
	{ "recovery", 0, true, set_recovery },
	{ "batch-io", 0, true, set_batch_io },
	{ "no-partition-scan", 0, false, set_no_part_scan },
	{ "name", 0, true, set_name },
	{ "scheduler", 0, true, set_scheduler },
};

/* The common option `name` (len bytes), or short option c when name is NULL. */
static const struct add_opt *add_opt_find(const char *name, size_t len, char c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(add_opts); i++) {
		const struct add_opt *o = &add_opts[i];

		if (name ? strlen(o->name) == len && !strncmp(o->name, name, len)
			 : o->short_name && o->short_name == c)
			return o;
	}
	return NULL;
}

/* Any target's option of that name, to tell it from an unknown one. */
static const struct ubr_tgt_opt *any_target_opt(const char *name, size_t len,
						char c)
{
	const struct ubr_tgt_opt *opt;
	unsigned i;

	for (i = 0; i < ubr_target_count(); i++) {
		opt = ubr_target_opt(ubr_target_at(i), name, len, c);
		if (opt)
			return opt;
	}
	return NULL;
}

/* An option word, looked up: the common table's or a target's. */
struct opt_word {
	const struct add_opt *common;
	const struct ubr_tgt_opt *own;	   /* the target's own */
	const struct ubr_tgt_opt *foreign; /* only other targets take it */
	const char *val;		   /* attached: --opt=val, -nval */
};

static void opt_word_find(const struct ubr_target_ops *t, const char *arg,
			  struct opt_word *w)
{
	const char *name = NULL, *eq;
	size_t len = 0;
	char c = 0;

	memset(w, 0, sizeof(*w));
	if (arg[1] == '-') {
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		w->val = eq ? eq + 1 : NULL;
	} else {
		c = arg[1];
		w->val = arg[2] ? arg + 2 : NULL;
	}
	w->common = add_opt_find(name, len, c);
	if (!w->common && t)
		w->own = ubr_target_opt(t, name, len, c);
	if (!w->common && !w->own)
		w->foreign = any_target_opt(name, len, c);
}

static bool opt_word_has_arg(const struct opt_word *w)
{
	if (w->common)
		return w->common->has_arg;
	if (w->own)
		return w->own->arg != NULL;
	return w->foreign && w->foreign->arg;
}

static const char *opt_word_name(const struct opt_word *w)
{
	return w->common ? w->common->name :
	       w->own	 ? w->own->name :
			   w->foreign->name;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1];
}

/*
 * The target, before the options are parsed: its options may come before
 * its word (`add --OPTION VALUE TARGET ...`). The first word that is
 * neither an option nor an option's value names it; mistakes are left for
 * the parse itself to report, in the order of the words.
 */
static const struct ubr_target_ops *find_target(int argc, char **argv)
{
	struct opt_word w;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? ubr_target_find(argv[i + 1]) :
					      NULL;
		if (!is_option(argv[i]))
			return ubr_target_find(argv[i]);
		opt_word_find(NULL, argv[i], &w);
		if (!w.val && opt_word_has_arg(&w))
			i++;
	}
	return NULL;
}

/* Set what an option word says; `val` is its value, if it takes one. */
static int opt_word_set(struct add_state *s, const struct opt_word *w,
			const char *val)
{
	if (w->common)
		return w->common->set(s, val);
	if (w->own)
		return w->own->set(&s->a, val);
	/* Reported once the whole line is known, as a missing target is. */
	if (!s->foreign[0])
		snprintf(s->foreign, sizeof(s->foreign), "%s", s->opt);
	return 0;
}

/*
 * One option word at argv[*i]: "--name", "--name=value", "--name value",
 * "-n value" or "-nvalue". Advances *i past a separate value.
 */
static int add_option(struct add_state *s, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *val;
	struct opt_word w;

	opt_word_find(s->t, arg, &w);
	if (!w.common && !w.own && !w.foreign)
		return say(s->err, s->errlen, "unknown option '%s' for add",
			   arg);
	snprintf(s->opt, sizeof(s->opt), "--%s", opt_word_name(&w));
	val = w.val;
	if (!opt_word_has_arg(&w) && val)
		return say(s->err, s->errlen, "option %s takes no value",
			   s->opt);
	s->a.attached = val != NULL;
	if (opt_word_has_arg(&w) && !val) {
		if (*i + 1 >= argc)
			return say(s->err, s->errlen, "option %s needs a value",
				   s->opt);
		val = argv[++*i];
	}
	s->argi = *i;
	return opt_word_set(s, &w, val);
}

/* A FILE, from a bare word or an option's value word: argv[i] is path. */
static int add_file(struct add_state *s, int i, const char *path)
{
	struct ubr_dev_opts *o = s->a.o;

	if (o->nr_files == UBR_MAX_FILES)
		return say(s->err, s->errlen, "too many FILEs (at most %u)",
			   UBR_MAX_FILES);
	o->paths[o->nr_files] = strdup(path);
	if (!o->paths[o->nr_files]) {
		say(s->err, s->errlen, "out of memory");
		return -ENOMEM;
	}
	if (s->file_argi)
		s->file_argi[o->nr_files] = i;
	o->file_word[o->nr_files] = (unsigned)i;
	o->nr_files++;
	return 0;
}

/*
 * FILE must be a word of its own: the client and the daemon put the
 * resolved path in place of that word, and re-create devices from words.
 */
int ubr_tgt_file(struct ubr_tgt_args *a, const char *path)
{
	struct add_state *s = add_state_of(a);

	if (a->attached)
		return say(s->err, s->errlen,
			   "option %s takes FILE as a word of its own: %s FILE",
			   s->opt, s->opt);
	return add_file(s, s->argi, path);
}

static int add_positional(struct add_state *s, int i, const char *arg)
{
	struct ubr_dev_opts *o = s->a.o;

	if (!o->target[0]) {
		if (strlen(arg) >= sizeof(o->target) || !ubr_target_find(arg))
			return say(s->err, s->errlen,
				   "unknown target '%s' (targets: %s)", arg,
				   ubr_target_names());
		strcpy(o->target, arg);
		return 0;
	}
	return add_file(s, i, arg);
}

static int check_files(struct add_state *s, const struct ubr_target_ops *t)
{
	unsigned n = s->a.o->nr_files;
	const char *name = t->name;

	if (n >= t->min_files && n <= t->max_files)
		return 0;
	if (t->max_files == 0)
		return say(s->err, s->errlen, "target %s takes no FILE", name);
	if (t->min_files == t->max_files)
		return say(s->err, s->errlen, "target %s needs %u FILE%s, got %u",
			   name, t->min_files, t->min_files == 1 ? "" : "s", n);
	return say(s->err, s->errlen, "target %s needs %u to %u FILEs, got %u",
		   name, t->min_files, t->max_files, n);
}

/* "option --X is for the T target only", naming all that take it. */
static int foreign_option(struct add_state *s)
{
	char names[128] = "";
	const char *last = NULL;
	unsigned i, n = 0;
	size_t len;

	for (i = 0; i < ubr_target_count(); i++) {
		const struct ubr_target_ops *t = ubr_target_at(i);

		if (!ubr_target_opt(t, s->foreign + 2, strlen(s->foreign + 2), 0))
			continue;
		if (last) {
			len = strlen(names);
			snprintf(names + len, sizeof(names) - len, "%s%s",
				 n ? ", " : "", last);
			n++;
		}
		last = t->name;
	}
	if (!n)
		return say(s->err, s->errlen,
			   "option %s is for the %s target only", s->foreign,
			   last);
	return say(s->err, s->errlen, "option %s is for the %s and %s targets only",
		   s->foreign, names, last);
}

/* The checks that need the whole command line. */
static int add_finish(struct add_state *s)
{
	struct ubr_dev_opts *o = s->a.o;
	char size[16];
	int ret;

	if (!o->target[0])
		return say(s->err, s->errlen,
			   "add needs a target (targets: %s)",
			   ubr_target_names());
	if (s->foreign[0])
		return foreign_option(s);
	ret = s->t->opts_finish ? s->t->opts_finish(&s->a) : 0;
	if (ret < 0)
		return ret;
	ret = check_files(s, s->t);
	if (ret < 0)
		return ret;
	if (o->size % o->logical_bs) {
		ubr_format_size(o->size, size, sizeof(size));
		return say(s->err, s->errlen,
			   "invalid --size %s: must be a multiple of the logical block size (%u)",
			   size, o->logical_bs);
	}
	return 0;
}

static bool is_file_word(const struct ubr_dev_opts *o, unsigned i)
{
	unsigned j;

	for (j = 0; j < o->nr_files; j++)
		if (o->file_word[j] == i)
			return true;
	return false;
}

/*
 * The device is recreated from these words (recovery, config reload).
 * A FILE's word is its path, kept once, in paths[] (ubr_dev_opts_word).
 */
static int keep_words(struct add_state *s, int argc, char **argv)
{
	struct ubr_dev_opts *o = s->a.o;
	int i;

	o->words = calloc((size_t)argc, sizeof(*o->words));
	if (!o->words)
		goto nomem;
	for (; o->nr_words < (unsigned)argc; o->nr_words++) {
		i = (int)o->nr_words;
		if (is_file_word(o, o->nr_words))
			continue;
		o->words[i] = strdup(argv[i]);
		if (!o->words[i])
			goto nomem;
	}
	return 0;
nomem:
	say(s->err, s->errlen, "out of memory");
	return -ENOMEM;
}

/* The target's options struct, zeroed: its defaults. */
static int add_start(struct add_state *s, int argc, char **argv)
{
	struct ubr_dev_opts *o = s->a.o;

	s->t = find_target(argc, argv);
	s->a.opt = s->opt;
	if (!s->t || !s->t->opts_size)
		return 0;
	o->tgt_opts = calloc(1, s->t->opts_size);
	if (!o->tgt_opts) {
		say(s->err, s->errlen, "out of memory");
		return -ENOMEM;
	}
	s->a.priv = o->tgt_opts;
	return 0;
}

int ubr_parse_add_at(int argc, char **argv, struct ubr_dev_opts *o,
		     int *file_argi, char *err, size_t errlen)
{
	struct add_state s = { .a.o = o, .file_argi = file_argi, .err = err,
			       .errlen = errlen };
	bool opts_done = false;
	int i, ret;

	ubr_dev_opts_init(o);
	err[0] = '\0';
	ret = add_start(&s, argc, argv);
	for (i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i];

		if (!opts_done && !strcmp(arg, "--"))
			opts_done = true;
		else if (!opts_done && is_option(arg))
			ret = add_option(&s, argc, argv, &i);
		else
			ret = add_positional(&s, i, arg);
	}
	if (!ret)
		ret = add_finish(&s);
	if (!ret)
		ret = keep_words(&s, argc, argv);
	if (ret < 0)
		ubr_dev_opts_release(o);
	return ret;
}

int ubr_parse_add(int argc, char **argv, struct ubr_dev_opts *o, char *err,
		  size_t errlen)
{
	return ubr_parse_add_at(argc, argv, o, NULL, err, errlen);
}
