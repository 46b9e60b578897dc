#!/bin/bash
# quiesce and resume (UBLK_F_QUIESCE): a loop device is quiesced and resumed
# again and again while fio writes at random and verifies (crc32c) what it
# wrote: no I/O error, every block checks. While quiesced, a read waits
# (the kernel holds it) and completes after resume; list says "quiesced";
# a second quiesce or resume does nothing. A quiesced device can be
# deleted, which fails the read it held. A kernel without UBLK_F_QUIESCE
# refuses both commands, naming the feature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio

add_dev null --size 1G
if ! "$UBR" features | grep -qw QUIESCE; then
	expect_fail_msg "UBLK_F_QUIESCE" "$UBR" quiesce "$DEV_ID"
	expect_fail_msg "UBLK_F_QUIESCE" "$UBR" resume "$DEV_ID"
	skip "kernel $(uname -r) lacks QUIESCE (refused as it should be)"
fi
check_exit 0 "$UBR" quiesce "$DEV_ID"
expect_in_list "$DEV_ID" " quiesced "
check_exit 0 "$UBR" resume "$DEV_ID"
expect_in_list "$DEV_ID" " live "
del_dev "$DEV_ID"

size=$((24 << 20))
img=$UBR_SCRATCH/quiesce.img
filled_file "$img" "$size"
add_dev loop "$img"

# --- under fio with verify ----------------------------------------------------
fio_log=$UBR_SCRATCH/fio-quiesce.log
fio --name=qv --filename="$DEV" --ioengine=io_uring --direct=1 --iodepth=16 \
	--rw=randwrite --bs=4k --size="$size" --verify=crc32c --do_verify=1 \
	--verify_backlog=512 --verify_fatal=1 --time_based --runtime=6 \
	>"$fio_log" 2>&1 &
fio_pid=$!
cycles=0
sleep 1
while kill -0 "$fio_pid" 2>/dev/null; do
	check_exit 0 "$UBR" quiesce "$DEV_ID"
	sleep 0.3
	check_exit 0 "$UBR" resume "$DEV_ID"
	cycles=$((cycles + 1))
	sleep 0.3
done
fio_status=0
wait "$fio_pid" || fio_status=$?
cat "$fio_log"
((fio_status == 0)) || fail "fio failed across $cycles quiesce/resume cycles"
grep -q "err= 0" "$fio_log" || fail "fio reports errors"
((cycles > 0)) || fail "fio ended before any quiesce"
echo "$cycles quiesce/resume cycles under fio"

# --- held while quiesced, served after resume -------------------------------
check_exit 0 "$UBR" quiesce "$DEV_ID"
check_exit 0 "$UBR" quiesce "$DEV_ID" # nothing to do
expect_in_list "$DEV_ID" " quiesced "
dd if="$DEV" of=/dev/null bs=4k count=1 iflag=direct status=none &
dd_pid=$!
sleep 1
kill -0 "$dd_pid" 2>/dev/null || fail "a read completed on a quiesced device"
check_exit 0 "$UBR" resume "$DEV_ID"
wait "$dd_pid" || fail "the read held while quiesced failed after resume"
check_exit 0 "$UBR" resume "$DEV_ID" # nothing to do
expect_in_list "$DEV_ID" " live "

# --- deleted while quiesced: the held read fails, the device goes ---------
check_exit 0 "$UBR" quiesce "$DEV_ID"
dd if="$DEV" of=/dev/null bs=4k count=1 iflag=direct status=none &
dd_pid=$!
sleep 0.5
del_dev "$DEV_ID"
if wait "$dd_pid"; then
	fail "a read held by a deleted device succeeded"
fi
echo "quiesce: ok"
