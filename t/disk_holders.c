/* SPDX-License-Identifier: MIT */
/*
 * The mount half of the holder scan (src/device/disk_holders.c), on made-up
 * mountinfo text: the device numbers are matched exactly, the mount point
 * comes back unescaped, and lines that do not parse are passed over.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "tap.h"
#include "ubr_disk_holders.h"

static const char mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	"bad line\n"
	"30 1 259:10 / /mnt/other rw - ext4 /dev/ublkb10 rw\n"
	"31 1 259:1 / /srv/my\\040data\\134x rw - ext4 /dev/ublkb1 rw\n"
	"32 1 259:4 / /mnt/part rw - xfs /dev/ublkb2p1 rw\n";

static int find(const dev_t *devs, unsigned nr, char *mnt, size_t len)
{
	FILE *f = fmemopen((void *)mountinfo, strlen(mountinfo), "r");
	int ret;

	if (!f)
		return -1;
	ret = ubr_mountinfo_find(f, devs, nr, mnt, len);
	fclose(f);
	return ret;
}

/* Lines longer than any first buffer: read whole, the next one after. */
static void test_long_line(void)
{
	static char text[8192];
	dev_t on_long = makedev(259, 7), after = makedev(259, 8);
	dev_t inside = makedev(259, 9);
	char mnt[64];
	size_t n;
	FILE *f;
	int i;

	n = (size_t)snprintf(text, sizeof(text), "40 1 259:7 / /mnt/long rw");
	for (i = 0; i < 300; i++) /* 4500 bytes of options */
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      ",1 2 259:9 / /x");
	snprintf(text + n, sizeof(text) - n,
		 " - ext4 /dev/a rw\n41 1 259:8 / /after rw - ext4 /dev/b rw\n");
	f = fmemopen(text, strlen(text), "r");
	ok(f && ubr_mountinfo_find(f, &after, 1, mnt, sizeof(mnt)) == 1 &&
		   !strcmp(mnt, "/after"),
	   "the line after a 4.5 KiB one is found");
	if (f)
		fclose(f);
	f = fmemopen(text, strlen(text), "r");
	ok(f && ubr_mountinfo_find(f, &on_long, 1, mnt, sizeof(mnt)) == 1 &&
		   !strcmp(mnt, "/mnt/long"),
	   "a 4.5 KiB line's own mount");
	if (f)
		fclose(f);
	f = fmemopen(text, strlen(text), "r");
	ok(f && ubr_mountinfo_find(f, &inside, 1, mnt, sizeof(mnt)) == 0,
	   "no line made of a long one's options");
	if (f)
		fclose(f);
}

int main(void)
{
	dev_t one = makedev(259, 1), none = makedev(259, 2);
	dev_t disk2[] = { makedev(259, 3), makedev(259, 4) };
	dev_t minor_only = makedev(258, 1);
	char mnt[64], small[6];

	plan(10);
	ok(find(&one, 1, mnt, sizeof(mnt)) == 1, "the mount of 259:1 is found");
	is_str(mnt, "/srv/my data\\x", "its mount point comes back unescaped");
	ok(find(&none, 1, mnt, sizeof(mnt)) == 0,
	   "259:2 is not taken for 259:10 or 259:1");
	ok(find(&minor_only, 1, mnt, sizeof(mnt)) == 0,
	   "the major number counts as well as the minor");
	ok(find(disk2, 2, mnt, sizeof(mnt)) == 1 &&
		   !strcmp(mnt, "/mnt/part"),
	   "a partition's mount counts for its disk");
	ok(find(&one, 1, small, sizeof(small)) == 1 &&
		   !strcmp(small, "/srv/"),
	   "a long mount point is cut to the buffer, terminated");
	ok(find(&one, 0, mnt, sizeof(mnt)) == 0, "no device, no mount");
	test_long_line();
	done_testing();
}
