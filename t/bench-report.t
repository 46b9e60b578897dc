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
# That run counted switches before they were counted per thread: one of
# its figures went below zero (a thread exited during the run), and is
# shown as no figure, never as a number.
grep -qF '| null randread qd64 x4 | ours user | 88052 | 68450 | 5.9 | 7.4 | - | 0.012 |' "$out" &&
	! grep -qE '[0-9]\.-[0-9]' "$out"
ok $? "a negative count of switches is no figure"
tables other-boots/sid-2026-12-05-nbd.json \
	"nbd target against the kernel's NBD client"
! grep -qE "#### (Other|Footprint)" "$out"
ok $? "an nbd-only run has no table of figures it did not measure"
tables other-boots/sid-2026-12-07-nbd-zero.json \
	"nbd target against the kernel's NBD client"
# Ours ran in user and zero copy: each point is judged by the better mode,
# named beside the ratio; a run without zero copy shows none.
grep -qE '^\| tcp \| read_1m_qd8 \|( [0-9]+ \|){6} [0-9.]+ \(zero\) \|' "$out" &&
	grep -qE '^\| unix \| randread_4k_qd64 \|.* \((user|zero)\) \|' "$out"
ok $? "the nbd table has zero copy's runs and judges ours by its better mode"
tables other-boots/sid-2026-12-05-kublk-loaded.json \
	"Side by side with kublk"
[ "$(grep -c '^| vs kublk:' "$out")" -eq 7 ]
ok $? "on 7.x every target against kublk is judged"
tables other-boots/trixie-2026-12-06-kublk.json \
	"Side by side with kublk"
[ "$(grep -c '^| vs kublk:.*(none on 6.12): -' "$out")" -eq 6 ] &&
	grep -qF '| vs kublk: null randread qd64, 4 devices, aggregate IOPS | 1.061x (>= 1.1x kublk'"'"'s): **missed**' "$out"
ok $? "on 6.12 the one target against kublk is 4 devices at 1.1x"
# The summary's columns are matched by row: both kernels list every target.
"$report" "$src/doc/bench/other-boots/sid-2026-12-05-kublk-loaded.json" \
	"$src/doc/bench/other-boots/trixie-2026-12-06-kublk.json" >"$out" 2>&1
grep -qF '| vs kublk: null randread qd64, 4 devices, aggregate IOPS | 1.059x (>= 1.5x kublk'"'"'s): **missed** | 1.061x (>= 1.1x' "$out"
ok $? "a sid and a trixie run line up in the summary"
tap_done
