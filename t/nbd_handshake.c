/* SPDX-License-Identifier: MIT */
/*
 * The NBD handshake state machine against scripted servers: the bytes a
 * server sends, the bytes the client must send back, fed one byte at a
 * time, in odd pieces and all at once. A modern server (GO, block sizes,
 * structured replies), old ones (EXPORT_NAME), and every refusal and
 * breach: bad magic, unknown export with the server's text, policy,
 * truncation, an option reply over the bound.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_be.h"
#include "nbd_handshake.h"
#include "tap.h"

/* A growable byte string, for scripts. */
struct bytes {
	uint8_t *p;
	size_t n, cap;
};

static uint8_t *grow(struct bytes *b, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	b->n += n;
	return b->p + b->n - n;
}

static void put16(struct bytes *b, uint16_t v)
{
	ubr_nbd_put16(grow(b, 2), v);
}

static void put32(struct bytes *b, uint32_t v)
{
	ubr_nbd_put32(grow(b, 4), v);
}

static void put64(struct bytes *b, uint64_t v)
{
	ubr_nbd_put64(grow(b, 8), v);
}

static void put(struct bytes *b, const void *p, size_t n)
{
	if (n) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(grow(b, n), p, n);
}

/* Server side. */
static void hello(struct bytes *s, uint16_t flags)
{
	put64(s, UBR_NBD_INIT_MAGIC);
	put64(s, UBR_NBD_OPTS_MAGIC);
	put16(s, flags);
}

static void rep(struct bytes *s, uint32_t opt, uint32_t type, const void *data,
		uint32_t len)
{
	put64(s, UBR_NBD_REP_MAGIC);
	put32(s, opt);
	put32(s, type);
	put32(s, len);
	put(s, data, len);
}

static void rep_text(struct bytes *s, uint32_t opt, uint32_t type,
		     const char *text)
{
	rep(s, opt, type, text, (uint32_t)strlen(text));
}

static void info_export(struct bytes *s, uint64_t size, uint16_t flags)
{
	uint8_t d[12];

	ubr_nbd_put16(d, UBR_NBD_INFO_EXPORT);
	ubr_nbd_put64(d + 2, size);
	ubr_nbd_put16(d + 10, flags);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, d, sizeof(d));
}

static void info_block(struct bytes *s, uint32_t min, uint32_t pref,
		       uint32_t max)
{
	uint8_t d[14];

	ubr_nbd_put16(d, UBR_NBD_INFO_BLOCK_SIZE);
	ubr_nbd_put32(d + 2, min);
	ubr_nbd_put32(d + 6, pref);
	ubr_nbd_put32(d + 10, max);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, d, sizeof(d));
}

static void export_reply(struct bytes *s, uint64_t size, uint16_t flags,
			 bool zeroes)
{
	put64(s, size);
	put16(s, flags);
	if (zeroes)
		memset(grow(s, 124), 0, 124);
}

/* Client side: what it must send. */
static void opt(struct bytes *c, uint32_t o, const void *data, uint32_t len)
{
	put64(c, UBR_NBD_OPTS_MAGIC);
	put32(c, o);
	put32(c, len);
	put(c, data, len);
}

static void go(struct bytes *c, const char *name)
{
	uint32_t n = (uint32_t)strlen(name);

	put64(c, UBR_NBD_OPTS_MAGIC);
	put32(c, UBR_NBD_OPT_GO);
	put32(c, 4 + n + 4);
	put32(c, n);
	put(c, name, n);
	put16(c, 1);
	put16(c, UBR_NBD_INFO_BLOCK_SIZE);
}

/*
 * Drive hs against the server's bytes, `chunk` bytes per feed (0: all
 * that is left), recording what it sends; the connection closes when the
 * script runs out. Returns the server bytes never consumed.
 */
static size_t drive(struct ubr_nbd_hs *hs, const struct bytes *s, size_t chunk,
		    struct bytes *sent)
{
	size_t off = 0, len;
	const uint8_t *out;
	ssize_t n;

