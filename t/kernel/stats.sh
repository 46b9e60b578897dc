#!/bin/bash
# `stats` counts exactly what fio did: size-bounded jobs (a known number of
# reads and writes, and bytes) move the device's counters by that much, with
# no errors; the latency histogram holds every request; the reactor's
# counters grow; --json parses; naming one device shows only it; an unknown
# ID fails with status 1 and a bad option with status 2.
. "$(dirname "$0")/lib.sh"

require_root
require_program fio
require_program jq

private_daemon

check_exit 0 "$UBR" add null --size 64M
dev=$(cat "$OUT")
id=${dev#/dev/ublkb}
check_exit 0 "$UBR" add null --size 64M
other=$(cat "$OUT")
other_id=${other#/dev/ublkb}

snapshot() { # snapshot FILE: this device's stats and the reactor's, as JSON
	check_exit 0 "$UBR" stats --json "$id"
	cp "$OUT" "$1"
}

delta() { # delta FIELD: how much the device's FIELD grew across fio
	jq -n --slurpfile a "$UBR_SCRATCH/before.json" \
		--slurpfile b "$UBR_SCRATCH/after.json" --arg f "$1" \
		'$b[0].devices[0][$f] - $a[0].devices[0][$f]'
}

reactor_delta() {
	jq -n --slurpfile a "$UBR_SCRATCH/before.json" \
		--slurpfile b "$UBR_SCRATCH/after.json" --arg f "$1" \
		'$b[0].reactor[$f] - $a[0].reactor[$f]'
}

# One request per fio I/O: no merging of adjacent ones in the block layer.
echo 2 >"/sys/block/ublkb$id/queue/nomerges"
# The kernel reads the new disk's partition table: start from a snapshot.
snapshot "$UBR_SCRATCH/before.json"
# Every 4k block of 8M once: 2048 reads; 8k writes over 4M: 512 writes.
run_fio --name=r --filename="$dev" --ioengine=io_uring --direct=1 --bs=4k \
	--rw=randread --size=8M --iodepth=16 --output-format=json
fio_reads=$(jq '.jobs[0].read.total_ios' "$FIO_JSON")
fio_rbytes=$(jq '.jobs[0].read.io_bytes' "$FIO_JSON")
run_fio --name=w --filename="$dev" --ioengine=io_uring --direct=1 --bs=8k \
	--rw=randwrite --size=4M --iodepth=4 --output-format=json
fio_writes=$(jq '.jobs[0].write.total_ios' "$FIO_JSON")
fio_wbytes=$(jq '.jobs[0].write.io_bytes' "$FIO_JSON")
snapshot "$UBR_SCRATCH/after.json"
((fio_reads == 2048 && fio_writes == 512)) ||
	fail "fio did $fio_reads reads and $fio_writes writes, not 2048 and 512"

[[ $(delta reads) == "$fio_reads" ]] || fail "reads grew by $(delta reads), fio read $fio_reads times"
[[ $(delta bytes_read) == "$fio_rbytes" ]] ||
	fail "bytes_read grew by $(delta bytes_read), fio read $fio_rbytes bytes"
[[ $(delta writes) == "$fio_writes" ]] || fail "writes grew by $(delta writes), fio wrote $fio_writes times"
[[ $(delta bytes_written) == "$fio_wbytes" ]] ||
	fail "bytes_written grew by $(delta bytes_written), fio wrote $fio_wbytes bytes"
for f in errors flushes discards write_zeroes; do
	[[ $(delta $f) == 0 ]] || fail "$f grew by $(delta $f)"
done

# Every request is in the histogram once; the percentiles are bucket bounds.
jq -e '.devices[0] | (.lat_hist | length) == 32 and
	(.lat_hist | add) == .reads + .writes + .flushes + .discards +
		.write_zeroes + .errors and
	.lat_p50_ns > 0 and .lat_p99_ns >= .lat_p50_ns and
	(.lat_p99_ns | log2 | . == floor)' "$UBR_SCRATCH/after.json" >/dev/null ||
	fail "latency histogram or percentiles wrong"
# The reactor saw at least one I/O completion per request, in some turns.
(($(reactor_delta io_cqes) >= fio_reads + fio_writes)) ||
	fail "io_cqes grew by $(reactor_delta io_cqes) for $((fio_reads + fio_writes)) requests"
(($(reactor_delta enters) > 0 && $(reactor_delta turns) > 0 &&
	$(reactor_delta cqes) >= $(reactor_delta io_cqes))) ||
	fail "reactor counters did not grow sensibly"
echo "# enters per I/O: $(reactor_delta enters) / $(reactor_delta io_cqes)"

# --- all devices, one device, text -------------------------------------------
check_exit 0 "$UBR" stats --json
jq -e --argjson a "$id" --argjson b "$other_id" \
	'[.devices[].id] == ([$a, $b] | sort) and
	(.reactor | (.enters, .cqes, .io_cqes, .turns) | type == "number")' \
	"$OUT" >/dev/null || fail "stats --json does not show both devices"
check_exit 0 "$UBR" stats --json "$other_id"
jq -e --argjson b "$other_id" '[.devices[].id] == [$b]' "$OUT" >/dev/null ||
	fail "stats --json $other_id shows more than that device"

check_exit 0 "$UBR" stats "$id"
head -n1 "$OUT" | grep -Eq '^ID +READS +WRITES +READ_MiB +WRITE_MiB +ERRORS +P50_us +P99_us$' ||
	fail "stats has no header"
reads=$(jq '.devices[0].reads' "$UBR_SCRATCH/after.json")
grep -Eq "^$id +$reads +$fio_writes +[0-9.]+ +4\.0 +0 " "$OUT" ||
	fail "stats row for $id is wrong"
grep -Eq '^reactor: [0-9]+ loop turns, [0-9]+ io_uring_enter calls, [0-9]+ CQEs, [0-9]+ I/O CQEs, [0-9.]+ enters per I/O$' \
	"$OUT" || fail "stats has no reactor line"
[[ $(wc -l <"$OUT") == 3 ]] || fail "stats $id shows other devices"

# --- errors ------------------------------------------------------------------
check_exit 1 "$UBR" stats "$id" 999999
grep -qx "ublk-reactor: no device 999999" "$ERR" || fail "unknown ID: wrong message"
[[ -s $OUT ]] && fail "stats with an unknown ID printed counters"
check_exit 2 "$UBR" stats --bogus
grep -q "unknown option '--bogus' for stats" "$ERR" || fail "bad option: wrong message"

check_exit 0 "$UBR" del --all
echo "stats: ok"
