/* SPDX-License-Identifier: MIT */
/*
 * The nbd target's connections (nbd_conns.h): how many a device makes
 * and which one carries each queue.
 */
#include "config.h"

#include "nbd_conns.h"
#include "tap.h"

static void mapping(void)
{
	unsigned q, n, seen[UBR_NBD_MAX_CONNECTIONS], bad = 0, k;

	for (n = 1; n <= UBR_NBD_MAX_CONNECTIONS; n++) {
		for (k = 0; k < n; k++)
			seen[k] = 0;
		for (q = 0; q < 4 * n; q++) {
			k = ubr_nbd_conn_of_queue(q, n);
			if (k >= n)
				bad++;
			else
				seen[k]++;
		}
		for (k = 0; k < n; k++)
			if (seen[k] != 4)
				bad++;
	}
	ok(!bad, "queues spread evenly, each on one connection below n");
	ok(ubr_nbd_conn_of_queue(0, 4) == 0 &&
		   ubr_nbd_conn_of_queue(5, 4) == 1 &&
		   ubr_nbd_conn_of_queue(7, 1) == 0,
	   "queue q on connection q %% n");
}

static void count(void)
{
	ok(ubr_nbd_conns_count(0, 4, true) == 4,
	   "default with multi-conn: one per queue");
	ok(ubr_nbd_conns_count(0, 64, true) == (int)UBR_NBD_MAX_CONNECTIONS,
	   "  at most the maximum");
	ok(ubr_nbd_conns_count(0, 4, false) == 1,
	   "default without multi-conn: one");
	ok(ubr_nbd_conns_count(1, 4, false) == 1,
	   "--connections 1 without multi-conn: one");
	ok(ubr_nbd_conns_count(2, 4, false) == -EOPNOTSUPP,
	   "--connections 2 without multi-conn: refused");
	ok(ubr_nbd_conns_count(2, 1, false) == -EOPNOTSUPP,
	   "  even with one queue");
	ok(ubr_nbd_conns_count(4, 4, true) == 4,
	   "--connections 4 with multi-conn and 4 queues: 4");
	ok(ubr_nbd_conns_count(3, 8, true) == 3, "--connections 3 of 8 queues: 3");
	ok(ubr_nbd_conns_count(8, 2, true) == 2,
	   "more than the queues: one per queue");
}

int main(void)
{
	plan(11);
	mapping();
	count();
	return done_testing();
}
