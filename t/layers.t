#!/bin/sh
# SPDX-License-Identifier: MIT
# Includes and calls go one way between the layers (scripts/check-layers,
# on this build's objects): any edge or cycle it does not know fails.
set -u
. "${UBR_SRCDIR:-.}/t/tap.sh"

out=$(python3 "${UBR_SRCDIR:-.}/scripts/check-layers" "${UBR_BUILDDIR:-.}" 2>&1)
st=$?
[ $st -eq 0 ] || printf '%s\n' "$out" | grep -e WRONG -e Error -e error | sed 's/^/# /'
ok $st "layers: no wrong-way include or call, no cycle, but the known ones"
tap_done
