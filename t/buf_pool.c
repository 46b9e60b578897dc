/* SPDX-License-Identifier: MIT */
/* The user-copy pool: size classes, the limit, reuse and trimming. */
#include "config.h"

#include <stdint.h>

#include "tap.h"
#include "ubr_buf_pool.h"

/* Waiters come out in order, across the ring's growth and wrap. */
static void waiters(struct ubr_buf_pool *p)
{
	uint64_t t, next = 0, want = 0;
	int bad = 0, i;

	ok(!ubr_pool_waiter(p, &t), "no waiter at first");
	for (i = 0; i < 50; i++)
		bad += ubr_pool_wait(p, next++) != 0;
	for (i = 0; i < 40; i++, ubr_pool_waiter_pop(p))
		bad += !ubr_pool_waiter(p, &t) || t != want++;
	for (i = 0; i < 100; i++) /* wraps, then grows from 64 to 128 */
		bad += ubr_pool_wait(p, next++) != 0;
	while (ubr_pool_waiter(p, &t)) {
		bad += t != want++;
		ubr_pool_waiter_pop(p);
	}
	is_int(bad, 0, "150 waiters served first come, first served");
	is_int((long long)want, 150, "every one of them");
}

int main(void)
{
	struct ubr_buf_pool p;
	void *a, *b, *c, *bufs[8];
	int i, n;

	ubr_pool_init(&p, 2U << 20);
	is_int((long long)ubr_pool_class_size(1), 4096, "1 byte takes a 4 KiB buffer");
	is_int((long long)ubr_pool_class_size(4097), 8192, "4097 bytes take 8 KiB");
	is_int((long long)ubr_pool_class_size(1U << 20), 1 << 20, "1 MiB is the top class");
	a = ubr_pool_get(&p, 4096);
	ok(a && ((uintptr_t)a & 4095) == 0, "buffers are page aligned (O_DIRECT)");
	b = ubr_pool_get(&p, 1U << 20);
	ok(b != NULL, "a 1 MiB buffer fits");
	c = ubr_pool_get(&p, 1U << 20);
	ok(c == NULL, "a second one would exceed the 2 MiB limit: refused");
	ok(ubr_pool_get(&p, (1U << 20) + 1) == NULL, "larger than the top class: refused");
	ubr_pool_put(&p, b, 1U << 20);
	is_int((long long)p.cached, 1 << 20, "a returned buffer is cached");
	c = ubr_pool_get(&p, 700000);
	ok(c == b, "and reused for a request of the same class");
	ubr_pool_put(&p, c, 700000);
	for (n = 0; n < 8; n++) {
		bufs[n] = ubr_pool_get(&p, 256U << 10);
		if (!bufs[n])
			break;
	}
	is_int(n, 7, "cached buffers are freed to make room: 7 x 256 KiB + 4 KiB");
	ok(p.in_use + p.cached <= p.limit, "in use + cached never exceeds the limit");
	for (i = 0; i < n; i++)
		ubr_pool_put(&p, bufs[i], 256U << 10);
	ubr_pool_put(&p, a, 4096);
	is_int((long long)p.in_use, 0, "all returned");
	ubr_pool_trim(&p);
	is_int((long long)p.cached, 0, "trim gives everything back");
	ok(p.peak <= p.limit, "peak stayed within the limit");
	waiters(&p);
	ubr_pool_deinit(&p);
	return done_testing();
}
