/* SPDX-License-Identifier: MIT */
/* Command-line parsing: sizes, bounds, add/del/list/stats, and reentrancy. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "tap.h"
#include "ubr_cli.h"
#include "ubr_dev_opts_parse.h"
#include "ubr_target.h"
#include "ubr_upgrade.h"
#include "stripe.h"

static char err[256];

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int ret = ubr_parse_size(s, &v);

	ok(ret == 0 && v == want, "size '%s' = %llu (got %d, %llu)", s,
	   (unsigned long long)want, ret, (unsigned long long)v);
}

static void size_bad(const char *s, int want)
{
	uint64_t v = 12345;
	int ret = ubr_parse_size(s, &v);

	ok(ret == want && v == 12345, "size '%s' refused with %d (got %d)", s,
	   want, ret);
}

static void test_sizes(void)
{
	size_ok("0", 0);
	size_ok("512", 512);
	size_ok("4K", 4096);
	size_ok("4k", 4096);
	size_ok("64KiB", 65536);
	size_ok("1M", 1 << 20);
	size_ok("250G", 250ULL << 30);
	size_ok("2T", 2ULL << 40);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("16777215T", 16777215ULL << 40);
	size_bad("", -EINVAL);
	size_bad("K", -EINVAL);
	size_bad("-1", -EINVAL);
	size_bad("+1", -EINVAL);
	size_bad(" 1", -EINVAL);
	size_bad("1 ", -EINVAL);
	size_bad("0x10", -EINVAL);
	size_bad("1.5M", -EINVAL);
	size_bad("1KB", -EINVAL);
	size_bad("1Ki", -EINVAL);
	size_bad("1P", -EINVAL);
	size_bad("18446744073709551616", -ERANGE);
	size_bad("16777216T", -ERANGE);
	size_bad("99999999999999999999999K", -ERANGE);
}

static void test_u64(void)
{
	const char *end;
	uint64_t v;

	ok(ubr_parse_u64("7", 1, 10, &v) == 0 && v == 7, "u64 in range");
	is_int(ubr_parse_u64("0", 1, 10, &v), -ERANGE, "u64 below min");
	is_int(ubr_parse_u64("11", 1, 10, &v), -ERANGE, "u64 above max");
	is_int(ubr_parse_u64("1O", 1, 10, &v), -EINVAL, "u64 trailing junk");
	is_int(ubr_parse_u64("", 0, 10, &v), -EINVAL, "u64 empty");
	/* ubr_parse_digits, where strtoull was: the end on each outcome */
	ok(ubr_parse_digits("18446744073709551615:", &end, &v) == 0 &&
	   v == UINT64_MAX && *end == ':', "digits: the largest, end past");
	ok(ubr_parse_digits("18446744073709551616:", &end, &v) == -ERANGE &&
	   *end == ':', "digits: overflow, end still past the digits");
	end = NULL;
	ok(ubr_parse_digits(" 1", &end, &v) == -EINVAL && !end,
	   "digits: no blank, end untouched");
	is_int(ubr_parse_digits("-1", &end, &v), -EINVAL, "digits: no sign");
}

static void fmt_is(uint64_t bytes, const char *want)
{
	char buf[16];

	ubr_format_size(bytes, buf, sizeof(buf));
	is_str(buf, want, want);
}

static void test_format(void)
{
	fmt_is(0, "0");
	fmt_is(512, "512");
	fmt_is(1024, "1K");
	fmt_is(1536, "1.5K");
	fmt_is(9 << 20, "9M");
	fmt_is(250ULL << 30, "250G");
	fmt_is((1ULL << 30) - 1, "1023M");
	fmt_is(3ULL << 29, "1.5G");
	fmt_is(UINT64_MAX, "16.0E");
}

/* --- ubr_strstr and ubr_sort -------------------------------------------- */

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void sort_is(int *v, size_t n, const char *what)
{
	size_t i;

	ubr_sort(v, n, sizeof(*v), int_cmp);
	for (i = 1; i < n && v[i - 1] <= v[i]; i++)
		;
	ok(n < 2 || i == n, "sort: %s", what);
}

