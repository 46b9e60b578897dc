#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command of `ublk-reactor --help` answers COMMAND --help, -h and
# `help COMMAND` with its own usage on stdout, exit 0 and nothing on
# stderr, and touches no run directory (starts no daemon); so does
# `add TARGET --help` for every target of the build.
set -u

builddir=${UBR_BUILDDIR:-.}
bin=$builddir/src/ublk-reactor
[ -x "$bin" ] || bin=$builddir/ublk-reactor
. "${UBR_SRCDIR:-.}/t/tap.sh"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
rundir=$tmp/run
mkdir "$rundir"

# run WORD...: the program with an empty run directory; 0 when it exits 0
# with nothing on stderr and the run directory still empty.
run() {
	UBLK_REACTOR_RUNDIR=$rundir "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err"
	[ -z "$(ls -A "$rundir")" ] || { echo "# $rundir: $(ls -A "$rundir")"; return 1; }
	[ $status -eq 0 ] && [ ! -s "$tmp/err" ]
}

# starts_with PREFIX: the first line of the last output begins with it.
starts_with() {
	case $(head -n 1 "$tmp/out") in
	"$1"*) return 0 ;;
	esac
	echo "# first line: $(head -n 1 "$tmp/out")"
	return 1
}

"$bin" --help >"$tmp/global"
ok $? "ublk-reactor --help exits 0"
# The command names: the first word of the lines of "Commands:".
commands=$(sed -n '/^Commands:/,/^[^ ]/p' "$tmp/global" |
	sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | uniq)
[ "$(echo $commands | wc -w)" -ge 13 ]
ok $? "--help lists the commands ($(echo $commands))"

for c in $commands; do
	for h in --help -h; do
		run "$c" "$h" && starts_with "Usage: ublk-reactor $c"
		ok $? "$c $h: its usage on stdout, exit 0, no daemon"
		cp "$tmp/out" "$tmp/$c$h"
	done
	cmp -s "$tmp/$c--help" "$tmp/$c-h"
	ok $? "$c -h prints what $c --help does"
	run help "$c" && cmp -s "$tmp/out" "$tmp/$c--help"
	ok $? "help $c prints what $c --help does"
	grep -q '^  -h, --help ' "$tmp/$c--help"
	ok $? "$c --help lists -h, --help"
done

# Help wins over the command's other words, however wrong, until "--".
run del 1 2 --bogus --help && starts_with "Usage: ublk-reactor del"
ok $? "del 1 2 --bogus --help prints del's usage"
run config check /nonexistent -h && starts_with "Usage: ublk-reactor config check"
ok $? "config check FILE -h prints config's usage"
UBLK_REACTOR_RUNDIR=$rundir "$bin" list -- --help >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "list -- --help is a usage error: -- ends the options"

targets=$(sed -n 's/^Targets in this build: //p' "$tmp/global" | tr -d ,)
[ -n "$targets" ]
ok $? "--help lists the targets ($targets)"
for t in $targets; do
	run add "$t" --help && starts_with "Usage: ublk-reactor add $t"
	ok $? "add $t --help: the target's usage, exit 0, no daemon"
	run add --name "$t" -h && starts_with "Usage: ublk-reactor add TARGET"
	ok $? "add --name $t -h: $t is --name's value, not the target"
	run add --id 3 "$t" -h && starts_with "Usage: ublk-reactor add $t"
	ok $? "add --id 3 $t -h: the target after an option's value"
	run help add "$t" && starts_with "Usage: ublk-reactor add $t"
	ok $? "help add $t prints $t's usage"
done
run add --name x --help && starts_with "Usage: ublk-reactor add TARGET"
ok $? "add with no target: add's usage"

UBLK_REACTOR_RUNDIR=$rundir "$bin" help nosuch >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown command 'nosuch'" "$tmp/err"
ok $? "help nosuch: unknown command, exit 2"
run -V && starts_with "ublk-reactor "
ok $? "-V prints the version"

tap_done
