# The operations and checks of t/kernel/soak.sh; source after lib.sh,
# files.bash and recovery.bash. Not a test itself (the suite runs *.sh).
# soak.sh sets: cfg (the daemon's config file), main (the four devices:
# loop, stripe, fault, null), faultx (the failing fault device), FIO_BOUND.

declare -A count=() # operations done, by name
short=()            # IDs of the short-lived devices
extra=              # ID of the config's "extra" device while its line is in
verified=0 fault_err=0 fault_ios=0

snap() {
	LIST=$("$UBR" list --json) || fail "list --json failed"
}

id_of() {
	jq -r --arg n "$1" '.devices[] | select(.name == $n) | .id' <<<"$LIST"
}

# The devices the daemon must serve now, one path a line, sorted.
expected() {
	local i
	{
		printf '%s\n' "${main[@]}" "$faultx"
		[[ -z $extra ]] || echo "/dev/ublkb$extra"
		for i in "${short[@]}"; do echo "/dev/ublkb$i"; done
	} | sort
}

# The daemon serves exactly those devices, each live under its ID.
expect_devices() {
	local got want d
	snap
	got=$(jq -r '.devices[] | "/dev/ublkb\(.id) \(.owner) \(.state)"' <<<"$LIST" | sort)
	want=$(expected | sed 's/$/ ours live/')
	[[ $got == "$want" ]] || fail "devices: '$got', expected '$want'"
	for d in $(expected); do
		[[ -b $d ]] || fail "$d is not a block device"
	done
}

# proc_done PID: the process has exited (a zombie until waited for).
proc_done() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 0
	s=${s##*) }
	[[ ${s%% *} == Z ]]
}

# wait_done PID WHAT: a request the daemon lost would keep fio waiting
# forever: give it FIO_BOUND seconds, then show what hangs and fail.
wait_done() {
	wait_for "$FIO_BOUND" proc_done "$1" && return 0
	"$UBR" list || true
	grep . /sys/block/ublkb*/inflight || true
	fail "$2 did not finish within $FIO_BOUND s of the round's last operation: a request lost?"
}

# A round's I/O: random writes verified (crc32c) on loop, stripe and fault;
# reads and writes on null (it stores nothing) and on the failing device,
# whose errors are counted, not fatal, until the verifying job is done.
start_round_fio() {
	fio_write_verify_bg 24M "${main[@]:0:3}"
	SIDE_JSON=$UBR_SCRATCH/side.json
	fio --ioengine=io_uring --direct=1 --bs=4k --iodepth=8 --rw=randrw \
		--time_based --runtime=3600 --output-format=json --output="$SIDE_JSON" \
		--name=null --filename="${main[3]}" \
		--name=faultx --filename="$faultx" --continue_on_error=io \
		>"$UBR_SCRATCH/side.log" 2>&1 &
	SIDE_PID=$!
	fio_wait_writing
}

