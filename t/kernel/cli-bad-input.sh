#!/bin/bash
# Every bad input of issue 3 gets one clear line and the right exit status
# (2 usage, 1 failure), and changes nothing: no daemon started by a usage
# error, no device created or deleted, no half-made kernel device.
. "$(dirname "$0")/lib.sh"

require_root
require_program setpriv
require_program unshare

private_daemon
sock=$UBLK_REACTOR_RUNDIR/ublk-reactor.sock

# Kernel ublk devices, whoever serves them.
nr_kernel_devs() {
	local n=0 c
	for c in /sys/class/ublk-char/ublkc*; do
		[[ -e $c ]] && n=$((n + 1))
	done
	echo "$n"
}

# expect STATUS MESSAGE CMD...: exit status and one line saying MESSAGE.
expect() {
	local status=$1 msg=$2
	shift 2
	check_exit "$status" "$@"
	grep -qF -- "$msg" "$ERR" || fail "'$*': stderr lacks '$msg'"
	[[ $(wc -l <"$ERR") == 1 ]] || fail "'$*': not one line on stderr"
	grep -q '^ublk-reactor: ' "$ERR" || fail "'$*': message not prefixed"
	[[ -s $OUT ]] && fail "'$*': wrote to stdout on failure"
	return 0
}

no_daemon() {
	[[ ! -e $sock && -z $(daemon_pid) ]] || fail "a daemon was started: $*"
}

# --- no daemon: del and list say so; usage errors never start one ------------
expect 1 "the daemon is not running" "$UBR" list
expect 1 "the daemon is not running" "$UBR" list --json
expect 1 "the daemon is not running" "$UBR" del 0
expect 1 "the daemon is not running" "$UBR" del --all

cpus=$(($(sed 's/.*[-,]//' /sys/devices/system/cpu/possible) + 1))
expect 2 "unknown target 'bogus'" "$UBR" add bogus
expect 2 "add needs a target" "$UBR" add
expect 2 "unknown option '--bogus'" "$UBR" add null --bogus
expect 2 "unknown option '-z'" "$UBR" add null -z
expect 2 "must be 1..4096" "$UBR" add null --depth 0
expect 2 "must be 1..4096" "$UBR" add null -d 5000
expect 2 "not a number" "$UBR" add null -d many
expect 2 "needs a value" "$UBR" add null -d
expect 2 "invalid queue count '0'" "$UBR" add null -q 0
expect 2 "must be 1..$cpus (the kernel allows one queue per possible CPU)" \
	"$UBR" add null -q $((cpus + 1))
expect 2 "must be 512 or 4096" "$UBR" add null --logical-block-size 1024
expect 2 "not a size" "$UBR" add null --size 12X
expect 2 "multiple of the logical block size" \
	"$UBR" add null --size 6K --logical-block-size 4096
expect 2 "invalid copy mode 'fast'" "$UBR" add null --copy-mode fast
expect 2 "takes no FILE" "$UBR" add null /etc/hostname
expect 2 "unknown command 'frobnicate'" "$UBR" frobnicate
expect 2 "del needs device IDs or --all" "$UBR" del
expect 2 "not a number, nor a name" "$UBR" del one/two
expect 2 "invalid name 'a b'" "$UBR" add null --name "a b"
expect 2 "unknown config subcommand 'frob'" "$UBR" config frob
expect 2 "reload takes no arguments" "$UBR" reload now
expect 2 "unknown argument '--yaml'" "$UBR" list --yaml
expect 2 "unknown argument '--now'" "$UBR" daemon --now
no_daemon "after usage errors"

# The driver missing: a mount namespace where /dev has no ublk-control.
hide_dev() {
	unshare -m --propagation private sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$@"
}
expect 1 "ublk_drv is not loaded: modprobe ublk_drv" hide_dev "$UBR" add null
expect 1 "ublk_drv is not loaded: modprobe ublk_drv" hide_dev "$UBR" features
no_daemon "without a driver"

