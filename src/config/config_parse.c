/* SPDX-License-Identifier: MIT */
/*
 * Reading the configuration file (see include/ubr_config.h): split each
 * line into words, turn `NAME TARGET ...` into `add --name NAME TARGET ...`
 * and parse that with ubr_parse_add(). A bad line is reported as
 * "PATH:LINE: why" and skipped; the other lines stand. Nothing here opens
 * backing files or talks to the daemon: `config check` and the daemon's
 * reload share it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ubr_dev_opts_parse.h"
#include "ubr_config.h"
#include "ubr_target.h"
#include "ubr_util.h"

#define say(err, len, ...) ubr_errf(-EINVAL, err, len, __VA_ARGS__)

/* --- words --------------------------------------------------------------- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A quoted part, from after its opening quote: *pp ends after the closing. */
static int quoted(const char **pp, char **out, char *err, size_t errlen)
{
	const char *p = *pp;

	for (; *p != '"'; p++) {
		if (!*p)
			return say(err, errlen, "unterminated quote");
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*(*out)++ = *p;
	}
	*pp = p + 1;
	return 0;
}

/* One word at *pp into buf (NUL-terminated); *pp ends after it. */
static int one_word(const char **pp, char *buf, char *err, size_t errlen)
{
	const char *p = *pp;
	char *out = buf;
	int ret = 0;

	while (*p && !blank(*p) && !ret) {
		if (*p == '"') {
			p++;
			ret = quoted(&p, &out, err, errlen);
		} else {
			*out++ = *p++;
		}
	}
	*out = '\0';
	*pp = p;
	return ret;
}

static void words_free(char **words, unsigned n)
{
	while (n)
		free(words[--n]);
}

