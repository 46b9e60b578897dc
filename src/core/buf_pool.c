/* SPDX-License-Identifier: MIT */
/* Size-classed, bounded buffers for user copy (see ubr_buf_pool.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_buf_pool.h"

struct ubr_pool_free {
	struct ubr_pool_free *next;
};

static unsigned class_of(size_t len)
{
	unsigned c = 0;

	while (((size_t)1 << (UBR_POOL_MIN_SHIFT + c)) < len)
		c++;
	return c;
}

size_t ubr_pool_class_size(size_t len)
{
	return (size_t)1 << (UBR_POOL_MIN_SHIFT + class_of(len));
}

void ubr_pool_init(struct ubr_buf_pool *p, size_t limit)
{
	memset(p, 0, sizeof(*p));
	p->limit = limit < UBR_POOL_MAX_BUF ? UBR_POOL_MAX_BUF : limit;
}

/* Free cached buffers, largest first, until `need` more bytes fit. */
static void make_room(struct ubr_buf_pool *p, size_t need)
{
	int c;

	for (c = UBR_POOL_CLASSES - 1; c >= 0; c--) {
		while (p->free[c] && p->in_use + p->cached + need > p->limit) {
			struct ubr_pool_free *f = p->free[c];

			p->free[c] = f->next;
			p->cached -= (size_t)1 << (UBR_POOL_MIN_SHIFT + c);
			free(f);
		}
	}
}

void *ubr_pool_get(struct ubr_buf_pool *p, size_t len)
{
	unsigned c = class_of(len);
	size_t size = (size_t)1 << (UBR_POOL_MIN_SHIFT + c);
	void *buf;

	if (c >= UBR_POOL_CLASSES || p->in_use + size > p->limit)
		return NULL;
	if (p->free[c]) {
		buf = p->free[c];
		p->free[c] = p->free[c]->next;
		p->cached -= size;
	} else {
		make_room(p, size);
		buf = aligned_alloc(4096, size);
		if (!buf)
			return NULL;
	}
	p->in_use += size;
	if (p->in_use + p->cached > p->peak)
		p->peak = p->in_use + p->cached;
	return buf;
}

void ubr_pool_put(struct ubr_buf_pool *p, void *buf, size_t len)
{
	unsigned c = class_of(len);
	struct ubr_pool_free *f = buf;

	p->in_use -= (size_t)1 << (UBR_POOL_MIN_SHIFT + c);
	f->next = p->free[c];
	p->free[c] = f;
	p->cached += (size_t)1 << (UBR_POOL_MIN_SHIFT + c);
}

void ubr_pool_trim(struct ubr_buf_pool *p)
{
	unsigned c;

	for (c = 0; c < UBR_POOL_CLASSES; c++) {
		while (p->free[c]) {
			struct ubr_pool_free *f = p->free[c];

			p->free[c] = f->next;
			free(f);
		}
	}
	p->cached = 0;
}

void ubr_pool_deinit(struct ubr_buf_pool *p)
{
	ubr_pool_trim(p);
	free(p->wait.tokens);
	p->wait.tokens = NULL;
	p->wait.count = p->wait.cap = 0;
}

/* The ring doubles when full, unwrapped into the new array. */
static int waiters_grow(struct ubr_pool_waiters *w)
{
	unsigned i, n = w->cap ? w->cap * 2 : 64;
	uint64_t *t = malloc(n * sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < w->count; i++)
		t[i] = w->tokens[(w->head + i) % w->cap];
	free(w->tokens);
	w->tokens = t;
	w->cap = n;
	w->head = 0;
	return 0;
}

int ubr_pool_wait(struct ubr_buf_pool *p, uint64_t token)
{
	struct ubr_pool_waiters *w = &p->wait;

	if (w->count == w->cap && waiters_grow(w) < 0)
		return -ENOMEM;
	w->tokens[(w->head + w->count++) % w->cap] = token;
	return 0;
}

bool ubr_pool_waiter(const struct ubr_buf_pool *p, uint64_t *token)
{
	if (!p->wait.count)
		return false;
	*token = p->wait.tokens[p->wait.head];
	return true;
}

void ubr_pool_waiter_pop(struct ubr_buf_pool *p)
{
	struct ubr_pool_waiters *w = &p->wait;

	w->head = (w->head + 1) % w->cap;
	w->count--;
}
