#!/bin/bash
# Planned stops: `stop` ends the daemon and leaves its devices to the
# kernel; `recover` with another binary (an upgrade) brings them back under
# the same IDs with their data. With QUIESCE (sid), a stop under fio loses
# no I/O even in `queue` mode, where requests in flight at a crash fail;
# without it (trixie), stop drains the device and reissue loses none.
# `stop --delete` deletes everything; a device added with --recovery off is
# deleted by a plain stop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio
require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup

# --- stop, then recover with a rebuilt binary --------------------------------
truncate -s 32M "$UBR_SCRATCH/a.img"
add_dev loop "$UBR_SCRATCH/a.img"
loop_id=$DEV_ID
add_dev null --size 1G -q 2
null_id=$DEV_ID
add_dev null --recovery off
off_id=$DEV_ID
dd if=/dev/urandom of=/dev/ublkb$loop_id bs=1M count=16 oflag=direct status=none
sum=$(dd if=/dev/ublkb$loop_id bs=1M count=16 iflag=direct status=none | md5sum)
pid=$(daemon_pid)

check_exit 0 "$UBR" stop
pid_gone "$pid" || fail "the daemon still runs after stop returned"
[[ -b /dev/ublkb$loop_id && -b /dev/ublkb$null_id ]] || fail "stop deleted a recoverable device"
[[ ! -e /dev/ublkb$off_id ]] || fail "stop left device $off_id (--recovery off) behind"

new=$UBR_SCRATCH/ublk-reactor.rebuilt
cp "$UBR" "$new"
UBR=$new
# No daemon, but the kernel's devices are listed: they wait for recover.
check_exit 0 "$UBR" list
for id in "$loop_id" "$null_id"; do
	grep -qE "^$id .*waits for recover" "$OUT" ||
		fail "list without a daemon does not show device $id waiting for recover"
done
recover_all "$loop_id" "$null_id"
[[ $(readlink /proc/"$(daemon_pid)"/exe) == "$new" ]] || fail "the daemon does not run the new binary"
[[ $(dd if=/dev/ublkb$loop_id bs=1M count=16 iflag=direct status=none | md5sum) == "$sum" ]] ||
	fail "data changed across stop and recover"
"$UBR" list --json | jq -e --argjson l "$loop_id" --argjson n "$null_id" \
	'[.devices[] | select(.id == $l and .target == "loop"), select(.id == $n and .target == "null" and .queues == 2)] | length == 2' >/dev/null ||
	fail "recovered devices lost their target or options"

# --- a stop under fio: QUIESCE lets requests in flight finish -----------------
if has_feature QUIESCE; then
	add_dev loop --recovery queue "$UBR_SCRATCH/a.img"
	qid=$DEV_ID
	fio_write_verify_bg 16M /dev/ublkb$qid
	fio_wait_writing
	check_exit 0 "$UBR" stop
	recover_all "$loop_id" "$null_id" "$qid"
	fio_bg_check
else
	# Without QUIESCE, stop drains (src/device/dev_detach.c): the requests fio
	# sends meanwhile are held, and the kernel reissues them after recover.
	# A daemon in the foreground, to read what it says.
	echo "no QUIESCE on $(uname -r): stop under fio drains, then reissue"
	check_exit 0 "$UBR" stop
	"$UBR" daemon --foreground 2>"$UBR_SCRATCH/daemon.log" &
	fg_pid=$!
	wait_for 30 "$UBR" list >/dev/null 2>&1 || fail "the foreground daemon did not start"
	recover_all "$loop_id" "$null_id"
	fio_write_verify_bg 16M /dev/ublkb$loop_id
	fio_wait_writing
	check_exit 0 "$UBR" stop
	fg_status=0
	wait "$fg_pid" || fg_status=$?
	cat "$UBR_SCRATCH/daemon.log"
	# (a sanitizer build exits non-zero on a leak or an error)
	((fg_status == 0)) || fail "the daemon exited with status $fg_status after stop"
	grep -Eq "dev $loop_id: drained, [1-9][0-9]* request\(s\) held" "$UBR_SCRATCH/daemon.log" ||
		fail "stop under fio held no request of device $loop_id"
	recover_all "$loop_id" "$null_id"
	fio_bg_check
fi

# --- stop --delete --------------------------------------------------------------
pid=$(daemon_pid)
check_exit 0 "$UBR" stop --delete
pid_gone "$pid" || fail "the daemon still runs after stop --delete returned"
ls /dev/ublkb* 2>/dev/null && fail "stop --delete left devices"
ls "$UBLK_REACTOR_RUNDIR/devices" | grep . && fail "stop --delete left recovery records"
expect_fail_msg "not running" "$UBR" stop
true
