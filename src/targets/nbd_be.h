/* SPDX-License-Identifier: MIT */
/*
 * Big-endian loads and stores for the NBD wire, byte by byte: the bytes
 * come from a socket at any alignment, so no casts to wider types.
 */
#ifndef UBR_NBD_BE_H
#define UBR_NBD_BE_H

#include <stdint.h>

static inline uint16_t ubr_nbd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ubr_nbd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ubr_nbd_get64(const uint8_t *p)
{
	return (uint64_t)ubr_nbd_get32(p) << 32 | ubr_nbd_get32(p + 4);
}

static inline void ubr_nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ubr_nbd_put32(uint8_t *p, uint32_t v)
{
	ubr_nbd_put16(p, (uint16_t)(v >> 16));
	ubr_nbd_put16(p + 2, (uint16_t)v);
}

static inline void ubr_nbd_put64(uint8_t *p, uint64_t v)
{
	ubr_nbd_put32(p, (uint32_t)(v >> 32));
	ubr_nbd_put32(p + 4, (uint32_t)v);
}

#endif /* UBR_NBD_BE_H */
