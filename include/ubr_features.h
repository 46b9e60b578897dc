/* SPDX-License-Identifier: MIT */
/*
 * The kernel's ublk feature bits by name, and the `features` listing
 * (src/device/features.c). Which bits the daemon uses: ubr_features_used() in
 * ubr_dev.h.
 */
#ifndef UBR_FEATURES_H
#define UBR_FEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* "USER_COPY" for bit 7, NULL for a bit we have no name for. */
const char *ubr_feature_name(unsigned bit);
/* One line per bit the kernel has: its name, and "used" if we use it. */
void ubr_features_print(FILE *f, bool known, uint64_t have, uint64_t used);

#endif /* UBR_FEATURES_H */
