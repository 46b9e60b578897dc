/* SPDX-License-Identifier: MIT */
/*
 * The one list of targets. Adding one: its file(s) in src/targets/, a line
 * here, a line in Makefile.am and its man page (src/targets/README).
 */
#include "config.h"

#include <string.h>

#include "targets.h"
#include "ubr_target.h"
#include "ubr_util.h"

static const struct ubr_target_ops *const targets[] = {
	&ubr_target_null,
	&ubr_target_loop,
	&ubr_target_stripe,
	&ubr_target_fault,
#if UBR_TARGET_NBD /* configure --disable-target-nbd leaves it out */
	&ubr_target_nbd,
#endif
};

#define NR_TARGETS ARRAY_SIZE(targets)

unsigned ubr_target_count(void)
{
	return NR_TARGETS;
}

const struct ubr_target_ops *ubr_target_at(unsigned i)
{
	return i < NR_TARGETS ? targets[i] : NULL;
}

const struct ubr_target_ops *ubr_target_find(const char *name)
{
	unsigned i;

	for (i = 0; i < NR_TARGETS; i++)
		if (!strcmp(targets[i]->name, name))
			return targets[i];
	return NULL;
}

const char *ubr_target_names(void)
{
	static char names[128];
	unsigned i;

	if (names[0])
		return names;
	for (i = 0; i < NR_TARGETS; i++) {
		if (i)
			strcat(names, ", ");
		strcat(names, targets[i]->name);
	}
	return names;
}

const struct ubr_tgt_opt *ubr_target_opt(const struct ubr_target_ops *t,
					 const char *name, size_t len, char c)
{
	const struct ubr_tgt_opt *o;

	for (o = t->opts; o && o->name; o++) {
		if (name ? strlen(o->name) == len && !strncmp(o->name, name, len)
			 : o->short_name && o->short_name == c)
			return o;
	}
	return NULL;
}
