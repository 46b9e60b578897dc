/* SPDX-License-Identifier: MIT */
/*
 * `upgrade PATH` as the daemon runs it: the old half of a live upgrade.
 *
 * Every device must be one the kernel keeps without us (recovery on,
 * recorded, live or quiesced): the others would be deleted. Then the
 * daemon leaves every device to the kernel as `stop` does (quiescing
 * where the kernel can, holding what arrives meanwhile), and once the
 * loop has ended src/admin/daemon_upgrade.c starts PATH, handing it the
 * lock, the listening socket and this request's connection, and exits.
 * The new daemon recovers every device and answers the request; clients
 * that connect meanwhile wait in the socket's backlog.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ubr_admin.h"
#include "ubr_dev.h"
#include "ubr_log.h"
#include "ubr_reactor.h"

static void refuse(struct ubr_reply *rep, int status, const char *msg)
{
	ubr_reply_printf(rep, 2, "ublk-reactor: upgrade: %s: nothing changed\n",
			 msg);
	ubr_reply_finish(rep, status);
}

/* Can the kernel keep dev while no daemon runs? msg says why not. */
static bool can_hand_over(const struct ubr_dev *dev, char *msg, size_t len)
{
	if (ubr_dev_detachable(dev))
		return true;
	if (!dev->id_known)
		snprintf(msg, len, "a device is being added (%s): try again once it is live",
			 ubr_dev_state_name(dev->state));
	else if (dev->state != UBR_DEV_LIVE && dev->state != UBR_DEV_QUIESCED)
		snprintf(msg, len, "device %u is %s: try again once it is live",
			 dev->id, ubr_dev_state_name(dev->state));
	else
		snprintf(msg, len, "device %u has recovery off: it would be deleted (del it, or add it with recovery)",
			 dev->id);
	return false;
}

void ubr_cmd_upgrade(struct ubr_reactor *r, int argc, char **argv, int *fds,
		     unsigned nfds, struct ubr_reply *rep)
{
	struct ubr_daemon_ctx *dc = ubr_daemon_of(r);
	unsigned slot, slots = ubr_dev_slots(r);
	char msg[320];
	int conn;

	(void)fds;
	(void)nfds;
	if (argc != 2 || argv[1][0] != '/') {
		refuse(rep, UBR_EXIT_USAGE, "the daemon takes one absolute PATH");
		return;
	}
	if (access(argv[1], X_OK) < 0) {
		snprintf(msg, sizeof(msg), "cannot run %.200s: %s", argv[1],
			 strerror(errno));
		refuse(rep, UBR_EXIT_FAIL, msg);
		return;
	}
	if (r->stopping || dc->upgrade_path) {
		refuse(rep, UBR_EXIT_FAIL, "the daemon is already stopping");
		return;
	}
	for (slot = 0; slot < slots; slot++) {
		const struct ubr_dev *dev = ubr_dev_at(r, slot);

		if (dev && !can_hand_over(dev, msg, sizeof(msg))) {
			refuse(rep, UBR_EXIT_FAIL, msg);
			return;
		}
	}
	conn = ubr_reply_dup_fd(rep);
	dc->upgrade_path = conn < 0 ? NULL : strdup(argv[1]);
	if (!dc->upgrade_path) {
		if (conn >= 0)
			close(conn);
		refuse(rep, UBR_EXIT_FAIL, "out of memory");
		return;
	}
	dc->upgrade_conn = conn;
	ubr_info("upgrade: handing %u device(s) over to %s", r->nr_devs,
		 argv[1]);
	/* Not finished here: the new daemon answers on the same connection. */
	ubr_reactor_detach(r);
}
