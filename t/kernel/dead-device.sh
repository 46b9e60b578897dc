#!/bin/bash
# A daemon killed with --recovery off leaves its device in the kernel
# (/dev/ublkcN, DEAD or still LIVE until the kernel notices). list shows
# it as dead and del removes it, with no daemon running and with one
# serving another device, which keeps its data. add --id on its ID points
# to del. A device another live process serves (a second daemon with its
# own run directory) is listed with its pid and refused by del, unless
# --force; del --all takes the dead ones and leaves the other's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_root
require_program jq
private_daemon
RUN_A=$UBLK_REACTOR_RUNDIR
RUN_B=$RUN_A-other

# In run directory B: a second daemon, its own process. Killed at exit.
ubr_b() {
	UBLK_REACTOR_RUNDIR=$RUN_B "$UBR" "$@"
}
pid_b() {
	cat "$RUN_B/ublk-reactor.lock" 2>/dev/null || true
}
kill_b() {
	local pid
	pid=$(pid_b)
	[[ -n $pid ]] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait_for 30 pid_gone "$pid" || fail "daemon $pid survived SIGKILL"
}
on_exit kill_b

# dead_device: a null device whose daemon (in B) was killed: $DEAD_ID.
dead_device() {
	check_exit 0 ubr_b add null --recovery off
	[[ $(cat "$OUT") =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add printed $(cat "$OUT")"
	DEAD_ID=${BASH_REMATCH[1]}
	kill_b
	[[ -e /sys/class/ublk-char/ublkc$DEAD_ID ]] ||
		fail "the kernel dropped device $DEAD_ID by itself: nothing to test"
}

# gone ID: the kernel has no device ID any more, in sysfs nor in /dev.
gone() {
	[[ ! -e /sys/class/ublk-char/ublkc$1 && ! -e /dev/ublkc$1 &&
		! -e /dev/ublkb$1 ]]
}

# list_has ID REGEX: the text list's line for ID matches REGEX.
list_has() {
	check_exit 0 "$UBR" list
	grep -qE "^$1 .*$2" "$OUT" || fail "list: device $1 does not match '$2'"
}

# checksum ID: md5 of device ID's data, read past the page cache.
checksum() {
	dd if="/dev/ublkb$1" bs=1M iflag=direct status=none | md5sum
}

# json_owner ID: the owner list --json gives device ID.
json_owner() {
	"$UBR" list --json | jq -r ".devices[] | select(.id == $1) | .owner"
}

# --- (a) no daemon: list shows the dead device, del removes it ---------------
dead_device
list_has "$DEAD_ID" "not ours: dead"
[[ $(json_owner "$DEAD_ID") == dead ]] || fail "list --json: device $DEAD_ID is not dead"
check_exit 0 "$UBR" del "$DEAD_ID"
gone "$DEAD_ID" || fail "del without a daemon left device $DEAD_ID"
[[ -z $(daemon_pid) ]] || fail "del started a daemon"

# --- (b) a daemon serving another device ---------------------------------------
dead_device
img=$UBR_SCRATCH/other.img
truncate -s 32M "$img"
add_dev loop "$img"
other=$DEV_ID
dd if=/dev/urandom of="$DEV" bs=1M count=32 oflag=direct status=none
sum=$(checksum "$other")

list_has "$DEAD_ID" "not ours: dead"
list_has "$other" " loop "
got=$("$UBR" list --json | jq -r ".devices[] | select(.id == $other) | .owner + \" \" + .kernel_state")
[[ $got == "ours LIVE" ]] || fail "list --json: device $other is '$got', not 'ours LIVE'"
expect_fail_msg "'ublk-reactor del $DEAD_ID' removes it" "$UBR" add null --id "$DEAD_ID"
check_exit 0 "$UBR" del "$DEAD_ID"
gone "$DEAD_ID" || fail "del with a daemon left device $DEAD_ID"
[[ $(checksum "$other") == "$sum" ]] || fail "device $other lost its data"

# A live device of another process: listed with its pid, del needs --force.
check_exit 0 ubr_b add null
[[ $(cat "$OUT") =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add printed $(cat "$OUT")"
live=${BASH_REMATCH[1]}
pb=$(pid_b)
list_has "$live" "served by pid $pb \\($(cat /proc/"$pb"/comm)\\)"
[[ $(json_owner "$live") == other ]] || fail "list --json: device $live is not another's"
expect_fail_msg "served by another process, pid $pb" "$UBR" del "$live"
[[ -b /dev/ublkb$live ]] || fail "a refused del removed device $live"

# del --all: the dead one goes with this daemon's own; the one kept for
# its own daemon's recovery (B's first device, B killed in dead_device)
# stays, and so does a live one of another process.
dead_device
orphan=$live
list_has "$orphan" "not ours: no server, kept for its recovery"
check_exit 0 ubr_b add null --recovery off
[[ $(cat "$OUT") =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add printed $(cat "$OUT")"
live=${BASH_REMATCH[1]}
[[ $(checksum "$other") == "$sum" ]] || fail "device $other lost its data"
check_exit 0 "$UBR" del --all
gone "$DEAD_ID" || fail "del --all left dead device $DEAD_ID"
gone "$other" || fail "del --all left device $other"
[[ -b /dev/ublkb$live ]] || fail "del --all removed device $live of another process"
[[ -e /sys/class/ublk-char/ublkc$orphan ]] || fail "del --all removed device $orphan, kept for recovery"
check_exit 0 "$UBR" del "$orphan"
gone "$orphan" || fail "del left device $orphan"

# --force takes it: its daemon sees the device stopped and lets it go
# (DEL_DEV waits for that: bounded, so that a hang fails here).
check_exit 0 timeout 60 "$UBR" del --force "$live"
gone "$live" || fail "del --force left device $live"
echo "dead-device: ok"