static void test_search_sort(void)
{
	const char *h = "-n, --id ID";
	int v[1000], few[3] = { 3, 1, 2 }, i;
	uint64_t big[40];

	ok(ubr_strstr(h, "--id") == h + 4, "strstr: in the middle");
	ok(ubr_strstr(h, "-n") == h, "strstr: at the start");
	ok(ubr_strstr(h, "ID") == h + 9, "strstr: at the end");
	ok(!ubr_strstr(h, "IDs"), "strstr: past the end");
	ok(!ubr_strstr(h, "-x"), "strstr: absent");
	ok(ubr_strstr(h, "") == h, "strstr: empty needle");
	ok(!ubr_strstr("", "a"), "strstr: empty haystack");
	ok(ubr_strstr("aaab", "aab") != NULL, "strstr: after a false start");
	ok(!ubr_strncasecmp("NBD+Unix", "nbd+unix", 8), "strncasecmp: case aside, equal");
	ok(!ubr_strncasecmp("nbdX", "nbdY", 3), "strncasecmp: only n bytes");
	ok(ubr_strncasecmp("nbd", "nbe", 3) < 0 && ubr_strncasecmp("nbe", "NBD", 3) > 0,
	   "strncasecmp: ordered as strncasecmp");
	ok(!ubr_strncasecmp("LocalHost", "localhost", SIZE_MAX), "strcasecmp: equal");
	ok(ubr_strncasecmp("localhost", "localhost6", SIZE_MAX) != 0 &&
	   ubr_strncasecmp("localhost6", "localhost", SIZE_MAX) != 0,
	   "strcasecmp: a prefix is not equal, either way");
	ok(!ubr_strncasecmp("ab", "AB", 10), "strncasecmp: n past both ends");
	ubr_sort(NULL, 0, sizeof(int), int_cmp); /* kdev_scan's empty list */
	sort_is(few, 1, "one element");
	sort_is(few, 3, "three");
	is_int(few[0] * 100 + few[1] * 10 + few[2], 123, "sort: 1 2 3");
	for (i = 0; i < 1000; i++)
		v[i] = (i * 7919) % 1009 - 500;
	sort_is(v, 1000, "1000 scattered");
	sort_is(v, 1000, "1000 sorted already");
	for (i = 0; i < 1000; i++)
		v[i] = 1000 - i;
	sort_is(v, 1000, "1000 reversed");
	is_int(v[0] + v[999], 1001, "sort: reversed ends");
	for (i = 0; i < 40; i++)
		big[i] = (uint64_t)(40 - i) << 33;
	ubr_sort(big, 40, sizeof(*big), u64_cmp);
	for (i = 1; i < 40 && big[i - 1] < big[i]; i++)
		;
	is_int(i, 40, "sort: 8-byte elements");
}

/* --- --upgraded's descriptors ------------------------------------------- */

static void fds_bad(const char *s, int want)
{
	struct ubr_upgrade_fds up = { -1, -1, -1, -1, false };

	is_int(ubr_upgrade_parse_fds(&up, s), want, s);
}

static void test_upgrade_fds(void)
{
	struct ubr_upgrade_fds up = { -1, -1, -1, -1, false };
	char s[64], t[80];
	int fd[4], i;

	for (i = 0; i < 4; i++)
		fd[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(s, sizeof(s), "%d:%d:%d:%d", fd[0], fd[1], fd[2], fd[3]);
	is_int(ubr_upgrade_parse_fds(&up, s), 0, s);
	ok(up.lock == fd[0] && up.listen == fd[1] && up.conn == fd[2] &&
	   up.gone == fd[3] && !up.failed, "%s: each in its place", s);
	snprintf(t, sizeof(t), "%s:failed", s);
	is_int(ubr_upgrade_parse_fds(&up, t), 0, t);
	ok(up.failed && up.gone == fd[3], "%s: failed", t);
	snprintf(t, sizeof(t), "%s:fail", s);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%s:", s);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%s:%d", s, fd[0]);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%s ", s);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), " %s", s);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "+%s", s);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%d:%d:%d", fd[0], fd[1], fd[2]);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%d::%d:%d", fd[0], fd[2], fd[3]);
	fds_bad(t, -EINVAL);
	snprintf(t, sizeof(t), "%d:%d:%d:99999999999", fd[0], fd[1], fd[2]);
	fds_bad(t, -EINVAL);
	fds_bad("", -EINVAL);
	/* numbers, but no descriptors of ours */
	snprintf(t, sizeof(t), "%d:%d:2:%d", fd[0], fd[1], fd[3]);
	fds_bad(t, -EBADF);
	for (i = 0; i < 4; i++)
		close(fd[i]);
	fds_bad(s, -EBADF);
}

