/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing for add/del/list/stats, shared by the client and the
 * daemon. A small table-driven parser rather than getopt_long: getopt keeps
 * its state in globals and prints its own messages, while the daemon parses
 * many command lines in one process and must send every message back to the
 * client that made the mistake.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_cli.h"
#include "ubr_target.h"
#include "ubr_user_data.h"

static int say(char *err, size_t errlen, const char *fmt, ...) UBR_PRINTF(3, 4);

/* Every usage error goes through here: one line, and -EINVAL. */
static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * /sys/devices/system/cpu/possible reads like "0-3" or "0,2-7": nr_cpu_ids
 * is the last number plus one. sysconf() is the fallback: on glibc it
 * counts present CPUs, which is never more than the possible ones.
 */
unsigned ubr_nr_cpu_ids(void)
{
	char line[256], *p;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	unsigned long last = 0;
	long n;

	if (f && fgets(line, sizeof(line), f)) {
		for (p = line; *p; p++)
			if (isdigit((unsigned char)*p) &&
			    (p == line || !isdigit((unsigned char)p[-1])))
				last = strtoul(p, NULL, 10);
		fclose(f);
		return (unsigned)last + 1;
	}
	if (f)
		fclose(f);
	n = sysconf(_SC_NPROCESSORS_CONF);
	return n > 0 ? (unsigned)n : 1;
}

unsigned ubr_max_queues(void)
{
	unsigned n = ubr_nr_cpu_ids();

	return n < UBR_MAX_QUEUES ? n : UBR_MAX_QUEUES;
}

/* --- device names --------------------------------------------------------- */

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/*
 * A name becomes a file name (/dev/ublk/by-name/NAME) and a word on command
 * lines: no '/', no spaces, no leading '-' or '.' (an option, a hidden or
 * relative file), and never all digits, which `del` reads as an ID.
 */
int ubr_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, len = strlen(name);
	bool digits = true;

	if (len == 0 || len > UBR_NAME_MAX)
		return say(err, errlen,
			   "invalid name '%.*s%s': must be 1 to %d characters",
			   UBR_NAME_MAX, name, len > UBR_NAME_MAX ? "..." : "",
			   UBR_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (!name_char(name[i]))
			return say(err, errlen,
				   "invalid name '%s': only letters, digits, '_', '.' and '-' are allowed",
				   name);
		digits = digits && isdigit((unsigned char)name[i]);
	}
	if (name[0] == '-' || name[0] == '.')
		return say(err, errlen,
			   "invalid name '%s': must not begin with '-' or '.'",
			   name);
	if (digits)
		return say(err, errlen,
			   "invalid name '%s': must not be all digits (device IDs are)",
			   name);
	return 0;
}

/* --- add ----------------------------------------------------------------- */

/* Options that only some targets take. */
#define OPT_FOR_ALL 0U
#define OPT_FOR_FILES (1U << 0) /* backed by files: loop, stripe */
#define OPT_FOR_STRIPE (1U << 1)
#define OPT_FOR_FAULT (1U << 2)

/* What each target takes on the command line beyond the common options. */
struct target_args {
	const char *name;
	unsigned min_files, max_files;
	unsigned opts; /* OPT_FOR_* this target accepts */
};

static const struct target_args target_args[] = {
	{ "null", 0, 0, 0 },
	{ "loop", 1, 1, OPT_FOR_FILES },
	{ "stripe", 2, UBR_MAX_FILES, OPT_FOR_FILES | OPT_FOR_STRIPE },
	/* Its one FILE comes from --backing, never from a bare word. */
	{ "fault", 0, 1, OPT_FOR_FILES | OPT_FOR_FAULT },
};

/* A target registered in the core but unknown here takes no extras. */
static const struct target_args default_args = { NULL, 0, 0, 0 };

static const struct target_args *target_args_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(target_args) / sizeof(target_args[0]); i++)
		if (!strcmp(target_args[i].name, name))
			return &target_args[i];
	return &default_args;
}

