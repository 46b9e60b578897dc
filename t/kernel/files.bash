# Helpers for the tests of the loop and stripe targets; source after lib.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/files.bash"
#
# Not a test itself (the suite runs t/kernel/*.sh only). Each test gets a
# daemon of its own (lib.sh's private_daemon), stopped at exit with every
# device it still has.

require_root
require_target stripe "the loop and stripe targets"

# python3 itself: a version manager's shim on PATH can take half a minute
# to start under TCG.
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3

private_daemon

# The copy modes this kernel offers, one a line: buffer always, user with
# USER_COPY, zero with AUTO_BUF_REG, zero-explicit with ZERO_COPY.
copy_modes() {
	local f
	f=$("$UBR" features) || fail "'$UBR features' failed"
	echo buffer
	if grep -qw USER_COPY <<<"$f"; then echo user; fi
	if grep -qw AUTO_BUF_REG <<<"$f"; then echo zero; fi
	if grep -qw ZERO_COPY <<<"$f"; then echo zero-explicit; fi
}

# add_dev ARGS...: `ublk-reactor add ARGS`, which must succeed; the device
# is in $DEV, its ID in $DEV_ID.
add_dev() {
	check_exit 0 "$UBR" add "$@"
	DEV=$(cat "$OUT")
	[[ $DEV =~ ^/dev/ublkb([0-9]+)$ ]] || fail "add $* printed '$DEV'"
	DEV_ID=${BASH_REMATCH[1]}
	[[ -b $DEV ]] || fail "$DEV is not a block device"
}

del_dev() {
	check_exit 0 "$UBR" del "$1"
	[[ ! -e /dev/ublkb$1 ]] || fail "/dev/ublkb$1 still exists after del"
}

# The `list` line of device $1.
list_line() {
	"$UBR" list | awk -v id="$1" '$1 == id'
}

# list_says ID TEXT: whether the device's list line contains TEXT (for
# wait_for).
list_says() {
	list_line "$1" | grep -qF -- "$2"
}

# expect_in_list ID TEXT: the device's list line contains TEXT.
expect_in_list() {
	local line
	line=$(list_line "$1")
	echo "list: $line"
	grep -qF -- "$2" <<<"$line" || fail "list of device $1 lacks '$2': $line"
}

# ext4_scratch DIR SIZE: an ext4 file system mounted at DIR, on a kernel
# loop device over a tmpfs file: O_DIRECT there goes to a real block device
# with 512-byte sectors. Undone at exit.
ext4_scratch() {
	local dir=$1 size=$2 img loopdev
	img=$UBR_SCRATCH/${dir##*/}.ext4
	truncate -s "$size" "$img"
	loopdev=$(losetup -f --show "$img") || fail "losetup $img failed"
	on_exit losetup -d "$loopdev"
	mkfs.ext4 -q -F "$loopdev" || fail "mkfs.ext4 $loopdev failed"
	mkdir -p "$dir"
	mount "$loopdev" "$dir" || fail "mount $loopdev failed"
	on_exit umount "$dir"
	# First at exit: the daemon holds files on it open.
	on_exit stop_daemon
}

# A file of SIZE bytes with data in every block (so that O_DIRECT writes
# find them allocated).
filled_file() {
	truncate -s 0 "$1"
	fallocate -l "$2" "$1" || truncate -s "$2" "$1"
}

# fio_verify DEV SIZE [FIO ARGS...]: random writes with bs 4k, 64k and 1M
# (one job each, on its own third of SIZE bytes, iodepth 32, O_DIRECT),
# then every block read back and checked (crc32c).
fio_verify() {
	local dev=$1 size=$2 third
	shift 2
	third=$((size / 3 / 1048576))M
	run_fio --filename="$dev" --ioengine=io_uring --direct=1 --iodepth=32 \
		--rw=randwrite --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--size="$third" "$@" \
		--name=bs4k --bs=4k --offset=0 \
		--name=bs64k --bs=64k --offset="$third" \
		--name=bs1m --bs=1M --offset=$((2 * ${third%M}))M
}

# fio_verify_only DEV SIZE: check what fio_verify DEV SIZE wrote, nothing
# written (after the device was deleted and made again, say).
fio_verify_only() {
	fio_verify "$@" --verify_only=1
}

# loop_mode_roundtrip MODE IMG SIZE: a loop device on IMG in copy mode MODE
# passes fio_verify; then what it wrote is read back and checked through
# a buffer mode device on the same file.
loop_mode_roundtrip() {
	add_dev loop --copy-mode "$1" "$2"
	expect_in_list "$DEV_ID" " $1 "
	fio_verify "$DEV" "$3"
	del_dev "$DEV_ID"
	add_dev loop --copy-mode buffer "$2"
	fio_verify_only "$DEV" "$3"
	del_dev "$DEV_ID"
}

# expect_fallbacks ID WHAT: device ID's stats count zero copy fallbacks
# (requests the kernel could not register, served by copying) and no
# failed request; the count is printed as a measure.
expect_fallbacks() {
	local fallbacks errors
	check_exit 0 "$UBR" stats --json "$1"
	jq -c '.devices[0] | {reads, writes, errors, buf_fallbacks}' "$OUT"
	fallbacks=$(jq '.devices[0].buf_fallbacks' "$OUT")
	errors=$(jq '.devices[0].errors' "$OUT")
	echo "measure: $2: $fallbacks"
	((fallbacks > 0)) || fail "no request came with NEED_REG_BUF"
	((errors == 0)) || fail "$errors requests failed"
}

# fs_roundtrip WRITE_MODE READ_MODE TARGET FILE...: mkfs.ext4 on a device
# made in copy mode WRITE_MODE, files written and their sha256 noted; umount
# and del; the same backing files added again in READ_MODE: fsck.ext4 -fn
# finds nothing to fix and every file's sha256 matches.
fs_roundtrip() {
	local wmode=$1 rmode=$2 mnt=$UBR_SCRATCH/mnt sums=$UBR_SCRATCH/sums
	shift 2
	echo "--- $*: written in copy mode $wmode, read in $rmode"
	add_dev "$1" --copy-mode "$wmode" "${@:2}"
	mkfs.ext4 -q -F "$DEV" || fail "mkfs.ext4 $DEV failed"
	mkdir -p "$mnt"
	mount "$DEV" "$mnt" || fail "mount $DEV failed"
	head -c $((5 << 20)) /dev/urandom >"$mnt/random5m"
	head -c 4097 /dev/urandom >"$mnt/odd4097"
	mkdir "$mnt/tree"
	cp -r "$UBR_SRCDIR/src" "$UBR_SRCDIR/t" "$mnt/tree/"
	for i in $(seq 1 40); do
		head -c $((i * 1000)) /dev/urandom >"$mnt/tree/small$i"
	done
	(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$sums"
	umount "$mnt" || fail "umount $mnt failed"
	del_dev "$DEV_ID"

	add_dev "$1" --copy-mode "$rmode" "${@:2}"
	fsck.ext4 -fn "$DEV" || fail "fsck.ext4 -fn $DEV found problems"
	mount -o ro "$DEV" "$mnt" || fail "mount $DEV again failed"
	(cd "$mnt" && sha256sum --quiet -c "$sums") || fail "files changed"
	echo "$(wc -l <"$sums") files match"
	umount "$mnt"
	del_dev "$DEV_ID"
}