# --- with a daemon ---------------------------------------------------------
before=$(nr_kernel_devs)
check_exit 0 "$UBR" add null
dev=$(cat "$OUT")
id=${dev#/dev/ublkb}
[[ -b $dev ]] || fail "$dev missing"
pid=$(daemon_pid)
n=$(nr_kernel_devs)
[[ $n == $((before + 1)) ]] || fail "$n kernel devices, expected $((before + 1))"

# Refused by the daemon itself.
expect 1 "device ID $id is already in use" "$UBR" add null -n "$id"
expect 2 "must be 1..4096" "$UBR" add null -d 0
[[ $(nr_kernel_devs) == "$n" ]] || fail "a refused add changed the devices"

# Refused by the kernel, after ADD_DEV: an ID that another server (a second
# daemon in another run directory) holds. Nothing half-made may stay.
other=/run/ubr-${ubr_test%.sh}-other
stop_other() {
	local pid
	pid=$(cat "$other/ublk-reactor.lock" 2>/dev/null || true)
	[[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true
	[[ -z $pid ]] || wait_for 60 pid_gone "$pid" || true
}
on_exit stop_other
check_exit 0 env UBLK_REACTOR_RUNDIR="$other" "$UBR" add null
odev=$(cat "$OUT")
oid=${odev#/dev/ublkb}
n=$(nr_kernel_devs)
expect 1 "device ID $oid is already in use" "$UBR" add null -n "$oid"
[[ $(nr_kernel_devs) == "$n" ]] || fail "a failed add left a kernel device"
check_exit 0 "$UBR" list
# The other daemon's device is listed as such; no row of ours has its ID.
grep -q "^$oid .*not ours: served by pid" "$OUT" || fail "list lacks the other daemon's device $oid"
grep "^$oid " "$OUT" | grep -qv "not ours: served by pid" && fail "the failed add is listed"
check_exit 0 env UBLK_REACTOR_RUNDIR="$other" "$UBR" del "$oid"
stop_other

# A copy mode the kernel lacks is refused, not assumed.
if ! has_feature AUTO_BUF_REG; then
	expect 1 "AUTO_BUF_REG" "$UBR" add null --copy-mode zero
fi

# del: an unknown ID deletes nothing, not even the known ones.
expect 1 "no device 999" "$UBR" del 999
expect 1 "no device 999" "$UBR" del "$id" 999
[[ -b $dev ]] || fail "del of $id and an unknown ID deleted $dev"

# A second daemon refuses to run.
expect 1 "already running (pid $pid)" "$UBR" daemon --foreground

# --- non-root callers: permission denied, nothing changes -----------------
n=$(nr_kernel_devs)
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
deny="permission denied: only root may manage ublk devices"
expect 1 "$deny" nobody "$UBR" list
expect 1 "$deny" nobody "$UBR" add null
expect 1 "$deny" nobody "$UBR" del "$id"
expect 1 "$deny" nobody "$UBR" del --all
[[ -b $dev && $(nr_kernel_devs) == "$n" ]] || fail "a non-root caller changed the devices"
[[ $(daemon_pid) == "$pid" ]] && kill -0 "$pid" || fail "the daemon did not survive"

# --- a stale socket left by a crash ------------------------------------------
check_exit 0 "$UBR" del --all
kill -KILL "$pid"
wait_for 10 pid_gone "$pid" || fail "daemon $pid survived SIGKILL"
[[ -S $sock ]] || fail "no socket left behind to test with"
expect 1 "stale socket" "$UBR" list
[[ -e $sock ]] && fail "the stale socket was not removed"
expect 1 "the daemon is not running" "$UBR" list

# Again, for del and then add (which starts a new daemon over it).
"$UBR" daemon
pid=$(daemon_pid)
kill -KILL "$pid"
wait_for 10 pid_gone "$pid" || fail "daemon $pid survived SIGKILL"
expect 1 "stale socket" "$UBR" del 0
"$UBR" daemon
pid=$(daemon_pid)
kill -KILL "$pid"
wait_for 10 pid_gone "$pid" || fail "daemon $pid survived SIGKILL"
check_exit 0 "$UBR" add null
[[ -b $(cat "$OUT") ]] || fail "add over a stale socket made no device"
[[ $(daemon_pid) != "$pid" ]] || fail "no new daemon"
check_exit 0 "$UBR" del --all
echo "cli-bad-input: ok"