/* --- add --------------------------------------------------------------- */

/*
 * The tests look at the parsed fields, not at the words and paths kept for
 * recovery: those are released here, so that nothing leaks (ASan).
 */
static int add(char **argv, struct ubr_dev_opts *o)
{
	int ret = ubr_parse_add(nargs(argv), argv, o, err, sizeof(err));
	unsigned nr_files = o->nr_files;

	if (ret == 0) {
		ubr_dev_opts_release(o);
		o->nr_files = nr_files;
	}
	return ret;
}

/* A refused command: -EINVAL and a message containing `want`. */
static void add_bad(char **argv, const char *want, const char *what)
{
	struct ubr_dev_opts o;
	int ret = add(argv, &o);

	ok(ret == -EINVAL && strstr(err, want), "%s: '%s'", what, err);
}

static void test_add_defaults(void)
{
	struct ubr_dev_opts o;
	char **v = ARGV("add", "null");

	is_int(add(v, &o), 0, "add null");
	is_str(o.target, "null", "target");
	ok(o.id == UBR_DEV_ID_ANY && o.nr_queues == 1 && o.depth == 128 &&
		   o.size == 0 && o.logical_bs == 512 && !o.read_only &&
		   o.copy_mode == UBR_COPY_AUTO && o.nr_files == 0,
	   "defaults");
	ubr_dev_opts_release(&o);
}

static void test_add_all_options(void)
{
	struct ubr_dev_opts o;
	char **v = ARGV("add", "-n", "5", "--queues=1", "-d64", "null",
			"--size", "1G", "--logical-block-size", "4096",
			"--read-only", "--copy-mode", "user", "--max-io-size",
			"256K");

	is_int(add(v, &o), 0, "every common option");
	ok(o.id == 5 && o.nr_queues == 1 && o.depth == 64 &&
		   o.size == (1ULL << 30) && o.logical_bs == 4096 &&
		   o.read_only && o.copy_mode == UBR_COPY_USER &&
		   o.max_io_bytes == (256U << 10),
	   "every value taken");
	ubr_dev_opts_release(&o);
}

