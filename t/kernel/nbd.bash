# Helpers for the tests of the nbd target; source after lib.sh and
# files.bash. Not a test itself (the suite runs t/kernel/*.sh only).

require_program nbdkit
require_target nbd "the nbd target"
# The VM has no NIC; the TCP tests use the loopback, which starts down.
ip link set lo up 2>/dev/null || true

# multi_conn_queues: min(4, the possible CPUs), the queue and connection
# count of the multi-connection tests (the kernel takes at most a queue per
# possible CPU; CI's VM has 2, UBR_VM_SMP=4 gives 4).
multi_conn_queues() {
	local cpus
	cpus=$(($(sed 's/.*[-,]//' /sys/devices/system/cpu/possible) + 1))
	echo $((cpus < 4 ? cpus : 4))
}

tcp_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# nbdkit_said: nbdkit's last words (its log is shared by every server the
# test starts), for a failure line.
nbdkit_said() {
	tail -n 3 "$UBR_SCRATCH/nbdkit.log" 2>/dev/null | tr '\n' ' '
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
	wait_for 30 test -S "$sock" ||
		fail "nbdkit --unix $sock $* did not start: $(nbdkit_said)"
}

nbdkit_tcp() {
	local port=$1
	shift
	nbdkit -f --ipaddr 127.0.0.1 --port "$port" "$@" \
		>>"$UBR_SCRATCH/nbdkit.log" 2>&1 &
	NBDKIT_PID=$!
	on_exit kill -KILL "$NBDKIT_PID"
	wait_for 30 tcp_listening "$port" ||
		fail "nbdkit --port $port $* did not start: $(nbdkit_said)"
}

# server_conns PORT|SOCKET: the clients' connections to the server at that
# TCP port on the loopback (established sockets whose peer is the port;
# the server's own sockets have it on their side) or at that unix socket
# path (the server's accepted sockets, which carry its path).
server_conns() {
	if [[ $1 == /* ]]; then
		awk -v p="$1" '$8 == p && $6 == "03"' /proc/net/unix | wc -l
	else
		awk -v p="$(printf ':%04X' "$1")" \
			'NR > 1 && substr($3, length($3) - 4) == p && $4 == "01"' \
			/proc/net/tcp | wc -l
	fi
}

# expect_conns PORT|SOCKET N WHAT: N connections within a few seconds (a
# closed one may take a moment to go).
expect_conns() {
	wait_for 10 test "$(server_conns "$1")" -eq "$2" ||
		fail "$3: $(server_conns "$1") connections to $1, expected $2"
}

# kill_server: the last nbdkit started, killed and reaped.
kill_server() {
	kill -KILL "$NBDKIT_PID"
	wait "$NBDKIT_PID" 2>/dev/null || true
}

# fio_busy LOG WHAT FIO-ARGS...: fio in the background (its pid in
# $FIO_PID, killed at exit, its output in LOG), and still running 3 s
# later, or the test fails: it must be busy when the server goes.
fio_busy() {
	local log=$1 what=$2
	shift 2
	fio "$@" >"$log" 2>&1 &
	FIO_PID=$!
	on_exit kill -KILL "$FIO_PID"
	sleep 3
	kill -0 "$FIO_PID" 2>/dev/null || {
		cat "$log"
		fail "$what: fio ended before the server was killed"
	}
}

# fio_busy_clean LOG WHAT: that fio exited 0 with no I/O error.
fio_busy_clean() {
	local rc=0
	wait "$FIO_PID" || rc=$?
	cat "$1"
	((rc == 0)) || fail "$2: fio failed ($rc) across the server's restart"
	grep -q "err= 0" "$1" || fail "$2: fio saw I/O errors"
	! grep -q "err= *[1-9]" "$1" || fail "$2: fio saw I/O errors"
}

# exited_1 PID ERRFILE GREP-FLAGS TEXT WHAT: background command PID exited
# 1, and ERRFILE, its stderr, matches TEXT (grep -q with GREP-FLAGS).
exited_1() {
	local rc=0
	wait "$1" || rc=$?
	((rc == 1)) || fail "$5: exit $rc, not 1"
	grep -q"$3" -- "$4" "$2" || fail "$5: $(cat "$2")"
}
