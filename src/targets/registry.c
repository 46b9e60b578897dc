/* SPDX-License-Identifier: MIT */
/* Targets by name: adding one is a file in src/targets/ and a line here. */
#include "config.h"

#include <string.h>

#include "ubr_file_io.h"
#include "ubr_target.h"
#include "ubr_util.h"

static const struct ubr_target_ops *const targets[] = {
	&ubr_target_null,
	&ubr_target_loop,
	&ubr_target_stripe,
	&ubr_target_fault,
};

#define NR_TARGETS ARRAY_SIZE(targets)

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
