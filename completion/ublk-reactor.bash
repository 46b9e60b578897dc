# bash completion for ublk-reactor(8)                      -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Commands, the options of each, targets, copy modes, device IDs (asked of
# the running daemon with `list --json`: nothing when none runs) and files.
# add's options, which targets take each and which targets take FILEs come
# from the program's --help, so a new target needs nothing here. Plain
# bash: it needs nothing from the bash-completion package.

# The IDs of the daemon's devices, one a line; with STATE, only those in it.
_ublk_reactor_ids()
{
	local cmd=$1 state=${2:-} line
	# The kernel's devices that are not the daemon's have a null state.
	local re='"id": ([0-9]+).*"state": ("([a-z]+)"|null)'

	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		[[ -z $state || ${BASH_REMATCH[3]} == "$state" ]] &&
			printf '%s\n' "${BASH_REMATCH[1]}"
	done < <("$cmd" list --json 2>/dev/null)
}

# The targets this build has, from its --help.
_ublk_reactor_targets()
{
	local line targets
	line=$("$1" --help 2>/dev/null | sed -n 's/^Targets in this build: //p')
	read -ra targets <<<"${line//,/ }"
	printf '%s\n' "${targets[@]}"
}

# COMPREPLY += the words of $2 (one a line) that begin with $1.
_ublk_reactor_reply()
{
	local IFS=$'\n'
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "$2" -- "$1")
}

_ublk_reactor_files()
{
	type compopt &>/dev/null && compopt -o filenames
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$1")
}

# add's options, read from the program: `add --help` (those of every
# target) and `add TARGET --help` for TARGET, or for every target while
# none is known yet. "SHORT LONG ARG" a line, "-" for no short name and for
# a flag's ARG.
_ublk_reactor_add_opts()
{
	local t targets=$2
	[[ -z $targets ]] && targets=$(_ublk_reactor_targets "$1")
	{
		"$1" add --help
		for t in $targets; do "$1" add "$t" --help; done
	} 2>/dev/null | awk '
	/^  (-[a-zA-Z], |    )--[a-z]/ {
		line = substr($0, 3)
		short = substr(line, 1, 1) == "-" ? substr(line, 2, 1) : "-"
		line = substr(line, 7)
		match(line, /^[a-z0-9-]+/)
		name = substr(line, 1, RLENGTH)
		line = substr(line, RLENGTH + 1)
		arg = "-"
		if (match(line, /^ [^ ]+/))
			arg = substr(line, 2, RLENGTH - 1)
		if (!seen[name]++)
			print short, name, arg
	}'
}

# Does TARGET take FILEs as plain words? Its line in --help says so:
# "  loop FILE", "  stripe FILE FILE...".
_ublk_reactor_takes_files()
{
	"$1" --help 2>/dev/null |
		awk -v t="$2" '/^Targets in this build:/ { on = 1; next }
			on && $1 == t { exit !($2 ~ /^\[?FILE/) }
			on && /^$/ { exit 1 }'
}

_ublk_reactor_add()
{
	local cmd=$1 cur=$2 prev=$3 target=$4 short name arg opts=''

	case $prev in
	--scheduler)
		_ublk_reactor_reply "$cur" $'none\nmq-deadline\nbfq\nkyber\nkernel'
		return ;;
	--fail-ops)
		_ublk_reactor_reply "$cur" $'read\nwrite\nflush\ndiscard\nwrite-zeroes'
		return ;;
	esac
	while read -r short name arg; do
		if [[ $prev == "--$name" || ($short != - && $prev == "-$short") ]]; then
			if [[ $arg == FILE ]]; then
				_ublk_reactor_files "$cur"
			elif [[ $arg == *'|'* ]]; then # "auto|buffer|...": the values
				_ublk_reactor_reply "$cur" "${arg//|/$'\n'}"
			fi
			[[ $arg != - ]] && return
		fi
		opts+="--$name"$'\n'
	done < <(_ublk_reactor_add_opts "$cmd" "$target")
	if [[ $cur == -* ]]; then
		_ublk_reactor_reply "$cur" "$opts"
	elif [[ -z $target ]]; then
		_ublk_reactor_reply "$cur" "$(_ublk_reactor_targets "$cmd")"
	elif _ublk_reactor_takes_files "$cmd" "$target"; then
		_ublk_reactor_files "$cur"
	fi
}

