#!/bin/sh
# SPDX-License-Identifier: MIT
# The built unit's exposure score (systemd-analyze security --offline,
# systemd 252 and later) stays at or below the figure last accepted, so
# that a change to data/ublk-reactor.service.in cannot loosen the sandbox
# unnoticed. Raise max only with the reason in the commit. Skips without a
# systemd-analyze that knows --offline.
set -u

builddir=${UBR_BUILDDIR:-.}
unit=$builddir/data/ublk-reactor.service
# 4.2 with unix sockets only; 4.5 since AF_INET and AF_INET6 are allowed
# for nbd devices of the configuration file (systemd 252).
max=4.5
. "${UBR_SRCDIR:-.}/t/tap.sh"

if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	echo "1..0 # SKIP no systemd-analyze security --offline (install systemd 252+)"
	exit 0
fi
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
status=$?
echo "$out" | grep -E 'Overall exposure|^Failed|rror' | sed 's/^/# /'
ok $status "systemd-analyze security --offline=true data/ublk-reactor.service"
score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "# measure: exposure score $score (at most $max)"
[ -n "$score" ] && awk -v s="$score" -v m="$max" 'BEGIN { exit !(s + 0 <= m + 0) }'
ok $? "exposure score ${score:-?} is at most $max"
tap_done
