/* SPDX-License-Identifier: MIT */
/*
 * The command table: each command's synopsis, what it does and its
 * options, written once. `ublk-reactor --help` lists every entry and
 * `ublk-reactor CMD --help` prints one, so the list and the per-command
 * help cannot disagree; t/man-lint.t holds man/ublk-reactor.8 to both.
 * What a target adds to `add` is printed by src/admin/main.c, not here.
 */
#include "config.h"

#include <string.h>

#include "ubr_help.h"
#include "ubr_util.h"

/* Column of the second field in the usage texts. */
#define OPT_COL 32
#define CMD_COL 34

static const struct ubr_opt_help add_opts[] = {
	{ "-n, --id ID", "device ID (default: the kernel picks one)" },
	{ "-q, --queues N", "queues, 1 to the number of possible CPUs (1)" },
	{ "-d, --depth N", "requests per queue, 1..4096 (128)" },
	{ "    --max-io-size BYTES", "largest request, 4K..1M, 4K multiple (512K)" },
	{ "    --size BYTES", "device size (default: the target's)" },
	{ "    --logical-block-size 512|4096", "logical block size (512)" },
	{ "    --read-only", "a read-only device (files opened read-only)" },
	{ "    --copy-mode auto|buffer|user|zero|zero-explicit|get-data",
	  "how request data moves (auto: zero, else user,\nelse buffer)" },
	{ "    --recovery reissue|fail-io|queue|off",
	  "while no daemon serves the device (reissue)" },
	{ "    --batch-io on|off|auto",
	  "requests through ublk's batch commands (off)" },
	{ "    --no-partition-scan", "the kernel does not read a partition table" },
	{ "    --name NAME", "a unique name, for /dev/ublk/by-name/NAME" },
	{ "    --scheduler NAME|kernel", "the disk's I/O scheduler (none)" },
	{ NULL, NULL },
};

static const struct ubr_opt_help del_opts[] = {
	{ "-f, --force",
	  "also devices another live process serves, and\n"
	  "devices in use (mounted, held, open)" },
	{ "-a, --all",
	  "every device of the daemon, and every dead device\nof the kernel" },
	{ NULL, NULL },
};

static const struct ubr_opt_help json_opts[] = {
	{ "    --json", "print one JSON object" },
	{ NULL, NULL },
};

static const struct ubr_opt_help stop_opts[] = {
	{ "    --delete", "delete every device instead of leaving them" },
	{ NULL, NULL },
};

static const struct ubr_opt_help upgrade_opts[] = {
	{ "    --binary PATH",
	  "the new binary (default: the one this\ncommand runs from)" },
	{ NULL, NULL },
};

static const struct ubr_opt_help daemon_opts[] = {
	{ "-f, --foreground", "stay attached, log to standard error" },
	{ "-c, --config FILE",
	  "the config file (default: the build's, if it exists)" },
	{ "-v, --verbose", "log debugging messages too" },
	{ NULL, NULL },
};

static const struct ubr_cmd_help commands[] = {
	{ "add", "add TARGET [OPTIONS] [FILE...]",
	  "create a device, print its /dev/ublkbN",
	  "Create a device served by TARGET, starting the daemon if none runs,\n"
	  "and print its path, /dev/ublkbN, once it serves I/O. Options may come\n"
	  "before or after the target and the files; -- ends them. Sizes take a\n"
	  "K, M, G or T suffix (powers of 1024).",
	  add_opts },
	{ "del", "del [--force] ID|NAME...\ndel --all",
	  "delete devices, and dead ones no process\n"
	  "serves (--force: also another process's);\n"
	  "waits 120 s at most",
	  "Delete the devices with these IDs or names, and dead devices of the\n"
	  "kernel that no process serves, with or without a daemon. Waits 120 s\n"
	  "at most for the block devices to go. A device in use (mounted, held\n"
	  "by dm or md, open in a process) is refused, naming the holder, exit 1,\n"
	  "unless --force.",
	  del_opts },
	{ "list", "list [--json]",
	  "show the devices, and every other ublk\n"
	  "device of the kernel with its state and\n"
	  "owner (dead, or which process serves it)",
	  "Show the daemon's devices, then every other ublk device of the kernel\n"
	  "with its state and owner (dead, or which process serves it).",
	  json_opts },
	{ "features", "features",
	  "the kernel's ublk features, and those used",
	  "Show the ublk features the kernel offers, and those the daemon uses\n"
	  "(asks the kernel itself when no daemon runs).",
	  NULL },
	{ "recover", "recover [ID...]",
	  "reattach devices left by a daemon that died\n"
	  "or stopped (default: all), starting one",
	  "Reattach the devices left by a daemon that died or stopped (default:\n"
	  "all that wait), from their recovery records, starting a daemon if\n"
	  "none runs; print the path of each.",
	  NULL },
	{ "stop", "stop [--delete]",
	  "end the daemon, leaving recoverable devices\n"
	  "for recover (--delete: delete them all);\n"
	  "waits 120 s at most for it to exit",
	  "End the daemon, leaving every device with recovery on to the kernel\n"
	  "for a later recover; the others are deleted. Waits 120 s at most for\n"
	  "the daemon to exit. --delete is refused as a whole, exit 1, while a\n"
	  "device is in use (see del).",
	  stop_opts },
	{ "upgrade", "upgrade [--binary PATH]",
	  "hand every device to a daemon started from\n"
	  "PATH, without an I/O error; waits 300 s at\n"
	  "most",
	  "Replace the running daemon by one started from PATH (default: the\n"
	  "binary this command runs from, normally the one just installed),\n"
	  "keeping its socket and devices: each device is quiesced or drained,\n"
	  "left to the kernel, and recovered by the new daemon, which prints\n"
	  "their paths. I/O pauses meanwhile; none fails. Refused,\n"
	  "nothing changed, exit 1, if PATH --version fails or a device has\n"
	  "recovery off or is being added or deleted. If PATH cannot be\n"
	  "executed the old binary takes the devices back, exit 1. A device\n"
	  "paused with quiesce serves again after the upgrade.",
	  upgrade_opts },
	{ "stats", "stats [--json] [ID...]",
	  "I/O counters and latency of the devices,\n"
	  "and the daemon's io_uring counters",
	  "Show the I/O counters and latency percentiles of the devices (default:\n"
	  "all), and the daemon's io_uring counters, since the daemon started.",
	  json_opts },
	{ "update-size", "update-size ID SIZE",
	  "resize a device (up to what its files allow)",
	  "Grow or shrink a live device to SIZE bytes (K, M, G, T suffixes), a\n"
	  "multiple of its logical block size; a target with files allows at\n"
	  "most what they hold. Needs the kernel's UPDATE_SIZE (Linux 6.16).",
	  NULL },
	{ "quiesce", "quiesce ID", "hold a device's I/O, let go of the device",
	  "Hold the device's I/O in the kernel and let go of the device until\n"
	  "resume. Needs the kernel's QUIESCE (Linux 6.16).",
	  NULL },
	{ "resume", "resume ID", "serve a quiesced device again",
	  "Serve a quiesced device again; the requests held meanwhile are\n"
	  "served.",
	  NULL },
	{ "reload", "reload", "apply the changes of the daemon's config file",
	  "Have the daemon read its config file again and apply the changes:\n"
	  "add, delete or re-create the devices of the lines that changed.",
	  NULL },
	{ "config", "config check [FILE]",
	  "check a config file (no daemon needed)",
	  "Check a config file (default: the build's) without a daemon and\n"
	  "without touching any device; print each problem as FILE:LINE: message.",
	  NULL },
	{ "daemon", "daemon [--foreground] [--config FILE] [--verbose]",
	  "run the daemon (detached unless --foreground)",
	  "Run the daemon, and create the devices of its config file; detached\n"
	  "and logging to syslog unless --foreground.",
	  daemon_opts },
	{ "help", "help [COMMAND [TARGET]]\n-h | --help",
	  "show this help, or a command's",
	  "Show the list of commands, or the help of COMMAND (of add's TARGET);\n"
	  "COMMAND --help and COMMAND -h do the same.",
	  NULL },
	{ "--version", "-V | --version", "show the version",
	  "Show the version.", NULL },
};

