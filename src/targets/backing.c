/* SPDX-License-Identifier: MIT */
/*
 * Backing files of the loop and stripe targets: take the descriptors the
 * client opened and passed over, check what they are, size the device,
 * switch to O_DIRECT where the file can do it, and describe the result.
 *
 * The daemon never opens a path itself (the client did, with the caller's
 * rights), so O_DIRECT is set on the descriptor it was given with
 * fcntl(F_SETFL) rather than by opening the file again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ubr_compat.h"
#include "ubr_dev.h"
#include "ubr_util.h"
#include "files.h"
#include "ubr_libc_compat.h"
#include "ubr_log.h"
#include "ubr_reactor.h"
#include "ubr_target.h"
#include "ubr_util.h"

#define FILE_PBS 4096U

static int blk_geometry(struct ubr_dev *dev, struct ubr_backing *b)
{
	unsigned ss = 0, ps = 0;
	uint64_t bytes = 0;

	if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0 ||
	    ioctl(b->fd, BLKSSZGET, &ss) < 0) {
		ubr_dev_set_err(dev, "cannot get the size of %s: %s", b->path,
				strerror(errno));
		return -errno;
	}
	if (ioctl(b->fd, BLKPBSZGET, &ps) < 0 || ps < ss)
		ps = ss;
	b->is_blk = true;
	b->size = bytes;
	b->lbs = ss;
	b->pbs = ps;
	b->dio_align = ss;
	return 0;
}

/*
 * What O_DIRECT needs of a regular file, as its file system reports it
 * (STATX_DIOALIGN, 6.1+): both file offsets and buffer addresses must be
 * aligned; our offsets and buffers are aligned to the device's blocks.
 */