	for (;;) {
		switch (ubr_nbd_hs_status(hs)) {
		case UBR_NBD_HS_SEND:
			out = ubr_nbd_hs_out(hs, &len);
			/* partial sends too, when feeding in pieces */
			if (chunk && len > chunk)
				len = chunk;
			put(sent, out, len);
			if (ubr_nbd_hs_sent(hs, len))
				return (size_t)-1;
			break;
		case UBR_NBD_HS_RECV:
			if (off == s->n) {
				ubr_nbd_hs_closed(hs);
				break;
			}
			len = chunk && s->n - off > chunk ? chunk : s->n - off;
			n = ubr_nbd_hs_feed(hs, s->p + off, len);
			if (n < 0)
				return s->n - off;
			off += (size_t)n;
			break;
		default:
			return s->n - off;
		}
	}
}

/* Run a script at three feeding granularities; all must agree. */
static const struct ubr_nbd_export_info *
run(const char *what, const char *name, const struct bytes *s,
    const struct bytes *c, enum ubr_nbd_hs_status want, int want_err,
    const char *want_msg)
{
	static struct ubr_nbd_hs hs;
	static const size_t chunks[] = { 1, 7, 0 };
	struct bytes sent = { 0 };
	size_t i, left;
	bool good = true;

	for (i = 0; i < 3; i++) {
		sent.n = 0;
		if (ubr_nbd_hs_init(&hs, name))
			abort();
		left = drive(&hs, s, chunks[i], &sent);
		/* done means every byte the server sent was read, no more */
		if (ubr_nbd_hs_status(&hs) != want ||
		    (want == UBR_NBD_HS_DONE && left) ||
		    (c && (sent.n != c->n ||
			   (c->n && memcmp(sent.p, c->p, c->n)))) ||
		    (want == UBR_NBD_HS_FAILED &&
		     (hs.err != want_err ||
		      !strstr(ubr_nbd_hs_error(&hs), want_msg) ||
		      strchr(ubr_nbd_hs_error(&hs), '\n')))) {
			good = false;
			diag("chunk %zu: status %d err %d sent %zu/%zu, %zu unread: %s",
			     chunks[i], ubr_nbd_hs_status(&hs), hs.err, sent.n,
			     c ? c->n : 0, left, ubr_nbd_hs_error(&hs));
		}
	}
	ok(good, "%s%s%s", what, want == UBR_NBD_HS_FAILED ? ": " : "",
	   want == UBR_NBD_HS_FAILED ? ubr_nbd_hs_error(&hs) : "");
	free(sent.p);
	return ubr_nbd_hs_result(&hs);
}

static void reset(struct bytes *s, struct bytes *c)
{
	s->n = 0;
	c->n = 0;
}

static void modern(struct bytes *s, struct bytes *c)
{
	const struct ubr_nbd_export_info *i;
	uint8_t name_info[2 + 4] = { 0, UBR_NBD_INFO_NAME, 'd', 'i', 's', 'k' };
	uint8_t later_info[2 + 3] = { 0, 99, 1, 2, 3 };
	uint16_t fl = UBR_NBD_FLAG_HAS_FLAGS | UBR_NBD_FLAG_SEND_FLUSH |
		      UBR_NBD_FLAG_SEND_FUA | UBR_NBD_FLAG_SEND_TRIM |
		      UBR_NBD_FLAG_CAN_MULTI_CONN;

	reset(s, c);
	hello(s, UBR_NBD_FLAG_FIXED_NEWSTYLE | UBR_NBD_FLAG_NO_ZEROES);
	put32(c, UBR_NBD_FLAG_C_FIXED_NEWSTYLE | UBR_NBD_FLAG_C_NO_ZEROES);
	opt(c, UBR_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	rep(s, UBR_NBD_OPT_STRUCTURED_REPLY, UBR_NBD_REP_ACK, NULL, 0);
	go(c, "disk");
	info_block(s, 512, 4096, 32U << 20);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, name_info, sizeof(name_info));
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, later_info,
	    sizeof(later_info));
	info_export(s, 1ULL << 30, fl);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ACK, NULL, 0);
	i = run("modern server: flags, STRUCTURED_REPLY, GO with block sizes",
		"disk", s, c, UBR_NBD_HS_DONE, 0, NULL);
	ok(i && i->size == 1ULL << 30 && i->flags == fl && i->structured &&
		   i->used_go && i->block_from_server && i->min_block == 512 &&
		   i->pref_block == 4096 && i->max_block == 32U << 20,
	   "  size, flags, structured, block sizes as the server said");

	/* Extra bytes after the handshake are never consumed. */
	{
		static struct ubr_nbd_hs hs;
		struct bytes sent = { 0 };

		put32(s, 0xdeadbeef);
		ubr_nbd_hs_init(&hs, "disk");
		ok(drive(&hs, s, 0, &sent) == 4 &&
			   ubr_nbd_hs_status(&hs) == UBR_NBD_HS_DONE,
		   "  the 4 bytes past the handshake are left to the caller");
		ok(ubr_nbd_hs_feed(&hs, "x", 1) == -EINVAL &&
			   ubr_nbd_hs_need(&hs) == 0,
		   "  and feeding after DONE is refused");
		free(sent.p);
	}
}