const struct ubr_cmd_help *ubr_cmd_help_find(const char *name)
{
	size_t i;

	if (!strcmp(name, "-V"))
		name = "--version";
	else if (!strcmp(name, "-h") || !strcmp(name, "--help"))
		name = "help";
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * "  FIRST", then each '\n'-separated line of TEXT from column COL: on
 * FIRST's line when it leaves two spaces, else on lines of their own.
 */
static void print_columns(FILE *f, const char *first, int col,
			  const char *text)
{
	const char *nl;
	int len = (int)strlen(first);

	if (len + 4 <= col)
		fprintf(f, "  %-*s", col - 2, first);
	else
		fprintf(f, "  %s\n%*s", first, col, "");
	for (; (nl = strchr(text, '\n')); text = nl + 1)
		fprintf(f, "%.*s\n%*s", (int)(nl - text), text, col, "");
	fprintf(f, "%s\n", text);
}

void ubr_help_opt_columns(FILE *f, const char *flags, const char *what)
{
	print_columns(f, flags, OPT_COL, what);
}

void ubr_help_print_opts(FILE *f, const struct ubr_opt_help *opts)
{
	for (; opts && opts->flags; opts++)
		print_columns(f, opts->flags, OPT_COL, opts->what);
}

/* Each form on a line of its own, the last one with the brief. */
static void print_command(FILE *f, const struct ubr_cmd_help *c)
{
	const char *form = c->synopsis, *nl;

	for (; (nl = strchr(form, '\n')); form = nl + 1)
		fprintf(f, "  %.*s\n", (int)(nl - form), form);
	print_columns(f, form, CMD_COL, c->brief);
}

void ubr_help_print_commands(FILE *f)
{
	size_t i;

	fprintf(f, "Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		print_command(f, &commands[i]);
}

void ubr_help_print_cmd(FILE *f, const struct ubr_cmd_help *c)
{
	static const struct ubr_opt_help help_opt[] = {
		{ "-h, --help", "show this help" },
		{ NULL, NULL },
	};
	const char *form = c->synopsis, *nl;
	const char *lead = "Usage:";

	for (; (nl = strchr(form, '\n')); form = nl + 1, lead = "      ")
		fprintf(f, "%s ublk-reactor %.*s\n", lead, (int)(nl - form), form);
	fprintf(f, "%s ublk-reactor %s\n\n%s\n\nOptions:\n", lead, form, c->what);
	ubr_help_print_opts(f, c->opts);
	ubr_help_print_opts(f, help_opt);
}

bool ubr_help_asked(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* "-n" and "--id" both match "-n, --id ID"; only the bare word counts. */
static bool flags_name(const char *flags, const char *word)
{
	size_t len = strlen(word);
	const char *p = flags;

	while ((p = ubr_strstr(p, word))) {
		if ((p == flags || p[-1] == ' ') && (p[len] == ' ' || p[len] == ',' ||
						     !p[len]))
			return true;
		p += len;
	}
	return false;
}

bool ubr_help_add_opt_takes_word(const char *word)
{
	const struct ubr_opt_help *o;
	const char *last;

	for (o = add_opts; o->flags; o++) {
		if (!flags_name(o->flags, word))
			continue;
		last = strrchr(o->flags, ' ');
		return last && last[1] != '-';
	}
	return false;
}
