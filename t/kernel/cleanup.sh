#!/bin/bash
# Run by t/vm/guest-suite after each kernel test, once the test's daemons
# are killed: delete every ublk device the test left, so that a failed test
# does not change what the next ones find (`list` and `del --all` see every
# device of the kernel). Each one is named in the test's log.
ubr=$UBR_BUILDDIR/ublk-reactor
[[ -x $ubr ]] || ubr=$UBR_BUILDDIR/src/ublk-reactor
for c in /sys/class/ublk-char/ublkc*; do
	[[ -e $c ]] || continue
	id=${c##*/ublkc}
	echo "the test left ublk device $id: deleting it"
	# A run directory of its own: no daemon of the test's is asked.
	UBLK_REACTOR_RUNDIR=/run/ubr-cleanup timeout -k 5 30 "$ubr" del --force "$id" ||
		echo "could not delete ublk device $id"
done