static void no_structured(struct bytes *s, struct bytes *c)
{
	const struct ubr_nbd_export_info *i;

	reset(s, c);
	hello(s, UBR_NBD_FLAG_FIXED_NEWSTYLE);
	put32(c, UBR_NBD_FLAG_C_FIXED_NEWSTYLE);
	opt(c, UBR_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	rep_text(s, UBR_NBD_OPT_STRUCTURED_REPLY, UBR_NBD_REP_ERR_UNSUP,
		 "not here");
	go(c, "");
	info_export(s, 4096, 0x7fff & ~UBR_NBD_FLAG_HAS_FLAGS);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ACK, NULL, 0);
	i = run("server refusing STRUCTURED_REPLY: simple replies, GO", "", s,
		c, UBR_NBD_HS_DONE, 0, NULL);
	ok(i && !i->structured && i->used_go && !i->block_from_server &&
		   i->min_block == UBR_NBD_DEFAULT_MIN_BLOCK &&
		   i->pref_block == UBR_NBD_DEFAULT_PREF_BLOCK &&
		   i->max_block == UBR_NBD_DEFAULT_MAX_BLOCK,
	   "  no block sizes from the server: the defaults");
	ok(i && i->flags == 0,
	   "  flags without NBD_FLAG_HAS_FLAGS promise nothing");
}

static void old_servers(struct bytes *s, struct bytes *c)
{
	const struct ubr_nbd_export_info *i;

	reset(s, c);
	hello(s, UBR_NBD_FLAG_FIXED_NEWSTYLE);
	put32(c, UBR_NBD_FLAG_C_FIXED_NEWSTYLE);
	opt(c, UBR_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	rep(s, UBR_NBD_OPT_STRUCTURED_REPLY, UBR_NBD_REP_ERR_UNSUP, NULL, 0);
	go(c, "e1");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ERR_UNSUP, NULL, 0);
	opt(c, UBR_NBD_OPT_EXPORT_NAME, "e1", 2);
	export_reply(s, 10 << 20, UBR_NBD_FLAG_HAS_FLAGS |
					  UBR_NBD_FLAG_READ_ONLY, true);
	i = run("fixed newstyle without GO: EXPORT_NAME, 124 zero bytes", "e1",
		s, c, UBR_NBD_HS_DONE, 0, NULL);
	ok(i && !i->used_go && !i->structured && i->size == 10 << 20 &&
		   i->flags == (UBR_NBD_FLAG_HAS_FLAGS | UBR_NBD_FLAG_READ_ONLY),
	   "  size and flags from the EXPORT_NAME reply");

	reset(s, c);
	hello(s, 0);
	put32(c, 0);
	opt(c, UBR_NBD_OPT_EXPORT_NAME, "e2", 2);
	export_reply(s, 512, UBR_NBD_FLAG_HAS_FLAGS, true);
	i = run("plain newstyle: no options but EXPORT_NAME", "e2", s, c,
		UBR_NBD_HS_DONE, 0, NULL);
	ok(i && i->size == 512 && !i->used_go, "  size from its reply");

	reset(s, c);
	hello(s, UBR_NBD_FLAG_NO_ZEROES);
	put32(c, UBR_NBD_FLAG_C_NO_ZEROES);
	opt(c, UBR_NBD_OPT_EXPORT_NAME, "", 0);
	export_reply(s, 1 << 20, UBR_NBD_FLAG_HAS_FLAGS, false);
	i = run("plain newstyle with NO_ZEROES: a 10-byte reply", "", s, c,
		UBR_NBD_HS_DONE, 0, NULL);
	ok(i && i->size == 1 << 20, "  size from its reply");
}

