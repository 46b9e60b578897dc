# Helpers for the tests that kill -9 the daemon while the kernel waits, in a
# call of the daemon's, for a disk of the daemon's to drain; source after
# lib.sh and files.bash. Nothing the daemon waits on may depend on its own
# disks being served, or its death would never release them.

# Depth: more tags than requests in flight. Before Linux 6.15 the kernel
# noticed a dead server only by cancelling its pending FETCHes, so a server
# that owned every tag when it died left the disk stuck whatever it did
# (6.12 at depth 1: still there 20 s after the kill, fixed daemon or not).

# recovery_cleanup, each command bounded: a daemon that does not die (the
# bug) takes the admin socket's connections and never answers them.
kill_cleanup() {
	local pid
	pid=$(daemon_pid)
	if [[ -z $pid ]] || pid_gone "$pid"; then
		timeout -k 5 60 "$UBR" recover >/dev/null 2>&1 || true
	fi
	timeout -k 5 60 "$UBR" stop --delete >/dev/null 2>&1 || true
}

# A free device ID, for a disk that readers must know before add ends.
free_id() {
	local i
	for ((i = 0; i < 64; i++)); do
		[[ -e /dev/ublkc$i || -e /sys/block/ublkb$i ]] || { echo "$i"; return; }
	done
	fail "no free ublk device ID"
}

# READERS readers of 4 KiB O_DIRECT reads on DEV, from the moment the disk
# appears until $STOP exists, so that requests are in flight at any time.
# Each reader touches $STOP.N when it ends.
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
	{ read -r r w <"/sys/block/ublkb$1/inflight"; } 2>/dev/null || return 1
	((r + w > 0))
}

# A thread of process PID, or of a child of it, sleeps uninterruptibly: the
# daemon's call waiting for the frozen queue to drain (on an io_uring
# worker of the daemon before the fix; after, in a helper process, or on
# the helper's own io_uring worker for STOP_DEV). A thread's stat gives its
# process's parent.
drain_waiting() { # PID
	local f st a
	for f in /proc/[0-9]*/task/[0-9]*/stat; do
		read -r st <"$f" 2>/dev/null || continue
		read -r -a a <<<"${st##*) }" # a[0] state, a[1] ppid
		[[ ${a[0]} == D ]] || continue
		[[ $f == /proc/"$1"/task/* || ${a[1]} == "$1" ]] && return 0
	done
	return 1
}

# The window: a request in flight, and the daemon's call waiting for it.
in_window() { # ID PID
	in_flight "$1" && drain_waiting "$2"
}

# wait_window ID: wait for it (the delayed request lasts 10 s).
wait_window() {
	wait_for 9 in_window "$1" "$(daemon_pid)" ||
		fail "no call of the daemon's waited on a request in flight within 9 s (inflight: $(cat "/sys/block/ublkb$1/inflight"))"
	echo "window: inflight $(cat "/sys/block/ublkb$1/inflight"), a call waits"
}

# What every task of process PID waits in (for a daemon that will not die).
show_stuck() { # PID
	local t
	for t in /proc/"$1"/task/*; do
		echo "  task ${t##*/} $(cat "$t/comm" 2>/dev/null): $(cut -d' ' -f3 "$t/stat" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)"
	done
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

# del_dead ID: `del` deletes the dead device (no process serves it).
del_dead() {
	timeout -k 5 60 "$UBR" del "$1" || fail "del of dead device $1 failed"
	[[ ! -e /dev/ublkc$1 ]] || fail "/dev/ublkc$1 still there after del"
}
