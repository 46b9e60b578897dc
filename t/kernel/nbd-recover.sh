#!/bin/bash
# `recover` of nbd devices. Two devices, one over a unix socket and one
# over TCP (nbdkit's file plugin on tmpfs), under fio (random writes of 4k
# and 64k, crc32c verify, iodepth 32); the daemon is killed with SIGKILL
# mid-run and `recover` brings both back: they say "connected" again, fio
# ends without an I/O error and its verify passes, a fresh fio reads back
# and checks everything it wrote, and the devices read the same bytes as
# the servers' files. Twice in a row. Then a server that now serves a
# smaller export: recover fails for that device with the reason, exit 1,
# the device waits on, and `del` deletes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio
require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup
# What the servers said, for a failure.
on_exit cat "$UBR_SCRATCH/nbdkit.log"

CYCLES=${UBR_NBD_RECOVER_CYCLES:-2}
size=$((32 << 20))
half=$((size / 2 / 1048576))M
port=10812
sock=$UBR_SCRATCH/file.sock
uris=("nbd+unix:///?socket=$sock" "nbd://127.0.0.1:$port")
imgs=("$UBR_SCRATCH/unix.img" "$UBR_SCRATCH/tcp.img")
for img in "${imgs[@]}"; do
	filled_file "$img" "$size"
done
# One thread per connection: nbdkit 1.32 (Debian 12's) with worker
# threads aborts now and then when its client dies with replies due
# (connections.c: raw_send_socket: Assertion `sock >= 0' failed), as the
# killed daemon does. Requests still come 32 and more at a time.
nbdkit_unix "$sock" --threads 1 file "${imgs[0]}"
unix_pid=$NBDKIT_PID
nbdkit_tcp "$port" --threads 1 file "${imgs[1]}"

ids=() devs=()
for uri in "${uris[@]}"; do
	add_dev nbd "$uri"
	ids+=("$DEV_ID") devs+=("$DEV")
done

# fio_jobs DEV...: a 4k job on the first half of each device, a 64k job on
# the second, random writes with a crc32c in every block.
fio_jobs() {
	local d
	for d in "$@"; do
		echo --name="${d##*/}-4k" --filename="$d" --bs=4k --offset=0
		echo --name="${d##*/}-64k" --filename="$d" --bs=64k --offset="$half"
	done
}

# In the background, as recovery.bash's fio_write_verify_bg (whose
# fio_wait_writing and fio_bg_check follow it), with these jobs.
fio_bg() {
	local d
	FIO_DEVS=("$@") FIO_BASE=()
	for d in "$@"; do
		FIO_BASE+=("$(writes_done "$d")")
	done
	FIO_LOG=$UBR_SCRATCH/fio-bg.log
	# shellcheck disable=SC2046 # one word per line
	fio --ioengine=io_uring --direct=1 --iodepth=32 --rw=randwrite \
		--size="$half" --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--output-format=json --output="$FIO_LOG.json" \
		$(fio_jobs "$@") >"$FIO_LOG" 2>&1 &
	FIO_PID=$!
}

for ((c = 1; c <= CYCLES; c++)); do
	echo "--- cycle $c: the daemon killed under fio, then recover"
	fio_bg "${devs[@]}"
	fio_wait_writing
	kill_daemon
	recover_all "${ids[@]}"
	for id in "${ids[@]}"; do
		expect_in_list "$id" "connected)"
	done
	fio_bg_check
	echo "fio: $(jq -c '[.jobs[] | {jobname, error, w: .write.io_bytes, r: .read.io_bytes}]' "$FIO_LOG.json")"
	# A fresh read of everything fio wrote, checked.
	# shellcheck disable=SC2046
	run_fio --ioengine=io_uring --direct=1 --iodepth=32 --rw=randwrite \
		--size="$half" --verify=crc32c --verify_only=1 --verify_fatal=1 \
		$(fio_jobs "${devs[@]}")
	for i in "${!devs[@]}"; do
		cmp <(dd if="${devs[i]}" bs=1M iflag=direct status=none) \
			"${imgs[i]}" ||
			fail "${devs[i]} (${uris[i]}) reads other bytes than the server's file"
	done
done

echo "--- recover with the server now serving a smaller export"
id=${ids[0]} dev=${devs[0]}
check_exit 0 "$UBR" del "${ids[1]}"
kill_daemon
kill -KILL "$unix_pid"
wait "$unix_pid" 2>/dev/null || true
small=$UBR_SCRATCH/small.img
filled_file "$small" $((size / 2))
nbdkit_unix "$sock" --threads 1 file "$small"
capture timeout 120 "$UBR" recover "$id"
((GOT == 1)) || fail "recover onto a smaller export exited $GOT, expected 1"
grep -qF "device $id: ${uris[0]}: the export is now smaller than the device ($((size / 2)) < $size bytes): not recovered" "$ERR" ||
	fail "recover did not say why the device was not recovered"
(($(wc -l <"$ERR") == 1)) || fail "recover's error is not one line"
[[ -b $dev ]] || fail "a refused recover lost the device"
expect_in_list "$id" "waits for recover"
check_exit 0 "$UBR" del "$id"
[[ ! -e /dev/ublkc$id && ! -e $dev ]] || fail "del left device $id"
echo "nbd-recover: ok"
