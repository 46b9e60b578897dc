#!/bin/bash
# Backing files in memory (tmpfs) that take no nonblocking I/O are read and
# written by the reactor itself in buffer and user copy modes ('inline' in
# list) on kernels with QUIESCE (6.16+; older ones stay on the ring), since
# io_uring would punt each request to a worker thread; the zero
# copy modes and files on a real file system (ext4) stay on the ring. Data is
# verified on each path, and in buffer mode no request reaches io-wq on the
# inline one (io_uring's queue_async_work tracepoint; in user mode the
# copies to /dev/ublkcN still go through the ring, and so to io-wq), and
# FUA/flush still work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_program mkfs.ext4

tracing=/sys/kernel/tracing
mountpoint -q "$tracing" || mount -t tracefs nodev "$tracing" ||
	fail "cannot mount tracefs"
event=$tracing/events/io_uring/io_uring_queue_async_work
[[ -d $event ]] || fail "no io_uring_queue_async_work tracepoint"

# The event is enabled once, before any I/O, and windows are cut with
# tracing_on: each enable or disable patches kernel text, and under TCG a
# vCPU once ran into a half-patched __schedule and oopsed (int3; sid, CI).
# With record-cmd on, enabling any event also hooks sched_switch, which is
# what patched __schedule; it is off while the test runs.
trace_setup() {
	echo 0 >"$tracing/tracing_on"
	record_cmd=$(cat "$tracing/options/record-cmd")
	echo 0 >"$tracing/options/record-cmd"
	on_exit trace_restore
	echo 1 >"$event/enable"
}

trace_restore() {
	echo 0 >"$event/enable"
	echo 0 >"$event/filter"
	echo "$record_cmd" >"$tracing/options/record-cmd"
	echo 1 >"$tracing/tracing_on"
}

# punts CMD...: run CMD; the number of io-wq punts the daemon made meanwhile.
punts() {
	local pid
	pid=$(daemon_pid)
	echo "common_pid == $pid" >"$event/filter"
	echo >"$tracing/trace"
	echo 1 >"$tracing/tracing_on"
	"$@" || fail "'$*' failed"
	echo 0 >"$tracing/tracing_on"
	PUNTS=$(grep -c queue_async_work "$tracing/trace" || true)
}

mem=$UBR_SCRATCH/mem.img
filled_file "$mem" 64M
ext4_scratch "$UBR_SCRATCH/ext4" 256M
disk=$UBR_SCRATCH/ext4/disk.img
filled_file "$disk" 64M

# Inline needs QUIESCE (6.16+): see ubr_files_set_inline().
inline=yes
has_feature QUIESCE || inline=no
echo "inline I/O on $(uname -r): $inline"
[[ $inline == no ]] || trace_setup

for mode in $(copy_modes); do
	add_dev loop --copy-mode "$mode" "$mem"
	if [[ $mode == zero* || $inline == no ]]; then
		expect_in_list "$DEV_ID" "(direct)"
		fio_verify "$DEV" $((48 << 20)) --fsync=16 ||
			fail "fio verify ($mode, tmpfs, on the ring) failed"
	else
		expect_in_list "$DEV_ID" "(direct, inline)"
		punts fio_verify "$DEV" $((48 << 20)) --fsync=16 --sync=dsync
		echo "$mode, tmpfs: $PUNTS io-wq punts"
		[[ $mode == user ]] || ((PUNTS == 0)) ||
			fail "$mode on tmpfs: $PUNTS requests went to io-wq"
	fi
	del_dev "$DEV_ID"

	add_dev loop --copy-mode "$mode" "$disk"
	expect_in_list "$DEV_ID" "(direct)"
	fio_verify "$DEV" $((48 << 20)) --fsync=16 ||
		fail "fio verify ($mode, ext4) failed"
	del_dev "$DEV_ID"
done

# What a buffered device wrote (inline where the kernel allows it) is in
# the file: read back by the kernel's own loop device.
add_dev loop --buffered --copy-mode buffer "$mem"
if [[ $inline == yes ]]; then
	expect_in_list "$DEV_ID" "(buffered, inline)"
else
	expect_in_list "$DEV_ID" "(buffered)"
fi
fio_verify "$DEV" $((48 << 20)) || fail "fio verify (buffered, tmpfs) failed"
del_dev "$DEV_ID"
kloop=$(losetup -f --show --direct-io=on "$mem") || fail "losetup $mem failed"
on_exit losetup -d "$kloop"
fio_verify_only "$kloop" $((48 << 20)) ||
	fail "the kernel's loop device read back other data"
echo "loop-inline: ok"
