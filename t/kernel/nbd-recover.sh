#!/bin/bash
# `recover` of nbd devices. Two devices, one over a unix socket with Q
# queues and Q connections (Q = min(4, the possible CPUs); the unix
# server's accepted sockets are counted in /proc/net/unix), in zero copy
# where the kernel has it, and one over TCP with one, in the default copy
# mode (nbdkit's file plugin on tmpfs), under fio (random writes
# of 4k and 64k, crc32c verify, iodepth 32); the daemon is killed with
# SIGKILL mid-run and `recover` brings both back: they say "connected"
# again with all Q unix connections up, fio ends without an I/O error and
# its verify passes, a fresh fio reads back and checks everything it
# wrote, and the devices read the same bytes as the servers' files. Twice
# in a row; then once more with the daemon killed while it reconnects (the
# unix server killed first, I/O held, every connection reconnecting), the
# server started again before recover. Then a server that now serves a
# smaller export, over unix then TCP: recover brings back the other
# device and fails for that one with the reason in one line, exit 1; the
# device waits on: recovered once its export is back, or deleted by del.
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
# serve I IMG: server I (0: unix, 1: TCP) serves IMG from now on. One
# thread per connection: nbdkit 1.32 (Debian 12's) with worker threads
# aborts now and then when its client dies with replies due
# (connections.c: raw_send_socket: Assertion `sock >= 0' failed), as the
# killed daemon does. Requests still come 32 and more at a time.
serve() {
	if [[ -n ${pids[$1]:-} ]]; then
		kill -KILL "${pids[$1]}"
		wait "${pids[$1]}" 2>/dev/null || true
	fi
	if (($1 == 0)); then
		nbdkit_unix "$sock" --threads 1 file "$2"
	else
		nbdkit_tcp "$port" --threads 1 file "$2"
	fi
	pids[$1]=$NBDKIT_PID
}

pids=()
serve 0 "${imgs[0]}"
serve 1 "${imgs[1]}"

q=$(multi_conn_queues)
# What `list` says of each device when all its connections are up.
up_texts=("connected)" "connected)")
# And of the unix device when its server is gone.
down_text="reconnecting)"
if ((q > 1)); then
	up_texts[0]="$q connections, connected)"
	down_text="0 of $q connections up, $q reconnecting, 0 failed)"
fi
ids=() devs=()
mode=auto
copy_modes | grep -qx zero && mode=zero
add_dev nbd --copy-mode "$mode" --queues "$q" --connections "$q" "${uris[0]}"
[[ $mode == auto ]] || expect_in_list "$DEV_ID" " $mode "
ids+=("$DEV_ID") devs+=("$DEV")
add_dev nbd "${uris[1]}"
ids+=("$DEV_ID") devs+=("$DEV")

expect_in_list "${ids[0]}" "${up_texts[0]}"
expect_conns "$sock" "$q" "after add"

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

# After recover: both devices connected, the interrupted fio clean.
recovered_clean() {
	local i
	for i in "${!ids[@]}"; do
		expect_in_list "${ids[i]}" "${up_texts[i]}"
	done
	expect_conns "$sock" "$q" "after recover"
	fio_bg_check
	echo "fio: $(jq -c '[.jobs[] | {jobname, error, w: .write.io_bytes, r: .read.io_bytes}]' "$FIO_LOG.json")"
}

# Each device reads its server's file, byte for byte.
same_as_files() {
	local i
	for i in "${!devs[@]}"; do
		cmp <(dd if="${devs[i]}" bs=1M iflag=direct status=none) \
			"${imgs[i]}" ||
			fail "${devs[i]} (${uris[i]}) reads other bytes than the server's file"
	done
}

for ((c = 1; c <= CYCLES; c++)); do
	echo "--- cycle $c: the daemon killed under fio, then recover"
	fio_bg "${devs[@]}"
	fio_wait_writing
	kill_daemon
	recover_all "${ids[@]}"
	recovered_clean
	# A fresh read of everything fio wrote, checked.
	# shellcheck disable=SC2046
	run_fio --ioengine=io_uring --direct=1 --iodepth=32 --rw=randwrite \
		--size="$half" --verify=crc32c --verify_only=1 --verify_fatal=1 \
		$(fio_jobs "${devs[@]}")
	same_as_files
done

echo "--- the daemon killed while it reconnects to the unix server"
fio_bg "${devs[@]}"
fio_wait_writing
kill -KILL "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids[0]=
wait_for 30 list_says "${ids[0]}" "$down_text" ||
	fail "device ${ids[0]} does not say reconnecting: $(list_line "${ids[0]}")"
kill_daemon
serve 0 "${imgs[0]}"
recover_all "${ids[@]}"
recovered_clean
same_as_files

# refused I: `recover` brings back the other device, and refuses device I
# (its server serves a smaller export) in one line, exit 1; I waits on.
refused() {
	local i=$1 o=$((1 - $1))
	capture timeout 120 "$UBR" recover
	((GOT == 1)) || fail "recover with a smaller export exited $GOT, expected 1"
	[[ $(cat "$OUT") == "${devs[o]}" ]] ||
		fail "recover did not bring back ${devs[o]} alone: '$(cat "$OUT")'"
	grep -qxF "ublk-reactor: device ${ids[i]}: ${uris[i]}: the export is now smaller than the device ($((size / 2)) < $size bytes): not recovered" "$ERR" ||
		fail "recover did not say why device ${ids[i]} was not recovered"
	(($(wc -l <"$ERR") == 1)) || fail "recover's error is not one line"
	[[ -b ${devs[i]} ]] || fail "a refused recover lost ${devs[i]}"
	expect_in_list "${ids[i]}" "waits for recover"
	expect_in_list "${ids[o]}" "${up_texts[o]}"
}

small=$UBR_SCRATCH/small.img
filled_file "$small" $((size / 2))
for i in 0 1; do
	echo "--- recover with ${uris[i]} now serving a smaller export"
	kill_daemon
	serve "$i" "$small"
	refused "$i"
	if ((i == 0)); then
		# The right export back: the device recovers, data intact.
		serve 0 "${imgs[0]}"
		recover_all "${ids[0]}"
		expect_in_list "${ids[0]}" "${up_texts[0]}"
		expect_conns "$sock" "$q" "after the refused recover"
		cmp <(dd if="${devs[0]}" bs=1M iflag=direct status=none) \
			"${imgs[0]}" || fail "${devs[0]} lost data across the refusal"
	fi
done
# And a device left waiting by a refusal can be deleted.
check_exit 0 "$UBR" del "${ids[1]}"
[[ ! -e /dev/ublkc${ids[1]} && ! -e ${devs[1]} ]] || fail "del left device ${ids[1]}"
echo "nbd-recover: ok"
