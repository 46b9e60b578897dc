#!/bin/bash
# The fault target: --delay holds requests that long (fio's mean latency at
# iodepth 1 is at least the delay, and under ten times it);
# --fail-rate fails about that share of the ops in --fail-ops, the same
# ones on a rerun, and nothing else; --fail-offset confines failures to its
# range; with --backing, data reads back exactly as written wherever no
# failure is injected. Meanwhile a loop device of the same daemon passes a
# fio verify without an error. Bad options get one line, exit 2, and
# change nothing.
#
# Kept short for TCG: few processes, several fio jobs per fio run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_program jq
require_program blkdiscard

# fio_jobs ARGS...: fio on $DEV, errors counted rather than fatal. ERRS[j]
# and IOS[j] (the I/Os issued, failed or not) of each job j.
fio_jobs() {
	local line
	run_fio --filename="$DEV" --ioengine=io_uring --direct=1 \
		--continue_on_error=io --output-format=json "$@"
	ERRS=() IOS=()
	while read -r line; do
		ERRS+=("${line% *}") IOS+=("${line#* }")
	done < <(jq -r '.jobs[] | "\(.total_err) \(.read.total_ios + .write.total_ios)"' "$FIO_JSON")
	echo "fio: errors ${ERRS[*]} in ${IOS[*]} I/Os"
}

# The count at the end of the device's description: "...; injected N".
injected() {
	local line
	line=$(list_line "$1")
	echo "${line##*; injected }"
}

# --- another device, verified under fio while the fault devices run ------------
truncate -s 8M "$UBR_SCRATCH/other.img"
add_dev loop "$UBR_SCRATCH/other.img"
other=$DEV other_id=$DEV_ID
other_json=$UBR_SCRATCH/other.json
fio --name=other --filename="$other" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --iodepth=8 --size=8M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --output-format=json \
	--output="$other_json" >/dev/null 2>&1 &
other_fio=$!

# --- delay ---------------------------------------------------------------------
add_dev fault --size 16M --delay 20ms
expect_in_list "$DEV_ID" "delay 20ms, no failures; injected 0"
# fio's total latency (lat), not its completion latency (clat): clat starts
# when io_uring_enter returns, and under TCG part of the delay passes inside
# it (clat was seen at 14ms). And clock_gettime: the clock of the ring's
# timers, not fio's own calibration of the TSC.
run_fio --name=lat --filename="$DEV" --ioengine=io_uring --direct=1 \
	--rw=randread --bs=4k --iodepth=1 --runtime=1 --time_based \
	--clocksource=clock_gettime --output-format=json
read -r n mean min < <(jq -r '.jobs[0].read | "\(.total_ios) \(.lat_ns.mean | floor) \(.lat_ns.min)"' "$FIO_JSON")
echo "delay 20ms: latency mean $((mean / 1000)) us, min $((min / 1000)) us, over $n reads"
((mean >= 20000000)) || fail "mean latency $mean ns, under the 20ms delay"
((mean < 200000000)) || fail "mean latency $mean ns, over 10 x the 20ms delay"
del_dev "$DEV_ID"

# --- failure rate: reads only, about 0.2 of them, the same ones again ----------
add_dev fault --size 64M --fail-rate 0.2 --fail-ops read --seed 1
expect_in_list "$DEV_ID" "delay none, fail 0.2 of read, seed 1; injected"
# No merging: the same reads, the same requests. (fio seeds each job of a
# run differently, so the reads repeated are sequential ones.)
echo 2 >"/sys/block/ublkb$DEV_ID/queue/nomerges"
before=$(injected "$DEV_ID")
fio_jobs --bs=4k --iodepth=16 --size=64M \
	--name=random --rw=randread --io_size=8M \
	--name=seq --stonewall --rw=read --io_size=4M \
	--name=seq-again --stonewall --rw=read --io_size=4M \
	--name=write --stonewall --rw=randwrite --io_size=4M
after=$(injected "$DEV_ID")
for j in 0 1; do
	frac=$(awk -v e="${ERRS[j]}" -v n="${IOS[j]}" 'BEGIN { printf "%.3f", e / n }')
	echo "fail-rate 0.2: ${ERRS[j]} of ${IOS[j]} $([[ $j == 0 ]] && echo random || echo sequential) reads failed ($frac)"
	awk -v f="$frac" 'BEGIN { exit !(f >= 0.1 && f <= 0.3) }' ||
		fail "$frac of the reads failed, not about 0.2"
done
[[ ${ERRS[2]} == "${ERRS[1]}" && ${IOS[2]} == "${IOS[1]}" ]] ||
	fail "the same reads again: ${ERRS[2]} errors, first ${ERRS[1]}"
[[ ${ERRS[3]} == 0 && ${IOS[3]} == 1024 ]] ||
	fail "${ERRS[3]} of ${IOS[3]} writes failed, only reads may"
