#!/bin/bash
# Data integrity of the nbd target against nbdkit's memory plugin, over a
# unix socket and over TCP on the loopback: fio writes at random with bs
# 4k, 64k and 1M (iodepth 32) and reads every block back with its crc32c,
# in each copy mode the kernel offers (zero copy sends from and receives
# into the requests' registered pages); after del and a new add the data
# is still there (the server kept it), and by host name over TCP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"
. "$(dirname "$0")/nbd.bash"

require_program fio

size=$((60 << 20))
sock=$UBR_SCRATCH/mem.sock
nbdkit_unix "$sock" memory "$size"
uri="nbd+unix:///?socket=$sock"

mapfile -t modes < <(copy_modes)
echo "copy modes: ${modes[*]}"
for mode in "${modes[@]}"; do
	add_dev nbd --copy-mode "$mode" "$uri"
	expect_in_list "$DEV_ID" "$uri"
	expect_in_list "$DEV_ID" " $mode "
	[[ $(blockdev --getsize64 "$DEV") == "$size" ]] ||
		fail "size $(blockdev --getsize64 "$DEV"), the export has $size"
	fio_verify "$DEV" "$size"
	del_dev "$DEV_ID"
done

# A new connection finds what the last one wrote.
add_dev nbd "$uri"
fio_verify_only "$DEV" "$size"
del_dev "$DEV_ID"

# TCP on the loopback, with its own export: the default copy mode, and
# zero copy where the kernel has it.
port=10809
nbdkit_tcp "$port" memory "$size"
tcp_modes=(auto)
[[ " ${modes[*]} " == *" zero "* ]] && tcp_modes+=(zero)
for mode in "${tcp_modes[@]}"; do
	add_dev nbd --copy-mode "$mode" "nbd://127.0.0.1:$port"
	expect_in_list "$DEV_ID" "nbd://127.0.0.1:$port"
	fio_verify "$DEV" "$size"
	del_dev "$DEV_ID"
done

# The same export by host name, through the hosts file (the static binary
# resolves names itself, src/targets/nbd_resolve.c): the data is there.
grep -qw localhost /etc/hosts || fail "no localhost in /etc/hosts"
add_dev nbd "nbd://localhost:$port"
expect_in_list "$DEV_ID" "nbd://localhost:$port"
fio_verify_only "$DEV" "$size"
del_dev "$DEV_ID"
echo "nbd-verify: ok"
