#!/bin/bash
# Concurrent deletes under heavy I/O always finish. Each round: a loop, a
# stripe and a null device (2 queues, depth 128) under fio randrw at
# iodepth 256 (a libaio and an io_uring job each), then all three deleted
# at once: by one `del` of the three, or by three `del`s together. Every
# del must answer 0 within 150 s (they would hang for good before: a bound
# that only catches that), and every device must be gone from sysfs and
# /dev. Afterwards the daemon must still serve a new device. 20 rounds
# (UBR_DEL_ROUNDS): 4.5 to 8 minutes under TCG, by the host's load.
#
# The daemon runs its control commands on one io_uring worker
# (UBLK_REACTOR_IOWQ_WORKERS=1) and has a 16-entry SQ
# (UBLK_REACTOR_SQ_ENTRIES): a delete's STOP_DEV then waits for the one
# before it, which drains its device's I/O, while the reactor serves that
# I/O through the same SQ slots. That is the worst case for a kernel that
# reads a control command's SQE when its worker runs it (6.12), and it
# makes every round meet it. With the defaults this hung 3 rounds in 45.
# The loop and stripe devices are backed by null_blk disks: I/O to a
# block device never waits for a bounded worker, whereas a buffered write
# to a regular file may, and with one worker busy with a STOP_DEV that
# waits for that very write the daemon would deadlock.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
require_target stripe "the loop and stripe targets"
ROUNDS=${UBR_DEL_ROUNDS:-20}
DEL_BOUND=150

private_daemon
export UBLK_REACTOR_SQ_ENTRIES=16 UBLK_REACTOR_IOWQ_WORKERS=1
log=$UBR_SCRATCH/daemon.log
foreground_daemon "$log" --verbose

load_null_blk nr_devices=3 gb=1
wait_for 10 test -b /dev/nullb2 || fail "/dev/nullb2 did not appear"

add() { # TARGET ARGS...: the new device's ID in $ID
	local dev
	dev=$("$UBR" add "$@" --queues 2 --depth 128) || fail "add $* failed"
	[[ $dev =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add $* printed '$dev'"
	ID=${BASH_REMATCH[1]}
}

fio_jobs() { # DEV...: a libaio and an io_uring job per device
	local d e
	for d in "$@"; do
		for e in libaio io_uring; do
			echo "--name=${d##*/}-$e --filename=$d --ioengine=$e"
		done
	done
}

writes_done() { # DEV: writes the block device has completed
	local s
	read -r -a s <"/sys/block/${1##*/}/stat"
	echo "${s[4]}"
}

# fio writes to each device. (Reads would count the partition scan's too:
# under TCG fio takes over a second to start.)
all_busy() { # DEV...
	local d
	for d in "$@"; do
		(($(writes_done "$d") > 0)) || return 1
	done
}

gone() { # ID...: no trace left in sysfs and /dev
	local i
	for i in "$@"; do
		[[ ! -e /sys/block/ublkb$i && ! -e /dev/ublkb$i &&
			! -e /dev/ublkc$i && ! -e /sys/class/ublk-char/ublkc$i ]] ||
			return 1
	done
}

show_state() {
	echo "--- list:"
	"$UBR" list || true
	echo "--- ublk in sysfs:"
	ls /sys/block /sys/class/ublk-char 2>/dev/null | grep ublk || true
	echo "--- daemon log (control commands, errors):"
	grep -E 'STOP_DEV|DEL_DEV|GET_DEV_INFO|error|warn|still' "$log" | tail -n 40 || true
}

round() {
	local ids=() devs=() pids=() dels i rc fio_pid
	add loop /dev/nullb0
	ids+=("$ID")
	add stripe /dev/nullb1 /dev/nullb2
	ids+=("$ID")
	add null --size 1G
	ids+=("$ID")
	for i in "${ids[@]}"; do
		devs+=("/dev/ublkb$i")
	done
	# shellcheck disable=SC2046 # one word per option
	fio --rw=randrw --bs=4k --direct=1 --iodepth=256 --time_based \
		--runtime=120 --group_reporting $(fio_jobs "${devs[@]}") \
		>"$UBR_SCRATCH/fio.log" 2>&1 &
	fio_pid=$!
	wait_for 60 all_busy "${devs[@]}" || fail "fio did no I/O on ${devs[*]} in 60 s"
	# Odd rounds: one del of all three, whose STOP_DEVs go in one submit
	# and wait together for io_uring workers. Even rounds: three dels at
	# once, as three users would.
	if (($1 % 2)); then
		dels=("${ids[*]}")
	else
		dels=("${ids[@]}")
	fi
	# fio has them open: only --force deletes a device in use.
	for i in "${dels[@]}"; do
		# shellcheck disable=SC2086 # the IDs of one del, split
		timeout "$DEL_BOUND" "$UBR" del --force $i >"$UBR_SCRATCH/del.${i// /-}" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[i]}" || rc=$?
		if ((rc != 0)); then
			cat "$UBR_SCRATCH/del.${dels[i]// /-}"
			show_state
			((rc == 124)) && fail "round $1: del ${dels[i]} did not answer in $DEL_BOUND s"
			fail "round $1: del ${dels[i]} exited $rc"
		fi
	done
	# fio fails on the vanished devices (its runtime bounds it): only its
	# end matters here.
	wait "$fio_pid" || true
	wait_for 10 gone "${ids[@]}" || { show_state; fail "round $1: ${ids[*]} left traces"; }
}

for ((n = 1; n <= ROUNDS; n++)); do
	round "$n"
	echo "round $n: deleted 3 devices under fio"
done

# The daemon still serves: a fourth device reads back what it was written.
# Its backing is a kernel loop device over a tmpfs file, for the reason
# above.
dd if=/dev/urandom of="$UBR_SCRATCH/pattern" bs=64k count=16 status=none
truncate -s 64M "$UBR_SCRATCH/loop.img"
kloop=$(losetup -f --show "$UBR_SCRATCH/loop.img") || fail "losetup failed"
on_exit losetup -d "$kloop"
add loop "$kloop"
dd if="$UBR_SCRATCH/pattern" of="/dev/ublkb$ID" bs=64k oflag=direct status=none ||
	fail "write to /dev/ublkb$ID failed"
cmp -n $((1 << 20)) "$UBR_SCRATCH/pattern" "/dev/ublkb$ID" ||
	fail "/dev/ublkb$ID does not read back what was written"
echo "$ROUNDS rounds: every del answered, every device gone; the daemon still serves"
