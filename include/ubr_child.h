/* SPDX-License-Identifier: MIT */
/*
 * Short-lived helper processes of this binary, for the few jobs the daemon
 * must not run in its own process: a job that may wait, uninterruptibly,
 * on the daemon's own devices being served (see src/core/child.c for why).
 *
 * The child is /proc/self/exe with the given arguments, holding none of
 * the daemon's descriptors or mappings; its exit is collected through a
 * pidfd on the reactor's libev loop, so the loop never blocks on it.
 */
#ifndef UBR_CHILD_H
#define UBR_CHILD_H

struct ubr_reactor;

/*
 * The child's end: 0 if it exited 0, -EINTR if a signal ended it, else
 * -status (the helpers exit with an errno value).
 */
typedef void (*ubr_child_cb)(void *ctx, int res);

/*
 * Run this binary with argv (argv[0] its name, argv[1] the command word,
 * NULL at the end) and call cb(ctx, res) from the loop once it has exited.
 * Returns 0, or -errno if the child could not be started (cb not called).
 */
int ubr_child_spawn(struct ubr_reactor *r, char *const argv[], ubr_child_cb cb,
		    void *ctx);

/*
 * The same, with the child's standard output on out (a socket it answers
 * on): the child gets its own copy, the caller keeps out.
 */
int ubr_child_spawn_out(struct ubr_reactor *r, char *const argv[], int out,
			ubr_child_cb cb, void *ctx);

/*
 * Kill the children started with ctx: their callbacks are not called
 * (the loop still reaps them).
 */
void ubr_child_cancel(struct ubr_reactor *r, void *ctx);

/*
 * The reactor goes: stop watching the children still running, without
 * waiting for them or calling their callbacks. They finish on their own
 * (init reaps them).
 */
void ubr_children_forget(struct ubr_reactor *r);

#endif /* UBR_CHILD_H */
