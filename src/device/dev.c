/* SPDX-License-Identifier: MIT */
/* The device table, device options and the names shown to users. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_user_data.h"
#include "ubr_util.h"

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
		return ubr_errf(-EINVAL, err, errlen,
			   "invalid name '%.*s%s': must be 1 to %d characters",
			   UBR_NAME_MAX, name, len > UBR_NAME_MAX ? "..." : "",
			   UBR_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (!name_char(name[i]))
			return ubr_errf(-EINVAL, err, errlen,
				   "invalid name '%s': only letters, digits, '_', '.' and '-' are allowed",
				   name);
		digits = digits && isdigit((unsigned char)name[i]);
	}
	if (name[0] == '-' || name[0] == '.')
		return ubr_errf(-EINVAL, err, errlen,
			   "invalid name '%s': must not begin with '-' or '.'",
			   name);
	if (digits)
		return ubr_errf(-EINVAL, err, errlen,
			   "invalid name '%s': must not be all digits (device IDs are)",
			   name);
	return 0;
}

bool ubr_scheduler_name_ok(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_");

	return name[0] && !name[n] && n <= UBR_SCHED_NAME_MAX;
}

void ubr_dev_opts_init(struct ubr_dev_opts *o)
{
	unsigned i;

	memset(o, 0, sizeof(*o));
	o->id = UBR_DEV_ID_ANY;
	o->nr_queues = UBR_DEFAULT_QUEUES;
	o->depth = UBR_DEFAULT_DEPTH;
	o->max_io_bytes = UBR_DEFAULT_MAX_IO;
	o->logical_bs = 512;
	o->copy_mode = UBR_COPY_AUTO;
	strcpy(o->scheduler, UBR_DEFAULT_SCHEDULER);
	for (i = 0; i < UBR_MAX_FILES; i++)
		o->fds[i] = -1;
}

void ubr_dev_opts_release(struct ubr_dev_opts *o)
{
	unsigned i;

	for (i = 0; i < UBR_MAX_FILES; i++) {
		free(o->paths[i]);
		o->paths[i] = NULL;
		if (o->fds[i] >= 0)
			close(o->fds[i]);
		o->fds[i] = -1;
	}
	o->nr_files = 0;
	free(o->tgt_opts); /* plain values only (ubr_target_ops.opts_size) */
	o->tgt_opts = NULL;
	for (i = 0; i < o->nr_words; i++)
		free(o->words[i]);
	free(o->words);
	o->words = NULL;
	o->nr_words = 0;
}

void ubr_dev_opts_set_path(struct ubr_dev_opts *o, unsigned i, char *path)
{
	free(o->paths[i]);
	o->paths[i] = path;
}

/* A FILE word is not kept in words[]: its path is, once, in paths[]. */
const char *ubr_dev_opts_word(const struct ubr_dev_opts *o, unsigned i)
{
	unsigned j;

	for (j = 0; j < o->nr_files; j++)
		if (o->file_word[j] == i)
			return o->paths[j];
	return o->words[i];
}

static bool same_files(const struct ubr_dev_opts *a,
		       const struct ubr_dev_opts *b)
{
	unsigned i;

	if (a->nr_files != b->nr_files)
		return false;
	for (i = 0; i < a->nr_files; i++)
		if (!a->paths[i] || !b->paths[i] ||
		    strcmp(a->paths[i], b->paths[i]))
			return false;
	return true;
}

bool ubr_dev_opts_same(const struct ubr_dev_opts *a,
		       const struct ubr_dev_opts *b)
{
	const struct ubr_target_ops *t = ubr_target_find(a->target);

	return t && !strcmp(a->target, b->target) &&
	       a->nr_queues == b->nr_queues && a->depth == b->depth &&
	       a->max_io_bytes == b->max_io_bytes && a->size == b->size &&
	       a->logical_bs == b->logical_bs &&
	       a->read_only == b->read_only && a->copy_mode == b->copy_mode &&
	       a->recovery == b->recovery &&
	       a->no_part_scan == b->no_part_scan &&
	       a->batch_io == b->batch_io &&
	       !strcmp(a->name, b->name) &&
	       !strcmp(a->scheduler, b->scheduler) && same_files(a, b) &&
	       ubr_tgt_fields_same(t->fields, a->tgt_opts, b->tgt_opts);
}

const char *ubr_dev_state_name(enum ubr_dev_state s)
{
	switch (s) {
	case UBR_DEV_PREPARING: return "preparing";
	case UBR_DEV_ADDING: return "adding";
	case UBR_DEV_STARTING: return "starting";
	case UBR_DEV_RECOVERING: return "recovering";
	case UBR_DEV_LIVE: return "live";
	case UBR_DEV_QUIESCING: return "quiescing";
	case UBR_DEV_QUIESCED: return "quiesced";
	case UBR_DEV_RESUMING: return "resuming";
	case UBR_DEV_STOPPING: return "stopping";
	case UBR_DEV_DELETING: return "deleting";
	}
	return "?";
}

