/* SPDX-License-Identifier: MIT */
/*
 * A device's recovery record (see ubr_record.h): written once the device
 * serves, removed once it is deleted. The backing files are noted by device
 * and inode before the target takes them, so that a recovery can tell the
 * recorded file from another one at the same path.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ubr_log.h"
#include "ubr_record.h"
#include "ubr_target.h"

int ubr_dev_note_files(struct ubr_dev *dev)
{
	struct stat st;
	unsigned i;

	for (i = 0; i < dev->opts.nr_files; i++) {
		if (fstat(dev->opts.fds[i], &st) < 0) {
			ubr_dev_set_err(dev, "cannot stat %s: %s",
					dev->opts.paths[i], strerror(errno));
			return -errno;
		}
		dev->file_dev[i] = st.st_dev;
		dev->file_ino[i] = st.st_ino;
	}
	return 0;
}

/*
 * Written when the device starts serving and again when it changes (its
 * size): dev->opts as the user gave them, the copy mode and size as the
 * device has them. rec.opts borrows dev->opts, so it is not released.
 */
void ubr_dev_record_save(struct ubr_dev *dev)
{
	struct ubr_record rec = {
		.version = UBR_RECORD_VERSION,
		.id = dev->id,
		.recovery = dev->recovery,
		.copy_mode = dev->copy_mode,
		.nr_files = dev->opts.nr_files,
		.opts = dev->opts,
		.dev_size = dev->params.basic.dev_sectors << 9,
	};
	int ret;

	memcpy(rec.file_dev, dev->file_dev, sizeof(rec.file_dev));
	memcpy(rec.file_ino, dev->file_ino, sizeof(rec.file_ino));
	ret = ubr_record_save(&rec);
	if (ret < 0) {
		ubr_warn("dev %u: cannot write its recovery record: %s: it will not be recoverable",
			 dev->id, strerror(-ret));
		return;
	}
	dev->recorded = true;
}

void ubr_dev_record_remove(struct ubr_dev *dev)
{
	int ret = ubr_record_remove(dev->id);

	if (ret < 0)
		ubr_warn("dev %u: cannot remove its recovery record: %s",
			 dev->id, strerror(-ret));
	dev->recorded = false;
}
