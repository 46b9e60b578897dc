# Helpers for the tests of the nbd target; source after lib.sh and
# files.bash. Not a test itself (the suite runs t/kernel/*.sh only).

require_program nbdkit
"$UBR" --help | grep -q '^  nbd ' || fail "this build lacks the nbd target"
# The VM has no NIC; the TCP tests use the loopback, which starts down.
ip link set lo up 2>/dev/null || true

tcp_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# nbdkit_unix SOCKET PLUGIN ARGS... / nbdkit_tcp PORT PLUGIN ARGS...:
# nbdkit in the foreground (the test owns its pid: $NBDKIT_PID), killed
# at exit, and listening when the function returns.
nbdkit_unix() {
	local sock=$1
	shift
	rm -f "$sock"
	nbdkit -f --unix "$sock" "$@" >>"$UBR_SCRATCH/nbdkit.log" 2>&1 &
	NBDKIT_PID=$!
	on_exit kill -KILL "$NBDKIT_PID"
	wait_for 30 test -S "$sock" || fail "nbdkit --unix $sock $* did not start"
}

nbdkit_tcp() {
	local port=$1
	shift
	nbdkit -f --ipaddr 127.0.0.1 --port "$port" "$@" \
		>>"$UBR_SCRATCH/nbdkit.log" 2>&1 &
	NBDKIT_PID=$!
	on_exit kill -KILL "$NBDKIT_PID"
	wait_for 30 tcp_listening "$port" || fail "nbdkit --port $port $* did not start"
}