static void test_add_errors(void)
{
	char max[16], over[16];

	snprintf(max, sizeof(max), "%u", ubr_max_queues());
	snprintf(over, sizeof(over), "%u", ubr_max_queues() + 1);
	add_bad(ARGV("add"), "add needs a target", "no target");
	add_bad(ARGV("add", "nosuch"), "unknown target 'nosuch'",
		"unknown target");
	add_bad(ARGV("add", "null", "--bogus"), "unknown option '--bogus'",
		"unknown long option");
	add_bad(ARGV("add", "null", "-x"), "unknown option '-x'",
		"unknown short option");
	add_bad(ARGV("add", "null", "-d", "0"), "must be 1..4096",
		"depth 0");
	add_bad(ARGV("add", "null", "-d", "5000"), "must be 1..4096",
		"depth 5000");
	add_bad(ARGV("add", "null", "-d", "abc"), "not a number",
		"depth not a number");
	add_bad(ARGV("add", "null", "-d", "-1"), "not a number",
		"depth negative");
	add_bad(ARGV("add", "null", "-d"), "needs a value",
		"depth without value");
	add_bad(ARGV("add", "null", "-q", "0"), "queue count '0'",
		"queues 0");
	add_bad(ARGV("add", "null", "-q", over), "possible CPU",
		"queues above the CPUs");
	add_bad(ARGV("add", "null", "--logical-block-size", "1024"),
		"must be 512 or 4096", "block size 1024");
	add_bad(ARGV("add", "null", "-n", "1048576"), "device ID",
		"id too large");
	add_bad(ARGV("add", "null", "--read-only=yes"), "takes no value",
		"flag with a value");
	add_bad(ARGV("add", "null", "--copy-mode", "fast"),
		"invalid copy mode 'fast'", "bad copy mode");
	add_bad(ARGV("add", "null", "--max-io-size", "2M"), "4K..1M",
		"max io size too big");
	add_bad(ARGV("add", "null", "--max-io-size", "5000"),
		"multiple of 4096", "max io size not a page multiple");
	add_bad(ARGV("add", "null", "--size", "1000"), "multiple of 512",
		"size not a sector multiple");
	add_bad(ARGV("add", "null", "--size", "6K", "--logical-block-size",
		     "4096"),
		"multiple of the logical block size (4096)",
		"size not a block multiple");
	add_bad(ARGV("add", "null", "--size", "0"), "512..",
		"size zero");
	add_bad(ARGV("add", "null", "--size", "10Q"), "not a size",
		"size with a bad suffix");
	add_bad(ARGV("add", "null", "/tmp/x"), "takes no FILE",
		"null with a file");
	add_bad(ARGV("add", "null", "--chunk-size", "64K"),
		"stripe target only", "chunk size on null");
	add_bad(ARGV("add", "null", "--buffered"),
		"option --buffered is for the loop, stripe and fault targets only",
		"buffered on null");
	ok(add(ARGV("add", "null", "-q", max), &(struct ubr_dev_opts){ 0 }) == 0,
	   "queues = possible CPUs accepted");
}

static void test_add_forms(void)
{
	struct ubr_dev_opts o;

	is_int(add(ARGV("add", "null", "--depth=32"), &o), 0, "--opt=val");
	is_int(o.depth, 32, "--opt=val value");
	is_int(add(ARGV("add", "-d7", "null"), &o), 0, "-Nval before target");
	is_int(o.depth, 7, "-Nval value");
	is_int(add(ARGV("add", "null", "--", "-d"), &o), -EINVAL,
	       "-- makes -d a FILE");
	is_int(add(ARGV("add", "null", "--logical-block-size", "4K"), &o),
	       0, "block size 4K");
	is_int(o.logical_bs, 4096, "4K is 4096");
}

static void test_add_files(void)
{
	struct ubr_dev_opts o;
	const struct ubr_stripe_opts *so;
	int argi[UBR_MAX_FILES];
	char **v;

	if (!ubr_target_find("stripe")) {
		skip(5, "the stripe target is not in this build yet");
		return;
	}
	v = ARGV("add", "stripe", "a", "--chunk-size", "128K", "b",
		 "--buffered");
	is_int(ubr_parse_add_at(nargs(v), v, &o, argi, err, sizeof(err)), 0,
	       "stripe with two files");
	ok(o.nr_files == 2 && !strcmp(o.paths[0], "a") &&
		   !strcmp(o.paths[1], "b"),
	   "paths in order");
	ok(argi[0] == 2 && argi[1] == 5, "file argv indexes");
	so = o.tgt_opts;
	ok(so && so->chunk_size == (128U << 10) && so->files.buffered,
	   "chunk and buffered");
	ubr_dev_opts_release(&o);
	add_bad(ARGV("add", "stripe", "--chunk-size", "96K"),
		"power of 2", "chunk not a power of 2");
}

static void test_add_reentrant(void)
{
	struct ubr_dev_opts o;
	int i, fails = 0;

	add(ARGV("add", "null", "-d", "0"), &o);
	is_int(add(ARGV("add", "null", "-d", "9", "--read-only", "-q"), &o),
	       -EINVAL, "an error mid-way");
	is_int(add(ARGV("add", "null"), &o), 0, "then a clean parse");
	ok(o.depth == 128 && !o.read_only, "no state left from before");
	for (i = 0; i < 1000; i++) {
		fails += add(ARGV("add", "null", "-d", "64"), &o) != 0 ||
			 o.depth != 64;
		fails += add(ARGV("add", "null", "--nope"), &o) != -EINVAL;
	}
	is_int(fails, 0, "2000 parses in a row");
}

