/* SPDX-License-Identifier: MIT */
/*
 * The fault target's options: --backing, --delay, --fail-rate, --fail-ops,
 * --fail-offset, --seed (and --buffered, shared with the file targets).
 * Exact parsers, no floating point: the client and the daemon, and every
 * run, must read the same words the same way.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "ubr_util.h"
#include "fault.h"

static struct ubr_fault_args *args_of(struct ubr_tgt_args *a)
{
	return a->priv;
}

static int set_backing(struct ubr_tgt_args *a, const char *val)
{
	struct ubr_fault_args *fa = args_of(a);

	if (fa->f.backing && !a->attached)
		return ubr_tgt_say(a, "option --backing given twice");
	fa->f.backing = true;
	return ubr_tgt_file(a, val);
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
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > max_ns / units[i].ns)
			return -ERANGE;
		*ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

static int set_delay(struct ubr_tgt_args *a, const char *val)
{
	int ret = parse_duration(val, UBR_FAULT_MAX_DELAY_NS,
				 &args_of(a)->f.delay_ns);

	if (ret == -ERANGE)
		return ubr_tgt_say(a, "invalid --delay '%s': must be at most 10s",
				   val);
	if (ret < 0)
		return ubr_tgt_say(a,
				   "invalid --delay '%s': not a duration (a number and ns, us, ms or s, e.g. 10ms)",
				   val);
	return 0;
}

/*
 * A probability in millionths, exactly: "0.1", "1", or a percentage
 * "12.5%". -EDOM: more decimals than a millionth.
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

static int set_fail_rate(struct ubr_tgt_args *a, const char *val)
{
	int ret = parse_rate(val, &args_of(a)->f.fail_ppm);

	args_of(a)->rate_given = true;
	if (ret == -ERANGE)
		return ubr_tgt_say(a,
				   "invalid --fail-rate '%s': must be 0..1 (e.g. 0.1) or 0%%..100%%",
				   val);
	if (ret == -EDOM)
		return ubr_tgt_say(a,
				   "invalid --fail-rate '%s': finer than one in a million",
				   val);
	if (ret < 0)
		return ubr_tgt_say(a,
				   "invalid --fail-rate '%s': not a probability (0..1, e.g. 0.1, or a percentage, e.g. 10%%)",
				   val);
	return 0;
}

static int set_fail_ops(struct ubr_tgt_args *a, const char *val)
{
	char bad[32];

	args_of(a)->needs_rate = "--fail-ops";
	if (ubr_fault_parse_ops(val, &args_of(a)->f.fail_ops, bad,
				sizeof(bad)))
		return ubr_tgt_say(a,
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

static int set_fail_offset(struct ubr_tgt_args *a, const char *val)
{
	struct ubr_fault_opts *f = &args_of(a)->f;
	int ret = parse_range(val, &f->fail_start, &f->fail_end);

	args_of(a)->needs_rate = "--fail-offset";
	if (ret == -ERANGE)
		return ubr_tgt_say(a,
				   "invalid --fail-offset '%s': START must be below END",
				   val);
	if (ret < 0)
		return ubr_tgt_say(a,
				   "invalid --fail-offset '%s': not START-END (byte offsets, with an optional K, M, G or T suffix)",
				   val);
	return 0;
}

static int set_seed(struct ubr_tgt_args *a, const char *val)
{
	args_of(a)->needs_rate = "--seed";
	return ubr_tgt_number(a, "--seed", val, 0, UINT64_MAX,
			      &args_of(a)->f.seed);
}

const struct ubr_tgt_opt ubr_fault_opt_table[] = {
	{ "backing", 0, "FILE", "serve FILE as loop does (none)", set_backing },
	UBR_FILES_OPT_BUFFERED,
	{ "delay", 0, "DURATION", "delay each request, e.g. 20ms (<= 10s)",
	  set_delay },
	{ "fail-rate", 0, "P",
	  "fail this share of eligible requests,\n0..1 (e.g. 0.1) or N%, with EIO",
	  set_fail_rate },
	{ "fail-ops", 0, "OP,...",
	  "the ops that may fail, of read, write,\nflush, discard, write-zeroes (all)",
	  set_fail_ops },
	{ "fail-offset", 0, "START-END",
	  "only requests touching these bytes fail", set_fail_offset },
	{ "seed", 0, "N", "which requests fail, fixed per seed (0)",
	  set_seed },
	{ .name = NULL },
};

/* Its one FILE comes from --backing, never from a bare word. */
int ubr_fault_opts_finish(struct ubr_tgt_args *a)
{
	const struct ubr_fault_args *fa = a->priv;

	if (a->o->nr_files > (fa->f.backing ? 1U : 0U))
		return ubr_tgt_say(a,
				   "target fault takes no FILE: use --backing FILE");
	if (fa->files.buffered && !fa->f.backing)
		return ubr_tgt_say(a, "option --buffered needs --backing FILE");
	if (fa->needs_rate && !fa->rate_given)
		return ubr_tgt_say(a, "option %s needs --fail-rate",
				   fa->needs_rate);
	return 0;
}

const struct ubr_fault_opts *ubr_fault_opts_of(const struct ubr_dev *dev)
{
	static const struct ubr_fault_args defaults;
	const struct ubr_fault_args *fa = dev->opts.tgt_opts;

	return fa ? &fa->f : &defaults.f;
}
