/* SPDX-License-Identifier: MIT */
/*
 * Host names to addresses for the nbd target in a static binary: the
 * hosts file, then DNS over UDP to the servers of resolv.conf (with its
 * search list, ndots, timeout and attempts), A and AAAA. It is what a
 * static musl's getaddrinfo does for a name, without the 15 KiB that its
 * resolver weighs on x86-64 (services, flags, address sorting and the
 * like, which a connection to one host and port never needs). The
 * dynamic build keeps the C library's getaddrinfo (glibc's NSS: nss-
 * resolve, mDNS...; see nbd_connect.c).
 *
 * Order: a hosts file's addresses as the file lists them; DNS's IPv4 ones
 * first, then IPv6 (the caller tries each in turn, and a family without a
 * route fails at once).
 */
#ifndef UBR_NBD_RESOLVE_H
#define UBR_NBD_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UBR_NBD_ADDRS_MAX 16U

struct ubr_nbd_addrs {
	unsigned n;
	struct {
		int family; /* AF_INET or AF_INET6 */
		uint8_t a[16]; /* network order; 4 bytes for AF_INET */
	} v[UBR_NBD_ADDRS_MAX];
};

/* What resolv.conf says; ubr_resolv_conf_read fills in the defaults. */
#define UBR_RESOLV_NS_MAX 3U
struct ubr_resolv_conf {
	unsigned nr_ns;
	struct ubr_nbd_addrs ns; /* the name servers (port 53) */
	char search[256];	 /* domains, space-separated; "" for none */
	unsigned ndots, timeout_s, attempts;
};

/*
 * host's addresses into *out (which it clears): an IP literal as itself,
 * else /etc/hosts, else DNS. 0, or -ENOENT (no such host, or no address),
 * -ETIMEDOUT (no server answered), -EINVAL (not a host name) or another
 * -errno, with a one-line reason in err.
 */
int ubr_nbd_resolve(const char *host, struct ubr_nbd_addrs *out, char *err,
		    size_t len);

/* The pieces, for the unit tests (t/nbd_resolve.c). */

/* name's addresses in a hosts file (case-insensitive) appended to *out. */
void ubr_hosts_find(FILE *f, const char *name, struct ubr_nbd_addrs *out);
/* A resolv.conf into *c, defaults for what it leaves out; f may be NULL. */
void ubr_resolv_conf_read(FILE *f, struct ubr_resolv_conf *c);
/* A recursive query for name (no trailing dot) and type (1 A, 28 AAAA)
 * into buf: its length, or -EINVAL if name cannot be one. */
int ubr_dns_query(uint8_t *buf, size_t len, const char *name, uint16_t id,
		  uint16_t type);
/*
 * A reply to the query (id, type): its addresses of that type appended to
 * *out and 0 (an answer, even with none: the name has no such address, or
 * does not exist), or -EAGAIN (not that reply, malformed, or a server
 * failure: wait for another).
 */
int ubr_dns_answer(const uint8_t *p, size_t n, uint16_t id, uint16_t type,
		   struct ubr_nbd_addrs *out);

#endif /* UBR_NBD_RESOLVE_H */
