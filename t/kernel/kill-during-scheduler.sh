#!/bin/bash
# kill -9 while add's I/O scheduler switch waits for the disk's requests in
# flight: the daemon must die all the same, and its device go back to the
# kernel. The switch (the default, none) starts when add answers and
# freezes the queue until the requests in flight are served; fault --delay
# 10s keeps some in flight for seconds. Before the fix the
# daemon's own io_uring worker made the write, and its exit waited for it
# forever (7.2: the device stayed live; 6.12 aborts the requests when the
# ring goes, so it died there).
# - --recovery off: within 20 s the daemon is gone and the kernel has
#   stopped the disk (the device is DEAD: /sys/block/ublkbN removed,
#   /dev/ublkcN left for DEL_DEV).
# - --recovery reissue: within 20 s the daemon is gone and the device is
#   QUIESCED (recover takes only a quiesced one), recover serves it again,
#   the data (a random backing file written and synced before add) reads
#   back intact, and the default scheduler is set in the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program sha256sum
on_exit cleanup

# recovery_cleanup, each command bounded: a daemon that does not die (the
# bug) takes the admin socket's connections and never answers them.
cleanup() {
	local pid
	pid=$(daemon_pid)
	if [[ -z $pid ]] || pid_gone "$pid"; then
		timeout -k 5 60 "$UBR" recover >/dev/null 2>&1 || true
	fi
	timeout -k 5 60 "$UBR" stop --delete >/dev/null 2>&1 || true
}

# A free device ID: the readers must know the disk's name before add ends.
free_id() {
	local i
	for ((i = 0; i < 64; i++)); do
		[[ -e /dev/ublkc$i || -e /sys/block/ublkb$i ]] || { echo "$i"; return; }
	done
	fail "no free ublk device ID"
}

# READERS readers of 4 KiB O_DIRECT reads on DEV, from the moment the disk
# appears until $STOP exists: a read is in flight, or waiting for the one
# tag, whenever add's switch starts. (7.2 scans partitions after START_DEV,
# so the scan's read would do; 6.12 scans inside START_DEV, before add
# answers, and leaves nothing in flight.) Each reader touches $STOP.N when
# it ends.
READERS=2
readers_start() { # DEV
	local dev=$1 i
	STOP=$UBR_SCRATCH/stop
	rm -f "$STOP" "$STOP".*
	for ((i = 1; i <= READERS; i++)); do
		(
			deadline=$((SECONDS + 60))
			until [[ -b $dev ]]; do ((SECONDS < deadline)) || break; done
			while [[ ! -e $STOP ]] && dd if="$dev" of=/dev/null bs=4k \
				count=1 iflag=direct status=none 2>/dev/null; do :; done
			touch "$STOP.$i"
		) &
	done
}

readers_ended() {
	local i
	for ((i = 1; i <= READERS; i++)); do
		[[ -e $STOP.$i ]] || return 1
	done
}

# readers_stop SECS: ask them to end, and wait for their last reads.
readers_stop() {
	touch "$STOP"
	wait_for "$1" readers_ended || fail "the readers of the device hung for $1 s"
	wait
}

in_flight() { # ID
	local r w
	read -r r w <"/sys/block/ublkb$1/inflight" 2>/dev/null || return 1
	((r + w > 0))
}

# A thread of process PID, or a child of it, sleeps uninterruptibly: the
# scheduler switch, waiting for the frozen queue to drain (on an io_uring
# worker of the daemon before the fix, in its helper process after).
switch_waiting() { # PID
	local f st a
	for f in /proc/"$1"/task/*/stat /proc/[0-9]*/stat; do
		read -r st <"$f" 2>/dev/null || continue
		read -r -a a <<<"${st##*) }" # a[0] state, a[1] ppid
		[[ ${a[0]} == D ]] || continue
		[[ $f == /proc/"$1"/task/* || ${a[1]} == "$1" ]] && return 0
	done
	return 1
}

in_window() { # ID PID
	in_flight "$1" && switch_waiting "$2"
}

# What every task of process PID waits in (for a daemon that will not die).
show_stuck() { # PID
	local t
	for t in /proc/"$1"/task/*; do
		echo "  task ${t##*/} $(cat "$t/comm" 2>/dev/null): $(cut -d' ' -f3 "$t/stat" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)"
	done
}

# add_in_window ID ARGS...: add device ID (fault, delayed) with readers on
# it, and wait until the switch waits on a request in flight. Depth 4, more
# than the readers: before Linux 6.15 the kernel noticed a dead server only
# by cancelling its pending FETCHes, so a server that owned every tag when
# it died left the device stuck whatever it did (6.12, seen at depth 1).
add_in_window() {
	local id=$1 pid
	shift
	readers_start "/dev/ublkb$id"
	add_dev fault --id "$id" --delay 10s --queues 1 --depth 4 "$@"
	pid=$(daemon_pid)
	wait_for 9 in_window "$id" "$pid" ||
		fail "no scheduler switch waited on a request in flight within 9 s (inflight: $(cat "/sys/block/ublkb$id/inflight"))"
	echo "window: inflight $(cat "/sys/block/ublkb$id/inflight"), switch waiting"
}

# kill_in_window: SIGKILL the daemon; it must be gone within 20 s.
kill_in_window() {
	local pid
	pid=$(daemon_pid)
	kill -KILL "$pid"
	if ! wait_for 20 pid_gone "$pid"; then
		show_stuck "$pid"
		fail "daemon $pid still there 20 s after SIGKILL"
	fi
}

disk_dead() { # ID: stopped by the kernel, not deleted
	[[ ! -e /sys/block/ublkb$1 && -e /dev/ublkc$1 ]]
}

echo "--- recovery off"
id=$(free_id)
add_in_window "$id" --recovery off
kill_in_window
wait_for 20 disk_dead "$id" ||
	fail "device $id not stopped by the kernel 20 s after its daemon died"
readers_stop 30
# Nothing deletes a dead device without recovery yet: it stays (DEAD) until
# the VM ends.
echo "device $id: DEAD, left to the kernel"

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
