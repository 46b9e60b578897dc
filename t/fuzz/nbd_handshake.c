/* SPDX-License-Identifier: MIT */
/*
 * The NBD handshake against any server: the first byte picks the export
 * name's length and how the bytes are fed (one at a time, in pieces, all
 * at once), the rest is what the server sends; the connection closes when
 * they run out. Whatever it is, the machine must end DONE or FAILED with
 * one line, never take more than it was given or than it asked for, never
 * offer more to send than its buffer, and what it agrees to must be
 * within the protocol's bounds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nbd_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(const struct ubr_nbd_export_info *i)
{
	uint32_t min = i->min_block;

	if (!min || (min & (min - 1)) || min > (64U << 10) ||
	    i->pref_block < min || i->max_block < min ||
	    (i->max_block % min && i->max_block != UINT32_MAX))
		abort();
	if (i->flags && !(i->flags & UBR_NBD_FLAG_HAS_FLAGS))
		abort();
}

static bool step(struct ubr_nbd_hs *hs, const uint8_t **p, size_t *left,
		 size_t piece)
{
	size_t len, need, n;
	ssize_t got;

	switch (ubr_nbd_hs_status(hs)) {
	case UBR_NBD_HS_SEND:
		if (!ubr_nbd_hs_out(hs, &len) || !len ||
		    len > UBR_NBD_HS_OUT_MAX || ubr_nbd_hs_sent(hs, len))
			abort();
		return true;
	case UBR_NBD_HS_RECV:
		need = ubr_nbd_hs_need(hs);
		if (!need)
			abort(); /* waiting for nothing: a stall */
		if (!*left) {
			ubr_nbd_hs_closed(hs);
			return true;
		}
		n = piece && piece < *left ? piece : *left;
		got = ubr_nbd_hs_feed(hs, *p, n);
		if (got > (ssize_t)n)
			abort(); /* took more than it was given */
		if (got < 0 && ubr_nbd_hs_status(hs) != UBR_NBD_HS_FAILED)
			abort(); /* an error that left it running */
		if (got < 0)
			return true;
		*p += got;
		*left -= (size_t)got;
		return true;
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ubr_nbd_hs hs;
	static const size_t pieces[] = { 0, 1, 3, 20 };
	char name[64];
	const uint8_t *p;
	size_t left, piece;
	const char *msg;

	if (size < 1)
		return 0;
	memset(name, 'e', sizeof(name));
	name[data[0] % sizeof(name)] = '\0';
	piece = pieces[(data[0] >> 6) & 3];
	if (ubr_nbd_hs_init(&hs, name))
		abort();
	p = data + 1;
	left = size - 1;
	while (step(&hs, &p, &left, piece))
		;
	if (ubr_nbd_hs_status(&hs) == UBR_NBD_HS_DONE) {
		check_result(ubr_nbd_hs_result(&hs));
		return 0;
	}
	msg = ubr_nbd_hs_error(&hs);
	if (ubr_nbd_hs_status(&hs) != UBR_NBD_HS_FAILED || !msg[0] ||
	    strchr(msg, '\n') || strlen(msg) >= UBR_NBD_HS_MSG_MAX)
		abort();
	return 0;
}