/* A fixed-newstyle server up to the GO, whose replies the caller adds. */
static void until_go(struct bytes *s, struct bytes *c, const char *name)
{
	reset(s, c);
	hello(s, UBR_NBD_FLAG_FIXED_NEWSTYLE | UBR_NBD_FLAG_NO_ZEROES);
	put32(c, UBR_NBD_FLAG_C_FIXED_NEWSTYLE | UBR_NBD_FLAG_C_NO_ZEROES);
	opt(c, UBR_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	rep(s, UBR_NBD_OPT_STRUCTURED_REPLY, UBR_NBD_REP_ACK, NULL, 0);
	go(c, name);
}

static void refusals(struct bytes *s, struct bytes *c)
{
	char *big;

	until_go(s, c, "nope");
	rep_text(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ERR_UNKNOWN,
		 "no export named nope");
	run("unknown export", "nope", s, c, UBR_NBD_HS_FAILED, -ENOENT,
	    "server refused export 'nope': unknown export: no export named nope");

	until_go(s, c, "x");
	rep_text(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ERR_POLICY, "denied by ACL");
	run("policy", "x", s, c, UBR_NBD_HS_FAILED, -EACCES,
	    "forbidden by policy: denied by ACL");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ERR_TLS_REQD, NULL, 0);
	run("TLS required, no text", "x", s, c, UBR_NBD_HS_FAILED,
	    -EOPNOTSUPP, "'x': TLS required");

	until_go(s, c, "x");
	rep_text(s, UBR_NBD_OPT_GO, UBR_NBD_REP_FLAG_ERROR | 31, "odd\nline\x1b");
	run("unknown error: its number, the text on one line", "x", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "error 0x8000001f: odd?line?");

	/* 5000 bytes of text (over the protocol's 4096): kept short. */
	big = malloc(5001);
	memset(big, 'm', 5000);
	big[5000] = '\0';
	until_go(s, c, "x");
	rep_text(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ERR_SHUTDOWN, big);
	run("a 5000-byte message", "x", s, c, UBR_NBD_HS_FAILED, -ESHUTDOWN,
	    "shutting down: mmm");
	free(big);
}

static void bad_greetings(struct bytes *s, struct bytes *c)
{
	reset(s, c);
	put64(s, 0x4e42444d41474944ULL);
	put64(s, UBR_NBD_OPTS_MAGIC);
	put16(s, 1);
	run("bad greeting magic", "", s, c, UBR_NBD_HS_FAILED, -EPROTO,
	    "not an NBD server (greeting 0x4e42444d41474944");

	reset(s, c);
	put64(s, UBR_NBD_INIT_MAGIC);
	put64(s, UBR_NBD_OLDSTYLE_MAGIC);
	memset(grow(s, 136), 0, 136);
	run("oldstyle server", "", s, NULL, UBR_NBD_HS_FAILED, -EPROTO,
	    "oldstyle");

	reset(s, c);
	put64(s, UBR_NBD_INIT_MAGIC);
	put64(s, 0x1122334455667788ULL);
	put16(s, 1);
	run("bad style magic", "", s, c, UBR_NBD_HS_FAILED, -EPROTO,
	    "bad handshake magic 0x1122334455667788");
}

