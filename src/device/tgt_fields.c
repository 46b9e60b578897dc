/* SPDX-License-Identifier: MIT */
/*
 * The fields of an options struct as text and as values (ubr_target.h):
 * what lets the recovery record and reload handle every target's options
 * from the target's table alone, and the record's common fields too.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ubr_target.h"
#include "ubr_util.h"

static uint64_t get_uint(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	case 8: memcpy(&u64, p, 8); return u64;
	}
	return 0;
}

static void put_uint(void *p, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	case 8: memcpy(p, &v, 8); break;
	}
}

static const char *at(const struct ubr_tgt_field *f, const void *opts)
{
	return (const char *)opts + f->offset;
}

int ubr_tgt_field_format(const struct ubr_tgt_field *f, const void *opts,
			 char *buf, size_t len)
{
	int n;

	if (!opts)
		n = snprintf(buf, len, "%s", f->kind == UBR_FIELD_STR ? "" : "0");
	else if (f->kind == UBR_FIELD_STR)
		n = snprintf(buf, len, "%.*s", (int)f->size, at(f, opts));
	else if (f->kind == UBR_FIELD_BOOL)
		n = snprintf(buf, len, "%d", *(const bool *)at(f, opts) ? 1 : 0);
	else
		n = snprintf(buf, len, "%" PRIu64, get_uint(at(f, opts), f->size));
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* Decimal digits only, no sign or blanks (strtoull would take " -1"). */
static int parse_uint(const char *val, size_t size, uint64_t *out)
{
	uint64_t max = size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
	const char *end;
	int ret = ubr_parse_digits(val, &end, out);

	if (ret == -EINVAL || *end)
		return -EINVAL;
	return ret || *out > max ? -ERANGE : 0;
}

int ubr_tgt_field_parse(const struct ubr_tgt_field *f, void *opts,
			const char *val)
{
	char *p = (char *)opts + f->offset;
	uint64_t v;
	int ret;

	if (f->kind == UBR_FIELD_STR) {
		if (strlen(val) >= f->size)
			return -ERANGE;
		memset(p, 0, f->size);
		memcpy(p, val, strlen(val));
		return 0;
	}
	ret = parse_uint(val, f->kind == UBR_FIELD_BOOL ? 1 : f->size, &v);
	if (!ret && f->kind == UBR_FIELD_BOOL && v > 1)
		ret = -ERANGE;
	if (ret < 0)
		return ret;
	if (f->kind == UBR_FIELD_BOOL)
		*(bool *)p = v;
	else
		put_uint(p, f->size, v);
	return 0;
}

const struct ubr_tgt_field *ubr_tgt_field_find(const struct ubr_tgt_field *fields,
					       const char *key)
{
	for (; fields && fields->key; fields++)
		if (!strcmp(fields->key, key))
			return fields;
	return NULL;
}

static bool field_same(const struct ubr_tgt_field *f, const void *a,
		       const void *b)
{
	static const char zeroes[1];

	if (f->kind == UBR_FIELD_STR)
		return !strncmp(a ? at(f, a) : zeroes, b ? at(f, b) : zeroes,
				f->size);
	if (f->kind == UBR_FIELD_BOOL)
		return (a && *(const bool *)at(f, a)) ==
		       (b && *(const bool *)at(f, b));
	return (a ? get_uint(at(f, a), f->size) : 0) ==
	       (b ? get_uint(at(f, b), f->size) : 0);
}

/* Field by field, not memcmp: padding and parse-only fields do not count. */
bool ubr_tgt_fields_same(const struct ubr_tgt_field *fields, const void *a,
			 const void *b)
{
	for (; fields && fields->key; fields++)
		if (!field_same(fields, a, b))
			return false;
	return true;
}
