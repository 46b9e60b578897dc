# SPDX-License-Identifier: MIT
# TAP for the shell tests (sourced; POSIX sh): ok STATUS DESCRIPTION
# counts a check that passed when STATUS is 0; tap_done prints the plan
# and exits non-zero if any check failed.
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

tap_done() {
	echo "1..$n"
	exit $failed
}
