#!/bin/bash
# The nbd target's --connections. Over TCP, counted from /proc/net/tcp
# (established sockets to the server's port), with Q = 4 queues (fewer
# if the VM has fewer possible CPUs: run it with UBR_VM_SMP=4):
#  - a multi-conn server (nbdkit memory), --queues Q --connections Q:
#    Q connections, `list` and `list --json` say so; fio's crc32c verify
#    of random writes at 4k and 64k, iodepth 32, is clean;
#  - the server (nbdkit file) killed and started again under fio: every
#    connection reconnects (Q established again), verify clean, no error;
#  - no --connections on a multi-conn server: one per queue;
#  - a server that takes one client (the limit filter): the add fails
#    naming connection 2, nothing left behind; del while connections
#    2..Q are being made (delay filter) ends the add at once; kill -9
#    of the daemon then kills it within 30 s and leaves no device;
#  - a server without multi-conn (the multi-conn filter, disabled):
#    --connections 2 fails with one line and leaves nothing behind; no
#    option: one connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"
. "$(dirname "$0")/recovery.bash"

require_program fio

q=$(multi_conn_queues)
((q == 4)) || echo "# only $q possible CPUs: $q queues and connections (UBR_VM_SMP=4 for 4)"
if ((q > 1)); then n_text="$q connections, connected)"; else n_text="connected)"; fi

port=10813
uri=nbd://127.0.0.1:$port
img=$UBR_SCRATCH/conns.img
size=$((32 << 20))
half=$((size / 2 / 1048576))M
filled_file "$img" "$size"

# The server's flags (`list`) include NBD_FLAG_CAN_MULTI_CONN (0x100)?
multi_conn_flag() {
	local flags
	flags=$(list_line "$1" | sed -n 's/.*flags \(0x[0-9a-f]*\).*/\1/p')
	[[ -n $flags ]] || fail "list of device $1 shows no flags"
	(((flags & 0x100) != 0))
}

fio_args=(--filename=unset --ioengine=io_uring --direct=1 --iodepth=32
	--rw=randwrite --verify=crc32c --verify_fatal=1 --size="$half"
	--name=bs4k --bs=4k --offset=0 --name=bs64k --bs=64k --offset="$half")

echo "--- --queues $q --connections $q on a multi-conn server"
nbdkit_tcp "$port" memory 64M
add_dev nbd --queues "$q" --connections "$q" "$uri"
multi_conn_flag "$DEV_ID" || fail "nbdkit memory does not advertise multi-conn"
expect_in_list "$DEV_ID" "$n_text"
"$UBR" list --json | grep -qF "${n_text%)}" ||
	fail "list --json lacks the connections"
expect_conns "$port" "$q" "--connections $q"
fio_args[0]=--filename=$DEV
run_fio "${fio_args[@]}" --do_verify=1
grep -q "err= 0" "$FIO_JSON" || fail "fio saw I/O errors"
! grep -q "err= *[1-9]" "$FIO_JSON" || fail "fio saw I/O errors"
del_dev "$DEV_ID"
expect_conns "$port" 0 "after del"
kill_server

echo "--- the server killed and started again under fio, $q connections"
nbdkit_tcp "$port" file "$img"
add_dev nbd --queues "$q" --connections "$q" --reconnect-timeout 120 "$uri"
expect_in_list "$DEV_ID" "$n_text"
expect_conns "$port" "$q" "file server"
fio_args[0]=--filename=$DEV
log=$UBR_SCRATCH/fio-restart.log
fio_busy "$log" "$q connections" "${fio_args[@]}" --do_verify=1 --loops=2
kill_server
wait_for 30 list_says "$DEV_ID" reconnecting ||
	fail "the device does not say it reconnects"
list_line "$DEV_ID"
sleep 1
nbdkit_tcp "$port" file "$img"
fio_busy_clean "$log" "$q connections"
wait_for 60 list_says "$DEV_ID" "$n_text" ||
	fail "not every connection came back: $(list_line "$DEV_ID")"
expect_conns "$port" "$q" "after the restart"
# Everything fio wrote is in the file the new server serves.
del_dev "$DEV_ID"
add_dev nbd --queues "$q" "$uri"
fio_args[0]=--filename=$DEV
run_fio "${fio_args[@]}" --verify_only=1 --loops=2