sum=$((ERRS[0] + ERRS[1] + ERRS[2]))
[[ $((after - before)) == "$sum" ]] ||
	fail "list counts $((after - before)) failures injected, fio saw $sum"
del_dev "$DEV_ID"

wait "$other_fio" || { cat "$other_json"; fail "fio verify on $other failed"; }
jq -e '.jobs[0].error == 0 and .jobs[0].read.io_bytes == 8388608' \
	"$other_json" >/dev/null || { cat "$other_json"; fail "fio on $other: an error, or not all verified"; }
echo "other device: 8M written and verified meanwhile, no errors"

# --- failure range: everything inside fails, nothing outside -------------------
# In buffer copy mode, which the other fault devices here do not use.
add_dev fault --size 16M --fail-rate 1 --fail-offset 1M-2M --copy-mode buffer
expect_in_list "$DEV_ID" "fail 1 of read,write,flush,discard,write-zeroes in 1M-2M"
fio_jobs --iodepth=8 \
	--name=before --rw=randrw --bs=4k --offset=0 --size=1M \
	--name=after --stonewall --rw=randrw --bs=4k --offset=2M --size=14M --io_size=2M \
	--name=inside --stonewall --rw=read --bs=64k --offset=1M --size=1M
[[ ${ERRS[0]} == 0 && ${ERRS[1]} == 0 ]] ||
	fail "I/O outside the range failed: ${ERRS[0]} before it, ${ERRS[1]} after it"
[[ ${ERRS[2]} == 16 && ${IOS[2]} == 16 ]] ||
	fail "${ERRS[2]} of ${IOS[2]} reads in the range failed, not all 16"
capture dd if="$DEV" of=/dev/null bs=4k skip=256 count=1 iflag=direct
[[ $GOT != 0 && $(<"$ERR") == *"Input/output error"* ]] ||
	fail "dd in the range did not fail with EIO"
# Unlike null, it takes discards, so that they too can fail.
check_exit 0 blkdiscard -f -o 4M -l 64K "$DEV"
capture blkdiscard -f -o 1M -l 64K "$DEV"
((GOT != 0)) || fail "a discard in the range succeeded"
del_dev "$DEV_ID"

# --- a backing file: data intact wherever no failure is injected ---------------
img=$UBR_SCRATCH/fault.img data=$UBR_SCRATCH/data
truncate -s 16M "$img"
head -c 16M /dev/urandom >"$data"
# A relative FILE: the client resolves it for the daemon.
cd "$UBR_SCRATCH"
add_dev fault --backing fault.img --fail-rate 0.3 --fail-ops read \
	--fail-offset 8M-16M --seed 3
expect_in_list "$DEV_ID" "$img ("
dd if="$data" of="$DEV" bs=1M oflag=direct status=none || fail "writing $DEV failed"
cmp "$data" "$img" || fail "$img differs from what was written to $DEV"
cmp <(dd if="$DEV" bs=1M count=8 iflag=direct status=none) <(head -c 8M "$data") ||
	fail "the first 8M read back from $DEV differ"
fio_jobs --name=inside --rw=randread --bs=4k --iodepth=8 --offset=8M --size=8M --io_size=2M
((ERRS[0] > 0)) || fail "no read in 8M-16M failed at rate 0.3"
echo "backing: 16M written intact, 8M read back intact; ${ERRS[0]} of ${IOS[0]} reads in 8M-16M failed"
del_dev "$DEV_ID"

# --- bad options: one line, exit 2 (1 for the daemon's own refusals) ----------
# expect STATUS MESSAGE ARGS...: `add ARGS` fails so, with one line.
expect() {
	local status=$1 msg=$2 lines
	shift 2
	check_exit "$status" "$UBR" add "$@"
	mapfile -t lines <"$ERR"
	[[ ${#lines[@]} == 1 && ${lines[0]} == "ublk-reactor: "*"$msg"* && ! -s $OUT ]] ||
		fail "add $*: not one line saying '$msg'"
}
expect 2 "must be at most 10s" fault --delay 11s
expect 2 "not a duration" fault --delay 5
expect 2 "must be 0..1" fault --fail-rate 1.5
expect 2 "unknown op 'bogus'" fault --fail-rate 0.1 --fail-ops read,bogus
expect 2 "START must be below END" fault --fail-rate 0.1 --fail-offset 2M-1M
expect 2 "option --delay is for the fault target only" null --delay 1ms
expect 2 "use --backing FILE" fault "$img"
expect 2 "takes FILE as a word of its own" fault "--backing=$img"
expect 1 "past the end of the device" fault --size 16M --fail-rate 1 \
	--fail-offset 32M-64M
[[ $("$UBR" list --json | jq -c '[.devices[].id]') == "[$other_id]" ]] ||
	fail "bad adds changed the devices"
dd if="$other" of=/dev/null bs=1M count=4 iflag=direct status=none ||
	fail "$other stopped serving"
del_dev "$other_id"
echo "fault-target: ok"
