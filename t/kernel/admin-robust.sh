#!/bin/bash
# The admin socket against bad clients: malformed requests (bad magic, bad
# version, truncated, unterminated words, too many descriptors) get an error
# reply and their descriptors closed; idle connections do not block others;
# clients killed while their `add` runs leave a working daemon, and the
# devices they asked for. The daemon's descriptor count ends where it began.
. "$(dirname "$0")/lib.sh"

require_root
require_program python3

private_daemon
sock=$UBLK_REACTOR_RUNDIR/ublk-reactor.sock


# Three first adds at once: one daemon wins, every add gets its device.
others=$(pgrep -c -x ublk-reactor || true)
for i in 1 2 3; do
	"$UBR" add null >"$UBR_SCRATCH/race.$i" 2>&1 &
done
status=0
for i in 1 2 3; do
	wait -n || status=$?
done
cat "$UBR_SCRATCH"/race.*
((status == 0)) || fail "a concurrent first add failed"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "the daemon did not start"
[[ $(pgrep -c -x ublk-reactor) == $((others + 1)) ]] ||
	fail "more than one new daemon: $(pgrep -a -x ublk-reactor)"
check_exit 0 "$UBR" list
[[ $(grep -c ' live ' "$OUT") == 3 ]] || fail "not 3 live devices after the race"
check_exit 0 "$UBR" del --all
fds_before=$(fd_count "$pid")

# Raw requests, each on its own connection; prints the daemon's answer.
python3 - "$sock" <<'EOF' || fail "malformed requests were not refused properly"
import array, os, socket, struct, sys

path = sys.argv[1]
MAGIC, VERSION, REQUEST, STDOUT, STDERR, EXIT = 0x55425241, 1, 1, 2, 3, 4

def hdr(count, length, magic=MAGIC, version=VERSION, typ=REQUEST):
    return struct.pack("=IHHII", magic, version, typ, count, length)

def request(words):
    payload = b"".join(w.encode() + b"\0" for w in words)
    return hdr(len(words), len(payload)) + payload

def ask(msg, nfds=0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    s.sendmsg([msg], anc)
    for fd in fds:
        os.close(fd)
    out, status = b"", None
    while status is None:
        m = s.recv(70000)
        if not m:
            break
        magic, version, typ, count, length = struct.unpack("=IHHII", m[:16])
        assert magic == MAGIC and length == len(m) - 16, m
        if typ == EXIT:
            status = count
        else:
            out += m[16:]
    s.close()
    return status, out.decode()

def refused(what, msg, want, nfds=0):
    status, text = ask(msg, nfds)
    print("%s: status %s: %s" % (what, status, text.strip()))
    assert status == 1, what
    assert want in text and text.startswith("ublk-reactor: "), what

refused("bad magic", hdr(1, 5, magic=0x12345678) + b"list\0", "bad magic")
refused("bad version", hdr(1, 5, version=9) + b"list\0", "protocol version 9")
refused("short", b"UBR", "too short")
refused("unterminated", hdr(1, 4) + b"list", "not NUL-terminated")
refused("length lies", hdr(1, 50) + b"list\0", "length field")
refused("too long", hdr(1, 70000) + b"x" * 70000, "longer than")
refused("too many fds", request(["add", "null"]), "descriptors", nfds=9)
refused("fds with list", request(["list"]), "takes no descriptors", nfds=2)
status, text = ask(request(["add", "null"]), nfds=1)
print("add null with a descriptor: status %s: %s" % (status, text.strip()))
assert status == 1 and "descriptor" in text
status, text = ask(request(["frob"]))
assert status == 2 and "unknown command 'frob'" in text, text
status, text = ask(request(["list"]))
assert status == 0 and text.startswith("ID "), text
EOF

# Idle connections (no request sent) do not hold up anyone else.
python3 -c '
import socket, sys, time
conns = []
for _ in range(8):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(30)
' "$sock" &
idle=$!
end_idle() {
	kill "$idle" 2>/dev/null || true
	wait "$idle" 2>/dev/null || true
}
on_exit end_idle
sleep 1
start=$SECONDS
check_exit 0 "$UBR" list
((SECONDS - start < 5)) || fail "list took $((SECONDS - start)) s next to idle clients"

# Clients that die right after asking for a device.
for i in 1 2 3 4 5; do
	"$UBR" add null >/dev/null 2>&1 &
	c=$!
	sleep "0.0$i"
	kill -KILL "$c" 2>/dev/null || true
	wait "$c" 2>/dev/null || true
done
kill -0 "$pid" || fail "the daemon died after clients vanished"
wait_for 30 bash -c "! '$UBR' list | grep -qE 'adding|starting'" ||
	fail "adds of vanished clients never finished"
check_exit 0 "$UBR" list
echo "devices after killed clients: $(($(wc -l <"$OUT") - 1))"
check_exit 0 "$UBR" add null
[[ -b $(cat "$OUT") ]] || fail "add after killed clients made no device"
check_exit 0 "$UBR" del --all
[[ -z $(ls /dev/ublkb* 2>/dev/null) ]] || fail "devices left: $(ls /dev/ublkb*)"

end_idle
# The idle connections are closed by now or within the daemon's timeout.
fds_at_most() {
	(($(fd_count "$1") <= $2))
}
wait_for 15 fds_at_most "$pid" "$fds_before" ||
	fail "the daemon holds $(fd_count "$pid") descriptors, $fds_before at start"
echo "admin-robust: ok"
