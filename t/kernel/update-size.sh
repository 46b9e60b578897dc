#!/bin/bash
# update-size: a null device grows and shrinks; a loop device grows once
# its file has grown (blockdev --getsize64 and list follow), keeps the data
# written before (checksum) and serves the new blocks; a size beyond the
# file is refused, saying so, and changes nothing; a stripe grows up to
# what its files allow. A kernel without UBLK_F_UPDATE_SIZE refuses the
# command, naming the feature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program blockdev
require_program cmp

size_is() { # size_is DEV BYTES
	local got
	got=$(blockdev --getsize64 "$1")
	[[ $got == "$2" ]] || fail "$1 is $got bytes, expected $2"
}

add_dev null --size 1G
if ! has_feature UPDATE_SIZE; then
	expect_fail_msg "UBLK_F_UPDATE_SIZE" "$UBR" update-size "$DEV_ID" 2G
	size_is "$DEV" $((1 << 30))
	skip "kernel $(uname -r) lacks UPDATE_SIZE (refused as it should be)"
fi

# --- null: any size ----------------------------------------------------------
check_exit 0 "$UBR" update-size "$DEV_ID" 2G
size_is "$DEV" $((2 << 30))
expect_in_list "$DEV_ID" " 2G "
check_exit 0 "$UBR" update-size "$DEV_ID" 512M
size_is "$DEV" $((512 << 20))
expect_fail_msg "no device 999" "$UBR" update-size 999 1G
del_dev "$DEV_ID"

# --- loop: up to the file's size, re-read at the moment ----------------------
img=$UBR_SCRATCH/grow.img
data=$UBR_SCRATCH/data
truncate -s 32M "$img"
head -c $((32 << 20)) /dev/urandom >"$data"
add_dev loop "$img"
dd if="$data" of="$DEV" bs=1M oflag=direct status=none || fail "writing $DEV failed"

expect_fail_msg "larger than $img (32M): grow the file first" \
	"$UBR" update-size "$DEV_ID" 64M
size_is "$DEV" $((32 << 20))

truncate -s 64M "$img"
check_exit 0 "$UBR" update-size "$DEV_ID" 64M
size_is "$DEV" $((64 << 20))
expect_in_list "$DEV_ID" " 64M "
cmp -n $((32 << 20)) "$data" "$DEV" || fail "data written before the resize changed"

expect_fail_msg "larger than $img (64M)" "$UBR" update-size "$DEV_ID" 128M
size_is "$DEV" $((64 << 20))

# The new blocks serve, and the old ones still read back.
dd if="$data" of="$DEV" bs=1M seek=40 count=8 oflag=direct status=none ||
	fail "writing past the old end of $DEV failed"
cmp -n $((8 << 20)) "$data" <(dd if="$DEV" bs=1M skip=40 count=8 iflag=direct status=none) ||
	fail "data past the old end reads back wrong"
cmp -n $((32 << 20)) "$data" "$DEV" || fail "data written before the resize changed"
del_dev "$DEV_ID"

# --- stripe: up to the smallest file, rounded to chunks, times the files ----
a=$UBR_SCRATCH/a.img b=$UBR_SCRATCH/b.img
truncate -s 16M "$a" "$b"
add_dev stripe --chunk-size 64K "$a" "$b"
size_is "$DEV" $((32 << 20))
truncate -s 40M "$a"
expect_fail_msg "larger than the stripe's files allow (32M)" \
	"$UBR" update-size "$DEV_ID" 48M
truncate -s 24M "$b"
check_exit 0 "$UBR" update-size "$DEV_ID" 48M
size_is "$DEV" $((48 << 20))
del_dev "$DEV_ID"
echo "update-size: ok"
