/* SPDX-License-Identifier: MIT */
/*
 * The static binary's resolver, piece by piece: hosts and resolv.conf
 * files, the query it sends byte for byte, and replies of each kind it
 * must take or leave; then literals through ubr_nbd_resolve.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "nbd_resolve.h"
#include "tap.h"

static FILE *file_of(const char *text)
{
	FILE *f = tmpfile();

	if (f) {
		fputs(text, f);
		rewind(f);
	}
	return f;
}

static bool addr_is(const struct ubr_nbd_addrs *a, unsigned i, const char *want)
{
	char s[64];

	return i < a->n &&
	       inet_ntop(a->v[i].family, a->v[i].a, s, sizeof(s)) &&
	       !strcmp(s, want);
}

static void test_hosts(void)
{
	static const char hosts[] =
		"127.0.0.1 localhost\n"
		"::1 localhost ip6-localhost\n"
		"# 10.0.0.1 nbd\n"
		"10.0.0.2\tNBD nbd.lan # nbdx\n"
		"bogus nbd\n"
		"10.0.0.3 nbdx\n"
		"10.0.0.4\n";
	struct ubr_nbd_addrs a;
	FILE *f = file_of(hosts);

	if (!ok(f != NULL, "a hosts file"))
		return;
	a.n = 0;
	ubr_hosts_find(f, "localhost", &a);
	ok(a.n == 2 && addr_is(&a, 0, "127.0.0.1") && addr_is(&a, 1, "::1"),
	   "hosts: both families, in the file's order");
	rewind(f);
	a.n = 0;
	ubr_hosts_find(f, "nbd", &a);
	ok(a.n == 1 && addr_is(&a, 0, "10.0.0.2"),
	   "hosts: any case; no comment, no bad address");
	rewind(f);
	a.n = 0;
	ubr_hosts_find(f, "NbD.LAN", &a);
	ok(a.n == 1 && addr_is(&a, 0, "10.0.0.2"), "hosts: an alias");
	rewind(f);
	a.n = 0;
	ubr_hosts_find(f, "nb", &a);
	is_int(a.n, 0, "hosts: whole names only");
	fclose(f);
}

static void test_resolv_conf(void)
{
	static const char conf[] =
		"; a comment\n"
		"nameserver 10.0.0.53\n"
		"nameserver 2001:db8::53\n"
		"nameserver not-an-address\n"
		"nameserver 192.0.2.1\n"
		"nameserver 192.0.2.2\n"
		"search a.example b.example\n"
		"domain c.example\n"
		"options rotate ndots:2 timeout:3 attempts:0 # x\n";
	struct ubr_resolv_conf c;
	FILE *f = file_of(conf);

	if (!ok(f != NULL, "a resolv.conf"))
		return;
	ubr_resolv_conf_read(f, &c);
	fclose(f);
	ok(c.nr_ns == 3 && addr_is(&c.ns, 0, "10.0.0.53") &&
	   addr_is(&c.ns, 1, "2001:db8::53") && addr_is(&c.ns, 2, "192.0.2.1"),
	   "resolv.conf: three servers, bad ones skipped");
	is_str(c.search, " c.example", "resolv.conf: the last search line");
	ok(c.ndots == 2 && c.timeout_s == 3 && c.attempts == 1,
	   "resolv.conf: options (attempts:0 is one)");
	f = file_of("search x.example y.example\noptions timeout:999\n");
	ubr_resolv_conf_read(f, &c);
	fclose(f);
	is_str(c.search, " x.example y.example", "resolv.conf: a search list");
	is_int(c.timeout_s, 60, "resolv.conf: timeout clamped");
	ubr_resolv_conf_read(NULL, &c);
	ok(c.nr_ns == 1 && addr_is(&c.ns, 0, "127.0.0.1") && c.ndots == 1 &&
	   c.timeout_s == 5 && c.attempts == 2 && !c.search[0],
	   "resolv.conf: none, the defaults");
}

static const uint8_t query_nbd_example[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'n', 'b', 'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	0, 1, 0, 1,
};

static void test_query(void)
{
	uint8_t b[300];
	char label[70];
	int n;

	n = ubr_dns_query(b, sizeof(b), "nbd.example", 0x1234, 1);
	ok(n == (int)sizeof(query_nbd_example) &&
	   !memcmp(b, query_nbd_example, sizeof(query_nbd_example)),
	   "query: A for nbd.example, byte for byte");
	n = ubr_dns_query(b, sizeof(b), "h", 1, 28);
	ok(n == 12 + 3 + 4 && b[12] == 1 && b[13] == 'h' && b[14] == 0 &&
	   b[16] == 28, "query: AAAA for a single label");
	is_int(ubr_dns_query(b, sizeof(b), "a..b", 1, 1), -EINVAL,
	       "query: an empty label");
	is_int(ubr_dns_query(b, sizeof(b), ".a", 1, 1), -EINVAL,
	       "query: a leading dot");
	is_int(ubr_dns_query(b, sizeof(b), "a.", 1, 1), -EINVAL,
	       "query: a trailing dot");
	is_int(ubr_dns_query(b, sizeof(b), "", 1, 1), -EINVAL, "query: empty");
	memset(label, 'x', 64);
	label[64] = '\0';
	is_int(ubr_dns_query(b, sizeof(b), label, 1, 1), -EINVAL,
	       "query: a 64-byte label");
	label[63] = '\0';
	ok(ubr_dns_query(b, sizeof(b), label, 1, 1) > 0, "query: 63 bytes");
	is_int(ubr_dns_query(b, 20, "nbd.example", 1, 1), -EINVAL,
	       "query: a buffer too small");
}

/* A reply to query_nbd_example: a CNAME, then an A at the end of it. */
static size_t reply(uint8_t *r, uint8_t rcode)
{
	static const uint8_t answers[] = {
		0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
	};
	size_t n = sizeof(query_nbd_example);

	memcpy(r, query_nbd_example, n);
	r[2] = 0x81;
	r[3] = (uint8_t)(0x80 | rcode);
	r[7] = rcode ? 0 : 2;
	if (rcode)
		return n;
	memcpy(r + n, answers, sizeof(answers));
	return n + sizeof(answers);
}

