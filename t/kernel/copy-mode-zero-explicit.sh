#!/bin/bash
# Explicit zero copy (UBLK_F_SUPPORT_ZERO_COPY): the daemon registers each
# request's pages in the ring itself before the target's I/O and lets go
# of them before the commit. fio writes at random (bs 4k, 64k, 1M) to a
# loop device and to a two-file stripe (a request split into pieces, each
# a fixed-buffer I/O of the one registration) in that mode and reads every
# block back (crc32c); the file then holds the same data through a device
# in buffer mode. null, which stores nothing, serves randrw with no error.
# auto never picks the mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_program jq
require_feature ZERO_COPY

size=$((30 << 20))
img=$UBR_SCRATCH/zc.img
filled_file "$img" "$size"

# What zero-explicit writes is in the file: read back in buffer mode.
loop_mode_roundtrip zero-explicit "$img" "$size"

filled_file "$UBR_SCRATCH/s0.img" "$size"
filled_file "$UBR_SCRATCH/s1.img" "$size"
add_dev stripe --copy-mode zero-explicit --chunk-size 4K \
	"$UBR_SCRATCH/s0.img" "$UBR_SCRATCH/s1.img"
expect_in_list "$DEV_ID" " zero-explicit "
fio_verify "$DEV" "$size"
del_dev "$DEV_ID"

add_dev null --copy-mode zero-explicit --size 1G
expect_in_list "$DEV_ID" " zero-explicit "
run_fio --name=rw --filename="$DEV" --ioengine=io_uring --direct=1 \
	--rw=randrw --bs=4k --iodepth=16 --time_based --runtime=2
check_exit 0 "$UBR" stats --json "$DEV_ID"
errors=$(jq '.devices[0].errors' "$OUT")
((errors == 0)) || fail "null in zero-explicit: $errors errors"
del_dev "$DEV_ID"

# What the explicit registration costs: 4K random reads at depth 64 from
# a file in memory, in zero and zero-explicit mode (a measure, no bound).
for mode in $(copy_modes); do
	[[ $mode == zero* ]] || continue
	add_dev loop --copy-mode "$mode" "$img"
	run_fio --name=rr --filename="$DEV" --ioengine=io_uring --direct=1 \
		--rw=randread --bs=4k --iodepth=64 --time_based --runtime=3 \
		--output-format=json
	echo "measure: loop $mode 4k randread qd64 IOPS: $(jq '.jobs[0].read.iops | floor' "$FIO_JSON")"
	del_dev "$DEV_ID"
done

# auto keeps to zero (or user, buffer): explicit is only when asked.
add_dev loop "$img"
! list_says "$DEV_ID" " zero-explicit " || fail "auto chose zero-explicit"
del_dev "$DEV_ID"
echo "copy-mode-zero-explicit: ok"
