/* SPDX-License-Identifier: MIT */
/*
 * A small stub resolver for the static binary (see nbd_resolve.h): RFC
 * 1035's message format, the hosts(5) and resolv.conf(5) file formats.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd_resolve.h"
#include "nbd_uri.h"
#include "ubr_util.h"

#define DNS_A 1
#define DNS_AAAA 28
#define DNS_IN 1
#define DNS_NXDOMAIN 3

static const char blanks[] = " \t\r\n";

static void addr_add(struct ubr_nbd_addrs *out, int family, const void *a)
{
	if (out->n >= UBR_NBD_ADDRS_MAX)
		return;
	out->v[out->n].family = family;
	memcpy(out->v[out->n].a, a, family == AF_INET ? 4 : 16);
	out->n++;
}

/* An address as text (no IPv6 scope: nothing here would use it). */
static bool addr_parse(const char *s, struct ubr_nbd_addrs *out)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		addr_add(out, AF_INET, a);
	else if (inet_pton(AF_INET6, s, a) == 1)
		addr_add(out, AF_INET6, a);
	else
		return false;
	return true;
}

/* --- files --------------------------------------------------------------- */

void ubr_hosts_find(FILE *f, const char *name, struct ubr_nbd_addrs *out)
{
	char line[512], *addr, *w, *save;
	struct ubr_nbd_addrs one;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#")] = '\0';
		addr = strtok_r(line, blanks, &save);
		if (!addr)
			continue;
		while ((w = strtok_r(NULL, blanks, &save)))
			if (!ubr_strncasecmp(w, name, SIZE_MAX))
				break;
		one.n = 0;
		if (w && addr_parse(addr, &one))
			addr_add(out, one.v[0].family, one.v[0].a);
	}
}

/* "name:N" in an options line: N (clamped to max), else keep *v. */
static void option(const char *w, const char *name, unsigned max, unsigned *v)
{
	size_t len = strlen(name);
	uint64_t n;

	if (!strncmp(w, name, len) && w[len] == ':' &&
	    !ubr_parse_u64(w + len + 1, 0, UINT64_MAX, &n))
		*v = n > max ? max : (unsigned)n;
}

void ubr_resolv_conf_read(FILE *f, struct ubr_resolv_conf *c)
{
	char line[512], *key, *w, *save;

	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	c->timeout_s = 5;
	c->attempts = 2;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#;")] = '\0';
		key = strtok_r(line, blanks, &save);
		if (!key)
			continue;
		if (!strcmp(key, "nameserver")) {
			w = strtok_r(NULL, blanks, &save);
			if (w && c->ns.n < UBR_RESOLV_NS_MAX)
				addr_parse(w, &c->ns);
		} else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
			/* The last such line wins, as in every resolver. */
			c->search[0] = '\0';
			while ((w = strtok_r(NULL, blanks, &save)) &&
			       strlen(c->search) + strlen(w) + 2 <=
				       sizeof(c->search)) {
				strcat(c->search, " ");
				strcat(c->search, w);
			}
		} else if (!strcmp(key, "options")) {
			while ((w = strtok_r(NULL, blanks, &save))) {
				option(w, "ndots", 15, &c->ndots);
				option(w, "timeout", 60, &c->timeout_s);
				option(w, "attempts", 10, &c->attempts);
			}
		}
	}
	if (!c->ns.n) { /* resolv.conf(5): the local machine's */
		static const uint8_t lo[4] = { 127, 0, 0, 1 };

		addr_add(&c->ns, AF_INET, lo);
	}
	if (!c->timeout_s)
		c->timeout_s = 1;
	if (!c->attempts)
		c->attempts = 1;
	c->nr_ns = c->ns.n;
}

/* --- messages ------------------------------------------------------------ */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int ubr_dns_query(uint8_t *buf, size_t len, const char *name, uint16_t id,
		  uint16_t type)
{
	size_t n = strlen(name), pos = 12, label;

	/* header, a length byte per label plus the name, root, type, class */
	if (!n || n > UBR_NBD_HOST_MAX || len < 12 + n + 2 + 4)
		return -EINVAL;
	memset(buf, 0, 12);
	put16(buf, id);
	buf[2] = 0x01; /* RD: the server recurses for us */
	buf[5] = 1;    /* one question */
	while (*name) {
		label = strcspn(name, ".");
		if (!label || label > 63)
			return -EINVAL;
		buf[pos++] = (uint8_t)label;
		memcpy(buf + pos, name, label);
		pos += label;
		name += label;
		if (*name && !*++name) /* a trailing dot: the caller's job */
			return -EINVAL;
	}
	buf[pos++] = 0;
	put16(buf + pos, type);
	put16(buf + pos + 2, DNS_IN);
	return (int)(pos + 4);
}

