/* SPDX-License-Identifier: MIT */
/*
 * Names of the kernel's ublk feature bits (UBLK_F_* in the kernel's
 * include/uapi/linux/ublk_cmd.h, without the prefix), and the `features`
 * listing. Shared by the daemon and by a client that asks the kernel itself
 * when no daemon runs.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "ubr_features.h"
#include "ubr_util.h"


static const char *const feature_names[] = {
	"ZERO_COPY",		  /* 0: UBLK_F_SUPPORT_ZERO_COPY */
	"URING_CMD_COMP_IN_TASK", /* 1 */
	"NEED_GET_DATA",	  /* 2 */
	"USER_RECOVERY",	  /* 3 */
	"USER_RECOVERY_REISSUE",  /* 4 */
	"UNPRIVILEGED_DEV",	  /* 5 */
	"CMD_IOCTL_ENCODE",	  /* 6 */
	"USER_COPY",		  /* 7 */
	"ZONED",		  /* 8 */
	"USER_RECOVERY_FAIL_IO",  /* 9 */
	"UPDATE_SIZE",		  /* 10 */
	"AUTO_BUF_REG",		  /* 11 */
	"QUIESCE",		  /* 12 */
	"PER_IO_DAEMON",	  /* 13 */
	"BUF_REG_OFF_DAEMON",	  /* 14 */
	"BATCH_IO",		  /* 15 */
	"INTEGRITY",		  /* 16 */
	"SAFE_STOP_DEV",	  /* 17 */
	"NO_AUTO_PART_SCAN",	  /* 18 */
	"SHMEM_ZC",		  /* 19 */
};

#define NR_NAMED ARRAY_SIZE(feature_names)

const char *ubr_feature_name(unsigned bit)
{
	return bit < NR_NAMED ? feature_names[bit] : NULL;
}

/*
 * Only the bits the kernel sets are listed, so that "does this kernel have
 * X" is one `grep -w X`, as the kernel tests ask it. Unnamed bits show as
 * "bit N".
 */
void ubr_features_print(FILE *f, bool known, uint64_t have, uint64_t used)
{
	unsigned bit;
	char unnamed[16];

	if (!known) {
		fprintf(f, "the kernel does not report its ublk features (GET_FEATURES needs Linux 6.5 or later)\n");
		return;
	}
	fprintf(f, "kernel ublk features: 0x%" PRIx64 "\n", have);
	fprintf(f, "%-24s %s\n", "FEATURE", "DAEMON");
	for (bit = 0; bit < 64; bit++) {
		const char *name = ubr_feature_name(bit);

		if (!(have & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "bit %u", bit);
			name = unnamed;
		}
		fprintf(f, "%-24s %s\n", name,
			used & (1ULL << bit) ? "used" : "-");
	}
}
