# Shared helpers for the kernel tests t/kernel/*.sh; source it first:
#
#	. "$(dirname "$0")/lib.sh"
#
# The tests run as root inside a VM (t/vm/suite) with the environment set by
# t/vm/guest-suite: UBR_BUILDDIR, UBR_SRCDIR, UBR_KERNEL_SUITE, UBR_SCRATCH (an
# empty tmpfs dir, also the cwd, removed afterwards), UBR_NULL_BLK_KO. The host
# file system is read-only there: write only under $UBR_SCRATCH or /tmp.
#
# Exit 0 = pass, 77 with "SKIP: reason" = skip (only for a kernel that lacks a
# feature), anything else = fail.

set -Eeuo pipefail

# set -e alone stops a test silently: say which command failed.
trap 'echo "FAIL: ${0##*/}: line $LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR

UBR_BUILDDIR=${UBR_BUILDDIR:-$(pwd)}
UBR_SCRATCH=${UBR_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/ubr-scratch.XXXXXX")}
# automake puts the program in the top build dir unless it moves to src/.
UBR=$UBR_BUILDDIR/src/ublk-reactor
[[ -x $UBR || ! -x $UBR_BUILDDIR/ublk-reactor ]] || UBR=$UBR_BUILDDIR/ublk-reactor
ubr_test=${0##*/}

fail() {
	echo "FAIL: $ubr_test: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# Commands run at exit, last registered first, whatever the exit status; the
# test's own status is kept. on_exit CMD [ARGS...] (quoted as given).
ubr_exit_cmds=()

on_exit() {
	local cmd
	printf -v cmd '%q ' "$@"
	ubr_exit_cmds+=("$cmd")
}

ubr_run_exit_cmds() {
	local status=$? i
	# The ERR trap fires with or without -e: a cleanup command's failure
	# (a process already gone) must not print a second FAIL line.
	trap - ERR
	set +e
	for ((i = ${#ubr_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${ubr_exit_cmds[i]}"
	done
	exit "$status"
}
trap ubr_run_exit_cmds EXIT

require_root() {
	[[ $(id -u) == 0 ]] || fail "must run as root (run it through t/vm/suite or t/vm/run)"
}

# A missing program is a broken test machine, not a reason to skip.
require_program() {
	command -v "$1" >/dev/null || fail "$1 not found (run scripts/install-deps)"
}

# has_feature NAME: the kernel (as the daemon reports it) has feature NAME.
has_feature() {
	local out
	[[ -x $UBR ]] || fail "$UBR not built"
	out=$("$UBR" features 2>&1) || fail "'$UBR features' failed: $out"
	grep -qw -- "$1" <<<"$out"
}

# require_target NAME WHAT: this build has target NAME, or the test fails
# ("this build lacks WHAT"). The help is read whole first: `--help | grep -q`
# under pipefail fails whenever grep exits before the second of the help's
# two writes (it is longer than a pipe's 4 KiB buffer) and the help dies
# of SIGPIPE.
require_target() {
	local help
	help=$("$UBR" --help) || fail "'$UBR --help' failed"
	grep -q "^  $1 " <<<"$help" || fail "this build lacks $2"
}

# Skips when the kernel lacks feature NAME.
require_feature() {
	has_feature "$1" || skip "kernel $(uname -r) lacks $1"
}

# wait_for SECS CMD [ARGS...]: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

unload_null_blk() {
	[[ -d /sys/module/null_blk ]] || return 0
	wait_for 10 rmmod null_blk 2>/dev/null || echo "warning: cannot unload null_blk" >&2
}

# load_null_blk PARAM=VALUE...: (re)load null_blk; its first disk is
# /dev/nullb0 (also in $NULLB). Unloaded again at exit.
load_null_blk() {
	unload_null_blk
	if [[ -n ${UBR_NULL_BLK_KO:-} ]]; then
		insmod "$UBR_NULL_BLK_KO" "$@" || fail "insmod null_blk $* failed"
	else
		modprobe null_blk "$@" || fail "modprobe null_blk $* failed"
	fi
	on_exit unload_null_blk
	NULLB=/dev/nullb0
	wait_for 10 test -b "$NULLB" || fail "$NULLB did not appear"
}

# True if null_blk accepts module parameter NAME (they differ across kernels).
null_blk_has_param() {
	local ko=${UBR_NULL_BLK_KO:-null_blk}
	modinfo -F parm "$ko" 2>/dev/null | grep -q "^$1:"
}

# run_fio ARGS...: run fio; on failure show its output and fail. Its output
# (shown in the test log) stays in $FIO_LOG; with --output-format=json the
# JSON alone is in $FIO_JSON.
ubr_fio_runs=0
run_fio() {
	ubr_fio_runs=$((ubr_fio_runs + 1))
	FIO_LOG=$UBR_SCRATCH/fio.$ubr_fio_runs.log
	FIO_JSON=$UBR_SCRATCH/fio.$ubr_fio_runs.json
	echo "+ fio $*"
	if ! fio "$@" --output="$FIO_JSON" >"$FIO_LOG" 2>&1; then
		cat "$FIO_LOG" "$FIO_JSON"
		fail "fio failed"
	fi
	cat "$FIO_LOG" "$FIO_JSON"
}

# Sum of the I/Os of every job and direction in fio's JSON output.
fio_total_ios() {
	awk -F: '/"total_ios"/ { gsub(/[ ,]/, "", $2); n += $2 } END { print n + 0 }' \
		"${1:-$FIO_JSON}"
}

# check_exit EXPECTED CMD [ARGS...]: run CMD, fail unless it exits EXPECTED.
# Its stdout and stderr are left in $OUT and $ERR (files).
# capture CMD [ARGS...]: run CMD with stdout in $OUT and stderr in $ERR,
# show both, and leave its exit status in $GOT.
capture() {
	OUT=$UBR_SCRATCH/cmd.out
	ERR=$UBR_SCRATCH/cmd.err
	GOT=0
	echo "+ $*"
	"$@" >"$OUT" 2>"$ERR" || GOT=$?
	cat "$OUT" "$ERR"
}

check_exit() {
	local want=$1 got
	shift
	capture "$@"
	got=$GOT
	[[ $got == "$want" ]] || fail "'$*' exited $got, expected $want"
}

# expect_fail_msg MSG CMD [ARGS...]: CMD must fail and say MSG on stderr.
expect_fail_msg() {
	local msg=$1 got
	shift
	capture "$@"
	got=$GOT
	((got != 0)) || fail "'$*' succeeded, expected a failure saying '$msg'"
	grep -qF -- "$msg" "$ERR" || fail "'$*' stderr lacks '$msg'"
}

# --- the daemon under test -----------------------------------------------------

# private_daemon: a run directory of this test's own (so no other test's
# daemon is in the way), and a daemon stopped with SIGTERM at exit.
private_daemon() {
	export UBLK_REACTOR_RUNDIR=/run/ubr-${ubr_test%.sh}
	UBR_LOCK=$UBLK_REACTOR_RUNDIR/ublk-reactor.lock
	on_exit stop_daemon
}

# foreground_daemon LOG [VAR=VALUE...] [OPTION...]: `daemon --foreground`
# in the background, with those variables in its environment and those
# options, its stderr in LOG; FG_PID is its pid. Returns once its socket
# is there.
foreground_daemon() {
	local log=$1 vars=()
	shift
	while [[ ${1:-} == *=* ]]; do
		vars+=("$1")
		shift
	done
	env "${vars[@]}" "$UBR" daemon --foreground "$@" 2>"$log" &
	FG_PID=$!
	wait_for 30 test -S "$UBLK_REACTOR_RUNDIR/ublk-reactor.sock" ||
		fail "the daemon did not start: $(tail -n 5 "$log")"
}

daemon_pid() {
	cat "${UBR_LOCK:?call private_daemon first}" 2>/dev/null || true
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

stop_daemon() {
	local pid
	pid=$(daemon_pid)
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_for 60 pid_gone "$pid" || echo "warning: daemon $pid still running" >&2
}

# User threads of a process: io_uring's workers (iou-*) are the kernel's.
user_threads() {
	local t n=0
	for t in /proc/"$1"/task/*; do
		[[ $(cat "$t/comm") == iou-* ]] || n=$((n + 1))
	done
	echo "$n"
}

fd_count() {
	ls /proc/"$1"/fd | wc -l
}

# The fd count once it holds still for half a second (within 10 s): the
# admin connection of a command that just returned may still be open for
# a moment, until the daemon's next turn sees the client hang up.
fd_count_settled() {
	local before now deadline=$((SECONDS + 10))
	now=$(fd_count "$1")
	while ((SECONDS < deadline)); do
		before=$now
		sleep 0.5
		now=$(fd_count "$1")
		((now == before)) && break
	done
	echo "$now"
}

# What each of a process's fds points at, one line each (for messages).
fd_targets() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		echo "${fd##*/} -> $(readlink "$fd")"
	done
}
