#!/bin/bash
# What the nbd target sends a server and what it does with the answers,
# seen through nbdkit's filters:
#  - log: discard, write zeroes, flush and FUA writes arrive as the NBD
#    commands TRIM, WRITE_ZEROES, FLUSH and WRITE with FUA, where the block
#    layer asked for them;
#  - error: every error the server answers fails exactly the request it
#    was injected into, with the server's errno (EIO for reads, ENOSPC for
#    writes): fio counts as many errors as the log shows injected, and the
#    data of a refused write is the data before it;
#  - delay: slow replies are waited for: fio's crc32c verify is clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

require_program fio
require_program blkdiscard

size=$((32 << 20))
log=$UBR_SCRATCH/nbd-ops.log

# log_count PATTERN: lines of the server's log matching PATTERN.
log_count() {
	grep -cE -- "$1" "$log" || true
}

# logged_at_least N PATTERN: the log has N such lines (read on every try).
logged_at_least() {
	(($(log_count "$2") >= $1))
}

# --- commands: what the block layer asks for reaches the server ---------------
sock=$UBR_SCRATCH/log.sock
nbdkit_unix "$sock" --filter=log memory "$size" logfile="$log"
add_dev nbd "nbd+unix:///?socket=$sock"
disk=${DEV#/dev/}
for q in discard_max_bytes write_zeroes_max_bytes; do
	v=$(cat "/sys/block/$disk/queue/$q")
	echo "$q: $v"
	[[ $v -gt 0 ]] || fail "$q is $v: the server offers it"
done
grep -q "write back" "/sys/block/$disk/queue/write_cache" ||
	fail "write cache: $(cat "/sys/block/$disk/queue/write_cache"), the server flushes"
[[ $(cat "/sys/block/$disk/queue/fua") == 1 ]] || fail "no FUA, the server has it"

blkdiscard -o 0 -l 1M "$DEV" || fail "blkdiscard failed"
wait_for 10 logged_at_least 1 ' Trim id=[0-9]+ offset=0x0 ' ||
	fail "no TRIM at offset 0 reached the server"
blkdiscard -z -o 1M -l 1M "$DEV" || fail "blkdiscard -z failed"
wait_for 10 logged_at_least 1 ' Zero id=[0-9]+ offset=0x100000 ' ||
	fail "no WRITE_ZEROES at 1 MiB reached the server"
dd if=/dev/urandom of="$DEV" bs=4k count=1 seek=512 oflag=direct,dsync 2>/dev/null ||
	fail "an O_DSYNC write failed"
wait_for 10 logged_at_least 1 ' Write id=[0-9]+ offset=0x200000 count=0x1000 fua=1 ' ||
	fail "the O_DSYNC write did not reach the server with FUA"
dd if=/dev/urandom of="$DEV" bs=4k count=1 seek=1024 oflag=direct 2>/dev/null ||
	fail "a plain write failed"
wait_for 10 logged_at_least 1 ' Write id=[0-9]+ offset=0x400000 count=0x1000 fua=0 ' ||
	fail "the plain write reached the server with FUA, or not at all"
flushes=$(log_count ' Flush id=')
sync "$DEV" || fail "fsync of the device failed" # coreutils: fsync(2) of it
wait_for 10 logged_at_least $((flushes + 1)) ' Flush id=' ||
	fail "the flush did not reach the server"
grep -E ' (Trim|Zero|Flush|Write) id=' "$log" | head -n 20
del_dev "$DEV_ID"
kill -KILL "$NBDKIT_PID"

# --- errors: exactly those injected, with the server's errno -------------------
: >"$log"
sock=$UBR_SCRATCH/error.sock
trigger=$UBR_SCRATCH/inject
# The log filter outside the error filter sees every injected error.
nbdkit_unix "$sock" --filter=log --filter=error memory "$size" logfile="$log" \
	error-pread=EIO error-pread-rate=10% error-pread-file="$trigger" \
	error-pwrite=ENOSPC error-pwrite-rate=10% error-pwrite-file="$trigger"
add_dev nbd "nbd+unix:///?socket=$sock"
# One fio I/O, one request: two merged would fail together and count twice.
echo 2 >"/sys/block/${DEV#/dev/}/queue/nomerges"

# A block of known data, written before any error is injected.
head -c 4096 /dev/urandom >"$UBR_SCRATCH/block"
dd if="$UBR_SCRATCH/block" of="$DEV" bs=4k oflag=direct 2>/dev/null ||
	fail "writing the known block failed"

touch "$trigger"
json=$UBR_SCRATCH/fio-errors.json
echo "+ fio randrw 4k, 10% of the server's replies errors"
fio --name=errors --filename="$DEV" --ioengine=io_uring --direct=1 \
	--rw=randrw --bs=4k --iodepth=8 --offset=1M --size=16M \
	--number_ios=2000 --continue_on_error=all --ignore_error=EIO,ENOSPC \
	--output-format=json \
	--output="$json" >/dev/null 2>&1 || true
# O_DIRECT writes of block 0, each of new data, until one is refused: the
# block must then hold the last one taken (or the known block).
last=$UBR_SCRATCH/block
refused=
for i in $(seq 1 200); do
	head -c 4096 /dev/urandom >"$UBR_SCRATCH/try"
	if dd if="$UBR_SCRATCH/try" of="$DEV" bs=4k oflag=direct 2>"$UBR_SCRATCH/dd.err"; then
		cp "$UBR_SCRATCH/try" "$UBR_SCRATCH/taken"
		last=$UBR_SCRATCH/taken
	else
		refused=$i
		break
	fi
done
rm -f "$trigger"
cat "$UBR_SCRATCH/dd.err"
[[ -n $refused ]] || fail "none of 200 writes of block 0 was refused"
grep -q "No space left on device" "$UBR_SCRATCH/dd.err" ||
	fail "write $refused of block 0 failed, but not with ENOSPC"

jq '.jobs[0] | {total_err, first_error, reads: .read.total_ios, writes: .write.total_ios}' "$json" ||
	fail "no fio JSON"
fio_errors=$(jq '.jobs[0].total_err' "$json")
first=$(jq '.jobs[0].first_error' "$json")
eio=$(log_count ' \.\.\.Read id=[0-9]+ return=-1 error=EIO')
enospc=$(log_count ' \.\.\.Write id=[0-9]+ return=-1 error=ENOSPC')
others=$(log_count 'return=-1' )
echo "injected: $eio EIO reads, $enospc ENOSPC writes (all errors: $others); fio saw $fio_errors (first errno $first)"
# The dd loop's one refusal is in the log too, and not in fio's count.
((eio + enospc == others)) || fail "the server answered errors that were not injected"
((eio > 0 && enospc > 1)) || fail "too few errors injected to judge ($eio, $enospc)"
((fio_errors == eio + enospc - 1)) ||
	fail "fio saw $fio_errors errors; the server injected $((eio + enospc - 1))"
[[ $first == 5 || $first == 28 ]] || fail "fio's first error is errno $first, not EIO or ENOSPC"

# The refused write left block 0 as the last write taken made it.
dd if="$DEV" of="$UBR_SCRATCH/back" bs=4k count=1 iflag=direct 2>/dev/null ||
	fail "reading block 0 back failed"
cmp "$last" "$UBR_SCRATCH/back" || fail "the refused write (try $refused) changed block 0"
del_dev "$DEV_ID"
kill -KILL "$NBDKIT_PID"

# --- delays: waited for, no error ----------------------------------------------
sock=$UBR_SCRATCH/delay.sock
nbdkit_unix "$sock" --filter=delay memory "$size" rdelay=50ms wdelay=50ms
add_dev nbd "nbd+unix:///?socket=$sock"
fio_verify "$DEV" $((12 << 20))
del_dev "$DEV_ID"
echo "nbd-filters: ok"
