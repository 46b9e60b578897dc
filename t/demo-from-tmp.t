#!/bin/bash
# SPDX-License-Identifier: MIT
# The README's first command from a checkout under /tmp: a copy of this
# tree there runs scripts/demo, which builds it and serves a null device
# (in the VM when the host kernel has no ublk driver, where a tmpfs hides
# the host's /tmp unless t/vm/run shares the checkout). It must get as far
# as fio's reads on the device and the demo's end.
set -u
src=${UBR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
echo "1..3"

if [[ $(id -u) != 0 ]] || ! command -v qemu-system-x86_64 >/dev/null; then
	if [[ ${UBLK_REACTOR_REQUIRE_VM:-0} == 1 ]]; then
		echo "Bail out! scripts/demo needs root and qemu (UBLK_REACTOR_REQUIRE_VM=1)"
		exit 1
	fi
	for i in 1 2 3; do echo "ok $i # SKIP not root, or no qemu"; done
	exit 0
fi

tmp=$(mktemp -d /tmp/ubr-demo.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
log=$tmp.log
# The tree as a user has it: the tracked files and the new ones, no builds.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && tar --null -T - -c) | tar -x -C "$tmp"
else
	tar -C "$src" --exclude=./build --exclude=./build-asan -c . | tar -x -C "$tmp"
fi

status=0
(cd "$tmp" && scripts/demo) >"$log" 2>&1 || status=$?
check() { # check STATUS DESCRIPTION
	if (($1 == 0)); then echo "ok $2"; else echo "not ok $2"; fi
}
check "$status" "1 - scripts/demo from $tmp exits 0 (status $status)"
grep -qE '^ *ublkb[0-9]+: ios=[1-9][0-9]*/' "$log"
check $? "2 - fio read the served device"
grep -qx 'demo: done' "$log"
check $? "3 - the demo reached its end"
if ((status != 0)) || ! grep -qx 'demo: done' "$log"; then
	echo "# the demo's last lines:"
	tail -n 30 "$log" | sed 's/^/#   /'
fi
rm -f "$log"
