# Shared by the host-side VM scripts (fetch-kernels, run, suite); sourced, not run.
# Keeps the cache layout and the error style in one place.

UBR_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UBR_CACHE=${UBLK_REACTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ublk-reactor}

ubr_prog=${0##*/}

die() {
	echo "$ubr_prog: error: $*" >&2
	exit 1
}

warn() {
	echo "$ubr_prog: warning: $*" >&2
}

note() {
	echo "$ubr_prog: $*" >&2
}

# Suite names become directory names and apt suite names: keep them boring.
check_suite() {
	[[ $1 =~ ^[a-z][a-z0-9-]*$ ]] || die "bad suite name '$1'"
}

kernel_dir() {
	echo "$UBR_CACHE/kernels/$1"
}

# A suite named DEBIAN-SUITE-arm64 (sid-arm64) is that Debian suite's arm64
# kernel, booted by t/vm/arm64-smoke with an arm64 userland of its own; any
# other name is the amd64 kernel that t/vm/run boots with the host's root.
suite_arch() {
	case $1 in
	*-arm64) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# The Debian suite name to ask the mirror for.
apt_suite() {
	echo "${1%-arm64}"
}

# True if FILE is a statically linked arm64 program (the arm64 guest has no
# libraries). readelf reads any architecture's headers.
elf_static_arm64() {
	local hdr
	hdr=$(readelf -h -l -W "$1" 2>/dev/null) || return 1
	grep -q 'Machine: *AArch64' <<<"$hdr" && ! grep -q 'INTERP' <<<"$hdr"
}

# The /init of the suite's initramfs.
guest_init_of() {
	case $(suite_arch "$1") in
	arm64) echo "$UBR_VM_DIR/arm64-init" ;;
	*) echo "$UBR_VM_DIR/guest-init" ;;
	esac
}

# The initramfs depends on its /init (guest-init, arm64-init) and on the module
# list; a change to either must rebuild it, so the stamp hashes both (plus a
# format number for layout changes).
initramfs_stamp() {
	local kdir=$1
	{
		echo "format 1"
		cat "$(guest_init_of "${kdir##*/}")"
		cat "$kdir/modules/boot.list" "$kdir/modules/extra.list"
	} | sha256sum | cut -d' ' -f1
}

# True when the cached kernel of suite $1 can boot as it is, without the network.
kernel_ready() {
	local kdir
	kdir=$(kernel_dir "$1")
	[[ -s $kdir/vmlinuz && -s $kdir/initramfs.cpio.gz && -s $kdir/version &&
		-s $kdir/initramfs.stamp && -s $kdir/modules/boot.list ]] || return 1
	[[ $(cat "$kdir/initramfs.stamp") == "$(initramfs_stamp "$kdir")" ]]
}

# Last N lines of a serial console log, without CRs and SeaBIOS's terminal
# control sequences.
console_tail() {
	tail -n "$2" "$1" | sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g'
}

# The guest mounts fresh tmpfs on these, hiding the host's files there.
hidden_in_guest() {
	case $1/ in
	/tmp/* | /run/* | /dev/shm/* | /proc/* | /sys/*) return 0 ;;
	esac
	return 1
}

# The host directory t/vm/run shares so that PATH, hidden under a guest
# tmpfs, is seen at its own path: the top directory below that tmpfs
# (/tmp/NAME for /tmp/NAME/a/b), so that a whole checkout is there, the
# source next to its build. Fails for what cannot be shared: /proc, /sys,
# or a tmpfs root itself (sharing /tmp would hide the guest's own /tmp).
guest_share_dir() {
	local root rest
	for root in /tmp /run /dev/shm; do
		[[ $1 == "$root"/?* ]] || continue
		rest=${1#"$root"/}
		echo "$root/${rest%%/*}"
		return 0
	done
	return 1
}
