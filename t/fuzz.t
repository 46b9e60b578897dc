#!/bin/bash
# SPDX-License-Identifier: MIT
# Every libFuzzer harness for FUZZ_SECONDS (default 60) each, in a fuzzing
# build (scripts/build --fuzz); TAP from t/fuzz/run.
set -u
src=${UBR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${UBR_BUILDDIR:-.}
harnesses=()
for name in config admin cli record nbd-reply nbd-handshake nbd-uri nbd-dns; do
	harnesses+=("$build/t/fuzz/$name-fuzz")
done
for h in "${harnesses[@]}"; do
	if [[ ! -x $h ]]; then
		echo "1..0 # SKIP $h not built: not a fuzzing build (scripts/build --fuzz)"
		exit 0
	fi
done
exec "$src/t/fuzz/run" "${FUZZ_SECONDS:-60}" "${harnesses[@]}"