static const char *const copy_mode_names[] = {
	[UBR_COPY_AUTO] = "auto",
	[UBR_COPY_BUFFER] = "buffer",
	[UBR_COPY_USER] = "user",
	[UBR_COPY_ZERO] = "zero",
	[UBR_COPY_GET_DATA] = "get-data",
	[UBR_COPY_ZERO_EXPLICIT] = "zero-explicit",
};

const char *ubr_copy_mode_name(enum ubr_copy_mode m)
{
	if ((unsigned)m >= ARRAY_SIZE(copy_mode_names))
		return "?";
	return copy_mode_names[m];
}

int ubr_copy_mode_parse(const char *s, enum ubr_copy_mode *m)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(copy_mode_names);
	     i++) {
		if (!strcmp(s, copy_mode_names[i])) {
			*m = (enum ubr_copy_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

void ubr_dev_set_err(struct ubr_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->err_msg, sizeof(dev->err_msg), fmt, ap);
	va_end(ap);
}

struct ubr_dev *ubr_dev_at(struct ubr_reactor *r, unsigned slot)
{
	return slot < r->nr_slots ? r->devs[slot] : NULL;
}

unsigned ubr_dev_slots(const struct ubr_reactor *r)
{
	return r->nr_slots;
}

/*
 * Only devices whose kernel id is known (ADD_DEV answered) are found, and
 * not one a recovery is still preparing: it is not served yet.
 */
struct ubr_dev *ubr_dev_find(struct ubr_reactor *r, uint32_t id)
{
	unsigned slot;

	for (slot = 0; slot < r->nr_slots; slot++) {
		struct ubr_dev *dev = r->devs[slot];

		if (dev && dev->state != UBR_DEV_ADDING &&
		    dev->state != UBR_DEV_PREPARING && dev->id == id)
			return dev;
	}
	return NULL;
}

/* The lowest free slot (growing the table), or -ENOSPC. */
int ubr_dev_slot_alloc(struct ubr_reactor *r, struct ubr_dev *dev)
{
	struct ubr_dev **t;
	unsigned slot, n;

	for (slot = 0; slot < r->nr_slots; slot++)
		if (!r->devs[slot])
			goto found;
	if (r->nr_slots >= r->max_devs)
		return -ENOSPC;
	n = r->nr_slots ? r->nr_slots * 2 : 16;
	if (n > r->max_devs)
		n = r->max_devs;
	t = realloc(r->devs, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + r->nr_slots, 0, (n - r->nr_slots) * sizeof(*t));
	r->devs = t;
	slot = r->nr_slots;
	r->nr_slots = n;
found:
	r->devs[slot] = dev;
	dev->slot = slot;
	r->nr_devs++;
	return 0;
}

void ubr_dev_slot_free(struct ubr_reactor *r, struct ubr_dev *dev)
{
	r->devs[dev->slot] = NULL;
	r->nr_devs--;
}

/*
 * The feature bits the daemon makes use of when the kernel offers them,
 * always or when asked (--copy-mode get-data, --no-partition-scan, --batch-io,
 * update-size, quiesce and resume, del without --force).
 */
uint64_t ubr_features_used(const struct ubr_reactor *r)
{
	return r->features & (UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_USER_COPY |
			      UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE |
			      UBLK_F_USER_RECOVERY_FAIL_IO | UBLK_F_QUIESCE |
			      (r->nr_buf_slots ? UBLK_F_AUTO_BUF_REG |
							 UBLK_F_SUPPORT_ZERO_COPY : 0) |
			      UBLK_F_NEED_GET_DATA | UBLK_F_NO_AUTO_PART_SCAN |
			      UBLK_F_UPDATE_SIZE | UBLK_F_SAFE_STOP_DEV |
			      UBLK_F_BATCH_IO);
}

static const char *const batch_io_names[] = {
	[UBR_BATCH_IO_OFF] = "off",
	[UBR_BATCH_IO_ON] = "on",
	[UBR_BATCH_IO_AUTO] = "auto",
};

const char *ubr_batch_io_name(enum ubr_batch_io m)
{
	if ((unsigned)m >= ARRAY_SIZE(batch_io_names))
		return "?";
	return batch_io_names[m];
}

int ubr_batch_io_parse(const char *s, enum ubr_batch_io *m)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(batch_io_names); i++) {
		if (!strcmp(s, batch_io_names[i])) {
			*m = (enum ubr_batch_io)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const recovery_names[] = {
	[UBR_RECOVERY_DEFAULT] = "default",
	[UBR_RECOVERY_OFF] = "off",
	[UBR_RECOVERY_QUEUE] = "queue",
	[UBR_RECOVERY_REISSUE] = "reissue",
	[UBR_RECOVERY_FAIL_IO] = "fail-io",
};

const char *ubr_recovery_name(enum ubr_recovery m)
{
	if ((unsigned)m >= ARRAY_SIZE(recovery_names))
		return "?";
	return recovery_names[m];
}

/* "default" is what an absent option means, not a word users type. */
int ubr_recovery_parse(const char *s, enum ubr_recovery *m)
{
	unsigned i;

	for (i = UBR_RECOVERY_OFF;
	     i < ARRAY_SIZE(recovery_names); i++) {
		if (!strcmp(s, recovery_names[i])) {
			*m = (enum ubr_recovery)i;
			return 0;
		}
	}
	return -EINVAL;
}
