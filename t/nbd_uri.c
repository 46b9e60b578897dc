/* SPDX-License-Identifier: MIT */
/*
 * NBD URIs: the URI document's own examples, every host form, percent
 * decoding, then refusals, each with the reason it must give; every
 * accepted URI printed and parsed back to the same value.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nbd_uri.h"
#include "tap.h"

struct good {
	const char *text;
	enum ubr_nbd_transport transport;
	const char *host; /* or socket for UNIX */
	unsigned port;
	const char *export_name;
	const char *printed;
};

static const struct good goods[] = {
	/* the URI document's export-name table */
	{ "nbd://example.com/disk", UBR_NBD_TCP, "example.com", 10809, "disk",
	  "nbd://example.com:10809/disk" },
	{ "nbd+unix:///disk?socket=sock", UBR_NBD_UNIX, "sock", 0, "disk",
	  "nbd+unix:///disk?socket=sock" },
	{ "nbd://example.com/", UBR_NBD_TCP, "example.com", 10809, "",
	  "nbd://example.com:10809/" },
	{ "nbd://example.com", UBR_NBD_TCP, "example.com", 10809, "",
	  "nbd://example.com:10809/" },
	{ "nbd://example.com//disk", UBR_NBD_TCP, "example.com", 10809,
	  "/disk", "nbd://example.com:10809//disk" },
	{ "nbd://example.com/hello%20world", UBR_NBD_TCP, "example.com", 10809,
	  "hello world", "nbd://example.com:10809/hello%20world" },
	/* hosts and ports */
	{ "nbd://192.0.2.7:10810/e", UBR_NBD_TCP, "192.0.2.7", 10810, "e",
	  "nbd://192.0.2.7:10810/e" },
	{ "nbd://[::1]/e", UBR_NBD_TCP, "::1", 10809, "e",
	  "nbd://[::1]:10809/e" },
	{ "nbd://[2001:db8::42]:1/", UBR_NBD_TCP, "2001:db8::42", 1, "",
	  "nbd://[2001:db8::42]:1/" },
	{ "nbd://[::ffff:192.0.2.1]:65535", UBR_NBD_TCP, "::ffff:192.0.2.1",
	  65535, "", "nbd://[::ffff:192.0.2.1]:65535/" },
	{ "nbd://localhost:/x", UBR_NBD_TCP, "localhost", 10809, "x",
	  "nbd://localhost:10809/x" },
	{ "nbd://my_host-1.lan/x", UBR_NBD_TCP, "my_host-1.lan", 10809, "x",
	  "nbd://my_host-1.lan:10809/x" },
	{ "NBD://Example.COM/Disk", UBR_NBD_TCP, "Example.COM", 10809, "Disk",
	  "nbd://Example.COM:10809/Disk" },
	{ "nbd://user@example.com:99/x", UBR_NBD_TCP, "example.com", 99, "x",
	  "nbd://example.com:99/x" },
	{ "nbd://us%40er:pw@[::1]/x", UBR_NBD_TCP, "::1", 10809, "x",
	  "nbd://[::1]:10809/x" },
	/* percent decoding, and what printing encodes back */
	{ "nbd://h/%2fa%2Fb", UBR_NBD_TCP, "h", 10809, "/a/b",
	  "nbd://h:10809//a/b" },
	{ "nbd://h/%E2%82%AC?", UBR_NBD_TCP, "h", 10809, "\xe2\x82\xac",
	  "nbd://h:10809/%E2%82%AC" },
	{ "nbd://h/a:b@c", UBR_NBD_TCP, "h", 10809, "a:b@c",
	  "nbd://h:10809/a%3Ab%40c" },
	/* unix sockets */
	{ "nbd+unix:///?socket=/run/nbd.sock", UBR_NBD_UNIX, "/run/nbd.sock",
	  0, "", "nbd+unix:///?socket=/run/nbd.sock" },
	{ "nbd+unix:///e?socket=/tmp/a%20b&", UBR_NBD_UNIX, "/tmp/a b", 0, "e",
	  "nbd+unix:///e?socket=/tmp/a%20b" },
	{ "nbd+unix:///e?&socket=/s", UBR_NBD_UNIX, "/s", 0, "e",
	  "nbd+unix:///e?socket=/s" },
	{ "Nbd+Unix:////e?socket=/s", UBR_NBD_UNIX, "/s", 0, "/e",
	  "nbd+unix:////e?socket=/s" },
};

