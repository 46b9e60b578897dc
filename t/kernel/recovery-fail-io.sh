#!/bin/bash
# --recovery fail-io: while no daemon serves the device, I/O fails at once
# with an I/O error instead of waiting (the kernel fails it with
# BLK_STS_TARGET, which reaches applications as EREMOTEIO, or EIO); after `recover` I/O works again and the data
# written before the crash is intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_feature USER_RECOVERY_FAIL_IO
on_exit recovery_cleanup

truncate -s 16M "$UBR_SCRATCH/f.img"
add_dev loop --recovery fail-io "$UBR_SCRATCH/f.img"
id=$DEV_ID
dd if=/dev/urandom of="$DEV" bs=1M count=4 oflag=direct status=none
sum=$(dd if="$DEV" bs=1M count=4 iflag=direct status=none | md5sum)

kill_daemon
# the kernel notices the daemon is gone, then fails I/O
failed=0
for i in $(seq 50); do
	if ! timeout 10 dd if="$DEV" of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$UBR_SCRATCH/dd.err"; then
		failed=1
		break
	fi
	sleep 0.2
done
cat "$UBR_SCRATCH/dd.err"
((failed)) || fail "I/O kept working without a daemon"
grep -qE "Input/output error|Remote I/O error" "$UBR_SCRATCH/dd.err" ||
	fail "I/O during the outage did not fail with an I/O error"

recover_all "$id"
[[ $(dd if="$DEV" bs=1M count=4 iflag=direct status=none | md5sum) == "$sum" ]] ||
	fail "data changed across the outage"
dd if=/dev/zero of="$DEV" bs=4k count=16 oflag=direct status=none || fail "writes fail after recover"
