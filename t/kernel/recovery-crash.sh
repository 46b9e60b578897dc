#!/bin/bash
# Crash recovery with reissue (the default): four loop devices under fio
# write-then-verify; the daemon is killed with SIGKILL mid-run and
# `recover` reattaches every device with its original target and copy
# mode; every fio job finishes without an I/O error and its verify passes.
# Ten such cycles in a row, then the IDs, targets and copy modes are checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio
require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup

CYCLES=${UBR_RECOVERY_CYCLES:-10}
ids=() devs=()
modes=($(copy_modes))
for i in 0 1 2 3; do
	truncate -s 32M "$UBR_SCRATCH/f$i.img"
	# every copy mode the kernel has, in turn: each must survive recovery
	add_dev loop --copy-mode "${modes[i % ${#modes[@]}]}" "$UBR_SCRATCH/f$i.img"
	ids+=("$DEV_ID") devs+=("$DEV")
done
"$UBR" list --json | jq -c '[.devices[] | {id, copy_mode, recovery}]' >"$UBR_SCRATCH/before"
cat "$UBR_SCRATCH/before"
jq -e 'all(.recovery == "reissue")' "$UBR_SCRATCH/before" >/dev/null ||
	fail "the default recovery mode is not reissue"

for ((c = 1; c <= CYCLES; c++)); do
	echo "--- cycle $c"
	fio_write_verify_bg 16M "${devs[@]}"
	fio_wait_writing
	kill_daemon
	for d in "${devs[@]}"; do
		[[ -b $d ]] || fail "$d vanished with the daemon"
	done
	recover_all "${ids[@]}"
	fio_bg_check
done

"$UBR" list --json | jq -c '[.devices[] | {id, copy_mode, recovery}]' >"$UBR_SCRATCH/after"
cat "$UBR_SCRATCH/after"
cmp -s "$UBR_SCRATCH/before" "$UBR_SCRATCH/after" ||
	fail "devices changed across recoveries"
