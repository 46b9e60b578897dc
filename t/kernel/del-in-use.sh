#!/bin/bash
# Safe delete: `del` of a device in use is refused, exit 1, with one line
# naming the holder (a mount; a process with the disk open), and the
# device serves on (a file written before reads back, caches dropped);
# a reload whose file no longer has the mounted device leaves it, and
# `stop --delete` is refused while it is mounted; once the holder lets go,
# del works; `del --force` deletes a device an idle process holds open.
# On 7.0+ (SAFE_STOP_DEV) the kernel's TRY_STOP_DEV decides, elsewhere the
# daemon's holder scan alone: the same answers are expected of both, and
# on 7.0+ a mount in another mount namespace, which only the kernel sees,
# is refused too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_root
require_program mkfs.ext4
require_program jq

private_daemon
if has_feature SAFE_STOP_DEV; then
	echo "# the kernel has SAFE_STOP_DEV: TRY_STOP_DEV path"
else
	echo "# no SAFE_STOP_DEV: the holder scan alone"
fi

mnt=$UBR_SCRATCH/mnt
img=$UBR_SCRATCH/disk.img
cfg=$UBR_SCRATCH/ublk-reactor.conf
mkdir -p "$mnt"
truncate -s 64M "$img"
quiet_umount() { umount "$1" 2>/dev/null || true; }
quiet_kill() { kill "$@" 2>/dev/null || true; }

id_of() {
	"$UBR" list --json | jq -r --arg n "$1" '.devices[] | select(.name == $n) | .id'
}

# still_serving ID: live in `list`, and the file written reads back.
still_serving() {
	expect_in_list "$1" live
	echo 3 >/proc/sys/vm/drop_caches
	[[ $(sha256sum <"$mnt/data") == "$sum" ]] || fail "the data on device $1 changed"
}

echo "# --- a mounted device, declared in the config file"
echo "held  loop --buffered $img" >"$cfg"
check_exit 0 "$UBR" daemon --config "$cfg"
id=$(id_of held)
[[ -n $id ]] && wait_for 10 test -b "/dev/ublkb$id" || fail "no device 'held' after daemon --config"
mkfs.ext4 -q -F "/dev/ublkb$id" || fail "mkfs.ext4 /dev/ublkb$id failed"
mount "/dev/ublkb$id" "$mnt" || fail "mount /dev/ublkb$id failed"
on_exit quiet_umount "$mnt"
head -c 4M /dev/urandom >"$mnt/data"
sync
sum=$(sha256sum <"$mnt/data")

check_exit 1 "$UBR" del "$id"
grep -qxF "ublk-reactor: device $id is in use: mounted on $mnt (use --force)" "$ERR" ||
	fail "del of a mounted device does not name the mount"
[[ $(wc -l <"$ERR") == 1 ]] || fail "del wrote more than one line"
still_serving "$id"
check_exit 1 "$UBR" del held
grep -qF "device $id is in use: mounted on $mnt" "$ERR" || fail "del by name is not refused the same"
still_serving "$id"

echo "# --- reload without its line: the device is left"
: >"$cfg"
check_exit 1 "$UBR" reload
grep -qF "cannot delete device $id: device $id is in use: mounted on $mnt" "$ERR" ||
	fail "reload does not say why it left device $id"
grep -q "^deleted" "$OUT" && fail "reload says it deleted something"
still_serving "$id"

echo "# --- stop --delete: refused while a device is mounted"
pid=$(daemon_pid)
check_exit 1 "$UBR" stop --delete
grep -qF "device $id is in use: mounted on $mnt" "$ERR" || fail "stop --delete does not name the mount"
kill -0 "$pid" || fail "the daemon exited on a refused stop --delete"
still_serving "$id"

echo "# --- unmounted: del works"
umount "$mnt" || fail "umount $mnt failed"
check_exit 0 "$UBR" del "$id"
[[ ! -e /dev/ublkb$id ]] || fail "/dev/ublkb$id still exists after del"

echo "# --- a mount in another mount namespace: only the kernel sees it"
if has_feature SAFE_STOP_DEV; then
	truncate -s 64M "$img"
	add_dev loop --buffered "$img"
	mkfs.ext4 -q -F "$DEV" || fail "mkfs.ext4 $DEV failed"
	unshare -m sh -c "mount $DEV $mnt && touch $UBR_SCRATCH/ns.ready && exec sleep 600" &
	nsh=$!
	on_exit quiet_kill "$nsh"
	wait_for 20 test -e "$UBR_SCRATCH/ns.ready" || fail "the mount in a new namespace failed"
	check_exit 1 "$UBR" del "$DEV_ID"
	grep -qxF "ublk-reactor: device $DEV_ID is in use: the kernel counts an opener (use --force)" "$ERR" ||
		fail "TRY_STOP_DEV's refusal is not reported"
	expect_in_list "$DEV_ID" live
	dd if="$DEV" of=/dev/null bs=4k count=16 iflag=direct status=none || fail "$DEV no longer serves"
	kill "$nsh"
	wait "$nsh" 2>/dev/null || true
	# The namespace's mount goes with its last process, soon after.
	wait_for 30 "$UBR" del "$DEV_ID" || fail "del after the namespace ended failed"
	[[ ! -e $DEV ]] || fail "$DEV still exists after del"
else
	echo "# not asserted: without SAFE_STOP_DEV a mount in another namespace is not seen (documented)"
fi

echo "# --- a process holding the disk open"
add_dev null
( exec 3<"$DEV" && exec sleep 600 ) &
holder=$!
on_exit quiet_kill "$holder"
wait_for 10 test -e "/proc/$holder/fd/3" || fail "the holder did not open $DEV"
wait_for 10 grep -qx sleep "/proc/$holder/comm" || fail "the holder is not sleeping"
check_exit 1 "$UBR" del "$DEV_ID"
grep -qxF "ublk-reactor: device $DEV_ID is in use: opened by pid $holder (sleep) (use --force)" "$ERR" ||
	fail "del of an open device does not name the process"
expect_in_list "$DEV_ID" live
dd if="$DEV" of=/dev/null bs=4k count=16 iflag=direct status=none || fail "$DEV no longer serves"
kill "$holder"
wait "$holder" 2>/dev/null || true
check_exit 0 "$UBR" del "$DEV_ID"
[[ ! -e $DEV ]] || fail "$DEV still exists after del"

echo "# --- del --force under an idle open descriptor"
add_dev null
( exec 3<"$DEV" && exec sleep 600 ) &
holder=$!
on_exit quiet_kill "$holder"
wait_for 10 test -e "/proc/$holder/fd/3" || fail "the holder did not open $DEV"
"$UBR" del --force "$DEV_ID" >"$UBR_SCRATCH/force.out" 2>&1 &
del_pid=$!
# The disk goes at once; the device itself once its last opener closes.
wait_for 60 test ! -e "/sys/block/ublkb$DEV_ID" || fail "del --force left the disk"
kill "$holder"
wait "$holder" 2>/dev/null || true
wait_for 60 pid_gone "$del_pid" || fail "del --force did not return within 60 s of the close"
wait "$del_pid" || { cat "$UBR_SCRATCH/force.out"; fail "del --force failed"; }
[[ ! -e $DEV ]] || fail "$DEV still exists after del --force"
"$UBR" list | awk -v id="$DEV_ID" '$1 == id' | grep -q . && fail "device $DEV_ID still listed"
echo "del-in-use: ok"