/* Past the name at *pos (labels, or a compression pointer). */
static bool skip_name(const uint8_t *p, size_t n, size_t *pos)
{
	while (*pos < n) {
		uint8_t c = p[*pos];

		if (!c) {
			++*pos;
			return true;
		}
		if ((c & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= n;
		}
		if (c & 0xc0)
			return false;
		*pos += 1U + c;
	}
	return false;
}

int ubr_dns_answer(const uint8_t *p, size_t n, uint16_t id, uint16_t type,
		   struct ubr_nbd_addrs *out)
{
	size_t pos = 12, rdlen;
	unsigned an, rtype, alen = type == DNS_A ? 4 : 16, had = out->n;

	/* ours, a response, one question */
	if (n < 12 || get16(p) != id || !(p[2] & 0x80) || get16(p + 4) != 1)
		return -EAGAIN;
	if (!skip_name(p, n, &pos) || pos + 4 > n || get16(p + pos) != type)
		return -EAGAIN;
	pos += 4;
	if ((p[3] & 0x0f) == DNS_NXDOMAIN)
		return 0;
	if (p[3] & 0x0f) /* SERVFAIL, REFUSED...: maybe another server */
		return -EAGAIN;
	/* Every record of the type counts: a CNAME chain's end among them. */
	for (an = get16(p + 6); an; an--) {
		if (!skip_name(p, n, &pos) || pos + 10 > n)
			goto bad;
		rtype = get16(p + pos);
		rdlen = get16(p + pos + 8);
		pos += 10;
		if (pos + rdlen > n)
			goto bad;
		if (rtype == type && get16(p + pos - 8) == DNS_IN &&
		    rdlen == alen)
			addr_add(out, type == DNS_A ? AF_INET : AF_INET6,
				 p + pos);
		pos += rdlen;
	}
	return 0;
bad: /* nothing from a malformed reply, not even its first records */
	out->n = had;
	return -EAGAIN;
}

/* --- asking -------------------------------------------------------------- */

/* One UDP socket per server, connected: the kernel drops other senders. */
static unsigned ns_open(const struct ubr_resolv_conf *c, struct pollfd *pfd)
{
	unsigned i, n = 0;

	for (i = 0; i < c->nr_ns; i++) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(53) };
		struct sockaddr_in s4 = { .sin_family = AF_INET,
					  .sin_port = htons(53) };
		int fam = c->ns.v[i].family;
		int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
				0);

		if (fd < 0)
			continue; /* e.g. a kernel without IPv6 */
		memcpy(&s4.sin_addr, c->ns.v[i].a, 4);
		memcpy(&s6.sin6_addr, c->ns.v[i].a, 16);
		if (fam == AF_INET ?
			    connect(fd, (struct sockaddr *)&s4, sizeof(s4)) :
			    connect(fd, (struct sockaddr *)&s6, sizeof(s6))) {
			close(fd);
			continue;
		}
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

/*
 * A and AAAA for one name, from every server at once; each question is
 * asked again every timeout/attempts while unanswered, until timeout.
 * 0 with the addresses (maybe none), or -ETIMEDOUT.
 */
