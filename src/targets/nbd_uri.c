/* SPDX-License-Identifier: MIT */
/* NBD URI parsing and printing (see nbd_uri.h for what is accepted). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nbd_uri.h"
#include "ubr_util.h"

/* A run of the input: parsing never writes into or copies the text. */
struct span {
	const char *p;
	size_t n;
};

#define fail ubr_errf

static bool span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && !strncmp(s.p, word, s.n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s into out (max bytes, NUL added). An encoded NUL is
 * refused: export names may not hold one (the protocol's strings), and a
 * socket path starting with one would be an abstract socket.
 */
static int decode(struct span s, char *out, size_t max, const char *what,
		  char *err, size_t errlen)
{
	size_t i, o = 0;

	for (i = 0; i < s.n; i++) {
		int c = (unsigned char)s.p[i];

		if (c == '%') {
			int hi = i + 2 < s.n ? hexval(s.p[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s.p[i + 2]) : -1;

			if (lo < 0)
				return fail(-EINVAL, err, errlen,
					    "%s: bad percent escape", what);
			c = hi << 4 | lo;
			i += 2;
			if (!c)
				return fail(-EOPNOTSUPP, err, errlen,
					    "%s: contains %%00 (a NUL byte)",
					    what);
		}
		if (o == max)
			return fail(-ENAMETOOLONG, err, errlen,
				    "%s: longer than %zu bytes", what, max);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Spaces and control bytes never appear raw in a URI (RFC 3986). */
static int check_raw(const char *text, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; text[i]; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= ' ' || c == 0x7f)
			return fail(-EINVAL, err, errlen,
				    "byte %zu is a space or a control character (write it as %%%02X)",
				    i, c);
		if (c == '#')
			return fail(-EINVAL, err, errlen,
				    "a fragment ('#' at byte %zu) has no meaning in an NBD URI",
				    i);
	}
	return 0;
}

static int parse_scheme(struct span s, struct ubr_nbd_uri *u, char *err,
			size_t errlen)
{
	if (s.n == 3 && !ubr_strncasecmp(s.p, "nbd", 3))
		u->transport = UBR_NBD_TCP;
	else if (s.n == 8 && !ubr_strncasecmp(s.p, "nbd+unix", 8))
		u->transport = UBR_NBD_UNIX;
	else if ((s.n == 4 && !ubr_strncasecmp(s.p, "nbds", 4)) ||
		 (s.n == 9 && !ubr_strncasecmp(s.p, "nbds+unix", 9)))
		return fail(-EOPNOTSUPP, err, errlen,
			    "%.*s://: TLS is not supported", (int)s.n, s.p);
	else if (s.n == 9 && !ubr_strncasecmp(s.p, "nbd+vsock", 9))
		return fail(-EOPNOTSUPP, err, errlen,
			    "nbd+vsock://: vsock is not supported");
	else
		return fail(-EINVAL, err, errlen,
			    "unknown scheme '%.*s' (nbd:// or nbd+unix://)",
			    (int)(s.n > 32 ? 32 : s.n), s.p);
	return 0;
}

/* 1..65535, digits only; an empty port (RFC 3986 allows "host:") is 10809. */
static int parse_port(struct span s, uint16_t *port, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t i;

	*port = UBR_NBD_DEFAULT_PORT;
	if (!s.n)
		return 0;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9' || v > 65535)
			return fail(-EINVAL, err, errlen,
				    "bad port '%.*s' (1-65535)",
				    (int)(s.n > 16 ? 16 : s.n), s.p);
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (!v || v > 65535)
		return fail(-EINVAL, err, errlen, "bad port '%.*s' (1-65535)",
			    (int)s.n, s.p);
	*port = (uint16_t)v;
	return 0;
}

static int set_ipv6(struct span s, struct ubr_nbd_uri *u, char *err,
		    size_t errlen)
{
	unsigned char addr[16];

	if (!s.n || s.n > 45) /* the longest textual IPv6 address */
		return fail(-EINVAL, err, errlen, "bad IPv6 literal [%.*s]",
			    (int)(s.n > 64 ? 64 : s.n), s.p);
	memcpy(u->host, s.p, s.n);
	u->host[s.n] = '\0';
	if (inet_pton(AF_INET6, u->host, addr) != 1)
		return fail(-EINVAL, err, errlen, "bad IPv6 literal [%s]",
			    u->host);
	u->host_ipv6 = true;
	return 0;
}

/* A host name (RFC 1123 letters, digits, '-', '.'; '_' as found in the
 * wild) or, when only digits and dots, a dotted-quad IPv4 address. */
static int set_name(struct span s, struct ubr_nbd_uri *u, char *err,
		    size_t errlen)
{
	unsigned char addr[4];
	bool numeric = true;
	size_t i;

	if (!s.n)
		return fail(-EINVAL, err, errlen,
			    "no host (nbd://HOST[:PORT][/EXPORT])");
	if (s.n > UBR_NBD_HOST_MAX)
		return fail(-ENAMETOOLONG, err, errlen,
			    "host longer than %u bytes", UBR_NBD_HOST_MAX);
	for (i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_')
			return fail(-EINVAL, err, errlen,
				    "bad character '%c' in host '%.*s'", c,
				    (int)s.n, s.p);
		if (!(c >= '0' && c <= '9') && c != '.')
			numeric = false;
	}
	memcpy(u->host, s.p, s.n);
	u->host[s.n] = '\0';
	if (numeric && inet_pton(AF_INET, u->host, addr) != 1)
		return fail(-EINVAL, err, errlen, "bad IPv4 address '%s'",
			    u->host);
	return 0;
}

/* [userinfo@]host[:port] for TCP; nothing at all for a unix socket. */
static int parse_authority(struct span a, struct ubr_nbd_uri *u, char *err,
			   size_t errlen)
{
	const char *at = memrchr(a.p, '@', a.n), *colon;
	struct span host, port = { "", 0 };
	int rc;

	if (u->transport == UBR_NBD_UNIX) {
		if (a.n)
			return fail(-EINVAL, err, errlen,
				    "nbd+unix:// takes no host (nbd+unix:///EXPORT?socket=PATH)");
		return 0;
	}
	if (at) /* userinfo: a TLS user name only; dropped */
		a = (struct span){ at + 1, a.n - (size_t)(at + 1 - a.p) };
	if (a.n && a.p[0] == '[') {
		const char *close = memchr(a.p, ']', a.n);

		if (!close)
			return fail(-EINVAL, err, errlen,
				    "IPv6 literal without its ']'");
		host = (struct span){ a.p + 1, (size_t)(close - a.p - 1) };
		if (close + 1 < a.p + a.n && close[1] != ':')
			return fail(-EINVAL, err, errlen,
				    "junk after the IPv6 literal's ']'");
		colon = close + 1 < a.p + a.n ? close + 1 : NULL;
		if (set_ipv6(host, u, err, errlen))
			return -EINVAL;
	} else {
		colon = memchr(a.p, ':', a.n);
		host = (struct span){ a.p, colon ? (size_t)(colon - a.p) : a.n };
		rc = set_name(host, u, err, errlen);
		if (rc)
			return rc;
	}
	if (colon)
		port = (struct span){ colon + 1,
				      (size_t)(a.p + a.n - colon - 1) };
	return parse_port(port, &u->port, err, errlen);
}

static int parse_param(struct span kv, struct ubr_nbd_uri *u, char *err,
		       size_t errlen)
{
	const char *eq = memchr(kv.p, '=', kv.n);
	struct span key = { kv.p, eq ? (size_t)(eq - kv.p) : kv.n };
	struct span val = { eq ? eq + 1 : kv.p + kv.n,
			    eq ? (size_t)(kv.p + kv.n - eq - 1) : 0 };

	if (span_is(key, "socket")) {
		if (u->transport != UBR_NBD_UNIX)
			return fail(-EINVAL, err, errlen,
				    "socket= belongs to nbd+unix:// URIs");
		if (u->socket[0])
			return fail(-EINVAL, err, errlen,
				    "socket= given twice");
		if (!val.n)
			return fail(-EINVAL, err, errlen,
				    "socket= needs a path");
		return decode(val, u->socket, UBR_NBD_SOCKET_MAX,
			      "socket path", err, errlen);
	}
	if (key.n >= 4 && !strncmp(key.p, "tls-", 4))
		return fail(-EOPNOTSUPP, err, errlen,
			    "%.*s: TLS is not supported", (int)key.n, key.p);
	return fail(-EINVAL, err, errlen, "unknown query parameter '%.*s'",
		    (int)(key.n > 32 ? 32 : key.n), key.p);
}

/* key=value pairs separated by '&'; empty pairs ("a=1&&b=2") skipped. */
static int parse_query(struct span q, struct ubr_nbd_uri *u, char *err,
		       size_t errlen)
{
	while (q.n) {
		const char *amp = memchr(q.p, '&', q.n);
		size_t n = amp ? (size_t)(amp - q.p) : q.n;
		int rc = n ? parse_param((struct span){ q.p, n }, u, err,
					 errlen) :
			     0;

		if (rc)
			return rc;
		q.p += n + (amp != NULL);
		q.n -= n + (amp != NULL);
	}
	return 0;
}

/* Split scheme://authority/path?query and check the pieces belong. */
static int parse_parts(const char *text, struct ubr_nbd_uri *u, char *err,
		       size_t errlen)
{
	const char *sep = ubr_strstr(text, "://"), *rest, *q, *slash;
	struct span auth, path, query = { "", 0 };
	int rc;

	if (!sep)
		return fail(-EINVAL, err, errlen,
			    "not an NBD URI (nbd://HOST[:PORT][/EXPORT] or nbd+unix:///EXPORT?socket=PATH)");
	rc = parse_scheme((struct span){ text, (size_t)(sep - text) }, u, err,
			  errlen);
	if (rc)
		return rc;
	rest = sep + 3;
	q = strchr(rest, '?');
	if (q)
		query = (struct span){ q + 1, strlen(q + 1) };
	else
		q = rest + strlen(rest);
	slash = memchr(rest, '/', (size_t)(q - rest));
	auth = (struct span){ rest, (size_t)((slash ? slash : q) - rest) };
	path = slash ? (struct span){ slash + 1, (size_t)(q - slash - 1) } :
		       (struct span){ q, 0 };
	rc = parse_authority(auth, u, err, errlen);
	if (!rc)
		rc = decode(path, u->export_name, UBR_NBD_STRING_MAX,
			    "export name", err, errlen);
	if (!rc)
		rc = parse_query(query, u, err, errlen);
	if (!rc && u->transport == UBR_NBD_UNIX && !u->socket[0])
		rc = fail(-EINVAL, err, errlen,
			  "nbd+unix:// needs ?socket=PATH");
	return rc;
}

int ubr_nbd_uri_parse(const char *text, struct ubr_nbd_uri *u, char *err,
		      size_t errlen)
{
	int rc;

	memset(u, 0, sizeof(*u));
	rc = check_raw(text, err, errlen);
	if (!rc)
		rc = parse_parts(text, u, err, errlen);
	if (rc)
		memset(u, 0, sizeof(*u));
	return rc;
}

/* Bytes kept as they are when printing: RFC 3986's unreserved, and '/'. */
static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '/';
}

/* Append s percent-encoded at buf[*o]; false when it does not fit. */
static bool put_encoded(const char *s, char *buf, size_t len, size_t *o)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = plain(c) ? 1 : 3;

		if (*o + need >= len)
			return false;
		if (plain(c)) {
			buf[(*o)++] = (char)c;
			continue;
		}
		buf[(*o)++] = '%';
		buf[(*o)++] = hex[c >> 4];
		buf[(*o)++] = hex[c & 15];
	}
	buf[*o] = '\0';
	return true;
}

int ubr_nbd_uri_format(const struct ubr_nbd_uri *u, char *buf, size_t len)
{
	size_t o;
	int n;

	if (u->transport == UBR_NBD_UNIX)
		n = snprintf(buf, len, "nbd+unix:///");
	else
		n = snprintf(buf, len, u->host_ipv6 ? "nbd://[%s]:%u/" :
						      "nbd://%s:%u/",
			     u->host, u->port);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	o = (size_t)n;
	if (!put_encoded(u->export_name, buf, len, &o))
		return -ENAMETOOLONG;
	if (u->transport == UBR_NBD_UNIX) {
		if (o + 8 >= len)
			return -ENAMETOOLONG;
		memcpy(buf + o, "?socket=", 9);
		o += 8;
		if (!put_encoded(u->socket, buf, len, &o))
			return -ENAMETOOLONG;
	}
	return (int)o;
}
