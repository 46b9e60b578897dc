#!/bin/bash
# The legacy get-data copy mode (UBLK_F_NEED_GET_DATA): the kernel hands
# writes over without their data and the daemon fetches it with a second
# command. fio writes at random (bs 4k, 64k, 1M) to a loop device in that
# mode and reads every block back (crc32c); the file then holds the same
# data through a device in buffer mode. null serves a short randrw run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_feature NEED_GET_DATA

size=$((30 << 20))
img=$UBR_SCRATCH/get-data.img
filled_file "$img" "$size"

# What get-data writes is in the file: read back in buffer mode.
loop_mode_roundtrip get-data "$img" "$size"

add_dev null --copy-mode get-data --size 1G
run_fio --name=rw --filename="$DEV" --ioengine=io_uring --direct=1 \
	--rw=randrw --bs=4k --iodepth=16 --time_based --runtime=2
del_dev "$DEV_ID"
echo "copy-mode-get-data: ok"
