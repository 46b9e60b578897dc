#!/bin/bash
# One daemon, one user thread, many devices: 4 devices with 2 queues, then
# 32 devices with 1 queue, each time fio on all of them at once (no error,
# every device did I/O), `list` and `list --json` show them all, `del`
# removes each and its /dev/ublkbN disappears, and the daemon's descriptor
# count returns to where it started.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
private_daemon

# The daemon starts with the first add; its idle fd count is taken with a
# device that stays for the whole test (so the daemon itself stays).
anchor=$("$UBR" add null --size 64M)
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon pid"
fds_idle=$(fd_count_settled "$pid")
fd_targets "$pid" >"$UBR_SCRATCH/fds-idle"

round() { # round COUNT QUEUES
	local count=$1 queues=$2 devs=() ids=() i dev json
	for ((i = 0; i < count; i++)); do
		dev=$("$UBR" add null --queues "$queues" --size 256M) ||
			fail "add $i of $count failed"
		[[ -b $dev ]] || fail "$dev missing after add"
		devs+=("$dev")
		ids+=("${dev#/dev/ublkb}")
	done
	pid_now=$(pgrep -f "ublk-reactor daemon" | wc -l)
	((pid_now == 1)) || fail "$pid_now daemon processes, expected 1"
	threads=$(user_threads "$pid")
	((threads == 1)) || fail "daemon has $threads user threads with $count devices"
	echo "$count devices x $queues queues: 1 daemon, $threads user thread (${SECONDS}s)"

	# fio on every device at once: one job per device in one fio run.
	local args=()
	for dev in "${devs[@]}"; do
		args+=(--name="${dev##*/}" --filename="$dev")
	done
	run_fio --ioengine=io_uring --direct=1 --bs=4k --rw=randrw --iodepth=8 \
		--time_based --runtime=4 --output-format=json "${args[@]}"
	n=$(grep -c '"jobname"' "$FIO_JSON")
	((n == count)) || fail "fio reported $n jobs for $count devices"
	idle=$(jq '[.jobs[] | select(.read.total_ios + .write.total_ios == 0)] | length' "$FIO_JSON")
	((idle == 0)) || fail "$idle of $count devices did no I/O"

	echo "fio on $count devices done (${SECONDS}s)"
	"$UBR" list >"$UBR_SCRATCH/list"
	"$UBR" list --json >"$UBR_SCRATCH/list.json"
	# One pass over each listing: process start-up is slow under TCG.
	missing=$(for dev in "${devs[@]}"; do echo "$dev"; done |
		grep -vxF -f <(awk '{ print $2 }' "$UBR_SCRATCH/list") || true)
	[[ -z $missing ]] || fail "list lacks: $missing"
	missing=$(for dev in "${devs[@]}"; do echo "$dev"; done |
		grep -vxF -f <(jq -r '.devices[].device' "$UBR_SCRATCH/list.json") || true)
	[[ -z $missing ]] || fail "list --json lacks: $missing"
	n=$(jq '.devices | length' "$UBR_SCRATCH/list.json") || fail "list --json is not valid JSON"
	((n == count + 1)) || fail "list --json shows $n devices, expected $((count + 1))"

	echo "list checked (${SECONDS}s)"
	"$UBR" del "${ids[@]}" || fail "del ${ids[*]} failed"
	for dev in "${devs[@]}"; do
		wait_for 10 test ! -e "$dev" || fail "$dev still exists after del"
	done
	fds=$(fd_count_settled "$pid")
	if ((fds != fds_idle)); then
		echo "# fds when idle:"; sed 's/^/#   /' "$UBR_SCRATCH/fds-idle"
		echo "# fds now:"; fd_targets "$pid" | sed 's/^/#   /'
		fail "daemon has $fds fds after deleting $count devices, $fds_idle before"
	fi
	echo "$count devices deleted; daemon fds back to $fds (${SECONDS}s)"
}

round 4 2
round 32 1
"$UBR" del "${anchor#/dev/ublkb}"
