#!/bin/bash
# UBLK_REACTOR_POLL=busy: at iodepth 1 the daemon polls after every turn
# that reaped a completion (most turns poll, where the adaptive policy's
# turns mostly sleep: its own daemon, same load, is the contrast), the
# data is right (fio verify on a loop device), and once the I/O stops the
# daemon sleeps again (little CPU over seconds of idle). A value that is
# neither adaptive nor busy is logged and ignored.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
require_program jq
require_target loop "the loop target"

private_daemon
img=$UBR_SCRATCH/img
truncate -s 64M "$img"
log=$UBR_SCRATCH/daemon.log

counter() { # FIELD: the reactor's counter now
	"$UBR" stats --json >"$UBR_SCRATCH/stats.json" || fail "stats failed"
	jq -e ".reactor.$1" "$UBR_SCRATCH/stats.json" || fail "no reactor.$1 in stats"
}

# polled_share ENV...: percent of the loop's turns that polled during a
# verified iodepth-1 write and read of the device, in a daemon with ENV.
polled_share() {
	local dev t0 b0 t1 b1
	foreground_daemon "$log" "$@"
	dev=$("$UBR" add loop --copy-mode buffer "$img") || fail "add loop failed"
	t0=$(counter turns) b0=$(counter batched)
	run_fio --name=v --filename="$dev" --ioengine=io_uring --direct=1 \
		--bs=4k --rw=randwrite --iodepth=1 --size=8M --verify=crc32c \
		--verify_fatal=1
	t1=$(counter turns) b1=$(counter batched)
	((t1 > t0)) || fail "the loop did not turn"
	SHARE=$(((b1 - b0) * 100 / (t1 - t0)))
	echo "# $*: $((b1 - b0)) of $((t1 - t0)) turns polled"
}

polled_share UBLK_REACTOR_POLL=adaptive
adaptive=$SHARE
pid=$(daemon_pid)
check_exit 0 "$UBR" stop --delete
wait_for 60 pid_gone "$pid" || fail "the daemon did not stop"

polled_share UBLK_REACTOR_POLL=busy UBLK_REACTOR_MIN_WAIT_US=2000
busy=$SHARE
((adaptive < 25)) || fail "adaptive: $adaptive% of the turns polled at iodepth 1"
((busy > 50)) || fail "busy: only $busy% of the turns polled at iodepth 1"

# Idle, it sleeps: the daemon's CPU (utime + stime) over 3 s, in ticks.
pid=$(daemon_pid)
sleep 1
read -r -a s0 <"/proc/$pid/stat"
sleep 3
read -r -a s1 <"/proc/$pid/stat"
idle=$((s1[13] + s1[14] - s0[13] - s0[14]))
hz=$(getconf CLK_TCK)
echo "# busy, idle: $idle ticks of CPU in 3 s ($hz per s)"
((idle * 10 < 3 * hz)) || fail "busy: the idle daemon used $idle ticks in 3 s"
check_exit 0 "$UBR" stop --delete
wait_for 60 pid_gone "$pid" || fail "the daemon did not stop"

foreground_daemon "$log" UBLK_REACTOR_POLL=spin
grep -q "UBLK_REACTOR_POLL=spin is not adaptive or busy: ignored" "$log" ||
	fail "no warning for UBLK_REACTOR_POLL=spin: $(cat "$log")"
echo "ok"