struct add_state {
	struct ubr_dev_opts *o;
	int *file_argi;
	const char *opt; /* the option as the user spelled its name */
	unsigned seen;	 /* OPT_FOR_* of the options given, for the target check */
	char *err;
	size_t errlen;
	int argi;	       /* the argv index of the option's value */
	bool attached;	       /* ... which is in the option's word: --opt=val */
	const char *fault_opt; /* the first fault option given */
	const char *needs_rate; /* a fault option given that needs --fail-rate */
	bool rate_given;
};

struct add_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	bool has_arg;
	unsigned only;	  /* OPT_FOR_*: the targets that take it */
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

static int set_id(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "device ID", val, 0, UBR_MAX_DEV_ID, "", &v);

	if (!ret)
		s->o->id = (uint32_t)v;
	return ret;
}

static int set_queues(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "queue count", val, 1, ubr_max_queues(),
			  " (the kernel allows one queue per possible CPU)",
			  &v);

	if (!ret)
		s->o->nr_queues = (uint16_t)v;
	return ret;
}

static int set_depth(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = bounded(s, "queue depth", val, UBR_MIN_DEPTH,
			  UBR_MAX_DEPTH_OPT, "", &v);

	if (!ret)
		s->o->depth = (uint16_t)v;
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

static int set_max_io(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = size_opt(s, val, UBR_MIN_IO_BYTES, UBR_MAX_IO_BYTES, 4096,
			   false, &v);

	if (!ret)
		s->o->max_io_bytes = (uint32_t)v;
	return ret;
}

/* The block-size multiple is checked once every option is known. */
static int set_size(struct add_state *s, const char *val)
{
	return size_opt(s, val, 512, 1ULL << 62, 512, false,
			&s->o->size);
}

static int set_lbs(struct add_state *s, const char *val)
{
	if (strcmp(val, "512") && strcmp(val, "4096") && strcmp(val, "4K") &&
	    strcmp(val, "4k"))
		return say(s->err, s->errlen,
			   "invalid logical block size '%s': must be 512 or 4096",
			   val);
	s->o->logical_bs = val[0] == '5' ? 512 : 4096;
	return 0;
}

static int set_read_only(struct add_state *s, const char *val)
{
	s->o->read_only = true;
	return 0;
}

static int set_buffered(struct add_state *s, const char *val)
{
	s->o->buffered = true;
	return 0;
}

static int set_copy_mode(struct add_state *s, const char *val)
{
	if (ubr_copy_mode_parse(val, &s->o->copy_mode) < 0)
		return say(s->err, s->errlen,
			   "invalid copy mode '%s': must be auto, buffer, user, zero or get-data",
			   val);
	return 0;
}

static int set_recovery(struct add_state *s, const char *val)
{
	if (ubr_recovery_parse(val, &s->o->recovery) < 0)
		return say(s->err, s->errlen,
			   "invalid recovery mode '%s': must be reissue, fail-io, queue or off",
			   val);
	return 0;
}

static int set_no_part_scan(struct add_state *s, const char *val)
{
	s->o->no_part_scan = true;
	return 0;
}

/* A name the kernel might know (none, mq-deadline, bfq, kyber), or "kernel". */
static int set_scheduler(struct add_state *s, const char *val)
{
	size_t n = strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789-_");

	if (!val[0] || val[n] || n > UBR_SCHED_NAME_MAX)
		return say(s->err, s->errlen,
			   "invalid --scheduler '%s': a scheduler's name (none, mq-deadline, bfq, kyber) or 'kernel'",
			   val);
	strcpy(s->o->scheduler, val);
	return 0;
}

static int set_chunk(struct add_state *s, const char *val)
{
	uint64_t v;
	int ret = size_opt(s, val, UBR_MIN_CHUNK, UBR_MAX_CHUNK, 4096, true,
			   &v);

	if (!ret)
		s->o->chunk_size = (uint32_t)v;
	return ret;
}

/* --- options of the fault target (include/ubr_fault.h) --- */

static int add_file(struct add_state *s, int argi, const char *path);

/*
 * FILE must be a word of its own: the client and the daemon put the
 * resolved path in place of that word, and re-create devices from words.
 */
static int set_backing(struct add_state *s, const char *val)
{
	if (s->attached)
		return say(s->err, s->errlen,
			   "option --backing takes FILE as a word of its own: --backing FILE");
	if (s->o->fault.backing)
		return say(s->err, s->errlen, "option --backing given twice");
	s->o->fault.backing = true;
	return add_file(s, s->argi, val);
}

/* Digits then a unit: "500us", "10ms", "1s"; a bare "0" means no delay. */
static int parse_duration(const char *s, uint64_t max_ns, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		      { "s", 1000000000 } };
	const char *end;
	uint64_t v;
	size_t i;

	if (ubr_parse_digits(s, &end, &v) < 0)
		return -EINVAL;
	if (!*end && v == 0) {
		*ns = 0;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > max_ns / units[i].ns)
			return -ERANGE;
		*ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

static int set_delay(struct add_state *s, const char *val)
{
	int ret = parse_duration(val, UBR_FAULT_MAX_DELAY_NS,
				 &s->o->fault.delay_ns);

	if (ret == -ERANGE)
		return say(s->err, s->errlen,
			   "invalid --delay '%s': must be at most 10s", val);
	if (ret < 0)
		return say(s->err, s->errlen,
			   "invalid --delay '%s': not a duration (a number and ns, us, ms or s, e.g. 10ms)",
			   val);
	return 0;
}

/*
 * A probability in millionths, exactly (no floating point, so client and
 * daemon, and every run, agree): "0.1", "1", or a percentage "12.5%".
 * -EDOM: more decimals than a millionth.
 */
static int parse_rate(const char *s, uint32_t *ppm)
{
	size_t n = strlen(s);
	bool pct = n && s[n - 1] == '%';
	uint64_t unit = pct ? UBR_FAULT_PPM / 100 : UBR_FAULT_PPM, v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++)
		if ((v = v * 10 + (uint64_t)(*p - '0')) > 100)
			return -ERANGE;
	v *= unit;
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		for (p++; isdigit((unsigned char)*p); p++) {
			unit /= 10;
			if (!unit && *p != '0')
				return -EDOM;
			v += unit * (uint64_t)(*p - '0');
		}
	}
	if (strcmp(p, pct ? "%" : ""))
		return -EINVAL;
	if (v > UBR_FAULT_PPM)
		return -ERANGE;
	*ppm = (uint32_t)v;
	return 0;
}

