#!/bin/bash
# The config file: `daemon --config` starts five devices of three targets
# (relative and quoted paths) and a bad line, which its log reports as
# FILE:LINE; READY=1 reaches $NOTIFY_SOCKET only once every device serves;
# each device is reachable as RUNDIR/by-name/NAME; a reload adds one,
# deletes one and replaces a changed one while fio writes and verifies an
# unchanged device, whose ID stays; a reload with a bad line applies the
# good ones and exits 1 naming FILE:LINE; SIGHUP reloads; a detached
# `daemon --config` prints the bad line; `config check` on a good and a
# bad file.
. "$(dirname "$0")/lib.sh"
# As --help lists them: the messages name every target of this build.
targets=$("$UBR" --help | sed -n 's/^Targets in this build: //p')

require_root
require_program fio
require_program jq
require_target stripe "the loop and stripe targets"

private_daemon
run=$UBLK_REACTOR_RUNDIR
cd "$UBR_SCRATCH"
mkdir disks
truncate -s 64M disks/loop.img "my disk.img" s1.img s2.img
cfg=$UBR_SCRATCH/ublk-reactor.conf

# Every process costs under TCG: one `list --json` per look at the devices.
snap() {
	LIST=$("$UBR" list --json) || fail "list --json failed"
	# "NAME ID" lines, unnamed devices left out
	NAMES=$(jq -r '.devices[] | select(.name != null) | "\(.name) \(.id)"' <<<"$LIST")
}

# The device ID of NAME in the last snap ("" if none); no fork.
id_of() {
	local n i
	while read -r n i; do
		[[ $n != "$1" ]] || { echo "$i"; return; }
	done <<<"$NAMES"
}

# NAMEs' links resolve to their devices, and udev's files name them.
check_links() {
	local n id
	snap
	for n; do
		id=$(id_of "$n")
		[[ -n $id ]] || fail "no device named $n"
		[[ $(readlink "$run/by-name/$n") == /dev/ublkb$id ]] ||
			fail "$run/by-name/$n -> '$(readlink "$run/by-name/$n")', not /dev/ublkb$id"
		[[ -b $run/by-name/$n ]] || fail "$run/by-name/$n does not resolve to a block device"
		[[ $(<"$run/udev/ublkb$id") == "UBLK_REACTOR_NAME=$n" ]] || fail "udev file of ublkb$id lacks $n"
	done
}

is_gone() {
	snap
	[[ -z $(id_of "$1") && ! -L $run/by-name/$1 ]]
}

check_gone() {
	is_gone "$1" || fail "device $1 or its link is still there"
}

step() {
	echo "# --- $* (${SECONDS} s)"
}

step config check
cat >"$cfg" <<'EOF'
# five devices, three targets
n1   null --size 1G
n2   null --size 2G -d 32   # a comment
lp   loop disks/loop.img
st   stripe --chunk-size 64K s1.img s2.img
lp2  loop "my disk.img"
EOF
check_exit 0 "$UBR" config check "$cfg"
grep -qF "$cfg: 5 device(s), no errors" "$OUT" || fail "config check of a good file"
printf 'bad  lop x\nlp3  loop nosuch.img\n' >"$UBR_SCRATCH/bad.conf"
check_exit 1 "$UBR" config check "$UBR_SCRATCH/bad.conf"
grep -qxF "$UBR_SCRATCH/bad.conf:1: unknown target 'lop' (targets: $targets)" "$ERR" ||
	fail "config check: no FILE:LINE for the bad target"
grep -qF "$UBR_SCRATCH/bad.conf:2: cannot open $UBR_SCRATCH/nosuch.img" "$ERR" ||
	fail "config check: a missing backing file is not reported"
[[ ! -e $run/ublk-reactor.sock ]] || fail "config check started a daemon"
check_exit 1 "$UBR" daemon --config "$UBR_SCRATCH/none.conf"
grep -qF "none.conf: cannot read: No such file" "$ERR" || fail "a missing --config FILE is not an error"

