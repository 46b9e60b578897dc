#!/bin/bash
# The nbd target's reconnect. A server killed under fio (random writes,
# crc32c verify, iodepth 32) and started again on the same file within a
# couple of seconds, over a unix socket and over TCP: fio's verify is
# clean, no I/O error, and the device says "connected" again (over TCP in
# zero copy where the kernel has it: sends linked in a chain are cut
# off, the unix one in the default copy mode). A server
# that stays away: with --reconnect-timeout 3 a read fails with EIO, a
# second one fails at once, the device says "failed", the daemon and
# another device keep serving (data checked); the server back, the device
# reconnects and serves again; deleting a device that waits for its
# server works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

require_program fio

size=$((48 << 20))
third=$((size / 3 / 1048576))M
img=$UBR_SCRATCH/export.img
filled_file "$img" "$size"
port=10811

start_server() { # start_server unix|tcp: nbdkit's file plugin on $img
	if [[ $1 == unix ]]; then
		nbdkit_unix "$UBR_SCRATCH/file.sock" file "$img"
	else
		nbdkit_tcp "$port" file "$img"
	fi
}

uri_of() {
	if [[ $1 == unix ]]; then
		echo "nbd+unix:///?socket=$UBR_SCRATCH/file.sock"
	else
		echo "nbd://127.0.0.1:$port"
	fi
}

mode=auto
copy_modes | grep -qx zero && mode=zero
for t in unix tcp; do
	m=auto
	[[ $t == tcp ]] && m=$mode
	echo "--- the server killed and started again under fio, $t, copy mode $m"
	start_server "$t"
	add_dev nbd --copy-mode "$m" --reconnect-timeout 120 "$(uri_of "$t")"
	expect_in_list "$DEV_ID" "connected)"
	log=$UBR_SCRATCH/fio-$t.log
	fio_busy "$log" "$t" --filename="$DEV" --ioengine=io_uring --direct=1 \
		--iodepth=32 --rw=randwrite --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --size="$third" --loops=2 \
		--name=bs4k --bs=4k --offset=0 \
		--name=bs64k --bs=64k --offset="$third" \
		--name=bs1m --bs=1M --offset=$((2 * ${third%M}))M
	kill_server
	wait_for 30 list_says "$DEV_ID" reconnecting ||
		fail "$t: the device does not say it reconnects"
	sleep 1
	start_server "$t"
	fio_busy_clean "$log" "$t"
	expect_in_list "$DEV_ID" "connected)"
	# Everything fio wrote is in the file the new server serves.
	del_dev "$DEV_ID"
	add_dev nbd "$(uri_of "$t")"
	run_fio --filename="$DEV" --ioengine=io_uring --direct=1 --iodepth=32 \
		--rw=randwrite --verify=crc32c --verify_only=1 --verify_fatal=1 \
		--size="$third" --loops=2 \
		--name=bs4k --bs=4k --offset=0 \
		--name=bs64k --bs=64k --offset="$third" \
		--name=bs1m --bs=1M --offset=$((2 * ${third%M}))M
	del_dev "$DEV_ID"
	kill_server
done

echo "--- the server stays away"
other_img=$UBR_SCRATCH/other.img
filled_file "$other_img" $((16 << 20))
add_dev loop "$other_img"
other=$DEV
check_other() { # 1 MiB of random data written to the other device, read back
	head -c 1M /dev/urandom >"$UBR_SCRATCH/other.data"
	dd if="$UBR_SCRATCH/other.data" of="$other" bs=64k oflag=direct \
		conv=fsync 2>/dev/null || fail "$1: writing the other device failed"
	cmp -n 1048576 "$UBR_SCRATCH/other.data" <(dd if="$other" bs=64k \
		count=16 iflag=direct 2>/dev/null) ||
		fail "$1: the other device's data differs"
}

start_server unix
add_dev nbd --reconnect-timeout 3 "$(uri_of unix)"
nbd=$DEV
nbd_id=$DEV_ID
head -c 1M /dev/urandom >"$UBR_SCRATCH/data"
dd if="$UBR_SCRATCH/data" of="$nbd" bs=64k oflag=direct 2>/dev/null ||
	fail "a write while the server lives failed"
kill_server
capture timeout 60 dd if="$nbd" of=/dev/null bs=4k count=1 skip=7 iflag=direct
((GOT != 0 && GOT != 124)) || fail "a read with the server gone: exit $GOT (0: served, 124: hung)"
grep -q "Input/output error" "$ERR" || fail "the read did not fail with EIO"
expect_in_list "$nbd_id" "failed"
capture timeout 20 dd if="$nbd" of=/dev/null bs=4k count=1 skip=9 iflag=direct
((GOT != 0 && GOT != 124)) || fail "a read past the timeout: exit $GOT"
grep -q "Input/output error" "$ERR" || fail "a read past the timeout did not fail with EIO"
check_other "after the timeout"
kill -0 "$(daemon_pid)" || fail "the daemon died"

# The server back: the device serves again, with the data written before.
start_server unix
wait_for 60 list_says "$nbd_id" "connected)" ||
	fail "the device did not reconnect once the server came back"
cmp -n 1048576 "$UBR_SCRATCH/data" <(dd if="$nbd" bs=64k count=16 \
	iflag=direct 2>/dev/null) || fail "the data differs after the reconnect"

# A device that waits for its server, a request held, can be deleted. (An
# idle connection's loss is seen at its next request: the read.)
kill_server
timeout 60 dd if="$nbd" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &
held=$!
wait_for 30 list_says "$nbd_id" reconnecting ||
	fail "the device does not say it reconnects"
capture timeout 60 "$UBR" del --force "$nbd_id"
((GOT == 0)) || fail "del of a device waiting for its server: exit $GOT"
wait "$held" 2>/dev/null || true
[[ ! -e $nbd ]] || fail "$nbd still exists after del"
check_other "after the nbd device went"
echo "nbd-reconnect: ok"