# The words of add's options that take a value: "-n --id ..." (from --help).
_ublk_reactor_value_opts()
{
	local short name arg
	while read -r short name arg; do
		[[ $arg == - ]] && continue
		printf ' --%s ' "$name"
		[[ $short != - ]] && printf ' -%s ' "$short"
	done < <(_ublk_reactor_add_opts "$1")
}

_ublk_reactor()
{
	local cmd=$1 cur prev i word command='' target='' nargs=0 arg1= value_opts=''
	local commands=$'add\ndel\nlist\nstats\nfeatures\nupdate-size\nquiesce\nresume\nrecover\nstop\nupgrade\nreload\nconfig\ndaemon\nhelp'

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--copy-mode=zero" comes as three words: --copy-mode = zero.
	if [[ $cur == = ]]; then
		cur=''
	elif [[ $prev == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	# The command, the add target, and how many plain words came before.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $command == add && $word == -* ]]; then
			[[ -z $value_opts ]] && value_opts=$(_ublk_reactor_value_opts "$cmd")
			[[ $value_opts == *" $word "* ]] && ((i++))
			continue
		fi
		case $word in
		= | -*) continue ;;
		esac
		[[ ${COMP_WORDS[i - 1]} == = ]] && continue
		if [[ -z $command ]]; then
			command=$word
		elif [[ $command == add && -z $target ]]; then
			target=$word
		else
			nargs=$((nargs + 1))
			((nargs == 1)) && arg1=$word
		fi
	done

	# Every command takes -h and --help (its own usage).
	if [[ -n $command && $command != add && $cur == -* ]]; then
		case $command in
		del) _ublk_reactor_reply "$cur" $'--all\n--force\n--help' ;;
		list | stats) _ublk_reactor_reply "$cur" $'--json\n--help' ;;
		stop) _ublk_reactor_reply "$cur" $'--delete\n--help' ;;
		upgrade) _ublk_reactor_reply "$cur" $'--binary\n--help' ;;
		daemon) _ublk_reactor_reply "$cur" $'--foreground\n--config\n--verbose\n--help' ;;
		*) _ublk_reactor_reply "$cur" --help ;;
		esac
		return 0
	fi

	case $command in
	'')
		if [[ $cur == -* ]]; then
			_ublk_reactor_reply "$cur" $'-h\n--help\n-V\n--version'
		else
			_ublk_reactor_reply "$cur" "$commands"
		fi ;;
	add)
		_ublk_reactor_add "$cmd" "$cur" "$prev" "$target" ;;
	del | stats)
		_ublk_reactor_reply "$cur" "$(_ublk_reactor_ids "$cmd")" ;;
	list)
		_ublk_reactor_reply "$cur" --json ;;
	recover)
		;; # IDs of devices no daemon serves: only the records know them
	stop)
		_ublk_reactor_reply "$cur" --delete ;;
	upgrade)
		[[ $prev == --binary ]] && COMPREPLY=($(compgen -f -- "$cur")) ;;
	help)
		# help COMMAND, help add TARGET
		if ((nargs == 0)); then
			_ublk_reactor_reply "$cur" "$commands"
		elif ((nargs == 1)) && [[ $arg1 == add ]]; then
			_ublk_reactor_reply "$cur" "$(_ublk_reactor_targets "$cmd")"
		fi ;;
	config)
		if ((nargs == 0)); then
			_ublk_reactor_reply "$cur" check
		else
			_ublk_reactor_files "$cur"
		fi ;;
	update-size)
		((nargs == 0)) &&
			_ublk_reactor_reply "$cur" "$(_ublk_reactor_ids "$cmd" live)" ;;
	quiesce)
		((nargs == 0)) &&
			_ublk_reactor_reply "$cur" "$(_ublk_reactor_ids "$cmd" live)" ;;
	resume)
		((nargs == 0)) &&
			_ublk_reactor_reply "$cur" "$(_ublk_reactor_ids "$cmd" quiesced)" ;;
	daemon)
		if [[ $prev == --config ]]; then
			_ublk_reactor_files "$cur"
		else
			_ublk_reactor_reply "$cur" $'--foreground\n--config\n--verbose'
		fi ;;
	esac
	return 0
}

complete -F _ublk_reactor ublk-reactor
