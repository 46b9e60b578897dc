# bash completion for ublk-reactor(8)                      -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Commands, the options of each, targets, copy modes, device IDs (asked of
# the running daemon with `list --json`: nothing when none runs) and files
# for loop, stripe and fault --backing. Plain bash: it needs nothing from the bash-completion
# package.

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

_ublk_reactor_add()
{
	local cmd=$1 cur=$2 prev=$3 target=$4
	local opts="--id --queues --depth --max-io-size --size
--logical-block-size --read-only --copy-mode --no-partition-scan --recovery --name
--scheduler --help"
	local fault_opts=$'--backing\n--delay\n--fail-rate\n--fail-ops\n--fail-offset\n--seed'

	case $prev in
	--copy-mode)
		_ublk_reactor_reply "$cur" $'auto\nbuffer\nuser\nzero\nget-data'
		return ;;
	--logical-block-size)
		_ublk_reactor_reply "$cur" $'512\n4096'
		return ;;
	--recovery)
		_ublk_reactor_reply "$cur" $'reissue\nfail-io\nqueue\noff'
		return ;;
	--scheduler)
		_ublk_reactor_reply "$cur" $'none\nmq-deadline\nbfq\nkyber\nkernel'
		return ;;
	--fail-ops)
		_ublk_reactor_reply "$cur" $'read\nwrite\nflush\ndiscard\nwrite-zeroes'
		return ;;
	--backing)
		_ublk_reactor_files "$cur"
		return ;;
	-n | --id | -q | --queues | -d | --depth | --max-io-size | --size | --chunk-size | \
		--delay | --fail-rate | --fail-offset | --seed | --name)
		return ;; # a number or a name: nothing to offer
	esac
	case $target in
	loop) opts+=$'\n--buffered' ;;
	stripe) opts+=$'\n--buffered\n--chunk-size' ;;
	fault) opts+=$'\n--buffered\n'$fault_opts ;;
	'') opts+=$'\n--buffered\n--chunk-size\n'$fault_opts ;;
	esac
	if [[ $cur == -* ]]; then
		_ublk_reactor_reply "$cur" "${opts// /$'\n'}"
	elif [[ -z $target ]]; then
		_ublk_reactor_reply "$cur" "$(_ublk_reactor_targets "$cmd")"
	elif [[ $target != null && $target != fault ]]; then
		_ublk_reactor_files "$cur"
	fi
}

_ublk_reactor()
{
	local cmd=$1 cur prev i word command='' target='' nargs=0 arg1=
	local commands=$'add\ndel\nlist\nstats\nfeatures\nupdate-size\nquiesce\nresume\nrecover\nstop\nreload\nconfig\ndaemon\nhelp'

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
		case $word in
		-n | --id | -q | --queues | -d | --depth | --max-io-size | --size | \
			--logical-block-size | --copy-mode | --chunk-size | --recovery | \
			--backing | --delay | --fail-rate | --fail-ops | --fail-offset | --seed | \
			--name)
			[[ $command == add ]] && ((i++))
			continue ;;
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
