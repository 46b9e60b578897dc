#!/bin/bash
# make check: the installed unit under real systemd and udev, in one VM
# boot of Debian sid's kernel (t/vm/run --pid1, t/vm/systemd-init, the
# steps in t/vm/systemd-test); TAP. Then two checks of its own: the guest
# test's exit status, and a kernel log without BUG/WARNING/UBSAN-like
# reports (judged as t/vm/guest-suite judges a kernel test's).
# Run from the top build directory, as t/vm-sid.t.
# UBLK_REACTOR_REQUIRE_VM=1: a missing qemu, kernel, systemd or udev fails.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$PWD
[[ ! -e $build/config.status && -e $build/../config.status ]] && build=$(cd .. && pwd)
export UBR_SRCDIR=${UBR_SRCDIR:-$src} UBR_BUILDDIR=${UBR_BUILDDIR:-$build}
# Both trees, should they be under the guest's /tmp.
export UBR_VM_SHARE=$UBR_SRCDIR:$UBR_BUILDDIR${UBR_VM_SHARE:+:$UBR_VM_SHARE}
keep=$UBR_BUILDDIR/t/vm-systemd.results

unavailable() {
	if [[ ${UBLK_REACTOR_REQUIRE_VM:-0} == 1 ]]; then
		echo "1..1"
		echo "not ok 1 - systemd VM unavailable: $1"
		exit 1
	fi
	echo "1..0 # SKIP systemd VM unavailable: $1"
	exit 0
}

command -v qemu-system-x86_64 >/dev/null || unavailable "no qemu-system-x86_64"
[[ -x /lib/systemd/systemd ]] || unavailable "no systemd (apt-get install systemd)"
[[ -x /lib/systemd/systemd-udevd ]] || unavailable "no systemd-udevd (apt-get install udev)"
for p in fio nbdkit jq; do
	command -v $p >/dev/null || unavailable "no $p (scripts/install-deps)"
done

# The guest's TAP, relayed as it comes without its plan: the plan is ours.
planned='' seen=0 failed=0
rm -rf "$keep"
mkdir -p "$keep"
start=$SECONDS
while IFS= read -r line; do
	case $line in
	1..*) planned=${line#1..} ;;
	"ok "*) seen=$((seen + 1)); echo "$line" ;;
	"not ok "*) seen=$((seen + 1)); failed=1; echo "$line" ;;
	*) echo "# ${line#\# }" ;;
	esac
done < <(cd "$UBR_BUILDDIR" && "$src/t/vm/run" --pid1 --timeout "${UBR_VM_TIMEOUT:-900}" \
	--keep "$keep" -- "$src/t/vm/systemd-init" "$src/t/vm/systemd-test" 2>&1)
n=$seen
[[ $planned =~ ^[0-9]+$ ]] || planned=0
if ((planned == 0 || seen < planned)); then
	n=$((n + 1))
	echo "not ok $n - systemd test: $((planned - seen)) of ${planned:-?} steps not run (logs: $keep)"
	failed=1
fi

n=$((n + 1))
status=$(cat "$keep/status" 2>/dev/null)
if [[ $status == 0 ]]; then
	echo "ok $n - systemd test: exit status 0"
else
	echo "not ok $n - systemd test: exit status ${status:-none} (logs: $keep)"
	failed=1
fi

n=$((n + 1))
bad='BUG:|WARNING:|Oops|general protection|Call Trace|KASAN|UBSAN|hung_task|soft lockup|refcount_t:'
reports=$(awk -v logfile=/dev/null -f "$src/t/vm/known-false-positives.awk" "$keep/dmesg.log" 2>/dev/null |
	grep -E "$bad")
if [[ -s $keep/dmesg.log && -z $reports ]]; then
	echo "ok $n - systemd test: kernel log clean"
else
	echo "not ok $n - systemd test: kernel log ${reports:+has reports}${reports:-missing} ($keep/dmesg.log)"
	sed 's/^/#   /' <<<"$reports" | head -n 20
	failed=1
fi
echo "# systemd test: $((SECONDS - start)) s"
echo "1..$n"
exit $failed
