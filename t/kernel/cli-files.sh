#!/bin/bash
# Backing files as the client opens them, with the caller's rights, before
# any daemon is involved: a missing file, a directory, a FIFO (read-only
# too: its open must not wait for a writer), a read-only file or file
# system without --read-only get one clear line and exit 1, and start
# nothing; the daemon records absolute paths.
. "$(dirname "$0")/lib.sh"

require_root

export UBLK_REACTOR_RUNDIR=/run/ubr-${ubr_test%.sh}
sock=$UBLK_REACTOR_RUNDIR/ublk-reactor.sock
lock=$UBLK_REACTOR_RUNDIR/ublk-reactor.lock

gone() {
	! kill -0 "$1" 2>/dev/null
}

stop_daemon() {
	local pid
	pid=$(cat "$lock" 2>/dev/null || true)
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_for 60 gone "$pid" || echo "warning: daemon $pid still running" >&2
}
on_exit stop_daemon

expect() { # expect STATUS MESSAGE CMD...
	local status=$1 msg=$2
	shift 2
	check_exit "$status" "$@"
	grep -qF -- "$msg" "$ERR" || fail "'$*': stderr lacks '$msg'"
	[[ $(wc -l <"$ERR") == 1 ]] || fail "'$*': not one line on stderr"
	[[ ! -e $sock ]] || fail "'$*' started a daemon"
}

cd "$UBR_SCRATCH"
truncate -s 64M disk.img
mkdir adir
mkfifo afifo
truncate -s 64M ro.img
chmod 0444 ro.img
# The build tree is on the VM's read-only root.
rofs=$UBR_SRCDIR/configure.ac

expect 1 "cannot open $UBR_SCRATCH/nosuch.img: No such file or directory" \
	"$UBR" add loop "$UBR_SCRATCH/nosuch.img"
expect 1 "adir is a directory" "$UBR" add loop adir
expect 1 "adir is a directory" "$UBR" add loop --read-only adir
expect 1 "afifo is not a regular file or a block device" "$UBR" add loop afifo
# A FIFO's read-only open would wait for a writer: refused at once instead
# (timeout's 124 would fail the exit status check).
expect 1 "afifo is not a regular file or a block device" \
	timeout 20 "$UBR" add loop --read-only afifo
expect 1 "afifo: cannot read: not a regular file" \
	timeout 20 "$UBR" config check afifo
expect 1 "ro.img is read-only (mode 444): use --read-only" "$UBR" add loop ro.img
expect 1 "is read-only (Read-only file system): use --read-only" \
	"$UBR" add loop "$rofs"
expect 2 "target loop needs 1 FILE, got 0" "$UBR" add loop
expect 2 "target loop needs 1 FILE, got 2" "$UBR" add loop disk.img disk.img
expect 2 "target stripe needs 2 to 8 FILEs, got 1" \
	"$UBR" add stripe disk.img
expect 1 "adir is a directory" "$UBR" add stripe disk.img adir

# A relative path reaches the daemon absolute (it runs in "/").
check_exit 0 "$UBR" add loop disk.img
dev=$(cat "$OUT")
[[ -b $dev ]] || fail "$dev missing"
check_exit 0 "$UBR" list --json
grep -qF "\"files\": [\"$UBR_SCRATCH/disk.img\"]" "$OUT" ||
	fail "list --json lacks the absolute path of disk.img"
check_exit 0 "$UBR" add loop --read-only ro.img
[[ -b $(cat "$OUT") ]] || fail "read-only add made no device"
check_exit 0 "$UBR" del --all
echo "cli-files: ok"