static int set_fail_rate(struct add_state *s, const char *val)
{
	int ret = parse_rate(val, &s->o->fault.fail_ppm);

	s->rate_given = true;
	if (ret == -ERANGE)
		return say(s->err, s->errlen,
			   "invalid --fail-rate '%s': must be 0..1 (e.g. 0.1) or 0%%..100%%",
			   val);
	if (ret == -EDOM)
		return say(s->err, s->errlen,
			   "invalid --fail-rate '%s': finer than one in a million",
			   val);
	if (ret < 0)
		return say(s->err, s->errlen,
			   "invalid --fail-rate '%s': not a probability (0..1, e.g. 0.1, or a percentage, e.g. 10%%)",
			   val);
	return 0;
}

static int set_fail_ops(struct add_state *s, const char *val)
{
	char bad[32];

	s->needs_rate = "--fail-ops";
	if (ubr_fault_parse_ops(val, &s->o->fault.fail_ops, bad, sizeof(bad)))
		return say(s->err, s->errlen,
			   "invalid --fail-ops '%s': unknown op '%s' (ops: read, write, flush, discard, write-zeroes)",
			   val, bad);
	return 0;
}

/* START-END: byte offsets with size suffixes, END excluded. */
static int parse_range(const char *val, uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(val, '-');
	char first[32];

	if (!dash || (size_t)(dash - val) >= sizeof(first))
		return -EINVAL;
	memcpy(first, val, (size_t)(dash - val));
	first[dash - val] = '\0';
	if (ubr_parse_size(first, start) < 0 ||
	    ubr_parse_size(dash + 1, end) < 0)
		return -EINVAL;
	return *start < *end ? 0 : -ERANGE;
}

