/* SPDX-License-Identifier: MIT */
/*
 * What a C library we build with may lack, in one place.
 *
 * preadv2/pwritev2: musl before 1.2.5 has neither (the static build links
 * Debian 12's musl 1.2.3; glibc has had them since 2.26). Without them, call
 * the system calls. This goes when the oldest musl we build with has them.
 */
#ifndef UBR_LIBC_COMPAT_H
#define UBR_LIBC_COMPAT_H

#include "config.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * The kernel takes the offset as two longs, low then high, on every
 * architecture; a 64-bit kernel uses the low one alone.
 */
#define UBR_OFF_LO_HI(off) (long)(off), (long)((uint64_t)(off) >> 32)

#ifndef HAVE_PREADV2
static inline ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt,
			      off_t off, int flags)
{
	return syscall(SYS_preadv2, fd, iov, iovcnt, UBR_OFF_LO_HI(off), flags);
}
#endif

#ifndef HAVE_PWRITEV2
static inline ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt,
			       off_t off, int flags)
{
	return syscall(SYS_pwritev2, fd, iov, iovcnt, UBR_OFF_LO_HI(off), flags);
}
#endif

#endif
