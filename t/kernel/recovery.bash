# Helpers for the recovery tests; source after lib.sh and files.bash.

# Devices left without a daemon by a test that failed half-way would
# outlive it: take them back and delete them.
recovery_cleanup() {
	local pid
	pid=$(daemon_pid)
	if [[ -z $pid ]] || pid_gone "$pid"; then
		"$UBR" recover >/dev/null 2>&1 || true
	fi
	"$UBR" stop --delete >/dev/null 2>&1 || true
}

# kill_daemon: SIGKILL, and wait until the process is gone.
kill_daemon() {
	local pid
	pid=$(daemon_pid)
	[[ -n $pid ]] || fail "no daemon to kill"
	kill -KILL "$pid"
	wait_for 30 pid_gone "$pid" || fail "daemon $pid survived SIGKILL"
}

# recover_all ID...: `recover` must bring back exactly these devices.
recover_all() {
	local want got
	check_exit 0 "$UBR" recover
	want=$(printf '/dev/ublkb%s\n' "$@" | sort)
	got=$(sort "$OUT")
	[[ $got == "$want" ]] || fail "recover printed '$got', expected '$want'"
}

# writes_done DEV: writes the block device DEV has completed (its stat's
# fifth field), over its life.
writes_done() {
	local s
	read -r -a s <"/sys/block/${1##*/}/stat"
	echo "${s[4]}"
}

# A fio job per device: random writes with a checksum in every block, then
# a read-back that verifies them all. Runs in the background; $FIO_PID.
fio_write_verify_bg() { # SIZE DEV...
	local size=$1 d args=()
	shift
	FIO_DEVS=("$@") FIO_BASE=()
	for d in "$@"; do
		args+=(--name="${d##*/}" --filename="$d")
		FIO_BASE+=("$(writes_done "$d")")
	done
	FIO_LOG=$UBR_SCRATCH/fio-bg.log
	fio --ioengine=io_uring --direct=1 --bs=16k --iodepth=16 \
		--rw=randwrite --size="$size" --verify=crc32c --verify_fatal=1 \
		--do_verify=1 --output-format=json --output="$FIO_LOG.json" \
		"${args[@]}" >"$FIO_LOG" 2>&1 &
	FIO_PID=$!
}

# fio_writing: the background fio's writes reach every one of its devices.
fio_writing() {
	local i
	for i in "${!FIO_DEVS[@]}"; do
		(($(writes_done "${FIO_DEVS[i]}") > FIO_BASE[i])) || return 1
	done
}

# fio_wait_writing: wait for that. Under TCG fio takes over a second to
# start: a fixed sleep stopped or killed the daemon before any write.
fio_wait_writing() {
	wait_for 60 fio_writing || fail "fio wrote nothing to ${FIO_DEVS[*]} in 60 s"
	kill -0 "$FIO_PID" 2>/dev/null || { fio_bg_check; fail "fio ended before it could be interrupted: make it longer"; }
}

# fio_bg_check: the background fio ended without error and verified.
fio_bg_check() {
	local rc=0 errs
	wait "$FIO_PID" || rc=$?
	errs=$(jq '[.jobs[].error] | add' "$FIO_LOG.json" 2>/dev/null || echo unknown)
	if ((rc != 0)) || [[ $errs != 0 ]]; then
		cat "$FIO_LOG" "$FIO_LOG.json" 2>/dev/null | tail -40
		fail "fio exited $rc with error $errs"
	fi
	jq -e '[.jobs[].read.io_bytes] | min > 0' "$FIO_LOG.json" >/dev/null ||
		fail "fio did not read back (verify) on every device"
}
