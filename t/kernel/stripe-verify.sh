#!/bin/bash
# Data integrity of the stripe target: fio writes at random with bs 4k, 64k
# and 1M (iodepth 32) and checks every block's crc32c, in each copy mode the
# kernel offers, over 3 files with 4K chunks (a 1M request is cut into many
# pieces, most on the same member), then over 2 buffered files with the
# default 64K chunk and 4 files with 1M chunks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio

ext4_scratch "$UBR_SCRATCH/ext4" 320M
d=$UBR_SCRATCH/ext4
for i in 0 1 2 3; do
	filled_file "$d/m$i.img" $((20 << 20))
done
# A larger member: the device is the smallest one's chunks, times 3.
truncate -s $((21 << 20)) "$d/m2.img"

modes=($(copy_modes))
echo "copy modes: ${modes[*]}"
for mode in "${modes[@]}"; do
	add_dev stripe --copy-mode "$mode" --chunk-size 4K "$d/m0.img" \
		"$d/m1.img" "$d/m2.img"
	size=$(blockdev --getsize64 "$DEV")
	[[ $size == $((60 << 20)) ]] || fail "3 x 20M stripe has size $size"
	expect_in_list "$DEV_ID" "chunk 4K: $d/m0.img (direct), $d/m1.img (direct), $d/m2.img (direct)"
	fio_verify "$DEV" "$size"
	del_dev "$DEV_ID"
done

add_dev stripe --buffered "$d/m0.img" "$d/m1.img"
expect_in_list "$DEV_ID" "chunk 64K: $d/m0.img (buffered)"
fio_verify "$DEV" "$(blockdev --getsize64 "$DEV")"
del_dev "$DEV_ID"

add_dev stripe --chunk-size 1M "$d/m0.img" "$d/m1.img" "$d/m2.img" "$d/m3.img"
size=$(blockdev --getsize64 "$DEV")
[[ $size == $((80 << 20)) ]] || fail "4 x 20M stripe has size $size"
fio_verify "$DEV" "$size"
del_dev "$DEV_ID"
echo "stripe-verify: ok"
