/* SPDX-License-Identifier: MIT */
/*
 * NBD URIs as a user or a config file gives them: any text. What is
 * accepted must print in its canonical form and parse back to the same
 * value; what is refused must say why on one line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nbd_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ubr_nbd_uri u, again;
	static char text[UBR_NBD_URI_TEXT_MAX];
	char err[256] = "", *s;
	int n;

	if (size > 4 * UBR_NBD_URI_TEXT_MAX)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ubr_nbd_uri_parse(s, &u, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		free(s);
		return 0;
	}
	free(s);
	n = ubr_nbd_uri_format(&u, text, sizeof(text));
	if (n < 0 || (size_t)n != strlen(text))
		abort();
	if (ubr_nbd_uri_parse(text, &again, err, sizeof(err)) ||
	    memcmp(&u, &again, sizeof(u)))
		abort();
	return 0;
}
