/* SPDX-License-Identifier: MIT */
/* How many descriptors the test process has open: to see that one leaks. */
#ifndef T_OPEN_FDS_H
#define T_OPEN_FDS_H

#include <dirent.h>

static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

#endif
