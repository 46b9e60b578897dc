#!/bin/bash
# The nbd target's bad input and failures. Bad URIs and options: one line,
# exit 2, no device. A server that is not there, or that accepts and never
# speaks: add fails with one line (the latter within the handshake's
# deadline, during which the daemon serves on; del cancels it). A server killed under a device (--reconnect-timeout 3): the
# device's I/O fails with EIO, another device of the same daemon keeps
# serving, the nbd device can still be deleted (t/kernel/nbd-reconnect.sh
# has the server coming back).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

bad() { # bad MESSAGE ADD-ARGS...: add exits 2 with MESSAGE, no device
	local before
	before=$(ls /dev/ublkb* 2>/dev/null || true)
	check_exit 2 "$UBR" add "${@:2}"
	grep -qF -- "$1" "$ERR" || fail "add ${*:2}: stderr lacks '$1'"
	[[ $(wc -l <"$ERR") == 1 ]] || fail "add ${*:2}: more than one line"
	[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
		fail "add ${*:2} left a device"
}

refused() { # refused MESSAGE ADD-ARGS...: add exits 1 with MESSAGE
	local before
	before=$(ls /dev/ublkb* 2>/dev/null || true)
	check_exit 1 "$UBR" add "${@:2}"
	grep -qF -- "$1" "$ERR" || fail "add ${*:2}: stderr lacks '$1'"
	[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
		fail "add ${*:2} left a device"
}

# Another device first: it must serve throughout.
add_dev null --size 64M
other=$DEV

bad "nbds" nbd "nbds://127.0.0.1/x"
bad "http" nbd "http://127.0.0.1/x"
bad "socket" nbd "nbd+unix:///x"
bad "--connections" nbd --connections 0 "nbd://127.0.0.1"
bad "--connections" nbd --connections 17 "nbd://127.0.0.1"
bad "--reconnect-timeout" nbd --reconnect-timeout 0 "nbd://127.0.0.1"
bad "--reconnect-timeout" nbd --reconnect-timeout 86401 "nbd://127.0.0.1"
bad "--reconnect-timeout" nbd --reconnect-timeout 3s "nbd://127.0.0.1"
bad "nbd" nbd
bad "nbd" nbd "nbd://127.0.0.1" "nbd://127.0.0.2"
refused "cannot connect" nbd "nbd+unix:///?socket=$UBR_SCRATCH/none.sock"
refused "cannot connect" nbd "nbd://127.0.0.1:1"

# A server that accepts and says nothing: the handshake's deadline.
mute=$UBR_SCRATCH/mute.sock
"$PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(4)
c = s.accept()
time.sleep(600)' "$mute" &
mute_pid=$!
on_exit kill -KILL "$mute_pid"
wait_for 30 test -S "$mute" || fail "the mute server did not start"
start=$SECONDS
refused "did not answer" nbd "nbd+unix:///?socket=$mute"
((SECONDS - start < 60)) || fail "the stalled handshake took $((SECONDS - start)) s"
dd if="$other" of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null ||
	fail "the other device failed after the stalled handshake"

# While a handshake stalls, the daemon serves on: `list` answers and shows
# the device preparing, and the other device's I/O goes through, both
# before the handshake's deadline ends the add.
preparing() { "$UBR" list | grep -F preparing | grep -qF "(handshake)"; }
# mute_add ADD-ARGS...: an add against the mute server, in the background,
# once list shows it preparing.
mute_add() {
	"$UBR" add "$@" nbd "nbd+unix:///?socket=$mute" >/dev/null \
		2>"$UBR_SCRATCH/mute.err" &
	add_pid=$!
	wait_for 30 preparing || fail "list never showed add $* preparing"
}
# mute_add_failed GREP-FLAG TEXT WHAT: that add exited 1, saying TEXT.
mute_add_failed() {
	exited_1 "$add_pid" "$UBR_SCRATCH/mute.err" "$@"
}
mute_add
dd if="$other" of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null ||
	fail "the other device failed during the stalled handshake"
preparing || fail "the handshake's deadline came before the other device's read"
mute_add_failed F "did not answer" "add against a mute server"
"$UBR" list | grep -qF preparing && fail "the failed add left a device behind"

# del of a device still preparing, by its name: its add fails at once.
mute_add --name stalled
check_exit 0 "$UBR" del stalled
mute_add_failed xF "ublk-reactor: deleted before it was served" \
	"add of a device deleted while preparing"
"$UBR" list | grep -qF stalled && fail "del left the preparing device"

# The server killed under a device.
sock=$UBR_SCRATCH/mem.sock
nbdkit_unix "$sock" memory 64M
add_dev nbd --reconnect-timeout 3 "nbd+unix:///?socket=$sock"
head -c 1M /dev/urandom >"$UBR_SCRATCH/data"
dd if="$UBR_SCRATCH/data" of="$DEV" bs=64k oflag=direct 2>/dev/null ||
	fail "write to $DEV failed while the server lives"
cmp -n 1048576 "$UBR_SCRATCH/data" "$DEV" || fail "read back differs"
kill_server
capture timeout 60 dd if="$DEV" of=/dev/null bs=4k count=1 skip=7 iflag=direct
((GOT != 0 && GOT != 124)) || fail "a read after the server died: exit $GOT (0: served, 124: hung)"
grep -q "Input/output error" "$ERR" || fail "the read did not fail with EIO"
capture timeout 60 dd if="$UBR_SCRATCH/data" of="$DEV" bs=4k count=1 oflag=direct
((GOT != 0 && GOT != 124)) || fail "a write after the server died: exit $GOT"
dd if="$other" of=/dev/null bs=4k count=256 iflag=direct 2>/dev/null ||
	fail "the other device failed after the server died"
kill -0 "$(daemon_pid)" || fail "the daemon died"
del_dev "$DEV_ID"
echo "nbd-faults: ok"
