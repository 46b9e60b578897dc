#!/bin/bash
# Data integrity of the loop target: fio writes at random with bs 4k, 64k
# and 1M (iodepth 32), then reads every block back and checks its crc32c,
# in each copy mode the kernel offers, on a file with O_DIRECT (ext4), on a
# buffered file, and on a block device with 4K sectors (whose block size the
# device takes). After a del and a new add in another copy mode, the data
# is still there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio

size=$((60 << 20))
ext4_scratch "$UBR_SCRATCH/ext4" 256M
img=$UBR_SCRATCH/ext4/loop.img
filled_file "$img" "$size"

modes=($(copy_modes))
echo "copy modes: ${modes[*]}"
for mode in "${modes[@]}"; do
	add_dev loop --copy-mode "$mode" "$img"
	expect_in_list "$DEV_ID" "$img (direct)"
	expect_in_list "$DEV_ID" " $mode "
	fio_verify "$DEV" "$size"
	del_dev "$DEV_ID"
done

# What the last mode wrote, read back through the first mode.
add_dev loop --copy-mode "${modes[0]}" "$img"
fio_verify_only "$DEV" "$size"
del_dev "$DEV_ID"

add_dev loop --buffered "$img"
expect_in_list "$DEV_ID" "$img (buffered)"
fio_verify "$DEV" "$size"
del_dev "$DEV_ID"

# A block device with 4K sectors: the ublk device gets 4K blocks too.
blkimg=$UBR_SCRATCH/blk.img
truncate -s "$size" "$blkimg"
bdev=$(losetup -f --show --sector-size 4096 "$blkimg") || fail "losetup failed"
on_exit losetup -d "$bdev"
add_dev loop "$bdev"
lbs=$(cat "/sys/block/ublkb$DEV_ID/queue/logical_block_size")
[[ $lbs == 4096 ]] || fail "logical block size $lbs over a 4K-sector device"
[[ $(blockdev --getsize64 "$DEV") == "$size" ]] || fail "size differs from $bdev's"
expect_in_list "$DEV_ID" "$bdev (direct)"
fio_verify "$DEV" "$size"
del_dev "$DEV_ID"
echo "loop-verify: ok"