int ubr_config_split(const char *line, char **words, unsigned max,
		     unsigned *n, char *err, size_t errlen)
{
	const char *p = line;
	char *buf = malloc(strlen(line) + 1); /* no word is longer */
	int ret = 0;

	*n = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		while (blank(*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (*n == max) {
			ret = say(err, errlen, "too many words (at most %u)",
				  max);
			break;
		}
		ret = one_word(&p, buf, err, errlen);
		if (ret)
			break;
		words[*n] = strdup(buf);
		if (!words[*n]) {
			ret = -ENOMEM;
			break;
		}
		(*n)++;
	}
	free(buf);
	if (ret) {
		words_free(words, *n);
		*n = 0;
	}
	return ret;
}

/* --- errors -------------------------------------------------------------- */

int ubr_config_error(struct ubr_config *c, unsigned line, const char *fmt,
		     ...)
{
	struct ubr_config_error *e;
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = realloc(c->errors, (c->nr_errors + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	c->errors = e;
	e += c->nr_errors;
	e->line = line;
	n = line ? asprintf(&e->text, "%s:%u: %s", c->path, line, msg)
		 : asprintf(&e->text, "%s: %s", c->path, msg);
	if (n < 0)
		return -ENOMEM;
	c->nr_errors++;
	return 0;
}

/* Insertion sort: stable, and the errors are nearly in order already. */
void ubr_config_sort_errors(struct ubr_config *c)
{
	struct ubr_config_error t;
	unsigned i, j;

	for (i = 1; i < c->nr_errors; i++) {
		t = c->errors[i];
		for (j = i; j > 0 && c->errors[j - 1].line > t.line; j--)
			c->errors[j] = c->errors[j - 1];
		c->errors[j] = t;
	}
}

/* --- one device line ----------------------------------------------------- */

/*
 * FILE words relative to the file's directory, as a shell in it would.
 * Only files: a socket target's word is an address (an nbd:// URI), which
 * a directory in front would turn into a file name.
 */
static int resolve_paths(struct ubr_dev_opts *o, const char *dir)
{
	const struct ubr_target_ops *t = ubr_target_find(o->target);
	unsigned i;
	char *p;

	if (t && t->backing == UBR_BACKING_SOCKET)
		return 0;
	for (i = 0; i < o->nr_files; i++) {
		if (o->paths[i][0] == '/' || !o->paths[i][0] ||
		    !strcmp(dir, "."))
			continue;
		if (asprintf(&p, "%s/%s", dir, o->paths[i]) < 0)
			return -ENOMEM;
		ubr_dev_opts_set_path(o, i, p);
	}
	return 0;
}

/* The file's directory: "." for a bare file name. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* `add --name NAME TARGET ...` from the words NAME TARGET ... */
static int line_to_opts(char **words, unsigned n, struct ubr_dev_opts *o,
			char *err, size_t errlen)
{
	char *argv[UBR_CONFIG_WORDS_MAX + 4];
	unsigned i;
	int ret;

	ret = ubr_name_check(words[0], err, errlen);
	if (ret)
		return ret;
	if (n < 2)
		return say(err, errlen, "device '%s' needs a target (targets: %s)",
			   words[0], ubr_target_names());
	argv[0] = "add";
	argv[1] = "--name";
	argv[2] = words[0];
	for (i = 1; i < n; i++)
		argv[i + 2] = words[i];
	argv[n + 2] = NULL;
	ret = ubr_parse_add((int)n + 2, argv, o, err, errlen);
	if (ret)
		return ret;
	if (strcmp(o->name, words[0])) {
		ubr_dev_opts_release(o);
		return say(err, errlen,
			   "the name is the line's first word: no --name here");
	}
	return 0;
}

static struct ubr_config_entry *entry_new(struct ubr_config *c, unsigned line)
{
	struct ubr_config_entry *e;

	e = realloc(c->entries, (c->nr_entries + 1) * sizeof(*e));
	if (!e)
		return NULL;
	c->entries = e;
	e = &c->entries[c->nr_entries++];
	memset(e, 0, sizeof(*e));
	ubr_dev_opts_init(&e->opts);
	e->line = line;
	return e;
}

/* An earlier line that already says what e says: its number, or 0. */
static unsigned clash(const struct ubr_config *c,
		      const struct ubr_config_entry *e, bool by_id)
{
	unsigned i;

	for (i = 0; i + 1 < c->nr_entries; i++) {
		const struct ubr_config_entry *o = &c->entries[i];

		if (by_id && o->ok && e->opts.id != UBR_DEV_ID_ANY &&
		    o->opts.id == e->opts.id)
			return o->line;
		if (!by_id && o->name[0] && !strcmp(o->name, e->name))
			return o->line;
	}
	return 0;
}

/*
 * The checks across lines, for a line without an error of its own: its name
 * and its explicit ID must be new. The first line keeps a name; a later one
 * that repeats it (good or bad) is not that device's line.
 */
static int check_clashes(struct ubr_config *c, struct ubr_config_entry *e)
{
	unsigned other = e->name[0] ? clash(c, e, false) : 0;
	bool was_ok = e->ok;

	if (other) {
		e->ok = false;
		e->name[0] = '\0';
		if (!was_ok)
			return 0; /* its own error is reported */
		return ubr_config_error(c, e->line, "duplicate name '%s' (also on line %u)",
				 e->opts.name, other);
	}
	other = e->ok ? clash(c, e, true) : 0;
	if (other) {
		e->ok = false;
		return ubr_config_error(c, e->line, "device ID %u is also on line %u",
				 e->opts.id, other);
	}
	return 0;
}

static int parse_line(struct ubr_config *c, const char *dir, unsigned line,
		      char **words, unsigned n)
{
	struct ubr_config_entry *e = entry_new(c, line);
	char err[256];
	int ret;

	if (!e)
		return -ENOMEM;
	if (ubr_name_check(words[0], err, sizeof(err)) == 0)
		strcpy(e->name, words[0]);
	ret = line_to_opts(words, n, &e->opts, err, sizeof(err));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		ubr_dev_opts_init(&e->opts);
		ret = ubr_config_error(c, line, "%s", err);
		return ret ? ret : check_clashes(c, e);
	}
	e->ok = true;
	if (resolve_paths(&e->opts, dir) < 0)
		return -ENOMEM;
	return check_clashes(c, e);
}

/* One line of the file (without its newline), numbered from 1. */
static int config_line(struct ubr_config *c, const char *dir, unsigned line,
		       const char *text, size_t len)
{
	char *words[UBR_CONFIG_WORDS_MAX], err[256], *copy;
	unsigned n;
	int ret;

	if (len > UBR_CONFIG_LINE_MAX)
		return ubr_config_error(c, line, "line too long (more than %u bytes)",
				 UBR_CONFIG_LINE_MAX);
	if (memchr(text, '\0', len))
		return ubr_config_error(c, line, "a NUL byte in the line");
	copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	ret = ubr_config_split(copy, words, UBR_CONFIG_WORDS_MAX, &n, err,
			       sizeof(err));
	free(copy);
	if (ret == -EINVAL)
		return ubr_config_error(c, line, "%s", err);
	if (ret || n == 0)
		return ret;
	ret = parse_line(c, dir, line, words, n);
	words_free(words, n);
	return ret;
}

/* --- the file ------------------------------------------------------------ */

int ubr_config_parse(struct ubr_config *c, const char *path,
		     const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	unsigned line = 0;
	char *dir;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	dir = dir_of(path);
	if (!c->path || !dir) {
		free(dir);
		return -ENOMEM;
	}
	while (p < end && !ret) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		ret = config_line(c, dir, ++line, p, (size_t)(nl - p));
		p = nl + 1;
	}
	free(dir);
	return ret;
}

/*
 * The whole file, bounded; -errno with the reason in msg. Opened
 * non-blocking so that a FIFO is refused as not a regular file instead of
 * waiting for a writer; reads of a regular file ignore the flag.
 */
static int read_file(const char *path, char **text, size_t *len, char *msg,
		     size_t msglen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n;
	int ret = 0;

	*text = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(msg, msglen, "not a regular file");
		goto out;
	}
	if (st.st_size > UBR_CONFIG_SIZE_MAX) {
		ret = -EFBIG;
		snprintf(msg, msglen, "larger than %u bytes",
			 UBR_CONFIG_SIZE_MAX);
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		ret = -ENOMEM;
		goto out;
	}
	*len = 0;
	while ((n = read(fd, *text + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	if (n < 0)
		ret = -errno;
out:
	close(fd);
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

/* A configuration with only the one error that the file cannot be read. */
static int load_failed(struct ubr_config *c, const char *path, int ret,
		       const char *msg)
{
	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path ||
	    ubr_config_error(c, 0, "cannot read: %s", msg[0] ? msg : strerror(-ret)))
		return -ENOMEM;
	return ret;
}

int ubr_config_load(struct ubr_config *c, const char *path, bool must_exist)
{
	char *text, msg[128] = "";
	size_t len = 0;
	int ret;

	ret = read_file(path, &text, &len, msg, sizeof(msg));
	if (ret == -ENOENT && !must_exist) {
		memset(c, 0, sizeof(*c));
		c->path = strdup(path);
		c->missing = true;
		return c->path ? 0 : -ENOMEM;
	}
	if (ret)
		return load_failed(c, path, ret, msg);
	ret = ubr_config_parse(c, path, text, len);
	free(text);
	return ret;
}

void ubr_config_release(struct ubr_config *c)
{
	unsigned i;

	for (i = 0; i < c->nr_entries; i++)
		ubr_dev_opts_release(&c->entries[i].opts);
	for (i = 0; i < c->nr_errors; i++)
		free(c->errors[i].text);
	free(c->entries);
	free(c->errors);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