static void breaches(struct bytes *s, struct bytes *c)
{
	uint8_t d[16] = { 0 };

	until_go(s, c, "x");
	c->n -= 4 + 1 + 4 + UBR_NBD_OPT_HDR_LEN; /* never sent */
	s->n -= UBR_NBD_OPT_REPLY_HDR_LEN;
	put64(s, UBR_NBD_REP_MAGIC + 1);
	put32(s, UBR_NBD_OPT_STRUCTURED_REPLY);
	put32(s, UBR_NBD_REP_ACK);
	put32(s, 0);
	run("bad option reply magic", "x", s, c, UBR_NBD_HS_FAILED, -EPROTO,
	    "bad option reply magic");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_LIST, UBR_NBD_REP_ACK, NULL, 0);
	run("a reply to an option never sent", "x", s, c, UBR_NBD_HS_FAILED,
	    -EPROTO, "reply to option 3 during NBD_OPT_GO");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_SERVER, d, 4);
	run("a reply type GO does not have", "x", s, c, UBR_NBD_HS_FAILED,
	    -EPROTO, "reply type 2 to NBD_OPT_GO");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ACK, NULL, 0);
	run("GO acknowledged without the export's size", "x", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "without NBD_INFO_EXPORT");

	until_go(s, c, "x");
	info_export(s, 1 << 20, 1);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ACK, d, 3);
	run("GO acknowledged with data", "x", s, c, UBR_NBD_HS_FAILED, -EPROTO,
	    "NBD_OPT_GO acknowledged with 3 bytes of data");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, d, 11);
	run("NBD_INFO_EXPORT one byte short", "x", s, c, UBR_NBD_HS_FAILED,
	    -EPROTO, "NBD_INFO_EXPORT of 11 bytes, not 12");

	until_go(s, c, "x");
	d[1] = UBR_NBD_INFO_BLOCK_SIZE;
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, d, 15);
	run("NBD_INFO_BLOCK_SIZE one byte long", "x", s, c, UBR_NBD_HS_FAILED,
	    -EPROTO, "NBD_INFO_BLOCK_SIZE of 15 bytes, not 14");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, d, 1);
	run("an information reply without its type", "x", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "NBD_REP_INFO of 1 bytes");

	until_go(s, c, "x");
	info_block(s, 3, 4096, 1 << 20);
	run("a minimum block size not a power of two", "x", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "bad block sizes: minimum 3");

	until_go(s, c, "x");
	info_block(s, 512, 4096, 1000);
	run("a maximum not a multiple of the minimum", "x", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "maximum 1000");

	until_go(s, c, "x");
	info_block(s, 128 << 10, 128 << 10, 1 << 20);
	run("a minimum over 64 KiB", "x", s, c, UBR_NBD_HS_FAILED, -EPROTO,
	    "minimum 131072");

	reset(s, c);
	hello(s, UBR_NBD_FLAG_FIXED_NEWSTYLE);
	put32(c, UBR_NBD_FLAG_C_FIXED_NEWSTYLE);
	opt(c, UBR_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	rep(s, UBR_NBD_OPT_STRUCTURED_REPLY, UBR_NBD_REP_ACK, d, 2);
	run("STRUCTURED_REPLY acknowledged with data", "", s, c,
	    UBR_NBD_HS_FAILED, -EPROTO, "acknowledged with 2 bytes");
}

static void bounds_and_truncation(struct bytes *s, struct bytes *c)
{
	const struct ubr_nbd_export_info *i;
	uint8_t *big = calloc(1, UBR_NBD_OPT_REPLY_MAX + 1);

	until_go(s, c, "x");
	big[1] = 200; /* an information type from the future */
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, big, UBR_NBD_OPT_REPLY_MAX);
	info_export(s, 7 << 9, UBR_NBD_FLAG_HAS_FLAGS);
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_ACK, NULL, 0);
	i = run("a reply of exactly 64 KiB is read and skipped", "x", s, c,
		UBR_NBD_HS_DONE, 0, NULL);
	ok(i && i->size == 7 << 9, "  and what follows it is read right");

	until_go(s, c, "x");
	rep(s, UBR_NBD_OPT_GO, UBR_NBD_REP_INFO, big, UBR_NBD_OPT_REPLY_MAX + 1);
	s->n -= UBR_NBD_OPT_REPLY_MAX + 1; /* the header alone fails it */
	run("a reply one byte over 64 KiB", "x", s, c, UBR_NBD_HS_FAILED,
	    -EMSGSIZE, "NBD_OPT_GO reply of 65537 bytes, over the 65536-byte bound");
	free(big);

	reset(s, c);
	put64(s, UBR_NBD_INIT_MAGIC);
	run("greeting cut short", "", s, c, UBR_NBD_HS_FAILED, -ECONNRESET,
	    "in the middle of the server's greeting");

	reset(s, c);
	run("no greeting at all", "", s, c, UBR_NBD_HS_FAILED, -ECONNRESET,
	    "while the client waited for the server's greeting");

	until_go(s, c, "x");
	info_export(s, 1, 1);
	s->n -= 5;
	run("an information reply cut short", "x", s, c, UBR_NBD_HS_FAILED,
	    -ECONNRESET, "in the middle of the NBD_OPT_GO reply");

	until_go(s, c, "x");
	put64(s, UBR_NBD_REP_MAGIC);
	run("an option reply header cut short", "x", s, c, UBR_NBD_HS_FAILED,
	    -ECONNRESET, "in the middle of the NBD_OPT_GO reply");

	reset(s, c);
	hello(s, 0);
	put32(c, 0);
	opt(c, UBR_NBD_OPT_EXPORT_NAME, "gone", 4);
	run("an old server hanging up on an unknown export", "gone", s, c,
	    UBR_NBD_HS_FAILED, -ECONNRESET, "EXPORT_NAME reply (an unknown export?)");

	reset(s, c);
	hello(s, 0);
	put32(c, 0);
	opt(c, UBR_NBD_OPT_EXPORT_NAME, "e", 1);
	export_reply(s, 512, 1, true);
	s->n -= 1;
	run("EXPORT_NAME reply one zero byte short", "e", s, c,
	    UBR_NBD_HS_FAILED, -ECONNRESET, "in the middle of the NBD_OPT_EXPORT_NAME");
}

