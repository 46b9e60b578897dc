#!/bin/bash
# The recovery record across versions and resizes: a record of the previous
# release (version 1, the add words) is still recovered, data intact, and
# written again as version 2; a record of an unknown version is refused by
# a message naming its file, the device left waiting. With UPDATE_SIZE, a
# config device resized by update-size and recovered by a restarted
# service is kept by the file (its line still says what the user said),
# with its new size, and so by a reload.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup
records=${UBLK_REACTOR_RUNDIR:-/run/ublk-reactor}/devices

# field KEY FILE: the value of a record line "KEY VALUE".
field() {
	awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$2"
}

# --- a version 1 record, as the previous release wrote it ---------------------
img=$UBR_SCRATCH/a.img
truncate -s 16M "$img"
add_dev loop "$img"
id=$DEV_ID rec=$records/$DEV_ID
cat "$rec"
[[ $(head -1 "$rec") == "ublk-reactor record 2" ]] || fail "the record is not version 2"
dd if=/dev/urandom of="$DEV" bs=1M count=4 oflag=direct status=none
sum=$(dd if="$DEV" bs=1M count=4 iflag=direct status=none | md5sum)
read -r _ fdev fino path <<<"$(field file "$rec")"
mode=$(field dev-copy-mode "$rec") recovery=$(field dev-recovery "$rec")
kill_daemon

printf 'ublk-reactor record 9\nid %s\nend\n' "$id" >"$rec"
expect_fail_msg "record $rec: line 1: record version '9' unknown" "$UBR" recover "$id"
[[ -b $DEV ]] || fail "a refused record lost the device"

printf '%s\n' "ublk-reactor record 1" "id $id" "recovery $recovery" \
	"copy-mode $mode" "file 0 $fdev $fino" "word add" "word loop" \
	"word $path" end >"$rec"
cat "$rec"
recover_all "$id"
[[ $(dd if="$DEV" bs=1M count=4 iflag=direct status=none | md5sum) == "$sum" ]] ||
	fail "the device recovered from a version 1 record lost data"
expect_in_list "$id" "$mode"
[[ $(head -1 "$rec") == "ublk-reactor record 2" ]] ||
	fail "the recovered device's record was not written again as version 2"
[[ $(field file "$rec") == "0 $fdev $fino $path" ]] || fail "the file changed in the record"
del_dev "$id"
[[ ! -e $rec ]] || fail "del left the record"

# --- a resized, recovered config device is kept -------------------------------
if ! has_feature UPDATE_SIZE; then
	echo "no UPDATE_SIZE: the resize part is not run"
	exit 0
fi
cfg=$UBR_SCRATCH/ublk-reactor.conf
echo "alpha null --size 1G" >"$cfg"
check_exit 0 "$UBR" stop
check_exit 0 "$UBR" daemon --config "$cfg"
alpha=$("$UBR" list --json | jq '.devices[] | select(.name == "alpha") | .id')
[[ -n $alpha ]] || fail "device alpha did not start"
check_exit 0 "$UBR" update-size "$alpha" 2G
[[ $(blockdev --getsize64 /dev/ublkb$alpha) == $((2 << 30)) ]] || fail "alpha is not 2G"
rec=$records/$alpha
cat "$rec"
[[ $(field size "$rec") == $((1 << 30)) && $(field dev-size "$rec") == $((2 << 30)) ]] ||
	fail "the record does not keep the size asked (1G) apart from the device's (2G)"

kill_daemon
check_exit 0 "$UBR" daemon --config "$cfg"
[[ $("$UBR" list --json | jq '.devices[] | select(.name == "alpha") | .id') == "$alpha" ]] ||
	fail "the restarted service replaced the resized device"
[[ $(blockdev --getsize64 /dev/ublkb$alpha) == $((2 << 30)) ]] ||
	fail "the recovered device lost its new size"
check_exit 0 "$UBR" reload
[[ $("$UBR" list --json | jq '.devices[] | select(.name == "alpha") | .id') == "$alpha" ]] ||
	fail "reload replaced the resized, recovered device"
[[ $(blockdev --getsize64 /dev/ublkb$alpha) == $((2 << 30)) ]] || fail "reload resized alpha"
echo "alpha null --size 1G --queues 2" >"$cfg"
check_exit 0 "$UBR" reload
alpha=$("$UBR" list --json | jq '.devices[] | select(.name == "alpha") | .id')
[[ -n $alpha && $(blockdev --getsize64 /dev/ublkb$alpha) == $((1 << 30)) ]] ||
	fail "a changed line did not replace the device (alpha is not 1G again)"