static void name_bad(const char *name, const char *msg)
{
	int ret = ubr_name_check(name, err, sizeof(err));

	ok(ret == -EINVAL && strstr(err, msg),
	   "name '%.20s' refused: %s (got %d: %s)", name, msg, ret, err);
}

static void test_names(void)
{
	struct ubr_dev_opts o;
	char longest[UBR_NAME_MAX + 2];

	memset(longest, 'a', sizeof(longest));
	longest[UBR_NAME_MAX] = '\0';
	is_int(ubr_name_check("db-1_x.y", err, sizeof(err)), 0, "a good name");
	is_int(ubr_name_check("7up", err, sizeof(err)), 0, "digits first");
	is_int(ubr_name_check(longest, err, sizeof(err)), 0,
	       "a name of the largest length");
	longest[UBR_NAME_MAX] = 'a';
	longest[UBR_NAME_MAX + 1] = '\0';
	name_bad(longest, "1 to 64 characters");
	name_bad("", "1 to 64 characters");
	name_bad("a b", "only letters");
	name_bad("a/b", "only letters");
	name_bad("caf\xc3\xa9", "only letters");
	name_bad("-x", "must not begin");
	name_bad(".x", "must not begin");
	name_bad("..", "must not begin");
	name_bad("123", "all digits");
	is_int(add(ARGV("add", "null", "--name", "db"), &o), 0, "add --name");
	is_str(o.name, "db", "the name is kept");
	is_int(add(ARGV("add", "--name=web", "null"), &o), 0, "--name=NAME");
	is_str(o.name, "web", "--name=NAME value");
	is_int(add(ARGV("add", "null"), &o), 0, "add without a name");
	is_str(o.name, "", "no name by default");
	add_bad(ARGV("add", "null", "--name", "a b"), "invalid name",
		"add with a bad name");
	add_bad(ARGV("add", "null", "--name"), "needs a value",
		"--name without a value");
}

/* --- del, list ----------------------------------------------------------- */

static int del(char **argv, struct ubr_del_args *d)
{
	return ubr_parse_del(nargs(argv), argv, d, err, sizeof(err));
}

static int list(char **argv, bool *json)
{
	return ubr_parse_list(nargs(argv), argv, json, err, sizeof(err));
}

static void test_del(void)
{
	struct ubr_del_args d;

	is_int(del(ARGV("del", "3", "1", "3"), &d), 0, "del 3 1 3");
	ok(d.nr_ids == 2 && d.ids[0] == 3 && d.ids[1] == 1 && !d.all,
	   "ids deduplicated, in order");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del", "--all"), &d), 0, "del --all");
	ok(d.all && d.nr_ids == 0, "all set");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del"), &d), -EINVAL, "del alone");
	is_int(del(ARGV("del", "--all", "1"), &d), -EINVAL,
	       "del --all with an id");
	is_int(del(ARGV("del", "x/1"), &d), -EINVAL,
	       "del of neither a number nor a name");
	ok(strstr(err, "not a number, nor a name") != NULL,
	   "message says why: %s", err);
	is_int(del(ARGV("del", "db", "3", "db", "web.1"), &d), 0,
	       "del of names and an ID");
	ok(d.nr_ids == 1 && d.ids[0] == 3 && d.nr_names == 2 &&
		   !strcmp(d.names[0], "db") && !strcmp(d.names[1], "web.1"),
	   "names deduplicated, in order");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del", "--all", "db"), &d), -EINVAL,
	       "del --all with a name");
	is_int(del(ARGV("del", "-1"), &d), -EINVAL, "del -1");
	is_int(del(ARGV("del", "1048576"), &d), -EINVAL, "del of a huge id");
	ok(del(ARGV("del", "4"), &d) == 0 && !d.force, "del: no --force by default");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del", "4", "--force", "5"), &d), 0, "del 4 --force 5");
	ok(d.force && d.nr_ids == 2, "--force set, both IDs kept");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del", "-f", "web"), &d), 0, "del -f NAME");
	ok(d.force && d.nr_names == 1, "-f is --force");
	ubr_del_args_release(&d);
	is_int(del(ARGV("del", "--all", "--force"), &d), -EINVAL,
	       "del --all --force");
	is_str(err, "del --force takes device IDs, not --all",
	       "--force never sweeps another's devices");
	is_int(del(ARGV("recover", "--force"), &d), -EINVAL, "recover --force");
	is_str(err, "unknown option '--force' for recover",
	       "--force is del's only");
}

