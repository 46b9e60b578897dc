/* SPDX-License-Identifier: MIT */
/*
 * The shared, bounded buffer pool for user-copy mode.
 *
 * Buffers exist only while a request is being served, are shared by every
 * device, and their total never exceeds the pool's limit: memory under load
 * is bounded by one number the user sets, not by devices x queues x depth x
 * max I/O size. A request that finds the pool exhausted waits its turn.
 */
#ifndef UBR_BUF_POOL_H
#define UBR_BUF_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UBR_POOL_MIN_SHIFT 12 /* 4 KiB */
#define UBR_POOL_CLASSES 9    /* 4 KiB .. 1 MiB */
#define UBR_POOL_MAX_BUF (1U << (UBR_POOL_MIN_SHIFT + UBR_POOL_CLASSES - 1))
#define UBR_POOL_DEFAULT_LIMIT (16U << 20)

struct ubr_pool_free; /* a cached buffer */

/*
 * Requests waiting for a buffer, first come first served. The pool keeps
 * them as opaque tokens (the queue layer's user_data), so it knows no
 * device; the queue layer serves them as buffers come back.
 */
struct ubr_pool_waiters {
	uint64_t *tokens; /* a ring of cap entries */
	unsigned head, count, cap;
	bool serving; /* the queue layer serves them now: no nesting */
};

struct ubr_buf_pool {
	size_t limit;	  /* bytes in use + cached never exceed this */
	size_t in_use;	  /* bytes handed out */
	size_t cached;	  /* bytes kept for reuse */
	size_t peak;	  /* highest in_use + cached seen */
	struct ubr_pool_free *free[UBR_POOL_CLASSES];
	struct ubr_pool_waiters wait;
};

void ubr_pool_init(struct ubr_buf_pool *p, size_t limit);
/* A page-aligned buffer of at least len bytes, or NULL: wait and retry. */
void *ubr_pool_get(struct ubr_buf_pool *p, size_t len);
void ubr_pool_put(struct ubr_buf_pool *p, void *buf, size_t len);
/* Give cached buffers back to the system (idle). */
void ubr_pool_trim(struct ubr_buf_pool *p);
void ubr_pool_deinit(struct ubr_buf_pool *p);
size_t ubr_pool_class_size(size_t len);

/* Queue token behind the waiters: 0 or -ENOMEM. */
int ubr_pool_wait(struct ubr_buf_pool *p, uint64_t token);
/* The first waiter's token, false if none waits. */
bool ubr_pool_waiter(const struct ubr_buf_pool *p, uint64_t *token);
/* Remove the first waiter (there is one). */
void ubr_pool_waiter_pop(struct ubr_buf_pool *p);

#endif /* UBR_BUF_POOL_H */