static void file_dio_align(struct ubr_backing *b)
{
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (statx(b->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0 ||
	    !(stx.stx_mask & STATX_DIOALIGN))
		return;
	if (!stx.stx_dio_offset_align) {
		b->dio_never = true;
		return;
	}
	b->dio_align = stx.stx_dio_offset_align > stx.stx_dio_mem_align ?
			       stx.stx_dio_offset_align :
			       stx.stx_dio_mem_align;
#endif
}

/* The access mode the client opened with must allow what the device does. */
static int check_access(struct ubr_dev *dev, struct ubr_backing *b)
{
	int fl = fcntl(b->fd, F_GETFL);

	if (fl < 0) {
		ubr_dev_set_err(dev, "%s: bad descriptor: %s", b->path,
				strerror(errno));
		return -errno;
	}
	if (!dev->opts.read_only && (fl & O_ACCMODE) == O_RDONLY) {
		ubr_dev_set_err(dev, "%s is open read-only: use --read-only",
				b->path);
		return -EROFS;
	}
	return 0;
}

static int backing_check(struct ubr_dev *dev, struct ubr_backing *b)
{
	struct stat st;
	int ret;

	if (fstat(b->fd, &st) < 0) {
		ubr_dev_set_err(dev, "cannot stat %s: %s", b->path,
				strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		ubr_dev_set_err(dev, "%s is a directory", b->path);
		return -EISDIR;
	}
	if (S_ISBLK(st.st_mode)) {
		ret = blk_geometry(dev, b);
	} else if (S_ISREG(st.st_mode)) {
		b->size = (uint64_t)st.st_size;
		b->pbs = FILE_PBS;
		file_dio_align(b);
		ret = 0;
	} else {
		ubr_dev_set_err(dev, "%s is not a regular file or a block device",
				b->path);
		return -EINVAL;
	}
	return ret < 0 ? ret : check_access(dev, b);
}

void ubr_files_free(struct ubr_files *fs)
{
	unsigned i;

	if (!fs)
		return;
	for (i = 0; i < UBR_MAX_FILES; i++)
		if (fs->f[i].fd >= 0)
			close(fs->f[i].fd);
	free(fs);
}

/* Move every descriptor out of dev->opts first, so that failure closes all. */
int ubr_files_take(struct ubr_dev *dev, unsigned n, struct ubr_files **out)
{
	struct ubr_files *fs = calloc(1, sizeof(*fs));
	unsigned i;
	int ret = 0;

	*out = NULL;
	if (!fs) {
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	fs->geom.nr = n;
	for (i = 0; i < UBR_MAX_FILES; i++) {
		fs->f[i].fd = i < n ? dev->opts.fds[i] : -1;
		fs->f[i].path = dev->opts.paths[i] ? dev->opts.paths[i] : "FILE";
		if (i < n)
			dev->opts.fds[i] = -1;
	}
	for (i = 0; i < n && !ret; i++) {
		if (fs->f[i].fd < 0) {
			ubr_dev_set_err(dev, "%s: no descriptor was passed",
					fs->f[i].path);
			ret = -EBADF;
		} else {
			ret = backing_check(dev, &fs->f[i]);
		}
	}
	if (ret < 0) {
		ubr_files_free(fs);
		return ret;
	}
	dev->mem_bytes += sizeof(*fs);
	*out = fs;
	return 0;
}

uint32_t ubr_files_lbs(const struct ubr_dev *dev, const struct ubr_files *fs)
{
	uint32_t lbs = dev->opts.logical_bs ? dev->opts.logical_bs : 512;
	unsigned i;

	for (i = 0; i < fs->geom.nr; i++)
		if (fs->f[i].lbs > lbs)
			lbs = fs->f[i].lbs;
	return lbs;
}

int ubr_files_size(struct ubr_dev *dev, const char *what, uint64_t capacity,
		   uint32_t lbs, uint64_t *size)
{
	char want[16], have[16];

	*size = capacity / lbs * lbs;
	if (!*size) {
		ubr_dev_set_err(dev, "%s is smaller than one block (%u bytes)",
				what, lbs);
		return -EINVAL;
	}
	if (!dev->opts.size)
		return 0;
	ubr_format_size(dev->opts.size, want, sizeof(want));
	ubr_format_size(capacity, have, sizeof(have));
	if (dev->opts.size > capacity) {
		ubr_dev_set_err(dev, "--size %s is larger than %s (%s)", want,
				what, have);
		return -EINVAL;
	}
	if (dev->opts.size % lbs) {
		ubr_dev_set_err(dev, "--size %s is not a multiple of the logical block size (%u)",
				want, lbs);
		return -EINVAL;
	}
	*size = dev->opts.size;
	return 0;
}

/*
 * The size of b now: the file may have grown since the device was made.
 * The ioctl waits on no I/O (src/admin/helper_cmds.c lists what does).
 */
static int backing_size_now(struct ubr_dev *dev, struct ubr_backing *b)
{
	uint64_t bytes = 0;
	struct stat st;

	if (b->is_blk ? ioctl(b->fd, BLKGETSIZE64, &bytes) < 0 :
			fstat(b->fd, &st) < 0) {
		ubr_dev_set_err(dev, "cannot get the size of %s: %s", b->path,
				strerror(errno));
		return -errno;
	}
	b->size = b->is_blk ? bytes : (uint64_t)st.st_size;
	return 0;
}

int ubr_files_resize(struct ubr_dev *dev, uint64_t new_size)
{
	struct ubr_files *fs = dev->tgt;
	uint64_t sizes[UBR_MAX_FILES], cap;
	bool linear = fs->geom.chunk_shift == UBR_STRIPE_LINEAR_SHIFT;
	char want[16], have[16];
	unsigned i;
	int ret;

	for (i = 0; i < fs->geom.nr; i++) {
		ret = backing_size_now(dev, &fs->f[i]);
		if (ret < 0)
			return ret;
		sizes[i] = fs->f[i].size;
	}
	cap = linear ? sizes[0] : ubr_stripe_capacity(&fs->geom, sizes);
	if (new_size <= cap)
		return 0;
	ubr_format_size(new_size, want, sizeof(want));
	ubr_format_size(cap, have, sizeof(have));
	if (linear)
		ubr_dev_set_err(dev, "size %s is larger than %s (%s): grow the file first",
				want, fs->f[0].path, have);
	else
		ubr_dev_set_err(dev, "size %s is larger than the stripe's files allow (%s): grow them first",
				want, have);
	return -EFBIG;
}

/* Why a file stays buffered, or NULL once O_DIRECT is set on it. */
static const char *try_direct(struct ubr_backing *b, uint32_t lbs)
{
	int fl;

	if (b->dio_never)
		return "its file system has no direct I/O";
	if (b->dio_align > lbs)
		return "direct I/O needs larger blocks than the device's";
	fl = fcntl(b->fd, F_GETFL);
	if (fl < 0 || fcntl(b->fd, F_SETFL, fl | O_DIRECT) < 0)
		return "O_DIRECT refused";
	b->direct = true;
	return NULL;
}

void ubr_files_set_direct(struct ubr_dev *dev, struct ubr_files *fs,
			  uint32_t lbs)
{
	const char *why;
	unsigned i;

	if (ubr_files_opts(dev)->buffered)
		return;
	for (i = 0; i < fs->geom.nr; i++) {
		why = try_direct(&fs->f[i], lbs);
		if (why)
			ubr_info("%s: buffered I/O: %s", fs->f[i].path, why);
	}
}

/*
 * f_type is a long on 64-bit systems and an int on i386, where RAMFS_MAGIC
 * (0x858458f6) does not fit: the magics are 32-bit values, so compare the
 * low 32 bits on every ABI.
 */
static bool in_memory_fs(const struct ubr_backing *b)
{
	struct statfs sf;
	uint32_t type;

	if (b->is_blk || fstatfs(b->fd, &sf) < 0)
		return false;
	type = (uint32_t)sf.f_type;
	return type == TMPFS_MAGIC || type == RAMFS_MAGIC;
}

/*
 * Does the file take nonblocking reads? A read with RWF_NOWAIT answers
 * EOPNOTSUPP before anything else if not; io_uring then punts every
 * request on it. (If it does, the probe reads the file's first block.)
 */
static bool takes_nowait(const struct ubr_backing *b)
{
	struct iovec iov = { .iov_len = FILE_PBS };
	bool ok;

	if (posix_memalign(&iov.iov_base, FILE_PBS, FILE_PBS))
		return true; /* leave the file to io_uring */
	ok = !(preadv2(b->fd, &iov, 1, 0, RWF_NOWAIT) < 0 &&
	       errno == EOPNOTSUPP);
	free(iov.iov_base);
	return ok;
}

void ubr_files_set_inline(const struct ubr_dev *dev, struct ubr_files *fs)
{
	struct ubr_backing *b;
	unsigned i;

	/* Not where the kernel might race (src/core/compat.c). */
	if (ubr_copy_mode_zero(dev->copy_mode) ||
	    !ubr_inline_io_safe(dev->r->features))
		return;
	for (i = 0; i < fs->geom.nr; i++) {
		b = &fs->f[i];
		b->inline_io = in_memory_fs(b) && !takes_nowait(b);
	}
}

static unsigned shift_of(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

void ubr_files_discard_params(struct ubr_dev *dev, uint32_t lbs)
{
	struct ublk_param_discard *d = &dev->params.discard;
	/* Whole blocks, and the most a request descriptor can say. */
	uint32_t max = (UINT32_MAX >> 9) & ~(lbs / 512 - 1);

	dev->params.types |= UBLK_PARAM_TYPE_DISCARD;
	d->discard_granularity = lbs > FILE_PBS ? lbs : FILE_PBS;
	d->max_discard_sectors = max;
	d->max_write_zeroes_sectors = max;
	d->max_discard_segments = 1;
}

/*
 * The device promises what the target does: a volatile cache (FLUSH is a
 * datasync of every file) and FUA (RWF_DSYNC writes). A stripe hints the
 * chunk as the minimum and the full stripe as the optimal I/O size.
 */
void ubr_files_params(struct ubr_dev *dev, const struct ubr_files *fs,
		      uint64_t size, uint32_t lbs, uint32_t max_bytes)
{
	struct ublk_param_basic *b = &dev->params.basic;
	unsigned i, pshift, cshift = fs->geom.chunk_shift;
	uint32_t pbs = lbs;

	for (i = 0; i < fs->geom.nr; i++)
		if (fs->f[i].pbs > pbs)
			pbs = fs->f[i].pbs;
	pshift = shift_of(pbs);
	dev->params.types = UBLK_PARAM_TYPE_BASIC;
	b->attrs = dev->opts.read_only ?
			   UBLK_ATTR_READ_ONLY :
			   UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA;
	b->logical_bs_shift = (uint8_t)shift_of(lbs);
	b->physical_bs_shift = (uint8_t)pshift;
	b->io_min_shift = (uint8_t)pshift;
	b->io_opt_shift = (uint8_t)pshift;
	if (cshift < UBR_STRIPE_LINEAR_SHIFT) {
		b->io_min_shift = (uint8_t)cshift;
		b->io_opt_shift = (uint8_t)cshift;
		if (ubr_log2_exact(fs->geom.nr) > 0)
			b->io_opt_shift += (uint8_t)ubr_log2_exact(fs->geom.nr);
	}
	b->max_sectors = max_bytes >> 9;
	b->dev_sectors = size >> 9;
	if (!dev->opts.read_only)
		ubr_files_discard_params(dev, lbs);
}

int ubr_files_desc(struct ubr_dev *dev, const struct ubr_files *fs,
		   const char *prefix)
{
	size_t len = strlen(prefix) + 1, off;
	unsigned i;
	char *s;

	for (i = 0; i < fs->geom.nr; i++)
		len += strlen(fs->f[i].path) + sizeof(", (buffered, inline)");
	s = malloc(len);
	if (!s) {
		ubr_dev_set_err(dev, "out of memory");
		return -ENOMEM;
	}
	off = (size_t)snprintf(s, len, "%s", prefix);
	for (i = 0; i < fs->geom.nr; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s (%s%s)",
					i ? ", " : "", fs->f[i].path,
					fs->f[i].direct ? "direct" : "buffered",
					fs->f[i].inline_io ? ", inline" : "");
	free(dev->tgt_desc);
	dev->tgt_desc = s;
	return 0;
}
