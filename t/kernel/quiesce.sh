#!/bin/bash
# quiesce and resume (UBLK_F_QUIESCE): a loop device is quiesced and resumed
# again and again while fio writes at random and verifies (crc32c) what it
# wrote, in every copy mode and over a slow backing device: no I/O error,
# every block checks. While quiesced, a read waits (the kernel holds it)
# and completes after resume; list says "quiesced"; a second quiesce or
# resume does nothing. A quiesced device can be deleted, which fails the
# read it held, and the daemon's stop deletes one too. A kernel without
# UBLK_F_QUIESCE refuses both commands, naming the feature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio

add_dev null --size 1G
if ! has_feature QUIESCE; then
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

# --- under fio with verify, in every copy mode ------------------------------
# quiesce_under_fio MODE FILE: fio writes at random to a loop device over
# FILE for 4 s, verifying as it goes and at the end, while the device is
# quiesced and resumed over and over.
quiesce_under_fio() {
	local fio_log=$UBR_SCRATCH/fio-quiesce.log fio_pid fio_status=0 cycles=0
	add_dev loop --copy-mode "$1" "$2"
	fio --name=qv --filename="$DEV" --ioengine=io_uring --direct=1 \
		--iodepth=16 --rw=randwrite --bs=4k --size="$size" \
		--verify=crc32c --do_verify=1 --verify_backlog=512 \
		--verify_fatal=1 --time_based --runtime=4 >"$fio_log" 2>&1 &
	fio_pid=$!
	sleep 0.5
	while kill -0 "$fio_pid" 2>/dev/null; do
		check_exit 0 "$UBR" quiesce "$DEV_ID"
		sleep 0.2
		check_exit 0 "$UBR" resume "$DEV_ID"
		cycles=$((cycles + 1))
		sleep 0.2
	done
	wait "$fio_pid" || fio_status=$?
	cat "$fio_log"
	((fio_status == 0)) || fail "fio failed across $cycles quiesce/resume cycles in copy mode $1"
	grep -q "err= 0" "$fio_log" || fail "fio reports errors in copy mode $1"
	((cycles > 0)) || fail "fio ended before any quiesce in copy mode $1"
	echo "copy mode $1, $2: $cycles quiesce/resume cycles under fio, no error"
	del_dev "$DEV_ID"
}

modes=($(copy_modes))
if has_feature NEED_GET_DATA; then modes+=(get-data); fi
for mode in "${modes[@]}"; do
	quiesce_under_fio "$mode" "$img"
done

# A backing device that takes 100 ms per request (null_blk, memory-backed):
# requests are still with the target when QUIESCE_DEV answers, so their
# commits re-arm fetches that another round must take back.
load_null_blk nr_devices=1 gb=1 memory_backed=1 irqmode=2 completion_nsec=100000000
size=$((8 << 20))
quiesce_under_fio buffer "$NULLB"
size=$((24 << 20))
add_dev loop "$img"

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
# dd has the disk open: only --force deletes a device in use.
check_exit 0 "$UBR" del --force "$DEV_ID"
[[ ! -e /dev/ublkb$DEV_ID ]] || fail "/dev/ublkb$DEV_ID still exists after del --force"
if wait "$dd_pid"; then
	fail "a read held by a deleted device succeeded"
fi

# --- the daemon stops (SIGTERM) with a quiesced device: deleted too --------
add_dev null --size 1G
check_exit 0 "$UBR" quiesce "$DEV_ID"
pid=$(daemon_pid)
kill -TERM "$pid"
wait_for 30 pid_gone "$pid" || fail "the daemon did not stop with a quiesced device"
[[ ! -e $DEV ]] || fail "$DEV outlived the daemon's stop"
echo "quiesce: ok"
