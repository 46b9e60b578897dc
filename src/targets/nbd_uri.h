/* SPDX-License-Identifier: MIT */
/*
 * NBD URIs (doc/uri.md of the NetworkBlockDevice/nbd repository), parsed
 * once into a typed value: pure string work, no name resolution, no I/O.
 *
 *   nbd://HOST[:PORT][/EXPORT]            TCP; HOST a name, an IPv4 address
 *                                         or a bracketed IPv6 literal; PORT
 *                                         10809 when absent
 *   nbd+unix:///[EXPORT]?socket=PATH      a unix socket; no host
 *
 * The export name is the path without its first '/', percent-decoded
 * ("nbd://h//x" names "/x", "nbd://h" and "nbd://h/" the empty name). Not
 * supported, each refused with its own message: TLS (nbds://, nbds+unix://
 * and the tls-* parameters, since quietly dropping them would downgrade a
 * connection the user asked to secure), vsock, abstract unix sockets, a
 * fragment. Unknown query parameters are refused, as the URI document asks
 * ("SHOULD be diagnosed"). A userinfo part ("user@") only names a TLS user,
 * so it is accepted, dropped, and never printed.
 */
#ifndef UBR_NBD_URI_H
#define UBR_NBD_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nbd_proto.h"

/* RFC 1035's longest name; sockaddr_un's sun_path holds 107 + NUL. */
#define UBR_NBD_HOST_MAX 253U
#define UBR_NBD_SOCKET_MAX 107U
/* The printable form, worst case: every byte of the export name and the
 * socket path percent-encoded, plus scheme, host and port. */
#define UBR_NBD_URI_TEXT_MAX \
	(3U * (UBR_NBD_STRING_MAX + UBR_NBD_SOCKET_MAX) + UBR_NBD_HOST_MAX + 64U)

enum ubr_nbd_transport {
	UBR_NBD_TCP,
	UBR_NBD_UNIX,
};

struct ubr_nbd_uri {
	enum ubr_nbd_transport transport;
	char host[UBR_NBD_HOST_MAX + 1]; /* TCP: no brackets around IPv6 */
	bool host_ipv6;			 /* host is an IPv6 literal */
	uint16_t port;			 /* TCP */
	char socket[UBR_NBD_SOCKET_MAX + 1]; /* UNIX: as given, decoded */
	char export_name[UBR_NBD_STRING_MAX + 1];
};

/*
 * Parse `text` into *u. 0, or -EINVAL (bad syntax), -EOPNOTSUPP (valid but
 * not supported here: TLS, vsock, abstract sockets) or -ENAMETOOLONG, with
 * a one-line reason in err.
 */
int ubr_nbd_uri_parse(const char *text, struct ubr_nbd_uri *u, char *err,
		      size_t errlen);

/*
 * The printable form (for `list`, logs and the recovery record): the port
 * always explicit, the export and socket percent-encoded where needed, no
 * userinfo. It parses back to the same value. Returns its length, or
 * -ENAMETOOLONG when len is too small (UBR_NBD_URI_TEXT_MAX always fits).
 */
int ubr_nbd_uri_format(const struct ubr_nbd_uri *u, char *buf, size_t len);

#endif /* UBR_NBD_URI_H */
