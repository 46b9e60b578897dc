#!/bin/bash
# The nbd target against a server that breaks its word (nbd-hostile.py):
# reads outside 4..8 MiB are served right, reads inside are answered
#   short: with data for half their range only: that read fails with EIO,
#          the connection goes on (reads elsewhere still work);
#   magic: with a header of wrong magic: the connection is dropped and
#          made again, the read resent, until --reconnect-timeout (3 s)
#          has passed since its first loss: it fails with EIO; reads
#          elsewhere work again once the connection is made again.
# The daemon lives, another device keeps serving, both devices delete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

add_dev null --size 64M
other=$DEV

read_at() { # read_at DEV MIB: one 4 KiB direct read at MIB MiB
	capture timeout 60 dd if="$1" of=/dev/null bs=4k count=1 \
		skip=$(($2 * 256)) iflag=direct
	((GOT != 124)) || fail "a read of $1 at $2 MiB hung"
}

read_ok() { # read_ok DEV MIB: a 4 KiB direct read at MIB MiB succeeds
	timeout 20 dd if="$1" of=/dev/null bs=4k count=1 skip=$(($2 * 256)) \
		iflag=direct 2>/dev/null
}

for mode in short magic; do
	sock=$UBR_SCRATCH/$mode.sock
	"$PYTHON" "$(dirname "$0")/nbd-hostile.py" "$sock" "$mode" $((16 << 20)) &
	on_exit kill -KILL $!
	wait_for 30 test -S "$sock" || fail "the $mode server did not start"
	add_dev nbd --reconnect-timeout 3 "nbd+unix:///?socket=$sock"
	read_at "$DEV" 0
	((GOT == 0)) || fail "$mode: a read the server answers right failed"
	read_at "$DEV" 4
	((GOT != 0)) || fail "$mode: a read answered wrongly succeeded"
	grep -q "Input/output error" "$ERR" || fail "$mode: not EIO"
	if [[ $mode == short ]]; then
		read_at "$DEV" 0
		((GOT == 0)) || fail "short: the connection did not go on"
	else
		# Reconnecting goes on past the timeout (every 5 s at most).
		wait_for 30 read_ok "$DEV" 0 ||
			fail "magic: no read worked after the bad reply"
	fi
	dd if="$other" of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null ||
		fail "$mode: the other device failed"
	kill -0 "$(daemon_pid)" || fail "$mode: the daemon died"
	del_dev "$DEV_ID"
done
echo "nbd-hostile: ok"