static void test_list(void)
{
	char **v = ARGV("features", "x");
	bool json;

	is_int(list(ARGV("list"), &json), 0, "list");
	ok(!json, "text by default");
	is_int(list(ARGV("list", "--json"), &json), 0, "list --json");
	ok(json, "json asked");
	is_int(list(ARGV("list", "-l"), &json), -EINVAL, "list -l");
	is_str(err, "unknown argument '-l' for list", "its message");
	v = ARGV("stop", "--delete");
	is_int(ubr_parse_stop(nargs(v), v, &json, err, sizeof(err)), 0,
	       "stop --delete");
	ok(json, "delete asked");
	v = ARGV("stop", "--json");
	is_int(ubr_parse_stop(nargs(v), v, &json, err, sizeof(err)), -EINVAL,
	       "stop --json");
	is_str(err, "unknown argument '--json' for stop", "its message");
	v = ARGV("features", "x");
	is_int(ubr_parse_no_args(nargs(v), v, err, sizeof(err)), -EINVAL,
	       "features x");
}

static int stats(char **argv, struct ubr_stats_args *a)
{
	return ubr_parse_stats(nargs(argv), argv, a, err, sizeof(err));
}

static void test_stats(void)
{
	struct ubr_stats_args a;

	is_int(stats(ARGV("stats"), &a), 0, "stats");
	ok(!a.json && a.nr_ids == 0, "text, every device");
	ubr_stats_args_release(&a);
	is_int(stats(ARGV("stats", "4", "--json", "2", "4"), &a), 0,
	       "stats 4 --json 2 4");
	ok(a.json && a.nr_ids == 2 && a.ids[0] == 4 && a.ids[1] == 2,
	   "json, ids deduplicated, in order");
	ubr_stats_args_release(&a);
	is_int(stats(ARGV("stats", "--all"), &a), -EINVAL, "stats --all");
	is_str(err, "unknown option '--all' for stats", "message names stats");
	is_int(stats(ARGV("stats", "1x"), &a), -EINVAL, "stats of a non-number");
	is_int(stats(ARGV("stats", "1048576"), &a), -EINVAL,
	       "stats of a huge id");
}

static void test_add_new_options(void)
{
	struct ubr_dev_opts o;

	is_int(add(ARGV("add", "null", "--copy-mode", "get-data",
			"--no-partition-scan"), &o), 0,
	       "--copy-mode get-data --no-partition-scan");
	ok(o.copy_mode == UBR_COPY_GET_DATA && o.no_part_scan,
	   "get-data and no partition scan taken");
	is_str(ubr_copy_mode_name(o.copy_mode), "get-data", "its name");
	ubr_dev_opts_release(&o);
	is_int(add(ARGV("add", "null", "--copy-mode", "zero-explicit"), &o),
	       0, "--copy-mode zero-explicit");
	is_int(o.copy_mode, UBR_COPY_ZERO_EXPLICIT, "zero-explicit taken");
	is_str(ubr_copy_mode_name(o.copy_mode), "zero-explicit", "its name");
	ubr_dev_opts_release(&o);
	is_int(add(ARGV("add", "null", "--no-partition-scan=1"), &o), -EINVAL,
	       "--no-partition-scan takes no value");

	is_int(add(ARGV("add", "null"), &o), 0, "add null");
	is_str(o.scheduler, "none", "the scheduler is none by default");
	ubr_dev_opts_release(&o);
	is_int(add(ARGV("add", "null", "--scheduler", "mq-deadline"), &o), 0,
	       "--scheduler mq-deadline");
	is_str(o.scheduler, "mq-deadline", "taken");
	ubr_dev_opts_release(&o);
	is_int(add(ARGV("add", "null", "--scheduler=kernel"), &o), 0,
	       "--scheduler=kernel");
	is_str(o.scheduler, "kernel", "taken");
	ubr_dev_opts_release(&o);
	is_int(add(ARGV("add", "null", "--scheduler", "Deadline"), &o),
	       -EINVAL, "--scheduler with a capital");
	ok(strstr(err, "invalid --scheduler 'Deadline'") != NULL,
	   "the message names the value (%s)", err);
	is_int(add(ARGV("add", "null", "--scheduler", ""), &o), -EINVAL,
	       "--scheduler ''");
	is_int(add(ARGV("add", "null", "--scheduler",
			"a-name-longer-than-thirty-one-chars"), &o),
	       -EINVAL, "--scheduler too long");
}

