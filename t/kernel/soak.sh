#!/bin/bash
# Soak: four devices of different targets (loop, stripe, fault over a file,
# null) under fio for UBR_SOAK_MINUTES minutes (default 2; t/soak/run runs
# longer ones), while random operations hit the daemon: kill -9 then
# `recover`, kill -9 then a service restart (`daemon --config`), quiesce
# and resume (where the kernel has QUIESCE), a config reload that adds or
# removes a device, add and del of short-lived devices, and `upgrade` to
# a copy of the binary and back. An extra fault device fails about 2% of
# its I/O under its own fio job.
# Fails on: a verify error or any I/O error on the four devices, a fio job
# that does not finish in time after the round's operations (a lost
# request), a device that does not come back with its ID, a fault device
# whose fio saw no EIO. Every operation runs at least once, in an order
# drawn from the printed seed; UBR_SOAK_SEED=SEED replays that order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"
. "$(dirname "$0")/soak.bash"

require_program fio
require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup

minutes=${UBR_SOAK_MINUTES:-2}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || fail "UBR_SOAK_MINUTES must be a whole number of minutes, not '$minutes'"
# A round's fio may run this long after its last operation before the
# request it waits for counts as lost; the test's own timeout must leave
# room for the soak, a last round and the clean-up.
FIO_BOUND=240
((minutes * 60 + 2 * FIO_BOUND <= ${UBR_TEST_TIMEOUT:-600})) ||
	fail "UBR_TEST_TIMEOUT=${UBR_TEST_TIMEOUT:-600} is too short for $minutes minutes (t/soak/run sets it)"
seed=${UBR_SOAK_SEED:-$(($(date +%s%N) % 1000000007))}
[[ $seed =~ ^[0-9]+$ ]] || fail "UBR_SOAK_SEED must be a number, not '$seed'"
echo "soak: $minutes min on $(uname -r), seed $seed (replay: UBR_SOAK_SEED=$seed)"
RANDOM=$seed

cd "$UBR_SCRATCH"

modes=($(copy_modes))
mode() { echo "${modes[$1 % ${#modes[@]}]}"; }
truncate -s 32M loop.img fault.img
truncate -s 16M s0.img s1.img
cfg=$UBR_SCRATCH/soak.conf
cat >"$cfg" <<EOF
# the soak's service: two of the four devices; "extra" comes and goes
mloop loop --copy-mode $(mode 0) $UBR_SCRATCH/loop.img
mnull null --copy-mode $(mode 3) --size 256M
EOF
check_exit 0 "$UBR" daemon --config "$cfg"
snap
loop=/dev/ublkb$(id_of mloop) null=/dev/ublkb$(id_of mnull)
add_dev stripe --copy-mode "$(mode 1)" s0.img s1.img
stripe=$DEV
add_dev fault --copy-mode "$(mode 2)" --backing fault.img --delay 1ms
fault=$DEV
add_dev fault --size 64M --fail-rate 0.02 --seed "$((seed % 65536))"
faultx=$DEV
main=("$loop" "$stripe" "$fault" "$null")
expect_devices
"$UBR" list

end=$((SECONDS + minutes * 60))
ops=(kill-recover kill-restart reload add del upgrade)
if has_feature QUIESCE; then ops+=(quiesce); fi
# Every operation once, shuffled; then at random until the time is up.
todo=()
for op in "${ops[@]}"; do
	p=$((RANDOM % (${#todo[@]} + 1)))
	todo=("${todo[@]:0:p}" "$op" "${todo[@]:p}")
done
round=0
while ((${#todo[@]} || SECONDS < end)); do
	round=$((round + 1))
	echo "--- round $round ($SECONDS s)"
	start_round_fio
	n=0
	# Up to three operations a round, while the verifying fio still runs.
	while ((n < 3)) && ! proc_done "$FIO_PID"; do
		if ((${#todo[@]})); then
			op=${todo[0]} todo=("${todo[@]:1}")
		else
			op=${ops[RANDOM % ${#ops[@]}]}
		fi
		do_op "$op"
		n=$((n + 1))
		sleep "0.$((RANDOM % 10))"
	done
	finish_round_fio
	expect_devices
done

check_clean_kernel_log
report_counts
