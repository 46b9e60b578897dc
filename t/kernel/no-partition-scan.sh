#!/bin/bash
# add --no-partition-scan: a loop file holding a partition table gives
# /dev/ublkbNp1 without the option and no partition device with it (until
# a rescan is asked for). A kernel without UBLK_F_NO_AUTO_PART_SCAN refuses
# the option, naming the feature, and makes no device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program blockdev

# A DOS partition table by hand (no sfdisk needed): one Linux partition,
# sectors 2048..10239, in the first entry at byte 446; signature at 510.
img=$UBR_SCRATCH/parted.img
truncate -s 16M "$img"
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x20\x00\x00' |
	dd of="$img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none

if ! has_feature NO_AUTO_PART_SCAN; then
	expect_fail_msg "UBLK_F_NO_AUTO_PART_SCAN" "$UBR" add loop --no-partition-scan "$img"
	[[ -z $("$UBR" list | awk 'NR > 1') ]] || fail "a refused add left a device"
	skip "kernel $(uname -r) lacks NO_AUTO_PART_SCAN (refused as it should be)"
fi

add_dev loop "$img"
wait_for 10 test -e "/sys/block/ublkb$DEV_ID/ublkb${DEV_ID}p1" ||
	fail "no partition ublkb${DEV_ID}p1 without the option"
del_dev "$DEV_ID"

add_dev loop --no-partition-scan "$img"
# 7.x scans from a work item after START_DEV: give it time to (not) happen.
sleep 1
[[ ! -e /sys/block/ublkb$DEV_ID/ublkb${DEV_ID}p1 ]] ||
	fail "partition ublkb${DEV_ID}p1 appeared with --no-partition-scan"
# The table is still there for whoever asks.
blockdev --rereadpt "$DEV" || fail "blockdev --rereadpt $DEV failed"
wait_for 10 test -e "/sys/block/ublkb$DEV_ID/ublkb${DEV_ID}p1" ||
	fail "no partition after an explicit rescan"
del_dev "$DEV_ID"
echo "no-partition-scan: ok"