echo "--- no --connections on a multi-conn server: one per queue"
expect_in_list "$DEV_ID" "$n_text"
expect_conns "$port" "$q" "the default, $q queues"
del_dev "$DEV_ID"
if ((q > 2)); then
	add_dev nbd --queues 2 "$uri"
	expect_in_list "$DEV_ID" "2 connections, connected)"
	expect_conns "$port" 2 "the default, 2 queues"
	del_dev "$DEV_ID"
fi
kill_server

if ((q > 1)); then
	echo "--- a server that takes one client: connection 2 cannot be made"
	nbdkit_tcp "$port" --filter=limit memory 64M limit=1
	before=$(ls /dev/ublkb* 2>/dev/null || true)
	check_exit 1 "$UBR" add --queues "$q" --connections "$q" nbd "$uri"
	grep -qF "nbd connection 2 of $q" "$ERR" ||
		fail "the failed connection is not named"
	[[ $(wc -l <"$ERR") == 1 ]] || fail "more than one line"
	[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
		fail "the failed add left a device"
	expect_conns "$port" 0 "after the failed add"
	kill_server
fi

if ((q > 1)); then
	echo "--- del while connections 2..$q are being made"
	# Each connection's open waits 6 s at the server: the first, then
	# the others, each within its 10 s deadline.
	nbdkit_tcp "$port" --filter=delay memory 64M delay-open=6
	"$UBR" add --name joining --queues "$q" nbd "$uri" >/dev/null \
		2>"$UBR_SCRATCH/join.err" &
	add_pid=$!
	wait_for 30 sh -c "'$UBR' list | grep -qF 'connecting: 1 of $q'" ||
		fail "list never showed the connections being made"
	start=$SECONDS
	check_exit 0 "$UBR" del joining
	rc=0
	wait "$add_pid" || rc=$?
	((rc == 1)) || fail "add deleted while connecting: exit $rc, not 1"
	grep -qF "deleted before it was served" "$UBR_SCRATCH/join.err" ||
		fail "add deleted while connecting: $(cat "$UBR_SCRATCH/join.err")"
	((SECONDS - start < 5)) || fail "del took $((SECONDS - start)) s"
	"$UBR" list | grep -qF joining && fail "del left the device"
	expect_conns "$port" 0 "after del while connecting"

	echo "--- kill -9 while connections 2..$q are being made"
	before=$(ls /dev/ublkb* 2>/dev/null || true)
	"$UBR" add --name killed --queues "$q" nbd "$uri" >/dev/null \
		2>"$UBR_SCRATCH/kill.err" &
	add_pid=$!
	wait_for 30 sh -c "'$UBR' list | grep -qF 'connecting: 1 of $q'" ||
		fail "list never showed the connections being made"
	kill_daemon # dies within 30 s, or fails
	rc=0
	wait "$add_pid" || rc=$?
	((rc != 0)) || fail "add succeeded though its daemon was killed"
	# The kernel never heard of the device: nothing to recover or delete.
	[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
		fail "the killed add left a device"
	expect_conns "$port" 0 "after kill -9 while connecting"
	kill_server
fi

echo "--- a server without multi-conn"
nbdkit_tcp "$port" --filter=multi-conn memory 64M multi-conn-mode=disable
before=$(ls /dev/ublkb* 2>/dev/null || true)
check_exit 1 "$UBR" add --queues "$q" --connections 2 nbd "$uri"
grep -qF "multi-conn" "$ERR" || fail "--connections 2: stderr does not name multi-conn"
[[ $(wc -l <"$ERR") == 1 ]] || fail "--connections 2: more than one line"
[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
	fail "--connections 2 left a device"
! "$UBR" list | grep -qF "$uri" || fail "--connections 2 left a device in list"
expect_conns "$port" 0 "after the refused add"
add_dev nbd --queues "$q" "$uri"
! multi_conn_flag "$DEV_ID" || fail "the filter left multi-conn advertised"
expect_in_list "$DEV_ID" "replies, connected)"
expect_conns "$port" 1 "the default without multi-conn"
dd if=/dev/urandom of="$UBR_SCRATCH/data" bs=64k count=16 2>/dev/null
dd if="$UBR_SCRATCH/data" of="$DEV" bs=64k oflag=direct 2>/dev/null ||
	fail "a write on one connection failed"
cmp -n 1048576 "$UBR_SCRATCH/data" <(dd if="$DEV" bs=64k count=16 \
	iflag=direct 2>/dev/null) || fail "the data differs"
del_dev "$DEV_ID"
kill -0 "$(daemon_pid)" || fail "the daemon died"
echo "nbd-connections: ok"