step start-up in the foreground, a bad line, NOTIFY_SOCKET
echo 'bad  lop' >>"$cfg"
sock=$UBR_SCRATCH/notify.sock
perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
	bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!"; $| = 1;
	while (defined(recv($s, my $m, 4096, 0))) { print "$m\n" }' "$sock" >"$UBR_SCRATCH/notify.log" &
perl_pid=$!
quiet_kill() { kill "$@" 2>/dev/null || true; }
on_exit quiet_kill "$perl_pid"
wait_for 10 test -S "$sock" || fail "the notify listener did not start"
NOTIFY_SOCKET=$sock "$UBR" daemon --foreground --config "$cfg" 2>"$UBR_SCRATCH/daemon.log" &
wait_for 30 grep -q '^READY=1' "$UBR_SCRATCH/notify.log" || { cat "$UBR_SCRATCH/daemon.log"; fail "no READY=1"; }
# READY=1 comes after the devices serve: they must be live now.
check_links n1 n2 lp st lp2
jq -e --arg f "$UBR_SCRATCH/my disk.img" '
	([.devices[] | select(.state == "live") | .target] | sort == ["loop","loop","null","null","stripe"]) and
	(.devices[] | select(.name == "lp2") | .files == [$f])' <<<"$LIST" >/dev/null ||
	fail "READY=1 before the five devices of three targets served, or lp2 lacks its quoted, relative path"
cat "$UBR_SCRATCH/notify.log"
grep -q '^STATUS=5 device(s); .*: 1 error(s)' "$UBR_SCRATCH/notify.log" || fail "no STATUS line"
cat "$UBR_SCRATCH/daemon.log"
grep -qF "ublk-reactor: $cfg:7: unknown target 'lop' (targets: $targets)" "$UBR_SCRATCH/daemon.log" ||
	fail "the daemon's log lacks $cfg:7"
check_exit 0 "$UBR" list
[[ $(grep -c ' live ' "$OUT") == 5 ]] || fail "not 5 live devices after start-up"
declare -A ids
for n in n1 n2 lp st lp2; do
	ids[$n]=$(id_of "$n")
done

step reload under fio: add n3, delete n2, replace n1
lpdev=/dev/ublkb${ids[lp]}
writes() { # completed writes
	local f
	read -r -a f <"/sys/block/${lpdev#/dev/}/stat"
	echo "${f[4]}"
}
writes_above() {
	local f
	read -r -a f <"/sys/block/${lpdev#/dev/}/stat"
	((f[4] > $1))
}
before=$(writes)
fio --name=steady --filename="$lpdev" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --iodepth=8 --size=16M --time_based --runtime=300 \
	--verify=crc32c --verify_backlog=64 --verify_fatal=1 \
	--output-format=json --output="$UBR_SCRATCH/steady.json" >"$UBR_SCRATCH/steady.log" 2>&1 &
fio_pid=$!
on_exit quiet_kill -INT "$fio_pid"
wait_for 60 writes_above "$((before + 50))" || { cat "$UBR_SCRATCH/steady.log"; fail "fio does not write"; }

sed -i -e '/^n2 /d' -e '/^bad /d' -e 's/^n1   null --size 1G/n1   null --size 3G/' "$cfg"
echo 'n3   null --size 1G' >>"$cfg"
check_exit 0 "$UBR" reload
grep -qx "deleted n2 /dev/ublkb${ids[n2]}" "$OUT" || fail "reload did not say n2 was deleted"
grep -qE '^added n3 /dev/ublkb[0-9]+$' "$OUT" || fail "reload did not say n3 was added"
grep -qE '^replaced n1 /dev/ublkb[0-9]+$' "$OUT" || fail "reload did not say n1 was replaced"
[[ $(wc -l <"$OUT") == 3 ]] || fail "reload changed more than three devices"
check_gone n2
check_links n3 n1
jq -e '.devices[] | select(.name == "n1") | .size == 3221225472' <<<"$LIST" >/dev/null ||
	fail "n1 was not replaced with its new size"
