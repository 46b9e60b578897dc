#!/bin/bash
# kill -9 while add's I/O scheduler switch waits for the disk's requests in
# flight: the daemon must die all the same, and its device go back to the
# kernel. The switch (the default, none) starts when add answers and
# freezes the queue until the requests in flight are served; fault --delay
# 10s keeps some in flight for seconds. Before the fix an io_uring worker
# of the daemon made the write, and the daemon's exit waited for it
# forever (7.2: the daemon unkillable, the device live).
# - --recovery off: within 20 s the daemon is gone and the kernel has
#   stopped the disk (the device is DEAD: /sys/block/ublkbN removed,
#   /dev/ublkcN left), and del deletes it.
# - --recovery reissue: within 20 s the daemon is gone and the device is
#   QUIESCED (recover takes only a quiesced one), recover serves it again,
#   the data (a random backing file written and synced before add) reads
#   back intact, and the default scheduler is set in the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"
. "$(dirname "$0")/kill.bash"

require_program sha256sum
on_exit kill_cleanup

# add_in_window ID ARGS...: add device ID (fault, delayed) with readers on
# it from the moment the disk appears, and wait until the switch waits on
# a request in flight. 7.2 scans partitions after START_DEV, so the scan's
# read would do; 6.12 scans inside START_DEV, before add answers, and
# leaves nothing in flight without the readers. Depth 4, more than the
# readers: see kill.bash.
add_in_window() {
	local id=$1
	shift
	readers_start "/dev/ublkb$id"
	add_dev fault --id "$id" --delay 10s --queues 1 --depth 4 "$@"
	wait_window "$id"
}

echo "--- recovery off"
id=$(free_id)
add_in_window "$id" --recovery off
kill_in_window
wait_for 20 disk_dead "$id" ||
	fail "device $id not stopped by the kernel 20 s after its daemon died"
readers_stop 30
del_dead "$id"

echo "--- recovery reissue"
if ! has_feature USER_RECOVERY_REISSUE; then
	skip "kernel $(uname -r) lacks USER_RECOVERY_REISSUE (recovery off passed)"
fi
img=$UBR_SCRATCH/backing.img
head -c 1M /dev/urandom >"$img"
sync "$img"
sum=$(sha256sum <"$img")
id=$(free_id)
add_in_window "$id" --recovery reissue --backing "$img" --max-io-size 1M
kill_in_window
[[ -b /dev/ublkb$id ]] || fail "/dev/ublkb$id vanished with its daemon"
recover_all "$id"
# The reads held while no daemon served, then the readers' last ones, each
# delayed 10 s: then the queue is free for the check.
readers_stop 90
got=$(timeout 60 dd if="/dev/ublkb$id" bs=1M count=1 iflag=direct status=none | sha256sum) ||
	fail "reading /dev/ublkb$id back failed"
[[ $got == "$sum" ]] || fail "data of /dev/ublkb$id changed across the kill and recover"
# The helper of the killed daemon ends its write once the queue drains.
# Reading queue/scheduler may wait while a switch runs: read it aside.
sched_none() {
	local f=$UBR_SCRATCH/scheduler.$RANDOM
	cat "/sys/block/ublkb$id/queue/scheduler" >"$f" 2>&1 &
	wait_for 5 test -s "$f" && grep -q '\[none\]' "$f"
}
wait_for 60 sched_none || fail "/dev/ublkb$id never got scheduler none"
timeout 60 "$UBR" del "$id" || fail "del $id failed"
echo "kill-during-scheduler: ok"
