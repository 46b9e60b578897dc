/* SPDX-License-Identifier: MIT */
/*
 * The nbd target's reconnect rules, pure and unit-tested (t/nbd_retry.c):
 * how long to wait before the next attempt, and when a request that has
 * waited through lost connections gives up.
 *
 * Backoff: the first attempt UBR_NBD_BACKOFF_MIN_MS after the loss, each
 * failed one doubling the wait up to UBR_NBD_BACKOFF_MAX_MS. The wait
 * starts again from the minimum only once a reconnected server answers a
 * request: a server that accepts and then drops every connection (or is
 * sent a request it chokes on) is not hammered.
 *
 * Giving up: a request remembers when it first lost its connection
 * (lost_at, 0: never). When another connection it was resent on is lost
 * too, and --reconnect-timeout has passed since that first loss, it fails
 * with EIO instead of being resent once more: a request a server cannot
 * answer (it drops the connection on it) fails in bounded time even while
 * every reconnect succeeds.
 */
#ifndef UBR_NBD_RETRY_H
#define UBR_NBD_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "ubr_util.h"

#define UBR_NBD_BACKOFF_MIN_MS 100U
#define UBR_NBD_BACKOFF_MAX_MS 5000U
/* --reconnect-timeout's default and largest value, in seconds. */
#define UBR_NBD_RECONNECT_TIMEOUT_DEFAULT 30U
#define UBR_NBD_RECONNECT_TIMEOUT_MAX 86400U

/*
 * The reconnect's clock: ubr_mono_ms() shifted by one, never 0 (lost_at
 * below takes 0 for "never").
 */
static inline uint64_t ubr_nbd_now_ms(void)
{
	return (uint64_t)ubr_mono_ms() + 1;
}

/* The wait before the next attempt, after waiting cur_ms (0: none yet). */
static inline unsigned ubr_nbd_backoff_next(unsigned cur_ms)
{
	if (cur_ms < UBR_NBD_BACKOFF_MIN_MS)
		return UBR_NBD_BACKOFF_MIN_MS;
	if (cur_ms >= UBR_NBD_BACKOFF_MAX_MS / 2)
		return UBR_NBD_BACKOFF_MAX_MS;
	return cur_ms * 2;
}

/*
 * A request loses its connection at now_ms (a monotonic clock, never 0):
 * true if it must fail now, false if it is to be resent (and *lost_at
 * records its first loss).
 */
static inline bool ubr_nbd_loss_gives_up(uint64_t *lost_at, uint64_t now_ms,
					 uint64_t timeout_ms)
{
	if (!*lost_at) {
		*lost_at = now_ms;
		return false;
	}
	return now_ms - *lost_at >= timeout_ms;
}

#endif /* UBR_NBD_RETRY_H */