struct bad {
	const char *text;
	int rc;
	const char *why; /* a piece of the message */
};

static const struct bad bads[] = {
	{ "", -EINVAL, "not an NBD URI" },
	{ "example.com", -EINVAL, "not an NBD URI" },
	{ "nbd:/x", -EINVAL, "not an NBD URI" },
	{ "http://example.com/", -EINVAL, "unknown scheme 'http'" },
	{ "nbds://example.com/", -EOPNOTSUPP, "TLS is not supported" },
	{ "NBDS+UNIX:///?socket=/s", -EOPNOTSUPP, "TLS is not supported" },
	{ "nbd+vsock://2/", -EOPNOTSUPP, "vsock" },
	{ "nbd://h/?tls-type=psk", -EOPNOTSUPP, "tls-type: TLS" },
	{ "nbd://h/?tls-psk-file=/k", -EOPNOTSUPP, "tls-psk-file: TLS" },
	{ "nbd://h/?x-debug=1", -EINVAL, "unknown query parameter 'x-debug'" },
	{ "nbd://h/?socket=/s", -EINVAL, "socket= belongs to nbd+unix" },
	{ "nbd:///e", -EINVAL, "no host" },
	{ "nbd://:10809/e", -EINVAL, "no host" },
	{ "nbd://user@/e", -EINVAL, "no host" },
	{ "nbd://h:0/", -EINVAL, "bad port '0'" },
	{ "nbd://h:65536/", -EINVAL, "bad port '65536'" },
	{ "nbd://h:99999999999999999999/", -EINVAL, "bad port" },
	{ "nbd://h:12a/", -EINVAL, "bad port '12a'" },
	{ "nbd://h:-1/", -EINVAL, "bad port" },
	{ "nbd://h:1:2/", -EINVAL, "bad port '1:2'" },
	{ "nbd://::1/", -EINVAL, "no host" },
	{ "nbd://[::1/", -EINVAL, "without its ']'" },
	{ "nbd://[::1]x/", -EINVAL, "junk after" },
	{ "nbd://[]/", -EINVAL, "bad IPv6 literal" },
	{ "nbd://[1:2:3:4:5:6:7:8:9]/", -EINVAL, "bad IPv6 literal" },
	{ "nbd://[fe80::1%25eth0]/", -EINVAL, "bad IPv6 literal" },
	{ "nbd://[example.com]/", -EINVAL, "bad IPv6 literal" },
	{ "nbd://256.1.1.1/", -EINVAL, "bad IPv4 address" },
	{ "nbd://1.2.3/", -EINVAL, "bad IPv4 address" },
	{ "nbd://ho%73t/", -EINVAL, "bad character '%'" },
	{ "nbd://h!st/", -EINVAL, "bad character '!'" },
	{ "nbd://h/a b", -EINVAL, "byte 9 is a space" },
	{ "nbd://h/a\tb", -EINVAL, "control character" },
	{ "nbd://h/e#frag", -EINVAL, "fragment" },
	{ "nbd://h/%zz", -EINVAL, "export name: bad percent escape" },
	{ "nbd://h/%4", -EINVAL, "bad percent escape" },
	{ "nbd://h/%", -EINVAL, "bad percent escape" },
	{ "nbd://h/a%00b", -EOPNOTSUPP, "%00" },
	{ "nbd+unix://h/e?socket=/s", -EINVAL, "takes no host" },
	{ "nbd+unix:///e", -EINVAL, "needs ?socket=PATH" },
	{ "nbd+unix:///e?socket=", -EINVAL, "socket= needs a path" },
	{ "nbd+unix:///e?socket", -EINVAL, "socket= needs a path" },
	{ "nbd+unix:///e?socket=/a&socket=/b", -EINVAL, "given twice" },
	{ "nbd+unix:///?socket=%00/abstract", -EOPNOTSUPP, "%00" },
	{ "nbd+unix:///?socket=/%zz", -EINVAL, "socket path: bad percent" },
};

