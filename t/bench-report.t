#!/bin/sh
# SPDX-License-Identifier: MIT
# t/bench/report makes its tables from a whole run's JSON and from a run of
# some sections only (BENCH_ONLY), the committed results of each.
set -u
. "${UBR_SRCDIR:-.}/t/tap.sh"
src=${UBR_SRCDIR:-.}
report=$src/t/bench/report
out=${TMPDIR:-/tmp}/bench-report.$$
trap 'rm -f "$out"' EXIT

# tables JSON HEADING...: the report of JSON exits 0 and has each heading.
tables() {
	json=$src/doc/bench/$1
	shift
	"$report" "$json" >"$out" 2>&1
	st=$?
	[ $st -eq 0 ] || sed 's/^/# /' "$out"
	ok $st "report of ${json#"$src"/} exits 0"
	for h in "$@"; do
		grep -qF "#### $h" "$out"
		ok $? "report of ${json##*/} has the table: $h"
	done
}

tables sid.json "Null target against null_blk" "Other"
tables other-boots/sid-2026-12-05-nbd.json \
	"nbd target against the kernel's NBD client"
! grep -qE "#### (Other|Footprint)" "$out"
ok $? "an nbd-only run has no table of figures it did not measure"
tables other-boots/sid-2026-12-05-kublk-loaded.json \
	"Side by side with kublk"
tap_done