static void api(void)
{
	static struct ubr_nbd_hs hs;
	static char name[UBR_NBD_STRING_MAX + 2];
	size_t len;
	uint8_t hello_bytes[18];

	memset(name, 'n', sizeof(name) - 1);
	ok(ubr_nbd_hs_init(&hs, name) == -ENAMETOOLONG &&
		   ubr_nbd_hs_status(&hs) == UBR_NBD_HS_FAILED &&
		   strstr(ubr_nbd_hs_error(&hs), "longer than 4096"),
	   "a 4097-byte export name is refused");
	name[UBR_NBD_STRING_MAX] = '\0';
	ok(ubr_nbd_hs_init(&hs, name) == 0 && ubr_nbd_hs_need(&hs) == 18 &&
		   !ubr_nbd_hs_out(&hs, &len) && len == 0 &&
		   ubr_nbd_hs_sent(&hs, 0) == -EINVAL && !ubr_nbd_hs_result(&hs) &&
		   !ubr_nbd_hs_error(&hs)[0],
	   "a 4096-byte name is fine; the server speaks first (18 bytes)");
	ok(ubr_nbd_hs_feed(&hs, NULL, 0) == 0 && ubr_nbd_hs_need(&hs) == 18,
	   "feeding nothing (NULL, 0) changes nothing");
	ubr_nbd_put64(hello_bytes, UBR_NBD_INIT_MAGIC);
	ubr_nbd_put64(hello_bytes + 8, UBR_NBD_OPTS_MAGIC);
	ubr_nbd_put16(hello_bytes + 16, UBR_NBD_FLAG_FIXED_NEWSTYLE);
	ok(ubr_nbd_hs_feed(&hs, hello_bytes, 18) == 18 &&
		   ubr_nbd_hs_out(&hs, &len) && len == 4 + 16 &&
		   ubr_nbd_hs_feed(&hs, hello_bytes, 1) == -EINVAL &&
		   ubr_nbd_hs_sent(&hs, 21) == -EINVAL &&
		   ubr_nbd_hs_sent(&hs, 20) == 0 && ubr_nbd_hs_need(&hs) == 20,
	   "feeding while a send is due and over-reporting a send are refused");
	ok(ubr_nbd_hs_closed(&hs) == -ECONNRESET &&
		   ubr_nbd_hs_feed(&hs, hello_bytes, 1) == -ECONNRESET &&
		   ubr_nbd_hs_closed(&hs) == -ECONNRESET,
	   "after a failure feed and closed keep reporting it");
}

int main(void)
{
	struct bytes s = { 0 }, c = { 0 };

	modern(&s, &c);
	no_structured(&s, &c);
	old_servers(&s, &c);
	refusals(&s, &c);
	bad_greetings(&s, &c);
	breaches(&s, &c);
	bounds_and_truncation(&s, &c);
	api();
	free(s.p);
	free(c.p);
	return done_testing();
}
