#!/bin/sh
# SPDX-License-Identifier: MIT
# Every man page lints clean, ublk-reactor(8) documents every command,
# long option and target that `ublk-reactor --help` shows, and
# ublk-reactor.conf(5) has its sections and is referred to.
set -u

srcdir=${UBR_SRCDIR:-.}
builddir=${UBR_BUILDDIR:-.}
page=$srcdir/man/ublk-reactor.8
n=0
failed=0

ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

# The linter configure found, else whichever is installed.
linter=${MANLINT:-}
if [ -z "$linter" ]; then
	for l in mandoc groff; do
		command -v "$l" >/dev/null 2>&1 && { linter=$l; break; }
	done
fi

lint() {
	case $(basename "$linter") in
	mandoc) mandoc -T lint -W warning "$1" 2>&1 ;;
	groff) groff -man -ww -z "$1" 2>&1 ;;
	esac
}

for p in "$srcdir"/man/*.[1-8]; do
	if [ -z "$linter" ]; then
		skip "neither mandoc nor groff is installed: $(basename "$p") not linted"
		continue
	fi
	out=$(lint "$p")
	status=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	[ $status -eq 0 ] && [ -z "$out" ]
	ok $? "$(basename "$p") lints clean with $(basename "$linter")"
done

bin=$builddir/src/ublk-reactor
[ -x "$bin" ] || bin=$builddir/ublk-reactor
help=$("$bin" --help)
ok $? "ublk-reactor --help exits 0"

# The page's text, with roff escapes and font changes taken out.
text=$(sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\%//g' -e 's/\\e/\\/g' "$page")

# The text of one section of the page.
section() {
	printf '%s\n' "$text" | sed -n "/^\.SH \"*$1\"*\$/,/^\.SH /p"
}

# Is WORD in the section, as a whole word (not part of a longer option)?
in_section() { # in_section SECTION WORD
	section "$1" | grep -q -E -e "(^|[ \"])$2([] \",|]|\$)"
}

# Commands: the first word of each line of the "Commands:" section.
commands=$(printf '%s\n' "$help" |
	sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z-][a-z-]*\).*/\1/p')
[ -n "$commands" ]
ok $? "--help lists commands"
for c in $(printf '%s\n' $commands help --help --version | sort -u); do
	in_section COMMANDS "$c"
	ok $? "command $c is documented under COMMANDS"
done

# Long options: every --word in --help.
options=$(printf '%s\n' "$help" | grep -o -e '--[a-z][a-z-]*' | sort -u)
for o in $options; do
	in_section OPTIONS "$o" || in_section COMMANDS "$o"
	ok $? "option $o is documented under OPTIONS or COMMANDS"
done

# Short options of add.
for s in $(printf '%s\n' "$help" | grep -o -e '^  -[a-z],' | tr -d ' ,'); do
	in_section OPTIONS "$s"
	ok $? "option $s is documented under OPTIONS"
done

# Targets this build has, each under TARGETS.
targets=$(printf '%s\n' "$help" | sed -n 's/^Targets in this build: //p' | tr -d ,)
for t in $targets; do
	section TARGETS | grep -q -E -e "^\.BI? \"?$t( |\"|\$)"
	ok $? "target $t is documented under TARGETS"
done

# Every section the house style asks for.
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS TARGETS "EXIT STATUS" \
	ENVIRONMENT FILES SIGNALS EXAMPLES "SEE ALSO"; do
	grep -q "^\.SH \"*$s\"*\$" "$page"
	ok $? "section $s"
done

# ublk-reactor.conf(5): its sections, and each page names the other.
conf=$srcdir/man/ublk-reactor.conf.5
for s in NAME SYNOPSIS DESCRIPTION RELOADING ERRORS FILES EXAMPLES "SEE ALSO"; do
	grep -q "^\.SH \"*$s\"*\$" "$conf"
	ok $? "ublk-reactor.conf.5: section $s"
done
grep -q '^\.BR ublk-reactor (8)' "$conf"
ok $? "ublk-reactor.conf.5 refers to ublk-reactor(8)"
section "SEE ALSO" | grep -q '^\.BR ublk-reactor.conf (5)'
ok $? "ublk-reactor.8 refers to ublk-reactor.conf(5) under SEE ALSO"
# Its config file is the one --help names.
cfgfile=$(printf '%s\n' "$help" | sed -n 's/^Config file: \([^ ]*\) .*/\1/p')
[ -n "$cfgfile" ]
ok $? "--help names the config file"
# The targets this build has appear in the page's error example.
for t in $targets; do
	grep -q "targets: .*\b$t\b" "$conf"
	ok $? "ublk-reactor.conf.5 lists target $t"
done

echo "1..$n"
exit $failed
