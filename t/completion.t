#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion (completion/ublk-reactor.bash), sourced in this bash
# with nothing from the bash-completion package: commands, options per
# command, targets (from the built program's --help), copy modes, files for
# loop, and device IDs by state from `list --json` (a stand-in program
# answers it; the real one, with no daemon, gives none, silently).
set -u

srcdir=${UBR_SRCDIR:-.}
builddir=${UBR_BUILDDIR:-.}
bin=$builddir/src/ublk-reactor
[[ -x $bin ]] || bin=$builddir/ublk-reactor
. "${UBR_SRCDIR:-.}/t/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ubr-completion.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$srcdir/completion/ublk-reactor.bash"
complete -p ublk-reactor >/dev/null 2>&1
ok $? "sourcing it registers a completion for ublk-reactor"

# A stand-in for a daemon with devices 0 (live), 3 (quiesced) and 5 (live),
# and a dead device 7 of the kernel's (no state of the daemon's).
fake=$tmp/fake-ublk-reactor
cat >"$fake" <<FAKE
#!/bin/sh
if [ "\$*" = "list --json" ]; then
	printf '%s\n' '{"devices": [' \\
	  '  {"id": 0, "device": "/dev/ublkb0", "target": "null", "state": "live", "queues": 1},' \\
	  '  {"id": 3, "device": "/dev/ublkb3", "target": "loop", "state": "quiesced", "queues": 1},' \\
	  '  {"id": 5, "device": "/dev/ublkb5", "target": "null", "state": "live", "queues": 1},' \\
	  '  {"id": 7, "device": null, "target": null, "state": null, "kernel_state": "DEAD", "owner": "dead"}]}'
	exit 0
fi
exec "$bin" "\$@"
FAKE
chmod +x "$fake"

# completions PROGRAM WORD... : the sorted replies for the last WORD.
completions() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_ublk_reactor "$1" "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}" 2>"$tmp/stderr"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# expect "WANT" WORD... : the completions of the words are exactly WANT.
expect() {
	local want=$1 got
	shift
	got=$(completions "$@")
	[[ $got == "$want" ]] || echo "# got '$got'"
	[[ $got == "$want" ]]
	ok $? "'${*:2}' completes to '$want'"
}

# nbd only where it was built in (configure --disable-target-nbd).
targets="fault loop nbd null stripe"
grep -q '^#define UBR_TARGET_NBD 1' "$builddir/config.h" || targets="fault loop null stripe"

expect "add config daemon del features help list quiesce recover reload resume stats stop update-size upgrade" "$bin" ""
expect "update-size upgrade" "$bin" up
expect "--binary --help" "$bin" upgrade --
expect "--help --version" "$bin" --
expect "$targets" "$bin" add ""
expect "--copy-mode" "$bin" add null --co
expect "auto buffer get-data user zero zero-explicit" "$bin" add null --copy-mode ""
expect "get-data" "$bin" add null --copy-mode = ge
expect "auto buffer get-data user zero zero-explicit" "$bin" add null --copy-mode =
expect "4096 512" "$bin" add --logical-block-size ""
expect "" "$bin" add null --size ""
expect "--no-partition-scan" "$bin" add null --no
expect "" "$bin" add null --buf
expect "--buffered" "$bin" add loop --buf
expect "--chunk-size" "$bin" add stripe --ch
expect "--help --json" "$bin" list -
expect "--config --foreground --help --verbose" "$bin" daemon --
expect "--help --version -V -h" "$bin" -
expect "--help" "$bin" features -
expect "--help" "$bin" add null --he
expect "--help" "$bin" config check -
expect "add config daemon del features help list quiesce recover reload resume stats stop update-size upgrade" "$bin" help ""
expect "$targets" "$bin" help add ""
expect "" "$bin" help del ""

# Files for loop and stripe, after the options and their values.
mkdir "$tmp/files" && touch "$tmp/files/disk.img" "$tmp/files/other.raw"
expect "$tmp/files/disk.img" "$bin" add loop -q 2 "$tmp/files/d"
expect "$tmp/files/other.raw" "$bin" add stripe --chunk-size 64K "$tmp/files/disk.img" "$tmp/files/o"
expect "" "$bin" add null "$tmp/files/d"

# Device IDs: all for del (dead ones of the kernel's too), live ones for
# quiesce and update-size, quiesced ones for resume; one ID only where one
# is taken.
expect "0 3 5 7" "$fake" del ""
expect "--all --force --help" "$fake" del -
expect "0 5" "$fake" quiesce ""
expect "3" "$fake" resume ""
expect "0 5" "$fake" update-size ""
expect "" "$fake" update-size 0 ""
expect "" "$fake" quiesce 0 ""

# No daemon: no IDs, and nothing printed.
export UBLK_REACTOR_RUNDIR=$tmp/run
mkdir "$UBLK_REACTOR_RUNDIR"
expect "" "$bin" del ""
[[ ! -s $tmp/stderr ]]
ok $? "no daemon: nothing on stderr"

tap_done
