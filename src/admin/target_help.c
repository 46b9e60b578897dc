/* SPDX-License-Identifier: MIT */
/*
 * --help's words about targets, read from their ops tables: each target
 * says what it takes and what it is, and this file only lays it out, in
 * the columns of the rest of --help.
 */
#include "config.h"

#include <string.h>

#include "ubr_help.h"
#include "ubr_target.h"

void ubr_help_opt_line(FILE *f, char short_name, const char *name,
		       const char *arg, const char *prefix, const char *help)
{
	char left[64], what[512];

	if (short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", short_name, name,
			 arg ? " " : "", arg ? arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", name,
			 arg ? " " : "", arg ? arg : "");
	snprintf(what, sizeof(what), "%s%s", prefix, help);
	ubr_help_opt_columns(f, left, what);
}

/* Has a target before the i-th one an option of this name? */
static bool shown_before(unsigned i, const char *name)
{
	unsigned j;

	for (j = 0; j < i; j++)
		if (ubr_target_opt(ubr_target_at(j), name, strlen(name), 0))
			return true;
	return false;
}

/* "T1, T2: ", the names of the targets from the i-th on that take the option. */
static void takers(unsigned i, const char *name, char *buf, size_t len)
{
	const struct ubr_target_ops *t;
	size_t off = 0;

	buf[0] = '\0';
	for (; i < ubr_target_count(); i++) {
		t = ubr_target_at(i);
		if (!ubr_target_opt(t, name, strlen(name), 0))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", t->name);
		if (off >= len)
			return;
	}
	snprintf(buf + off, len - off, ": ");
}

void ubr_target_print_opts(FILE *f)
{
	const struct ubr_tgt_opt *o;
	char prefix[128];
	unsigned i;

	for (i = 0; i < ubr_target_count(); i++) {
		for (o = ubr_target_at(i)->opts; o && o->name; o++) {
			if (shown_before(i, o->name))
				continue;
			takers(i, o->name, prefix, sizeof(prefix));
			ubr_help_opt_line(f, o->short_name, o->name, o->arg,
					  prefix, o->help);
		}
	}
}

void ubr_target_print_list(FILE *f)
{
	const struct ubr_target_ops *t;
	char line[64];
	unsigned i;

	for (i = 0; i < ubr_target_count(); i++) {
		t = ubr_target_at(i);
		snprintf(line, sizeof(line), "%s%s%s", t->name,
			 t->usage[0] ? " " : "", t->usage);
		fprintf(f, "  %-28s  %s\n", line, t->description);
	}
}

void ubr_target_print_help(FILE *f, const struct ubr_target_ops *t)
{
	const struct ubr_tgt_opt *o;

	fprintf(f, "Usage: ublk-reactor add %s [OPTIONS]%s%s\n\n%s.\n",
		t->name, t->usage[0] ? " " : "", t->usage, t->description);
	if (!t->opts || !t->opts->name) {
		fprintf(f, "\nTarget %s takes only the options for add.\n",
			t->name);
		return;
	}
	fprintf(f, "\nOptions for %s, besides the options for add:\n", t->name);
	for (o = t->opts; o->name; o++)
		ubr_help_opt_line(f, o->short_name, o->name, o->arg, "",
				  o->help);
}
