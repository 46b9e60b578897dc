#!/bin/bash
# Control commands never stall I/O: while fio runs on one device, other
# devices are added (START_DEV and the partition scan run meanwhile) and
# deleted (STOP_DEV drains them) over and over. fio must see no error and
# no request slower than 5 s (--max_latency fails the job otherwise), and
# must keep completing I/O: never two seconds in a row without any. (The
# bounds are loose on purpose: they catch a stall behind a control command,
# not the noise of a loaded host under emulation.)
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
private_daemon

busy=$("$UBR" add null --queues 2 --size 1G)
log=$UBR_SCRATCH/iops
fio --name=busy --filename="$busy" --ioengine=io_uring --direct=1 --bs=4k \
	--rw=randrw --iodepth=16 --time_based --runtime=20 --max_latency=5s \
	--write_iops_log="$log" --log_avg_msec=1000 >"$UBR_SCRATCH/fio.out" 2>&1 &
fio_pid=$!
on_exit kill "$fio_pid"

cycles=0
while kill -0 "$fio_pid" 2>/dev/null && ((cycles < 40)); do
	dev=$("$UBR" add null --queues 2 --size 64M) || fail "add during I/O failed"
	# Some I/O on the new device too, then delete it.
	dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none ||
		fail "read from $dev failed"
	"$UBR" del "${dev#/dev/ublkb}" || fail "del during I/O failed"
	cycles=$((cycles + 1))
done
status=0
wait "$fio_pid" || status=$?
cat "$UBR_SCRATCH/fio.out"
((status == 0)) || fail "fio on $busy failed (exit $status) while devices came and went"
((cycles >= 3)) || fail "only $cycles add/del cycles ran during fio"
# No two one-second intervals in a row of the iops log without I/O.
gaps=$(awk -F, '$2 + 0 == 0 { if (prev) n++; prev = 1; next } { prev = 0 } END { print n + 0 }' "$log"_iops.*.log)
((gaps == 0)) || fail "$gaps times two seconds in a row without I/O on $busy"
echo "$cycles add/del cycles during 20 s of fio: no error, no stall"
