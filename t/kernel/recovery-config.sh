#!/bin/bash
# A service restarted after a crash (systemd's Restart=on-failure) takes its
# devices back: `daemon --config` recovers the devices that wait before it
# applies the file, which then finds them unchanged: same IDs, same data,
# no second copy of any device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/recovery.bash"

require_program jq
require_feature USER_RECOVERY_REISSUE
on_exit recovery_cleanup

truncate -s 16M "$UBR_SCRATCH/b.img"
cfg=$UBR_SCRATCH/ublk-reactor.conf
cat >"$cfg" <<EOC
alpha null --size 1G
beta  loop $UBR_SCRATCH/b.img
EOC
check_exit 0 "$UBR" daemon --config "$cfg"
"$UBR" list --json | jq -c '[.devices[] | {id, name}] | sort_by(.name)' >"$UBR_SCRATCH/before"
cat "$UBR_SCRATCH/before"
beta=$(jq '.[] | select(.name == "beta") | .id' "$UBR_SCRATCH/before")
[[ -n $beta ]] || fail "device beta did not start"
dd if=/dev/urandom of=/dev/ublkb$beta bs=1M count=4 oflag=direct status=none
sum=$(dd if=/dev/ublkb$beta bs=1M count=4 iflag=direct status=none | md5sum)

kill_daemon
check_exit 0 "$UBR" daemon --config "$cfg"
"$UBR" list --json | jq -c '[.devices[] | {id, name}] | sort_by(.name)' >"$UBR_SCRATCH/after"
cat "$UBR_SCRATCH/after"
cmp -s "$UBR_SCRATCH/before" "$UBR_SCRATCH/after" ||
	fail "the restarted service did not take back the same devices"
[[ $(dd if=/dev/ublkb$beta bs=1M count=4 iflag=direct status=none | md5sum) == "$sum" ]] ||
	fail "device beta lost data across the restart"
(($(ls /sys/block | grep -c '^ublkb') == 2)) || fail "devices were added twice"
