/* SPDX-License-Identifier: MIT */
/*
 * The configuration file, /etc/ublk-reactor.conf: the devices the daemon
 * creates at start-up and keeps in step on `reload` or SIGHUP. One device
 * a line, in the words of the command line:
 *
 *	# NAME   TARGET  [OPTIONS]          [FILE...]
 *	media    TARGET  --queues 2         "/srv/disk 1.img" /srv/disk2.img
 *
 * (ublk-reactor.conf(5) has real examples) is `add TARGET --name NAME OPTIONS FILE...`, parsed by ubr_parse_add()
 * like a command, so that a device from the file is recorded and recreated
 * (recovery, reload) like any other. See ublk-reactor.conf(5).
 */
#ifndef UBR_CONFIG_H
#define UBR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ubr_dev.h"
#include "ubr_log.h"

#define UBR_CONFIG_DEFAULT SYSCONFDIR "/ublk-reactor.conf"
#define UBR_CONFIG_LINE_MAX 4096	   /* bytes in a line */
#define UBR_CONFIG_WORDS_MAX 60		   /* words in a line: add --name fit */
#define UBR_CONFIG_SIZE_MAX (1U << 20)	   /* bytes in the file */

/* One device line, good or bad. */
struct ubr_config_entry {
	unsigned line;
	/* "" when the line has no valid name (or repeats an earlier one) */
	char name[UBR_NAME_MAX + 1];
	bool ok; /* no error: opts holds the device */
	struct ubr_dev_opts opts;
};

struct ubr_config_error {
	unsigned line; /* 0: about the whole file */
	char *text;    /* "PATH:LINE: message" */
};

struct ubr_config {
	char *path;
	bool missing; /* the default file does not exist: no devices */
	struct ubr_config_entry *entries;
	unsigned nr_entries;
	struct ubr_config_error *errors;
	unsigned nr_errors;
};

/*
 * Read and parse the file at path. A missing file is an error when
 * must_exist, else an empty configuration (c->missing). Returns 0 (errors
 * in lines are in c->errors and do not make it fail), or -errno when the
 * file cannot be read at all (c->errors[0] says why, and c->path is set).
 */
int ubr_config_load(struct ubr_config *c, const char *path, bool must_exist);
/* The same for text already read (for the tests). */
int ubr_config_parse(struct ubr_config *c, const char *path,
		     const char *text, size_t len);
void ubr_config_release(struct ubr_config *c);
/* One more error, "PATH:LINE: message" (line 0: "PATH: message"). */
int ubr_config_error(struct ubr_config *c, unsigned line, const char *fmt,
		     ...) UBR_PRINTF(3, 4);
/* Errors in line order (those added later for a line come after it). */
void ubr_config_sort_errors(struct ubr_config *c);

/*
 * Split one line into at most `max` words (malloc'ed, *n of them): blanks
 * separate words, "..." quotes (\" and \\ escaped inside), # where a word
 * could begin comments out the rest. 0, or -EINVAL with err saying why;
 * -ENOMEM.
 */
int ubr_config_split(const char *line, char **words, unsigned max,
		     unsigned *n, char *err, size_t errlen);

/* --- in the daemon (src/config/config_apply.c) ---------------------------------- */

struct ubr_reactor;
/* The config file's controller: the file, and the run applying it. */
struct ubr_config_ctl;

/* After each run: what it found (errors sorted); boot: the first run. */
typedef void (*ubr_config_done_cb)(void *ctx, const struct ubr_config *cfg,
				   bool boot);

/*
 * Read the file for the first run. -errno with err set if it cannot be
 * read (a missing file is fine unless must_exist): the daemon does not
 * start then.
 */
int ubr_config_ctl_init(struct ubr_config_ctl **out, struct ubr_reactor *r,
			const char *path, bool must_exist,
			ubr_config_done_cb cb, void *ctx, char *err,
			size_t errlen);
void ubr_config_ctl_deinit(struct ubr_config_ctl *ctl); /* NULL: nothing */
/* Create the file's devices: the first run. */
void ubr_config_boot(struct ubr_config_ctl *ctl);
/*
 * How a reload ended, for the one who asked for it: either the run that
 * answers it (changes: one "added|replaced|deleted NAME /dev/ublkbN" line
 * each, maybe ""; cfg: the file as read, its errors sorted), or no run
 * (failed says why: out of memory, no file, the daemon is shutting down).
 * Valid during the callback only.
 */
struct ubr_config_result {
	const char *changes;
	const struct ubr_config *cfg;
	const char *failed; /* NULL when a run answers */
};
typedef void (*ubr_config_reload_cb)(void *ctx,
				     const struct ubr_config_result *res);

/*
 * Read the file again and apply the changes; cb (NULL for SIGHUP) is
 * called once with the result when the run ends. A reload asked for during
 * a run is answered by the next run, which reads the file again. With ctl
 * NULL (the daemon has no file), cb is told so at once.
 */
void ubr_config_reload(struct ubr_config_ctl *ctl, ubr_config_reload_cb cb,
		       void *ctx);

/* `config check [FILE]` (src/config/config_check.c): exit status. */
int ubr_config_main(int argc, char **argv);

#endif /* UBR_CONFIG_H */
