/* SPDX-License-Identifier: MIT */
/*
 * ublk-reactor: one binary for the CLI and the daemon. main() only picks
 * the command; the client (src/client.c) and the daemon (src/daemon.c) do
 * the work and return the exit status: 0 success, 1 failure, 2 usage.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ubr_admin.h"
#include "ubr_cli.h"
#include "ubr_config.h"
#include "ubr_helper.h"
#include "ubr_target.h"

/*
 * Keep in step with man/ublk-reactor.8: t/man-lint.t checks that every
 * command and long option shown here is documented there. The targets'
 * options and lines come from their ops tables.
 */
static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ublk-reactor COMMAND [ARGUMENTS]\n"
		"\n"
		"Userspace block devices (/dev/ublkbN), all served by one daemon thread\n"
		"on one io_uring. The first add starts the daemon.\n"
		"\n"
		"Commands:\n"
		"  add TARGET [OPTIONS] [FILE...]  create a device, print its /dev/ublkbN\n"
		"  del [--force] ID|NAME... | del --all\n"
		"                                  delete devices, and dead ones no process\n"
		"                                  serves (--force: also another process's);\n"
		"                                  waits 120 s at most\n"
		"  list [--json]                   show the devices, and every other ublk\n"
		"                                  device of the kernel with its state and\n"
		"                                  owner (dead, or which process serves it)\n"
		"  features                        the kernel's ublk features, and those used\n"
		"  recover [ID...]                 reattach devices left by a daemon that died\n"
		"                                  or stopped (default: all), starting one\n"
		"  stop [--delete]                 end the daemon, leaving recoverable devices\n"
		"                                  for recover (--delete: delete them all);\n"
		"                                  waits 120 s at most for it to exit\n"
		"  stats [--json] [ID...]          I/O counters and latency of the devices,\n"
		"                                  and the daemon's io_uring counters\n"
		"  update-size ID SIZE             resize a device (no larger than its files)\n"
		"  quiesce ID                      hold a device's I/O, let go of the device\n"
		"  resume ID                       serve a quiesced device again\n"

		"  reload                          apply the changes of the daemon's config file\n"
		"  config check [FILE]             check a config file (no daemon needed)\n"
		"  daemon [--foreground] [--config FILE] [--verbose]\n"
		"                                  run the daemon (detached unless --foreground)\n"
		"  help, --help                    show this help\n"
		"  --version                       show the version\n"
		"\n"
		"Options for add:\n"
		"  -n, --id ID                   device ID (default: the kernel picks one)\n"
		"  -q, --queues N                queues, 1 to the number of possible CPUs (1)\n"
		"  -d, --depth N                 requests per queue, 1..4096 (128)\n"
		"      --max-io-size BYTES       largest request, 4K..1M, 4K multiple (512K)\n"
		"      --size BYTES              device size (default: the files', or the target's)\n"
		"      --logical-block-size 512|4096\n"
		"                                logical block size (512)\n"
		"      --read-only               a read-only device (files opened read-only)\n"
		"      --copy-mode auto|buffer|user|zero|get-data\n"
		"                                how request data moves (auto: the best offered)\n"
		"      --recovery reissue|fail-io|queue|off\n"
		"                                while no daemon serves the device (reissue)\n"
		"      --no-partition-scan       the kernel does not read a partition table\n"
		"      --name NAME               a unique name, for /dev/ublk/by-name/NAME\n"
		"      --scheduler NAME|kernel   the disk's I/O scheduler (none)\n");
	ubr_target_print_opts(f);
	fprintf(f, "Sizes take a K, M, G or T suffix (powers of 1024).\n"
		"\n"
		"Targets in this build: %s\n",
		ubr_target_names());
	ubr_target_print_list(f);
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

static bool is_client_command(const char *cmd)
{
	return !strcmp(cmd, "add") || !strcmp(cmd, "del") ||
	       !strcmp(cmd, "list") || !strcmp(cmd, "features") ||
	       !strcmp(cmd, "recover") || !strcmp(cmd, "stop") ||
	       !strcmp(cmd, "stats") ||
	       !strcmp(cmd, "update-size") || !strcmp(cmd, "quiesce") ||
	       !strcmp(cmd, "resume") || !strcmp(cmd, "reload");
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
		usage(stdout);
		return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("ublk-reactor %s\n", PACKAGE_VERSION);
		return fflush(stdout) ? UBR_EXIT_FAIL : UBR_EXIT_OK;
	}
	if (!strcmp(cmd, "daemon"))
		return ubr_daemon_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "config"))
		return ubr_config_main(argc - 1, argv + 1);
	/* The daemon's helpers (src/helper_cmds.c), not user commands. */
	if (ubr_is_helper_command(cmd))
		return ubr_helper_main(argc - 1, argv + 1);
	if (is_client_command(cmd))
		return ubr_client_main(argc - 1, argv + 1);
	fprintf(stderr, "ublk-reactor: unknown command '%s' (see ublk-reactor --help)\n",
		cmd);
	return UBR_EXIT_USAGE;
}
