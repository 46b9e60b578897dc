/* SPDX-License-Identifier: MIT */
/*
 * The fault target's settings (its options, parsed by fault_opts.c through
 * the target API, so that the words of an `add` alone re-create the
 * device) and its failure decision (fault.c), kept apart from the I/O path
 * so that the unit tests can check its statistics.
 */
#ifndef UBR_TGT_FAULT_H
#define UBR_TGT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "files.h"

/* The ops --fail-ops can name, as bits of ubr_fault_opts.fail_ops. */
#define UBR_FAULT_READ (1U << 0)
#define UBR_FAULT_WRITE (1U << 1)
#define UBR_FAULT_FLUSH (1U << 2)
#define UBR_FAULT_DISCARD (1U << 3)
#define UBR_FAULT_WRITE_ZEROES (1U << 4)
#define UBR_FAULT_ALL_OPS ((1U << 5) - 1)

/* Limits of the options. */
#define UBR_FAULT_MAX_DELAY_NS (10ULL * 1000000000ULL) /* 10 s */
#define UBR_FAULT_PPM 1000000U /* --fail-rate 1 */

/* The delay and the failures, as fault.c uses them; zero: defaults. */
struct ubr_fault_opts {
	uint64_t delay_ns;   /* every request waits this long before it is served */
	uint32_t fail_ppm;   /* chance of failing an eligible request, per million */
	uint8_t fail_ops;    /* UBR_FAULT_* ops that may fail; 0: all of them */
	bool backing;	     /* the device's one FILE came from --backing */
	uint64_t fail_start; /* eligible bytes: [fail_start, fail_end) ... */
	uint64_t fail_end;   /* ... or the whole device when fail_end is 0 */
	uint64_t seed;
};

/* All `add fault` says beyond the common options: dev->opts.tgt_opts. */
struct ubr_fault_args {
	struct ubr_files_opts files; /* first: --buffered, with --backing */
	struct ubr_fault_opts f;
	/*
	 * Only while parsing: an option that needs --fail-rate (a string
	 * literal, so the struct stays plain values), and whether --fail-rate
	 * was given (a rate of 0 is a rate).
	 */
	const char *needs_rate;
	bool rate_given;
};

/* Its option table (fault_opts.c). */
extern const struct ubr_tgt_opt ubr_fault_opt_table[];
int ubr_fault_opts_finish(struct ubr_tgt_args *a);
/* dev's fault options, defaults if none. */
const struct ubr_fault_opts *ubr_fault_opts_of(const struct ubr_dev *dev);

/* The UBR_FAULT_* bit of a ublk op (UBLK_IO_OP_*), 0 for ops it cannot name. */
unsigned ubr_fault_op_bit(unsigned op);
/* Parse "read,write,..." into UBR_FAULT_* bits; -EINVAL, *bad = the bad word. */
int ubr_fault_parse_ops(const char *s, uint8_t *ops, char *bad, size_t badlen);
/* "read,write" for a set of bits (all of them when ops is 0). */
void ubr_fault_format_ops(uint8_t ops, char *buf, size_t len);
/*
 * Should the request (ublk op, byte offset, length) fail? A pure function
 * of its arguments: the same request always gets the same answer under one
 * seed, and over many requests about fail_ppm per million fail.
 */
bool ubr_fault_should_fail(const struct ubr_fault_opts *o, unsigned op,
			   uint64_t off, uint64_t len);

#endif /* UBR_TGT_FAULT_H */
