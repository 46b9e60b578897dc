#!/bin/bash
# Batch I/O (add --batch-io on: UBLK_F_BATCH_IO, Linux 7.0). On a kernel
# without it, `--batch-io on` is refused with one line naming the feature,
# and the test skips. Otherwise: on is refused with the zero-explicit and
# get-data copy modes; then one loop device per copy mode the batch path
# serves (buffer, user, zero: as the kernel has them), 2 queues each, all
# on the one daemon at once: fio random writes, bs 4k and 64k, iodepth
# 32, each block read back and checked (crc32c) on every device together;
# SIGKILL under fio write-then-verify and `recover` (twice): the devices
# come back with batch I/O and fio's verify passes; quiesce is refused
# and a `stop` under fio drains instead, then `recover`, verified too;
# `del --force` of every device under I/O; zero copy's fallback
# registrations. A device added without the option uses no batch commands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio
require_program jq
on_exit recovery_cleanup

img=$UBR_SCRATCH/refused.img
truncate -s 8M "$img"
if ! has_feature BATCH_IO; then
	expect_fail_msg "--batch-io on is not available: the kernel lacks UBLK_F_BATCH_IO" \
		"$UBR" add loop --batch-io on "$img"
	[[ $(wc -l <"$ERR") == 1 ]] || fail "the refusal is not one line"
	skip "kernel $(uname -r) lacks BATCH_IO"
fi

# batch_io ID: the device's "batch_io" in list --json.
batch_io() {
	"$UBR" list --json | jq -r --argjson id "$1" '.devices[] | select(.id == $id) | .batch_io'
}

if has_feature ZERO_COPY; then
	expect_fail_msg "--batch-io on is not available: not with copy mode zero-explicit" \
		"$UBR" add loop --batch-io on --copy-mode zero-explicit "$img"
fi
if has_feature NEED_GET_DATA; then
	expect_fail_msg "--batch-io on is not available: not with copy mode get-data" \
		"$UBR" add loop --batch-io on --copy-mode get-data "$img"
fi
# Off by default; auto uses it where it can, and leaves it where not.
add_dev loop "$img"
[[ $(batch_io "$DEV_ID") == false ]] || fail "batch I/O without --batch-io"
del_dev "$DEV_ID"
add_dev loop --batch-io auto --copy-mode zero-explicit "$img"
[[ $(batch_io "$DEV_ID") == false ]] || fail "auto took batch I/O with zero-explicit"
del_dev "$DEV_ID"

modes=()
for m in $(copy_modes); do
	[[ $m == zero-explicit ]] || modes+=("$m")
done
echo "batch copy modes: ${modes[*]}"
size=$((32 << 20))
ids=() devs=() jobs=()
for m in "${modes[@]}"; do
	f=$UBR_SCRATCH/$m.img
	filled_file "$f" "$size"
	add_dev loop --batch-io on --queues 2 --copy-mode "$m" "$f"
	expect_in_list "$DEV_ID" " $m "
	[[ $(batch_io "$DEV_ID") == true ]] || fail "device $DEV_ID ($m) is not in batch I/O"
	ids+=("$DEV_ID") devs+=("$DEV")
	jobs+=(--name="$m-4k" --filename="$DEV" --bs=4k --offset=0
	       --name="$m-64k" --filename="$DEV" --bs=64k --offset=16M)
done

echo "--- fio verify, every device at once"
run_fio --ioengine=io_uring --direct=1 --iodepth=32 --rw=randwrite \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --size=16M \
	--output-format=json "${jobs[@]}"
jq -e '[.jobs[] | .error] | add == 0' "$FIO_JSON" >/dev/null || fail "fio reported errors"
jq -e '[.jobs[] | .read.io_bytes] | min > 0' "$FIO_JSON" >/dev/null ||
	fail "fio did not verify on every job"

for c in 1 2; do
	echo "--- kill -9 under fio, then recover ($c)"
	fio_write_verify_bg 16M "${devs[@]}"
	fio_wait_writing
	kill_daemon
	recover_all "${ids[@]}"
	fio_bg_check
	for id in "${ids[@]}"; do
		[[ $(batch_io "$id") == true ]] || fail "device $id lost batch I/O in recovery"
	done
done

# The kernel's QUIESCE_DEV fails a batch queue's new I/O (it aborts the
# fetch as a stop does): quiesce is refused, and stop drains instead.
if has_feature QUIESCE; then
	expect_fail_msg "device ${ids[0]} uses batch I/O: it cannot be quiesced" \
		"$UBR" quiesce "${ids[0]}"
fi
echo "--- stop under fio, then recover"
fio_write_verify_bg 16M "${devs[@]}"
fio_wait_writing
pid=$(daemon_pid)
check_exit 0 "$UBR" stop
wait_for 30 pid_gone "$pid" || fail "the daemon still runs after stop"
recover_all "${ids[@]}"
fio_bg_check

echo "--- del --force under I/O"
fio_write_verify_bg 64M "${devs[@]}"
fio_wait_writing
for id in "${ids[@]}"; do
	check_exit 0 timeout 150 "$UBR" del --force "$id"
	[[ ! -e /dev/ublkb$id ]] || fail "/dev/ublkb$id still exists after del"
done
wait "$FIO_PID" || true
# The daemon serves on: a new batch device works.
add_dev loop --batch-io on --queues 2 "$UBR_SCRATCH/${modes[0]}.img"
run_fio --filename="$DEV" --ioengine=io_uring --direct=1 --iodepth=32 \
	--rw=randwrite --bs=4k --size=4M --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --name=after
del_dev "$DEV_ID"

# Zero copy's fallback through the batch commands: a test daemon names a
# bad slot in every third element (UBLK_REACTOR_ZC_MISS_EVERY), the kernel
# hands those requests over with NEED_REG_BUF, and the daemon registers
# them itself (see copy-mode-zero-fallback.sh).
if [[ " ${modes[*]} " == *" zero "* ]] && has_feature ZERO_COPY; then
	echo "--- zero copy fallback registrations"
	stop_daemon
	export UBLK_REACTOR_ZC_MISS_EVERY=3
	add_dev loop --batch-io on --queues 2 --copy-mode zero "$UBR_SCRATCH/zero.img"
	[[ $(batch_io "$DEV_ID") == true ]] || fail "device $DEV_ID is not in batch I/O"
	fio_verify "$DEV" "$size"
	expect_fallbacks "$DEV_ID" "batch fallback registrations"
	del_dev "$DEV_ID"
	unset UBLK_REACTOR_ZC_MISS_EVERY
fi
echo "batch-io: ok"
