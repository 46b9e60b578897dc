#!/bin/bash
# The nbd target against the other servers people run: qemu-nbd serving a
# qcow2 image, and nbd-server serving a file, both over unix sockets.
# fio writes at random (4k, 64k, 1M, iodepth 32) and verifies with crc32c;
# what went through the device is then in the image: qemu-img check finds
# the qcow2 clean, and qemu-img compare finds it identical to a raw copy
# read back through the device; a new device on a new server process finds
# the data again. Where the kernel has zero copy the first device of each
# server is a zero copy one (the new qcow2 image, all holes, must read as
# zeros through it) and the second reads back in the default mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

require_program fio
require_program qemu-nbd
require_program qemu-img
require_program nbd-server

size=$((48 << 20))
dir=$UBR_SCRATCH/servers
mkdir -p "$dir"

# serve_qcow2: qemu-nbd on $dir/disk.qcow2 at $dir/qemu.sock ($QNBD_PID).
serve_qcow2() {
	rm -f "$dir/qemu.sock"
	qemu-nbd --format=qcow2 --socket="$dir/qemu.sock" \
		--persistent "$dir/disk.qcow2" >>"$UBR_SCRATCH/qemu-nbd.log" 2>&1 &
	QNBD_PID=$!
	on_exit kill -KILL "$QNBD_PID"
	wait_for 30 test -S "$dir/qemu.sock" || fail "qemu-nbd did not start"
}

stop_qcow2() {
	kill -TERM "$QNBD_PID"
	wait "$QNBD_PID" 2>/dev/null || true
}

mode=auto
copy_modes | grep -qx zero && mode=zero
echo "first devices in copy mode $mode"

# --- qemu-nbd, a qcow2 image -----------------------------------------------------
qemu-img create -q -f qcow2 "$dir/disk.qcow2" "$size" || fail "qemu-img create failed"
serve_qcow2
add_dev nbd --copy-mode "$mode" "nbd+unix:///?socket=$dir/qemu.sock"
[[ $(blockdev --getsize64 "$DEV") == "$size" ]] ||
	fail "size $(blockdev --getsize64 "$DEV"), the image has $size"
cmp -n "$size" <(dd if="$DEV" bs=1M iflag=direct status=none) /dev/zero ||
	fail "a new qcow2 image does not read as zeros ($mode)"
fio_verify "$DEV" "$size"
dd if="$DEV" of="$dir/copy.raw" bs=1M iflag=direct 2>/dev/null ||
	fail "reading the device into a raw copy failed"
del_dev "$DEV_ID"
stop_qcow2
check_exit 0 qemu-img check "$dir/disk.qcow2"
grep -q "No errors were found" "$OUT" || fail "qemu-img check: $(cat "$OUT")"
check_exit 0 qemu-img compare -f qcow2 -F raw "$dir/disk.qcow2" "$dir/copy.raw"
grep -q "Images are identical" "$OUT" || fail "qemu-img compare: $(cat "$OUT")"
# A new server process, a new device: the data is in the image.
serve_qcow2
add_dev nbd "nbd+unix:///?socket=$dir/qemu.sock"
fio_verify_only "$DEV" "$size"
del_dev "$DEV_ID"
stop_qcow2

# --- nbd-server, a file ------------------------------------------------------------
truncate -s "$size" "$dir/disk.img"
cat >"$dir/nbd-server.conf" <<EOF
[generic]
	user = root
	group = root
	unixsock = $dir/nbd-server.sock
	listenaddr = 127.0.0.1
	port = 10811
[disk]
	exportname = $dir/disk.img
	flush = true
	fua = true
	trim = true
EOF
nbd-server -C "$dir/nbd-server.conf" -p "$dir/nbd-server.pid" \
	>>"$UBR_SCRATCH/nbd-server.log" 2>&1 || fail "nbd-server did not start"
# It daemonizes, and serves each connection from a child of its own.
on_exit pkill -KILL -f "nbd-server -C $dir/"
wait_for 30 test -S "$dir/nbd-server.sock" || fail "nbd-server made no socket"
# Its socket comes before it serves: twice (loaded hosts) its first
# handshake took longer than add's 10 s deadline. It is ready once another
# client's handshake succeeds.
nbd_server_ready() {
	qemu-img info "nbd+unix:///disk?socket=$dir/nbd-server.sock" >/dev/null 2>&1
}
wait_for 60 nbd_server_ready || fail "nbd-server did not answer qemu-img's handshake in 60 s"
add_dev nbd --copy-mode "$mode" "nbd+unix:///disk?socket=$dir/nbd-server.sock"
expect_in_list "$DEV_ID" "/disk"
fio_verify "$DEV" "$size"
del_dev "$DEV_ID"
add_dev nbd "nbd+unix:///disk?socket=$dir/nbd-server.sock"
fio_verify_only "$DEV" "$size"
dd if="$DEV" bs=1M iflag=direct 2>/dev/null | cmp - "$dir/disk.img" ||
	fail "the device and nbd-server's file differ"
del_dev "$DEV_ID"
echo "nbd-servers: ok"
