#!/bin/bash
# `recover` of an nbd device whose TCP server has stopped taking
# connections (its listen queue full: the kernel drops the SYNs, so
# connect() waits). The daemon connects from a helper process: while the
# connect waits, `list` answers and shows the device preparing, and
# another device of the daemon reads. The connect's deadline then fails
# the recover in one line, exit 1, and the device waits for another try;
# a daemon stopped during such a connect ends it at once, and one killed
# (SIGKILL) during the connect or during a handshake that stalls dies and
# leaves the device waiting for recover. With the server
# back, recover brings the device back with the data written before the
# daemon was killed; and a config file's nbd line is served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"
. "$(dirname "$0")/recovery.bash"

require_feature USER_RECOVERY
on_exit recovery_cleanup

port=10813
img=$UBR_SCRATCH/tcp.img
filled_file "$img" $((16 << 20))
nbdkit_tcp "$port" --threads 1 file "$img"
add_dev nbd --recovery queue "nbd://127.0.0.1:$port"
id=$DEV_ID dev=$DEV
head -c 1M /dev/urandom >"$UBR_SCRATCH/data"
dd if="$UBR_SCRATCH/data" of="$dev" bs=64k oflag=direct status=none ||
	fail "write to $dev failed"
kill_daemon
kill_server

# stall [mute]: a server on the port that accepts nothing. Its one-place
# listen queue is filled by a client of its own, so every later connect()
# waits; with "mute" it is left free, so a connect() goes through and the
# handshake waits for a greeting that never comes.
stall() {
	rm -f "$UBR_SCRATCH/stall.ready"
	"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(0)
if sys.argv[3] != "mute":
    f = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(600)' "$port" "$UBR_SCRATCH/stall.ready" "${1:-full}" &
	STALL_PID=$!
	on_exit kill -KILL "$STALL_PID"
	wait_for 30 test -e "$UBR_SCRATCH/stall.ready" ||
		fail "the stalling server did not start"
}
stall

# A new daemon with another device, then recover in the background.
add_dev null --size 64M
other=$DEV
recover_bg() {
	"$UBR" recover "$id" >"$UBR_SCRATCH/recover.out" \
		2>"$UBR_SCRATCH/recover.err" &
	RECOVER_PID=$!
}
# recover_failed GREP-FLAG LINE WHAT: the background recover exited 1,
# its stderr the one LINE.
recover_failed() {
	exited_1 "$RECOVER_PID" "$UBR_SCRATCH/recover.err" "x$1" "$2" "$3"
}
recover_bg
wait_for 30 list_says "$id" preparing ||
	fail "list never showed device $id preparing: $(list_line "$id")"
pgrep -f "helper-connect nbd nbd://127.0.0.1:$port" >/dev/null ||
	fail "no helper process connects for the daemon"
dd if="$other" of=/dev/null bs=4k count=16 iflag=direct status=none ||
	fail "the other device failed while the connect waited"
list_says "$id" preparing ||
	fail "the connect ended before the other device's read: $(list_line "$id")"
# ETIMEDOUT: "Connection timed out" (glibc), "Operation timed out" (musl)
recover_failed E "ublk-reactor: device $id: cannot connect to 127\.0\.0\.1 port $port: [A-Z][a-z]+ timed out: not recovered" \
	"recover against a stalled server"
expect_in_list "$id" "waits for recover"

echo "--- the daemon stopped while a connect waits"
recover_bg
wait_for 30 list_says "$id" preparing ||
	fail "list never showed device $id preparing again"
check_exit 0 "$UBR" stop
# Not the connect's timeout: stop ended the connect before it.
recover_failed F "ublk-reactor: device $id: the daemon is shutting down: not recovered" \
	"recover cut by stop"
# ([h]: not the sh that runs pgrep, whose command line holds the pattern)
wait_for 30 sh -c "! pgrep -f '[h]elper-connect nbd' >/dev/null" ||
	fail "the helper outlived the stopped daemon"

# kill_waiting TEXT WHAT: recover in the background, and SIGKILL to the
# daemon once the device's list line says TEXT: the daemon dies (within
# kill_daemon's 30 s) and the device still waits for recover.
kill_waiting() {
	recover_bg
	wait_for 30 list_says "$id" "$1" ||
		fail "list never showed device $id $2: $(list_line "$id")"
	kill_daemon
	wait "$RECOVER_PID" 2>/dev/null || true
	expect_in_list "$id" "waits for recover"
}

echo "--- the daemon killed while the helper's connect waits"
kill_waiting preparing "preparing for a kill"
wait_for 30 sh -c "! pgrep -f '[h]elper-connect nbd' >/dev/null" ||
	fail "the helper outlived the killed daemon by 30 s"

echo "--- the daemon killed while the handshake waits"
kill -KILL "$STALL_PID"
wait "$STALL_PID" 2>/dev/null || true
stall mute
kill_waiting "(handshake)" "in its handshake"

echo "--- the server back: recovered, data intact"
kill -KILL "$STALL_PID"
wait "$STALL_PID" 2>/dev/null || true
nbdkit_tcp "$port" --threads 1 file "$img"
check_exit 0 "$UBR" recover "$id"
[[ $(cat "$OUT") == "$dev" ]] || fail "recover printed '$(cat "$OUT")'"
expect_in_list "$id" "connected)"
cmp -n 1048576 "$UBR_SCRATCH/data" "$dev" ||
	fail "$dev lost the data written before the kill"
check_exit 0 "$UBR" del "$id"

echo "--- a config file's nbd line: its connection made by a helper too"
check_exit 0 "$UBR" stop --delete
cfg=$UBR_SCRATCH/nbd.conf
echo "remote nbd nbd://127.0.0.1:$port" >"$cfg"
check_exit 0 "$UBR" daemon --config "$cfg"
wait_for 30 sh -c "\"\$1\" list | grep -F remote | grep -qF 'connected)'" _ "$UBR" ||
	fail "the config's nbd device is not connected: $("$UBR" list)"
check_exit 0 "$UBR" stop --delete
echo "nbd-recover-stall: ok"
