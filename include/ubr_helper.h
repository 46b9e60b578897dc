/* SPDX-License-Identifier: MIT */
/*
 * The daemon's helper commands (src/admin/helper_cmds.c): the kernel calls that
 * may wait, uninterruptibly, for the requests in flight on one of the
 * daemon's own disks. The daemon runs them in a process of its own
 * (src/core/child.c says why) as `ublk-reactor COMMAND ARGS`; not for users.
 * Each says how it went in its exit status alone: 0, or an errno value.
 */
#ifndef UBR_HELPER_H
#define UBR_HELPER_H

#include <stdbool.h>

/* helper-set-scheduler ID NAME: write NAME to the disk's queue/scheduler */
#define UBR_HELPER_SET_SCHEDULER "helper-set-scheduler"
/* ... exits UBR_SCHED_EXIT_OPEN | errno if the file would not open */
#define UBR_SCHED_EXIT_OPEN 0x80
/* helper-stop-dev ID: STOP_DEV, which waits for the disk to drain */
#define UBR_HELPER_STOP_DEV "helper-stop-dev"
/* helper-stop-dev ID try: TRY_STOP_DEV instead, EBUSY if the disk is open */
#define UBR_HELPER_STOP_TRY "try"
/*
 * helper-connect TARGET WORD: the target's connection to the address WORD
 * (its connect hook), handed back over standard output, a unix socket
 * (include/ubr_fd_pass.h): not a kernel call, but a wait on the network
 * (src/admin/helper_connect.c).
 */
#define UBR_HELPER_CONNECT "helper-connect"

bool ubr_is_helper_command(const char *cmd);
/* argv[0] is the command word. Returns the exit status. */
int ubr_helper_main(int argc, char **argv);
int ubr_helper_connect(int argc, char **argv);
/* An errno as a helper's exit status: 1..127, anything larger is EIO. */
int ubr_helper_errno_status(int err);

#endif /* UBR_HELPER_H */