static void check_good(const struct good *g)
{
	struct ubr_nbd_uri u, again;
	char err[256] = "", text[UBR_NBD_URI_TEXT_MAX];
	int rc = ubr_nbd_uri_parse(g->text, &u, err, sizeof(err)), n;
	const char *where;

	if (!ok(rc == 0, "accepts %s", g->text)) {
		diag("rc %d: %s", rc, err);
		return;
	}
	where = g->transport == UBR_NBD_UNIX ? u.socket : u.host;
	ok(u.transport == g->transport && !strcmp(where, g->host) &&
		   (g->transport == UBR_NBD_UNIX || u.port == g->port) &&
		   !strcmp(u.export_name, g->export_name),
	   "  %s: transport %d, '%s', port %u, export '%s'",
	   g->text, u.transport, where, u.port, u.export_name);
	n = ubr_nbd_uri_format(&u, text, sizeof(text));
	ok(n == (int)strlen(g->printed) && !strcmp(text, g->printed),
	   "  prints as %s (got %s)", g->printed, n >= 0 ? text : "error");
	ok(ubr_nbd_uri_parse(text, &again, err, sizeof(err)) == 0 &&
		   !memcmp(&u, &again, sizeof(u)),
	   "  which parses back to the same value");
}

static void check_bad(const struct bad *b)
{
	struct ubr_nbd_uri u;
	char err[256] = "";
	int rc = ubr_nbd_uri_parse(b->text, &u, err, sizeof(err));

	ok(rc == b->rc && strstr(err, b->why) && !strchr(err, '\n'),
	   "refuses '%s' with %d: %s", b->text, rc, err);
}

/* The limits: longest name and socket path accepted, one more refused,
 * and the printed form of the worst case fits UBR_NBD_URI_TEXT_MAX. */
static void limits(void)
{
	static char text[4 * UBR_NBD_URI_TEXT_MAX], out[UBR_NBD_URI_TEXT_MAX];
	struct ubr_nbd_uri u;
	char err[256];
	int n, i;

	n = sprintf(text, "nbd+unix:///");
	for (i = 0; i < (int)UBR_NBD_STRING_MAX; i++)
		n += sprintf(text + n, "%%25");
	n += sprintf(text + n, "?socket=");
	for (i = 0; i < (int)UBR_NBD_SOCKET_MAX; i++)
		n += sprintf(text + n, "%%3F");
	ok(ubr_nbd_uri_parse(text, &u, err, sizeof(err)) == 0 &&
		   strlen(u.export_name) == UBR_NBD_STRING_MAX &&
		   strlen(u.socket) == UBR_NBD_SOCKET_MAX,
	   "a 4096-byte export name and a 107-byte socket path are accepted");
	n = ubr_nbd_uri_format(&u, out, sizeof(out));
	ok(n > 0 && (size_t)n < sizeof(out) && !strcmp(out, text),
	   "their printed form (%d bytes) fits UBR_NBD_URI_TEXT_MAX", n);
	ok(ubr_nbd_uri_format(&u, out, (size_t)n) == -ENAMETOOLONG &&
		   ubr_nbd_uri_format(&u, out, 10) == -ENAMETOOLONG &&
		   ubr_nbd_uri_format(&u, out, 0) == -ENAMETOOLONG,
	   "a buffer too small gives -ENAMETOOLONG");
	strcpy(strstr(text, "?socket="), "?socket=/s");
	memmove(text + 12 + 1, text + 12, strlen(text + 12) + 1);
	text[12] = 'x';
	ok(ubr_nbd_uri_parse(text, &u, err, sizeof(err)) == -ENAMETOOLONG &&
		   strstr(err, "export name: longer than 4096"),
	   "a 4097-byte export name is refused: %s", err);
	n = sprintf(text, "nbd+unix:///?socket=/");
	for (i = 0; i < (int)UBR_NBD_SOCKET_MAX; i++)
		text[n++] = 'a';
	text[n] = '\0';
	ok(ubr_nbd_uri_parse(text, &u, err, sizeof(err)) == -ENAMETOOLONG &&
		   strstr(err, "socket path: longer than 107"),
	   "a 108-byte socket path is refused: %s", err);
	n = sprintf(text, "nbd://");
	for (i = 0; i < 254; i++)
		text[n++] = 'h';
	text[n] = '\0';
	ok(ubr_nbd_uri_parse(text, &u, err, sizeof(err)) == -ENAMETOOLONG,
	   "a 254-byte host is refused: %s", err);
	ok(ubr_nbd_uri_parse("nbds://h/", &u, err, 0) == -EOPNOTSUPP,
	   "a zero-length error buffer is never written");
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		check_good(&goods[i]);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(&bads[i]);
	limits();
	return done_testing();
}