static void test_answer(void)
{
	struct ubr_nbd_addrs a = { 0 };
	uint8_t r[128];
	size_t n = reply(r, 0);

	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), 0, "answer: taken");
	ok(a.n == 1 && addr_is(&a, 0, "192.0.2.7"),
	   "answer: the A past the CNAME");
	a.n = 0;
	is_int(ubr_dns_answer(r, n, 0x1235, 1, &a), -EAGAIN,
	       "answer: another id");
	is_int(ubr_dns_answer(r, n, 0x1234, 28, &a), -EAGAIN,
	       "answer: another question");
	is_int(ubr_dns_answer(r, n - 1, 0x1234, 1, &a), -EAGAIN,
	       "answer: cut short");
	is_int(ubr_dns_answer(r, 11, 0x1234, 1, &a), -EAGAIN,
	       "answer: shorter than a header");
	r[2] = 0x01;
	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), -EAGAIN,
	       "answer: a query, not a response");
	is_int(a.n, 0, "answer: nothing taken from the refused");
	n = reply(r, 3);
	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), 0,
	       "answer: no such name is an answer");
	is_int(a.n, 0, "answer: ... without addresses");
	n = reply(r, 2);
	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), -EAGAIN,
	       "answer: a server failure is not");
	n = reply(r, 0);
	r[n - 6] = 0; /* rdlength 16, with 4 bytes left */
	r[n - 5] = 16;
	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), -EAGAIN,
	       "answer: a record past the end");
	n = reply(r, 0);
	r[7] = 3; /* a third answer that is not there, after the A */
	is_int(ubr_dns_answer(r, n, 0x1234, 1, &a), -EAGAIN,
	       "answer: a record missing");
	is_int(a.n, 0, "answer: ... and the A before it not taken");
}

static void test_literals(void)
{
	struct ubr_nbd_addrs a;
	char err[128];

	is_int(ubr_nbd_resolve("192.0.2.1", &a, err, sizeof(err)), 0,
	       "resolve: IPv4 literal");
	ok(a.n == 1 && addr_is(&a, 0, "192.0.2.1"), "resolve: ... itself");
	is_int(ubr_nbd_resolve("2001:db8::1", &a, err, sizeof(err)), 0,
	       "resolve: IPv6 literal");
	ok(a.n == 1 && addr_is(&a, 0, "2001:db8::1"), "resolve: ... itself");
}

int main(void)
{
	test_hosts();
	test_resolv_conf();
	test_query();
	test_answer();
	test_literals();
	return done_testing();
}
