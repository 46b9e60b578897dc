#!/bin/bash
# add --scheduler: a new disk runs with no I/O scheduler unless told (as the
# kernel's loop and null_blk do), takes the one named, keeps the kernel's
# with 'kernel', and a name the kernel refuses fails the add, leaving no
# device. I/O through a named scheduler is still checked end to end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio

# The disk's active scheduler: the bracketed word of queue/scheduler.
active() {
	sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/block/ublkb$1/queue/scheduler"
}

# scheduler_is ID NAME: read afresh on every try of wait_for.
scheduler_is() {
	[[ $(active "$1") == "$2" ]]
}

# The default is set just after add returns.
add_dev null
wait_for 30 scheduler_is "$DEV_ID" none ||
	fail "default scheduler: $(cat "/sys/block/ublkb$DEV_ID/queue/scheduler")"
del_dev "$DEV_ID"

img=$UBR_SCRATCH/sched.img
filled_file "$img" 64M
add_dev loop --scheduler mq-deadline "$img"
[[ $(active "$DEV_ID") == mq-deadline ]] ||
	fail "--scheduler mq-deadline: $(cat "/sys/block/ublkb$DEV_ID/queue/scheduler")"
fio_verify "$DEV" $((48 << 20)) || fail "fio verify through mq-deadline failed"
del_dev "$DEV_ID"

# 'kernel': whatever the kernel picks for a disk of one queue (it offers
# mq-deadline then), not none.
add_dev null --scheduler kernel
[[ $(active "$DEV_ID") == mq-deadline ]] ||
	fail "--scheduler kernel: $(cat "/sys/block/ublkb$DEV_ID/queue/scheduler")"
del_dev "$DEV_ID"

expect_fail_msg "I/O scheduler 'no-such-sched' refused" \
	"$UBR" add null --scheduler no-such-sched
[[ -z $("$UBR" list | awk 'NR > 1') ]] || fail "a refused scheduler left a device"
expect_fail_msg "invalid --scheduler 'Bad'" "$UBR" add null --scheduler Bad
echo "scheduler: ok"