for n in lp st lp2; do
	[[ $(id_of "$n") == "${ids[$n]}" ]] || fail "unchanged device $n changed ID"
done
kill -0 "$fio_pid" 2>/dev/null || { cat "$UBR_SCRATCH/steady.log"; fail "fio stopped during the reload"; }
writes_mid=$(writes)
wait_for 60 writes_above "$((writes_mid + 20))" || fail "fio stopped writing after the reload"
kill -INT "$fio_pid"
fio_status=0
wait "$fio_pid" || fio_status=$?
# fio stops on SIGINT with status 0 or 128; any I/O or verify error is in
# the job. Its messages ("terminating on signal 2") precede the JSON.
cat "$UBR_SCRATCH/steady.log" "$UBR_SCRATCH/steady.json"
[[ $fio_status == 0 || $fio_status == 128 ]] || fail "fio exited $fio_status"
sed -n '/^{/,$p' "$UBR_SCRATCH/steady.json" >"$UBR_SCRATCH/steady.only.json"
jq -e '.jobs[0].error == 0 and .jobs[0].read.io_bytes > 0 and .jobs[0].write.io_bytes > 0' \
	"$UBR_SCRATCH/steady.only.json" >/dev/null || fail "fio reports an error, or verified nothing"
echo "fio: $(jq -r '.jobs[0] | "\(.write.io_bytes) bytes written, \(.read.io_bytes) verified"' "$UBR_SCRATCH/steady.only.json")"

step a bad line: reload applies the good ones, reports it, exits 1
cp "$cfg" "$UBR_SCRATCH/good.conf"
printf 'bad  lop x\nn4   null\n' >>"$cfg"
badline=$(grep -n '^bad ' "$cfg" | cut -d: -f1)
check_exit 1 "$UBR" reload
grep -qxF "ublk-reactor: $cfg:$badline: unknown target 'lop' (targets: $targets)" "$ERR" ||
	fail "reload does not report $cfg:$badline"
grep -qE '^added n4 ' "$OUT" || fail "the good line next to the bad one was not applied"
check_links n4
# A CLI device's name is not the file's to take.
check_exit 0 "$UBR" add null --name cli1
check_exit 1 "$UBR" add null --name cli1
grep -qF "name 'cli1' is already in use" "$ERR" || fail "a duplicate --name was not refused"
echo 'cli1 null --size 2G' >>"$cfg"
check_exit 1 "$UBR" reload
grep -qF "$cfg:$((badline + 2)): device 'cli1': the name is in use by device" "$ERR" ||
	fail "a config line took a CLI device's name"
check_exit 0 "$UBR" del cli1
check_gone cli1

step SIGHUP
cp "$UBR_SCRATCH/good.conf" "$cfg"
echo 'n5   null' >>"$cfg"
kill -HUP "$(daemon_pid)"
wait_for 30 test -L "$run/by-name/n5" || fail "SIGHUP did not add n5"
wait_for 30 is_gone n4 || fail "SIGHUP did not delete n4"
check_links n5
stop_daemon
grep -q '^STOPPING=1' "$UBR_SCRATCH/notify.log" || fail "no STOPPING=1"
left=$(find "$run/by-name" "$run/udev" -mindepth 1)
[[ -z $left ]] || fail "files left after the daemon deleted its devices: $left"

step a detached daemon prints the bad line
printf 'a1 loop disks/loop.img\nbad lop\n' >"$cfg"
check_exit 0 "$UBR" daemon --config "$cfg"
grep -qxF "ublk-reactor: $cfg:2: unknown target 'lop' (targets: $targets)" "$ERR" ||
	fail "daemon --config did not print $cfg:2"
check_links a1
step done
