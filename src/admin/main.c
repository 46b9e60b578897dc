/* SPDX-License-Identifier: MIT */
/*
 * ublk-reactor: one binary for the CLI and the daemon. main() only picks
 * the command; the client (src/admin/client.c) and the daemon (src/admin/daemon.c) do
 * the work and return the exit status: 0 success, 1 failure, 2 usage.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "ubr_help.h"
#include "ubr_helper.h"
#include "ubr_target.h"

/* The targets this build has, one a line, for --help and add --help. */
static void print_targets(FILE *f)
{
	fprintf(f, "Targets in this build: %s\n", ubr_target_names());
	ubr_target_print_list(f);
	fprintf(f, "ublk-reactor add TARGET --help shows a target's own options.\n");
}

/* `add TARGET --help`: from the target's ops table, and where to read on. */
static void print_target_help(FILE *f, const char *target)
{
	ubr_target_print_help(f, ubr_target_find(target));
	fprintf(f, "\nThe options of every target: ublk-reactor add --help.\n"
		   "See ublk-reactor-%s(8).\n", target);
}

/*
 * The command table (src/admin/help.c) gives the commands and add's options;
 * t/man-lint.t checks that every command, option and target shown here
 * is documented in man/ublk-reactor.8.
 */
static void usage(FILE *f)
{
	const struct ubr_cmd_help *add = ubr_cmd_help_find("add");

	fprintf(f,
		"Usage: ublk-reactor COMMAND [ARGUMENTS]\n"
		"\n"
		"Userspace block devices (/dev/ublkbN), all served by one daemon thread\n"
		"on one io_uring. The first add starts the daemon.\n"
		"\n");
	ubr_help_print_commands(f);
	fprintf(f, "Every command takes -h or --help: ublk-reactor COMMAND --help.\n"
		   "\n"
		   "Options for add, of every target:\n");
	ubr_help_print_opts(f, add->opts);
	fprintf(f, "Sizes take a K, M, G or T suffix (powers of 1024).\n\n");
	print_targets(f);
	fprintf(f,
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n"
		"The daemon runs helper-set-scheduler and helper-stop-dev itself, in\n"
		"processes of their own; they are not for users.\n"
		"Environment: UBLK_REACTOR_RUNDIR (default %s).\n"
		"Config file: %s (see ublk-reactor.conf(5)).\n"
		"See ublk-reactor(8).\n",
		UBR_RUNDIR_DEFAULT, UBR_CONFIG_DEFAULT);
}

/*
 * add's TARGET: the first word naming a target of this build, the values
 * of add's common options skipped ("--name loop" names no target). NULL
 * when there is none: add's own help then lists the targets.
 */
static const char *add_help_target(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && ubr_help_add_opt_takes_word(argv[i]))
			i++;
		else if (argv[i][0] != '-' && ubr_target_find(argv[i]))
			return argv[i];
	}
	return NULL;
}

/* `CMD ... --help` or `help CMD ...` (argv[0] is CMD): stdout, 0. */
static int command_help(int argc, char **argv)
{
	const struct ubr_cmd_help *c = ubr_cmd_help_find(argv[0]);
	const char *target;

	if (!c) {
		fprintf(stderr, "ublk-reactor: unknown command '%s' (see ublk-reactor --help)\n",
			argv[0]);
		return UBR_EXIT_USAGE;
	}
	target = strcmp(c->name, "add") ? NULL : add_help_target(argc, argv);
	if (target) {
		print_target_help(stdout, target);
	} else {
		ubr_help_print_cmd(stdout, c);
		if (!strcmp(c->name, "add")) {
			printf("\n");
			print_targets(stdout);
		}
	}
	return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
}

static bool is_client_command(const char *cmd)
{
	return !strcmp(cmd, "add") || !strcmp(cmd, "del") ||
	       !strcmp(cmd, "list") || !strcmp(cmd, "features") ||
	       !strcmp(cmd, "recover") || !strcmp(cmd, "stop") ||
	       !strcmp(cmd, "stats") ||
	       !strcmp(cmd, "update-size") || !strcmp(cmd, "quiesce") ||
	       !strcmp(cmd, "resume") || !strcmp(cmd, "reload") ||
	       !strcmp(cmd, "upgrade");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return UBR_EXIT_USAGE;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		if (argc > 2)
			return command_help(argc - 2, argv + 2);
		usage(stdout);
		return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("ublk-reactor %s\n", PACKAGE_VERSION);
		return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
	}
	/* Before any parsing: help never needs, nor starts, a daemon. */
	if (ubr_cmd_help_find(cmd) && ubr_help_asked(argc - 1, argv + 1))
		return command_help(argc - 1, argv + 1);
	if (!strcmp(cmd, "daemon"))
		return ubr_daemon_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "config"))
		return ubr_config_main(argc - 1, argv + 1);
	/* The daemon's helpers (src/admin/helper_cmds.c), not user commands. */
	if (ubr_is_helper_command(cmd))
		return ubr_helper_main(argc - 1, argv + 1);
	if (is_client_command(cmd))
		return ubr_client_main(argc - 1, argv + 1);
	fprintf(stderr, "ublk-reactor: unknown command '%s' (see ublk-reactor --help)\n",
		cmd);
	return UBR_EXIT_USAGE;
}
