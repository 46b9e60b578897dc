#!/bin/bash
# Discard and write-zeroes on the loop target, on ext4 (O_DIRECT) and on
# tmpfs (which cannot zero a range, only punch): the device advertises them,
# a discarded range reads as zeros and the backing file's allocated blocks
# shrink; write-zeroes (blkdiscard -z: NOUNMAP) reads zeros and keeps the
# blocks, a punch through the device (fallocate -p: may unmap) frees them;
# data around the ranges is untouched. Also: the stripe target discards on
# every member.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program blkdiscard
require_program fallocate

M=$((1 << 20))

blocks() { # allocated 512-byte blocks of a file
	stat -c %b "$1"
}

# freed BEFORE AFTER BYTES: about BYTES worth of blocks were freed (the file
# system may allocate a block or two of its own meanwhile).
freed() {
	(($1 - $2 >= $3 / 512 * 15 / 16))
}

zeros() { # zeros DEV OFF LEN: the range reads as zeros
	cmp -n "$3" <(dd if="$1" bs=64K skip="$2" count=$(($3 / 65536)) \
		iflag=direct,skip_bytes status=none) /dev/zero ||
		fail "$1: [$2, +$3) is not zeros"
}

sum_range() { # sha256 of [OFF, +LEN) of DEV
	dd if="$1" bs=64K skip="$2" count=$(($3 / 65536)) iflag=direct,skip_bytes \
		status=none | sha256sum
}

check_file() { # check_file IMG: discard, write zeroes, punch on its device
	local img=$1 before after head tail
	filled_file "$img" $((32 * M))
	add_dev loop "$img"
	local q=/sys/block/ublkb$DEV_ID/queue
	(($(cat $q/discard_max_bytes) >= 32 * M)) || fail "discard_max_bytes $(cat $q/discard_max_bytes)"
	(($(cat $q/write_zeroes_max_bytes) >= 32 * M)) || fail "write_zeroes_max_bytes"
	[[ $(cat $q/write_cache) == "write back" ]] || fail "no volatile write cache advertised"
	[[ $(cat $q/fua) == 1 ]] || fail "no FUA advertised"

	dd if=/dev/urandom of="$DEV" bs=1M count=32 oflag=direct status=none
	sync
	head=$(sum_range "$DEV" 0 $((4 * M)))
	tail=$(sum_range "$DEV" $((28 * M)) $((4 * M)))
	before=$(blocks "$img")

	blkdiscard -o $((4 * M)) -l $((8 * M)) "$DEV"
	zeros "$DEV" $((4 * M)) $((8 * M))
	after=$(blocks "$img")
	echo "discard 8M: $before -> $after blocks"
	freed "$before" "$after" $((8 * M)) || fail "discarding 8M freed $((before - after)) blocks"

	before=$after
	blkdiscard -z -o $((16 * M)) -l $((4 * M)) "$DEV"
	zeros "$DEV" $((16 * M)) $((4 * M))
	echo "write zeroes 4M (NOUNMAP): $before -> $(blocks "$img") blocks"

	before=$(blocks "$img")
	fallocate -p -o $((20 * M)) -l $((4 * M)) "$DEV"
	zeros "$DEV" $((20 * M)) $((4 * M))
	after=$(blocks "$img")
	echo "punch 4M: $before -> $after blocks"
	freed "$before" "$after" $((4 * M)) || fail "punching 4M freed $((before - after)) blocks"

	[[ $(sum_range "$DEV" 0 $((4 * M))) == "$head" ]] || fail "data before the ranges changed"
	[[ $(sum_range "$DEV" $((28 * M)) $((4 * M))) == "$tail" ]] || fail "data after the ranges changed"
	del_dev "$DEV_ID"
}

ext4_scratch "$UBR_SCRATCH/ext4" 96M
echo "--- ext4"
check_file "$UBR_SCRATCH/ext4/d.img"
# With NOUNMAP the blocks stay allocated where the file system can do it.
add_dev loop "$UBR_SCRATCH/ext4/d.img"
dd if=/dev/urandom of="$DEV" bs=1M count=8 oflag=direct status=none
sync
before=$(blocks "$UBR_SCRATCH/ext4/d.img")
blkdiscard -z -o 0 -l $((8 * M)) "$DEV"
after=$(blocks "$UBR_SCRATCH/ext4/d.img")
echo "ext4 write zeroes 8M: $before -> $after blocks"
((after >= before)) || fail "write zeroes with NOUNMAP freed blocks on ext4"
zeros "$DEV" 0 $((8 * M))
del_dev "$DEV_ID"

echo "--- tmpfs"
check_file "$UBR_SCRATCH/t.img"

echo "--- stripe"
for i in 0 1; do
	filled_file "$UBR_SCRATCH/s$i.img" $((8 * M))
done
add_dev stripe --chunk-size 64K "$UBR_SCRATCH/s0.img" "$UBR_SCRATCH/s1.img"
dd if=/dev/urandom of="$DEV" bs=1M count=16 oflag=direct status=none
b0=$(blocks "$UBR_SCRATCH/s0.img")
b1=$(blocks "$UBR_SCRATCH/s1.img")
blkdiscard -o $((2 * M)) -l $((8 * M)) "$DEV"
zeros "$DEV" $((2 * M)) $((8 * M))
echo "stripe discard 8M: $b0 -> $(blocks "$UBR_SCRATCH/s0.img"), $b1 -> $(blocks "$UBR_SCRATCH/s1.img") blocks"
freed "$b0" "$(blocks "$UBR_SCRATCH/s0.img")" $((4 * M)) || fail "member 0 kept its blocks"
freed "$b1" "$(blocks "$UBR_SCRATCH/s1.img")" $((4 * M)) || fail "member 1 kept its blocks"
del_dev "$DEV_ID"
echo "loop-discard: ok"
