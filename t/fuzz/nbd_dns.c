/* SPDX-License-Identifier: MIT */
/*
 * The static binary's resolver (src/targets/nbd_resolve.c) on outside
 * bytes: a DNS reply from whoever answers on port 53, and the hosts and
 * resolv.conf files. The first byte picks which; for a reply the next
 * three give the query's id and type (bit 0: AAAA, else A), the rest is
 * the datagram. Addresses land in a fixed array, so an answer that
 * overruns it is an ASan report.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *file_of(const uint8_t *p, size_t n)
{
	/* fmemopen of 0 bytes fails: an empty file is one newline. */
	return n ? fmemopen((void *)p, n, "r") : fmemopen((void *)"\n", 1, "r");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ubr_nbd_addrs out;
	struct ubr_resolv_conf c;
	FILE *f;

	if (size < 4)
		return 0;
	memset(&out, 0, sizeof(out));
	switch (data[0] % 3) {
	case 0:
		ubr_dns_answer(data + 4, size - 4, (uint16_t)(data[1] << 8 | data[2]),
			       data[3] & 1 ? 28 : 1, &out);
		break;
	case 1:
		f = file_of(data + 1, size - 1);
		if (f) {
			ubr_hosts_find(f, "nbd.example", &out);
			fclose(f);
		}
		break;
	default:
		f = file_of(data + 1, size - 1);
		if (f) {
			ubr_resolv_conf_read(f, &c);
			fclose(f);
		}
	}
	if (out.n > UBR_NBD_ADDRS_MAX)
		abort(); /* more addresses than the array holds */
	return 0;
}
