/* SPDX-License-Identifier: MIT */
/*
 * Kernel ublk devices this daemon does not serve: their names, who owns
 * them, and their `list` rows. No I/O here (see src/device/kdev_scan.c).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ubr_dev.h"
#include "ubr_kdev.h"
#include "ubr_util.h"

int ubr_kdev_parse_name(const char *name, uint32_t *id)
{
	uint64_t v;

	if (strncmp(name, "ublkc", 5) ||
	    ubr_parse_u64(name + 5, 0, UBR_MAX_DEV_ID, &v) < 0)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

const char *ubr_kdev_state_name(unsigned state)
{
	switch (state) {
	case UBLK_S_DEV_DEAD: return "DEAD";
	case UBLK_S_DEV_LIVE: return "LIVE";
	case UBLK_S_DEV_QUIESCED: return "QUIESCED";
	case UBLK_S_DEV_FAIL_IO: return "FAIL_IO";
	}
	return "?";
}

/*
 * A recorded device is the daemon's business (recover, or del through it)
 * even if some process still holds it. Otherwise the pid the kernel was
 * given at START_DEV (or recovery) says who serves it; a DEAD device whose
 * pid lives is still that process's: it may be adding it right now.
 */
enum ubr_kdev_owner ubr_kdev_classify(const struct ublksrv_ctrl_dev_info *info,
				      int self_pid, bool server_alive,
				      bool recorded)
{
	if (recorded)
		return UBR_KDEV_WAITING;
	if (info->ublksrv_pid > 0 && info->ublksrv_pid == self_pid)
		return UBR_KDEV_OURS;
	if (info->ublksrv_pid > 0 && server_alive)
		return UBR_KDEV_OTHER;
	if ((info->flags & UBLK_F_USER_RECOVERY) &&
	    info->state != UBLK_S_DEV_DEAD)
		return UBR_KDEV_ORPHAN;
	return UBR_KDEV_DEAD;
}

const char *ubr_kdev_owner_name(enum ubr_kdev_owner o)
{
	switch (o) {
	case UBR_KDEV_OURS: return "ours";
	case UBR_KDEV_DEAD: return "dead";
	case UBR_KDEV_ORPHAN: return "orphan";
	case UBR_KDEV_OTHER: return "other";
	case UBR_KDEV_WAITING: return "waiting";
	}
	return "?";
}

void ubr_kdev_describe(const struct ubr_kdev *k, char *buf, size_t len)
{
	if (k->err < 0)
		snprintf(buf, len, "not ours: GET_DEV_INFO failed: %s",
			 strerror(-k->err));
	else if (k->owner == UBR_KDEV_WAITING)
		snprintf(buf, len, "waits for recover (its daemon stopped or died)");
	else if (k->owner == UBR_KDEV_OTHER)
		snprintf(buf, len, "not ours: served by pid %d (%s)",
			 k->info.ublksrv_pid,
			 k->comm[0] ? k->comm : "?");
	else if (k->owner == UBR_KDEV_OURS)
		snprintf(buf, len, "this daemon's");
	else if (k->owner == UBR_KDEV_ORPHAN)
		snprintf(buf, len, "not ours: no server, kept for its recovery");
	else
		snprintf(buf, len, "not ours: dead, no server");
}

void ubr_kdev_in_use_msg(const struct ubr_kdev *k, char *buf, size_t len)
{
	uint32_t id = k->id;

	if (k->err < 0 || k->owner == UBR_KDEV_OURS)
		snprintf(buf, len, "device ID %" PRIu32 " is already in use", id);
	else if (k->owner == UBR_KDEV_DEAD)
		snprintf(buf, len, "device ID %" PRIu32 " is already in use by a dead device (no process serves it): 'ublk-reactor del %" PRIu32 "' removes it",
			 id, id);
	else if (k->owner == UBR_KDEV_ORPHAN)
		snprintf(buf, len, "device ID %" PRIu32 " is already in use by a device no process serves, kept for its recovery: 'ublk-reactor del %" PRIu32 "' removes it",
			 id, id);
	else if (k->owner == UBR_KDEV_WAITING)
		snprintf(buf, len, "device ID %" PRIu32 " is already in use by a device waiting for 'ublk-reactor recover %" PRIu32 "'",
			 id, id);
	else
		snprintf(buf, len, "device ID %" PRIu32 " is already in use, served by another process, pid %d (%s)",
			 id, k->info.ublksrv_pid, k->comm[0] ? k->comm : "?");
}

void ubr_list_header(FILE *f)
{
	fprintf(f, UBR_LIST_FMT, "ID", "DEVICE", "TARGET", "STATE", "QUEUES",
		"DEPTH", "SIZE", "COPY", "MEMORY", "NAME", "DESCRIPTION");
}

/*
 * STATE is the kernel's, in its capitals, so that it reads apart from the
 * daemon's own (lower-case) states; what the daemon does not know is "-".
 */
void ubr_kdev_text_row(FILE *f, const struct ubr_kdev *k)
{
	char id[16], path[32] = "-", q[8] = "-", d[8] = "-", desc[128];
	bool known = k->err == 0;

	snprintf(id, sizeof(id), "%" PRIu32, k->id);
	if (k->has_disk)
		snprintf(path, sizeof(path), "/dev/ublkb%" PRIu32, k->id);
	if (known) {
		snprintf(q, sizeof(q), "%u", k->info.nr_hw_queues);
		snprintf(d, sizeof(d), "%u", k->info.queue_depth);
	}
	ubr_kdev_describe(k, desc, sizeof(desc));
	fprintf(f, UBR_LIST_FMT, id, path, "-",
		known ? ubr_kdev_state_name(k->info.state) : "?", q, d, "-",
		"-", "-", "-", desc);
}

void ubr_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The server's pid and name only where one serves it now. */
static void json_server(FILE *f, const struct ubr_kdev *k)
{
	if (k->owner != UBR_KDEV_OTHER) {
		fprintf(f, ", \"server_pid\": null, \"server_command\": null");
		return;
	}
	fprintf(f, ", \"server_pid\": %d, \"server_command\": ",
		k->info.ublksrv_pid);
	ubr_json_str(f, k->comm);
}

void ubr_kdev_json_row(FILE *f, const struct ubr_kdev *k)
{
	char desc[128];

	fprintf(f, "{\"id\": %" PRIu32 ", \"device\": ", k->id);
	if (k->has_disk)
		fprintf(f, "\"/dev/ublkb%" PRIu32 "\"", k->id);
	else
		fprintf(f, "null");
	fprintf(f, ", \"target\": null, \"state\": null, \"kernel_state\": ");
	if (k->err == 0)
		fprintf(f, "\"%s\", \"queues\": %u, \"depth\": %u",
			ubr_kdev_state_name(k->info.state),
			k->info.nr_hw_queues, k->info.queue_depth);
	else
		fprintf(f, "null, \"queues\": null, \"depth\": null");
	fprintf(f, ", \"owner\": \"%s\"", ubr_kdev_owner_name(k->owner));
	json_server(f, k);
	ubr_kdev_describe(k, desc, sizeof(desc));
	fprintf(f, ", \"description\": ");
	ubr_json_str(f, desc);
	fprintf(f, "}");
}