static int set_fail_offset(struct add_state *s, const char *val)
{
	struct ubr_fault_opts *f = &s->o->fault;
	int ret = parse_range(val, &f->fail_start, &f->fail_end);

	s->needs_rate = "--fail-offset";
	if (ret == -ERANGE)
		return say(s->err, s->errlen,
			   "invalid --fail-offset '%s': START must be below END",
			   val);
	if (ret < 0)
		return say(s->err, s->errlen,
			   "invalid --fail-offset '%s': not START-END (byte offsets, with an optional K, M, G or T suffix)",
			   val);
	return 0;
}

static int set_seed(struct add_state *s, const char *val)
{
	s->needs_rate = "--seed";
	return bounded(s, "--seed", val, 0, UINT64_MAX, "", &s->o->fault.seed);
}

static int set_name(struct add_state *s, const char *val)
{
	int ret = ubr_name_check(val, s->err, s->errlen);

	if (!ret)
		strcpy(s->o->name, val);
	return ret;
}

/* Keep in step with the usage text in src/main.c and the man page. */
static const struct add_opt add_opts[] = {
	{ "id", 'n', true, OPT_FOR_ALL, set_id },
	{ "queues", 'q', true, OPT_FOR_ALL, set_queues },
	{ "depth", 'd', true, OPT_FOR_ALL, set_depth },
	{ "max-io-size", 0, true, OPT_FOR_ALL, set_max_io },
	{ "size", 0, true, OPT_FOR_ALL, set_size },
	{ "logical-block-size", 0, true, OPT_FOR_ALL, set_lbs },
	{ "read-only", 0, false, OPT_FOR_ALL, set_read_only },
	{ "copy-mode", 0, true, OPT_FOR_ALL, set_copy_mode },
	{ "buffered", 0, false, OPT_FOR_FILES, set_buffered },
	{ "chunk-size", 0, true, OPT_FOR_STRIPE, set_chunk },
	{ "recovery", 0, true, OPT_FOR_ALL, set_recovery },
	{ "backing", 0, true, OPT_FOR_FAULT, set_backing },
	{ "delay", 0, true, OPT_FOR_FAULT, set_delay },
	{ "fail-rate", 0, true, OPT_FOR_FAULT, set_fail_rate },
	{ "fail-ops", 0, true, OPT_FOR_FAULT, set_fail_ops },
	{ "fail-offset", 0, true, OPT_FOR_FAULT, set_fail_offset },
	{ "seed", 0, true, OPT_FOR_FAULT, set_seed },
	{ "no-partition-scan", 0, false, OPT_FOR_ALL, set_no_part_scan },
	{ "name", 0, true, OPT_FOR_ALL, set_name },
	{ "scheduler", 0, true, OPT_FOR_ALL, set_scheduler },
};

static const struct add_opt *add_opt_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(add_opts) / sizeof(add_opts[0]); i++)
		if (strlen(add_opts[i].name) == len &&
		    !strncmp(add_opts[i].name, name, len))
			return &add_opts[i];
	return NULL;
}

static const struct add_opt *add_opt_short(char c)
{
	size_t i;

	for (i = 0; i < sizeof(add_opts) / sizeof(add_opts[0]); i++)
		if (add_opts[i].short_name && add_opts[i].short_name == c)
			return &add_opts[i];
	return NULL;
}

/*
 * One option word at argv[*i]: "--name", "--name=value", "--name value",
 * "-n value" or "-nvalue". Advances *i past a separate value.
 */
