#!/bin/bash
# kill -9 while del's STOP_DEV waits for the disk's requests in flight: the
# daemon must die all the same. STOP_DEV deletes the disk, and the kernel
# waits there until the requests in flight are served; fault --delay 10s
# keeps a read in flight for seconds. Before the fix STOP_DEV ran on an
# io_uring worker of the daemon, and the daemon's exit waited for it
# forever (7.2: the daemon unkillable, the disk live; 6.12 removes the disk
# without waiting, so the kill there comes with the read in flight only). Within 20 s of the
# kill the daemon is gone and the kernel has stopped the disk (its
# in-flight read fails), del says the daemon went away, and nothing hangs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"
. "$(dirname "$0")/kill.bash"

on_exit kill_cleanup

add_dev fault --delay 10s --queues 1 --depth 4 --recovery off
id=$DEV_ID
readers_start "$DEV"
wait_for 9 in_flight "$id" || fail "no read reached /dev/ublkb$id in 9 s"
del_out=$UBR_SCRATCH/del.out
# The readers have the disk open: only --force deletes a device in use.
"$UBR" del --force "$id" >"$del_out" 2>&1 &
del_pid=$!
# 6.12 removes the disk without waiting for the read: the daemon is killed
# with the read in flight all the same (it lasts 10 s).
del_waits() {
	in_window "$id" "$pid" || [[ ! -e /sys/block/ublkb$id ]]
}
pid=$(daemon_pid)
wait_for 9 del_waits || fail "del's STOP_DEV neither waited on the read in flight nor ended in 9 s"
if [[ -e /sys/block/ublkb$id ]]; then
	echo "window: STOP_DEV waits for the read in flight"
else
	echo "no window: the kernel removed the disk with the read in flight"
fi
kill_in_window
wait_for 20 disk_dead "$id" ||
	fail "device $id not stopped by the kernel 20 s after its daemon died"
wait_for 20 pid_gone "$del_pid" || fail "del still waits 20 s after the daemon died"
del_rc=0
wait "$del_pid" || del_rc=$?
cat "$del_out"
((del_rc != 0)) || fail "del succeeded although its daemon was killed"
grep -q "went away" "$del_out" || fail "del did not say the daemon went away"
readers_stop 30
del_dead "$id"
echo "kill-during-del: ok"
