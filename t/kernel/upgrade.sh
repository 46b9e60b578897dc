#!/bin/bash
# Live upgrade: `upgrade` hands four devices (loop, stripe, fault over a
# file, null), in the kernel's copy modes in turn, to a daemon started
# from another binary while fio writes and verifies on three of them and
# reads and writes the null one: no fio job sees an I/O error, every
# verify passes, a new daemon runs the new binary, and the devices keep
# their IDs, targets and copy modes. Twice: there and back.
# The I/O pause (the longest completion fio saw) is printed per round.
# Refusals change nothing: a binary whose --version fails, a device with
# recovery off. A new binary that starts and dies leaves the devices to
# `recover`, data intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio
require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup

modes=($(copy_modes))
mode() { echo "${modes[$1 % ${#modes[@]}]}"; }
truncate -s 32M "$UBR_SCRATCH/l.img" "$UBR_SCRATCH/f.img"
truncate -s 16M "$UBR_SCRATCH/s0.img" "$UBR_SCRATCH/s1.img"
add_dev loop --copy-mode "$(mode 0)" "$UBR_SCRATCH/l.img"
loop=$DEV
add_dev stripe --copy-mode "$(mode 1)" "$UBR_SCRATCH/s0.img" "$UBR_SCRATCH/s1.img"
stripe=$DEV
add_dev fault --copy-mode "$(mode 2)" --backing "$UBR_SCRATCH/f.img" --delay 1ms
fault=$DEV
add_dev null --copy-mode "$(mode 3)" --size 256M
null=$DEV
ids=$(printf '%s\n' "$loop" "$stripe" "$fault" "$null" | sort)
nums=$(echo "$ids" | sed 's|/dev/ublkb||')
shape() { "$UBR" list --json | jq -c '[.devices[] | {id, target, copy_mode, recovery}]'; }
before=$(shape)
echo "$before"
pid=$(daemon_pid)

# The null device stores nothing: fio reads and writes it without verify.
null_fio_bg() {
	fio --name=null --filename="$null" --ioengine=io_uring --direct=1 \
		--bs=4k --iodepth=16 --rw=randrw --time_based --runtime=15 \
		--output-format=json --output="$UBR_SCRATCH/null.json" \
		>"$UBR_SCRATCH/null.log" 2>&1 &
	NULL_PID=$!
}
null_fio_check() {
	local rc=0
	wait "$NULL_PID" || rc=$?
	((rc == 0)) && jq -e '[.jobs[].error] | add == 0' "$UBR_SCRATCH/null.json" >/dev/null ||
		{ tail -20 "$UBR_SCRATCH/null.log"; fail "fio on the null device: exit $rc or an error"; }
}
# The longest completion fio saw on any device, in ms: the I/O pause.
pause_ms() {
	jq -s '[.[].jobs[] | .read.clat_ns.max, .write.clat_ns.max] | max / 1e6 | floor' \
		"$FIO_LOG.json" "$UBR_SCRATCH/null.json"
}

new=$UBR_SCRATCH/ublk-reactor.new
cp "$UBR" "$new"
old=$(readlink -f "$UBR")
for round in 1 2; do
	if ((round == 1)); then to=$new; else to=$old; fi
	echo "--- round $round: upgrade to $to"
	fio_write_verify_bg 16M "$loop" "$stripe" "$fault"
	null_fio_bg
	fio_wait_writing
	check_exit 0 "$UBR" upgrade --binary "$to"
	[[ $(sort "$OUT") == "$ids" ]] || fail "upgrade printed '$(cat "$OUT")', expected the four devices"
	grep -q "upgraded to ublk-reactor" "$ERR" || fail "upgrade did not say it upgraded"
	wait_for 30 pid_gone "$pid" || fail "the old daemon $pid still runs"
	pid=$(daemon_pid)
	[[ $(readlink /proc/"$pid"/exe) == "$to" ]] ||
		fail "the daemon runs $(readlink /proc/"$pid"/exe), not $to"
	fio_bg_check
	null_fio_check
	echo "measure: upgrade round $round on $(uname -r): I/O pause (longest fio completion) $(pause_ms) ms"
	[[ $(shape) == "$before" ]] || fail "devices changed: $(shape)"
done

echo "--- refused: a binary that does not run"
printf '#!/bin/sh\nexit 3\n' >"$UBR_SCRATCH/broken"
chmod +x "$UBR_SCRATCH/broken"
check_exit 1 "$UBR" upgrade --binary "$UBR_SCRATCH/broken"
grep -q "does not run.*nothing changed" "$ERR" || fail "no clear message: $(cat "$ERR")"
check_exit 1 "$UBR" upgrade --binary "$UBR_SCRATCH/missing"
[[ $(daemon_pid) == "$pid" && $(shape) == "$before" ]] || fail "a refused upgrade changed the daemon"

echo "--- refused: a device with recovery off"
add_dev null --recovery off
off=$DEV_ID
check_exit 1 "$UBR" upgrade --binary "$old"
grep -q "device $off has recovery off.*nothing changed" "$ERR" || fail "no clear message: $(cat "$ERR")"
[[ $(daemon_pid) == "$pid" ]] || fail "a refused upgrade replaced the daemon"
check_exit 0 "$UBR" del "$off"

echo "--- a new binary that starts, then dies: recover takes the devices back"
dd if=/dev/urandom of="$loop" bs=1M count=8 oflag=direct status=none
sum=$(dd if="$loop" bs=1M count=8 iflag=direct status=none | md5sum)
printf '#!/bin/sh\n[ "$1" = --version ] && exec %s --version\nexit 3\n' "$old" >"$UBR_SCRATCH/dies"
chmod +x "$UBR_SCRATCH/dies"
check_exit 1 "$UBR" upgrade --binary "$UBR_SCRATCH/dies"
grep -q "went away.*recover" "$ERR" || fail "no clear message: $(cat "$ERR")"
wait_for 30 pid_gone "$pid" || fail "the daemon $pid still runs"
recover_all $nums
[[ $(dd if="$loop" bs=1M count=8 iflag=direct status=none | md5sum) == "$sum" ]] ||
	fail "data changed across the failed upgrade and recover"
[[ $(shape) == "$before" ]] || fail "devices changed: $(shape)"
