/* SPDX-License-Identifier: MIT */
/*
 * The config file parser (/etc/ublk-reactor.conf): any bytes as a file's
 * text, every line through the same `add` parser the CLI uses.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ubr_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ubr_config c;

	ubr_config_parse(&c, "/etc/ublk-reactor.conf", (const char *)data,
			 size);
	ubr_config_release(&c);
	return 0;
}