static int add_option(struct add_state *s, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *val = NULL, *eq;
	const struct add_opt *opt;
	char name[64];

	if (arg[1] == '-') {
		eq = strchr(arg + 2, '=');
		opt = add_opt_long(arg + 2, eq ? (size_t)(eq - arg - 2) :
					       strlen(arg + 2));
		val = eq ? eq + 1 : NULL;
	} else {
		opt = add_opt_short(arg[1]);
		val = arg[2] ? arg + 2 : NULL;
	}
	if (!opt)
		return say(s->err, s->errlen, "unknown option '%s' for add",
			   arg);
	snprintf(name, sizeof(name), "--%s", opt->name);
	s->opt = name;
	if (!opt->has_arg && val)
		return say(s->err, s->errlen, "option %s takes no value",
			   name);
	s->attached = val != NULL;
	if (opt->has_arg && !val) {
		if (*i + 1 >= argc)
			return say(s->err, s->errlen, "option %s needs a value",
				   name);
		val = argv[++*i];
	}
	s->argi = *i;
	s->seen |= opt->only;
	if ((opt->only & OPT_FOR_FAULT) && !s->fault_opt)
		s->fault_opt = opt->name;
	return opt->set(s, val);
}

/* A FILE, from a bare word or an option's value word: argv[i] is path. */
static int add_file(struct add_state *s, int i, const char *path)
{
	struct ubr_dev_opts *o = s->o;

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

static int add_positional(struct add_state *s, int i, const char *arg)
{
	struct ubr_dev_opts *o = s->o;

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

static int check_files(struct add_state *s, const struct target_args *t)
{
	unsigned n = s->o->nr_files;
	const char *name = s->o->target;

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

static int fault_finish(struct add_state *s)
{
	const struct ubr_dev_opts *o = s->o;

	if (o->nr_files > (o->fault.backing ? 1U : 0U))
		return say(s->err, s->errlen,
			   "target fault takes no FILE: use --backing FILE");
	if (o->buffered && !o->fault.backing)
		return say(s->err, s->errlen,
			   "option --buffered needs --backing FILE");
	if (s->needs_rate && !s->rate_given)
		return say(s->err, s->errlen, "option %s needs --fail-rate",
			   s->needs_rate);
	return 0;
}

/* The checks that need the whole command line. */
static int add_finish(struct add_state *s)
{
	struct ubr_dev_opts *o = s->o;
	const struct target_args *t;
	char size[16];
	int ret;

	if (!o->target[0])
		return say(s->err, s->errlen,
			   "add needs a target (targets: %s)",
			   ubr_target_names());
	t = target_args_find(o->target);
	if ((s->seen & OPT_FOR_STRIPE) && !(t->opts & OPT_FOR_STRIPE))
		return say(s->err, s->errlen,
			   "option --chunk-size is for the stripe target only");
	if ((s->seen & OPT_FOR_FILES) && !(t->opts & OPT_FOR_FILES))
		return say(s->err, s->errlen,
			   "option --buffered is for targets with backing files only");
	if ((s->seen & OPT_FOR_FAULT) && !(t->opts & OPT_FOR_FAULT))
		return say(s->err, s->errlen,
			   "option --%s is for the fault target only",
			   s->fault_opt);
	ret = t->opts & OPT_FOR_FAULT ? fault_finish(s) : 0;
	if (ret < 0)
		return ret;
	ret = check_files(s, t);
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

/* The device is recreated from these words (recovery, config reload). */
static int keep_words(struct add_state *s, int argc, char **argv)
{
	struct ubr_dev_opts *o = s->o;
	int i;

	o->words = calloc((size_t)argc, sizeof(*o->words));
	if (!o->words)
		goto nomem;
	for (; o->nr_words < (unsigned)argc; o->nr_words++) {
		i = (int)o->nr_words;
		o->words[i] = strdup(argv[i]);
		if (!o->words[i])
			goto nomem;
	}
	return 0;
nomem:
	say(s->err, s->errlen, "out of memory");
	return -ENOMEM;
}

int ubr_parse_add_at(int argc, char **argv, struct ubr_dev_opts *o,
		     int *file_argi, char *err, size_t errlen)
{
	struct add_state s = { .o = o, .file_argi = file_argi, .err = err,
			       .errlen = errlen };
	bool opts_done = false;
	int i, ret = 0;

	ubr_dev_opts_init(o);
	err[0] = '\0';
	for (i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i];

		if (!opts_done && !strcmp(arg, "--"))
			opts_done = true;
		else if (!opts_done && arg[0] == '-' && arg[1])
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

/* --- del, list, features, stats ------------------------------------------ */

static int del_add_id(struct ubr_del_args *d, uint32_t id)
{
	unsigned i;

	for (i = 0; i < d->nr_ids; i++)
		if (d->ids[i] == id)
			return 0;
	d->ids[d->nr_ids++] = id;
	return 0;
}

/* A device ID word of `del`, `recover` or `stats`. */
static int dev_id_word(const char *cmd, const char *arg, uint32_t *id,
		       char *err, size_t errlen)
{
	uint64_t v;
	int ret;

	if (arg[0] == '-' && arg[1])
		return say(err, errlen, "unknown option '%s' for %s", arg, cmd);
	ret = ubr_parse_u64(arg, 0, UBR_MAX_DEV_ID, &v);
	if (ret == -ERANGE)
		return say(err, errlen, "invalid device ID '%s': must be 0..%u",
			   arg, UBR_MAX_DEV_ID);
	if (ret)
		return say(err, errlen, "invalid device ID '%s': not a number",
			   arg);
	*id = (uint32_t)v;
	return 0;
}

static int del_add_name(struct ubr_del_args *d, const char *name)
{
	unsigned i;

	for (i = 0; i < d->nr_names; i++)
		if (!strcmp(d->names[i], name))
			return 0;
	d->names[d->nr_names++] = name;
	return 0;
}

/* del also takes device names; recover only IDs (records know no names). */
static int del_word(struct ubr_del_args *d, const char *cmd, const char *arg,
		    char *err, size_t errlen)
{
	uint64_t v;
	uint32_t id;
	int ret;

	if (!strcmp(arg, "--all") || !strcmp(arg, "-a")) {
		d->all = true;
		return 0;
	}
	if (!strcmp(cmd, "del") &&
	    (!strcmp(arg, "--force") || !strcmp(arg, "-f"))) {
		d->force = true;
		return 0;
	}
	if (!strcmp(cmd, "del") && arg[0] != '-' &&
	    ubr_parse_u64(arg, 0, UINT64_MAX, &v) == -EINVAL) {
		if (ubr_name_check(arg, err, errlen) == 0)
			return del_add_name(d, arg);
		return say(err, errlen,
			   "invalid device ID or name '%s': not a number, nor a name",
			   arg);
	}
	ret = dev_id_word(cmd, arg, &id, err, errlen);
	return ret < 0 ? ret : del_add_id(d, id);
}

int ubr_parse_del(int argc, char **argv, struct ubr_del_args *d, char *err,
		  size_t errlen)
{
	int i, ret = 0;

	memset(d, 0, sizeof(*d));
	err[0] = '\0';
	if (argc > 1) {
		d->ids = calloc((size_t)argc, sizeof(*d->ids));
		d->names = calloc((size_t)argc, sizeof(*d->names));
		if (!d->ids || !d->names) {
			ubr_del_args_release(d);
			say(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	for (i = 1; i < argc && !ret; i++)
		ret = del_word(d, argv[0], argv[i], err, errlen);
	if (!ret && d->all && (d->nr_ids || d->nr_names))
		ret = say(err, errlen, "%s takes device IDs or --all, not both",
			  argv[0]);
	/* Another process's device is named, never swept up by --all. */
	if (!ret && d->force && d->all)
		ret = say(err, errlen, "del --force takes device IDs, not --all");
	/* recover without IDs means all of them; del must say so. */
	if (!ret && !d->all && !d->nr_ids && !strcmp(argv[0], "recover"))
		d->all = true;
	if (!ret && !d->all && !d->nr_ids && !d->nr_names)
		ret = say(err, errlen, "del needs device IDs or --all");
	if (ret < 0)
		ubr_del_args_release(d);
	return ret;
}

void ubr_del_args_release(struct ubr_del_args *d)
{
	free(d->ids);
	d->ids = NULL;
	d->nr_ids = 0;
	free(d->names);
	d->names = NULL;
	d->nr_names = 0;
}

/* --- update-size, quiesce, resume ---------------------------------------- */

int ubr_parse_dev_id(const char *arg, uint32_t *id, char *err, size_t errlen)
{
	uint64_t v;
	int ret = ubr_parse_u64(arg, 0, UBR_MAX_DEV_ID, &v);

	if (ret == -ERANGE)
		return say(err, errlen, "invalid device ID '%s': must be 0..%u",
			   arg, UBR_MAX_DEV_ID);
	if (ret)
		return say(err, errlen, "invalid device ID '%s': not a number",
			   arg);
	*id = (uint32_t)v;
	return 0;
}

/* These commands take no option: a word like one is a mistake. */
static int no_options(int argc, char **argv, char *err, size_t errlen)
{
	int i;

	err[0] = '\0';
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return say(err, errlen, "unknown option '%s' for %s",
				   argv[i], argv[0]);
	return 0;
}

int ubr_parse_id_cmd(int argc, char **argv, uint32_t *id, char *err,
		     size_t errlen)
{
	int ret = no_options(argc, argv, err, errlen);

	if (ret)
		return ret;
	if (argc != 2)
		return say(err, errlen, "%s needs one device ID%s", argv[0],
			   argc > 2 ? " (no more)" : "");
	return ubr_parse_dev_id(argv[1], id, err, errlen);
}

int ubr_parse_update_size(int argc, char **argv, uint32_t *id,
			  uint64_t *size, char *err, size_t errlen)
{
	const uint64_t max = 1ULL << 62;
	int ret = no_options(argc, argv, err, errlen);

	if (ret)
		return ret;
	if (argc != 3)
		return say(err, errlen, "%s needs a device ID and a size",
			   argv[0]);
	ret = ubr_parse_dev_id(argv[1], id, err, errlen);
	if (ret)
		return ret;
	ret = ubr_parse_size(argv[2], size);
	if (ret == -EINVAL)
		return say(err, errlen,
			   "invalid size '%s': not a size (bytes, or with a K, M, G or T suffix)",
			   argv[2]);
	if (ret == -ERANGE || *size < 512 || *size > max)
		return say(err, errlen, "invalid size '%s': must be 512..4E",
			   argv[2]);
	if (*size % 512)
		return say(err, errlen,
			   "invalid size '%s': must be a multiple of 512", argv[2]);
	return 0;
}

int ubr_parse_list(int argc, char **argv, bool *json, char *err,
		   size_t errlen)
{
	int i;

	*json = false;
	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			return say(err, errlen, "unknown argument '%s' for list",
				   argv[i]);
		*json = true;
	}
	return 0;
}

int ubr_parse_stop(int argc, char **argv, bool *delete_devs, char *err,
		   size_t errlen)
{
	int i;

	*delete_devs = false;
	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--delete"))
			return say(err, errlen, "unknown argument '%s' for stop",
				   argv[i]);
		*delete_devs = true;
	}
	return 0;
}

int ubr_parse_no_args(int argc, char **argv, char *err, size_t errlen)
{
	err[0] = '\0';
	if (argc > 1)
		return say(err, errlen, "%s takes no arguments (got '%s')",
			   argv[0], argv[1]);
	return 0;
}

/* `stats [--json] [ID...]`: IDs in command order, duplicates kept once. */
int ubr_parse_stats(int argc, char **argv, struct ubr_stats_args *a,
		    char *err, size_t errlen)
{
	uint32_t id;
	unsigned j;
	int i, ret;

	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	a->ids = calloc((size_t)argc, sizeof(*a->ids));
	if (!a->ids) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
			continue;
		}
		ret = dev_id_word("stats", argv[i], &id, err, errlen);
		if (ret < 0) {
			ubr_stats_args_release(a);
			return ret;
		}
		for (j = 0; j < a->nr_ids && a->ids[j] != id; j++)
			;
		if (j == a->nr_ids)
			a->ids[a->nr_ids++] = id;
	}
	return 0;
}

void ubr_stats_args_release(struct ubr_stats_args *a)
{
	free(a->ids);
	a->ids = NULL;
	a->nr_ids = 0;
}
