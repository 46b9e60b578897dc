/* SPDX-License-Identifier: MIT */
/*
 * Inside src/targets/ only: the ops tables the registry lists, and what
 * one target lends another. The core reaches targets through the registry
 * (include/ubr_target.h), never by these names.
 */
#ifndef UBR_TGT_TARGETS_H
#define UBR_TGT_TARGETS_H

#include "ubr_target.h"

extern const struct ubr_target_ops ubr_target_null;
extern const struct ubr_target_ops ubr_target_loop;
extern const struct ubr_target_ops ubr_target_stripe;
extern const struct ubr_target_ops ubr_target_fault;
extern const struct ubr_target_ops ubr_target_nbd;

/* What null does, for targets that act like it (null.c). */
/* Check the size against the block size and fill dev->params. */
int ubr_null_params(struct ubr_dev *dev);
/* The result null gives a request: its length, 0, or -EOPNOTSUPP. */
int ubr_null_result(const struct ublksrv_io_desc *iod);

#endif /* UBR_TGT_TARGETS_H */