static int resize(char **v, uint32_t *id, uint64_t *size)
{
	return ubr_parse_update_size(nargs(v), v, id, size, err, sizeof(err));
}

static int id_cmd(char **v, uint32_t *id)
{
	return ubr_parse_id_cmd(nargs(v), v, id, err, sizeof(err));
}

static void test_update_size(void)
{
	uint64_t size = 0;
	uint32_t id = 0;

	is_int(resize(ARGV("update-size", "7", "2G"), &id, &size), 0,
	       "update-size 7 2G");
	ok(id == 7 && size == (2ULL << 30), "id and size taken");
	is_int(resize(ARGV("update-size", "0", "4608"), &id, &size), 0,
	       "a plain multiple of 512");
	ok(size == 4608, "bytes taken");
	is_int(resize(ARGV("update-size", "7"), &id, &size), -EINVAL,
	       "no size");
	ok(strstr(err, "needs a device ID and a size") != NULL, "says: %s",
	   err);
	is_int(resize(ARGV("update-size", "x", "1G"), &id, &size), -EINVAL,
	       "a bad id");
	is_int(resize(ARGV("update-size", "1", "1000"), &id, &size), -EINVAL,
	       "not a multiple of 512");
	ok(strstr(err, "multiple of 512") != NULL, "says: %s", err);
	is_int(resize(ARGV("update-size", "1", "0"), &id, &size), -EINVAL,
	       "size 0");
	is_int(resize(ARGV("update-size", "1", "1Q"), &id, &size), -EINVAL,
	       "a bad suffix");
	is_int(resize(ARGV("update-size", "1", "16777216T"), &id, &size),
	       -EINVAL, "beyond 4E");
	is_int(resize(ARGV("update-size", "--now", "1", "1G"), &id, &size),
	       -EINVAL, "an option");
	ok(strstr(err, "unknown option '--now' for update-size") != NULL,
	   "says: %s", err);
}

static void test_quiesce_resume(void)
{
	uint32_t id = 0;

	is_int(id_cmd(ARGV("quiesce", "12"), &id), 0, "quiesce 12");
	ok(id == 12, "id taken");
	is_int(id_cmd(ARGV("resume", "1048575"), &id), 0, "the largest id");
	is_int(id_cmd(ARGV("resume"), &id), -EINVAL, "no id");
	ok(strstr(err, "resume needs one device ID") != NULL, "says: %s", err);
	is_int(id_cmd(ARGV("quiesce", "1", "2"), &id), -EINVAL, "two ids");
	is_int(id_cmd(ARGV("quiesce", "1048576"), &id), -EINVAL,
	       "an id too large");
	is_int(id_cmd(ARGV("quiesce", "-a"), &id), -EINVAL, "an option");
}

int main(void)
{
	test_sizes();
	test_u64();
	test_format();
	test_upgrade_fds();
	test_search_sort();
	test_add_defaults();
	test_add_all_options();
	test_add_errors();
	test_add_forms();
	test_add_files();
	test_add_reentrant();
	test_names();
	test_del();
	test_list();
	test_stats();
	test_add_new_options();
	test_update_size();
	test_quiesce_resume();
	return done_testing();
}
