#!/bin/bash
# Proves the VM harness itself, without ublk-reactor: ublk_drv is loaded,
# null_blk loads with test parameters, and fio (io_uring, O_DIRECT) does I/O
# on it, including a write + crc32c verify pass where the data is kept.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
require_program modinfo

[[ -c /dev/ublk-control ]] || fail "/dev/ublk-control is not a character device (ublk_drv not loaded?)"

params=(queue_mode=2 submit_queues=2 hw_queue_depth=128 gb=1)
# Only a memory-backed null_blk returns what was written, so only then can
# fio verify; otherwise the write pass just checks that writes complete.
verify=0
if null_blk_has_param memory_backed; then
	params+=(memory_backed=1)
	verify=1
fi
load_null_blk "${params[@]}"

common=(--filename="$NULLB" --ioengine=io_uring --direct=1 --bs=4k --output-format=json)

run_fio --name=randread "${common[@]}" --rw=randread --iodepth=32 --time_based --runtime=3
ios=$(fio_total_ios)
((ios > 0)) || fail "fio randread did no I/O"
echo "randread: $ios I/Os"

if ((verify)); then
	run_fio --name=verify "${common[@]}" --rw=randwrite --iodepth=16 --size=64m \
		--verify=crc32c --do_verify=1 --verify_fatal=1
else
	run_fio --name=randwrite "${common[@]}" --rw=randwrite --iodepth=16 --time_based --runtime=2
fi
ios=$(fio_total_ios)
((ios > 0)) || fail "fio write pass did no I/O"
echo "write pass (verify=$verify): $ios I/Os"