finish_round_fio() {
	local rc=0 json=$UBR_SCRATCH/side.only.json err ios first
	wait_done "$FIO_PID" "fio on ${main[*]:0:3}"
	fio_bg_check
	verified=$((verified + $(jq '[.jobs[].read.io_bytes] | add' "$FIO_LOG.json")))
	kill -INT "$SIDE_PID" 2>/dev/null || true
	wait_done "$SIDE_PID" "fio on ${main[3]} and $faultx"
	# Stopped by SIGINT, fio exits 0 or 128; an I/O error is in the job.
	wait "$SIDE_PID" || rc=$?
	if ((rc == 128)); then rc=0; fi
	# fio's messages (one per failed I/O) may precede the JSON.
	sed -n '/^{/,$p' "$SIDE_JSON" >"$json"
	if ((rc != 0)) || ! jq -e '.jobs[] | select(.jobname == "null") |
			.error == 0 and .read.io_bytes > 0 and .write.io_bytes > 0' \
			"$json" >/dev/null; then
		tail -n 30 "$UBR_SCRATCH/side.log" "$SIDE_JSON"
		fail "fio on ${main[3]}: exit $rc, an I/O error or no I/O"
	fi
	read -r err ios first < <(jq -r '.jobs[] | select(.jobname == "faultx") |
		"\(.total_err) \(.read.total_ios + .write.total_ios) \(.first_error)"' "$json")
	echo "fault device: $err of $ios I/Os failed (first errno $first)"
	((err == 0 || first == 5)) || fail "the fault device failed with errno $first, not EIO"
	fault_err=$((fault_err + err)) fault_ios=$((fault_ios + ios))
}

# do_op NAME: one operation, counted; add and del keep zero to three
# short-lived devices.
do_op() {
	local op=$1
	if [[ $op == add ]] && ((${#short[@]} >= 3)); then op=del; fi
	if [[ $op == del ]] && ((${#short[@]} == 0)); then do_op add; fi
	echo "- $op ($SECONDS s)"
	"op_${op//-/_}"
	count[$op]=$((${count[$op]:-0} + 1))
}

# kill -9, `recover` by hand (it starts a daemon without the config); then
# back to the service: `stop` leaves the devices to the kernel, and
# `daemon --config` takes them back.
op_kill_recover() {
	local d
	kill_daemon
	for d in $(expected); do
		[[ -b $d ]] || fail "$d vanished with the daemon"
	done
	recover_all $(expected | sed 's|/dev/ublkb||')
	expect_devices
	check_exit 0 "$UBR" stop
	check_exit 0 "$UBR" daemon --config "$cfg"
	expect_devices
}

# kill -9, and the service manager restarts the daemon: it recovers the
# devices, then finds its file's devices unchanged.
op_kill_restart() {
	kill_daemon
	check_exit 0 "$UBR" daemon --config "$cfg"
	expect_devices
}

op_quiesce() {
	local id=${main[RANDOM % ${#main[@]}]#/dev/ublkb}
	check_exit 0 "$UBR" quiesce "$id"
	expect_in_list "$id" " quiesced "
	sleep "0.$((RANDOM % 10))"
	check_exit 0 "$UBR" resume "$id"
	expect_in_list "$id" " live "
}

# The config's "extra" line goes in or out; the rest stays as it is.
op_reload() {
	if [[ -z $extra ]]; then
		echo 'extra null --size 64M' >>"$cfg"
		check_exit 0 "$UBR" reload
		[[ $(<"$OUT") =~ ^added\ extra\ /dev/ublkb([0-9]+)$ ]] ||
			fail "reload printed '$(<"$OUT")', not one 'added extra' line"
		extra=${BASH_REMATCH[1]}
	else
		sed -i '/^extra /d' "$cfg"
		check_exit 0 "$UBR" reload
		[[ $(<"$OUT") == "deleted extra /dev/ublkb$extra" ]] ||
			fail "reload printed '$(<"$OUT")', not 'deleted extra /dev/ublkb$extra'"
		extra=
	fi
	expect_devices
}

# A null or a loop device; a loop device's data is written and read back.
op_add() {
	local img=$UBR_SCRATCH/short${count[add]:-0}.img data=$UBR_SCRATCH/short.data
	if ((RANDOM % 2)); then
		add_dev null --size 64M
		dd if="$DEV" of=/dev/null bs=1M count=4 iflag=direct status=none ||
			fail "reading $DEV failed"
	else
		truncate -s 16M "$img"
		add_dev loop "$img"
		head -c 1M /dev/urandom >"$data"
		dd if="$data" of="$DEV" bs=1M oflag=direct status=none || fail "writing $DEV failed"
		cmp <(dd if="$DEV" bs=1M count=1 iflag=direct status=none) "$data" ||
			fail "$DEV read back other data"
	fi
	short+=("$DEV_ID")
}

op_del() {
	local i=$((RANDOM % ${#short[@]}))
	del_dev "${short[i]}"
	short=("${short[@]:0:i}" "${short[@]:i+1}")
	expect_devices
}

# To a copy of the binary, and back to the build's on the next one.
op_upgrade() {
	local pid copy=$UBR_SCRATCH/ublk-reactor.copy to
	[[ -x $copy ]] || cp "$UBR" "$copy"
	pid=$(daemon_pid)
	to=$copy
	[[ $(readlink "/proc/$pid/exe") != "$copy" ]] || to=$(readlink -f "$UBR")
	check_exit 0 "$UBR" upgrade --binary "$to"
	[[ $(sort "$OUT") == "$(expected)" ]] || fail "upgrade printed '$(<"$OUT")', expected every device"
	wait_for 30 pid_gone "$pid" || fail "the old daemon $pid still runs"
	pid=$(daemon_pid)
	[[ $(readlink "/proc/$pid/exe") == "$to" ]] ||
		fail "the daemon runs $(readlink "/proc/$pid/exe"), not $to"
	expect_devices
}

# The kernel reported no I/O error on the four devices (the fault device's
# are expected).
check_clean_kernel_log() {
	local ids
	ids=$(printf '%s|' "${main[@]#/dev/ublkb}")
	if dmesg | grep -E "error, dev ublkb(${ids%|}),"; then
		fail "the kernel logged I/O errors on ${main[*]}"
	fi
}

# The counts, as lines t/vm/suite repeats; then every operation must have
# run and the fault device must have failed some I/O.
report_counts() {
	local op line="measure: soak $minutes min on $(uname -r), seed $seed, $round rounds:"
	for op in "${ops[@]}"; do
		line+=" $op ${count[$op]:-0},"
	done
	echo "${line%,}"
	echo "measure: soak: $((verified >> 20)) MiB written and verified on loop, stripe, fault; no error; the fault device failed $fault_err of $fault_ios I/Os (EIO)"
	for op in "${ops[@]}"; do
		((${count[$op]:-0} > 0)) || fail "operation $op never ran"
	done
	((fault_err > 0)) || fail "the fault device's fio saw no I/O error at --fail-rate 0.02"
}
