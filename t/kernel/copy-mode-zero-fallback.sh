#!/bin/bash
# Zero copy's fallback (UBLK_AUTO_BUF_REG_FALLBACK): a request whose pages
# the kernel could not register arrives with UBLK_IO_F_NEED_REG_BUF, and
# the daemon registers them itself instead of failing it. The kernel's
# registration fails only on a slot it cannot use, so the test daemon
# (UBLK_REACTOR_ZC_MISS_EVERY=3) names a slot past the buffer table's end
# in every third fetch: fio verify (crc32c) on a loop device in zero mode
# passes, and stats counts the fallbacks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_program jq
require_feature AUTO_BUF_REG
require_feature ZERO_COPY

private_daemon
export UBLK_REACTOR_ZC_MISS_EVERY=3

size=$((30 << 20))
img=$UBR_SCRATCH/zc.img
filled_file "$img" "$size"

add_dev loop --copy-mode zero "$img"
expect_in_list "$DEV_ID" " zero "
fio_verify "$DEV" "$size"
expect_fallbacks "$DEV_ID" "fallback registrations"
del_dev "$DEV_ID"

# Without the knob the kernel registers every request itself.
stop_daemon
unset UBLK_REACTOR_ZC_MISS_EVERY
add_dev loop --copy-mode zero "$img"
fio_verify_only "$DEV" "$size"
check_exit 0 "$UBR" stats --json "$DEV_ID"
fallbacks=$(jq '.devices[0].buf_fallbacks' "$OUT")
((fallbacks == 0)) || fail "$fallbacks fallbacks with every slot valid"
del_dev "$DEV_ID"
echo "copy-mode-zero-fallback: ok"
