/* SPDX-License-Identifier: MIT */
/* Command lines for the parser tests: ARGV("add", "null") and its length. */
#ifndef T_ARGV_H
#define T_ARGV_H

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

static inline int nargs(char **v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

#endif /* T_ARGV_H */
