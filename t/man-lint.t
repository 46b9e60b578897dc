#!/bin/sh
# SPDX-License-Identifier: MIT
# Every man page lints clean; the SYNOPSIS of ublk-reactor(8), rendered,
# has each form of each command's usage (`ublk-reactor help CMD`) on a
# line of its own and no other line; ublk-reactor(8) documents every
# command, long option and target that `ublk-reactor --help` and each
# `CMD --help` show; each target's page documents every option that
# `add TARGET --help` shows; ublk-reactor.conf(5) has its sections and is
# referred to.
set -u

srcdir=${UBR_SRCDIR:-.}
builddir=${UBR_BUILDDIR:-.}
page=$srcdir/man/ublk-reactor.8
. "${UBR_SRCDIR:-.}/t/tap.sh"

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

# Commands: the first word of each line of the "Commands:" section (the
# command table of src/admin/help.c), and -h, -V.
commands=$(printf '%s\n' "$help" |
	sed -n '/^Commands:/,/^[^ ]/p' | sed -n 's/^  \([A-Za-z-][A-Za-z-]*\).*/\1/p' |
	sort -u)
[ -n "$commands" ]
ok $? "--help lists commands"
for c in $commands --help --version; do
	in_section COMMANDS "$c"
	ok $? "command $c is documented under COMMANDS"
done
# The commands proper, without -h and -V.
words=$(printf '%s\n' $commands | grep -v '^-')

# The usage forms of every command, their placeholders (ID, FILE) in
# lower case as the page has them (in italics); options (-V) kept.
forms=$(for c in $commands; do "$bin" help "$c"; done |
	sed -n -e 's/^Usage: //p' -e 's/^       \(ublk-reactor \)/\1/p' |
	sed -E 's/(^|[^A-Za-z-])([A-Z]+)/\1\L\2/g' | sort -u)

# render RENDERER PAGE: the page as plain text, wide enough not to wrap.
render() {
	case $1 in
	mandoc) mandoc -T ascii -O width=250 "$2" ;;
	groff) groff -man -T ascii -P -cbou -rLL=250n "$2" ;;
	esac | sed 's/.\x08//g'
}

# The SYNOPSIS lines of a rendered page: a line indented deeper than the
# first is a wrapped continuation and joins the line before it.
synopsis_lines() {
	sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | awk '
		/^ *$/ { next }
		{ match($0, /^ */); ind = RLENGTH; sub(/^ */, "") }
		first == "" { first = ind }
		ind > first && n { line[n] = line[n] " " $0; next }
		{ line[++n] = $0 }
		END { for (i = 1; i <= n; i++) print line[i] }' |
		tr -s ' '
}

# (a) Each form on a line of its own, and no line that is not one form:
# a joined line ("stats [--json] [id...] update-size id size") fails both.
renderers=
for r in mandoc groff; do
	command -v $r >/dev/null 2>&1 && renderers="$renderers $r"
done
[ -n "$forms" ]
ok $? "help CMD prints the usage forms of every command"
for r in $renderers; do
	lines=$(render $r "$page" | synopsis_lines)
	missing=$(printf '%s\n' "$forms" | grep -v -x -F -e "$lines")
	[ -n "$lines" ] && [ -z "$missing" ]
	ok $? "SYNOPSIS rendered by $r has each command's usage on a line of its own"
	[ -n "$missing" ] && printf '%s\n' "$missing" | sed 's/^/# not a SYNOPSIS line: /'
	extra=$(printf '%s\n' "$lines" | grep -v -x -F -e "$forms")
	[ -z "$extra" ]
	ok $? "SYNOPSIS rendered by $r has no line but a command's usage"
	[ -n "$extra" ] && printf '%s\n' "$extra" | sed 's/^/# not a usage form: /'
done
[ -n "$renderers" ] || skip "neither mandoc nor groff is installed: SYNOPSIS not rendered"

# Long options: every --word in --help (but a target's, which its page
# documents) and in each command's --help.
options=$( (printf '%s\n' "$help"; for c in $words; do "$bin" "$c" --help; done) |
	sed '/^Targets in this build:/,/^$/d' | grep -o -e '--[a-z][a-z-]*' | sort -u)
for o in $options; do
	in_section OPTIONS "$o" || in_section COMMANDS "$o"
	ok $? "option $o is documented under OPTIONS or COMMANDS"
done

# Short options: of add (OPTIONS), of the other commands (COMMANDS).
for s in $(printf '%s\n' "$help" | grep -o -e '^  -[a-z],' | tr -d ' ,'); do
	in_section OPTIONS "$s"
	ok $? "option $s is documented under OPTIONS"
done
for c in $words; do
	[ "$c" = add ] && continue
	for s in $("$bin" "$c" --help | grep -o -e '^  -[a-z],' | tr -d ' ,'); do
		in_section COMMANDS "$s"
		ok $? "option $s of $c is documented under COMMANDS"
	done
done

# Targets this build has, each with its page, listed under TARGETS and
# SEE ALSO.
targets=$(printf '%s\n' "$help" | sed -n 's/^Targets in this build: //p' | tr -d ,)
[ -n "$targets" ]
ok $? "--help lists the targets"
for t in $targets; do
	section TARGETS | grep -q -e "^\.BR ublk-reactor-$t (8)"
	ok $? "target $t: its page is listed under TARGETS"
	section "SEE ALSO" | grep -q -e "^\.BR ublk-reactor-$t (8)"
	ok $? "target $t: its page is listed under SEE ALSO"
done

# (b) A target's page: its sections, its SYNOPSIS, every option that
# add TARGET --help shows (under its OPTIONS: a target's own options are
# not repeated in ublk-reactor(8)).
common=$("$bin" add --help | sed -n 's/^  \(-[a-z], \)\{0,1\} *\(--[a-z-]*\).*/\2/p')
for t in $targets; do
	tpage=$srcdir/man/ublk-reactor-$t.8
	[ -f "$tpage" ]
	ok $? "target $t has a page, man/ublk-reactor-$t.8"
	[ -f "$tpage" ] || continue
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "COPY MODES" EXAMPLES "SEE ALSO"; do
		grep -q "^\.SH \"*$s\"*\$" "$tpage"
		ok $? "ublk-reactor-$t.8: section $s"
	done
	for r in $renderers; do
		render $r "$tpage" | synopsis_lines | grep -q "^ublk-reactor add $t "
		ok $? "ublk-reactor-$t.8: SYNOPSIS is ublk-reactor add $t ... ($r)"
	done
	ttext=$(sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\%//g' "$tpage")
	grep -q '^\.BR ublk-reactor (8)' "$tpage"
	ok $? "ublk-reactor-$t.8 refers to ublk-reactor(8)"
	thelp=$("$bin" add "$t" --help)
	ok $? "add $t --help exits 0"
	topts=$(printf '%s\n' "$thelp" |
		sed -n 's/^  \(-[a-z], \)\{0,1\} *\(--[a-z-]*\).*/\2/p')
	for o in $topts; do
		[ "$o" = --help ] && continue
		printf '%s\n' "$ttext" | sed -n '/^\.SH OPTIONS$/,/^\.SH /p' |
			grep -q -E -e "^\.BI? $o( |\$)"
		ok $? "ublk-reactor-$t.8 documents $o under OPTIONS"
		printf '%s\n' "$common" | grep -q -x -e "$o" && continue
		! section OPTIONS | grep -q -E -e "^\.BI? \"?$o( |\"|\$)"
		ok $? "ublk-reactor.8 leaves $t's option $o to its page"
	done
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

tap_done
