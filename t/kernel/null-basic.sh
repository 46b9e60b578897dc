#!/bin/bash
# The null target end to end: `add null` prints /dev/ublkbN alone and the
# device serves fio (io_uring, O_DIRECT, 4k random reads and writes); list
# and list --json show it; one daemon process with one user thread; del
# removes it; SIGTERM to a foreground daemon deletes its devices and exits 0.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
require_program jq

# A run directory of our own: no other test's daemon in the way.
private_daemon


fio_on() { # fio_on DEV RW
	run_fio --name="$2" --filename="$1" --ioengine=io_uring --direct=1 \
		--bs=4k --rw="$2" --iodepth=32 --time_based --runtime=3 \
		--output-format=json
	(($(fio_total_ios) > 0)) || fail "fio $2 on $1 did no I/O"
}

# --- add: the path alone on stdout, the device serving at once ---------------
check_exit 0 "$UBR" add null
[[ $(wc -l <"$OUT") == 1 ]] || fail "add printed more than one line"
dev=$(cat "$OUT")
[[ $dev =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add printed '$dev', not /dev/ublkbN"
id=${BASH_REMATCH[1]}
[[ -b $dev ]] || fail "$dev is not a block device once add returned"
[[ -s $ERR ]] && fail "add wrote to stderr"

pid=$(daemon_pid)
[[ -n $pid ]] && kill -0 "$pid" || fail "no daemon pid in $UBR_LOCK"

fio_on "$dev" randread
fio_on "$dev" randwrite

# --- one process, one user thread, for several devices ---------------------
check_exit 0 "$UBR" add null -q 2 -d 64 --size 1G
dev2=$(cat "$OUT")
[[ -b $dev2 ]] || fail "second device $dev2 missing"
[[ $(daemon_pid) == "$pid" ]] || fail "a second daemon started"
threads=$(user_threads "$pid")
[[ $threads == 1 ]] || fail "the daemon has $threads user threads, not 1"

# --- list and list --json ----------------------------------------------------
check_exit 0 "$UBR" list
head -n1 "$OUT" | grep -q '^ID  *DEVICE  *TARGET  *STATE  *QUEUES  *DEPTH  *SIZE  *COPY  *MEMORY' ||
	fail "list has no header"
grep -Eq "^$id +$dev +null +live +1 +128 +250G " "$OUT" || fail "list lacks $dev"
grep -Eq "^${dev2#/dev/ublkb} +$dev2 +null +live +2 +64 +1G " "$OUT" ||
	fail "list lacks $dev2"

check_exit 0 "$UBR" list --json
# jq, not python: interpreter start-up over 9p costs half a minute in TCG.
jq -e --argjson id "$id" '
	.devices as $all | ($all | map(select(.id == $id)) | first) as $d |
	$d != null and $d.device == "/dev/ublkb\($id)" and
	$d.target == "null" and $d.state == "live" and
	$d.queues == 1 and $d.depth == 128 and $d.size == 268435456000 and
	($d.copy_mode | IN("buffer", "user", "zero")) and
	($d.memory | type == "number" and . > 0)' "$OUT" >/dev/null ||
	fail "list --json is wrong"

# --- del -------------------------------------------------------------------
check_exit 0 "$UBR" del "$id"
[[ -e $dev ]] && fail "$dev still exists after del"
check_exit 0 "$UBR" list
grep -q "/dev/ublkb$id " "$OUT" && fail "list still shows $dev"
check_exit 0 "$UBR" del --all
[[ -e $dev2 ]] && fail "$dev2 still exists after del --all"

# --- SIGTERM deletes every device and exits 0 --------------------------------
stop_daemon
pid_gone "$pid" || fail "daemon $pid did not exit on SIGTERM"
foreground_daemon "$UBR_SCRATCH/daemon.log"
check_exit 0 "$UBR" add null
a=$(cat "$OUT")
check_exit 0 "$UBR" add null -q 2
b=$(cat "$OUT")
kill -TERM "$FG_PID"
status=0
wait "$FG_PID" || status=$?
cat "$UBR_SCRATCH/daemon.log"
[[ $status == 0 ]] || fail "daemon exited $status after SIGTERM, not 0"
[[ -e $a || -e $b ]] && fail "devices left after SIGTERM: $(ls /dev/ublkb* 2>&1)"
[[ -e $UBLK_REACTOR_RUNDIR/ublk-reactor.sock ]] && fail "socket left after exit"
check_exit 1 "$UBR" list
grep -q "the daemon is not running" "$ERR" || fail "list after exit: wrong message"
echo "null-basic: ok"
