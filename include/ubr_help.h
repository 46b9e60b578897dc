/* SPDX-License-Identifier: MIT */
/*
 * The command table behind every help text (src/admin/help.c): `ublk-reactor
 * --help` lists it and `ublk-reactor CMD --help` prints one entry, so the
 * two cannot drift. t/man-lint.t checks man/ublk-reactor.8's SYNOPSIS and
 * options against what these print.
 */
#ifndef UBR_HELP_H
#define UBR_HELP_H

#include <stdbool.h>
#include <stdio.h>

/* One option line: "-n, --id ID" and what it does ('\n' between lines). */
struct ubr_opt_help {
	const char *flags;
	const char *what;
};

struct ubr_cmd_help {
	const char *name;     /* the word after ublk-reactor: "del", "config" */
	const char *synopsis; /* its forms after "ublk-reactor ", '\n' between */
	const char *brief;    /* for the list of commands, '\n' between lines */
	const char *what;     /* for the command's own help, '\n' between lines */
	const struct ubr_opt_help *opts; /* ends with { NULL, NULL }; or NULL */
};

/* The entry of command NAME, or NULL. */
const struct ubr_cmd_help *ubr_cmd_help_find(const char *name);

/* "Commands:" and one entry a line or more, for `ublk-reactor --help`. */
void ubr_help_print_commands(FILE *f);
/* "Usage: ..." lines, what it does, its options (and -h, --help). */
void ubr_help_print_cmd(FILE *f, const struct ubr_cmd_help *c);
/* Option lines, aligned as the usage texts align them. */
void ubr_help_print_opts(FILE *f, const struct ubr_opt_help *opts);
/*
 * One option: "  FLAGS" and WHAT in the help column, on FLAGS' line when
 * it fits; a '\n' in WHAT continues it on the next line, in the column.
 */
void ubr_help_opt_columns(FILE *f, const char *flags, const char *what);

/*
 * Does a word of argv[1..argc-1] before "--" ask for help (-h, --help)?
 * Checked before a command parses anything, so that help never needs a
 * daemon, never starts one, and is never a usage error.
 */
bool ubr_help_asked(int argc, char **argv);

/* Does add's common option WORD ("-n", "--id") take its value as the next word? */
bool ubr_help_add_opt_takes_word(const char *word);

#endif