static int ask(const struct ubr_resolv_conf *c, struct pollfd *pfd,
	       unsigned nfd, const char *name, struct ubr_nbd_addrs *out)
{
	static const uint16_t types[2] = { DNS_A, DNS_AAAA };
	struct ubr_nbd_addrs got[2] = { { 0 }, { 0 } };
	uint8_t q[2][UBR_NBD_HOST_MAX + 20], r[512];
	int qlen[2], i, left = 2;
	uint16_t id = (uint16_t)(ubr_mono_ms() ^ getpid() * 40503U);
	long long end = ubr_mono_ms() + c->timeout_s * 1000LL, next = 0, wait;
	bool done[2] = { false, false };
	unsigned k;
	ssize_t n;

	for (i = 0; i < 2; i++) {
		qlen[i] = ubr_dns_query(q[i], sizeof(q[i]), name,
					(uint16_t)(id + i), types[i]);
		if (qlen[i] < 0)
			return qlen[i];
	}
	while (left && ubr_mono_ms() < end) {
		if (ubr_mono_ms() >= next) {
			for (i = 0; i < 2; i++)
				for (k = 0; !done[i] && k < nfd; k++)
					send(pfd[k].fd, q[i], (size_t)qlen[i],
					     MSG_NOSIGNAL);
			next = ubr_mono_ms() + c->timeout_s * 1000LL / c->attempts;
		}
		wait = (next < end ? next : end) - ubr_mono_ms();
		if (poll(pfd, nfd, wait > 0 ? (int)wait : 0) <= 0)
			continue;
		for (k = 0; k < nfd; k++)
			while ((n = recv(pfd[k].fd, r, sizeof(r), 0)) > 0)
				for (i = 0; i < 2; i++)
					if (!done[i] &&
					    !ubr_dns_answer(r, (size_t)n,
							    (uint16_t)(id + i),
							    types[i], &got[i])) {
						done[i] = true;
						left--;
					}
	}
	for (i = 0; i < 2; i++)
		for (k = 0; k < got[i].n; k++)
			addr_add(out, got[i].v[k].family, got[i].v[k].a);
	return left ? -ETIMEDOUT : 0;
}

/*
 * The names to ask, in turn, as resolv.conf(5) says: with fewer dots than
 * ndots, each search domain appended first, then the name alone; a name
 * with a trailing dot is asked as it is, alone.
 */
static int dns_lookup(const char *host, struct ubr_nbd_addrs *out)
{
	struct ubr_resolv_conf c;
	struct pollfd pfd[UBR_RESOLV_NS_MAX];
	char name[UBR_NBD_HOST_MAX + 2], *dom, *save = NULL;
	size_t len = strlen(host);
	unsigned dots = 0, nfd, i;
	int ret = -ENOENT, r;
	FILE *f = fopen("/etc/resolv.conf", "re");

	ubr_resolv_conf_read(f, &c);
	if (f)
		fclose(f);
	for (i = 0; i < len; i++)
		dots += host[i] == '.';
	if (len && host[len - 1] == '.') {
		len--;
		c.search[0] = '\0';
	} else if (dots >= c.ndots) {
		c.search[0] = '\0';
	}
	nfd = ns_open(&c, pfd);
	if (!nfd)
		return -ENETUNREACH;
	dom = strtok_r(c.search, " ", &save);
	for (;;) {
		int w = dom ? snprintf(name, sizeof(name), "%.*s.%s", (int)len,
				       host, dom) :
			      snprintf(name, sizeof(name), "%.*s", (int)len,
				       host);

		r = (size_t)w < sizeof(name) ? ask(&c, pfd, nfd, name, out) :
					       -EINVAL;
		if (out->n)
			break;
		if (r == -ETIMEDOUT || (r == -EINVAL && !dom))
			ret = r;
		if (!dom)
			break;
		dom = strtok_r(NULL, " ", &save);
	}
	for (i = 0; i < nfd; i++)
		close(pfd[i].fd);
	return out->n ? 0 : ret;
}

int ubr_nbd_resolve(const char *host, struct ubr_nbd_addrs *out, char *err,
		    size_t len)
{
	FILE *f;
	int ret;

	out->n = 0;
	if (addr_parse(host, out))
		return 0;
	f = fopen("/etc/hosts", "re");
	if (f) {
		ubr_hosts_find(f, host, out);
		fclose(f);
		if (out->n)
			return 0;
	}
	ret = dns_lookup(host, out);
	if (ret == -ENOENT)
		snprintf(err, len, "cannot resolve %s: no such host", host);
	else if (ret == -ETIMEDOUT)
		snprintf(err, len,
			 "cannot resolve %s: no name server answered", host);
	else if (ret == -EINVAL)
		snprintf(err, len, "cannot resolve %s: not a host name", host);
	else if (ret < 0)
		snprintf(err, len, "cannot resolve %s: %s", host,
			 strerror(-ret));
	return ret;
}
