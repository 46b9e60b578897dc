/* SPDX-License-Identifier: MIT */
/*
 * How many connections an nbd device makes, and which one carries a
 * queue's requests: pure, unit-tested (t/nbd_conns.c).
 *
 * Queue q goes on connection q % n: each connection's send queue and
 * receive state are touched by its own queues' requests only, and the
 * reply's cookie (queue, tag) names a request of the connection it came
 * in on, or is refused. More connections than queues would carry
 * nothing: n is at most the queue count.
 *
 * The NBD protocol allows several connections to one export only where
 * the server says they see each other's writes and flushes
 * (NBD_FLAG_CAN_MULTI_CONN): without it, --connections above 1 is
 * refused, and the default is one.
 */
#ifndef UBR_NBD_CONNS_H
#define UBR_NBD_CONNS_H

#include <errno.h>
#include <stdbool.h>

/* --connections takes 1 to this many. */
#define UBR_NBD_MAX_CONNECTIONS 16U

static inline unsigned ubr_nbd_conn_of_queue(unsigned q, unsigned nr_conns)
{
	return q % nr_conns;
}

/*
 * The connection count for --connections wanted (0: not given) on a
 * device of nr_queues, the server advertising multi-conn or not: the
 * count, or -EOPNOTSUPP (more than one asked of a server without it).
 * Not given: one per queue (at most the maximum) with multi-conn, else 1.
 */
static inline int ubr_nbd_conns_count(unsigned wanted, unsigned nr_queues,
				      bool multi)
{
	unsigned n = wanted;

	if (wanted > 1 && !multi)
		return -EOPNOTSUPP;
	if (!wanted)
		n = multi ? UBR_NBD_MAX_CONNECTIONS : 1;
	if (n > nr_queues)
		n = nr_queues;
	return n ? (int)n : 1;
}

#endif /* UBR_NBD_CONNS_H */
