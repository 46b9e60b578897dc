#!/bin/bash
# recover refuses clearly and loses nothing: an ID without a record, a
# device this daemon serves, a truncated or corrupt record, a replaced or
# missing backing file (that device stays unrecovered, the others recover,
# and del can still delete it), and two recover commands at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup
rec=$UBLK_REACTOR_RUNDIR/devices

for i in 0 1 2 3; do
	truncate -s 8M "$UBR_SCRATCH/f$i.img"
	add_dev loop "$UBR_SCRATCH/f$i.img"
	id[i]=$DEV_ID
	dd if=/dev/urandom of="$DEV" bs=1M count=2 oflag=direct status=none
	sum[i]=$(dd if="$DEV" bs=1M count=2 iflag=direct status=none | md5sum)
done

expect_fail_msg "no recovery record" "$UBR" recover 999
expect_fail_msg "already served by this daemon" "$UBR" recover "${id[0]}"
[[ $GOT == 1 ]] || fail "recover of a served device exited $GOT, not 1"
expect_fail_msg "invalid device ID" "$UBR" recover abc
[[ $GOT == 2 ]] || fail "recover abc exited $GOT, not 2"

kill_daemon
# device 1: a truncated record; device 2: its file replaced by a copy (same
# path and content, another inode); device 3: its file gone.
head -c 40 "$rec/${id[1]}" >"$rec/${id[1]}.cut" && mv "$rec/${id[1]}.cut" "$rec/${id[1]}"
cp "$UBR_SCRATCH/f2.img" "$UBR_SCRATCH/f2.new" && mv "$UBR_SCRATCH/f2.new" "$UBR_SCRATCH/f2.img"
mv "$UBR_SCRATCH/f3.img" "$UBR_SCRATCH/f3.moved"

capture "$UBR" recover
[[ $GOT == 1 ]] || fail "recover with broken records exited $GOT, not 1"
grep -qx "/dev/ublkb${id[0]}" "$OUT" || fail "device ${id[0]} was not recovered"
grep -q "device ${id[1]}: .*truncated" "$ERR" || fail "no message for the truncated record"
grep -q "device ${id[2]}: .*not the file the device was made with" "$ERR" || fail "no message for the replaced file"
grep -q "device ${id[3]}: .*cannot open .*f3.img" "$ERR" || fail "no message for the missing file"
(($(wc -l <"$ERR") == 3)) || fail "recover printed more than one line per failed device"
[[ $(dd if=/dev/ublkb${id[0]} bs=1M count=2 iflag=direct status=none | md5sum) == "${sum[0]}" ]] ||
	fail "device ${id[0]} lost data"
for i in 1 2 3; do
	[[ -b /dev/ublkb${id[i]} ]] || fail "unrecovered device ${id[i]} was deleted"
done

# The missing file comes back: that device recovers with its data.
mv "$UBR_SCRATCH/f3.moved" "$UBR_SCRATCH/f3.img"
check_exit 0 "$UBR" recover "${id[3]}"
[[ $(dd if=/dev/ublkb${id[3]} bs=1M count=2 iflag=direct status=none | md5sum) == "${sum[3]}" ]] ||
	fail "device ${id[3]} lost data"

# Unrecoverable ones can be deleted.
check_exit 0 "$UBR" del "${id[1]}" "${id[2]}"
for i in 1 2; do
	[[ ! -e /dev/ublkb${id[i]} ]] || fail "del left unrecovered device ${id[i]}"
	[[ ! -e $rec/${id[i]} ]] || fail "del left the record of device ${id[i]}"
done

# Two recover commands at once: each device recovered exactly once.
kill_daemon
"$UBR" recover >"$UBR_SCRATCH/r1.out" 2>"$UBR_SCRATCH/r1.err" & p1=$!
"$UBR" recover >"$UBR_SCRATCH/r2.out" 2>"$UBR_SCRATCH/r2.err" & p2=$!
wait $p1 || true
wait $p2 || true
cat "$UBR_SCRATCH"/r[12].{out,err}
got=$(cat "$UBR_SCRATCH"/r[12].out | sort)
want=$(printf '/dev/ublkb%s\n' "${id[0]}" "${id[3]}" | sort)
[[ $got == "$want" ]] || fail "two recovers printed '$got', expected '$want' once each"
for i in 0 3; do
	[[ $(dd if=/dev/ublkb${id[i]} bs=1M count=2 iflag=direct status=none | md5sum) == "${sum[i]}" ]] ||
		fail "device ${id[i]} lost data"
done
"$UBR" list --json | jq -e '.devices | length == 2' >/dev/null || fail "list does not show the two devices"
